// The Adam/AdamW update and the sum of squares as templates over the storage type: the readable
// specification behind ref::adam_step and ref::sum_of_squares.
//
// Unlike the other ref/<op>_math.h files (arithmetic in double, one rounding per output), adam_step
// computes in Real itself, one rounded operation per line, because its contract is bit equality
// with PyTorch's fp32 optimizer and that is defined by PyTorch's own sequence of fp32 operations.
// Real = float is that sequence; Real = double is the same algorithm in double precision.
//
// Source of truth: torch/optim/adam.py `_single_tensor_adam` (torch 2.15; AdamW is Adam with
// decoupled_weight_decay=True), not capturable, no amsgrad, not maximize, with the fp32 CPU
// kernels it calls (ATen's vectorised loops on an AVX2/AVX-512 build). Per element:
//   g = grad * grad_scale                  (clip_grad_norm_'s grads.mul_(clip_coef), fp32)
//   AdamW: p = p * decay                   param.mul_(1 - lr * wd): a rounded fp32 product
//   Adam:  g = fma(p, wd, g)               grad.add(param, alpha=wd): ATen's add kernel is
//                                          vec::fmadd(other, alpha, self)
//   m = fma(w1, g - m, m)                  exp_avg.lerp_(grad, 1 - beta1): ATen's lerp for a
//                                          weight w < 0.5 is fmadd(w, end - start, start), and
//                                          fmadd(w - 1, end - start, end) otherwise
//   v = fma(w2 * g, g, v * beta2)          exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=w2):
//                                          ATen computes self + value * t1 * t2, which the build
//                                          fuses into one FMA (measured: bit-equal to this form)
//   denom = sqrt(v) / bc2_sqrt + eps       (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
//   p = p + (neg_step * m) / denom         param.addcdiv_(exp_avg, denom, value=-step_size):
//                                          self + value * t1 / t2, two roundings then the add
// The scalars are derived in double from the double hyperparameters exactly as the Python code
// does, then rounded to Real once (as ATen casts a Python scalar to the tensor's dtype):
//   decay = 1 - lr * wd, w1 = 1 - beta1, w2 = 1 - beta2, step_size = lr / bias_correction1,
//   bc2_sqrt = bias_correction2 ** 0.5 (std::pow, the function CPython calls).
// PyTorch's fp32 sqrt on CPU is not always correctly rounded (on the development machine it is
// off by one ulp for ~17% of inputs, see docs/numerics.md); std::sqrt is. m and v therefore
// match PyTorch bit for bit and p to within one ulp (bit for bit wherever PyTorch's sqrt is
// correctly rounded), tested against a PyTorch golden in tests/kernels/optimizer_test.cpp.
//
// Floating-point contraction is switched off for these functions: with GCC's default
// -ffp-contract=fast, `p * decay` followed by `p + update` could otherwise be fused into one FMA,
// which PyTorch (two separate kernels) does not do. The FMAs PyTorch does use are written as
// std::fma. cpu/optimizer.cpp does the same.
//
// Dimension legend: N parameters.
#pragma once

#include <cmath>

#include "kernels/optimizer.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace finetune::kernels::ref::math {

// The per-step scalars of adam_step, each derived in double as torch/optim/adam.py does and
// rounded to Real once.
template <typename Real>
struct AdamScalars {
  bool decoupled_decay;  // AdamW with weight_decay != 0: p *= decay
  bool coupled_decay;    // Adam with weight_decay != 0: g += wd * p
  Real decay;            // 1 - lr * weight_decay
  Real wd;               // weight_decay
  Real w1;               // 1 - beta1, the lerp weight
  Real beta2;
  Real w2;        // 1 - beta2
  Real bc2_sqrt;  // bias_correction2 ** 0.5
  Real eps;
  Real neg_step;  // -(lr / bias_correction1)
  Real grad_scale;

  explicit AdamScalars(const AdamParams& hp)
      : decoupled_decay(hp.weight_decay != 0.0 && hp.decoupled),
        coupled_decay(hp.weight_decay != 0.0 && !hp.decoupled),
        decay(static_cast<Real>(1.0 - hp.lr * hp.weight_decay)),
        wd(static_cast<Real>(hp.weight_decay)),
        w1(static_cast<Real>(1.0 - hp.beta1)),
        beta2(static_cast<Real>(hp.beta2)),
        w2(static_cast<Real>(1.0 - hp.beta2)),
        bc2_sqrt(static_cast<Real>(std::pow(hp.bias_correction2, 0.5))),
        eps(static_cast<Real>(hp.eps)),
        neg_step(static_cast<Real>(-(hp.lr / hp.bias_correction1))),
        grad_scale(static_cast<Real>(hp.grad_scale)) {}
};

// One element of the update (see the header comment for the PyTorch operation each line is).
template <typename Real>
inline void adam_update(Real& p, Real& m, Real& v, Real grad, const AdamScalars<Real>& s) {
  Real g = grad * s.grad_scale;
  if (s.decoupled_decay) p = p * s.decay;
  if (s.coupled_decay) g = std::fma(p, s.wd, g);
  m = s.w1 < Real(0.5) ? std::fma(s.w1, g - m, m) : std::fma(s.w1 - Real(1), g - m, g);
  v = std::fma(s.w2 * g, g, v * s.beta2);
  const Real denom = std::sqrt(v) / s.bc2_sqrt + s.eps;
  p = p + (s.neg_step * m) / denom;
}

template <typename Real>
void adam_step(Real* params,       // [N]
               Real* m,            // [N] first moment
               Real* v,            // [N] second moment
               const Real* grads,  // [N]
               long N, const AdamParams& hp) {
  const AdamScalars<Real> s(hp);
  for (long i = 0; i < N; ++i) adam_update(params[i], m[i], v[i], grads[i], s);
}

// adam_step over rows, skipping a row whose row_active is 0 and whose gradient is all zeros
// (kernels/optimizer.h says why that is exact); every other row is updated and marked active.
template <typename Real>
void adam_step_rows(Real* params,         // [rows, row_length]
                    Real* m,              // [rows, row_length]
                    Real* v,              // [rows, row_length]
                    const Real* grads,    // [rows, row_length]
                    uint8_t* row_active,  // [rows]
                    long rows, long row_length, const AdamParams& hp) {
  const AdamScalars<Real> s(hp);
  for (long r = 0; r < rows; ++r) {
    const long begin = r * row_length;
    if (row_active[r] == 0) {
      bool all_zero = true;
      for (long j = 0; j < row_length && all_zero; ++j) all_zero = grads[begin + j] == Real(0);
      if (all_zero) continue;
      row_active[r] = 1;
    }
    for (long j = begin; j < begin + row_length; ++j) adam_update(params[j], m[j], v[j], grads[j], s);
  }
}

// sum_i x_i^2 in double, sequentially. (The square of a float is exact in double.)
template <typename Real>
double sum_of_squares(const Real* x,  // [N]
                      long N) {
  double acc = 0.0;
  for (long i = 0; i < N; ++i) acc += static_cast<double>(x[i]) * x[i];
  return acc;
}

}  // namespace finetune::kernels::ref::math

#if defined(__clang__)
#pragma STDC FP_CONTRACT ON
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif
