// CUDA LayerNorm, residual-add + LayerNorm, and the LayerNorm backward pass (torch.nn.LayerNorm;
// spec in ref/layernorm_math.h).
//
// Forward: one warp per row, three passes over the row like cpu:: (mean; variance of the centred
// values, so no E[x^2] - E[x]^2 cancellation; normalise), fp32 with warp-shuffle sums in a fixed
// tree. The row is re-read from global memory (L1/L2) instead of being held in registers, so any
// C works. add_layernorm stores s = fl(a + b) (__fadd_rn, bit-equal to ref::) in `sum`, or in
// `out` when `sum` is null, and normalises it: each element of a, b is read by the one thread
// that then writes the same element of out, so `out` may alias `a` or `b`.
//
// Backward: (1) dweight and dbias, column sums over the rows by a fixed-shape kernel (32 columns x
// 8 row-lanes per block, lanes combined in a fixed order; deterministic), accumulated; then (2)
// din, one warp per row: din = rstd (g - mean(g) - xhat mean(g xhat)), g = dout * weight. (1) is
// queued before (2) on the stream, so din may alias dout.
//
// Precision: as cpu:: (tolerances in tests/cuda_kernels/layernorm_test.cpp): the row sums are
// sums of C terms in 32 interleaved partial sums, error ~sqrt(C) eps32 of the term magnitudes;
// rstd is 1 / sqrtf (both correctly rounded), not rsqrtf.
//
// Dimension legend: N rows, C features.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/layernorm.h"

namespace finetune::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 8;  // warps per block, one row each
constexpr int kColLanes = 8;      // row-lanes of the column-sum kernel

// One warp normalises row `row`. `x` is the (already summed) input row; y may alias x.
__device__ __forceinline__ void normalize_row(float* y,             // [C]
                                              float* mean_out,      // [1] or null
                                              float* rstd_out,      // [1] or null
                                              const float* x,       // [C]
                                              const float* weight,  // [C]
                                              const float* bias,    // [C]
                                              int C, float eps, int lane) {
  float sum = 0.0f;
  for (int c = lane; c < C; c += kWarp) sum += x[c];
  const float mean = warp_sum(sum) / static_cast<float>(C);
  float sq = 0.0f;
  for (int c = lane; c < C; c += kWarp) {
    const float d = x[c] - mean;
    sq += d * d;
  }
  const float var = warp_sum(sq) / static_cast<float>(C);
  const float rstd = 1.0f / sqrtf(var + eps);
  for (int c = lane; c < C; c += kWarp) {
    y[c] = (x[c] - mean) * rstd * weight[c] + (bias != nullptr ? bias[c] : 0.0f);
  }
  if (lane == 0) {
    if (mean_out != nullptr) *mean_out = mean;
    if (rstd_out != nullptr) *rstd_out = rstd;
  }
}

__global__ void layernorm_forward_kernel(float* out,           // [N, C]
                                         float* mean,          // [N] or null
                                         float* rstd,          // [N] or null
                                         const float* in,      // [N, C]
                                         const float* weight,  // [C]
                                         const float* bias,    // [C]
                                         int N, int C, float eps) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= N) return;  // whole warps leave together
  const int64_t offset = int64_t{row} * C;
  normalize_row(out + offset, mean != nullptr ? mean + row : nullptr,
                rstd != nullptr ? rstd + row : nullptr, in + offset, weight, bias, C, eps,
                threadIdx.x % kWarp);
}

__global__ void add_layernorm_forward_kernel(float* out,           // [N, C]
                                             float* sum,           // [N, C] or null
                                             float* mean,          // [N] or null
                                             float* rstd,          // [N] or null
                                             const float* a,       // [N, C]
                                             const float* b,       // [N, C]
                                             const float* weight,  // [C]
                                             const float* bias,    // [C]
                                             int N, int C, float eps) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= N) return;
  const int lane = threadIdx.x % kWarp;
  const int64_t offset = int64_t{row} * C;
  float* s = (sum != nullptr ? sum : out) + offset;  // [C]
  // Element c of a and b is read by lane c % 32 only, which then writes element c of s; the
  // normalisation below reads s back in the same lanes, so out may alias a or b.
  for (int c = lane; c < C; c += kWarp) s[c] = __fadd_rn(a[offset + c], b[offset + c]);
  normalize_row(out + offset, mean != nullptr ? mean + row : nullptr,
                rstd != nullptr ? rstd + row : nullptr, s, weight, bias, C, eps, lane);
}

