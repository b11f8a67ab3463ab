// Tests of linear_forward: ref:: against a hand-computed example, cpu:: against ref:: over odd
// and tail shapes with and without bias, and the edge cases a sgemm wrapper gets wrong (bias
// with beta, NaN in an uninitialised output, empty inner dimension).
#include "kernels/linear.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

// out = in @ W^T + b for in = [[1,2,3],[4,5,6]], W = [[1,0,-1],[2,1,0]], b = [0.5,-1]:
// row 0: 1-3+0.5 = -1.5, 2+2-1 = 3;  row 1: 4-6+0.5 = -1.5, 8+5-1 = 12. All exact in float.
TEST(Linear, RefAndCpuMatchHandExample) {
  const std::vector<float> in = {1, 2, 3, 4, 5, 6};
  const std::vector<float> w = {1, 0, -1, 2, 1, 0};
  const std::vector<float> bias = {0.5f, -1.0f};
  for (auto* f : {&ref::linear_forward, &cpu::linear_forward}) {
    std::vector<float> out(4, -7.0f);
    f(Exec::cpu(), out.data(), in.data(), w.data(), bias.data(), 2, 3, 2);
    EXPECT_EQ(out, (std::vector<float>{-1.5f, 3.0f, -1.5f, 12.0f}));
    f(Exec::cpu(), out.data(), in.data(), w.data(), nullptr, 2, 3, 2);
    EXPECT_EQ(out, (std::vector<float>{-2.0f, 4.0f, -2.0f, 13.0f}));
  }
}

// cpu:: (fp32 sgemm) against ref:: (double). Each output is a dot product of IC terms; its fp32
// error is at most ~IC * eps32/2 * S with S = sum_i |x_i w_i| + |b| (the worst case of any
// summation order), and with random-signed rounding errors it grows like sqrt(IC). The
// tolerance is 2 * sqrt(IC + 1) * eps32 * S: relative to S, so it is scale-free; a real bug (a
// wrong row, a missing bias, a transposed weight) gives errors of order S and fails it.
void check_cpu_against_ref(int N, int IC, int OC, bool with_bias, uint32_t seed) {
  SCOPED_TRACE(shape("N", N, "IC", IC, "OC", OC, "bias", with_bias));
  const auto in = uniform(size_t(N) * IC, seed);
  const auto w = uniform(size_t(OC) * IC, seed + 1, -0.5f, 0.5f);
  const auto b = uniform(OC, seed + 2);
  const float* bias = with_bias ? b.data() : nullptr;
  std::vector<float> want(size_t(N) * OC), got(size_t(N) * OC, NAN);
  ref::linear_forward(Exec::cpu(), want.data(), in.data(), w.data(), bias, N, IC, OC);
  cpu::linear_forward(Exec::cpu(), got.data(), in.data(), w.data(), bias, N, IC, OC);

  std::vector<double> scale(got.size());
  for (int n = 0; n < N; ++n) {
    for (int o = 0; o < OC; ++o) {
      double s = with_bias ? std::fabs(b[o]) : 0.0;
      for (int i = 0; i < IC; ++i)
        s += std::fabs(double(in[size_t(n) * IC + i]) * w[size_t(o) * IC + i]);
      scale[size_t(n) * OC + o] = s;
    }
  }
  const double rel = 2.0 * std::sqrt(IC + 1.0) * kEps32;
  EXPECT_TRUE(all_close(got, want, [&](size_t i) { return rel * scale[i]; }));
}

TEST(Linear, CpuMatchesRefOnOddShapes) {
  uint32_t seed = 100;
  for (int N : {1, 3, 17, 64 + 5}) {
    for (int IC : {1, 7, 30, 33, 384 + 3}) {
      for (int OC : {1, 7, 33, 64 + 5}) {
        for (bool with_bias : {true, false}) check_cpu_against_ref(N, IC, OC, with_bias, seed += 3);
      }
    }
  }
}

// The shapes of the reference job: a batch of 8 x 22 tokens through DistilBERT's FFN
// (768 -> 3072 -> 768) and the classifier (768 -> 6).
TEST(Linear, CpuMatchesRefOnModelShapes) {
  check_cpu_against_ref(176, 768, 3072, true, 7);
  check_cpu_against_ref(176, 3072, 768, true, 8);
  check_cpu_against_ref(8, 768, 6, true, 9);
}

// With no bias, sgemm must overwrite the output (beta = 0), not add to it: a NaN left in `out`
// from a previous use must not leak into the result.
TEST(Linear, CpuWithoutBiasIgnoresPreviousOutput) {
  const auto in = uniform(5 * 9, 1);
  const auto w = uniform(4 * 9, 2);
  std::vector<float> want(5 * 4), got(5 * 4, NAN);
  ref::linear_forward(Exec::cpu(), want.data(), in.data(), w.data(), nullptr, 5, 9, 4);
  cpu::linear_forward(Exec::cpu(), got.data(), in.data(), w.data(), nullptr, 5, 9, 4);
  EXPECT_TRUE(all_close(got, want, 1e-5));
}

// An empty inner dimension is an empty sum: out = bias (or 0), in both backends.
TEST(Linear, EmptyInnerDimensionGivesBias) {
  const std::vector<float> bias = {1.5f, -2.0f, 3.0f};
  for (auto* f : {&ref::linear_forward, &cpu::linear_forward}) {
    std::vector<float> out(2 * 3, NAN);
    f(Exec::cpu(), out.data(), nullptr, nullptr, bias.data(), 2, 0, 3);
    EXPECT_EQ(out, (std::vector<float>{1.5f, -2.0f, 3.0f, 1.5f, -2.0f, 3.0f}));
    f(Exec::cpu(), out.data(), nullptr, nullptr, nullptr, 2, 0, 3);
    EXPECT_EQ(out, std::vector<float>(6, 0.0f));
  }
}

// No rows or no outputs: nothing is written and nothing is read.
TEST(Linear, EmptyShapesTouchNothing) {
  std::vector<float> out(1, 42.0f);
  cpu::linear_forward(Exec::cpu(), out.data(), nullptr, nullptr, nullptr, 0, 5, 3);
  cpu::linear_forward(Exec::cpu(), out.data(), nullptr, nullptr, nullptr, 3, 5, 0);
  EXPECT_EQ(out[0], 42.0f);
}

}  // namespace
}  // namespace finetune::kernels
