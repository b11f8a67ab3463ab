// Tests of cross_entropy_forward_backward: ref:: against closed forms (uniform logits give
// log K, a sure prediction gives 0), stability for logits of +-1000, gradient rows summing to 0,
// and cpu:: against ref:: with tolerances derived from the float softmax. The gradient formula
// itself is checked against finite differences in backward_fd_test.cpp.
#include "kernels/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

using LossFn = decltype(&ref::cross_entropy_forward_backward);
const LossFn kBoth[] = {&ref::cross_entropy_forward_backward, &cpu::cross_entropy_forward_backward};

// Equal logits: softmax is 1/K everywhere, the loss is log K whatever the label, and
// dlogits = scale (1/K - [k == label]).
TEST(Loss, UniformLogitsGiveLogK) {
  const int B = 3, K = 6;
  const float scale = 0.25f;
  const std::vector<float> logits(B * K, 2.5f);
  const std::vector<int32_t> labels = {0, 5, 2};
  for (LossFn f : kBoth) {
    std::vector<float> losses(B), d(B * K);
    f(Exec::cpu(), losses.data(), d.data(), logits.data(), labels.data(), B, K, scale);
    for (int b = 0; b < B; ++b) {
      EXPECT_NEAR(losses[b], std::log(6.0), 2 * kEps32 * std::log(6.0));
      for (int k = 0; k < K; ++k) {
        const double want = scale * (1.0 / K - (k == labels[b] ? 1.0 : 0.0));
        EXPECT_NEAR(d[b * K + k], want, 4 * kEps32 * std::fabs(want));
      }
    }
  }
}

// Logits of +-1000 stay finite: exp is only taken of z - max <= 0. [1000, -1000] with label 0 is
// a sure right answer (loss 0, gradient 0); with label 1 the loss is exactly 2000 and
// dlogits = scale (1, -1); [1000, 1000, 1000] is uniform, log 3.
TEST(Loss, LargeLogitsAreStable) {
  const std::vector<float> apart = {1000, -1000}, equal = {1000, 1000, 1000};
  const std::vector<int32_t> label0 = {0}, label1 = {1};
  for (LossFn f : kBoth) {
    std::vector<float> loss(1), d(2), d3(3);
    f(Exec::cpu(), loss.data(), d.data(), apart.data(), label0.data(), 1, 2, 1.0f);
    EXPECT_EQ(loss[0], 0.0f);
    EXPECT_EQ(d, (std::vector<float>{0.0f, 0.0f}));
    f(Exec::cpu(), loss.data(), d.data(), apart.data(), label1.data(), 1, 2, 0.5f);
    EXPECT_EQ(loss[0], 2000.0f);
    EXPECT_EQ(d, (std::vector<float>{0.5f, -0.5f}));
    f(Exec::cpu(), loss.data(), d3.data(), equal.data(), label1.data(), 1, 3, 1.0f);
    EXPECT_NEAR(loss[0], std::log(3.0), 2 * kEps32);
    EXPECT_NEAR(d3[1], 1.0 / 3 - 1, 2 * kEps32);
    EXPECT_NEAR(d3[0], 1.0 / 3, 2 * kEps32);
  }
}

// Every row of dlogits sums to scale * (sum_k softmax_k - 1) = 0, to rounding: K terms of size
// <= |scale|, so within K eps32 |scale|.
TEST(Loss, GradientRowsSumToZero) {
  const int B = 50, K = 7;
  const float scale = 1.0f / 8;
  const auto logits = uniform(size_t(B) * K, 5, -10.0f, 10.0f);
  std::mt19937 gen(6);
  std::vector<int32_t> labels(B);
  for (auto& l : labels) l = int32_t(gen() % K);
  for (LossFn f : kBoth) {
    std::vector<float> losses(B), d(size_t(B) * K);
    f(Exec::cpu(), losses.data(), d.data(), logits.data(), labels.data(), B, K, scale);
    for (int b = 0; b < B; ++b) {
      double sum = 0;
      for (int k = 0; k < K; ++k) sum += d[size_t(b) * K + k];
      EXPECT_NEAR(sum, 0.0, K * kEps32 * scale) << "row " << b;
      EXPECT_GE(losses[b], 0.0f);
    }
  }
}

