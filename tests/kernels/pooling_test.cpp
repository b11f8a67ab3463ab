// Tests of first_token_forward and first_token_backward: they copy token 0 of every sequence
// (forward) and put dout back there with zeros elsewhere (backward), in both backends.
#include "kernels/pooling.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace finetune::kernels
