// First-token pooling and its backward as templates over the storage type: the readable
// specification behind ref::first_token_*, and (with Real = double) the function whose finite
// differences test the backward pass. No arithmetic: copies only.
//
// Source of truth: BertPooler takes hidden_states[:, 0] before its dense layer; DistilBERT's
// DistilBertForSequenceClassification takes hidden_state[:, 0] before pre_classifier. Both read
// the [CLS] token, which the tokenizer always puts first. The gradient of a slice is dout in
// the sliced rows and 0 elsewhere.
//
// Dimension legend: B batch, T tokens, C hidden.
#pragma once

#include <cstdint>

namespace finetune::kernels::ref::math {

// out[b, :] = in[b, 0, :]
template <typename Real>
void first_token_forward(Real* out,       // [B, C]
                         const Real* in,  // [B, T, C]
                         int B, int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t c = 0; c < C; ++c) out[b * C + c] = in[b * T * C + c];
  }
}

// din[b, 0, :] = dout[b, :], din[b, t > 0, :] = 0.
template <typename Real>
void first_token_backward(Real* din,         // [B, T, C]
                          const Real* dout,  // [B, C]
                          int B, int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t c = 0; c < C; ++c) din[(b * T + t) * C + c] = t == 0 ? dout[b * C + c] : Real(0);
    }
  }
}

// Masked mean over the real tokens (ModernBERT's classifier_pooling "mean"): the sum in double,
// one division, one rounding. No real token: 0.
template <typename Real>
void mean_pool_forward(Real* out,            // [B, C]
                       const Real* in,       // [B, T, C]
                       const int32_t* mask,  // [B, T]
                       int B, int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    int64_t count = 0;
    for (int64_t t = 0; t < T; ++t) count += mask[b * T + t] != 0;
    for (int64_t c = 0; c < C; ++c) {
      double sum = 0.0;
      for (int64_t t = 0; t < T; ++t) {
        if (mask[b * T + t] != 0) sum += in[(b * T + t) * C + c];
      }
      out[b * C + c] = count > 0 ? static_cast<Real>(sum / static_cast<double>(count)) : Real(0);
    }
  }
}

// din[b, t, :] = mask[b, t] dout[b, :] / count.
template <typename Real>
void mean_pool_backward(Real* din,            // [B, T, C]
                        const Real* dout,     // [B, C]
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    int64_t count = 0;
    for (int64_t t = 0; t < T; ++t) count += mask[b * T + t] != 0;
    for (int64_t t = 0; t < T; ++t) {
      const bool real = mask[b * T + t] != 0 && count > 0;
      for (int64_t c = 0; c < C; ++c) {
        din[(b * T + t) * C + c] =
            real ? static_cast<Real>(dout[b * C + c] / static_cast<double>(count)) : Real(0);
      }
    }
  }
}

}  // namespace finetune::kernels::ref::math
