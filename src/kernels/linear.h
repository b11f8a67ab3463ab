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

// Gradients of out = in @ weight^T + bias: din = dout @ weight (assigned; skipped when null),
// dweight += dout^T @ in, dbias += column sums of dout (skipped when null). Parameter gradients
// accumulate, activation gradients are assigned (DESIGN.md principle 1).
void linear_backward(const Exec& ex,
                     float* din,           // [N, IC] or null
                     float* dweight,       // [OC, IC]
                     float* dbias,         // [OC] or null
                     const float* dout,    // [N, OC]
                     const float* in,      // [N, IC]
                     const float* weight,  // [OC, IC]
                     int N, int IC, int OC);
}  // namespace ref

namespace cpu {
decltype(ref::linear_forward) linear_forward;
decltype(ref::linear_backward) linear_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::linear_forward) linear_forward;
decltype(ref::linear_backward) linear_backward;
}  // namespace cuda

}  // namespace finetune::kernels
