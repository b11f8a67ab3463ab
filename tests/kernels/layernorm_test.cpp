// Tests of layernorm_forward, add_layernorm_forward and layernorm_backward: ref:: against the
// defining properties of LayerNorm (zero mean, unit variance, a hand example), cpu:: against
// ref:: over odd and tail shapes, rows with a large offset, null optional outputs, `out`
// aliasing `a` or `b` and `din` aliasing `dout`. The backward formula itself is checked against
// finite differences in backward_fd_test.cpp.
#include "kernels/layernorm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_test_util.h"

namespace finetune::kernels {
namespace {

using testing::all_close;
using testing::kEps32;
using testing::shape;
using testing::uniform;

// Row [1, 2, 3]: mean 2, biased variance 2/3, so y = (x - 2) / sqrt(2/3 + eps) * w + b.
TEST(LayerNorm, RefMatchesHandExample) {
  const std::vector<float> x = {1, 2, 3}, w = {1, 2, -1}, b = {0, 1, 0.5f};
  std::vector<float> y(3), mean(1), rstd(1);
  ref::layernorm_forward(Exec::cpu(), y.data(), mean.data(), rstd.data(), x.data(), w.data(),
                         b.data(), 1, 3, 1e-5f);
  const double r = 1.0 / std::sqrt(2.0 / 3.0 + double(1e-5f));
  EXPECT_FLOAT_EQ(mean[0], 2.0f);
  EXPECT_FLOAT_EQ(rstd[0], float(r));
  EXPECT_FLOAT_EQ(y[0], float(-1.0 * r * 1 + 0));
  EXPECT_FLOAT_EQ(y[1], 1.0f);  // x == mean: only the bias is left
  EXPECT_FLOAT_EQ(y[2], float(1.0 * r * -1 + 0.5));
}

// With unit weight and zero bias every output row has mean 0 and (biased) variance
// var / (var + eps), i.e. 1 to within eps / var; this holds for rows with any offset and scale.
TEST(LayerNorm, RefOutputHasZeroMeanUnitVariance) {
  const int N = 5, C = 97;
  auto x = uniform(N * C, 11, -3.0f, 3.0f);
  for (int c = 0; c < C; ++c) x[1 * C + c] += 1000.0f;  // large offset
  for (int c = 0; c < C; ++c) x[2 * C + c] *= 1e-3f;    // tiny scale (var ~3e-6 >> eps)
  const std::vector<float> w(C, 1.0f), b(C, 0.0f);
  std::vector<float> y(N * C);
  ref::layernorm_forward(Exec::cpu(), y.data(), nullptr, nullptr, x.data(), w.data(), b.data(), N,
                         C, 1e-12f);
  for (int n = 0; n < N; ++n) {
    double s = 0, sq = 0;
    for (int c = 0; c < C; ++c) s += y[n * C + c];
    for (int c = 0; c < C; ++c) sq += (y[n * C + c] - s / C) * (y[n * C + c] - s / C);
    EXPECT_NEAR(s / C, 0.0, 1e-6) << "row " << n;  // float outputs of size ~1: ~eps32 each
    EXPECT_NEAR(sq / C, 1.0, 1e-6) << "row " << n;
  }
}

// add_layernorm(a, b) is by definition layernorm(fl(a + b)); the saved sum is that float sum.
TEST(LayerNorm, RefAddLayerNormIsLayerNormOfSum) {
  const int N = 4, C = 33;
  const auto a = uniform(N * C, 1), b = uniform(N * C, 2), w = uniform(C, 3), bias = uniform(C, 4);
  std::vector<float> s(N * C);
  for (int i = 0; i < N * C; ++i) s[i] = a[i] + b[i];
  std::vector<float> want(N * C), got(N * C), sum(N * C), m1(N), r1(N), m2(N), r2(N);
  ref::layernorm_forward(Exec::cpu(), want.data(), m1.data(), r1.data(), s.data(), w.data(),
                         bias.data(), N, C, 1e-12f);
  ref::add_layernorm_forward(Exec::cpu(), got.data(), sum.data(), m2.data(), r2.data(), a.data(),
                             b.data(), w.data(), bias.data(), N, C, 1e-12f);
  EXPECT_EQ(got, want);
  EXPECT_EQ(sum, s);
  EXPECT_EQ(m2, m1);
  EXPECT_EQ(r2, r1);
}

// Tolerances for cpu:: (fp32, two-pass) against ref:: (double), per row with
// R = max_c |x_c| * rstd (how large the inputs are in units of the row's standard deviation):
// - mean: a sum of C floats, error <= ~sqrt(C) * eps32 * max|x|; we allow 2 sqrt(C+1) eps32 max|x|.
// - rstd: the centred squares sum with error ~sqrt(C) eps32 relative, plus the mean's error
//   squared (negligible); rstd = (var + eps)^-1/2 halves it. Allowed: 2 sqrt(C+1) eps32 rstd.
// - y_c = (x_c - mean) rstd w_c + b_c: the error of (x_c - mean) * rstd is that of the mean in
//   units of std (<= 2 sqrt(C+1) eps32 R) plus a few roundings of a value <= R; allowed:
//   (2 sqrt(C+1) + 4) eps32 R |w_c| + 2 eps32 |b_c|.
struct RowScale {
  std::vector<double> R, maxabs;
};
RowScale row_scales(const std::vector<float>& x, const std::vector<float>& rstd, int N, int C) {
  RowScale s{std::vector<double>(N), std::vector<double>(N)};
  for (int n = 0; n < N; ++n) {
    double m = 0;
    for (int c = 0; c < C; ++c) m = std::max(m, double(std::fabs(x[size_t(n) * C + c])));
    s.maxabs[n] = m;
    s.R[n] = m * rstd[n];
  }
  return s;
}

void expect_layernorm_outputs_close(
    const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b, int N,
    int C, const std::vector<float>& got_y, const std::vector<float>& want_y,
    const std::vector<float>& got_mean, const std::vector<float>& want_mean,
    const std::vector<float>& got_rstd, const std::vector<float>& want_rstd) {
  const RowScale s = row_scales(x, want_rstd, N, C);
  const double k = 2.0 * std::sqrt(C + 1.0) * kEps32;
  EXPECT_TRUE(all_close(got_y, want_y, [&](size_t i) {
    const size_t n = i / C, c = i % C;
    return (k + 4 * kEps32) * s.R[n] * std::fabs(w[c]) + 2 * kEps32 * std::fabs(b[c]) + 1e-30;
  })) << "y";
  EXPECT_TRUE(all_close(got_mean, want_mean, [&](size_t n) { return k * s.maxabs[n]; })) << "mean";
  EXPECT_TRUE(all_close(got_rstd, want_rstd, [&](size_t n) { return k * want_rstd[n]; })) << "rstd";
}

// Rows of a test input: random in [-1, 1] except row 1 offset by +50 (|mean| >> std, where a
// one-pass variance would cancel) and row 2 scaled by 1e-3.
std::vector<float> test_rows(int N, int C, uint32_t seed) {
  auto x = uniform(size_t(N) * C, seed);
  if (N > 1)
    for (int c = 0; c < C; ++c) x[size_t(C) + c] += 50.0f;
  if (N > 2)
    for (int c = 0; c < C; ++c) x[size_t(2) * C + c] *= 1e-3f;
  return x;
}

TEST(LayerNorm, CpuMatchesRefOnOddShapes) {
  uint32_t seed = 200;
  for (int N : {1, 3, 17, 64 + 5}) {
    for (int C : {1, 7, 30, 33, 384 + 3, 768}) {
      for (float eps : {1e-12f, 1e-5f}) {
        SCOPED_TRACE(shape("N", N, "C", C, "eps", eps));
        const auto x = test_rows(N, C, seed += 3);
        const auto w = uniform(C, seed + 1, 0.5f, 1.5f);
        const auto b = uniform(C, seed + 2);
        std::vector<float> want(size_t(N) * C), got(size_t(N) * C, NAN);
        std::vector<float> want_m(N), want_r(N), got_m(N, NAN), got_r(N, NAN);
        ref::layernorm_forward(Exec::cpu(), want.data(), want_m.data(), want_r.data(), x.data(),
                               w.data(), b.data(), N, C, eps);
        cpu::layernorm_forward(Exec::cpu(), got.data(), got_m.data(), got_r.data(), x.data(),
                               w.data(), b.data(), N, C, eps);
        expect_layernorm_outputs_close(x, w, b, N, C, got, want, got_m, want_m, got_r, want_r);

        // Without mean/rstd buffers the output is the same (bit for bit: same code path).
        std::vector<float> got2(size_t(N) * C, NAN);
        cpu::layernorm_forward(Exec::cpu(), got2.data(), nullptr, nullptr, x.data(), w.data(),
                               b.data(), N, C, eps);
        EXPECT_EQ(got2, got);
      }
    }
  }
}

// A single feature has variance 0: x - mean = 0 exactly and y = bias, rstd = 1/sqrt(eps).
TEST(LayerNorm, SingleFeatureGivesBias) {
  const std::vector<float> x = {3.0f, -7.0f}, w = {2.0f}, b = {0.25f};
  for (auto* f : {&ref::layernorm_forward, &cpu::layernorm_forward}) {
    std::vector<float> y(2), m(2), r(2);
    f(Exec::cpu(), y.data(), m.data(), r.data(), x.data(), w.data(), b.data(), 2, 1, 1e-4f);
    EXPECT_EQ(y, (std::vector<float>{0.25f, 0.25f}));
    EXPECT_EQ(m, x);
    EXPECT_FLOAT_EQ(r[0], 100.0f);
  }
}

enum class Alias { None, OutIsA, OutIsB };

void check_add_layernorm(int N, int C, bool save_stats, bool save_sum, Alias alias, uint32_t seed) {
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
  // The fp32 sum a + b is the same correctly rounded float in both backends.
  std::vector<float> s(size_t(N) * C);
  for (size_t i = 0; i < s.size(); ++i) s[i] = a[i] + b[i];
  ASSERT_EQ(want_sum, s);

  std::vector<float> a_buf = a, b_buf = b, out(size_t(N) * C, NAN);
  float* out_ptr = alias == Alias::OutIsA   ? a_buf.data()
                   : alias == Alias::OutIsB ? b_buf.data()
                                            : out.data();
  std::vector<float> got_sum(size_t(N) * C, NAN), got_m(N, NAN), got_r(N, NAN);
  cpu::add_layernorm_forward(Exec::cpu(), out_ptr, save_sum ? got_sum.data() : nullptr,
                             save_stats ? got_m.data() : nullptr,
                             save_stats ? got_r.data() : nullptr, a_buf.data(), b_buf.data(),
                             w.data(), bias.data(), N, C, eps);
  const std::vector<float> got(out_ptr, out_ptr + size_t(N) * C);
  if (save_sum) {
    EXPECT_EQ(got_sum, s);
  }
  if (!save_stats) {
    got_m = want_m;  // not written; compare only y below
    got_r = want_r;
  }
  expect_layernorm_outputs_close(s, w, bias, N, C, got, want, got_m, want_m, got_r, want_r);
  // The input that `out` does not alias is untouched.
  if (alias == Alias::OutIsA) {
    EXPECT_EQ(b_buf, b);
  }
  if (alias == Alias::OutIsB) {
    EXPECT_EQ(a_buf, a);
  }
}

TEST(LayerNorm, CpuAddLayerNormMatchesRef) {
  uint32_t seed = 300;
  for (int N : {1, 3, 17, 64 + 5}) {
    for (int C : {1, 7, 33, 384 + 3}) {
      for (bool stats : {true, false}) {
        for (bool sum : {true, false})
          check_add_layernorm(N, C, stats, sum, Alias::None, seed += 4);
      }
    }
  }
}

TEST(LayerNorm, CpuAddLayerNormOutMayAliasAOrB) {
  uint32_t seed = 400;
  for (int N : {1, 17}) {
    for (int C : {7, 384 + 3}) {
      for (bool sum : {true, false}) {
        check_add_layernorm(N, C, true, sum, Alias::OutIsA, seed += 4);
        check_add_layernorm(N, C, true, sum, Alias::OutIsB, seed += 4);
      }
    }
  }
}

TEST(LayerNorm, RefAddLayerNormOutMayAliasA) {
  const int N = 3, C = 10;
  auto a = uniform(N * C, 5);
  const auto b = uniform(N * C, 6), w = uniform(C, 7), bias = uniform(C, 8);
  std::vector<float> want(N * C);
  ref::add_layernorm_forward(Exec::cpu(), want.data(), nullptr, nullptr, nullptr, a.data(),
                             b.data(), w.data(), bias.data(), N, C, 1e-12f);
  ref::add_layernorm_forward(Exec::cpu(), a.data(), nullptr, nullptr, nullptr, a.data(), b.data(),
                             w.data(), bias.data(), N, C, 1e-12f);
  EXPECT_EQ(a, want);
}

// Backward, cpu:: (fp32) against ref:: (double) on the same float inputs and saved statistics.
// Per row, with g_c = dout_c w_c and xhat_c = (x_c - mean) rstd (each a few roundings, 2 eps32
// relative), the two row means are sums of C terms (error 2 sqrt(C+1) eps32 times the mean of
// |g| and of |g xhat|), and din_c = rstd (g_c - mean(g) - xhat_c mean(g xhat)) adds a few
// roundings of each term:
//   tol(din_c) = (2 sqrt(C+1) + 8) eps32 rstd (|g_c| + mean|g| + |xhat_c| mean|g xhat|).
// dweight_c = old + sum_n dout xhat and dbias_c = old + sum_n dout are sums of N terms plus the
// old value: (2 sqrt(N+2) + 3) eps32 (|old| + sum_n |dout xhat|), resp. 2 sqrt(N+2) eps32
// (|old| + sum_n |dout|).
void check_backward(int N, int C, bool alias, uint32_t seed) {
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
  std::vector<float> got(size_t(N) * C, NAN), got_dw = dw0, got_db = db0, dout_buf = dout;
  float* din = alias ? dout_buf.data() : got.data();
  cpu::layernorm_backward(Exec::cpu(), din, got_dw.data(), got_db.data(), dout_buf.data(), x.data(),
                          w.data(), mean.data(), rstd.data(), N, C);
  if (alias) got = dout_buf;

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
  EXPECT_TRUE(all_close(got, want, [&](size_t i) {
    const size_t n = i / C, c = i % C;
    const double g = std::fabs(double(dout[i]) * w[c]);
    return kc * rstd[n] * (g + mean_g[n] + std::fabs(xhat(n, c)) * mean_gx[n]) + 1e-38;
  })) << "din";
  const double kn = 2 * std::sqrt(N + 2.0) * kEps32;
  EXPECT_TRUE(all_close(got_dw, want_dw, [&](size_t c) {
    double s = std::fabs(dw0[c]);
    for (size_t n = 0; n < size_t(N); ++n) s += std::fabs(dout[n * C + c] * xhat(n, c));
    return (kn + 3 * kEps32) * s;
  })) << "dweight";
  EXPECT_TRUE(all_close(got_db, want_db, [&](size_t c) {
    double s = std::fabs(db0[c]);
    for (size_t n = 0; n < size_t(N); ++n) s += std::fabs(dout[n * C + c]);
    return kn * s;
  })) << "dbias";
}

TEST(LayerNorm, BackwardCpuMatchesRef) {
  uint32_t seed = 600;
  for (int N : {1, 3, 17, 64 + 5, 176}) {
    for (int C : {1, 7, 33, 128 + 3, 384 + 3, 768}) check_backward(N, C, false, seed += 6);
  }
}

// din may alias dout (the parameter gradients are summed before din overwrites dout).
TEST(LayerNorm, BackwardDinMayAliasDout) {
  uint32_t seed = 700;
  for (int N : {1, 17, 176}) {
    for (int C : {7, 384 + 3}) check_backward(N, C, true, seed += 6);
  }
  // ref:: too: the same values with and without the alias.
  const int N = 4, C = 9;
  const auto x = test_rows(N, C, 9), w = uniform(C, 10), dout = uniform(N * C, 11);
  std::vector<float> y(N * C), mean(N), rstd(N), dw(C, 0.0f), db(C, 0.0f), din(N * C);
  const std::vector<float> b(C, 0.0f);
  ref::layernorm_forward(Exec::cpu(), y.data(), mean.data(), rstd.data(), x.data(), w.data(),
                         b.data(), N, C, 1e-5f);
  ref::layernorm_backward(Exec::cpu(), din.data(), dw.data(), db.data(), dout.data(), x.data(),
                          w.data(), mean.data(), rstd.data(), N, C);
  std::vector<float> buf = dout, dw2(C, 0.0f), db2(C, 0.0f);
  ref::layernorm_backward(Exec::cpu(), buf.data(), dw2.data(), db2.data(), buf.data(), x.data(),
                          w.data(), mean.data(), rstd.data(), N, C);
  EXPECT_EQ(buf, din);
  EXPECT_EQ(dw2, dw);
  EXPECT_EQ(db2, db);
}

}  // namespace
}  // namespace finetune::kernels
