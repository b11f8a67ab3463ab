// Row-wise softmax, for turning classifier logits into probabilities.
//
// Source of truth: torch.softmax(dim=-1): subtract the row maximum, exponentiate, normalise.
// Dimension legend: N rows, K classes. `out` may alias `in`.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
void softmax_forward(const Exec& ex,
                     float* out,       // [N, K]
                     const float* in,  // [N, K]
                     int N, int K);
}  // namespace ref

namespace cpu {
decltype(ref::softmax_forward) softmax_forward;
}
namespace cuda {
decltype(ref::softmax_forward) softmax_forward;
}

}  // namespace finetune::kernels
