// Elementwise activations and their derivatives as templates over the storage type: the readable
// specification behind ref::activation_*, and (with Real = double) the functions whose finite
// differences test the backward pass. Convention (Real storage, arithmetic in double, one rounding
// per stored value): see ref/linear_math.h.
//
// Sources of truth (transformers.activations, torch.nn.functional, and the derivatives autograd
// uses for them, torch/csrc/autograd/FunctionsManual / derivatives.yaml):
//   GeluErf  "gelu":        y = x Phi(x),   Phi(x) = 0.5 (1 + erf(x / sqrt 2)),
//                           y' = Phi(x) + x phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   GeluTanh "gelu_new", "gelu_pytorch_tanh":
//                           y = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3),
//                           y' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 *
//                           0.044715 x^2)
//   Relu     "relu":        y = max(x, 0); the gradient passes where x > 0 and is 0 where x <= 0
//                           (torch's threshold_backward on the output); NaN stays NaN forward and
//                           passes the gradient backward, as in torch
//   Tanh     BertPooler:    y = tanh(x), y' = 1 - tanh^2(x)
// GELU uses erfc: 1 + erf(z) == erfc(-z) keeps full relative precision in the lower tail, where
// 1 + erf(z) cancels even in double (it is exactly 0 below z ~ -6, x ~ -8.3).
//
// Dimension legend: N elements. `out` may alias `in`, `din` may alias `dout`.
#pragma once

#include <cmath>

#include "core/error.h"
#include "kernels/activation.h"

namespace finetune::kernels::ref::math {

inline constexpr double kSqrtHalf = 0.70710678118654752440;       // 1 / sqrt(2)
inline constexpr double kSqrtTwoOverPi = 0.79788456080286535588;  // sqrt(2 / pi)
inline constexpr double kInvSqrtTwoPi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
inline constexpr double kGeluTanhCubic = 0.044715;

inline double activate(double x, Activation kind) {
  switch (kind) {
    case Activation::GeluErf:
      return 0.5 * x * std::erfc(-x * kSqrtHalf);
    case Activation::GeluTanh:
      return 0.5 * x * (1.0 + std::tanh(kSqrtTwoOverPi * (x + kGeluTanhCubic * x * x * x)));
    case Activation::Relu:
      return x < 0.0 ? 0.0 : x;  // NaN stays NaN, as torch.relu
    case Activation::Tanh:
      return std::tanh(x);
  }
  FT_CHECK(false, "activation_forward: unknown activation ", static_cast<int>(kind));
}

// dy/dx at x. (Relu: 1 where x > 0 or x is NaN, 0 where x <= 0; see the header comment.)
inline double activation_derivative(double x, Activation kind) {
  switch (kind) {
    case Activation::GeluErf:
      return 0.5 * std::erfc(-x * kSqrtHalf) + x * kInvSqrtTwoPi * std::exp(-0.5 * x * x);
    case Activation::GeluTanh: {
      const double t = std::tanh(kSqrtTwoOverPi * (x + kGeluTanhCubic * x * x * x));
      const double du_dx = kSqrtTwoOverPi * (1.0 + 3.0 * kGeluTanhCubic * x * x);
      return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du_dx;
    }
    case Activation::Relu:
      return x <= 0.0 ? 0.0 : 1.0;
    case Activation::Tanh: {
      const double t = std::tanh(x);
      return 1.0 - t * t;
    }
  }
  FT_CHECK(false, "activation_backward: unknown activation ", static_cast<int>(kind));
}

template <typename Real>
void activation_forward(Real* out,       // [N]
                        const Real* in,  // [N]
                        long N, Activation kind) {
  for (long i = 0; i < N; ++i) out[i] = static_cast<Real>(activate(in[i], kind));
}

// din = dout * act'(in), with `in` the forward's input (pre-activation).
template <typename Real>
void activation_backward(Real* din,         // [N]
                         const Real* dout,  // [N]
                         const Real* in,    // [N]
                         long N, Activation kind) {
  for (long i = 0; i < N; ++i) {
    // Relu selects instead of multiplying, so that 0 * inf or 0 * NaN in dout stays 0, as
    // torch's threshold_backward does.
    if (kind == Activation::Relu) {
      din[i] = activation_derivative(in[i], kind) == 0.0 ? Real(0) : dout[i];
    } else {
      din[i] = static_cast<Real>(dout[i] * activation_derivative(in[i], kind));
    }
  }
}

// GeGLU: out[n, j] = round(act(input)) * gate, the activation rounded to Real before the
// product as PyTorch materialises it.
template <typename Real>
void geglu_forward(Real* out,       // [N, F]
                   const Real* in,  // [N, 2F] = [input | gate]
                   long N, long F, Activation kind) {
  for (long n = 0; n < N; ++n) {
    for (long j = 0; j < F; ++j) {
      const Real a = static_cast<Real>(activate(in[n * 2 * F + j], kind));
      out[n * F + j] = static_cast<Real>(static_cast<double>(a) * in[n * 2 * F + F + j]);
    }
  }
}

// din = [round(dout gate) act'(input) | dout round(act(input))], as autograd through the product
// and the activation.
template <typename Real>
void geglu_backward(Real* din,         // [N, 2F]
                    const Real* dout,  // [N, F]
                    const Real* in,    // [N, 2F]
                    long N, long F, Activation kind) {
  for (long n = 0; n < N; ++n) {
    for (long j = 0; j < F; ++j) {
      const double x = in[n * 2 * F + j], gate = in[n * 2 * F + F + j], dy = dout[n * F + j];
      const Real a = static_cast<Real>(activate(x, kind));
      const Real d_activated = static_cast<Real>(dy * gate);
      din[n * 2 * F + F + j] = static_cast<Real>(dy * a);
      if (kind == Activation::Relu) {
        din[n * 2 * F + j] = activation_derivative(x, kind) == 0.0 ? Real(0) : d_activated;
      } else {
        din[n * 2 * F + j] =
            static_cast<Real>(static_cast<double>(d_activated) * activation_derivative(x, kind));
      }
    }
  }
}

}  // namespace finetune::kernels::ref::math
