// Reference elementwise activations: the float oracle for cpu:: and cuda::, thin wrappers over
// ref/activation_math.h, where the functions, their derivatives and their sources of truth
// (transformers.activations, torch.nn.functional) are written out. Each value is computed in
// double from the float input and rounded once, so this oracle is (nearly) correctly rounded.
//
// Dimension legend: N elements. `out` may alias `in`, `din` may alias `dout`.
#include "kernels/activation.h"

#include "kernels/ref/activation_math.h"

namespace finetune::kernels::ref {

void activation_forward(const Exec& ex,
                        float* out,       // [N]
                        const float* in,  // [N]
                        long N, Activation kind) {
  math::activation_forward(out, in, N, kind);
}

void activation_backward(const Exec& ex,
                         float* din,         // [N]
                         const float* dout,  // [N]
                         const float* in,    // [N]
                         long N, Activation kind) {
  math::activation_backward(din, dout, in, N, kind);
}

void geglu_forward(const Exec& ex, float* out, const float* in, long N, long F, Activation kind) {
  math::geglu_forward(out, in, N, F, kind);
}

void geglu_backward(const Exec& ex, float* din, const float* dout, const float* in, long N,
                    long F, Activation kind) {
  math::geglu_backward(din, dout, in, N, F, kind);
}

}  // namespace finetune::kernels::ref
