// CPU multi-head self-attention core for short sequences (spec and source of truth in
// ref/attention_math.h): per (batch, head) pair, one small sgemm for the scores, a masked softmax
// in place, attention dropout, and one small sgemm for probs @ v; the backward pass is four small
// sgemms per pair around the softmax backward. The (batch, head) pairs run in parallel.
//
// Sequences here are short (T ~ 20-64 for the reference job, at most 512 = the models'
// max_position_embeddings), so a pair's T x T score block fits in L1/L2 and there is no need for
// a tiled/flash formulation. OpenBLAS's small-matrix sgemm beat hand-vectorised loops (q.k dot
// products as `omp simd` reductions, probs @ v as axpys) by 2.4x at T = 22 and T = 128 on the
// development machine (AVX-512), so all products go to sgemm. Called inside our OpenMP loop,
// OpenBLAS (OpenMP build) runs each call on the calling thread, so results do not depend on the
// thread count.
//
// Memory: sgemm writes the scaled scores straight into the pair's block of `probs` (the saved
// output) and the softmax turns them into probabilities in place. Without dropout the second
// sgemm reads them there; with dropout, the dropped and rescaled probabilities of up to
// kDropRows query rows at a time are written to a fixed 32 KiB stack buffer and multiplied from
// there, because `probs` must keep the undropped softmax for the backward pass. The output sgemm
// writes the head's HS columns of `out` (ldc = C), which concatenates the heads for free.
// Nothing is allocated and T is not limited by any buffer.
//
// Backward per pair, with dprobs (the caller's scratch, the size of probs) holding one T x T
// block: (1) dv = d^T @ dout with d the dropped probabilities (probs itself without dropout,
// else d is written into dprobs first); (2) dprobs = dout @ v^T, then the dropout mask and scale
// applied to it; (3) the softmax backward ds = p (dp - rowsum(p dp)) in place; (4) dq = ds @ k and
// dk = ds^T @ q, both scaled by 1/sqrt(HS). dqkv is assigned: every element of the pair's
// columns is written, with zeros for keys past the last real one.
//
// Padding: keys after the last real key of a sequence (right padding, as the tokenizer pads) are
// not computed at all: the products run over n_keys = last real key + 1 only, and the columns
// of probs beyond it are set to 0. Padded keys inside that range get probability exactly 0 and
// contribute 0 * v, as in transformers. A sequence with no real key is uniform over all T keys
// and has no gradient with respect to q and k (see ref/attention_math.h). Every query row,
// padded or not, is computed, as transformers does.
//
// Sliding window (the *_window entry points, kernels/attention.h): with window w > 0 the
// products run over all T keys and a key outside |i - j| <= w gets probability 0 like a padded
// one; a query row with no allowed key is uniform and has no q/k gradient. The T x T products
// are computed in full (a banded formulation would do w/T of the work; not done yet).
//
// Precision: fp32 throughout. A score is a dot product of HS = 64 terms (error ~sqrt(HS) *
// eps32 * scale * sum |q_d k_d|); a softmax error dp is carried to the output as at most
// dp * |v|, plus the fp32 sum over T keys. The backward products have the same structure; the
// error bounds are derived in tests/kernels/attention_test.cpp.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// `out` must not alias `qkv` or `probs`.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>

#include "core/error.h"
#include "kernels/attention.h"
#include "kernels/cpu/dropout_mask.h"
#include "kernels/cpu/threads.h"

namespace finetune::kernels::cpu {
namespace {

// Floats of the stack buffer that holds dropped probabilities in the forward pass (32 KiB).
constexpr int kDropBuffer = 8192;

// Last real key + 1 of a sequence's mask; 0 when there is no real key.
int count_keys(const int32_t* mask,  // [T]
               int T) {
  int n_keys = 0;
  for (int j = 0; j < T; ++j) {
    if (mask[j] != 0) n_keys = j + 1;
  }
  return n_keys;
}

// Whether query i may attend to key j (real, and inside the window when there is one).
inline bool key_allowed(const int32_t* mask, int i, int j, int window) {
  return mask[j] != 0 && (window <= 0 || std::abs(i - j) <= window);
}

// Whether query row i has any allowed key among the first n_keys.
bool row_has_key(const int32_t* mask, int n_keys, int i, int window) {
  const int lo = window > 0 ? std::max(0, i - window) : 0;
  const int hi = window > 0 ? std::min(n_keys, i + window + 1) : n_keys;
  for (int j = lo; j < hi; ++j) {
    if (mask[j] != 0) return true;
  }
  return false;
}

// Sets rows of a [rows, HS] block with row stride `ld` to zero.
void zero_rows(float* x,  // [rows, HS], row stride ld
               int64_t rows, int HS, int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) std::fill(x + r * ld, x + r * ld + HS, 0.0f);
}

}  // namespace

