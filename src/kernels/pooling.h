// Sequence pooling for classification heads: both BERT's pooler and DistilBERT's
// pre_classifier read the hidden state of the first token ([CLS]); ModernBERT's
// classifier_pooling "mean" averages the real tokens.
//
// Mean (source of truth: ModernBertForSequenceClassification):
//   out[b] = sum_t mask[b, t] in[b, t] / sum_t mask[b, t]
// and its gradient din[b, t] = mask[b, t] dout[b] / count. A sequence with no real token (which
// the tokenizer never produces; transformers would divide by zero and give NaN) pools to 0.
//
// Dimension legend: B batch, T tokens, C hidden.
#pragma once

#include <cstdint>

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
// out[b, :] = in[b, 0, :]
void first_token_forward(const Exec& ex,
                         float* out,       // [B, C]
                         const float* in,  // [B, T, C]
                         int B, int T, int C);

// din[b, 0, :] = dout[b, :], din[b, t > 0, :] = 0 (assigned).
void first_token_backward(const Exec& ex,
                          float* din,         // [B, T, C]
                          const float* dout,  // [B, C]
                          int B, int T, int C);

// out[b, :] = mean of in[b, t, :] over the real tokens t (mask 1).
void mean_pool_forward(const Exec& ex,
                       float* out,           // [B, C]
                       const float* in,      // [B, T, C]
                       const int32_t* mask,  // [B, T]
                       int B, int T, int C);

// din[b, t, :] = mask[b, t] dout[b, :] / count_b (assigned).
void mean_pool_backward(const Exec& ex,
                        float* din,           // [B, T, C]
                        const float* dout,    // [B, C]
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C);
}  // namespace ref

namespace cpu {
decltype(ref::first_token_forward) first_token_forward;
decltype(ref::first_token_backward) first_token_backward;
decltype(ref::mean_pool_forward) mean_pool_forward;
decltype(ref::mean_pool_backward) mean_pool_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::first_token_forward) first_token_forward;
decltype(ref::first_token_backward) first_token_backward;
decltype(ref::mean_pool_forward) mean_pool_forward;
decltype(ref::mean_pool_backward) mean_pool_backward;
}  // namespace cuda

}  // namespace finetune::kernels
