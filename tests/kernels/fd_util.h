// Central finite differences in double, for checking every backward kernel's gradient formulas
// (DESIGN.md principle 6) through the double instantiation of the ref::math templates.
//
// Method: for a function f of many inputs and a fixed random R, the scalar L = sum(R * f(x)) has
// dL/dx = backward(dout = R). Each input element x_i is moved by +-h and
//   fd_i = (L(x + h e_i) - L(x - h e_i)) / (2h)
// is compared with the analytic gradient g_i.
//
// Error of fd_i: truncation h^2 / 6 * |d^3 L / dx_i^3| (~1.7e-11 times a third derivative of
// order 1-10 for h = 1e-5 and our O(1) inputs) plus rounding eps64 * |terms of L| / h (~1e-11 for
// L a sum of a few dozen O(1) terms). Both are ~1e-10 absolute on these tiny shapes; h = 1e-5 is
// near the optimum (cube root of eps64 ~ 6e-6) that balances them. The tolerance is
//   |fd_i - g_i| <= 1e-6 * (|g_i| + 1e-2 * max_j |g_j|)
// i.e. 1e-6 relative, with a floor of 1e-8 of the largest gradient for elements whose true
// gradient is (near) zero. That leaves a margin of ~100x over the finite-difference error while a
// wrong formula (a missing term, a wrong sign, a transposed index) is off by O(|g|), a million
// times the tolerance.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <vector>

namespace finetune::kernels::testing {

inline constexpr double kFdStep = 1e-5;
inline constexpr double kFdRel = 1e-6;
inline constexpr double kFdFloor = 1e-2;

// n doubles uniform in [lo, hi) from a fixed seed.
inline std::vector<double> uniform_d(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// sum_i r_i * y_i: the random linear functional L = sum(R * out).
inline double dot(const std::vector<double>& r, const std::vector<double>& y) {
  double s = 0.0;
  for (size_t i = 0; i < r.size(); ++i) s += r[i] * y[i];
  return s;
}

// Compares `analytic` with central differences of `loss` w.r.t. every element of `x` (which
// `loss` reads; it is restored afterwards). Reports the worst element on failure.
inline ::testing::AssertionResult matches_finite_differences(std::vector<double>& x,
                                                             const std::vector<double>& analytic,
                                                             const std::function<double()>& loss) {
  if (x.size() != analytic.size()) {
    return ::testing::AssertionFailure()
           << "gradient size " << analytic.size() << " != input size " << x.size();
  }
  double gmax = 0.0;
  for (double g : analytic) gmax = std::max(gmax, std::fabs(g));
  size_t bad = 0, worst = 0;
  double worst_ratio = 0.0, worst_fd = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + kFdStep;
    const double plus = loss();
    x[i] = saved - kFdStep;
    const double minus = loss();
    x[i] = saved;
    const double fd = (plus - minus) / (2 * kFdStep);
    const double tol = kFdRel * (std::fabs(analytic[i]) + kFdFloor * gmax);
    const double err = std::fabs(fd - analytic[i]);
    const double ratio = tol > 0 ? err / tol : (err > 0 ? INFINITY : 0.0);
    if (!(ratio <= 1.0)) ++bad;
    if (!(ratio <= worst_ratio)) {
      worst_ratio = ratio;
      worst = i;
      worst_fd = fd;
    }
  }
  if (std::getenv("FINETUNE_TEST_VERBOSE")) {
    std::printf("    [finite differences] n=%zu max|g|=%.3g worst error/tolerance %.3g\n", x.size(),
                gmax, worst_ratio);
  }
  if (bad == 0) return ::testing::AssertionSuccess() << "worst error/tolerance " << worst_ratio;
  std::ostringstream msg;
  msg.precision(12);
  msg << bad << " of " << x.size() << " gradient elements differ from finite differences; worst at "
      << worst << ": analytic " << analytic[worst] << ", finite difference " << worst_fd
      << ", error/tolerance " << worst_ratio;
  return ::testing::AssertionFailure() << msg.str();
}

}  // namespace finetune::kernels::testing