// dweight[c] += sum_n dout[n, c] xhat[n, c], dbias[c] += sum_n dout[n, c]; block (32 columns,
// 8 row-lanes), lane y sums rows y, y + 8, ... in order, the lanes are then added in order.
__global__ void layernorm_param_grad_kernel(float* __restrict__ dweight,     // [C]
                                            float* __restrict__ dbias,       // [C]
                                            const float* __restrict__ dout,  // [N, C]
                                            const float* __restrict__ in,    // [N, C]
                                            const float* __restrict__ mean,  // [N]
                                            const float* __restrict__ rstd,  // [N]
                                            int N, int C) {
  __shared__ float part_w[kColLanes][kWarp];
  __shared__ float part_b[kColLanes][kWarp];
  const int c = blockIdx.x * kWarp + threadIdx.x;
  float dw = 0.0f, db = 0.0f;
  if (c < C) {
    for (int n = threadIdx.y; n < N; n += kColLanes) {
      const int64_t i = int64_t{n} * C + c;
      const float dy = dout[i];
      dw += dy * ((in[i] - mean[n]) * rstd[n]);
      db += dy;
    }
  }
  part_w[threadIdx.y][threadIdx.x] = dw;
  part_b[threadIdx.y][threadIdx.x] = db;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    float tw = part_w[0][threadIdx.x], tb = part_b[0][threadIdx.x];
    for (int y = 1; y < kColLanes; ++y) {
      tw += part_w[y][threadIdx.x];
      tb += part_b[y][threadIdx.x];
    }
    dweight[c] += tw;
    if (dbias != nullptr) dbias[c] += tb;
  }
}

// din (one warp per row); din may alias dout (element c is read and written by lane c % 32).
__global__ void layernorm_input_grad_kernel(float* din,           // [N, C]
                                            const float* dout,    // [N, C]
                                            const float* in,      // [N, C]
                                            const float* weight,  // [C]
                                            const float* mean,    // [N]
                                            const float* rstd,    // [N]
                                            int N, int C) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= N) return;
  const int lane = threadIdx.x % kWarp;
  const int64_t offset = int64_t{row} * C;
  const float mu = mean[row], r = rstd[row];
  float sum_g = 0.0f, sum_gx = 0.0f;
  for (int c = lane; c < C; c += kWarp) {
    const float g = dout[offset + c] * weight[c];
    sum_g += g;
    sum_gx += g * ((in[offset + c] - mu) * r);
  }
  const float mean_g = warp_sum(sum_g) / static_cast<float>(C);
  const float mean_gx = warp_sum(sum_gx) / static_cast<float>(C);
  for (int c = lane; c < C; c += kWarp) {
    const float g = dout[offset + c] * weight[c];
    const float xhat = (in[offset + c] - mu) * r;
    din[offset + c] = r * (g - mean_g - xhat * mean_gx);
  }
}

unsigned row_blocks(int N) {
  return static_cast<unsigned>((N + kRowsPerBlock - 1) / kRowsPerBlock);
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
  CudaContext& ctx = context(ex, "layernorm_forward");
  if (N <= 0 || C <= 0) return;
  layernorm_forward_kernel<<<row_blocks(N), kRowsPerBlock * kWarp, 0, ctx.stream>>>(
      out, mean, rstd, in, weight, bias, N, C, eps);
  CUDA_CHECK_LAUNCH();
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
  CudaContext& ctx = context(ex, "add_layernorm_forward");
  if (N <= 0 || C <= 0) return;
  add_layernorm_forward_kernel<<<row_blocks(N), kRowsPerBlock * kWarp, 0, ctx.stream>>>(
      out, sum, mean, rstd, a, b, weight, bias, N, C, eps);
  CUDA_CHECK_LAUNCH();
}

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
  CudaContext& ctx = context(ex, "layernorm_backward");
  if (N <= 0 || C <= 0) return;
  // Parameter gradients first: din may overwrite dout.
  layernorm_param_grad_kernel<<<(C + kWarp - 1) / kWarp, dim3(kWarp, kColLanes), 0, ctx.stream>>>(
      dweight, dbias, dout, in, mean, rstd, N, C);
  CUDA_CHECK_LAUNCH();
  layernorm_input_grad_kernel<<<row_blocks(N), kRowsPerBlock * kWarp, 0, ctx.stream>>>(
      din, dout, in, weight, mean, rstd, N, C);
  CUDA_CHECK_LAUNCH();
}

}  // namespace finetune::kernels::cuda
