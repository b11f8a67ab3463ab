// Shared helpers of the CUDA kernel tests (tests/cuda_kernels/): a fixture that skips without a
// GPU and owns the test binary's one CUDA context, device buffers that upload and download
// std::vectors, seeded inputs, and an elementwise comparison with a per-element tolerance that
// reports the worst offender (index, values, error and error/tolerance ratio).
//
// Every cuda:: kernel is checked against the ref:: oracle (double accumulation) or, where the
// result is defined bit for bit (dropout, embedding, Adam, copies), against cpu:: / ref:: for
// equality. The tests compile in every build; without CUDA support, driver or GPU
// (kernels::cuda::device_count() == 0) each one skips with a message. To run just these on a GPU
// machine and see every margin:
//   FINETUNE_TEST_VERBOSE=1 build-cuda/tests/finetune_cuda_kernels_tests
// The pattern follows tests/kernels/kernel_test_util.h (copied, not included: each suite owns
// its helpers).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/exec.h"
#include "kernels/device.h"

namespace finetune::kernels::cudatest {

// Machine epsilon of float (2^-23) and the unit roundoff of bf16 (2^-8: 8 significant bits).
inline constexpr double kEps32 = std::numeric_limits<float>::epsilon();
inline constexpr double kUnitBf16 = 1.0 / 256.0;

// The context every test of the binary shares, created on first use. It is deliberately never
// destroyed: destroying it from a static destructor could run after the CUDA runtime has shut
// down; the process exit releases it.
inline CudaContext* shared_context() {
  static CudaContext* context = cuda::create_context(0);
  return context;
}

// Base fixture: skips the test when no CUDA device is usable, else provides Execs on device 0.
class CudaKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::device_count() == 0) {
      GTEST_SKIP() << "no usable CUDA device (built_with_cuda = " << cuda::built_with_cuda()
                   << "): CUDA kernel test skipped";
    }
  }
  static Exec exec(Precision precision = Precision::Fp32) {
    Exec ex;
    ex.device = Device::CUDA;
    ex.cuda = shared_context();
    ex.precision = precision;
    return ex;
  }
  static void sync() { cuda::synchronize(exec()); }
};

// A device array of n elements of T, optionally filled from a host vector. upload() and
// download() synchronise, so host vectors may be reused at once.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    ptr_ = static_cast<T*>(cuda::device_alloc(bytes() + 256));  // + slack for offset views
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { cuda::device_free(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return ptr_; }
  size_t size() const { return n_; }
  size_t bytes() const { return n_ * sizeof(T); }

  void upload(const std::vector<T>& host) {
    EXPECT_EQ(host.size(), n_);
    const Exec ex = exec();
    cuda::copy_to_device(ex, ptr_, host.data(), bytes());
    cuda::synchronize(ex);
  }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    const Exec ex = exec();
    cuda::copy_to_host(ex, host.data(), ptr_, bytes());
    cuda::synchronize(ex);
    return host;
  }

 private:
  static Exec exec() {
    Exec ex;
    ex.device = Device::CUDA;
    ex.cuda = shared_context();
    return ex;
  }
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

// n floats uniform in [lo, hi) from a fixed seed, so every run sees the same inputs.
inline std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Passes when |got[i] - want[i]| <= tol(i) for every i (NaN never passes unless both are NaN).
// On failure it names the first bad index, how many are bad, the largest absolute error and the
// worst error/tolerance ratio with their indices and values.
inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<float>& want,
                                            const std::function<double(size_t)>& tol) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected " << want.size();
  }
  size_t bad = 0, first_bad = 0, worst = 0, max_at = 0;
  double worst_ratio = 0.0, max_err = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double t = tol(i);
    if (std::isnan(err) && !both_nan) {
      if (bad++ == 0) first_bad = i;
      worst = i;
      worst_ratio = INFINITY;
      continue;
    }
    if (both_nan) continue;
    const double ratio = t > 0.0 ? err / t : (err > 0.0 ? INFINITY : 0.0);
    if (err > max_err) {
      max_err = err;
      max_at = i;
    }
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = i;
    }
    if (ratio > 1.0 && bad++ == 0) first_bad = i;
  }
  if (std::getenv("FINETUNE_TEST_VERBOSE")) {
    std::printf("    [all_close] n=%zu worst error/tolerance %.3g, max |error| %.3g at %zu\n",
                got.size(), worst_ratio, max_err, max_at);
  }
  if (bad == 0) return ::testing::AssertionSuccess() << "worst error/tolerance " << worst_ratio;
  std::ostringstream msg;
  msg.precision(9);
  msg << bad << " of " << got.size() << " elements out of tolerance; first at " << first_bad
      << ": got " << got[first_bad] << ", want " << want[first_bad] << ", tol " << tol(first_bad)
      << "; worst at " << worst << ": got " << got[worst] << ", want " << want[worst]
      << ", error/tolerance " << worst_ratio << "; max |error| " << max_err << " at " << max_at;
  return ::testing::AssertionFailure() << msg.str();
}

inline ::testing::AssertionResult all_close(const std::vector<float>& got,
                                            const std::vector<float>& want, double tol) {
  return all_close(got, want, [tol](size_t) { return tol; });
}

// Bit equality of two float arrays (so -0.0 != 0.0 and NaN payloads count), reporting the first
// difference and how many there are.
inline ::testing::AssertionResult bit_equal(const std::vector<float>& got,
                                            const std::vector<float>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected " << want.size();
  }
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &want[i], 4);
    if (a != b && bad++ == 0) first = i;
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream msg;
  msg.precision(9);
  msg << bad << " of " << got.size() << " elements differ; first at " << first << ": got "
      << got[first] << ", want " << want[first];
  return ::testing::AssertionFailure() << msg.str();
}

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

}  // namespace finetune::kernels::cudatest
