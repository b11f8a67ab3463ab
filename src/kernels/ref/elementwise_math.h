// Elementwise sums as templates over the storage type: the readable specification behind
// ref::add_forward. Convention (Real storage, arithmetic in double, one rounding per stored
// value): see ref/linear_math.h. For float the result is the correctly rounded float sum, which
// is also what a float addition gives, so every backend agrees bit for bit.
//
// Dimension legend: N elements. `out` may alias `a` or `b`.
#pragma once

namespace finetune::kernels::ref::math {

// out = a + b
template <typename Real>
void add_forward(Real* out,      // [N]
                 const Real* a,  // [N]
                 const Real* b,  // [N]
                 long N) {
  for (long i = 0; i < N; ++i) out[i] = static_cast<Real>(static_cast<double>(a[i]) + b[i]);
}

}  // namespace finetune::kernels::ref::math
