// The per-step scalars of the CUDA adam_step, computed on the host by adam_scalars.cpp.
//
// They come from ref::math::AdamScalars<float> (ref/optimizer_math.h), the code ref:: and cpu::
// use, compiled by the host C++ compiler with that header's floating-point-contraction guard in
// force (nvcc's front end does not honour GCC's `optimize` pragma, so the .cu file must not
// derive them itself). Plain C++: no CUDA types.
//
// Dimension legend: none (scalars only).
#pragma once

#include "kernels/optimizer.h"

namespace finetune::kernels::cuda {

// Per-step scalars in float, as the element update uses them.
struct AdamScalarsF {
  float gs;        // grad_scale
  float decay;     // 1 - lr * weight_decay
  float wd;        // weight_decay
  float c1;        // lerp coefficient: w1 = 1 - beta1 when w1 < 0.5, else w1 - 1
  float beta2;     // beta2
  float w2;        // 1 - beta2
  float bc2_sqrt;  // bias_correction2 ** 0.5
  float eps;       // eps
  float neg_step;  // -(lr / bias_correction1)
  bool small_w1;   // w1 < 0.5: ATen's lerp takes its first branch
  bool decoupled;  // AdamW with weight decay: p *= decay
  bool coupled;    // Adam with weight decay: g += wd * p
};

AdamScalarsF adam_scalars(const AdamParams& hp);

}  // namespace finetune::kernels::cuda
