// CPU row-wise softmax (torch.softmax(dim=-1); spec in ref/softmax.cpp), rows in parallel.
//
// Precision: fp32 throughout. Each output is exp(x - max) / sum with |x - max| <= the row range;
// std::exp is correctly rounded to within an ulp and the sum of K positive terms has relative
// error <= K * eps32 (~4e-7 for K = 6 labels), so outputs are within a few eps32 relative.
//
// Dimension legend: N rows, K classes. `out` may alias `in`.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/threads.h"
#include "kernels/softmax.h"

namespace finetune::kernels::cpu {

void softmax_forward(const Exec& ex,
                     float* out,       // [N, K]
                     const float* in,  // [N, K]
                     int N, int K) {
  const int64_t work = static_cast<int64_t>(N) * K;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* x = in + n * K;  // [K]
    float* y = out + n * K;       // [K]
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (int k = 0; k < K; ++k) max = std::fmax(max, x[k]);
    float sum = 0.0f;
    for (int k = 0; k < K; ++k) {
      y[k] = std::exp(x[k] - max);
      sum += y[k];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int k = 0; k < K; ++k) y[k] *= inv;
  }
}

}  // namespace finetune::kernels::cpu
