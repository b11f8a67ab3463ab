// Elementwise activations used by encoders and their heads.
//
// Sources of truth (transformers.activations / torch.nn.functional):
//   GeluErf  "gelu":                 0.5 x (1 + erf(x / sqrt 2))
//   GeluTanh "gelu_new", "gelu_pytorch_tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//   Relu     "relu":                 max(x, 0)
//   Tanh     BERT pooler:            tanh(x)
// Dimension legend: N elements. `out` may alias `in`.
//
// GeGLU (transformers' ModernBertMLP): the feed-forward input projection yields [input | gate],
// F columns each, and out = act(input) * gate (act = hidden_activation, two float roundings as
// PyTorch: the activation, then the product). Backward: dgate = dout act(input),
// dinput = (dout gate) act'(input).
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

enum class Activation { GeluErf, GeluTanh, Relu, Tanh };

namespace ref {
void activation_forward(const Exec& ex,
                        float* out,       // [N]
                        const float* in,  // [N]
                        long N, Activation kind);

// din = dout * act'(in), with `in` the forward's input (pre-activation). `din` may alias `dout`.
void activation_backward(const Exec& ex,
                         float* din,         // [N]
                         const float* dout,  // [N]
                         const float* in,    // [N]
                         long N, Activation kind);

// out[n, j] = act(in[n, j]) * in[n, F + j] for j < F. `out` must not alias `in`.
void geglu_forward(const Exec& ex,
                   float* out,       // [N, F]
                   const float* in,  // [N, 2F] = [input | gate]
                   long N, long F, Activation kind);

// din (assigned) = [dout gate act'(input) | dout act(input)]. `din` must not alias the others.
void geglu_backward(const Exec& ex,
                    float* din,         // [N, 2F]
                    const float* dout,  // [N, F]
                    const float* in,    // [N, 2F] the forward's input
                    long N, long F, Activation kind);
}  // namespace ref

namespace cpu {
decltype(ref::activation_forward) activation_forward;
decltype(ref::activation_backward) activation_backward;
decltype(ref::geglu_forward) geglu_forward;
decltype(ref::geglu_backward) geglu_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::activation_forward) activation_forward;
decltype(ref::activation_backward) activation_backward;
decltype(ref::geglu_forward) geglu_forward;
decltype(ref::geglu_backward) geglu_backward;
}  // namespace cuda

}  // namespace finetune::kernels
