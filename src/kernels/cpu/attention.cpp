// CPU multi-head self-attention core for short sequences (spec and source of truth in
// ref/attention.cpp): per (batch, head) pair, one small sgemm for the scores, a masked softmax
// in place, and one small sgemm for probs @ v. The (batch, head) pairs run in parallel.
//
// Sequences here are short (T ~ 20-64 for the reference job, at most 512 = the models'
// max_position_embeddings), so a pair's T x T score block fits in L1/L2 and there is no need for
// a tiled/flash formulation. OpenBLAS's small-matrix sgemm beat hand-vectorised loops (q.k dot
// products as `omp simd` reductions, probs @ v as axpys) by 2.4x at T = 22 and T = 128 on the
// development machine (AVX-512), so both products go to sgemm. Called inside our OpenMP loop,
// OpenBLAS (OpenMP build) runs each call on the calling thread.
//
// Memory: no scratch. sgemm writes the scaled scores straight into the pair's block of `probs`
// (the saved output), the softmax turns them into probabilities in place, and the second sgemm
// writes the head's HS columns of `out` (ldc = C), which concatenates the heads for free.
// Nothing is allocated and T is not limited by any buffer.
//
// Padding: keys after the last real key of a sequence (right padding, as the tokenizer pads) are
// not computed at all: both products run over n_keys = last real key + 1 only, and the columns
// of probs beyond it are set to 0. Padded keys inside that range get probability exactly 0 and
// contribute 0 * v, as in transformers. A sequence with no real key is uniform over all T keys
// (see ref/attention.cpp). Every query row, padded or not, is computed, as transformers does.
//
// Precision: fp32 throughout. A score is a dot product of HS = 64 terms (error ~sqrt(HS) *
// eps32 * scale * sum |q_d k_d|); a softmax error dp is carried to the output as at most
// dp * |v|, plus the fp32 sum over T keys. Tests: tests/kernels/attention_test.cpp.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// `out` must not alias `qkv` or `probs`.
#include <cblas.h>

#include <algorithm>
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
  if (B <= 0 || T <= 0 || C <= 0) return;
  const int HS = C / NH;
  const int row_stride = 3 * C;  // one token's row of qkv
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int64_t pairs = static_cast<int64_t>(B) * NH;
  const int64_t work = pairs * T * T * HS;

#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t b = pair / NH;
    const int64_t h = pair % NH;
    const int32_t* m = mask + b * T;  // [T]
    int n_keys = 0;                   // last real key + 1; 0 when there is none
    for (int j = 0; j < T; ++j) {
      if (m[j] != 0) n_keys = j + 1;
    }

    const float* q = qkv + b * T * row_stride + h * HS;  // [T, HS], row stride 3C
    const float* k = q + C;                              // [T, HS], row stride 3C
    const float* v = q + 2 * static_cast<int64_t>(C);    // [T, HS], row stride 3C
    float* p = probs + pair * T * T;                     // [T, T]
    float* o = out + b * T * C + h * HS;                 // [T, HS], row stride C

    if (n_keys == 0) {
      // No real key: uniform over all T keys; out = mean of v, as the product below computes.
      std::fill(p, p + static_cast<int64_t>(T) * T, 1.0f / static_cast<float>(T));
      n_keys = T;
    } else {
      // p[:, :n_keys] = scale * q k^T
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, n_keys, HS, scale, q, row_stride, k,
                  row_stride, 0.0f, p, T);
      for (int64_t i = 0; i < T; ++i) {
        float* row = p + i * T;  // [T]
        float max = -INFINITY;
        for (int j = 0; j < n_keys; ++j) {
          if (m[j] != 0) max = std::fmax(max, row[j]);
        }
        float sum = 0.0f;
        for (int j = 0; j < n_keys; ++j) {
          row[j] = m[j] != 0 ? std::exp(row[j] - max) : 0.0f;
          sum += row[j];
        }
        const float inv = 1.0f / sum;  // sum >= 1: the maximum's own term is exp(0)
#pragma omp simd
        for (int j = 0; j < n_keys; ++j) row[j] *= inv;
        std::fill(row + n_keys, row + T, 0.0f);  // trailing padded keys
      }
    }
    // o = p[:, :n_keys] @ v[:n_keys]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, n_keys, 1.0f, p, T, v, row_stride,
                0.0f, o, C);
  }
}

}  // namespace finetune::kernels::cpu
