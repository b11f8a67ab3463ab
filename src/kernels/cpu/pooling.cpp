// CPU first-token pooling: copies the [CLS] row of every sequence (see ref/pooling.cpp).
// The copy is B rows of C floats, far below the size where threads pay off, so it is serial.
//
// Dimension legend: B batch, T tokens, C hidden.
#include <algorithm>
#include <cstdint>

#include "kernels/pooling.h"

namespace finetune::kernels::cpu {

void first_token_forward(const Exec& ex,
                         float* out,       // [B, C]
                         const float* in,  // [B, T, C]
                         int B, int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    const float* src = in + b * T * C;  // [C], token 0 of sequence b
    std::copy(src, src + C, out + b * C);
  }
}

}  // namespace finetune::kernels::cpu
