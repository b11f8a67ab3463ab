// Tests of cuda::activation_forward and cuda::activation_backward against ref:: (double, rounded
// once) for all four kinds, on random inputs with special values, a dense grid of [-14, 14] and
// in place (out aliasing in, din aliasing dout).
//
// Tolerances (per element; reasons in src/kernels/cuda/activation.cu and docs/numerics.md):
// - GeluErf forward: x * normcdff(x), normcdff within 5 ulp of Phi (CUDA Math API) over its
//   whole range, one more rounding: 8 eps32 |y|, plus 1e-38 where Phi is subnormal (x < -13.2).
// - GeluErf backward: Phi (5 ulp) + x phi (expf 2 ulp with the exponent exact, a few products):
//   |dout| (8 eps32 (Phi + |x phi|) + 2 eps32 |y'| + 1e-36); the terms cancel near x = -0.75, so
//   the bound is on the terms, as for cpu::.
// - GeluTanh and Tanh: the cpu:: bounds of tests/kernels/activation_test.cpp doubled: CUDA's
//   tanhf is within 2 ulp (glibc's within ~1) and nvcc contracts products into FMAs, which moves
//   the roundings but not their number.
// - ReLU: exact (a selection) both ways.
#include "kernels/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/ref/activation_math.h"

namespace finetune::kernels {
namespace {

using cudatest::all_close;
using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::kEps32;
using cudatest::shape;
using cudatest::uniform;

constexpr Activation kKinds[] = {Activation::GeluErf, Activation::GeluTanh, Activation::Relu,
                                 Activation::Tanh};

double forward_tolerance(Activation kind, float x, float y) {
  switch (kind) {
    case Activation::GeluErf:
      return 8 * kEps32 * std::fabs(y) + 1e-38;
    case Activation::GeluTanh:
      return 2 * (4 * kEps32 * std::fabs(y) + kEps32 * std::fabs(x)) + 1e-38;
    case Activation::Tanh:
      return 2 * 4 * kEps32 * std::fabs(y) + 1e-38;
    case Activation::Relu:
      return 0.0;
  }
  return 0.0;
}

double backward_tolerance(Activation kind, float x, float dout) {
  const double xd = x, ad = std::fabs(double(dout));
  switch (kind) {
    case Activation::GeluErf: {
      const double cdf = 0.5 * std::erfc(-xd * ref::math::kSqrtHalf);
      const double xpdf = std::fabs(xd * ref::math::kInvSqrtTwoPi * std::exp(-0.5 * xd * xd));
      const double d = std::fabs(ref::math::activation_derivative(xd, kind));
      return ad * (8 * kEps32 * (cdf + xpdf) + 2 * kEps32 * d + 1e-36);
    }
    case Activation::GeluTanh: {
      const double u = ref::math::kSqrtTwoOverPi * (xd + ref::math::kGeluTanhCubic * xd * xd * xd);
      const double t = std::tanh(u);
      const double du_dx =
          ref::math::kSqrtTwoOverPi * (1 + 3 * ref::math::kGeluTanhCubic * xd * xd);
      const double e_t = kEps32 * (2 + 4 * std::fabs(u) * (1 - t * t));
      const double term1 = 0.5 * (1 + t), term2 = std::fabs(0.5 * xd * (1 - t * t) * du_dx);
      return 2 * ad *
                 (0.5 * e_t + std::fabs(xd) * du_dx * (e_t + kEps32) +
                  4 * kEps32 * (term1 + term2)) +
             1e-38;
    }
    case Activation::Tanh: {
      const double t = std::tanh(xd);
      return 2 * ad * kEps32 * (4 * t * t + 2 * (1 - t * t) + 1) + 1e-38;
    }
    case Activation::Relu:
      return 0.0;
  }
  return 0.0;
}

class CudaActivation : public CudaKernelTest {};

void check(Exec ex, Activation kind, const std::vector<float>& x, const std::vector<float>& dout) {
  const long N = long(x.size());
  std::vector<float> want_y(N), want_dx(N);
  ref::activation_forward(Exec::cpu(), want_y.data(), x.data(), N, kind);
  ref::activation_backward(Exec::cpu(), want_dx.data(), dout.data(), x.data(), N, kind);
  DeviceBuffer<float> d_x(x), d_dout(dout), d_y(std::vector<float>(N, NAN)),
      d_dx(std::vector<float>(N, NAN));
  cuda::activation_forward(ex, d_y.get(), d_x.get(), N, kind);
  cuda::activation_backward(ex, d_dx.get(), d_dout.get(), d_x.get(), N, kind);
  const auto y = d_y.download(), dx = d_dx.download();
  EXPECT_TRUE(all_close(y, want_y, [&](size_t i) {
    return forward_tolerance(kind, x[i], want_y[i]);
  })) << "forward";
  EXPECT_TRUE(all_close(dx, want_dx, [&](size_t i) {
    return backward_tolerance(kind, x[i], dout[i]);
  })) << "backward";
  // In place gives the same values.
  cuda::activation_forward(ex, d_x.get(), d_x.get(), N, kind);
  EXPECT_EQ(d_x.download(), y) << "forward in place";
  d_x.upload(x);
  cuda::activation_backward(ex, d_dout.get(), d_dout.get(), d_x.get(), N, kind);
  EXPECT_EQ(d_dout.download(), dx) << "backward in place";
}

TEST_F(CudaActivation, MatchesRefOnRandomInputs) {
  uint32_t seed = 800;
  for (Activation kind : kKinds) {
    for (long N : {1L, 3L, 17L, 1000L + 3, 40000L, 1L << 20}) {
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
      check(exec(), kind, x, dout);
    }
  }
}

// Every function and derivative over a dense grid of [-14, 14] (step 2^-9) and special values,
// with dout = 1 so the tolerance is the derivative's own.
TEST_F(CudaActivation, AccurateEverywhere) {
  std::vector<float> x;
  for (int i = -14 * 512; i <= 14 * 512; ++i) x.push_back(float(i) / 512);
  for (float v : {1e-30f, -1e-30f, 13.19f, -13.19f, -13.2f, 100.0f, -100.0f}) x.push_back(v);
  const std::vector<float> ones(x.size(), 1.0f);
  for (Activation kind : kKinds) {
    SCOPED_TRACE(shape("kind", static_cast<int>(kind)));
    check(exec(), kind, x, ones);
  }
}

// ReLU passes NaN forward and passes the gradient where x is NaN; -0.0 and 0.0 block it.
TEST_F(CudaActivation, ReluSpecialValues) {
  DeviceBuffer<float> x(std::vector<float>{NAN, 0.0f, -0.0f, -2.0f, 3.5f});
  DeviceBuffer<float> dout(std::vector<float>(5, 3.0f)), y(5), dx(5);
  cuda::activation_forward(exec(), y.get(), x.get(), 5, Activation::Relu);
  cuda::activation_backward(exec(), dx.get(), dout.get(), x.get(), 5, Activation::Relu);
  const auto yv = y.download();
  EXPECT_TRUE(std::isnan(yv[0]));
  EXPECT_EQ(yv[3], 0.0f);
  EXPECT_EQ(yv[4], 3.5f);
  EXPECT_EQ(dx.download(), (std::vector<float>{3.0f, 0.0f, 0.0f, 0.0f, 3.0f}));
}

}  // namespace
}  // namespace finetune::kernels