// cpu:: (fp32) against ref:: (double). With z_k - max = -delta_k and S = sum_k exp(-delta_k):
// - loss = log S + (max - z_label): the float S has relative error <= (K/2 + 1) eps32 (K expf
//   within an ulp plus the sum), log turns it into an absolute error, logf adds eps32 |log S|,
//   and the rounded exponents add eps32/2 delta_k relative to each term; the final sum rounds
//   once: tol = (K/2 + 2 + |log S| + |max - z_label| + max_k delta_k) eps32 + eps32 |loss|.
// - dlogits_k = scale (softmax_k - [k == label]): softmax_k within (4 + K/2 + delta_k) eps32
//   relative (as in softmax_test.cpp), the subtraction and the scale add eps32 of the result.
void check(int B, int K, float scale, float spread, bool with_grad, uint32_t seed) {
  SCOPED_TRACE(shape("B", B, "K", K, "scale", scale, "spread", spread, "grad", with_grad));
  const auto logits = uniform(size_t(B) * K, seed, -spread, spread);
  std::mt19937 gen(seed + 1);
  std::vector<int32_t> labels(B);
  for (auto& l : labels) l = int32_t(gen() % K);
  std::vector<float> want_l(B), got_l(B, NAN), want_d(size_t(B) * K), got_d(want_d.size(), NAN);
  ref::cross_entropy_forward_backward(Exec::cpu(), want_l.data(), want_d.data(), logits.data(),
                                      labels.data(), B, K, scale);
  cpu::cross_entropy_forward_backward(Exec::cpu(), got_l.data(), with_grad ? got_d.data() : nullptr,
                                      logits.data(), labels.data(), B, K, scale);
  std::vector<double> tol_l(B), tol_d(want_d.size());
  for (int b = 0; b < B; ++b) {
    const float* z = &logits[size_t(b) * K];
    double max = -INFINITY, sum = 0, max_delta = 0;
    for (int k = 0; k < K; ++k) max = std::max(max, double(z[k]));
    for (int k = 0; k < K; ++k) {
      sum += std::exp(z[k] - max);
      max_delta = std::max(max_delta, max - z[k]);
    }
    tol_l[b] =
        (K / 2.0 + 2 + std::fabs(std::log(sum)) + (max - z[labels[b]]) + max_delta) * kEps32 +
        kEps32 * std::fabs(want_l[b]);
    for (int k = 0; k < K; ++k) {
      const double p = std::exp(z[k] - max) / sum;
      tol_d[size_t(b) * K + k] =
          std::fabs(scale) * ((4 + K / 2.0 + (max - z[k])) * kEps32 * p +
                              kEps32 * std::fabs(p - (k == labels[b] ? 1.0 : 0.0))) +
          1e-38;
    }
  }
  EXPECT_TRUE(all_close(got_l, want_l, [&](size_t i) { return tol_l[i]; })) << "losses";
  if (with_grad) {
    EXPECT_TRUE(all_close(got_d, want_d, [&](size_t i) { return tol_d[i]; })) << "dlogits";
  } else {
    EXPECT_TRUE(std::isnan(got_d[0])) << "dlogits must not be written when null";
  }
}

TEST(Loss, CpuMatchesRef) {
  uint32_t seed = 40;
  for (int B : {1, 8, 33}) {
    for (int K : {1, 2, 6, 17}) {
      for (float spread : {1.0f, 20.0f}) {
        check(B, K, 1.0f / B, spread, true, seed += 2);
        check(B, K, 1.0f, spread, false, seed += 2);
      }
    }
  }
  check(4096, 6, 1.0f / 4096, 5.0f, true, 99);  // above the parallel threshold
}

}  // namespace
}  // namespace finetune::kernels
