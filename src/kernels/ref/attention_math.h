// The multi-head self-attention core (after the fused QKV projection, before the output
// projection) as templates over the storage type: the readable specification behind
// ref::attention_*, and (with Real = double) the function whose finite differences test the
// backward pass. Convention (Real storage, arithmetic in double, one rounding per stored value):
// see ref/linear_math.h.
//
// Source of truth: transformers' BertSelfAttention (eager path) and DistilBERT's
// MultiHeadSelfAttention. For batch b, head h and query token i:
//   s_j   = (q_i . k_j) / sqrt(HS)                  for every key token j
//   s_j  += finfo(float32).min  where mask[b, j] == 0   (padded key)
//   s_j  += finfo(float32).min  where |i - j| > window  (sliding window, when window > 0:
//                                                       ModernBERT's local layers)
//   p_j   = softmax_j(s)                            (saved in probs[b, h, i, :])
//   d_j   = p_j keep(b, h, i, j) / (1 - p_drop)     (attention dropout; d = p in eval)
//   out_i = sum_j d_j v_j                           (written to columns h*HS .. h*HS+HS-1)
// With the huge negative bias a padded key's probability is exactly 0 in float32, so here the
// padded keys (and keys outside the window) are left out of the softmax and get probability 0. If
// a row has no allowed key (no real key at all, or, with a window, a padded query row whose
// window holds only padding), every score gets the same bias, which float32 absorbs completely (|s| << ulp(finfo.min)), so the
// softmax is uniform over all T keys, whatever q and k are. Query rows of padded tokens are
// computed like any other (the model ignores them downstream). keep() is kernels/dropout.h's
// mask over the [B, NH, T, T] probability elements (element ((b NH + h) T + i) T + j).
//
// Backward, the chain rule through the lines above (dout_i the gradient of out_i):
//   dv_j   = sum_i d_ij dout_i
//   dd_ij  = dout_i . v_j,   dp_ij = dd_ij keep_ij / (1 - p_drop)
//   ds_ij  = p_ij (dp_ij - sum_k p_ik dp_ik)        (softmax backward)
//   dq_i   = sum_j ds_ij k_j / sqrt(HS),   dk_j = sum_i ds_ij q_i / sqrt(HS)
// Padded keys have p = 0, hence ds = 0 and d = 0: no gradient reaches their k and v. A row with
// no allowed key is constant in q and k (uniform, see above), so its ds is 0: this is the exact
// derivative of what the forward computes. (PyTorch's autograd would instead push
// p (dp - sum p dp) through the saturated softmax there; such rows never occur in practice, since
// the tokenizer always emits [CLS] as a real token.)
//
// Scores, softmax, the weighted sums and all gradients are computed in double; `probs` is stored
// rounded to Real once. These oracles allocate small buffers with std::vector, which is fine
// because ref:: never runs in a training step.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// qkv rows hold [q | k | v], each C wide; head h uses columns h*HS .. h*HS+HS-1 of each part.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "kernels/dropout.h"
#include "kernels/ref/dropout_math.h"

