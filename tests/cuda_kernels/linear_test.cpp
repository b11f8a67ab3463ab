// Tests of cuda::linear_forward and cuda::linear_backward against ref:: over odd and tail shapes,
// with and without bias, din and dbias, accumulation into old parameter gradients, misaligned
// pointers (which take cuBLASLt's less-aligned algorithms or the bias fallback kernel), both
// precisions, and bf16 weights read from a registered copy (set_bf16_weights).
//
// Tolerances, per element with S the condition scale (sum of |terms|, plus |bias| or |old|):
// - Fp32 (exact mode, no TF32): a dot product of K fp32 terms, 2 sqrt(K + 1) eps32 S, the cpu::
//   bound (tests/kernels/linear_test.cpp); K = IC (forward), OC (din), N + 1 (dweight, dbias).
// - Bf16: each input of a product is rounded to bf16 (relative error <= 2^-8, the unit roundoff
//   of 8 significant bits), so each product carries <= 2^-7 + 2^-16 relative, and the exact sum
//   of the rounded products is within (2^-7 + 2^-16) S of the exact one (a worst case, every
//   term at its bound); tensor-core accumulation adds the fp32 term. Bias and old gradients are
//   not rounded (fp32 epilogue and accumulation), so they enter S only through the fp32 term.
#include "kernels/linear.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/device.h"

namespace finetune::kernels {
namespace {

using cudatest::all_close;
using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::kEps32;
using cudatest::kUnitBf16;
using cudatest::shape;
using cudatest::uniform;

class CudaLinear : public CudaKernelTest {};

// Relative tolerance for a sum of K products: the fp32 accumulation, plus the bf16 input
// rounding in Bf16 mode (which applies to the product terms only: `rounded_share` of S).
double rel_tol(Precision precision, int K) {
  const double fp32 = 2.0 * std::sqrt(K + 1.0) * kEps32;
  return precision == Precision::Bf16 ? fp32 + 2 * kUnitBf16 + kUnitBf16 * kUnitBf16 : fp32;
}

// `offset` floats added to every device pointer: 0 keeps cudaMalloc's 256-byte alignment, 1 gives
// 4-byte alignment (cuBLASLt must be told; the bias epilogue is then replaced by the kernel).
void check_forward(Exec ex, int N, int IC, int OC, bool with_bias, uint32_t seed, int offset = 0) {
  SCOPED_TRACE(shape("N", N, "IC", IC, "OC", OC, "bias", with_bias, "bf16",
                     ex.precision == Precision::Bf16, "offset", offset));
  const auto in = uniform(size_t(N) * IC, seed);
  const auto w = uniform(size_t(OC) * IC, seed + 1, -0.5f, 0.5f);
  const auto b = uniform(OC, seed + 2);
  std::vector<float> want(size_t(N) * OC);
  ref::linear_forward(Exec::cpu(), want.data(), in.data(), w.data(), with_bias ? b.data() : nullptr,
                      N, IC, OC);
  auto pad = [offset](std::vector<float> v) {
    v.insert(v.begin(), offset, 0.0f);
    return v;
  };
  DeviceBuffer<float> d_in(pad(in)), d_w(pad(w)), d_b(pad(b)),
      d_out(pad(std::vector<float>(want.size(), NAN)));
  cuda::linear_forward(ex, d_out.get() + offset, d_in.get() + offset, d_w.get() + offset,
                       with_bias ? d_b.get() + offset : nullptr, N, IC, OC);
  std::vector<float> got = d_out.download();
  got.erase(got.begin(), got.begin() + offset);

  const double rel = rel_tol(ex.precision, IC);
  const double bias_rel = 2.0 * std::sqrt(IC + 1.0) * kEps32;
  EXPECT_TRUE(all_close(got, want, [&](size_t k) {
    const size_t n = k / OC, o = k % OC;
    double s = 0;
    for (int i = 0; i < IC; ++i) s += std::fabs(double(in[n * IC + i]) * w[o * IC + i]);
    return rel * s + (with_bias ? bias_rel * std::fabs(b[o]) : 0.0) + 1e-38;
  }));
}

TEST_F(CudaLinear, ForwardMatchesRefOnOddShapes) {
  uint32_t seed = 100;
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    for (int N : {1, 3, 17, 64 + 5}) {
      for (int IC : {1, 7, 30, 33, 384 + 3}) {
        for (int OC : {1, 7, 33, 64 + 5}) {
          for (bool with_bias : {true, false}) {
            check_forward(exec(precision), N, IC, OC, with_bias, seed += 3);
          }
        }
      }
    }
  }
}

TEST_F(CudaLinear, ForwardMatchesRefOnModelShapes) {
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    check_forward(exec(precision), 176, 768, 3072, true, 7);
    check_forward(exec(precision), 176, 3072, 768, true, 8);
    check_forward(exec(precision), 176, 768, 2304, true, 10);  // fused QKV
    check_forward(exec(precision), 8, 768, 6, true, 9);
  }
}

