// Reference elementwise sum: the float oracle for cpu:: and cuda::, a thin wrapper over
// ref/elementwise_math.h.
//
// Dimension legend: N elements.
#include "kernels/elementwise.h"

#include "kernels/ref/elementwise_math.h"

namespace finetune::kernels::ref {

void add_forward(const Exec& ex,
                 float* out,      // [N]
                 const float* a,  // [N]
                 const float* b,  // [N]
                 long N) {
  math::add_forward(out, a, b, N);
}

}  // namespace finetune::kernels::ref
