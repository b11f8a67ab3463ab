// The linear layer's math as templates over the storage type: the readable specification behind
// ref::linear_forward/linear_backward, and (instantiated with double) the function whose finite
// differences test the backward pass.
//
// Source of truth: torch.nn.Linear, y = x W^Real + b with W stored [out_features, in_features] (the
// layout of every Hugging Face checkpoint), and its gradients as autograd computes them:
//   din[n, i]     = sum_o dout[n, o] W[o, i]            (dout @ W)
//   dweight[o, i] += sum_n dout[n, o] x[n, i]            (dout^Real @ x)
//   dbias[o]      += sum_n dout[n, o]
//
// Convention of every ref/<op>_math.h: Real is the storage type of the arrays (float for ref::,
// double for the finite-difference tests). Arithmetic is always in double and every stored value
// is rounded to Real once, so ref::<op> (Real = float) is the double-accumulating oracle of the
// fp32 kernels and Real = double is exact to ~1e-16. Accumulated outputs (+=) add the new sum to
// the old value in double and round once. Plain loops, no threads, no BLAS: these are the spec.
//
// Dimension legend: N rows, IC input features, OC output features.
#pragma once

#include <cstdint>

namespace finetune::kernels::ref::math {

// out = in @ weight^Real + bias. `bias` may be null.
template <typename Real>
void linear_forward(Real* out,           // [N, OC]
                    const Real* in,      // [N, IC]
                    const Real* weight,  // [OC, IC]
                    const Real* bias,    // [OC] or null
                    int N, int IC, int OC) {
  for (int64_t n = 0; n < N; ++n) {
    const Real* x = in + n * IC;  // [IC]
    for (int64_t o = 0; o < OC; ++o) {
      const Real* w = weight + o * IC;  // [IC], row o of W is column o of W^Real
      double acc = bias ? static_cast<double>(bias[o]) : 0.0;
      for (int64_t i = 0; i < IC; ++i) acc += static_cast<double>(x[i]) * w[i];
      out[n * OC + o] = static_cast<Real>(acc);
    }
  }
}

// din = dout @ weight (assigned; skipped when null), dweight += dout^Real @ in, dbias += column
// sums of dout (skipped when null).
template <typename Real>
void linear_backward(Real* din,           // [N, IC] or null
                     Real* dweight,       // [OC, IC]
                     Real* dbias,         // [OC] or null
                     const Real* dout,    // [N, OC]
                     const Real* in,      // [N, IC]
                     const Real* weight,  // [OC, IC]
                     int N, int IC, int OC) {
  if (din) {
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t i = 0; i < IC; ++i) {
        double acc = 0.0;
        for (int64_t o = 0; o < OC; ++o) {
          acc += static_cast<double>(dout[n * OC + o]) * weight[o * IC + i];
        }
        din[n * IC + i] = static_cast<Real>(acc);
      }
    }
  }
  for (int64_t o = 0; o < OC; ++o) {
    for (int64_t i = 0; i < IC; ++i) {
      double acc = 0.0;
      for (int64_t n = 0; n < N; ++n) acc += static_cast<double>(dout[n * OC + o]) * in[n * IC + i];
      dweight[o * IC + i] = static_cast<Real>(dweight[o * IC + i] + acc);
    }
  }
  if (dbias) {
    for (int64_t o = 0; o < OC; ++o) {
      double acc = 0.0;
      for (int64_t n = 0; n < N; ++n) acc += dout[n * OC + o];
      dbias[o] = static_cast<Real>(dbias[o] + acc);
    }
  }
}

}  // namespace finetune::kernels::ref::math
