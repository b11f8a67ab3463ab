// Tests of cuda::attention_forward and cuda::attention_backward against ref:: (double) with the
// error bounds of the cpu:: tests (tests/kernels/attention_test.cpp, derived there and in
// docs/numerics.md; the CUDA kernels compute the same dot products, softmax and sums in fp32, in
// both Exec precisions): every padding pattern (all real, right padding, a single valid key, only
// the last key, no real key at all, scattered), T = 1, 2, 5, 23, 64, 129 and 512, head counts
// 1, 3, 12 and head sizes 1 to 768, attention dropout (the mask of kernels/dropout.h over the
// [B, NH, T, T] elements: the dropped output is compared with ref::, which draws the same mask,
// and checked against cpu:: on a case where it must be identical up to rounding), and the facts
// masking implies exactly (a single valid key returns its value, a row without real keys is
// uniform).
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "cuda_test_util.h"

namespace finetune::kernels {
namespace {

using cudatest::all_close;
using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::kEps32;
using cudatest::shape;
using cudatest::uniform;

class CudaAttention : public CudaKernelTest {};

// Padding patterns, one per sequence of the batch (cycled): all real, right padding of several
// lengths, only the first token real, only the last, none, and a scattered pattern.
std::vector<int32_t> make_mask(int B, int T, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> mask(size_t(B) * T);
  for (int b = 0; b < B; ++b) {
    int32_t* m = &mask[size_t(b) * T];
    switch (b % 7) {
      case 0:
        std::fill(m, m + T, 1);
        break;
      case 1:
        for (int t = 0; t < T; ++t) m[t] = t < std::max(1, T / 2);
        break;
      case 2:
        for (int t = 0; t < T; ++t) m[t] = t < T - 1 || T == 1;
        break;
      case 3:
        for (int t = 0; t < T; ++t) m[t] = t == 0;
        break;
      case 4:
        for (int t = 0; t < T; ++t) m[t] = t == T - 1;
        break;
      case 5:
        std::fill(m, m + T, 0);
        break;
      case 6:
        for (int t = 0; t < T; ++t) m[t] = int32_t(gen() % 2);
        break;
    }
  }
  return mask;
}

// cuda:: (fp32) against ref:: (double); as in tests/kernels/attention_test.cpp, the tolerance of
// every probability and output is derived from the inputs of its query row:
// - score s_j = scale * q.k_j: a dot product of HS terms, error
//   ds_j <= 2 sqrt(HS + 1) eps32 * scale * sum_d |q_d k_{j,d}| + eps32 |s_j| (the scale multiply);
//   let ds = max_j ds_j over the real keys.
// - p_j = exp(s_j - max) / sum: a perturbation ds of the scores moves p_j by at most 2 ds
//   relative; the float softmax itself adds (4 + T/2 + |s_j - max|) eps32 relative (as in
//   softmax_test.cpp). tol_p_j = p_j (2 ds + (4 + T/2 + |s_j - max|) eps32).
// - with dropout, d_j = keep_j * fl(p_j * scale_drop): the error of p_j times the scale, plus one
//   rounding eps32 d_j; without dropout d_j = p_j.
// - out_d = sum_j d_j v_{j,d}: error <= sum_j tol_d_j |v_{j,d}| + (T/2 + 1) eps32 sum_j d_j
// |v_{j,d}|
//   (sequential float accumulation of T terms, worst case).
void check(Exec ex, int B, int T, int C, int NH, uint32_t seed, DropoutSpec dropout = {}) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "NH", NH, "dropout", dropout.p));
  const int HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, seed, -2.0f, 2.0f);
  const auto mask = make_mask(B, T, seed + 1);
  std::vector<float> want_out(size_t(B) * T * C), want_p(size_t(B) * NH * T * T);
  ref::attention_forward(Exec::cpu(), want_out.data(), want_p.data(), qkv.data(), mask.data(), B, T,
                         C, NH, dropout);
  DeviceBuffer<float> d_qkv(qkv), d_out(std::vector<float>(want_out.size(), NAN)),
      d_p(std::vector<float>(want_p.size(), NAN));
  DeviceBuffer<int32_t> d_mask(mask);
  cuda::attention_forward(ex, d_out.get(), d_p.get(), d_qkv.get(), d_mask.get(), B, T, C, NH,
                          dropout);
  const std::vector<float> got_out = d_out.download(), got_p = d_p.download();

  const double drop_scale = dropout.active() ? 1.0 / (1.0 - dropout.p) : 1.0;
  std::vector<double> tol_p(want_p.size()), tol_out(want_out.size());
  const double scale = 1.0 / std::sqrt(double(HS));
  const auto at = [&](int b, int t, int part, int h, int d) {
    return double(qkv[(size_t(b) * T + t) * 3 * C + size_t(part) * C + size_t(h) * HS + d]);
  };
  std::vector<double> s(T), cond(T);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < NH; ++h) {
      for (int i = 0; i < T; ++i) {
        double ds = 0, max = -INFINITY;
        for (int j = 0; j < T; ++j) {
          double dot = 0, abs_dot = 0;
          for (int d = 0; d < HS; ++d) {
            dot += at(b, i, 0, h, d) * at(b, j, 1, h, d);
            abs_dot += std::fabs(at(b, i, 0, h, d) * at(b, j, 1, h, d));
          }
          s[j] = dot * scale;
          if (mask[size_t(b) * T + j] != 0) {
            ds = std::max(
                ds, 2 * std::sqrt(HS + 1.0) * kEps32 * scale * abs_dot + kEps32 * std::fabs(s[j]));
            max = std::max(max, s[j]);
          }
        }
        const size_t prow = ((size_t(b) * NH + h) * T + i) * T;
        for (int j = 0; j < T; ++j) {
          const double spread = std::isinf(max) ? 0.0 : std::fabs(s[j] - max);
          tol_p[prow + j] = want_p[prow + j] * (2 * ds + (4 + T / 2.0 + spread) * kEps32) + 1e-38;
        }
        for (int d = 0; d < HS; ++d) {
          double t = 0;
          for (int j = 0; j < T; ++j) {
            const bool keep = !dropout.active() || dropout_keep(dropout, prow + j);
            if (!keep) continue;
            const double v = std::fabs(at(b, j, 2, h, d));
            const double dj = want_p[prow + j] * drop_scale;
            t += (tol_p[prow + j] * drop_scale + kEps32 * dj) * v + (T / 2.0 + 1) * kEps32 * dj * v;
          }
          tol_out[(size_t(b) * T + i) * C + size_t(h) * HS + d] = t + 1e-38;
        }
      }
    }
  }
  EXPECT_TRUE(all_close(got_p, want_p, [&](size_t i) { return tol_p[i]; })) << "probs";
  EXPECT_TRUE(all_close(got_out, want_out, [&](size_t i) { return tol_out[i]; })) << "out";
}

