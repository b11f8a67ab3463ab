// CPU first-token pooling: copies the [CLS] row of every sequence (see ref/pooling_math.h), and
// its backward: dout goes to token 0 of every sequence, zeros everywhere else. The forward copy
// is B rows of C floats, far below the size where threads pay off, so it is serial; the backward
// writes all B*T*C gradient elements, one memset per sequence.
//
// Mean pooling sums the real tokens' rows in token order in float (as torch's sum over dim 1 in
// float: error ~T eps32 of the sum of magnitudes) and multiplies by the float 1/count; the
// backward writes dout / count into the real rows and zeros elsewhere. Serial: B*T*C is small.
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

namespace {
int real_tokens(const int32_t* mask, int T) {
  int count = 0;
  for (int t = 0; t < T; ++t) count += mask[t] != 0;
  return count;
}
}  // namespace

void mean_pool_forward(const Exec& ex, float* out, const float* in, const int32_t* mask, int B,
                       int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    float* y = out + b * C;  // [C]
    std::fill(y, y + C, 0.0f);
    const int count = real_tokens(mask + b * T, T);
    if (count == 0) continue;
    for (int64_t t = 0; t < T; ++t) {
      if (mask[b * T + t] == 0) continue;
      const float* x = in + (b * T + t) * C;  // [C]
#pragma omp simd
      for (int c = 0; c < C; ++c) y[c] += x[c];
    }
    const float inv = 1.0f / static_cast<float>(count);
#pragma omp simd
    for (int c = 0; c < C; ++c) y[c] *= inv;
  }
}

void mean_pool_backward(const Exec& ex, float* din, const float* dout, const int32_t* mask, int B,
                        int T, int C) {
  for (int64_t b = 0; b < B; ++b) {
    const int count = real_tokens(mask + b * T, T);
    const float inv = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
    for (int64_t t = 0; t < T; ++t) {
      float* dx = din + (b * T + t) * C;  // [C]
      const float scale = mask[b * T + t] != 0 ? inv : 0.0f;
#pragma omp simd
      for (int c = 0; c < C; ++c) dx[c] = dout[b * C + c] * scale;
    }
  }
}

}  // namespace finetune::kernels::cpu
