// Row-wise softmax as a template over the storage type: the readable specification behind
// ref::softmax_forward. Convention (Real storage, arithmetic in double, one rounding per stored
// value): see ref/linear_math.h.
//
// Source of truth: torch.softmax(x, dim=-1) = exp(x - max x) / sum exp(x - max x). Subtracting
// the row maximum changes nothing mathematically and keeps exp from overflowing.
//
// Dimension legend: N rows, K classes. `out` may alias `in`.
#pragma once

#include <cmath>
#include <cstdint>

namespace finetune::kernels::ref::math {

template <typename Real>
void softmax_forward(Real* out,       // [N, K]
                     const Real* in,  // [N, K]
                     int N, int K) {
  for (int64_t n = 0; n < N; ++n) {
    const Real* x = in + n * K;  // [K]
    Real* y = out + n * K;       // [K]
    double max = -INFINITY;
    for (int k = 0; k < K; ++k) max = std::fmax(max, static_cast<double>(x[k]));
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += std::exp(x[k] - max);
    // Every x[k] is read (for the sum) before the first y[k] is written, so out may alias in.
    for (int k = 0; k < K; ++k) y[k] = static_cast<Real>(std::exp(x[k] - max) / sum);
  }
}

}  // namespace finetune::kernels::ref::math
