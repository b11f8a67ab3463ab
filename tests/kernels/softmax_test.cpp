// Tests of softmax_forward: ref:: against known values and the defining properties (rows sum to
// 1, no overflow for large logits), cpu:: against ref:: over odd shapes, and `out` aliasing `in`.
#include "kernels/softmax.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

TEST(Softmax, RefKnownValues) {
  // softmax(0, ln 3) = (1/4, 3/4); equal logits are uniform; the row max is subtracted, so
  // logits of 1000 do not overflow; a single class has probability 1.
  const std::vector<float> x = {0.0f, float(std::log(3.0)), 5.0f, 5.0f, 1000.0f, 0.0f};
  std::vector<float> y(6);
  ref::softmax_forward(Exec::cpu(), y.data(), x.data(), 3, 2);
  EXPECT_FLOAT_EQ(y[0], 0.25f);
  EXPECT_FLOAT_EQ(y[1], 0.75f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[3], 0.5f);
  EXPECT_EQ(y[4], 1.0f);
  EXPECT_EQ(y[5], 0.0f);
  float one;
  const float x1 = -3.0f;
  ref::softmax_forward(Exec::cpu(), &one, &x1, 1, 1);
  EXPECT_EQ(one, 1.0f);
}

TEST(Softmax, RefRowsSumToOne) {
  const int N = 9, K = 37;
  const auto x = uniform(N * K, 7, -20.0f, 20.0f);
  std::vector<float> y(N * K);
  ref::softmax_forward(Exec::cpu(), y.data(), x.data(), N, K);
  for (int n = 0; n < N; ++n) {
    double s = 0;
    for (int k = 0; k < K; ++k) {
      EXPECT_GE(y[n * K + k], 0.0f);
      s += y[n * K + k];
    }
    EXPECT_NEAR(s, 1.0, K * kEps32);  // K outputs, each rounded to float once
  }
}

// cpu:: is fp32: x - max is rounded (relative error eps32/2, so exp's argument is off by up to
// eps32 |x - max| / 2), exp is within ~1 ulp, and the sum of K positive terms has relative error
// <= K eps32 / 2 in the worst case. Tolerance: (4 + K/2 + |x - max|) eps32 |y|, plus a floor
// for outputs that underflow to denormals.
TEST(Softmax, CpuMatchesRef) {
  uint32_t seed = 600;
  for (int N : {1, 3, 17, 64 + 5, 2000}) {  // 2000 x 33 takes the OpenMP path
    for (int K : {1, 2, 6, 7, 33, 384 + 3}) {
      SCOPED_TRACE(shape("N", N, "K", K));
      const auto x = uniform(size_t(N) * K, seed += 2, -15.0f, 15.0f);
      std::vector<float> want(x.size()), got(x.size(), NAN);
      ref::softmax_forward(Exec::cpu(), want.data(), x.data(), N, K);
      cpu::softmax_forward(Exec::cpu(), got.data(), x.data(), N, K);
      std::vector<float> row_max(N, -INFINITY);
      for (size_t i = 0; i < x.size(); ++i) row_max[i / K] = std::max(row_max[i / K], x[i]);
      EXPECT_TRUE(all_close(got, want, [&](size_t i) {
        return (4.0 + K / 2.0 + (row_max[i / K] - x[i])) * kEps32 * want[i] + 1e-38;
      }));

      std::vector<float> inplace = x;
      cpu::softmax_forward(Exec::cpu(), inplace.data(), inplace.data(), N, K);
      EXPECT_EQ(inplace, got);
    }
  }
}

// Logits far outside exp's float range (|x| > 88) must not overflow to inf/NaN: the row maximum
// is subtracted first, as torch.softmax does.
TEST(Softmax, CpuHandlesHugeLogits) {
  const std::vector<float> x = {1000.0f, 1000.0f - float(std::log(3.0)), -1000.0f, -1000.0f};
  std::vector<float> y(4);
  cpu::softmax_forward(Exec::cpu(), y.data(), x.data(), 2, 2);
  EXPECT_NEAR(y[0], 0.75f, 1e-4f);  // ln 3 is rounded to the float spacing at 1000 (6e-5)
  EXPECT_NEAR(y[1], 0.25f, 1e-4f);
  EXPECT_EQ(y[2], 0.5f);
  EXPECT_EQ(y[3], 0.5f);
}

}  // namespace
}  // namespace finetune::kernels
