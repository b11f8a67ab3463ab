// The optimizer step over the flat parameter buffer, and the global gradient norm for clipping.
//
// Source of truth: torch.optim.AdamW and torch.optim.Adam (PyTorch 2.x `_single_tensor_adam`,
// no amsgrad, not maximize, not capturable), per element with g = grad * grad_scale
// (grad_scale folds in clip_grad_norm_'s clip coefficient, which PyTorch multiplies into the
// gradients in fp32 before the step):
//   AdamW (decoupled):  p = p * (1 - lr * weight_decay)            param.mul_(1 - lr * wd)
//   Adam  (coupled L2): g = g + weight_decay * p                   grad.add(param, alpha=wd)
//   m = m + (1 - beta1) * (g - m)                                  exp_avg.lerp_(grad, 1 - b1)
//   v = v * beta2 + ((1 - beta2) * g) * g                          exp_avg_sq.mul_(b2)
//                                                                    .addcmul_(g, g, value=1 - b2)
//   denom = sqrt(v) / sqrt(bias_correction2) + eps                 (exp_avg_sq.sqrt() / bc2_sqrt)
//                                                                    .add_(eps)
//   p = p + (-(lr / bias_correction1) * m) / denom                 param.addcdiv_(exp_avg, denom,
//                                                                    value=-step_size)
// with bias_correction{1,2} = 1 - beta{1,2}^step computed by the caller in double, exactly as
// PyTorch's Python does (`1 - beta1 ** step`). The hyperparameters are doubles because PyTorch
// derives every per-step scalar (1 - lr*wd, 1 - beta2, lr / bias_correction1, ...) in double
// from Python floats and rounds it to fp32 only when the tensor op uses it; doing the same is
// what lets the fp32 result match PyTorch bit for bit. The element-wise order of operations,
// including the three fused multiply-adds of PyTorch's vectorised CPU kernels (lerp, addcmul,
// add with alpha), is written out in ref/optimizer_math.h.
//
// All parameters, their gradients and both moments live in four flat buffers with the same
// layout, so one pass updates the whole model.
//
// Dimension legend: N parameters.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

struct AdamParams {
  double lr = 5e-5;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled = true;          // true: AdamW; false: Adam with L2 added to the gradient
  double bias_correction1 = 1.0;  // 1 - beta1^step
  double bias_correction2 = 1.0;  // 1 - beta2^step
  float grad_scale = 1.0f;        // multiplies every gradient first (clipping), in fp32
  // cuda:: only (ref:: and cpu:: ignore it; the CPU trainer checks gradients itself): where to
  // record the first gradient that is not finite, for free, since the update reads every
  // gradient anyway. The kernel combines UINT64_MAX - (non_finite_offset + i) into this device
  // counter with atomicMax, so after the step it holds 0 (none found; the caller zeroes it) or
  // UINT64_MAX minus the lowest such index (train/health.h decodes it).
  unsigned long long* non_finite_flag = nullptr;
  int64_t non_finite_offset = 0;
};

namespace ref {
void adam_step(const Exec& ex,
               float* params,       // [N]
               float* m,            // [N] first moment
               float* v,            // [N] second moment
               const float* grads,  // [N]
               long N, AdamParams hp);

// *out = sum_i x_i^2 (accumulated in double on CPU), for the global gradient norm.
void sum_of_squares(const Exec& ex,
                    double* out,     // [1], host memory
                    const float* x,  // [N]
                    long N);
}  // namespace ref

namespace cpu {
decltype(ref::adam_step) adam_step;
decltype(ref::sum_of_squares) sum_of_squares;
}  // namespace cpu
namespace cuda {
decltype(ref::adam_step) adam_step;
decltype(ref::sum_of_squares) sum_of_squares;
}  // namespace cuda

}  // namespace finetune::kernels
