// Tests of cuda::layernorm_forward, cuda::add_layernorm_forward and cuda::layernorm_backward
// against ref:: over odd and tail shapes, rows with a large offset (|mean| >> std) and a tiny
// scale, optional outputs, the allowed aliases (out = a or b; din = dout), and accumulation into
// old parameter gradients.
//
// Tolerances: those of the cpu:: tests (tests/kernels/layernorm_test.cpp, docs/numerics.md), since
// the CUDA kernels use the same algorithm in fp32 (two passes, centred variance) with sums of C
// terms in 32 interleaved partial sums and a shuffle tree, and sums over N rows in 8 interleaved
// partial sums:
// - mean: 2 sqrt(C+1) eps32 max|x|; rstd: 2 sqrt(C+1) eps32 rstd;
// - y_c: (2 sqrt(C+1) + 4) eps32 R |w_c| + 2 eps32 |b_c|, R = max|x| rstd;
// - din_c: (2 sqrt(C+1) + 8) eps32 rstd (|g_c| + mean|g| + |xhat_c| mean|g xhat|), g = dout w;
// - dweight, dbias: (2 sqrt(N+2) + 3) eps32 (|old| + sum_n |dout xhat|), 2 sqrt(N+2) eps32
//   (|old| + sum_n |dout|).
// The saved sum of add_layernorm is one correctly rounded float addition: bit-equal to ref::.
#include "kernels/layernorm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cuda_test_util.h"

