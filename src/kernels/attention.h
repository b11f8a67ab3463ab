// Multi-head self-attention core for short sequences, from the fused QKV projection to the
// merged heads (the output projection is a separate linear layer).
//
// Source of truth: transformers' BertSelfAttention / DistilBERT MultiHeadSelfAttention (eager):
// scores = q k^T / sqrt(HS), padded keys (mask 0) get the dtype's minimum added, softmax over
// keys, out = probs v, heads concatenated. Adding finfo.min makes a padded key's probability an
// exact 0.0 in fp32, so here padded keys are simply left out of the softmax; a row with no real
// key at all (never produced by the tokenizer, which always emits [CLS]) is uniform over all T
// keys, which is what adding the same finfo.min to every score gives.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
// qkv rows hold [q | k | v], each C wide, head h in columns h*HS .. h*HS+HS-1 of its part.
// `probs` (after softmax, before dropout) is saved for the backward pass. In training, dropout
// (attention_probs_dropout_prob) applies to the probabilities that multiply v, with the mask of
// kernels/dropout.h over the [B, NH, T, T] elements; `probs` stays the undropped softmax.
// `out` must not alias `qkv` or `probs`. The kernels need no scratch memory beyond `probs` (and
// `dprobs` in the backward pass), which is what bounds T: B x NH x T x T floats per layer.
//
// Sliding window (the *_window variants, ModernBERT's local layers, transformers'
// sliding_window_bidirectional_overlay): with window w > 0, query i sees key j only when
// |i - j| <= w (and j is a real token); w = 0 is full attention. A query row with no allowed key
// (possible only for a padded query when w > 0) is uniform over all T keys, as a row with no
// real key is, and passes no gradient to q and k.
// Backward: the chain rule through the lines above, written out in ref/attention_math.h. A row
// with no real key is constant in q and k (uniform), so it passes no gradient to them.
#pragma once

#include <cstdint>

#include "core/exec.h"
#include "kernels/dropout.h"

namespace finetune::kernels {

namespace ref {
void attention_forward(const Exec& ex,
                       float* out,           // [B, T, C]
                       float* probs,         // [B, NH, T, T]
                       const float* qkv,     // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH, DropoutSpec dropout);

// Gradient of the above: dqkv (assigned) from dout, the saved qkv and probs, and the same
// dropout spec (its mask is regenerated). `dprobs` is scratch the size of probs.
void attention_backward(const Exec& ex,
                        float* dqkv,          // [B, T, 3C]
                        float* dprobs,        // [B, NH, T, T] scratch
                        const float* dout,    // [B, T, C]
                        const float* qkv,     // [B, T, 3C]
                        const float* probs,   // [B, NH, T, T] saved by the forward
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C, int NH, DropoutSpec dropout);

// The same with a sliding window of `window` keys on each side (0: none).
void attention_forward_window(const Exec& ex, float* out, float* probs, const float* qkv,
                              const int32_t* mask, int B, int T, int C, int NH,
                              DropoutSpec dropout, int window);
void attention_backward_window(const Exec& ex, float* dqkv, float* dprobs, const float* dout,
                               const float* qkv, const float* probs, const int32_t* mask, int B,
                               int T, int C, int NH, DropoutSpec dropout, int window);
}  // namespace ref

namespace cpu {
decltype(ref::attention_forward) attention_forward;
decltype(ref::attention_backward) attention_backward;
decltype(ref::attention_forward_window) attention_forward_window;
decltype(ref::attention_backward_window) attention_backward_window;
}  // namespace cpu
namespace cuda {
decltype(ref::attention_forward) attention_forward;
decltype(ref::attention_backward) attention_backward;
decltype(ref::attention_forward_window) attention_forward_window;
decltype(ref::attention_backward_window) attention_backward_window;
}  // namespace cuda

}  // namespace finetune::kernels
