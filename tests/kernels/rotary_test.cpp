// Tests of the rotary position embedding (kernels/rotary.h): cpu:: against ref:: (double
// rotation with the same float32 angles), the inverse undoing the forward, v untouched, and the
// angles against the formula of transformers' ModernBertRotaryEmbedding written out here.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS head size.
#include "kernels/rotary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/rotary_math.h"

namespace finetune::kernels {
namespace {

using testing::kEps32;
using testing::shape;
using testing::uniform;

// Each output is fl(fl(x1 c) -+ fl(x2 s)) against the double value with the same c, s: at most
// 2 eps32 (|x1 c| + |x2 s|) <= 2 eps32 (|x1| + |x2|) (one rounding per product and the sum, or
// fewer with a fused multiply-add).
TEST(Rotary, CpuMatchesRef) {
  uint32_t seed = 1300;
  const int shapes[][2] = {{8, 2}, {16, 2}, {12, 1}, {768, 12}};
  for (const auto& [C, NH] : shapes) {
    for (int T : {1, 7, 300}) {
      for (float theta : {10000.0f, 160000.0f}) {
        const int B = 2, HS = C / NH, half = HS / 2;
        SCOPED_TRACE(shape("C", C, "NH", NH, "T", T, "theta", theta));
        const auto qkv = uniform(size_t(B) * T * 3 * C, seed++);
        for (bool inverse : {false, true}) {
          std::vector<float> want = qkv, got = qkv;
          if (inverse) {
            ref::rotary_backward(Exec::cpu(), want.data(), B, T, C, NH, theta);
            cpu::rotary_backward(Exec::cpu(), got.data(), B, T, C, NH, theta);
          } else {
            ref::rotary_forward(Exec::cpu(), want.data(), B, T, C, NH, theta);
            cpu::rotary_forward(Exec::cpu(), got.data(), B, T, C, NH, theta);
          }
          std::vector<double> tol(qkv.size(), 0.0);
          for (size_t row = 0; row < size_t(B) * T; ++row) {
            for (int part = 0; part < 2; ++part) {
              for (int h = 0; h < NH; ++h) {
                const size_t base = row * 3 * C + size_t(part) * C + size_t(h) * HS;
                for (int d = 0; d < half; ++d) {
                  const double t = 2 * kEps32 * (std::fabs(qkv[base + d]) +
                                                 std::fabs(qkv[base + d + half]));
                  tol[base + d] = tol[base + d + half] = t + 1e-38;
                }
              }
            }
          }
          EXPECT_TRUE(testing::all_close(got, want, [&](size_t i) { return tol[i]; }));
          for (size_t row = 0; row < size_t(B) * T; ++row) {  // v is not rotated
            for (int e = 0; e < C; ++e) {
              ASSERT_EQ(got[row * 3 * C + 2 * size_t(C) + e], qkv[row * 3 * C + 2 * size_t(C) + e]);
            }
          }
        }
      }
    }
  }
}

// Position 0 is the identity; the inverse rotation undoes the forward one (to rounding).
TEST(Rotary, InverseUndoesForward) {
  const int B = 1, T = 50, C = 16, NH = 2;
  const auto qkv = uniform(size_t(B) * T * 3 * C, 1400);
  std::vector<float> y = qkv;
  cpu::rotary_forward(Exec::cpu(), y.data(), B, T, C, NH, 10000.0f);
  for (int e = 0; e < 3 * C; ++e) EXPECT_EQ(y[e], qkv[e]) << e;  // t = 0: cos 1, sin 0
  cpu::rotary_backward(Exec::cpu(), y.data(), B, T, C, NH, 10000.0f);
  EXPECT_TRUE(testing::all_close(y, qkv, 8 * kEps32));
}

// The angle of token t, pair d: t / theta^(2d / HS), as ModernBertRotaryEmbedding computes it;
// checked in double against the float32 value the kernels use (relative 4 eps32: the float
// power, reciprocal and product), at ModernBERT-base's positions up to 8191.
TEST(Rotary, AnglesFollowTransformers) {
  const int HS = 64;
  for (float theta : {10000.0f, 160000.0f}) {
    for (int t : {0, 1, 17, 511, 8191}) {
      for (int d = 0; d < HS / 2; ++d) {
        float c, s;
        ref::math::rotary_angle(t, d, HS, theta, c, s);
        const double angle = t / std::pow(double(theta), 2.0 * d / HS);
        // cos/sin of the float angle against the exact angle: |d angle| <= 4 eps32 angle.
        const double slack = 4 * kEps32 * angle + 2 * kEps32;
        EXPECT_NEAR(c, std::cos(angle), slack) << t << " " << d;
        EXPECT_NEAR(s, std::sin(angle), slack) << t << " " << d;
      }
    }
  }
}

}  // namespace
}  // namespace finetune::kernels
