// Tests of first_token_forward and first_token_backward: they copy token 0 of every sequence
// (forward) and put dout back there with zeros elsewhere (backward), in both backends.
#include "kernels/pooling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::shape;
using testing::uniform;

TEST(Pooling, RefTakesFirstToken) {
  // B = 2, T = 2, C = 3: in[b, t, c] = 100 b + 10 t + c.
  const std::vector<float> in = {0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112};
  std::vector<float> out(6);
  ref::first_token_forward(Exec::cpu(), out.data(), in.data(), 2, 2, 3);
  EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 100, 101, 102}));
}

// A copy is exact: cpu:: must equal ref:: bit for bit.
TEST(Pooling, CpuEqualsRef) {
  uint32_t seed = 700;
  for (int B : {1, 3, 17}) {
    for (int T : {1, 2, 5, 23}) {
      for (int C : {1, 7, 384 + 3}) {
        SCOPED_TRACE(shape("B", B, "T", T, "C", C));
        const auto in = uniform(size_t(B) * T * C, seed++);
        std::vector<float> want(size_t(B) * C), got(size_t(B) * C, NAN);
        ref::first_token_forward(Exec::cpu(), want.data(), in.data(), B, T, C);
        cpu::first_token_forward(Exec::cpu(), got.data(), in.data(), B, T, C);
        EXPECT_EQ(got, want);
      }
    }
  }
}

// The backward is a copy into token 0 and zeros elsewhere (assigned: NaN before is overwritten).
TEST(Pooling, BackwardCpuEqualsRef) {
  const std::vector<float> dout = {1, 2, 3, 4, 5, 6};
  std::vector<float> din(12, NAN);
  ref::first_token_backward(Exec::cpu(), din.data(), dout.data(), 2, 2, 3);
  EXPECT_EQ(din, (std::vector<float>{1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0}));
  uint32_t seed = 750;
  for (int B : {1, 3, 17}) {
    for (int T : {1, 2, 5, 23}) {
      for (int C : {1, 7, 384 + 3}) {
        SCOPED_TRACE(shape("B", B, "T", T, "C", C));
        const auto dy = uniform(size_t(B) * C, seed++);
        std::vector<float> want(size_t(B) * T * C, NAN), got(size_t(B) * T * C, NAN);
        ref::first_token_backward(Exec::cpu(), want.data(), dy.data(), B, T, C);
        cpu::first_token_backward(Exec::cpu(), got.data(), dy.data(), B, T, C);
        EXPECT_EQ(got, want);
      }
    }
  }
}

// Mean pooling (ModernBERT's classifier_pooling "mean"): cpu:: (float sums in token order)
// against ref:: (double), tolerance (T + 2) eps32 of the mean of |x| over the real tokens (the
// sequential float sum of up to T terms, then one multiply by the rounded 1/count); padding
// patterns: full, right padding, only the first token, none (pools to 0). Backward: dout / count
// in the real rows, one rounding of the reciprocal and one of the product (2 eps32).
TEST(Pooling, MeanPoolCpuMatchesRef) {
  uint32_t seed = 750;
  for (int T : {1, 5, 23}) {
    for (int C : {1, 7, 64 + 3}) {
      const int B = 4;
      SCOPED_TRACE(shape("T", T, "C", C));
      std::vector<int32_t> mask(size_t(B) * T, 0);
      for (int t = 0; t < T; ++t) {
        mask[t] = 1;                              // full
        mask[size_t(T) + t] = t < (T + 1) / 2;    // right padding
        mask[2 * size_t(T) + t] = t == 0;         // first token only
      }                                           // sequence 3: no real token
      const auto in = uniform(size_t(B) * T * C, seed++);
      std::vector<float> want(size_t(B) * C), got(want.size(), NAN);
      ref::mean_pool_forward(Exec::cpu(), want.data(), in.data(), mask.data(), B, T, C);
      cpu::mean_pool_forward(Exec::cpu(), got.data(), in.data(), mask.data(), B, T, C);
      std::vector<double> tol(want.size());
      for (int b = 0; b < B; ++b) {
        int count = 0;
        for (int t = 0; t < T; ++t) count += mask[size_t(b) * T + t];
        for (int c = 0; c < C; ++c) {
          double abs_sum = 0;
          for (int t = 0; t < T; ++t) {
            if (mask[size_t(b) * T + t]) abs_sum += std::fabs(in[(size_t(b) * T + t) * C + c]);
          }
          tol[size_t(b) * C + c] = count ? (T + 2) * testing::kEps32 * abs_sum / count + 1e-38 : 0;
        }
      }
      for (int c = 0; c < C; ++c) EXPECT_EQ(got[3 * size_t(C) + c], 0.0f);
      EXPECT_TRUE(testing::all_close(got, want, [&](size_t i) { return tol[i] + 1e-38; }));

      const auto dout = uniform(size_t(B) * C, seed++);
      std::vector<float> dwant(in.size()), dgot(in.size(), NAN);
      ref::mean_pool_backward(Exec::cpu(), dwant.data(), dout.data(), mask.data(), B, T, C);
      cpu::mean_pool_backward(Exec::cpu(), dgot.data(), dout.data(), mask.data(), B, T, C);
      EXPECT_TRUE(testing::all_close(dgot, dwant, [&](size_t i) {
        return 2 * testing::kEps32 * std::fabs(dwant[i]) + 1e-38;
      }));
    }
  }
}

}  // namespace
}  // namespace finetune::kernels