// Backward, cuda:: (fp32) against ref:: (double) on the same float inputs (qkv, the saved probs
// p, dout). Error bounds follow the chain of ref/attention_math.h, per (b, h) and element, with
// keep_ij the mask and sd = fl(1/(1-p_drop)) (1 without dropout):
// - dd_ij = dout_i . v_j, HS terms: E_dd = 2 sqrt(HS+1) eps32 sum_e |dout_ie v_je|;
//   dp_ij = keep sd dd_ij: E_dp = keep sd (E_dd + eps32 |dd_ij|).
// - c_i = sum_j p_ij dp_ij: E_c = sum_j p_ij (E_dp_ij + 2 sqrt(T+1) eps32 |dp_ij|).
// - ds_ij = p_ij (dp_ij - c_i): E_ds = p_ij (E_dp_ij + E_c + 2 eps32 (|dp_ij| + |c_i|)); 0 for a
//   row with no real key (both backends write exact zeros).
// - dq_ie = scale sum_j ds_ij k_je (T terms): scale (sum_j E_ds_ij |k_je| + 2 sqrt(T+1) eps32
//   sum_j |ds_ij k_je|) + 2 eps32 |dq_ie| (the fp32 scale); dk_je likewise with q_ie over i.
// - dv_je = sum_i keep sd p_ij dout_ie: (2 sqrt(T+1) + 1) eps32 sum_i |keep sd p_ij dout_ie|.
void check_backward(Exec ex, int B, int T, int C, int NH, uint32_t seed, DropoutSpec dropout = {}) {
  SCOPED_TRACE(shape("B", B, "T", T, "C", C, "NH", NH, "dropout", dropout.p));
  const int HS = C / NH;
  const auto qkv = uniform(size_t(B) * T * 3 * C, seed, -2.0f, 2.0f);
  const auto dout = uniform(size_t(B) * T * C, seed + 2);
  const auto mask = make_mask(B, T, seed + 1);
  std::vector<float> out(size_t(B) * T * C), probs(size_t(B) * NH * T * T);
  ref::attention_forward(Exec::cpu(), out.data(), probs.data(), qkv.data(), mask.data(), B, T, C,
                         NH, dropout);
  std::vector<float> want(qkv.size()), dprobs(probs.size(), NAN);
  ref::attention_backward(Exec::cpu(), want.data(), dprobs.data(), dout.data(), qkv.data(),
                          probs.data(), mask.data(), B, T, C, NH, dropout);
  // The saved probs are ref::'s, so that the tolerance covers the backward arithmetic only;
  // dprobs (scratch) starts as NaN: it must be written before it is read.
  DeviceBuffer<float> d_qkv(qkv), d_dout(dout), d_probs(probs),
      d_dprobs(std::vector<float>(probs.size(), NAN)), d_dqkv(std::vector<float>(qkv.size(), NAN));
  DeviceBuffer<int32_t> d_mask(mask);
  cuda::attention_backward(ex, d_dqkv.get(), d_dprobs.get(), d_dout.get(), d_qkv.get(),
                           d_probs.get(), d_mask.get(), B, T, C, NH, dropout);
  const std::vector<float> got = d_dqkv.download();

  const double sd = dropout.active() ? double(float(1.0 / (1.0 - double(dropout.p)))) : 1.0;
  const double scale = 1.0 / std::sqrt(double(HS));
  const double kT = 2 * std::sqrt(T + 1.0) * kEps32, kHS = 2 * std::sqrt(HS + 1.0) * kEps32;
  const auto at = [&](int b, int t, int part, int h, int e) {
    return double(qkv[(size_t(b) * T + t) * 3 * C + size_t(part) * C + size_t(h) * HS + e]);
  };
  const auto dy = [&](int b, int t, int h, int e) {
    return double(dout[(size_t(b) * T + t) * C + size_t(h) * HS + e]);
  };
  std::vector<double> tol(qkv.size(), 0.0);
  std::vector<double> ds(size_t(T) * T), e_ds(size_t(T) * T), d(size_t(T) * T);
  for (int b = 0; b < B; ++b) {
    bool any_key = false;
    for (int j = 0; j < T; ++j) any_key = any_key || mask[size_t(b) * T + j] != 0;
    for (int h = 0; h < NH; ++h) {
      for (int i = 0; i < T; ++i) {
        const size_t prow = ((size_t(b) * NH + h) * T + i) * T;
        std::vector<double> dp(T), e_dp(T);
        double c = 0, e_c = 0;
        for (int j = 0; j < T; ++j) {
          const bool keep = !dropout.active() || dropout_keep(dropout, prow + j);
          double dd = 0, a = 0;
          for (int e = 0; e < HS; ++e) {
            dd += dy(b, i, h, e) * at(b, j, 2, h, e);
            a += std::fabs(dy(b, i, h, e) * at(b, j, 2, h, e));
          }
          dp[j] = keep ? sd * dd : 0.0;
          e_dp[j] = keep ? sd * (kHS * a + kEps32 * std::fabs(dd)) : 0.0;
          d[size_t(i) * T + j] = keep ? sd * probs[prow + j] : 0.0;
          c += probs[prow + j] * dp[j];
          e_c += probs[prow + j] * (e_dp[j] + kT * std::fabs(dp[j]));
        }
        for (int j = 0; j < T; ++j) {
          const double p = probs[prow + j];
          ds[size_t(i) * T + j] = any_key ? p * (dp[j] - c) : 0.0;
          e_ds[size_t(i) * T + j] =
              any_key ? p * (e_dp[j] + e_c + 2 * kEps32 * (std::fabs(dp[j]) + std::fabs(c))) : 0.0;
        }
      }
      for (int t = 0; t < T; ++t) {
        for (int e = 0; e < HS; ++e) {
          double dq = 0, tq = 0, aq = 0, dk = 0, tk = 0, ak = 0, av = 0;
          for (int j = 0; j < T; ++j) {  // dq_t: sum over keys j
            dq += ds[size_t(t) * T + j] * at(b, j, 1, h, e);
            tq += e_ds[size_t(t) * T + j] * std::fabs(at(b, j, 1, h, e));
            aq += std::fabs(ds[size_t(t) * T + j] * at(b, j, 1, h, e));
          }
          for (int i = 0; i < T; ++i) {  // dk_t and dv_t: sums over queries i
            dk += ds[size_t(i) * T + t] * at(b, i, 0, h, e);
            tk += e_ds[size_t(i) * T + t] * std::fabs(at(b, i, 0, h, e));
            ak += std::fabs(ds[size_t(i) * T + t] * at(b, i, 0, h, e));
            av += std::fabs(d[size_t(i) * T + t] * dy(b, i, h, e));
          }
          const size_t row = (size_t(b) * T + t) * 3 * C + size_t(h) * HS + e;
          tol[row] = scale * (tq + kT * aq) + 2 * kEps32 * scale * std::fabs(dq) + 1e-38;
          tol[row + C] = scale * (tk + kT * ak) + 2 * kEps32 * scale * std::fabs(dk) + 1e-38;
          tol[row + 2 * size_t(C)] = (kT + kEps32) * av + 1e-38;
        }
      }
    }
  }
  EXPECT_TRUE(all_close(got, want, [&](size_t i) { return tol[i]; })) << "dqkv";
}

