// Linear layers: out = in @ weight^T + bias, the layout of torch.nn.Linear.
//
// Dimension legend: N rows (B*T tokens, or B sequences), IC input features, OC output features.
// Weights are [OC, IC] row-major exactly as Hugging Face checkpoints store them, so a checkpoint
// tensor is used in place, with no transpose.
//
// Backends (DESIGN.md): ref:: is the oracle (plain loops, double accumulation), cpu:: uses BLAS
// sgemm, cuda:: comes from the CUDA backend. `decltype(ref::f)` makes the compiler hold all
// three to one signature.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
// out = in @ weight^T + bias. `bias` may be null (no bias).
void linear_forward(const Exec& ex,
                    float* out,           // [N, OC]
                    const float* in,      // [N, IC]
                    const float* weight,  // [OC, IC]
                    const float* bias,    // [OC] or null
                    int N, int IC, int OC);
}  // namespace ref

namespace cpu {
decltype(ref::linear_forward) linear_forward;
}
namespace cuda {
decltype(ref::linear_forward) linear_forward;
}

}  // namespace finetune::kernels
