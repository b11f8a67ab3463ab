// Tests of first_token_forward: it copies token 0 of every sequence, in both backends.
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

}  // namespace
}  // namespace finetune::kernels