TEST_F(CudaAttention, ForwardMatchesRef) {
  uint32_t seed = 900;
  // (C, NH): head sizes 1, 5, 7, 13, 64 (NH 1, 3, 12), 300 and 768 (the large-HS kernels).
  const int heads[][2] = {{1, 1}, {15, 3}, {35, 5}, {7, 1}, {39, 3}, {768, 12}, {300, 1}};
  for (int B : {1, 3, 8}) {
    for (int T : {1, 2, 5, 23, 64, 129}) {
      for (const auto& [C, NH] : heads) check(exec(), B, T, C, NH, seed += 2);
    }
  }
  check(exec(), 2, 22, 768, 1, seed += 2);  // HS = 768: more than 48 KiB of shared memory
}

TEST_F(CudaAttention, ForwardMatchesRefAtMaxLength) {
  check(exec(), 2, 512, 128, 2, 77);
  check(exec(), 7, 512, 64, 1, 79);  // every padding pattern
  check(exec(), 1, 512, 64, 1, 78, DropoutSpec{0.1f, 5, 6});
  check(exec(), 1, 512, 768, 12, 80, DropoutSpec{0.1f, 5, 7});
}

// Bf16 mode does not change attention (its products are fp32 custom kernels).
TEST_F(CudaAttention, ForwardInBf16ModeIsFp32) {
  check(exec(Precision::Bf16), 3, 23, 39, 3, 81);
}