TEST_F(CudaLinear, ForwardWithMisalignedPointers) {
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    check_forward(exec(precision), 5, 33, 17, true, 11, 1);
    check_forward(exec(precision), 64, 128, 96, true, 12, 1);
    check_forward(exec(precision), 64, 128, 96, false, 13, 2);
  }
}

// IC = 0 is an empty sum (out = bias or 0); N = 0 or OC = 0 touch nothing.
TEST_F(CudaLinear, EmptyShapes) {
  const std::vector<float> bias = {1.5f, -2.0f, 3.0f};
  DeviceBuffer<float> d_b(bias), d_out(std::vector<float>(6, NAN));
  cuda::linear_forward(exec(), d_out.get(), nullptr, nullptr, d_b.get(), 2, 0, 3);
  EXPECT_EQ(d_out.download(), (std::vector<float>{1.5f, -2.0f, 3.0f, 1.5f, -2.0f, 3.0f}));
  cuda::linear_forward(exec(), d_out.get(), nullptr, nullptr, nullptr, 2, 0, 3);
  EXPECT_EQ(d_out.download(), std::vector<float>(6, 0.0f));
  DeviceBuffer<float> one(std::vector<float>{42.0f});
  cuda::linear_forward(exec(), one.get(), nullptr, nullptr, nullptr, 0, 5, 3);
  cuda::linear_forward(exec(), one.get(), nullptr, nullptr, nullptr, 3, 5, 0);
  EXPECT_EQ(one.download()[0], 42.0f);
}

// Backward against ref:: (see the file comment for the tolerances). Parameter gradients start
// from non-zero "previous accumulation" values and must accumulate onto them; din starts as NaN
// and must be assigned.
void check_backward(Exec ex, int N, int IC, int OC, bool with_din, bool with_bias, uint32_t seed) {
  SCOPED_TRACE(shape("N", N, "IC", IC, "OC", OC, "din", with_din, "bias", with_bias, "bf16",
                     ex.precision == Precision::Bf16));
  const auto in = uniform(size_t(N) * IC, seed);
  const auto w = uniform(size_t(OC) * IC, seed + 1, -0.5f, 0.5f);
  const auto dout = uniform(size_t(N) * OC, seed + 2);
  const auto dw0 = uniform(size_t(OC) * IC, seed + 3, -0.1f, 0.1f);
  const auto db0 = uniform(OC, seed + 4, -0.1f, 0.1f);
  std::vector<float> want_din(size_t(N) * IC), want_dw = dw0, want_db = db0;
  ref::linear_backward(Exec::cpu(), with_din ? want_din.data() : nullptr, want_dw.data(),
                       with_bias ? want_db.data() : nullptr, dout.data(), in.data(), w.data(), N,
                       IC, OC);
  DeviceBuffer<float> d_in(in), d_w(w), d_dout(dout), d_dw(dw0), d_db(db0),
      d_din(std::vector<float>(want_din.size(), NAN));
  cuda::linear_backward(ex, with_din ? d_din.get() : nullptr, d_dw.get(),
                        with_bias ? d_db.get() : nullptr, d_dout.get(), d_in.get(), d_w.get(), N,
                        IC, OC);
  if (with_din) {
    const double rel = rel_tol(ex.precision, OC);
    EXPECT_TRUE(all_close(d_din.download(), want_din, [&](size_t k) {
      const size_t n = k / IC, i = k % IC;
      double s = 0;
      for (int o = 0; o < OC; ++o) s += std::fabs(double(dout[n * OC + o]) * w[o * IC + i]);
      return rel * s + 1e-38;
    })) << "din";
  }
  const double rel = rel_tol(ex.precision, N + 1);
  const double old_rel = 2.0 * std::sqrt(N + 2.0) * kEps32;
  EXPECT_TRUE(all_close(d_dw.download(), want_dw, [&](size_t k) {
    const size_t o = k / IC, i = k % IC;
    double s = 0;
    for (int n = 0; n < N; ++n) s += std::fabs(double(dout[n * OC + o]) * in[n * IC + i]);
    return rel * s + old_rel * std::fabs(dw0[k]) + 1e-38;
  })) << "dweight";
  // dbias is fp32 in both precisions (a column-sum kernel, no matrix product).
  EXPECT_TRUE(all_close(d_db.download(), with_bias ? want_db : db0, [&](size_t o) {
    double s = std::fabs(db0[o]);
    for (int n = 0; n < N; ++n) s += std::fabs(dout[n * OC + o]);
    return old_rel * s + 1e-38;
  })) << "dbias";
}

