// LayerNorm over the last dimension, alone and fused with the residual add that precedes it in a
// post-LN encoder layer (out = LayerNorm(a + b)).
//
// Source of truth: torch.nn.LayerNorm: biased variance, eps inside the square root,
// y = (x - mean) / sqrt(var + eps) * weight + bias. `bias` (and `dbias`) may be null:
// torch.nn.LayerNorm(bias=False), ModernBERT's norms with norm_bias false.
//
// Dimension legend: N rows (B*T), C features. `mean` and `rstd` (1/sqrt(var+eps)) are saved for
// the backward pass and may be null when not needed (inference); so may `sum`.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
void layernorm_forward(const Exec& ex,
                       float* out,           // [N, C]
                       float* mean,          // [N] or null
                       float* rstd,          // [N] or null
                       const float* in,      // [N, C]
                       const float* weight,  // [C]
                       const float* bias,    // [C]
                       int N, int C, float eps);

// sum = a + b; out = LayerNorm(sum). `out` may alias `a` or `b`.
void add_layernorm_forward(const Exec& ex,
                           float* out,           // [N, C]
                           float* sum,           // [N, C] or null
                           float* mean,          // [N] or null
                           float* rstd,          // [N] or null
                           const float* a,       // [N, C]
                           const float* b,       // [N, C]
                           const float* weight,  // [C]
                           const float* bias,    // [C]
                           int N, int C, float eps);

// Gradients of out = LayerNorm(in): din (assigned), dweight and dbias (accumulated), from the
// forward's input and its saved mean and rstd. For add_layernorm_forward, `in` is the saved
// `sum` and din is the gradient of both addends. `din` may alias `dout`.
void layernorm_backward(const Exec& ex,
                        float* din,           // [N, C]
                        float* dweight,       // [C]
                        float* dbias,         // [C]
                        const float* dout,    // [N, C]
                        const float* in,      // [N, C]
                        const float* weight,  // [C]
                        const float* mean,    // [N]
                        const float* rstd,    // [N]
                        int N, int C);
}  // namespace ref

namespace cpu {
decltype(ref::layernorm_forward) layernorm_forward;
decltype(ref::add_layernorm_forward) add_layernorm_forward;
decltype(ref::layernorm_backward) layernorm_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::layernorm_forward) layernorm_forward;
decltype(ref::add_layernorm_forward) add_layernorm_forward;
decltype(ref::layernorm_backward) layernorm_backward;
}  // namespace cuda

}  // namespace finetune::kernels
