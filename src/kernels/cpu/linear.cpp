// CPU linear layer: out = in @ weight^T + bias with one OpenBLAS sgemm, and its backward pass
// with two (din = dout @ W, dweight += dout^T @ in) plus a vectorised column sum for dbias.
//
// Source of truth: torch.nn.Linear (see ref/linear.cpp for the spec). The weight is [OC, IC]
// row-major as checkpoints store it, which is exactly "B transposed" for a row-major sgemm, so
// it is used in place with no copy.
//
// Bias: the rows of `out` are first filled with the bias and sgemm then runs with beta = 1, so
// the bias costs one write pass over `out` and no extra read-modify-write pass. (OpenBLAS makes
// its own pass over C for any beta other than 1, so beta = 0 plus a separate bias pass would
// touch `out` three times.) Without a bias, sgemm runs with beta = 0, which overwrites `out`
// (its previous contents, even NaN, are ignored).
//
// Precision: fp32 products and fp32 accumulation inside OpenBLAS's blocked kernels (FMA). The
// error of one output is bounded by ~IC * eps32 * sum_i |x_i w_i| in the worst case and is
// ~sqrt(IC) * eps32 * sum_i |x_i w_i| in practice, i.e. ~2e-6 relative for IC = 768; this is
// also what PyTorch's CPU Linear (MKL/OpenBLAS sgemm) does. The backward products are the same
// kind of sums, over OC terms (din) and over N rows (dweight, dbias), with the same error model.
// Tests: tests/kernels/linear_test.cpp (cpu vs ref) and tests/kernels/backward_fd_test.cpp (the
// gradient formulas against finite differences).
//
// Backward layouts, all row-major and used in place: din [N, IC] = dout [N, OC] @ W [OC, IC] is
// sgemm NN; dweight [OC, IC] += dout^T @ in is sgemm TN with beta = 1 (the accumulation of
// DESIGN.md principle 1 comes free with beta); dbias [OC] += column sums of dout.
//
// Dimension legend: N rows, IC input features, OC output features.
#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/threads.h"
#include "kernels/linear.h"

namespace finetune::kernels::cpu {

void linear_forward(const Exec& ex,
                    float* out,           // [N, OC]
                    const float* in,      // [N, IC]
                    const float* weight,  // [OC, IC]
                    const float* bias,    // [OC] or null
                    int N, int IC, int OC) {
  if (N <= 0 || OC <= 0) return;
  if (bias || IC <= 0) {
    const int64_t work = static_cast<int64_t>(N) * OC;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
    for (int64_t n = 0; n < N; ++n) {
      float* row = out + n * OC;  // [OC]
      if (bias) {
        std::copy(bias, bias + OC, row);
      } else {
        std::fill(row, row + OC, 0.0f);  // IC == 0: the empty sum
      }
    }
  }
  if (IC <= 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, in, IC, weight, IC,
              bias ? 1.0f : 0.0f, out, OC);
}

namespace {

// Columns per block of the dbias column sum: the block's partial sums stay in registers/L1 while
// the rows stream past, and blocks are independent, so they run in parallel with no reduction
// across threads (the result does not depend on the thread count).
constexpr int kBiasBlock = 256;

// dbias[o] += sum_n dout[n, o]. Each column is summed over the rows in order into a float
// partial sum, then added to dbias once.
void add_column_sums(float* dbias,       // [OC]
                     const float* dout,  // [N, OC]
                     int N, int OC) {
  const int blocks = (OC + kBiasBlock - 1) / kBiasBlock;
  const int64_t work = static_cast<int64_t>(N) * OC;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int blk = 0; blk < blocks; ++blk) {
    const int o0 = blk * kBiasBlock;
    const int width = std::min(kBiasBlock, OC - o0);
    float acc[kBiasBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const float* row = dout + n * OC + o0;  // [width]
#pragma omp simd
      for (int j = 0; j < width; ++j) acc[j] += row[j];
    }
#pragma omp simd
    for (int j = 0; j < width; ++j) dbias[o0 + j] += acc[j];
  }
}

}  // namespace

void linear_backward(const Exec& ex,
                     float* din,           // [N, IC] or null
                     float* dweight,       // [OC, IC]
                     float* dbias,         // [OC] or null
                     const float* dout,    // [N, OC]
                     const float* in,      // [N, IC]
                     const float* weight,  // [OC, IC]
                     int N, int IC, int OC) {
  if (N <= 0) return;  // empty sums: din has no rows, the parameter gradients gain nothing
  if (din && IC > 0) {
    if (OC > 0) {
      // din = dout @ W (beta = 0 overwrites whatever din held)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC, weight, IC,
                  0.0f, din, IC);
    } else {
      std::memset(din, 0, sizeof(float) * static_cast<size_t>(N) * IC);  // the empty sum
    }
  }
  if (OC <= 0) return;
  if (IC > 0) {
    // dweight += dout^T @ in
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, in, IC, 1.0f,
                dweight, IC);
  }
  if (dbias) add_column_sums(dbias, dout, N, OC);
}

}  // namespace finetune::kernels::cpu