// A registered bf16 weight copy (cuda::set_bf16_weights) is read instead of converting the
// weight: the same bits as converting, forward and backward, for a weight at an offset inside the
// registered master; proof that the copy is what is read: a master changed behind the copy's back
// does not change the result until it is registered again; unregistered, conversion is back. A
// weight whose copy would not be 256-byte aligned (offset 64: 128 bytes) is converted instead.
TEST_F(CudaLinear, RegisteredBf16WeightsGiveTheBitsOfConversion) {
  const Exec ex = exec(Precision::Bf16);
  const int N = 37, IC = 96, OC = 80, offset = 128;
  const auto in = uniform(size_t(N) * IC, 71), dout = uniform(size_t(N) * OC, 72);
  std::vector<float> master(offset + size_t(OC) * IC + 32);
  const auto w = uniform(size_t(OC) * IC, 73, -0.5f, 0.5f);
  std::copy(w.begin(), w.end(), master.begin() + offset);
  DeviceBuffer<float> d_master(master), d_in(in), d_dout(dout), d_out(size_t(N) * OC),
      d_din(size_t(N) * IC), d_dw(size_t(OC) * IC);
  DeviceBuffer<uint16_t> d_copy(master.size());
  const float* weight = d_master.get() + offset;
  struct Unregister {
    Exec ex;
    ~Unregister() { cuda::set_bf16_weights(ex, nullptr, nullptr, 0); }
  } unregister{ex};
  auto run = [&]() {
    d_dw.upload(std::vector<float>(size_t(OC) * IC, 0.0f));
    cuda::linear_forward(ex, d_out.get(), d_in.get(), weight, nullptr, N, IC, OC);
    cuda::linear_backward(ex, d_din.get(), d_dw.get(), nullptr, d_dout.get(), d_in.get(), weight, N,
                          IC, OC);
    return std::vector<std::vector<float>>{d_out.download(), d_din.download(), d_dw.download()};
  };
  const auto converted = run();
  cuda::set_bf16_weights(ex, d_master.get(), d_copy.get(), int64_t(master.size()));
  const auto registered = run();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(cudatest::bit_equal(registered[i], converted[i])) << i;

  std::vector<float> doubled = master;
  for (float& x : doubled) x *= 2.0f;
  d_master.upload(doubled);
  const auto stale = run();
  EXPECT_TRUE(cudatest::bit_equal(stale[0], converted[0])) << "the forward read the copy";
  cuda::set_bf16_weights(ex, d_master.get(), d_copy.get(), int64_t(master.size()));
  const auto refreshed = run();
  cuda::set_bf16_weights(ex, nullptr, nullptr, 0);
  const auto reconverted = run();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(cudatest::bit_equal(refreshed[i], reconverted[i])) << i;
  EXPECT_FALSE(cudatest::bit_equal(refreshed[0], converted[0]));

  // The misaligned weight: registered over the original master, then the master changed: the
  // product follows the master, so it was converted, not read from the copy.
  const float* misaligned = d_master.get() + 64;
  auto forward_at = [&](const float* w_ptr) {
    cuda::linear_forward(ex, d_out.get(), d_in.get(), w_ptr, nullptr, N, IC, OC);
    return d_out.download();
  };
  d_master.upload(master);
  cuda::set_bf16_weights(ex, d_master.get(), d_copy.get(), int64_t(master.size()));
  d_master.upload(doubled);
  const auto followed = forward_at(misaligned);
  cuda::set_bf16_weights(ex, nullptr, nullptr, 0);
  EXPECT_TRUE(cudatest::bit_equal(followed, forward_at(misaligned)));
}

