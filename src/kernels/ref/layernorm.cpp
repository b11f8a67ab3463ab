// Reference LayerNorm and residual-add + LayerNorm: the float oracle for cpu:: and cuda::, thin
// wrappers over ref/layernorm_math.h, where the math and its source of truth
// (torch.nn.LayerNorm) are written out. Statistics and gradients are computed in double;
// `mean`, `rstd` and the fp32 `sum` a + b are rounded to float as the backward pass reads them.
//
// Dimension legend: N rows, C features.
#include "kernels/layernorm.h"

#include "kernels/ref/layernorm_math.h"

namespace finetune::kernels::ref {

void layernorm_forward(const Exec& ex,
                       float* out,           // [N, C]
                       float* mean,          // [N] or null
                       float* rstd,          // [N] or null
                       const float* in,      // [N, C]
                       const float* weight,  // [C]
                       const float* bias,    // [C]
                       int N, int C, float eps) {
  math::layernorm_forward(out, mean, rstd, in, weight, bias, N, C, eps);
}

void add_layernorm_forward(const Exec& ex,
                           float* out,           // [N, C]
                           float* sum,           // [N, C] or null
                           float* mean,          // [N] or null
                           float* rstd,          // [N] or null
                           const float* a,       // [N, C]
                           const float* b,       // [N, C]
                           const float* weight,  // [C]
                           const float* bias,    // [C]
                           int N, int C, float eps) {
  math::add_layernorm_forward(out, sum, mean, rstd, a, b, weight, bias, N, C, eps);
}

void layernorm_backward(const Exec& ex,
                        float* din,           // [N, C]
                        float* dweight,       // [C]
                        float* dbias,         // [C]
                        const float* dout,    // [N, C]
                        const float* in,      // [N, C]
                        const float* weight,  // [C]
                        const float* mean,    // [N]
                        const float* rstd,    // [N]
                        int N, int C) {
  math::layernorm_backward(din, dweight, dbias, dout, in, weight, mean, rstd, N, C);
}

}  // namespace finetune::kernels::ref