void attention_forward(const Exec& ex,
                       float* out,           // [B, T, C]
                       float* probs,         // [B, NH, T, T]
                       const float* qkv,     // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH, DropoutSpec dropout) {
  attention_forward_window(ex, out, probs, qkv, mask, B, T, C, NH, dropout, 0);
}

void attention_forward_window(const Exec& ex,
                              float* out,           // [B, T, C]
                              float* probs,         // [B, NH, T, T]
                              const float* qkv,     // [B, T, 3C]
                              const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                              int B, int T, int C, int NH, DropoutSpec dropout, int window) {
  FT_CHECK(NH > 0 && C % NH == 0, "attention_forward: hidden size ", C,
           " is not a multiple of the head count ", NH);
  if (B <= 0 || T <= 0 || C <= 0) return;
  const int HS = C / NH;
  const int row_stride = 3 * C;  // one token's row of qkv
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const bool drop = dropout.active();
  const float drop_scale = drop ? dropout_scale(dropout) : 1.0f;
  FT_CHECK(!drop || T <= kDropBuffer, "attention_forward: dropout needs T <= ", kDropBuffer,
           ", got T = ", T);
  const int64_t pairs = static_cast<int64_t>(B) * NH;
  const int64_t work = pairs * T * T * HS;

#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t b = pair / NH;
    const int64_t h = pair % NH;
    const int32_t* m = mask + b * T;  // [T]
    int n_keys = count_keys(m, T);
    // With a window, padded query rows may have no allowed key and be uniform over all T keys.
    if (window > 0 && n_keys > 0) n_keys = T;

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
      for (int i = 0; i < T; ++i) {
        float* row = p + static_cast<int64_t>(i) * T;  // [T]
        if (window > 0 && !row_has_key(m, n_keys, i, window)) {
          std::fill(row, row + T, 1.0f / static_cast<float>(T));  // n_keys == T here
          continue;
        }
        float max = -INFINITY;
        for (int j = 0; j < n_keys; ++j) {
          if (key_allowed(m, i, j, window)) max = std::fmax(max, row[j]);
        }
        float sum = 0.0f;
        for (int j = 0; j < n_keys; ++j) {
          row[j] = key_allowed(m, i, j, window) ? std::exp(row[j] - max) : 0.0f;
          sum += row[j];
        }
        const float inv = 1.0f / sum;  // sum >= 1: the maximum's own term is exp(0)
#pragma omp simd
        for (int j = 0; j < n_keys; ++j) row[j] *= inv;
        std::fill(row + n_keys, row + T, 0.0f);  // trailing padded keys
      }
    }

    if (!drop) {
      // o = p[:, :n_keys] @ v[:n_keys]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, n_keys, 1.0f, p, T, v,
                  row_stride, 0.0f, o, C);
      continue;
    }
    // With dropout: o[i0 : i0 + rows] = d @ v[:n_keys], d the dropped probabilities of those
    // rows (mask element (pair, i, j) is pair * T * T + i * T + j).
    float d[kDropBuffer];
    const int block_rows = std::max(1, kDropBuffer / n_keys);
    for (int i0 = 0; i0 < T; i0 += block_rows) {
      const int rows = std::min(block_rows, T - i0);
      for (int r = 0; r < rows; ++r) {
        const int64_t i = i0 + r;
        apply_dropout_mask(d + static_cast<int64_t>(r) * n_keys, p + i * T, n_keys,
                           static_cast<uint64_t>(pair * T * T + i * T), dropout, drop_scale);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, HS, n_keys, 1.0f, d, n_keys, v,
                  row_stride, 0.0f, o + static_cast<int64_t>(i0) * C, C);
    }
  }
}

void attention_backward(const Exec& ex,
                        float* dqkv,          // [B, T, 3C]
                        float* dprobs,        // [B, NH, T, T] scratch
                        const float* dout,    // [B, T, C]
                        const float* qkv,     // [B, T, 3C]
                        const float* probs,   // [B, NH, T, T] saved by the forward
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C, int NH, DropoutSpec dropout) {
  attention_backward_window(ex, dqkv, dprobs, dout, qkv, probs, mask, B, T, C, NH, dropout, 0);
}

