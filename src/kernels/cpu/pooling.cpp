// CPU first-token pooling: copies the [CLS] row of every sequence (see ref/pooling_math.h), and
// its backward: dout goes to token 0 of every sequence, zeros everywhere else. The forward copy
// is B rows of C floats, far below the size where threads pay off, so it is serial; the backward
// writes all B*T*C gradient elements, one memset per sequence.
//
// Dimension legend: B batch, T tokens, C hidden.
#include <algorithm>
#include <cstdint>
#include <cstring>

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

void first_token_backward(const Exec& ex,
                          float* din,         // [B, T, C]
                          const float* dout,  // [B, C]
                          int B, int T, int C) {
  if (T <= 0 || C <= 0) return;
  for (int64_t b = 0; b < B; ++b) {
    float* seq = din + b * T * C;  // [T, C]
    std::copy(dout + b * C, dout + (b + 1) * C, seq);
    std::memset(seq + C, 0, sizeof(float) * static_cast<size_t>(T - 1) * C);
  }
}

}  // namespace finetune::kernels::cpu