namespace finetune::kernels::ref::math {

// Whether query i may attend to key j: a real key, and within the window when there is one.
inline bool attention_key_allowed(const int32_t* mask,  // [T] of the sequence
                                  int64_t i, int64_t j, int window) {
  return mask[j] != 0 && (window <= 0 || (i > j ? i - j : j - i) <= window);
}

// Whether query row i has any allowed key (else its softmax is uniform over all T keys).
inline bool attention_row_has_key(const int32_t* mask, int T, int64_t i, int window) {
  for (int64_t j = 0; j < T; ++j) {
    if (attention_key_allowed(mask, i, j, window)) return true;
  }
  return false;
}

template <typename Real>
void attention_forward(Real* out,            // [B, T, C]
                       Real* probs,          // [B, NH, T, T]
                       const Real* qkv,      // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH, DropoutSpec dropout, int window = 0) {
  FT_CHECK(NH > 0 && C % NH == 0, "attention_forward: hidden size ", C,
           " is not a multiple of the head count ", NH);
  const int64_t HS = C / NH;
  const int64_t row_stride = 3 * static_cast<int64_t>(C);  // one token's row of qkv
  const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
  const double drop_scale = dropout.active() ? dropout_scale<Real>(dropout) : 1.0;
  std::vector<double> p(T);  // [T] probabilities of one query row
  std::vector<double> d(T);  // [T] the same after dropout

  for (int64_t b = 0; b < B; ++b) {
    const int32_t* m = mask + b * T;  // [T]
    for (int64_t h = 0; h < NH; ++h) {
      const Real* q_base = qkv + b * T * row_stride + h * HS;     // q of token 0, head h
      const Real* k_base = q_base + C;                            // k of token 0, head h
      const Real* v_base = q_base + 2 * static_cast<int64_t>(C);  // v of token 0, head h

      for (int64_t i = 0; i < T; ++i) {
        const Real* q = q_base + i * row_stride;  // [HS]
        if (!attention_row_has_key(m, T, i, window)) {
          for (int j = 0; j < T; ++j) p[j] = 1.0 / T;
        } else {
          double max = -INFINITY;
          for (int64_t j = 0; j < T; ++j) {
            if (!attention_key_allowed(m, i, j, window)) continue;
            const Real* k = k_base + j * row_stride;  // [HS]
            double dot = 0.0;
            for (int64_t e = 0; e < HS; ++e) dot += static_cast<double>(q[e]) * k[e];
            p[j] = dot * scale;
            max = std::fmax(max, p[j]);
          }
          double sum = 0.0;
          for (int64_t j = 0; j < T; ++j) {
            p[j] = attention_key_allowed(m, i, j, window) ? std::exp(p[j] - max) : 0.0;
            sum += p[j];
          }
          for (int64_t j = 0; j < T; ++j) p[j] /= sum;
        }

        const int64_t prow = ((b * NH + h) * T + i) * T;  // element (b, h, i, 0) of probs
        for (int64_t j = 0; j < T; ++j) {
          probs[prow + j] = static_cast<Real>(p[j]);
          const bool keep = !dropout.active() || dropout_keep(dropout, prow + j);
          d[j] = keep ? p[j] * drop_scale : 0.0;
        }

        Real* o = out + (b * T + i) * C + h * HS;  // [HS]
        for (int64_t e = 0; e < HS; ++e) {
          double acc = 0.0;
          for (int64_t j = 0; j < T; ++j) acc += d[j] * v_base[j * row_stride + e];
          o[e] = static_cast<Real>(acc);
        }
      }
    }
  }
}

// dqkv (assigned) from dout, the saved qkv and probs, and the forward's dropout spec. `dprobs`
// (scratch for the fast kernels) is not used by this oracle.
template <typename Real>
void attention_backward(Real* dqkv,           // [B, T, 3C]
                        Real* dprobs,         // [B, NH, T, T] scratch (unused here)
                        const Real* dout,     // [B, T, C]
                        const Real* qkv,      // [B, T, 3C]
                        const Real* probs,    // [B, NH, T, T] saved by the forward
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C, int NH, DropoutSpec dropout, int window = 0) {
  FT_CHECK(NH > 0 && C % NH == 0, "attention_backward: hidden size ", C,
           " is not a multiple of the head count ", NH);
  const int64_t HS = C / NH;
  const int64_t row_stride = 3 * static_cast<int64_t>(C);
  const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
  const double drop_scale = dropout.active() ? dropout_scale<Real>(dropout) : 1.0;
  // Gradients of one (b, h) pair, accumulated over query rows before one rounding to Real.
  std::vector<double> dq(T * HS), dk(T * HS), dv(T * HS);  // [T, HS] each
  std::vector<double> dp(T), ds(T);                        // [T] one query row

  for (int64_t b = 0; b < B; ++b) {
    const int32_t* m = mask + b * T;  // [T]
    for (int64_t h = 0; h < NH; ++h) {
      const Real* q_base = qkv + b * T * row_stride + h * HS;
      const Real* k_base = q_base + C;
      const Real* v_base = q_base + 2 * static_cast<int64_t>(C);
      std::fill(dq.begin(), dq.end(), 0.0);
      std::fill(dk.begin(), dk.end(), 0.0);
      std::fill(dv.begin(), dv.end(), 0.0);

      for (int64_t i = 0; i < T; ++i) {
        const Real* dy = dout + (b * T + i) * C + h * HS;  // [HS] gradient of out_i
        const int64_t prow = ((b * NH + h) * T + i) * T;   // element (b, h, i, 0) of probs
        double p_dot_dp = 0.0;
        for (int64_t j = 0; j < T; ++j) {
          const bool keep = !dropout.active() || dropout_keep(dropout, prow + j);
          const double d = keep ? probs[prow + j] * drop_scale : 0.0;  // dropped probability
          double dd = 0.0;                                             // dout_i . v_j
          for (int64_t e = 0; e < HS; ++e) {
            const double v = v_base[j * row_stride + e];
            dd += static_cast<double>(dy[e]) * v;
            dv[j * HS + e] += d * dy[e];
          }
          dp[j] = keep ? dd * drop_scale : 0.0;
          p_dot_dp += probs[prow + j] * dp[j];
        }
        const bool any_key = attention_row_has_key(m, T, i, window);
        for (int64_t j = 0; j < T; ++j) {
          ds[j] = any_key ? probs[prow + j] * (dp[j] - p_dot_dp) : 0.0;
        }
        const Real* q = q_base + i * row_stride;  // [HS]
        for (int64_t j = 0; j < T; ++j) {
          const Real* k = k_base + j * row_stride;  // [HS]
          for (int64_t e = 0; e < HS; ++e) {
            dq[i * HS + e] += ds[j] * scale * k[e];
            dk[j * HS + e] += ds[j] * scale * q[e];
          }
        }
      }

      for (int64_t t = 0; t < T; ++t) {
        Real* row = dqkv + (b * T + t) * row_stride + h * HS;  // q part of token t, head h
        for (int64_t e = 0; e < HS; ++e) {
          row[e] = static_cast<Real>(dq[t * HS + e]);
          row[C + e] = static_cast<Real>(dk[t * HS + e]);
          row[2 * static_cast<int64_t>(C) + e] = static_cast<Real>(dv[t * HS + e]);
        }
      }
    }
  }
}

}  // namespace finetune::kernels::ref::math
