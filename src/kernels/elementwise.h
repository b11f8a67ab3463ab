// Elementwise sums used to join gradients where the forward pass branched (residual
// connections): out = a + b.
//
// Dimension legend: N elements.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
// out = a + b; `out` may alias `a` or `b`.
void add_forward(const Exec& ex,
                 float* out,      // [N]
                 const float* a,  // [N]
                 const float* b,  // [N]
                 long N);
}  // namespace ref

namespace cpu {
decltype(ref::add_forward) add_forward;
}
namespace cuda {
decltype(ref::add_forward) add_forward;
}

}  // namespace finetune::kernels