TEST_F(CudaAttention, ForwardMatchesRefWithDropout) {
  uint32_t seed = 1900;
  const int heads[][2] = {{1, 1}, {35, 5}, {39, 3}, {768, 12}};
  for (float p : {0.1f, 0.6f}) {
    for (int B : {1, 3}) {
      for (int T : {1, 5, 23, 64 + 3}) {
        for (const auto& [C, NH] : heads) {
          check(exec(), B, T, C, NH, seed += 2, DropoutSpec{p, 42, seed});
        }
      }
    }
  }
}

// Exact consequences of masking: with only key 0 real every probability row is (1, 0, ..., 0)
// and out is v_0 exactly; with no real key the rows are uniform (1/T) and probs equal cpu::'s.
TEST_F(CudaAttention, SingleValidKeyAndAllPaddingRows) {
  for (int T : {1, 2, 5, 23, 64, 129, 512}) {
    SCOPED_TRACE(shape("T", T));
    const int B = 2, C = 36, NH = 3, HS = C / NH;
    const auto qkv = uniform(size_t(B) * T * 3 * C, 21, -3.0f, 3.0f);
    std::vector<int32_t> mask(size_t(B) * T, 0);
    mask[0] = 1;  // batch 0: only key 0 is real; batch 1: no real key
    DeviceBuffer<float> d_qkv(qkv), d_out(size_t(B) * T * C), d_p(size_t(B) * NH * T * T);
    DeviceBuffer<int32_t> d_mask(mask);
    cuda::attention_forward(exec(), d_out.get(), d_p.get(), d_qkv.get(), d_mask.get(), B, T, C, NH,
                            DropoutSpec{});
    const auto out = d_out.download(), probs = d_p.download();
    std::vector<float> cpu_out(out.size()), cpu_p(probs.size());
    cpu::attention_forward(Exec::cpu(), cpu_out.data(), cpu_p.data(), qkv.data(), mask.data(), B, T,
                           C, NH, DropoutSpec{});
    for (int h = 0; h < NH; ++h) {
      for (int i = 0; i < T; ++i) {
        const float* p0 = &probs[((size_t(0) * NH + h) * T + i) * T];
        EXPECT_EQ(p0[0], 1.0f);
        for (int j = 1; j < T; ++j) EXPECT_EQ(p0[j], 0.0f);
        for (int d = 0; d < HS; ++d) {
          EXPECT_EQ(out[size_t(i) * C + h * HS + d], qkv[2 * size_t(C) + h * HS + d]);
        }
        const float* p1 = &probs[((size_t(1) * NH + h) * T + i) * T];
        for (int j = 0; j < T; ++j) EXPECT_EQ(p1[j], 1.0f / float(T));
      }
    }
    EXPECT_EQ(probs, cpu_p);
    // The uniform rows' out is a mean of T values: the float sums may be ordered differently.
    EXPECT_TRUE(all_close(out, cpu_out, 4 * T * kEps32 * 3.0));
  }
}

