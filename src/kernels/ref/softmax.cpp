// Reference row-wise softmax: the float oracle for cpu:: and cuda::, a thin wrapper over
// ref/softmax_math.h (torch.softmax(dim=-1), computed in double and rounded once per element).
//
// Dimension legend: N rows, K classes.
#include "kernels/softmax.h"

#include "kernels/ref/softmax_math.h"

namespace finetune::kernels::ref {

void softmax_forward(const Exec& ex,
                     float* out,       // [N, K]
                     const float* in,  // [N, K]
                     int N, int K) {
  math::softmax_forward(out, in, N, K);
}

}  // namespace finetune::kernels::ref
