// CPU rotary position embedding (spec in kernels/rotary.h, oracle in ref/rotary_math.h): token
// rows in parallel; each row computes its HS/2 cos/sin pairs once (float32, as transformers) into
// a stack buffer and rotates q and k of every head with them. Memory-bound: one read and one
// write of 2C floats per token. The angle arithmetic is the oracle's, so cos/sin agree with it to
// the C library's rounding; each rotated value is two float products and a sum (a few eps32 of
// max(|x1|, |x2|)).
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "kernels/cpu/threads.h"
#include "kernels/ref/rotary_math.h"
#include "kernels/rotary.h"

namespace finetune::kernels::cpu {
namespace {

constexpr int kMaxHalf = 512;  // head sizes up to 1024

void rotate(float* qkv, int B, int T, int C, int NH, float theta, float direction) {
  FT_CHECK(NH > 0 && C % NH == 0 && (C / NH) % 2 == 0, "rotary: hidden size ", C, " and ", NH,
           " heads do not give an even head size");
  const int HS = C / NH, half = HS / 2;
  FT_CHECK(half <= kMaxHalf, "rotary: head size ", HS, " is larger than ", 2 * kMaxHalf);
  const int64_t rows = static_cast<int64_t>(B) * T;
#pragma omp parallel for schedule(static) if (rows * C >= kMinParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int t = static_cast<int>(r % T);
    float cs[kMaxHalf], sn[kMaxHalf];
    for (int d = 0; d < half; ++d) {
      ref::math::rotary_angle(t, d, HS, theta, cs[d], sn[d]);
      sn[d] *= direction;
    }
    float* row = qkv + r * 3 * static_cast<int64_t>(C);  // [3C]: q and k are the first 2C
    for (int head = 0; head < 2 * NH; ++head) {
      float* x = row + static_cast<int64_t>(head) * HS;
#pragma omp simd
      for (int d = 0; d < half; ++d) {
        const float x1 = x[d], x2 = x[d + half];
        x[d] = x1 * cs[d] - x2 * sn[d];
        x[d + half] = x2 * cs[d] + x1 * sn[d];
      }
    }
  }
}

}  // namespace

void rotary_forward(const Exec& ex, float* qkv, int B, int T, int C, int NH, float theta) {
  rotate(qkv, B, T, C, NH, theta, 1.0f);
}

void rotary_backward(const Exec& ex, float* dqkv, int B, int T, int C, int NH, float theta) {
  rotate(dqkv, B, T, C, NH, theta, -1.0f);
}

}  // namespace finetune::kernels::cpu
