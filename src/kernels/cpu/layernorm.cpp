// CPU LayerNorm and residual-add + LayerNorm (torch.nn.LayerNorm; spec in ref/layernorm_math.h),
// rows in parallel, each row in three vectorised passes: mean, variance, normalise; and the
// backward pass.
//
// Precision: fp32 with two passes. The mean is a vectorised sum (16 interleaved partial sums
// under `omp simd reduction`, error ~sqrt(C/16) * eps32 * max|x|), and the variance is taken of
// the already-centred values (x - mean)^2, so there is no cancellation of the kind the one-pass
// E[x^2] - E[x]^2 formula suffers when |mean| >> std. The output error is then a few eps32
// times (1 + |mean| / std) relative to the output scale, which is what PyTorch's float CPU
// kernel (Welford moments in float) also has. Tests: tests/kernels/layernorm_test.cpp.
//
// Backward, in two parallel phases that need no scratch and give the same bits for any thread
// count: (1) column blocks in parallel, each summing dout * xhat and dout over the rows in order
// into dweight and dbias (xhat recomputed from the saved mean and rstd); (2) rows in parallel,
// din = rstd (g - mean(g) - xhat mean(g xhat)) with g = dout * weight, two vectorised passes per
// row. Phase 1 runs first, so din may alias dout. Precision: the two row means are sums of C
// terms (~sqrt(C) eps32 of the mean magnitudes of g and g * xhat), the column sums are sums of N
// terms; tolerances in tests/kernels/layernorm_test.cpp.
//
// Dimension legend: N rows, C features.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/threads.h"
#include "kernels/layernorm.h"

namespace finetune::kernels::cpu {
namespace {

// Normalises one row. `y` may alias `x`: each pass reads all of x before the last one writes
// y[c] from x[c] alone.
inline void normalize_row(float* y,             // [C]
                          float* mean_out,      // [1] or null
                          float* rstd_out,      // [1] or null
                          const float* x,       // [C]
                          const float* weight,  // [C]
                          const float* bias,    // [C]
                          int C, float eps) {
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int c = 0; c < C; ++c) sum += x[c];
  const float mean = sum / static_cast<float>(C);
  float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
  for (int c = 0; c < C; ++c) {
    const float d = x[c] - mean;
    sq += d * d;
  }
  const float var = sq / static_cast<float>(C);  // biased, as torch.nn.LayerNorm
  const float rstd = 1.0f / std::sqrt(var + eps);
  if (bias != nullptr) {
#pragma omp simd
    for (int c = 0; c < C; ++c) y[c] = (x[c] - mean) * rstd * weight[c] + bias[c];
  } else {
#pragma omp simd
    for (int c = 0; c < C; ++c) y[c] = (x[c] - mean) * rstd * weight[c];
  }
  if (mean_out) *mean_out = mean;
  if (rstd_out) *rstd_out = rstd;
}

}  // namespace

void layernorm_forward(const Exec& ex,
                       float* out,           // [N, C]
                       float* mean,          // [N] or null
                       float* rstd,          // [N] or null
                       const float* in,      // [N, C]
                       const float* weight,  // [C]
                       const float* bias,    // [C]
                       int N, int C, float eps) {
  const int64_t work = static_cast<int64_t>(N) * C;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    normalize_row(out + n * C, mean ? mean + n : nullptr, rstd ? rstd + n : nullptr, in + n * C,
                  weight, bias, C, eps);
  }
}

void add_layernorm_forward(const Exec& ex,
                           float* out,           // [N, C]
                           float* sum,           // [N, C] or null
                           float* mean,          // [N] or null
                           float* rstd,          // [N] or null
                           const float* a,       // [N, C]
                           const float* b,       // [N, C]
                           const float* weight,  // [C]
                           const float* bias,    // [C]
                           int N, int C, float eps) {
  const int64_t work = static_cast<int64_t>(N) * C;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    // Without a `sum` buffer the sum lives in the row of `out` until it is normalised in place.
    // Element c of the sum is written only from a[c] and b[c], so out may alias a or b.
    float* s = (sum ? sum : out) + n * C;  // [C]
    const float* an = a + n * C;           // [C]
    const float* bn = b + n * C;           // [C]
#pragma omp simd
    for (int c = 0; c < C; ++c) s[c] = an[c] + bn[c];
    normalize_row(out + n * C, mean ? mean + n : nullptr, rstd ? rstd + n : nullptr, s, weight,
                  bias, C, eps);
  }
}

namespace {

// Columns per block of the parameter-gradient phase: the block's sums stay in L1 while the rows
// stream past, and blocks are independent, so they run in parallel with no cross-thread
// reduction.
constexpr int kColumnBlock = 128;

}  // namespace

void layernorm_backward(const Exec& ex,
                        float* din,           // [N, C]
                        float* dweight,       // [C]
                        float* dbias,         // [C]
                        const float* dout,    // [N, C]
                        const float* in,      // [N, C]
                        const float* weight,  // [C]
                        const float* mean,    // [N]
                        const float* rstd,    // [N]
                        int N, int C) {
  if (N <= 0 || C <= 0) return;
  const int64_t work = static_cast<int64_t>(N) * C;

  // Phase 1: dweight += sum_n dout * xhat, dbias += sum_n dout.
  const int blocks = (C + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int blk = 0; blk < blocks; ++blk) {
    const int c0 = blk * kColumnBlock;
    const int width = std::min(kColumnBlock, C - c0);
    float acc_w[kColumnBlock] = {}, acc_b[kColumnBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const float* dy = dout + n * C + c0;  // [width]
      const float* x = in + n * C + c0;     // [width]
      const float mu = mean[n], r = rstd[n];
#pragma omp simd
      for (int c = 0; c < width; ++c) {
        acc_w[c] += dy[c] * ((x[c] - mu) * r);
        acc_b[c] += dy[c];
      }
    }
#pragma omp simd
    for (int c = 0; c < width; ++c) {
      dweight[c0 + c] += acc_w[c];
      if (dbias != nullptr) dbias[c0 + c] += acc_b[c];
    }
  }

  // Phase 2: din, rows in parallel.
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t n = 0; n < N; ++n) {
    const float* dy = dout + n * C;  // [C]
    const float* x = in + n * C;     // [C]
    float* dx = din + n * C;         // [C]
    const float mu = mean[n], r = rstd[n];
    float sum_g = 0.0f, sum_g_xhat = 0.0f;
#pragma omp simd reduction(+ : sum_g, sum_g_xhat)
    for (int c = 0; c < C; ++c) {
      const float g = dy[c] * weight[c];
      sum_g += g;
      sum_g_xhat += g * ((x[c] - mu) * r);
    }
    const float mean_g = sum_g / static_cast<float>(C);
    const float mean_g_xhat = sum_g_xhat / static_cast<float>(C);
#pragma omp simd
    for (int c = 0; c < C; ++c) {
      const float g = dy[c] * weight[c];
      const float xhat = (x[c] - mu) * r;
      dx[c] = r * (g - mean_g - xhat * mean_g_xhat);
    }
  }
}

}  // namespace finetune::kernels::cpu
