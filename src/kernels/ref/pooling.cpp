// Reference first-token pooling and its backward: the float oracle for cpu:: and cuda::, thin
// wrappers over ref/pooling_math.h (source of truth: BertPooler / DistilBERT's classification
// head read token 0, [CLS]).
//
// Dimension legend: B batch, T tokens, C hidden.
#include "kernels/pooling.h"

#include "kernels/ref/pooling_math.h"

namespace finetune::kernels::ref {

void first_token_forward(const Exec& ex,
                         float* out,       // [B, C]
                         const float* in,  // [B, T, C]
                         int B, int T, int C) {
  math::first_token_forward(out, in, B, T, C);
}

void first_token_backward(const Exec& ex,
                          float* din,         // [B, T, C]
                          const float* dout,  // [B, C]
                          int B, int T, int C) {
  math::first_token_backward(din, dout, B, T, C);
}

void mean_pool_forward(const Exec& ex, float* out, const float* in, const int32_t* mask, int B,
                       int T, int C) {
  math::mean_pool_forward(out, in, mask, B, T, C);
}

void mean_pool_backward(const Exec& ex, float* din, const float* dout, const int32_t* mask, int B,
                        int T, int C) {
  math::mean_pool_backward(din, dout, mask, B, T, C);
}

}  // namespace finetune::kernels::ref
