// Dropout as templates over the storage type: the readable specification behind
// ref::dropout_forward/backward, and (with Real = double) the function whose finite differences
// test the backward pass. Convention (Real storage, arithmetic in double, one rounding per stored
// value): see ref/linear_math.h.
//
// Source of truth: torch.nn.Dropout in training mode (inverted dropout): an element is zeroed
// with probability p and survivors are multiplied by 1/(1-p). Which elements survive is
// kernels/dropout.h's dropout_keep(spec, i), the one mask definition every backend uses; with a
// fixed mask the function is linear, and its backward is the same masked scaling applied to dout.
// The scale 1/(1-p) is first rounded to Real (PyTorch also multiplies by a materialised fp32
// scale), so out = fl(in * fl(1/(1-p))) for float: one correctly rounded product, the same in every
// backend. p = 0 copies.
//
// Dimension legend: N elements. `out` may alias `in`.
#pragma once

#include <cstdint>

#include "kernels/dropout.h"

namespace finetune::kernels::ref::math {

// The survivors' scale 1/(1-p), rounded to the storage type. (p = 1 gives inf, which is never
// used: no element survives, since uniform draws are < 1.)
template <typename Real>
Real dropout_scale(const DropoutSpec& spec) {
  return static_cast<Real>(1.0 / (1.0 - static_cast<double>(spec.p)));
}

// out[i] = keep(i) ? in[i] * scale : 0, for element indices first .. first + N - 1 of the mask.
template <typename Real>
void dropout_apply(Real* out,       // [N]
                   const Real* in,  // [N]
                   long N, DropoutSpec spec, uint64_t first = 0) {
  if (!spec.active()) {
    for (long i = 0; i < N; ++i) out[i] = in[i];
    return;
  }
  const double scale = dropout_scale<Real>(spec);
  for (long i = 0; i < N; ++i) {
    out[i] = dropout_keep(spec, first + i) ? static_cast<Real>(in[i] * scale) : Real(0);
  }
}

template <typename Real>
void dropout_forward(Real* out,       // [N]
                     const Real* in,  // [N]
                     long N, DropoutSpec spec) {
  dropout_apply(out, in, N, spec);
}

// din = dout * keep / (1 - p): the same mask, regenerated from the spec.
template <typename Real>
void dropout_backward(Real* din,         // [N]
                      const Real* dout,  // [N]
                      long N, DropoutSpec spec) {
  dropout_apply(din, dout, N, spec);
}

}  // namespace finetune::kernels::ref::math
