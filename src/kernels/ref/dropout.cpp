// Reference dropout: the float oracle for cpu:: and cuda::, thin wrappers over
// ref/dropout_math.h (mask definition in kernels/dropout.h, source of truth torch.nn.Dropout).
//
// Dimension legend: N elements. `out` may alias `in`, `din` may alias `dout`.
#include "kernels/dropout.h"

#include "kernels/ref/dropout_math.h"

namespace finetune::kernels::ref {

void dropout_forward(const Exec& ex,
                     float* out,       // [N]
                     const float* in,  // [N]
                     long N, DropoutSpec spec) {
  math::dropout_forward(out, in, N, spec);
}

void dropout_backward(const Exec& ex,
                      float* din,         // [N]
                      const float* dout,  // [N]
                      long N, DropoutSpec spec) {
  math::dropout_backward(din, dout, N, spec);
}

}  // namespace finetune::kernels::ref
