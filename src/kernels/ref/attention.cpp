// Reference multi-head self-attention core: the readable specification and the oracle for cpu::
// and cuda::.
//
// Source of truth: transformers' BertSelfAttention (eager path) and DistilBERT's
// MultiHeadSelfAttention. For batch b, head h and query token i:
//   s_j   = (q_i . k_j) / sqrt(HS)                  for every key token j
//   s_j  += finfo(float32).min  where mask[b, j] == 0   (padded key)
//   p_j   = softmax_j(s)                            (saved in probs[b, h, i, :])
//   out_i = sum_j p_j v_j                           (written to columns h*HS .. h*HS+HS-1)
// With the huge negative bias a padded key's probability is exactly 0 in float32, so here the
// padded keys are left out of the softmax and get probability 0. If a row has no real key, every
// score gets the same bias, which float32 absorbs completely (|s| << ulp(finfo.min)), so the
// softmax is uniform over all T keys; this oracle writes exactly that. Query rows of padded
// tokens are computed like any other (the model ignores them downstream).
//
// Scores, softmax and the weighted sum are all in double; probs are rounded to float once.
// This oracle allocates a small score row with std::vector, which is fine because ref:: never
// runs in the training step (the cpu:: kernel allocates nothing).
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// qkv rows hold [q | k | v], each C wide; head h uses columns h*HS .. h*HS+HS-1 of each part.
#include "kernels/attention.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace finetune::kernels::ref {

void attention_forward(const Exec& ex,
                       float* out,           // [B, T, C]
                       float* probs,         // [B, NH, T, T]
                       const float* qkv,     // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH) {
  FT_CHECK(NH > 0 && C % NH == 0, "attention_forward: hidden size ", C,
           " is not a multiple of the head count ", NH);
  const int64_t HS = C / NH;
  const int64_t row_stride = 3 * static_cast<int64_t>(C);  // one token's row of qkv
  const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
  std::vector<double> p(T);  // [T] probabilities of one query row

  for (int64_t b = 0; b < B; ++b) {
    const int32_t* m = mask + b * T;  // [T]
    bool any_key = false;
    for (int j = 0; j < T; ++j) any_key = any_key || m[j] != 0;

    for (int64_t h = 0; h < NH; ++h) {
      const float* q_base = qkv + b * T * row_stride + h * HS;     // q of token 0, head h
      const float* k_base = q_base + C;                            // k of token 0, head h
      const float* v_base = q_base + 2 * static_cast<int64_t>(C);  // v of token 0, head h

      for (int64_t i = 0; i < T; ++i) {
        const float* q = q_base + i * row_stride;  // [HS]
        if (!any_key) {
          for (int j = 0; j < T; ++j) p[j] = 1.0 / T;
        } else {
          double max = -INFINITY;
          for (int64_t j = 0; j < T; ++j) {
            if (m[j] == 0) continue;
            const float* k = k_base + j * row_stride;  // [HS]
            double dot = 0.0;
            for (int64_t d = 0; d < HS; ++d) dot += static_cast<double>(q[d]) * k[d];
            p[j] = dot * scale;
            max = std::fmax(max, p[j]);
          }
          double sum = 0.0;
          for (int64_t j = 0; j < T; ++j) {
            p[j] = m[j] != 0 ? std::exp(p[j] - max) : 0.0;
            sum += p[j];
          }
          for (int64_t j = 0; j < T; ++j) p[j] /= sum;
        }

        float* p_out = probs + ((b * NH + h) * T + i) * T;  // [T]
        for (int64_t j = 0; j < T; ++j) p_out[j] = static_cast<float>(p[j]);

        float* o = out + (b * T + i) * C + h * HS;  // [HS]
        for (int64_t d = 0; d < HS; ++d) {
          double acc = 0.0;
          for (int64_t j = 0; j < T; ++j) acc += p[j] * v_base[j * row_stride + d];
          o[d] = static_cast<float>(acc);
        }
      }
    }
  }
}

}  // namespace finetune::kernels::ref
