// Reference linear layer: the readable specification and the oracle for cpu:: and cuda::.
//
// Source of truth: torch.nn.Linear, y = x W^T + b with W stored [out_features, in_features]
// (the layout of every Hugging Face checkpoint). Each output is one dot product, accumulated in
// double so that this oracle's own rounding (~1e-16 relative) is negligible next to the fp32
// error of the kernels it checks.
//
// Dimension legend: N rows, IC input features, OC output features.
#include "kernels/linear.h"

#include <cstdint>

namespace finetune::kernels::ref {

void linear_forward(const Exec& ex,
                    float* out,           // [N, OC]
                    const float* in,      // [N, IC]
                    const float* weight,  // [OC, IC]
                    const float* bias,    // [OC] or null
                    int N, int IC, int OC) {
  for (int64_t n = 0; n < N; ++n) {
    const float* x = in + n * IC;  // [IC]
    for (int64_t o = 0; o < OC; ++o) {
      const float* w = weight + o * IC;  // [IC], row o of W is column o of W^T
      double acc = bias ? static_cast<double>(bias[o]) : 0.0;
      for (int64_t i = 0; i < IC; ++i) acc += static_cast<double>(x[i]) * w[i];
      out[n * OC + o] = static_cast<float>(acc);
    }
  }
}

}  // namespace finetune::kernels::ref
