// Reference rotary position embedding: the float oracle for cpu:: and cuda::, thin wrappers over
// ref/rotary_math.h (source of truth: transformers' ModernBERT rotary embedding; kernels/rotary.h).
#include "kernels/rotary.h"

#include "kernels/ref/rotary_math.h"

namespace finetune::kernels::ref {

void rotary_forward(const Exec& ex, float* qkv, int B, int T, int C, int NH, float theta) {
  math::rotary_apply(qkv, B, T, C, NH, theta, +1);
}

void rotary_backward(const Exec& ex, float* dqkv, int B, int T, int C, int NH, float theta) {
  math::rotary_apply(dqkv, B, T, C, NH, theta, -1);
}

}  // namespace finetune::kernels::ref
