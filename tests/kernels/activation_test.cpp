// Tests of activation_forward and activation_backward: ref:: against known values (the standard
// normal CDF and density for GELU, tanh, ReLU), cpu:: against ref:: over sizes that hit the
// serial and parallel paths, inputs across the whole useful range, and `out` aliasing `in`
// (`din` aliasing `dout`). The derivative formulas themselves are checked against finite
// differences in backward_fd_test.cpp.
#include "kernels/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/activation_math.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

std::vector<float> apply_ref(Activation kind, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  ref::activation_forward(Exec::cpu(), y.data(), x.data(), long(x.size()), kind);
  return y;
}

// GELU(x) = x Phi(x) with Phi the standard normal CDF; Phi(1) = 0.8413447460685429,
// Phi(2) = 0.9772498680518208, Phi(-1) = 0.15865525393145707 (statistical tables).
TEST(Activation, RefGeluErfMatchesNormalCdf) {
  const auto y = apply_ref(Activation::GeluErf, {0.0f, 1.0f, 2.0f, -1.0f, 10.0f, -10.0f, 30.0f});
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 0.8413447460685429f);
  EXPECT_FLOAT_EQ(y[2], float(2 * 0.9772498680518208));
  EXPECT_FLOAT_EQ(y[3], -0.15865525393145707f);
  EXPECT_EQ(y[4], 10.0f);           // Phi(10) = 1 - 7.6e-24: x itself in float
  EXPECT_NEAR(y[5], 0.0f, 1e-20f);  // -10 * Phi(-10) = -7.6e-23
  EXPECT_EQ(y[6], 30.0f);
}

// gelu_new at 1: 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)) = 0.8411919906082768; the tanh
// approximation is within ~2e-4 of the exact GELU, as its authors state.
TEST(Activation, RefGeluTanhMatchesKnownValues) {
  const auto y = apply_ref(Activation::GeluTanh, {0.0f, 1.0f, -1.0f, 10.0f});
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_FLOAT_EQ(y[1], 0.8411919906082768f);
  EXPECT_NEAR(y[1], 0.8413447460685429f, 2e-4f);
  EXPECT_FLOAT_EQ(y[2], -0.15880800939172324f);
  EXPECT_EQ(y[3], 10.0f);
}

TEST(Activation, RefReluAndTanh) {
  const auto r = apply_ref(Activation::Relu, {-2.0f, 0.0f, 3.5f, NAN});
  EXPECT_EQ(r[0], 0.0f);
  EXPECT_EQ(r[1], 0.0f);
  EXPECT_EQ(r[2], 3.5f);
  EXPECT_TRUE(std::isnan(r[3]));  // torch.relu propagates NaN
  const auto t = apply_ref(Activation::Tanh, {0.0f, 0.5f, -0.5f, 20.0f});
  EXPECT_EQ(t[0], 0.0f);
  EXPECT_FLOAT_EQ(t[1], 0.46211715726000974f);
  EXPECT_FLOAT_EQ(t[2], -0.46211715726000974f);
  EXPECT_EQ(t[3], 1.0f);
}

// Tolerances of cpu:: against ref:: (which rounds the double result once):
// - GeluErf: cpu:: computes x * Phi(x) with its own branch-free normal CDF (see
//   cpu/activation.cpp): a polynomial fit good to 2e-9, an exp polynomial good to 1.3e-8, the
//   exponent x^2/2 split exactly (together < 0.2 eps32), then float roundings that do not
//   cancel: the degree-10 Horner sum (~1.5 eps32), the exp polynomial (~1 eps32), two divisions
//   and four products (~1.5 eps32). The maximum seen over a dense grid is 2.85 eps32; we allow
//   6 eps32 relative everywhere, including the lower tail. The floor 1e-38 covers x < -13, where
//   Phi(x) is a subnormal float (fewer significant bits) and then 0 below x = -13.19.
// - GeluTanh: tanhf within ~1-2 ulp and a handful of roundings give 4 eps32 |y|; where
//   1 + tanh(.) cancels (x < ~-3) the float result keeps an absolute error of ~eps32 * |x|
//   (the ulp of the 1 + ... term times 0.5 |x|) although the value goes to 0: + eps32 |x|.
// - Tanh: 4 eps32 |y|. ReLU: exact.
double tolerance(Activation kind, float x, float y) {
  switch (kind) {
    case Activation::GeluErf:
      return 6 * kEps32 * std::fabs(y) + 1e-38;
    case Activation::GeluTanh:
      return 4 * kEps32 * std::fabs(y) + kEps32 * std::fabs(x) + 1e-38;
    case Activation::Tanh:
      return 4 * kEps32 * std::fabs(y) + 1e-38;
    case Activation::Relu:
      return 0.0;
  }
  return 0.0;
}

