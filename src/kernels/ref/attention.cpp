// Reference multi-head self-attention core: the float oracle for cpu:: and cuda::, thin wrappers
// over ref/attention_math.h, where the math (masking, softmax, dropout, the chain rule of the
// backward pass) and its source of truth (transformers' BertSelfAttention / DistilBERT's
// MultiHeadSelfAttention) are written out. Everything is computed in double; `probs`, `out` and
// `dqkv` are rounded to float once.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
#include "kernels/attention.h"

#include <cstdint>

#include "kernels/ref/attention_math.h"

namespace finetune::kernels::ref {

void attention_forward(const Exec& ex,
                       float* out,           // [B, T, C]
                       float* probs,         // [B, NH, T, T]
                       const float* qkv,     // [B, T, 3C]
                       const int32_t* mask,  // [B, T], 1 = real token, 0 = padding
                       int B, int T, int C, int NH, DropoutSpec dropout) {
  math::attention_forward(out, probs, qkv, mask, B, T, C, NH, dropout);
}

void attention_backward(const Exec& ex,
                        float* dqkv,          // [B, T, 3C]
                        float* dprobs,        // [B, NH, T, T] scratch
                        const float* dout,    // [B, T, C]
                        const float* qkv,     // [B, T, 3C]
                        const float* probs,   // [B, NH, T, T] saved by the forward
                        const int32_t* mask,  // [B, T]
                        int B, int T, int C, int NH, DropoutSpec dropout) {
  math::attention_backward(dqkv, dprobs, dout, qkv, probs, mask, B, T, C, NH, dropout);
}

void attention_forward_window(const Exec& ex, float* out, float* probs, const float* qkv,
                              const int32_t* mask, int B, int T, int C, int NH,
                              DropoutSpec dropout, int window) {
  math::attention_forward(out, probs, qkv, mask, B, T, C, NH, dropout, window);
}

void attention_backward_window(const Exec& ex, float* dqkv, float* dprobs, const float* dout,
                               const float* qkv, const float* probs, const int32_t* mask, int B,
                               int T, int C, int NH, DropoutSpec dropout, int window) {
  math::attention_backward(dqkv, dprobs, dout, qkv, probs, mask, B, T, C, NH, dropout, window);
}

}  // namespace finetune::kernels::ref
