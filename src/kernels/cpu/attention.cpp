// CPU multi-head self-attention core for short sequences (spec and source of truth in
// ref/attention.cpp): scores, masked softmax and probs @ v, one (batch, head) pair per task.
//
// Sequences here are short (T ~ 20-64 for the reference job, at most 512 = the models'
// max_position_embeddings), so a (batch, head) pair's whole T x T score block fits in L1/L2 and
// there is no need for a tiled/flash formulation or for sgemm calls (whose per-call overhead
// exceeds the work of a 22 x 64 x 22 product). The kernel needs no scratch memory at all: the
// scores of a query row are written straight into its row of `probs` (the saved output) and
// turned into probabilities in place, and the head's output columns of `out` are accumulated
// in place. Nothing is allocated; T is not limited by any buffer.
//
// Inner loops run over the head dimension (contiguous in qkv and out): the q.k dot products are
// `omp simd` reductions and the probs @ v update is an axpy per key, both vectorised.
// Padded keys get probability exactly 0 and are skipped in probs @ v; a row with no real key is
// uniform over all T keys, as transformers' finfo.min bias gives.
//
// Precision: fp32 throughout. A score is a dot product of HS = 64 terms (error ~sqrt(HS) * eps32
// of sum |q_d k_d| / sqrt(HS)); a softmax error dp is amplified to at most dp * max|v| in the
// output. Tests bound both: tests/kernels/attention_test.cpp.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// `out` must not alias `qkv` or `probs`.
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "kernels/attention.h"
#include "kernels/cpu/threads.h"

namespace finetune::kernels::cpu {

void attention_forward(const Exec& ex,
                       float* out,           // [B, T, C]
                       float* probs,         // [B, NH, T, T]
                       const float* qkv,     // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH) {
  FT_CHECK(NH > 0 && C % NH == 0, "attention_forward: hidden size ", C,
           " is not a multiple of the head count ", NH);
  const int HS = C / NH;
  const int64_t row_stride = 3 * static_cast<int64_t>(C);  // one token's row of qkv
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int64_t pairs = static_cast<int64_t>(B) * NH;
  const int64_t work = pairs * T * T * HS;

#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t b = pair / NH;
    const int64_t h = pair % NH;
    const int32_t* m = mask + b * T;  // [T]
    bool any_key = false;
    for (int j = 0; j < T; ++j) any_key = any_key || m[j] != 0;

    const float* q_base = qkv + b * T * row_stride + h * HS;     // q of token 0, head h
    const float* k_base = q_base + C;                            // k of token 0, head h
    const float* v_base = q_base + 2 * static_cast<int64_t>(C);  // v of token 0, head h

    for (int64_t i = 0; i < T; ++i) {
      const float* q = q_base + i * row_stride;  // [HS]
      float* p = probs + (pair * T + i) * T;     // [T], scores then probabilities
      float* o = out + (b * T + i) * C + h * HS; // [HS]

      if (!any_key) {
        const float uniform = 1.0f / static_cast<float>(T);
        for (int j = 0; j < T; ++j) p[j] = uniform;
      } else {
        float max = -INFINITY;
        for (int64_t j = 0; j < T; ++j) {
          if (m[j] == 0) continue;
          const float* k = k_base + j * row_stride;  // [HS]
          float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
          for (int d = 0; d < HS; ++d) dot += q[d] * k[d];
          p[j] = dot * scale;
          max = std::fmax(max, p[j]);
        }
        float sum = 0.0f;
        for (int j = 0; j < T; ++j) {
          p[j] = m[j] != 0 ? std::exp(p[j] - max) : 0.0f;
          sum += p[j];
        }
        const float inv = 1.0f / sum;  // sum >= 1: the maximum's term is exp(0)
#pragma omp simd
        for (int j = 0; j < T; ++j) p[j] *= inv;
      }

#pragma omp simd
      for (int d = 0; d < HS; ++d) o[d] = 0.0f;
      for (int64_t j = 0; j < T; ++j) {
        const float pj = p[j];
        if (pj == 0.0f) continue;  // padded key (or an exp that underflowed): adds nothing
        const float* v = v_base + j * row_stride;  // [HS]
#pragma omp simd
        for (int d = 0; d < HS; ++d) o[d] += pj * v[d];
      }
    }
  }
}

}  // namespace finetune::kernels::cpu