TEST(Activation, CpuMatchesRef) {
  uint32_t seed = 500;
  for (Activation kind :
       {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh}) {
    // 40000 elements take the OpenMP path; the others stay on the calling thread.
    for (long N : {1L, 3L, 17L, 1000L + 3, 40000L}) {
      SCOPED_TRACE(shape("kind", static_cast<int>(kind), "N", N));
      auto x = uniform(N, seed += 2, -6.0f, 6.0f);
      if (N > 8) {  // also the tails and exact points
        x[0] = 0.0f;
        x[1] = -12.0f;
        x[2] = 12.0f;
        x[3] = -3.5f;
        x[4] = 1e-30f;
      }
      const auto want = apply_ref(kind, x);
      std::vector<float> got(N, NAN);
      cpu::activation_forward(Exec::cpu(), got.data(), x.data(), N, kind);
      EXPECT_TRUE(all_close(got, want, [&](size_t i) { return tolerance(kind, x[i], want[i]); }));

      // In place (out == in) gives the same values.
      std::vector<float> inplace = x;
      cpu::activation_forward(Exec::cpu(), inplace.data(), inplace.data(), N, kind);
      EXPECT_EQ(inplace, got);
    }
  }
}

// GeluErf over a dense grid of [-14, 14] (step 2^-10: every region of the normal-CDF
// approximation, the switch at x = 0, the lower tail down to where it underflows) and the
// special values. The tolerance is the relative one above, with no allowance for cancellation.
TEST(Activation, CpuGeluErfIsAccurateEverywhere) {
  std::vector<float> x;
  for (int i = -14 * 1024; i <= 14 * 1024; ++i) x.push_back(float(i) / 1024);
  for (float v :
       {1e-30f, -1e-30f, 1e-3f, -1e-3f, 13.19f, -13.19f, -13.2f, 100.0f, -100.0f, 3e38f, -3e38f}) {
    x.push_back(v);
  }
  const auto want = apply_ref(Activation::GeluErf, x);
  std::vector<float> got(x.size(), NAN);
  cpu::activation_forward(Exec::cpu(), got.data(), x.data(), long(x.size()), Activation::GeluErf);
  EXPECT_TRUE(all_close(got, want,
                        [&](size_t i) { return tolerance(Activation::GeluErf, x[i], want[i]); }));
  // Non-finite inputs behave as in PyTorch: NaN -> NaN, +inf -> +inf, -inf -> -inf * 0 = NaN.
  const std::vector<float> special = {NAN, INFINITY, -INFINITY};
  std::vector<float> y(3);
  cpu::activation_forward(Exec::cpu(), y.data(), special.data(), 3, Activation::GeluErf);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], INFINITY);
  EXPECT_TRUE(std::isnan(y[2]));
}

TEST(Activation, CpuReluPropagatesNan) {
  std::vector<float> x = {NAN, -1.0f}, y(2);
  cpu::activation_forward(Exec::cpu(), y.data(), x.data(), 2, Activation::Relu);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 0.0f);
}

std::vector<float> backward_ref(Activation kind, const std::vector<float>& dout,
                                const std::vector<float>& x) {
  std::vector<float> din(x.size());
  ref::activation_backward(Exec::cpu(), din.data(), dout.data(), x.data(), long(x.size()), kind);
  return din;
}

// Derivatives at known points: gelu'(x) = Phi(x) + x phi(x), so gelu'(0) = 1/2 and
// gelu'(1) = 0.8413447460685429 + 0.24197072451914337 = 1.0833154705876863 (phi(1) from tables);
// relu' = 0 for x <= 0 (also at 0, as torch) and 1 for x > 0 or NaN (the gradient passes);
// tanh'(x) = 1 - tanh^2 x, tanh'(0) = 1; gelu_new'(0) = 1/2.
TEST(Activation, RefBackwardKnownValues) {
  const std::vector<float> ones(4, 1.0f);
  auto d = backward_ref(Activation::GeluErf, ones, {0.0f, 1.0f, -30.0f, 30.0f});
  EXPECT_EQ(d[0], 0.5f);
  EXPECT_FLOAT_EQ(d[1], 1.0833154705876863f);
  EXPECT_EQ(d[2], 0.0f);
  EXPECT_EQ(d[3], 1.0f);
  d = backward_ref(Activation::Relu, {2.0f, 2.0f, 2.0f, 2.0f}, {-1.0f, 0.0f, 3.0f, NAN});
  EXPECT_EQ(d, (std::vector<float>{0.0f, 0.0f, 2.0f, 2.0f}));
  d = backward_ref(Activation::Tanh, ones, {0.0f, 0.5f, -0.5f, 20.0f});
  EXPECT_EQ(d[0], 1.0f);
  EXPECT_FLOAT_EQ(d[1], float(1 - 0.46211715726000974 * 0.46211715726000974));
  EXPECT_EQ(d[1], d[2]);
  EXPECT_NEAR(d[3], 0.0f, 1e-16f);
  d = backward_ref(Activation::GeluTanh, ones, {0.0f, 0.0f, 0.0f, 0.0f});
  EXPECT_EQ(d[0], 0.5f);
}

