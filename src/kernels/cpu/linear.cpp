// CPU linear layer: out = in @ weight^T + bias with one OpenBLAS sgemm.
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
// also what PyTorch's CPU Linear (MKL/OpenBLAS sgemm) does. Tests: tests/kernels/linear_test.cpp.
//
// Dimension legend: N rows, IC input features, OC output features.
#include <cblas.h>

#include <algorithm>
#include <cstdint>

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

}  // namespace finetune::kernels::cpu
