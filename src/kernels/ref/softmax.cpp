// Reference row-wise softmax: the readable specification and the oracle for cpu:: and cuda::.
//
// Source of truth: torch.softmax(x, dim=-1) = exp(x - max x) / sum exp(x - max x). Subtracting
// the row maximum changes nothing mathematically and keeps exp from overflowing. Computed in
// double and rounded once per element.
//
// Dimension legend: N rows, K classes.
#include "kernels/softmax.h"

#include <cmath>
#include <cstdint>

namespace finetune::kernels::ref {

void softmax_forward(const Exec& ex,
                     float* out,       // [N, K]
                     const float* in,  // [N, K]
                     int N, int K) {
  for (int64_t n = 0; n < N; ++n) {
    const float* x = in + n * K;  // [K]
    float* y = out + n * K;       // [K]
    double max = -INFINITY;
    for (int k = 0; k < K; ++k) max = std::fmax(max, static_cast<double>(x[k]));
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += std::exp(x[k] - max);
    for (int k = 0; k < K; ++k) y[k] = static_cast<float>(std::exp(x[k] - max) / sum);
  }
}

}  // namespace finetune::kernels::ref