// Tolerances of the cpu:: derivatives against ref:: (double, rounded once), times |dout|:
// - GeluErf: Phi and x phi come from the same normal-CDF code as the forward pass, each within
//   ~3 eps32 relative (the forward bound); their sum cancels near x = -0.75 (the derivative's
//   zero), so the bound is relative to the terms, 6 eps32 (|Phi| + |x phi|), plus 2 eps32 of the
//   result for the sum and the product with dout. Below x ~ -13.19 both terms underflow and are
//   flushed to 0 while the true derivative is ~x phi(x) < 1e-36: floor 1e-36 |dout|.
// - GeluTanh: u = sqrt(2/pi) (x + 0.044715 x^3) carries ~3 roundings, so t = tanhf(u) is off by
//   E_t = eps32 (2 + 4 |u| (1 - t^2)) (2 ulp of tanhf plus the input error through tanh' =
//   1 - t^2). The first term 0.5 (1 + t) inherits 0.5 E_t; the second, 0.5 x (1 - t^2) u'(x),
//   inherits |x| u'(x) (E_t + eps32) from 1 - t^2 (absolute: it cancels where |t| -> 1, as in
//   PyTorch's float kernel); plus 4 eps32 of each term for the remaining roundings.
// - Tanh: tanhf within 2 ulp, so 1 - t^2 has an absolute error of 4 eps32 t^2 + eps32.
// - ReLU: exact (a selection).
double backward_tolerance(Activation kind, float x, float dout) {
  const double xd = x, ad = std::fabs(double(dout));
  switch (kind) {
    case Activation::GeluErf: {
      const double cdf = 0.5 * std::erfc(-xd * ref::math::kSqrtHalf);
      const double xpdf = std::fabs(xd * ref::math::kInvSqrtTwoPi * std::exp(-0.5 * xd * xd));
      const double d = std::fabs(ref::math::activation_derivative(xd, kind));
      return ad * (6 * kEps32 * (cdf + xpdf) + 2 * kEps32 * d + 1e-36);
    }
    case Activation::GeluTanh: {
      const double u = ref::math::kSqrtTwoOverPi * (xd + ref::math::kGeluTanhCubic * xd * xd * xd);
      const double t = std::tanh(u);
      const double du_dx =
          ref::math::kSqrtTwoOverPi * (1 + 3 * ref::math::kGeluTanhCubic * xd * xd);
      const double e_t = kEps32 * (2 + 4 * std::fabs(u) * (1 - t * t));
      const double term1 = 0.5 * (1 + t), term2 = std::fabs(0.5 * xd * (1 - t * t) * du_dx);
      return ad * (0.5 * e_t + std::fabs(xd) * du_dx * (e_t + kEps32) +
                   4 * kEps32 * (term1 + term2)) +
             1e-38;
    }
    case Activation::Tanh: {
      const double t = std::tanh(xd);
      return ad * kEps32 * (4 * t * t + 2 * (1 - t * t) + 1) + 1e-38;
    }
    case Activation::Relu:
      return 0.0;
  }
  return 0.0;
}

TEST(Activation, BackwardCpuMatchesRef) {
  uint32_t seed = 800;
  for (Activation kind :
       {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh}) {
    for (long N : {1L, 3L, 17L, 1000L + 3, 40000L}) {
      SCOPED_TRACE(shape("kind", static_cast<int>(kind), "N", N));
      auto x = uniform(N, seed += 2, -6.0f, 6.0f);
      const auto dout = uniform(N, seed + 1, -2.0f, 2.0f);
      if (N > 8) {
        x[0] = 0.0f;
        x[1] = -12.0f;
        x[2] = 12.0f;
        x[3] = -0.75f;  // GELU's derivative is ~0 here
        x[4] = 1e-30f;
      }
      const auto want = backward_ref(kind, dout, x);
      std::vector<float> got(N, NAN);
      cpu::activation_backward(Exec::cpu(), got.data(), dout.data(), x.data(), N, kind);
      EXPECT_TRUE(
          all_close(got, want, [&](size_t i) { return backward_tolerance(kind, x[i], dout[i]); }));

      // In place (din == dout) gives the same values.
      std::vector<float> inplace = dout;
      cpu::activation_backward(Exec::cpu(), inplace.data(), inplace.data(), x.data(), N, kind);
      EXPECT_EQ(inplace, got);
    }
  }
}