namespace finetune::kernels {
namespace {

using cudatest::all_close;
using cudatest::CudaKernelTest;
using cudatest::DeviceBuffer;
using cudatest::kEps32;
using cudatest::shape;
using cudatest::uniform;

class CudaLayerNorm : public CudaKernelTest {};

// Rows random in [-1, 1] except row 1 offset by +50 and row 2 scaled by 1e-3.
std::vector<float> test_rows(int N, int C, uint32_t seed) {
  auto x = uniform(size_t(N) * C, seed);
  if (N > 1)
    for (int c = 0; c < C; ++c) x[size_t(C) + c] += 50.0f;
  if (N > 2)
    for (int c = 0; c < C; ++c) x[size_t(2) * C + c] *= 1e-3f;
  return x;
}

void expect_outputs_close(const std::vector<float>& x, const std::vector<float>& w,
                          const std::vector<float>& b, int N, int C,
                          const std::vector<float>& got_y, const std::vector<float>& want_y,
                          const std::vector<float>& got_mean, const std::vector<float>& want_mean,
                          const std::vector<float>& got_rstd, const std::vector<float>& want_rstd) {
  std::vector<double> R(N), maxabs(N);
  for (int n = 0; n < N; ++n) {
    double m = 0;
    for (int c = 0; c < C; ++c) m = std::max(m, double(std::fabs(x[size_t(n) * C + c])));
    maxabs[n] = m;
    R[n] = m * want_rstd[n];
  }
  const double k = 2.0 * std::sqrt(C + 1.0) * kEps32;
  EXPECT_TRUE(all_close(got_y, want_y, [&](size_t i) {
    const size_t n = i / C, c = i % C;
    return (k + 4 * kEps32) * R[n] * std::fabs(w[c]) + 2 * kEps32 * std::fabs(b[c]) + 1e-30;
  })) << "y";
  EXPECT_TRUE(all_close(got_mean, want_mean, [&](size_t n) { return k * maxabs[n] + 1e-38; }))
      << "mean";
  EXPECT_TRUE(all_close(got_rstd, want_rstd, [&](size_t n) { return k * want_rstd[n]; })) << "rstd";
}

TEST_F(CudaLayerNorm, ForwardMatchesRefOnOddShapes) {
  uint32_t seed = 200;
  for (int N : {1, 3, 17, 64 + 5, 176}) {
    for (int C : {1, 7, 30, 33, 384 + 3, 768, 1024 + 5}) {
      for (float eps : {1e-12f, 1e-5f}) {
        SCOPED_TRACE(shape("N", N, "C", C, "eps", eps));
        const auto x = test_rows(N, C, seed += 3);
        const auto w = uniform(C, seed + 1, 0.5f, 1.5f);
        const auto b = uniform(C, seed + 2);
        std::vector<float> want(size_t(N) * C), want_m(N), want_r(N);
        ref::layernorm_forward(Exec::cpu(), want.data(), want_m.data(), want_r.data(), x.data(),
                               w.data(), b.data(), N, C, eps);
        DeviceBuffer<float> d_x(x), d_w(w), d_b(b), d_y(std::vector<float>(want.size(), NAN)),
            d_m(std::vector<float>(N, NAN)), d_r(std::vector<float>(N, NAN));
        cuda::layernorm_forward(exec(), d_y.get(), d_m.get(), d_r.get(), d_x.get(), d_w.get(),
                                d_b.get(), N, C, eps);
        const auto got = d_y.download();
        expect_outputs_close(x, w, b, N, C, got, want, d_m.download(), want_m, d_r.download(),
                             want_r);
        // Without mean/rstd the output is the same, bit for bit.
        cuda::layernorm_forward(exec(), d_y.get(), nullptr, nullptr, d_x.get(), d_w.get(),
                                d_b.get(), N, C, eps);
        EXPECT_EQ(d_y.download(), got);
      }
    }
  }
}

enum class Alias { None, OutIsA, OutIsB };

void check_add_layernorm(Exec ex, int N, int C, bool save_stats, bool save_sum, Alias alias,
                         uint32_t seed) {
  SCOPED_TRACE(shape("N", N, "C", C, "stats", save_stats, "sum", save_sum, "alias",
                     static_cast<int>(alias)));
  const float eps = 1e-12f;
  const auto a = test_rows(N, C, seed);
  const auto b = uniform(size_t(N) * C, seed + 1, -2.0f, 2.0f);
  const auto w = uniform(C, seed + 2, 0.5f, 1.5f);
  const auto bias = uniform(C, seed + 3);
  std::vector<float> want(size_t(N) * C), want_sum(size_t(N) * C), want_m(N), want_r(N);
  ref::add_layernorm_forward(Exec::cpu(), want.data(), want_sum.data(), want_m.data(),
                             want_r.data(), a.data(), b.data(), w.data(), bias.data(), N, C, eps);
  DeviceBuffer<float> d_a(a), d_b(b), d_w(w), d_bias(bias),
      d_out(std::vector<float>(want.size(), NAN)), d_sum(std::vector<float>(want.size(), NAN)),
      d_m(std::vector<float>(N, NAN)), d_r(std::vector<float>(N, NAN));
  DeviceBuffer<float>& out = alias == Alias::OutIsA ? d_a : alias == Alias::OutIsB ? d_b : d_out;
  cuda::add_layernorm_forward(ex, out.get(), save_sum ? d_sum.get() : nullptr,
                              save_stats ? d_m.get() : nullptr, save_stats ? d_r.get() : nullptr,
                              d_a.get(), d_b.get(), d_w.get(), d_bias.get(), N, C, eps);
  if (save_sum) {
    EXPECT_EQ(d_sum.download(), want_sum) << "sum";
  }
  expect_outputs_close(want_sum, w, bias, N, C, out.download(), want,
                       save_stats ? d_m.download() : want_m, want_m,
                       save_stats ? d_r.download() : want_r, want_r);
  if (alias == Alias::OutIsA) {
    EXPECT_EQ(d_b.download(), b);
  }
  if (alias == Alias::OutIsB) {
    EXPECT_EQ(d_a.download(), a);
  }
}

TEST_F(CudaLayerNorm, AddLayerNormMatchesRef) {
  uint32_t seed = 300;
  for (int N : {1, 3, 17, 64 + 5}) {
    for (int C : {1, 7, 33, 384 + 3}) {
      for (bool stats : {true, false}) {
        for (bool sum : {true, false})
          check_add_layernorm(exec(), N, C, stats, sum, Alias::None, seed += 4);
      }
    }
  }
}

TEST_F(CudaLayerNorm, AddLayerNormOutMayAliasAOrB) {
  uint32_t seed = 400;
  for (int N : {1, 17, 176}) {
    for (int C : {7, 384 + 3, 768}) {
      for (bool sum : {true, false}) {
        check_add_layernorm(exec(), N, C, true, sum, Alias::OutIsA, seed += 4);
        check_add_layernorm(exec(), N, C, true, sum, Alias::OutIsB, seed += 4);
      }
    }
  }
}

void check_backward(Exec ex, int N, int C, bool alias, uint32_t seed) {
  SCOPED_TRACE(shape("N", N, "C", C, "alias", alias));
  const auto x = test_rows(N, C, seed);
  const auto w = uniform(C, seed + 1, 0.5f, 1.5f), b = uniform(C, seed + 2);
  const auto dout = uniform(size_t(N) * C, seed + 3);
  const auto dw0 = uniform(C, seed + 4, -0.1f, 0.1f), db0 = uniform(C, seed + 5, -0.1f, 0.1f);
  std::vector<float> y(size_t(N) * C), mean(N), rstd(N);
  ref::layernorm_forward(Exec::cpu(), y.data(), mean.data(), rstd.data(), x.data(), w.data(),
                         b.data(), N, C, 1e-12f);
  std::vector<float> want(size_t(N) * C), want_dw = dw0, want_db = db0;
  ref::layernorm_backward(Exec::cpu(), want.data(), want_dw.data(), want_db.data(), dout.data(),
                          x.data(), w.data(), mean.data(), rstd.data(), N, C);
  DeviceBuffer<float> d_x(x), d_w(w), d_mean(mean), d_rstd(rstd), d_dout(dout), d_dw(dw0),
      d_db(db0), d_din(std::vector<float>(want.size(), NAN));
  DeviceBuffer<float>& din = alias ? d_dout : d_din;
  cuda::layernorm_backward(ex, din.get(), d_dw.get(), d_db.get(), d_dout.get(), d_x.get(),
                           d_w.get(), d_mean.get(), d_rstd.get(), N, C);
  std::vector<double> mean_g(N, 0.0), mean_gx(N, 0.0);
  const auto xhat = [&](size_t n, size_t c) { return (double(x[n * C + c]) - mean[n]) * rstd[n]; };
  for (size_t n = 0; n < size_t(N); ++n) {
    for (size_t c = 0; c < size_t(C); ++c) {
      const double g = std::fabs(double(dout[n * C + c]) * w[c]);
      mean_g[n] += g / C;
      mean_gx[n] += g * std::fabs(xhat(n, c)) / C;
    }
  }
  const double kc = (2 * std::sqrt(C + 1.0) + 8) * kEps32;
  EXPECT_TRUE(all_close(din.download(), want, [&](size_t i) {
    const size_t n = i / C, c = i % C;
    const double g = std::fabs(double(dout[i]) * w[c]);
    return kc * rstd[n] * (g + mean_g[n] + std::fabs(xhat(n, c)) * mean_gx[n]) + 1e-38;
  })) << "din";
  const double kn = 2 * std::sqrt(N + 2.0) * kEps32;
  EXPECT_TRUE(all_close(d_dw.download(), want_dw, [&](size_t c) {
    double s = std::fabs(dw0[c]);
    for (size_t n = 0; n < size_t(N); ++n) s += std::fabs(dout[n * C + c] * xhat(n, c));
    return (kn + 3 * kEps32) * s;
  })) << "dweight";
  EXPECT_TRUE(all_close(d_db.download(), want_db, [&](size_t c) {
    double s = std::fabs(db0[c]);
    for (size_t n = 0; n < size_t(N); ++n) s += std::fabs(dout[n * C + c]);
    return kn * s;
  })) << "dbias";
}

TEST_F(CudaLayerNorm, BackwardMatchesRef) {
  uint32_t seed = 600;
  for (int N : {1, 3, 17, 64 + 5, 176, 2048 + 1}) {
    for (int C : {1, 7, 33, 128 + 3, 384 + 3, 768}) check_backward(exec(), N, C, false, seed += 6);
  }
}

TEST_F(CudaLayerNorm, BackwardDinMayAliasDout) {
  uint32_t seed = 700;
  for (int N : {1, 17, 176}) {
    for (int C : {7, 384 + 3}) check_backward(exec(), N, C, true, seed += 6);
  }
}

}  // namespace
}  // namespace finetune::kernels
