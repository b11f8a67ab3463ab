// Sequence pooling for classification heads: both BERT's pooler and DistilBERT's
// pre_classifier read the hidden state of the first token ([CLS]).
//
// Dimension legend: B batch, T tokens, C hidden.
#pragma once

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
// out[b, :] = in[b, 0, :]
void first_token_forward(const Exec& ex,
                         float* out,       // [B, C]
                         const float* in,  // [B, T, C]
                         int B, int T, int C);

// din[b, 0, :] = dout[b, :], din[b, t > 0, :] = 0 (assigned).
void first_token_backward(const Exec& ex,
                          float* din,         // [B, T, C]
                          const float* dout,  // [B, C]
                          int B, int T, int C);
}  // namespace ref

namespace cpu {
decltype(ref::first_token_forward) first_token_forward;
decltype(ref::first_token_backward) first_token_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::first_token_forward) first_token_forward;
decltype(ref::first_token_backward) first_token_backward;
}  // namespace cuda

}  // namespace finetune::kernels