// Every derivative over a dense grid of [-14, 14] (step 2^-9), with dout = 1 so the tolerance is
// the derivative's own, and ReLU's NaN and zero inputs.
TEST(Activation, BackwardCpuIsAccurateEverywhere) {
  std::vector<float> x;
  for (int i = -14 * 512; i <= 14 * 512; ++i) x.push_back(float(i) / 512);
  for (float v : {1e-30f, -1e-30f, 13.19f, -13.19f, -13.2f, 100.0f, -100.0f}) x.push_back(v);
  const std::vector<float> ones(x.size(), 1.0f);
  for (Activation kind :
       {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh}) {
    SCOPED_TRACE(shape("kind", static_cast<int>(kind)));
    const auto want = backward_ref(kind, ones, x);
    std::vector<float> got(x.size(), NAN);
    cpu::activation_backward(Exec::cpu(), got.data(), ones.data(), x.data(), long(x.size()), kind);
    EXPECT_TRUE(
        all_close(got, want, [&](size_t i) { return backward_tolerance(kind, x[i], 1.0f); }));
  }
  const std::vector<float> relu_x = {NAN, 0.0f, -0.0f}, dout = {3.0f, 3.0f, 3.0f};
  std::vector<float> d(3);
  cpu::activation_backward(Exec::cpu(), d.data(), dout.data(), relu_x.data(), 3, Activation::Relu);
  EXPECT_EQ(d, (std::vector<float>{3.0f, 0.0f, 0.0f}));
}

// GeGLU applies exactly the activation kernels' functions: cpu::geglu_* equals, bit for bit,
// cpu::activation_* on the input half followed by the float product (forward: act(x) * gate;
// backward: dgate = dout * act(x), dinput = activation_backward(dout * gate, x)). The activation
// kernels themselves are checked against ref:: above, and ref::geglu against finite differences
// in backward_fd_test.cpp.
TEST(Activation, GegluComposesTheActivation) {
  const long N = 5, F = 37;
  const auto in = uniform(size_t(N) * 2 * F, 1500, -6.0f, 6.0f);
  const auto dout = uniform(size_t(N) * F, 1501);
  for (Activation kind :
       {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Tanh}) {
    SCOPED_TRACE(shape("activation", static_cast<int>(kind)));
    std::vector<float> x(size_t(N) * F), gate(x.size());
    for (long n = 0; n < N; ++n) {
      for (long j = 0; j < F; ++j) {
        x[n * F + j] = in[n * 2 * F + j];
        gate[n * F + j] = in[n * 2 * F + F + j];
      }
    }
    std::vector<float> act(x.size()), out(x.size(), NAN);
    cpu::activation_forward(Exec::cpu(), act.data(), x.data(), N * F, kind);
    cpu::geglu_forward(Exec::cpu(), out.data(), in.data(), N, F, kind);
    std::vector<float> d_act(x.size()), d_x(x.size()), din(in.size(), NAN);
    for (size_t i = 0; i < x.size(); ++i) d_act[i] = dout[i] * gate[i];
    cpu::activation_backward(Exec::cpu(), d_x.data(), d_act.data(), x.data(), N * F, kind);
    cpu::geglu_backward(Exec::cpu(), din.data(), dout.data(), in.data(), N, F, kind);
    for (long n = 0; n < N; ++n) {
      for (long j = 0; j < F; ++j) {
        const size_t i = n * F + j;
        ASSERT_EQ(out[i], act[i] * gate[i]) << n << " " << j;
        ASSERT_EQ(din[n * 2 * F + F + j], dout[i] * act[i]) << n << " " << j;
        ASSERT_EQ(din[n * 2 * F + j], d_x[i]) << n << " " << j;
      }
    }
    // ref:: against cpu:: for the forward: the activation's tolerance above, carried through the
    // product with the gate, plus the product's rounding.
    std::vector<float> want(x.size()), act_ref(x.size());
    ref::geglu_forward(Exec::cpu(), want.data(), in.data(), N, F, kind);
    ref::activation_forward(Exec::cpu(), act_ref.data(), x.data(), N * F, kind);
    EXPECT_TRUE(all_close(out, want, [&](size_t i) {
      return tolerance(kind, x[i], act_ref[i]) * std::fabs(gate[i]) +
             2 * kEps32 * std::fabs(want[i]) + 1e-38;
    }));
  }
}

}  // namespace
}  // namespace finetune::kernels