TEST_F(CudaLinear, BackwardMatchesRefOnOddShapes) {
  uint32_t seed = 500;
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    for (int N : {1, 5, 64 + 3}) {
      for (int IC : {1, 7, 33, 384 + 3}) {
        for (int OC : {1, 6, 64 + 5}) {
          check_backward(exec(precision), N, IC, OC, true, true, seed += 5);
          check_backward(exec(precision), N, IC, OC, false, false, seed += 5);
        }
      }
    }
  }
}

TEST_F(CudaLinear, BackwardMatchesRefOnModelShapes) {
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    check_backward(exec(precision), 176, 768, 3072, true, true, 21);
    check_backward(exec(precision), 176, 3072, 768, true, true, 22);
    check_backward(exec(precision), 8, 768, 6, true, true, 23);
    check_backward(exec(precision), 4096, 64, 48, true, true, 24);  // long column sums
  }
}

// The hand example of tests/kernels/linear_test.cpp: every value is exact in float and in bf16.
TEST_F(CudaLinear, BackwardMatchesHandExample) {
  for (Precision precision : {Precision::Fp32, Precision::Bf16}) {
    DeviceBuffer<float> in(std::vector<float>{1, 2, 3, 4, 5, 6});
    DeviceBuffer<float> w(std::vector<float>{1, 0, -1, 2, 1, 0});
    DeviceBuffer<float> dout(std::vector<float>{1, 0, 0, 2});
    DeviceBuffer<float> din(std::vector<float>(6, NAN)), dw(std::vector<float>(6, 1.0f)),
        db(std::vector<float>(2, -1.0f));
    const Exec ex = exec(precision);
    cuda::linear_backward(ex, din.get(), dw.get(), db.get(), dout.get(), in.get(), w.get(), 2, 3,
                          2);
    EXPECT_EQ(din.download(), (std::vector<float>{1, 0, -1, 4, 2, 0}));
    EXPECT_EQ(dw.download(), (std::vector<float>{2, 3, 4, 9, 11, 13}));
    EXPECT_EQ(db.download(), (std::vector<float>{0, 1}));
    cuda::linear_backward(ex, nullptr, dw.get(), nullptr, dout.get(), in.get(), w.get(), 2, 3, 2);
    EXPECT_EQ(dw.download(), (std::vector<float>{3, 5, 7, 17, 21, 25}));
    EXPECT_EQ(db.download(), (std::vector<float>{0, 1}));
  }
}

// Bf16 really rounds the inputs: 1 + 2^-10 is not a bf16 value, so the product differs from the
// fp32 one (and equals the product of the rounded inputs).
TEST_F(CudaLinear, Bf16RoundsInputs) {
  const float x = 1.0f + 1.0f / 1024.0f;
  DeviceBuffer<float> in(std::vector<float>{x}), w(std::vector<float>{x}), out(1);
  cuda::linear_forward(exec(Precision::Fp32), out.get(), in.get(), w.get(), nullptr, 1, 1, 1);
  EXPECT_EQ(out.download()[0], x * x);
  cuda::linear_forward(exec(Precision::Bf16), out.get(), in.get(), w.get(), nullptr, 1, 1, 1);
  EXPECT_EQ(out.download()[0], 1.0f);
}

}  // namespace
}  // namespace finetune::kernels
