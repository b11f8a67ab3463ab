// Reference linear layer: the float oracle for cpu:: and cuda::, a thin wrapper over the math in
// ref/linear_math.h (double accumulation, one rounding to float per output). The math, its
// source of truth (torch.nn.Linear) and the gradient formulas are written out there.
//
// Dimension legend: N rows, IC input features, OC output features.
#include "kernels/linear.h"

#include "kernels/ref/linear_math.h"

namespace finetune::kernels::ref {

void linear_forward(const Exec& ex,
                    float* out,           // [N, OC]
                    const float* in,      // [N, IC]
                    const float* weight,  // [OC, IC]
                    const float* bias,    // [OC] or null
                    int N, int IC, int OC) {
  math::linear_forward(out, in, weight, bias, N, IC, OC);
}

void linear_backward(const Exec& ex,
                     float* din,           // [N, IC] or null
                     float* dweight,       // [OC, IC]
                     float* dbias,         // [OC] or null
                     const float* dout,    // [N, OC]
                     const float* in,      // [N, IC]
                     const float* weight,  // [OC, IC]
                     int N, int IC, int OC) {
  math::linear_backward(din, dweight, dbias, dout, in, weight, N, IC, OC);
}

}  // namespace finetune::kernels::ref
