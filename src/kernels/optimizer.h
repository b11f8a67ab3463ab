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

#include <cstdint>

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
  // cuda:: only: when set, the kernel also writes each updated parameter rounded to bf16
  // (__float2bfloat16_rn) to bf16_params[i] (a __nv_bfloat16 array laid out like params): the
  // bf16 copy of the weights that bf16 matrix products read (kernels/cuda/shadow.h), kept in
  // step for 2 bytes per parameter instead of being converted again on every product.
  void* bf16_params = nullptr;
};

namespace ref {
void adam_step(const Exec& ex,
               float* params,       // [N]
               float* m,            // [N] first moment
               float* v,            // [N] second moment
               const float* grads,  // [N]
               long N, AdamParams hp);

// adam_step over `rows` rows of `row_length` values (an embedding table), skipping exactly the
// rows it cannot change. row_active[r] == 0 promises that row r's moments are all zero (as they
// are before a row's first gradient); a row with row_active[r] == 0 whose gradient is all zeros
// (+0 or -0) is then left untouched, because without weight decay Adam maps
// (p, m = 0, v = 0, g = 0) to (p, 0, 0) bit for bit: m' = fma(w1, 0, 0) = +0, v' = +0 and the step
// is (-lr/bc1 * 0) / eps = -0, which leaves p as it is (p + -0 == p, also for p = -0). Every
// other row is updated exactly as adam_step would, and its row_active becomes 1. Hence the
// result equals adam_step bit for bit while the untouched rows cost one read of their gradient
// instead of 28 bytes per value: on emotion, 58% of DistilBERT's 30,522 word-embedding rows are
// never used. Needs hp.weight_decay == 0 (with decay every row changes every step), hp.eps > 0
// (eps = 0 would make the dense step 0/0) and a finite grad_scale (0 * inf is not 0); the ops
// layer checks them.
void adam_step_rows(const Exec& ex,
                    float* params,        // [rows, row_length]
                    float* m,             // [rows, row_length]
                    float* v,             // [rows, row_length]
                    const float* grads,   // [rows, row_length]
                    uint8_t* row_active,  // [rows] in/out
                    long rows, long row_length, AdamParams hp);

// *out = sum_i x_i^2 (accumulated in double on CPU), for the global gradient norm.
void sum_of_squares(const Exec& ex,
                    double* out,     // [1], host memory
                    const float* x,  // [N]
                    long N);
}  // namespace ref

namespace cpu {
decltype(ref::adam_step) adam_step;
decltype(ref::adam_step_rows) adam_step_rows;
decltype(ref::sum_of_squares) sum_of_squares;
}  // namespace cpu
namespace cuda {
decltype(ref::adam_step) adam_step;
decltype(ref::adam_step_rows) adam_step_rows;
decltype(ref::sum_of_squares) sum_of_squares;
}  // namespace cuda

}  // namespace finetune::kernels
