// Shared helpers of the kernel tests: seeded inputs and an elementwise comparison with a
// per-element tolerance that reports the worst offender.
//
// Every cpu:: kernel is checked against the ref:: oracle (double accumulation). A tolerance is
// always a formula of the inputs (e.g. sqrt(K) * eps32 * sum |x_i w_i| for a dot product), stated
// and justified where it is used, never a bare magic number; docs/numerics.md collects them.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/threads.h"

namespace finetune::kernels::testing {

// Machine epsilon of float (2^-23): the spacing of floats in [1, 2). The unit roundoff of one
// correctly rounded float operation is eps32 / 2.
inline constexpr double kEps32 = std::numeric_limits<float>::epsilon();

// n floats uniform in [lo, hi) from a fixed seed, so every run sees the same inputs.
inline std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Passes when |got[i] - want[i]| <= tol(i) for every i (NaN never passes unless both are NaN).
// On failure it names the first bad index, how many are bad and the worst error/tolerance ratio.
inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<float>& want,
                                            const std::function<double(size_t)>& tol) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected " << want.size();
  }
  size_t bad = 0, first_bad = 0, worst = 0;
  double worst_ratio = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double t = tol(i);
    const double ratio = both_nan ? 0.0 : (t > 0.0 ? err / t : (err > 0.0 ? INFINITY : 0.0));
    if (std::isnan(err) && !both_nan) {
      if (bad++ == 0) first_bad = i;
      worst = i;
      worst_ratio = INFINITY;
      continue;
    }
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = i;
    }
    if (ratio > 1.0 && bad++ == 0) first_bad = i;
  }
  // FINETUNE_TEST_VERBOSE=1 prints the margin of every comparison, for reviewing tolerances.
  if (std::getenv("FINETUNE_TEST_VERBOSE")) {
    std::printf("    [all_close] n=%zu worst error/tolerance %.3g\n", got.size(), worst_ratio);
  }
  if (bad == 0) return ::testing::AssertionSuccess() << "worst error/tolerance " << worst_ratio;
  std::ostringstream msg;
  msg.precision(9);
  msg << bad << " of " << got.size() << " elements out of tolerance; first at " << first_bad
      << ": got " << got[first_bad] << ", want " << want[first_bad] << ", tol " << tol(first_bad)
      << "; worst at " << worst << ": got " << got[worst] << ", want " << want[worst]
      << ", error/tolerance " << worst_ratio;
  return ::testing::AssertionFailure() << msg.str();
}

// Same with one absolute tolerance for every element.
inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<float>& want, double tol) {
  return all_close(got, want, [tol](size_t) { return tol; });
}

// Restores the CPU backend's thread count that a test changed, so that test order does not
// matter.
struct ThreadCountGuard {
  int saved = cpu::num_threads();
  ~ThreadCountGuard() { cpu::set_num_threads(saved); }
};

// A readable name for a shape in SCOPED_TRACE: shape("N", 3, "C", 7) == "N=3 C=7".
template <typename... Parts>
std::string shape(Parts&&... parts) {
  std::ostringstream out;
  int i = 0;
  ((out << parts << (i++ % 2 == 0 ? "=" : " ")), ...);
  std::string s = out.str();
  if (!s.empty()) s.pop_back();
  return s;
}

}  // namespace finetune::kernels::testing
