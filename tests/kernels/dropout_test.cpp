// Tests of dropout_forward/dropout_backward and the mask definition of kernels/dropout.h:
// - the backward regenerates exactly the forward's mask and scale;
// - the fraction dropped is p to within a binomial bound, and masks differ across streams/seeds;
// - p = 0 is the identity (also in place);
// - cpu:: equals ref:: bit for bit, at any offset of the aligned groups of four, and does not
//   depend on the thread count;
// - survivors are scaled by fl(1 / (1 - p)) with one rounding.
#include "kernels/dropout.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/cpu/dropout_mask.h"
#include "kernels/cpu/threads.h"

namespace finetune::kernels {
namespace {

using testing::shape;
using testing::ThreadCountGuard;
using testing::uniform;

using DropoutFn = decltype(&ref::dropout_forward);
const DropoutFn kForward[] = {&ref::dropout_forward, &cpu::dropout_forward};
const DropoutFn kBackward[] = {&ref::dropout_backward, &cpu::dropout_backward};

// The forward zeroes exactly the elements dropout_keep rejects and scales the rest by
// fl(1/(1-p)); the backward applied to dout does the same with the same mask.
TEST(Dropout, BackwardUsesTheForwardMask) {
  const long N = 1001;
  const DropoutSpec spec{0.3f, 2024, 17};
  const float scale = float(1.0 / (1.0 - double(spec.p)));
  const auto x = uniform(N, 1, 0.5f, 1.5f), dout = uniform(N, 2, 0.5f, 1.5f);
  for (int backend = 0; backend < 2; ++backend) {
    SCOPED_TRACE(backend == 0 ? "ref" : "cpu");
    std::vector<float> y(N), din(N);
    kForward[backend](Exec::cpu(), y.data(), x.data(), N, spec);
    kBackward[backend](Exec::cpu(), din.data(), dout.data(), N, spec);
    for (long i = 0; i < N; ++i) {
      const bool keep = dropout_keep(spec, uint64_t(i));
      EXPECT_EQ(y[i], keep ? x[i] * scale : 0.0f) << i;
      EXPECT_EQ(din[i], keep ? dout[i] * scale : 0.0f) << i;
    }
  }
}

// Each element is dropped independently with probability p (uniform draws with 24-bit
// resolution; p is a float, so the exact probability is the fraction of the 2^24 grid below p).
// The count of dropped elements among N is binomial(N, p): it lies within 6 standard deviations
// sqrt(N p (1-p)) of N p except with probability ~2e-9 (and the seeds here are fixed).
TEST(Dropout, FractionDroppedIsP) {
  const long N = 1 << 20;
  const std::vector<float> ones(N, 1.0f);
  std::vector<float> y(N);
  for (float p : {0.02f, 0.1f, 0.5f, 0.9f}) {
    SCOPED_TRACE(shape("p", p));
    const DropoutSpec spec{p, 7, 3};
    cpu::dropout_forward(Exec::cpu(), y.data(), ones.data(), N, spec);
    long dropped = 0;
    for (float v : y) dropped += v == 0.0f;
    const double mean = double(N) * p, sd = std::sqrt(double(N) * p * (1 - p));
    EXPECT_NEAR(double(dropped), mean, 6 * sd);
  }
}

// Different streams (dropout sites or steps) and different seeds give unrelated masks: two
// independent masks with p = 0.5 agree on about half of the elements.
TEST(Dropout, StreamsAndSeedsGiveDifferentMasks) {
  const long N = 1 << 16;
  const DropoutSpec a{0.5f, 1, dropout_stream(0, 0)}, b{0.5f, 1, dropout_stream(0, 1)},
      c{0.5f, 1, dropout_stream(1, 0)}, d{0.5f, 2, dropout_stream(0, 0)};
  for (const DropoutSpec& other : {b, c, d}) {
    long same = 0;
    for (long i = 0; i < N; ++i) same += dropout_keep(a, i) == dropout_keep(other, i);
    EXPECT_NEAR(double(same), N / 2.0, 6 * std::sqrt(N / 4.0));
  }
}

// p = 0 (eval mode, or --dropout 0) copies, bit for bit, NaN and infinities included, also in
// place.
TEST(Dropout, ZeroProbabilityIsIdentity) {
  auto x = uniform(40003, 3);
  x[1] = NAN;
  x[2] = INFINITY;
  x[3] = -0.0f;
  const DropoutSpec off{0.0f, 5, 6};
  for (int backend = 0; backend < 2; ++backend) {
    std::vector<float> y(x.size()), inplace = x;
    kForward[backend](Exec::cpu(), y.data(), x.data(), long(x.size()), off);
    kBackward[backend](Exec::cpu(), inplace.data(), inplace.data(), long(x.size()), off);
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(x[i])) << i;
      EXPECT_EQ(std::bit_cast<uint32_t>(inplace[i]), std::bit_cast<uint32_t>(x[i])) << i;
    }
  }
}

// cpu:: computes Philox per aligned group of four elements; ref:: per element. Same bits for
// every size (tails of 1-3 elements, the parallel path) and in place.
TEST(Dropout, CpuEqualsRef) {
  uint32_t seed = 30;
  for (long N : {1L, 2L, 3L, 4L, 5L, 17L, 1003L, 40000L + 3, (1L << 16) + 1}) {
    for (float p : {0.1f, 0.5f}) {
      SCOPED_TRACE(shape("N", N, "p", p));
      const DropoutSpec spec{p, seed, seed + 1};
      const auto x = uniform(N, seed++);
      std::vector<float> want(N), got(N, NAN), inplace = x;
      ref::dropout_forward(Exec::cpu(), want.data(), x.data(), N, spec);
      cpu::dropout_forward(Exec::cpu(), got.data(), x.data(), N, spec);
      EXPECT_EQ(got, want);
      cpu::dropout_backward(Exec::cpu(), inplace.data(), inplace.data(), N, spec);
      EXPECT_EQ(inplace, want);
    }
  }
}

// The helper the attention kernel uses applies the mask from any start index (rows of the
// [B, NH, T, T] probabilities begin anywhere in a Philox group of four).
TEST(Dropout, MaskFromAnyOffset) {
  const DropoutSpec spec{0.4f, 77, 88};
  const float scale = cpu::dropout_scale(spec);
  const auto x = uniform(64, 4);
  for (uint64_t first = 0; first < 9; ++first) {
    for (long n = 0; n < 23; ++n) {
      std::vector<float> y(n, NAN);
      cpu::apply_dropout_mask(y.data(), x.data(), n, first, spec, scale);
      for (long k = 0; k < n; ++k) {
        EXPECT_EQ(y[k], dropout_keep(spec, first + k) ? x[k] * scale : 0.0f)
            << "first " << first << " k " << k;
      }
    }
  }
}

// The mask is a function of the element index only: any thread count gives the same bits.
TEST(Dropout, MaskDoesNotDependOnThreadCount) {
  ThreadCountGuard guard;
  const long N = 300001;
  const auto x = uniform(N, 5);
  const DropoutSpec spec{0.1f, 123, 456};
  std::vector<std::vector<float>> outs;
  for (int threads : {1, 2, 3}) {
    cpu::set_num_threads(threads);
    std::vector<float> y(N);
    cpu::dropout_forward(Exec::cpu(), y.data(), x.data(), N, spec);
    outs.push_back(y);
  }
  EXPECT_EQ(outs[1], outs[0]);
  EXPECT_EQ(outs[2], outs[0]);
}

}  // namespace
}  // namespace finetune::kernels
