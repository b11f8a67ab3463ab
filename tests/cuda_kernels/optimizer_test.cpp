// Tests of cuda::adam_step (bit-equal to cpu::, hence to ref:: and, as far as cpu:: is, to
// PyTorch: the same fp32 operation sequence with the same double-derived scalars, every operation
// a correctly rounded intrinsic) and cuda::sum_of_squares (double accumulation: within
// N * 2.3e-16 of the sequential double sum, and the same bits on every run), cuda::adam_step_rows
// (bit-equal to the dense step) and the bf16 parameter copy both write.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/half.h"
#include "cuda_test_util.h"
#include "kernels/optimizer.h"

namespace finetune::kernels {
namespace {

using cudatest::bit_equal;
using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::shape;
using cudatest::uniform;

class CudaOptimizer : public CudaKernelTest {};

// Several steps of each mode (AdamW with and without decay, Adam with L2, beta1 = 0.3 for ATen's
// other lerp branch, a clip grad_scale), with gradients spanning many magnitudes (including
// subnormal and zero values, which must not be flushed), compared after every step.
TEST_F(CudaOptimizer, AdamEqualsCpuBitForBit) {
  struct Mode {
    const char* name;
    double wd;
    bool decoupled;
    double beta1;
    float grad_scale;
  };
  const Mode modes[] = {{"adamw", 0.01, true, 0.9, 1.0f},
                        {"adamw-no-decay", 0.0, true, 0.9, 1.0f},
                        {"adam-l2", 0.01, false, 0.9, 1.0f},
                        {"beta1-0.3", 0.05, true, 0.3, 0.37f},
                        {"adam-l2-clip", 0.1, false, 0.999, 0.37f}};
  for (long N : {1L, 7L, 100003L}) {
    for (const Mode& mode : modes) {
      SCOPED_TRACE(shape("mode", mode.name, "N", N));
      auto p = uniform(N, 1, -2.0f, 2.0f);
      std::vector<float> m(N, 0.0f), v(N, 0.0f);
      DeviceBuffer<float> d_p(p), d_m(m), d_v(v);
      for (int step = 1; step <= 4; ++step) {
        auto g = uniform(N, 10 + step, -1.0f, 1.0f);
        for (long i = 0; i < N; ++i) g[i] *= std::ldexp(1.0f, int(i % 150) - 140);  // 2^-140..2^9
        if (N > 3) g[3] = 0.0f;
        AdamParams hp;
        hp.lr = 1e-3 * step;
        hp.beta1 = mode.beta1;
        hp.weight_decay = mode.wd;
        hp.decoupled = mode.decoupled;
        hp.bias_correction1 = 1.0 - std::pow(hp.beta1, step);
        hp.bias_correction2 = 1.0 - std::pow(hp.beta2, step);
        hp.grad_scale = mode.grad_scale;
        cpu::adam_step(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
        DeviceBuffer<float> d_g(g);
        cuda::adam_step(exec(), d_p.get(), d_m.get(), d_v.get(), d_g.get(), N, hp);
        EXPECT_TRUE(bit_equal(d_p.download(), p)) << "params, step " << step;
        EXPECT_TRUE(bit_equal(d_m.download(), m)) << "exp_avg, step " << step;
        EXPECT_TRUE(bit_equal(d_v.download(), v)) << "exp_avg_sq, step " << step;
      }
    }
  }
}

TEST_F(CudaOptimizer, SumOfSquaresMatchesDoubleSumAndIsDeterministic) {
  for (long N : {1L, 5L, 1000L, 262144L + 7, 20000000L}) {
    SCOPED_TRACE(shape("N", N));
    const auto x = uniform(N, uint32_t(N % 1000), -3.0f, 3.0f);
    double want = 0.0;
    for (float xi : x) want += double(xi) * xi;
    DeviceBuffer<float> d_x(x);
    double got = -1.0, again = -2.0;
    cuda::sum_of_squares(exec(), &got, d_x.get(), N);
    cuda::sum_of_squares(exec(), &again, d_x.get(), N);
    // Positive terms, each exact in double: any order is within N eps64 of the exact sum.
    EXPECT_NEAR(got, want, N * 2.3e-16 * want);
    EXPECT_EQ(got, again);
  }
  double zero = -1.0;
  cuda::sum_of_squares(exec(), &zero, nullptr, 0);
  EXPECT_EQ(zero, 0.0);
}

// The non-finite counter (AdamParams::non_finite_flag): the lowest index (plus the offset) of a
// gradient that is nan or +-inf, however many threads find one, and 0 when all are finite; the
// update itself is the same with or without the counter.
TEST_F(CudaOptimizer, NonFiniteCounterHoldsTheFirstBadGradientAndChangesNothingElse) {
  const long N = 100003;
  const int64_t offset = 1000;
  auto p = uniform(N, 1, -2.0f, 2.0f);
  auto g = uniform(N, 2, -1.0f, 1.0f);
  DeviceBuffer<unsigned long long> counter(std::vector<unsigned long long>{0});
  AdamParams hp;
  hp.lr = 1e-3;
  hp.non_finite_offset = offset;
  hp.non_finite_flag = counter.get();
  {  // all finite: the counter stays 0, the update equals cpu::'s
    std::vector<float> m(N, 0.0f), v(N, 0.0f), cp = p, cm = m, cv = v;
    DeviceBuffer<float> d_p(p), d_m(m), d_v(v), d_g(g);
    cuda::adam_step(exec(), d_p.get(), d_m.get(), d_v.get(), d_g.get(), N, hp);
    cpu::adam_step(Exec::cpu(), cp.data(), cm.data(), cv.data(), g.data(), N, hp);
    EXPECT_EQ(counter.download()[0], 0u);
    EXPECT_TRUE(bit_equal(d_p.download(), cp));
  }
  // Bad values late, early and in between: the earliest wins.
  g[N - 1] = std::numeric_limits<float>::infinity();
  g[70001] = std::nanf("");
  g[4242] = -std::numeric_limits<float>::infinity();
  std::vector<float> m(N, 0.0f), v(N, 0.0f);
  DeviceBuffer<float> d_p(p), d_m(m), d_v(v), d_g(g);
  cuda::adam_step(exec(), d_p.get(), d_m.get(), d_v.get(), d_g.get(), N, hp);
  EXPECT_EQ(~0ull - counter.download()[0], static_cast<unsigned long long>(offset + 4242));
}

// adam_step_rows on the GPU: after every step equal to the dense ref::adam_step bit for bit, rows
// that never had a gradient untouched, exactly the rows that had one marked; the bf16 copy of the
// parameters (AdamParams::bf16_params) is each updated value rounded to nearest even, and the
// skipped rows' copy is left as it was.
TEST_F(CudaOptimizer, AdamStepRowsEqualsTheDenseStepAndWritesTheBf16Copy) {
  const long rows = 3001, row_length = 768, N = rows * row_length;
  const int first_step[4] = {1, 3, 1000, 2};  // by r % 4: from which step row r has gradients
  auto p = uniform(N, 1, -2.0f, 2.0f);
  std::vector<float> m(N, 0.0f), v(N, 0.0f);
  DeviceBuffer<float> d_p(p), d_m(m), d_v(v);
  DeviceBuffer<uint8_t> d_active(std::vector<uint8_t>(rows, 0));
  const std::vector<uint16_t> sentinel(N, 0x7fc1);  // a NaN pattern no rounding produces here
  DeviceBuffer<uint16_t> d_bf16(sentinel);
  for (int step = 1; step <= 4; ++step) {
    auto g = uniform(N, 20 + step, -1.0f, 1.0f);
    for (long r = 0; r < rows; ++r) {
      if (step >= first_step[r % 4] && !(r % 5 == 1 && step > first_step[r % 4])) continue;
      for (long j = 0; j < row_length; ++j) g[r * row_length + j] = r % 7 == 3 ? -0.0f : 0.0f;
    }
    AdamParams hp;
    hp.lr = 1e-3 * step;
    hp.bias_correction1 = 1.0 - std::pow(hp.beta1, step);
    hp.bias_correction2 = 1.0 - std::pow(hp.beta2, step);
    hp.grad_scale = 0.37f;
    ref::adam_step(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
    DeviceBuffer<float> d_g(g);
    hp.bf16_params = d_bf16.get();
    cuda::adam_step_rows(exec(), d_p.get(), d_m.get(), d_v.get(), d_g.get(), d_active.get(), rows,
                         row_length, hp);
    EXPECT_TRUE(bit_equal(d_p.download(), p)) << "params, step " << step;
    EXPECT_TRUE(bit_equal(d_m.download(), m)) << "exp_avg, step " << step;
    EXPECT_TRUE(bit_equal(d_v.download(), v)) << "exp_avg_sq, step " << step;
    const auto active = d_active.download();
    const auto bf16 = d_bf16.download();
    long wrong_flags = 0, wrong_copies = 0;
    for (long r = 0; r < rows; ++r) {
      const bool touched = first_step[r % 4] <= step;
      wrong_flags += active[r] != (touched ? 1 : 0);
      for (long j = r * row_length; j < (r + 1) * row_length; ++j) {
        wrong_copies += bf16[j] != (touched ? float_to_bf16(p[j]) : sentinel[j]);
      }
    }
    EXPECT_EQ(wrong_flags, 0) << "step " << step;
    EXPECT_EQ(wrong_copies, 0) << "step " << step;
  }
}

// adam_step's bf16 copy: every parameter it updates, rounded to nearest even.
TEST_F(CudaOptimizer, AdamWritesTheBf16CopyOfTheUpdatedParameters) {
  const long N = 100003;
  auto p = uniform(N, 3, -2.0f, 2.0f), g = uniform(N, 4, -1.0f, 1.0f);
  std::vector<float> m(N, 0.0f), v(N, 0.0f);
  DeviceBuffer<float> d_p(p), d_m(m), d_v(v), d_g(g);
  DeviceBuffer<uint16_t> d_bf16(N);
  AdamParams hp;
  hp.lr = 1e-2;
  hp.weight_decay = 0.01;
  hp.bf16_params = d_bf16.get();
  cuda::adam_step(exec(), d_p.get(), d_m.get(), d_v.get(), d_g.get(), N, hp);
  cpu::adam_step(Exec::cpu(), p.data(), m.data(), v.data(), g.data(), N, hp);
  EXPECT_TRUE(bit_equal(d_p.download(), p));
  const auto bf16 = d_bf16.download();
  long wrong = 0;
  for (long i = 0; i < N; ++i) wrong += bf16[i] != float_to_bf16(p[i]);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace finetune::kernels
