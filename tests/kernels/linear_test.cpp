// Tests of linear_forward and linear_backward: ref:: against a hand-computed example, cpu::
// against ref:: over odd and tail shapes with and without bias, and the edge cases a sgemm
// wrapper gets wrong (bias with beta, NaN in an uninitialised output, empty dimensions,
// accumulation into the parameter gradients). The backward formulas themselves are checked
// against finite differences in backward_fd_test.cpp.
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

// Backward of the hand example above with dout = [[1, 0], [0, 2]]:
// din = dout @ W = [[1, 0, -1], [4, 2, 0]]; dweight = dout^T @ in = [[1, 2, 3], [8, 10, 12]];
// dbias = column sums of dout = [1, 2]. Starting from dweight = 1 and dbias = -1 everywhere, the
// parameter gradients accumulate onto those values; din (NaN before) is assigned.
TEST(Linear, BackwardMatchesHandExample) {
  const std::vector<float> in = {1, 2, 3, 4, 5, 6};
  const std::vector<float> w = {1, 0, -1, 2, 1, 0};
  const std::vector<float> dout = {1, 0, 0, 2};
  for (auto* f : {&ref::linear_backward, &cpu::linear_backward}) {
    std::vector<float> din(6, NAN), dw(6, 1.0f), db(2, -1.0f);
    f(Exec::cpu(), din.data(), dw.data(), db.data(), dout.data(), in.data(), w.data(), 2, 3, 2);
    EXPECT_EQ(din, (std::vector<float>{1, 0, -1, 4, 2, 0}));
    EXPECT_EQ(dw, (std::vector<float>{2, 3, 4, 9, 11, 13}));
    EXPECT_EQ(db, (std::vector<float>{0, 1}));
    // Null din and dbias are skipped; dweight accumulates a second time.
    f(Exec::cpu(), nullptr, dw.data(), nullptr, dout.data(), in.data(), w.data(), 2, 3, 2);
    EXPECT_EQ(dw, (std::vector<float>{3, 5, 7, 17, 21, 25}));
    EXPECT_EQ(db, (std::vector<float>{0, 1}));
  }
}

// cpu:: against ref:: for the backward pass, each output a sum with the error model of the
// forward test above:
// - din[n, i] = sum_o dout[n, o] W[o, i]: OC terms, tolerance 2 sqrt(OC + 1) eps32 S with
//   S = sum_o |dout W|.
// - dweight[o, i] = old + sum_n dout[n, o] in[n, i]: N products plus the old value (sgemm with
//   beta = 1 adds it inside its accumulation): 2 sqrt(N + 2) eps32 (|old| + sum_n |dout in|).
// - dbias[o] = old + sum_n dout[n, o]: the same with S = |old| + sum_n |dout|.
void check_backward(int N, int IC, int OC, bool with_din, bool with_bias, uint32_t seed) {
  SCOPED_TRACE(shape("N", N, "IC", IC, "OC", OC, "din", with_din, "bias", with_bias));
  const auto in = uniform(size_t(N) * IC, seed);
  const auto w = uniform(size_t(OC) * IC, seed + 1, -0.5f, 0.5f);
  const auto dout = uniform(size_t(N) * OC, seed + 2);
  const auto dw0 = uniform(size_t(OC) * IC, seed + 3, -0.1f, 0.1f);  // previous accumulation
  const auto db0 = uniform(OC, seed + 4, -0.1f, 0.1f);
  std::vector<float> want_din(size_t(N) * IC), got_din(want_din.size(), NAN);
  std::vector<float> want_dw = dw0, got_dw = dw0, want_db = db0, got_db = db0;
  ref::linear_backward(Exec::cpu(), with_din ? want_din.data() : nullptr, want_dw.data(),
                       with_bias ? want_db.data() : nullptr, dout.data(), in.data(), w.data(), N,
                       IC, OC);
  cpu::linear_backward(Exec::cpu(), with_din ? got_din.data() : nullptr, got_dw.data(),
                       with_bias ? got_db.data() : nullptr, dout.data(), in.data(), w.data(), N, IC,
                       OC);
  if (with_din) {
    const double rel = 2.0 * std::sqrt(OC + 1.0) * kEps32;
    EXPECT_TRUE(all_close(got_din, want_din, [&](size_t k) {
      const size_t n = k / IC, i = k % IC;
      double s = 0;
      for (int o = 0; o < OC; ++o) s += std::fabs(double(dout[n * OC + o]) * w[size_t(o) * IC + i]);
      return rel * s + 1e-38;
    })) << "din";
  } else {
    EXPECT_TRUE(std::isnan(got_din[0])) << "din must not be written when null";
  }
  const double rel_n = 2.0 * std::sqrt(N + 2.0) * kEps32;
  EXPECT_TRUE(all_close(got_dw, want_dw, [&](size_t k) {
    const size_t o = k / IC, i = k % IC;
    double s = std::fabs(dw0[k]);
    for (int n = 0; n < N; ++n) s += std::fabs(double(dout[size_t(n) * OC + o]) * in[n * IC + i]);
    return rel_n * s;
  })) << "dweight";
  if (with_bias) {
    EXPECT_TRUE(all_close(got_db, want_db, [&](size_t o) {
      double s = std::fabs(db0[o]);
      for (int n = 0; n < N; ++n) s += std::fabs(dout[size_t(n) * OC + o]);
      return rel_n * s;
    })) << "dbias";
  } else {
    EXPECT_EQ(got_db, db0);
  }
}

TEST(Linear, BackwardCpuMatchesRefOnOddShapes) {
  uint32_t seed = 500;
  for (int N : {1, 3, 17, 64 + 5}) {
    for (int IC : {1, 7, 33, 384 + 3}) {
      for (int OC : {1, 7, 64 + 5, 256 + 3}) {  // 259 > one 256-column block of the bias sum
        check_backward(N, IC, OC, true, true, seed += 5);
      }
    }
  }
  check_backward(17, 33, 7, false, true, seed += 5);
  check_backward(17, 33, 7, true, false, seed += 5);
  check_backward(17, 33, 7, false, false, seed + 5);
}

// DistilBERT's FFN and classifier at the reference job's batch (8 x 22 tokens).
TEST(Linear, BackwardCpuMatchesRefOnModelShapes) {
  check_backward(176, 768, 3072, true, true, 17);
  check_backward(8, 768, 6, true, true, 18);
}

// Empty dimensions: no rows leaves the parameter gradients unchanged; no outputs (OC = 0) makes
// din the empty sum 0; no inputs (IC = 0) still accumulates dbias.
TEST(Linear, BackwardEmptyShapes) {
  for (auto* f : {&ref::linear_backward, &cpu::linear_backward}) {
    std::vector<float> dw(6, 1.0f), db(2, 1.0f);
    f(Exec::cpu(), nullptr, dw.data(), db.data(), nullptr, nullptr, nullptr, 0, 3, 2);
    EXPECT_EQ(dw, std::vector<float>(6, 1.0f));
    EXPECT_EQ(db, std::vector<float>(2, 1.0f));
    std::vector<float> din(6, NAN);
    f(Exec::cpu(), din.data(), nullptr, nullptr, nullptr, nullptr, nullptr, 2, 3, 0);
    EXPECT_EQ(din, std::vector<float>(6, 0.0f));
    const std::vector<float> dout = {1, 2, 3, 4};
    f(Exec::cpu(), nullptr, nullptr, db.data(), dout.data(), nullptr, nullptr, 2, 0, 2);
    EXPECT_EQ(db, (std::vector<float>{5, 7}));
  }
}

}  // namespace
}  // namespace finetune::kernels