// The dropped output is the same function on CPU and GPU: same mask, same scale (up to the
// float summation order of the products).
TEST_F(CudaAttention, DropoutMaskEqualsCpu) {
  const int B = 2, T = 23, C = 36, NH = 3, HS = C / NH;
  const DropoutSpec dropout{0.5f, 7, 11};
  const auto qkv = uniform(size_t(B) * T * 3 * C, 31, -2.0f, 2.0f);
  std::vector<int32_t> mask(size_t(B) * T, 1);
  for (int t = 17; t < T; ++t) mask[T + t] = 0;
  std::vector<float> cpu_out(size_t(B) * T * C), cpu_p(size_t(B) * NH * T * T);
  cpu::attention_forward(Exec::cpu(), cpu_out.data(), cpu_p.data(), qkv.data(), mask.data(), B, T,
                         C, NH, dropout);
  DeviceBuffer<float> d_qkv(qkv), d_out(cpu_out.size()), d_p(cpu_p.size());
  DeviceBuffer<int32_t> d_mask(mask);
  cuda::attention_forward(exec(), d_out.get(), d_p.get(), d_qkv.get(), d_mask.get(), B, T, C, NH,
                          dropout);
  const auto out = d_out.download();
  // Tolerance: T terms of size <= 2 |v| <= 4 in float, in different orders: (T + 2) eps32 * 4 T.
  EXPECT_TRUE(all_close(out, cpu_out, (T + 2) * kEps32 * 4.0 * T));
  // And it is not the undropped output.
  DeviceBuffer<float> d_out0(cpu_out.size());
  cuda::attention_forward(exec(), d_out0.get(), d_p.get(), d_qkv.get(), d_mask.get(), B, T, C, NH,
                          DropoutSpec{});
  EXPECT_NE(d_out0.download(), out);
  (void)HS;
}

TEST_F(CudaAttention, BackwardMatchesRef) {
  uint32_t seed = 2900;
  const int heads[][2] = {{1, 1}, {15, 3}, {35, 5}, {39, 3}, {384, 6}, {768, 12}, {300, 1}};
  for (float p : {0.0f, 0.1f}) {
    for (int B : {1, 3, 8}) {
      for (int T : {1, 2, 5, 23, 64 + 3}) {
        for (const auto& [C, NH] : heads) {
          check_backward(exec(), B, T, C, NH, seed += 3, DropoutSpec{p, 9, seed});
        }
      }
    }
  }
}

TEST_F(CudaAttention, BackwardMatchesRefOnModelShapesAndLongSequences) {
  check_backward(exec(), 8, 22, 768, 12, 31);
  check_backward(exec(), 8, 22, 768, 12, 32, DropoutSpec{0.1f, 3, 4});
  check_backward(exec(), 7, 129, 64, 1, 34);  // every padding pattern
  check_backward(exec(), 1, 512, 64, 1, 33, DropoutSpec{0.1f, 5, 6});
  check_backward(exec(), 2, 512, 128, 2, 35);
  check_backward(exec(), 2, 22, 768, 1, 36);  // HS = 768
}

TEST_F(CudaAttention, RejectsHeadSizesBeyondTheKernels) {
  DeviceBuffer<float> buf(3 * 1024);
  DeviceBuffer<int32_t> mask(std::vector<int32_t>{1});
  EXPECT_THROW(cuda::attention_forward(exec(), buf.get(), buf.get(), buf.get(), mask.get(), 1, 1,
                                       1024, 1, DropoutSpec{}),
               Error);
}

}  // namespace
}  // namespace finetune::kernels
