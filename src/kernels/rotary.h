// Rotary position embedding (RoPE), applied in place to the query and key parts of the fused QKV
// projection, for ModernBERT's attention.
//
// Source of truth: transformers' ModernBertRotaryEmbedding (rope_type "default") and
// apply_rotary_pos_emb. For head size HS and rope theta, pair index d < HS/2 and token t
// (positions 0 .. T-1 whatever the padding, as ModernBertModel's default position_ids):
//   inv_freq_d = 1 / theta^(2d / HS)        (float32, as the module's buffer)
//   angle      = t * inv_freq_d             (float32 product, as freqs = position_ids * inv_freq)
//   c, s       = cos(angle), sin(angle)     (float32)
//   y_d        = x_d c - x_{d+HS/2} s,   y_{d+HS/2} = x_{d+HS/2} c + x_d s
// i.e. q * cos + rotate_half(q) * sin with rotate_half(x) = cat(-x2, x1), for q and k of every
// head; v is left alone. The rotation is orthogonal, so the backward pass applies the inverse
// rotation (angle -angle) to the gradient: dx_d = dy_d c + dy_{d+HS/2} s,
// dx_{d+HS/2} = dy_{d+HS/2} c - dy_d s.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size (even).
// qkv rows hold [q | k | v], each C wide, head h in columns h*HS .. h*HS+HS-1 of its part.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
// Rotates q and k of qkv [B, T, 3C] in place.
void rotary_forward(const Exec& ex, float* qkv, int B, int T, int C, int NH, float theta);
// Applies the inverse rotation to the q and k parts of dqkv [B, T, 3C] in place.
void rotary_backward(const Exec& ex, float* dqkv, int B, int T, int C, int NH, float theta);
}  // namespace ref

namespace cpu {
decltype(ref::rotary_forward) rotary_forward;
decltype(ref::rotary_backward) rotary_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::rotary_forward) rotary_forward;
decltype(ref::rotary_backward) rotary_backward;
}  // namespace cuda

}  // namespace finetune::kernels