void attention_backward_window(const Exec& ex,
                               float* dqkv,          // [B, T, 3C]
                               float* dprobs,        // [B, NH, T, T] scratch
                               const float* dout,    // [B, T, C]
                               const float* qkv,     // [B, T, 3C]
                               const float* probs,   // [B, NH, T, T] saved by the forward
                               const int32_t* mask,  // [B, T]
                               int B, int T, int C, int NH, DropoutSpec dropout, int window) {
  FT_CHECK(NH > 0 && C % NH == 0, "attention_backward: hidden size ", C,
           " is not a multiple of the head count ", NH);
  if (B <= 0 || T <= 0 || C <= 0) return;
  const int HS = C / NH;
  const int row_stride = 3 * C;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const bool drop = dropout.active();
  const float drop_scale = drop ? dropout_scale(dropout) : 1.0f;
  const int64_t pairs = static_cast<int64_t>(B) * NH;
  const int64_t work = pairs * T * T * HS;

#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t b = pair / NH;
    const int64_t h = pair % NH;
    const int32_t* m = mask + b * T;  // [T]
    const int key_count = count_keys(m, T);
    const bool any_key = key_count > 0;
    // No real key: uniform over all T. With a window, a padded query may be uniform too.
    const int n_keys = any_key && window <= 0 ? key_count : T;

    const float* q = qkv + b * T * row_stride + h * HS;          // [T, HS], row stride 3C
    const float* k = q + C;                                      // [T, HS], row stride 3C
    const float* v = q + 2 * static_cast<int64_t>(C);            // [T, HS], row stride 3C
    const float* dy = dout + b * T * C + h * HS;                 // [T, HS], row stride C
    const float* p = probs + pair * T * T;                       // [T, T]
    float* dp = dprobs + pair * T * T;                           // [T, T] scratch
    float* dq = dqkv + b * T * row_stride + h * HS;              // [T, HS], row stride 3C
    float* dk = dq + C;                                          // [T, HS], row stride 3C
    float* dv = dq + 2 * static_cast<int64_t>(C);                // [T, HS], row stride 3C
    const uint64_t first = static_cast<uint64_t>(pair) * T * T;  // mask index of (pair, 0, 0)

    // (1) dv[:n_keys] = d[:, :n_keys]^T @ dout, d = dropped probabilities.
    const float* d = p;
    if (drop) {
      for (int64_t i = 0; i < T; ++i) {
        apply_dropout_mask(dp + i * T, p + i * T, n_keys, first + i * T, dropout, drop_scale);
      }
      d = dp;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_keys, HS, T, 1.0f, d, T, dy, C, 0.0f, dv,
                row_stride);
    zero_rows(dv + static_cast<int64_t>(n_keys) * row_stride, T - n_keys, HS, row_stride);

    if (!any_key) {
      // The uniform rows do not depend on q or k.
      zero_rows(dq, T, HS, row_stride);
      zero_rows(dk, T, HS, row_stride);
      continue;
    }

    // (2) dp[:, :n_keys] = dout @ v[:n_keys]^T, then through the dropout mask.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, n_keys, HS, 1.0f, dy, C, v, row_stride,
                0.0f, dp, T);
    // (3) ds = p (dp - sum_j p dp), in place. Padded keys have p = 0 and get ds = 0.
    for (int i = 0; i < T; ++i) {
      float* row = dp + static_cast<int64_t>(i) * T;        // [T]
      const float* prow = p + static_cast<int64_t>(i) * T;  // [T]
      if (window > 0 && !row_has_key(m, T, i, window)) {
        std::fill(row, row + T, 0.0f);  // a uniform row does not depend on q or k
        continue;
      }
      if (drop) {
        apply_dropout_mask(row, row, n_keys, first + static_cast<uint64_t>(i) * T, dropout,
                           drop_scale);
      }
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j < n_keys; ++j) dot += prow[j] * row[j];
#pragma omp simd
      for (int j = 0; j < n_keys; ++j) row[j] = prow[j] * (row[j] - dot);
    }
    // (4) dq = scale * ds @ k[:n_keys];  dk[:n_keys] = scale * ds^T @ q.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, n_keys, scale, dp, T, k,
                row_stride, 0.0f, dq, row_stride);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_keys, HS, T, scale, dp, T, q, row_stride,
                0.0f, dk, row_stride);
    zero_rows(dk + static_cast<int64_t>(n_keys) * row_stride, T - n_keys, HS, row_stride);
  }
}

}  // namespace finetune::kernels::cpu
