// CUDA row-wise softmax (torch.softmax(dim=-1); spec in ref/softmax_math.h): one warp per row,
// max and sum by warp shuffles in a fixed tree, y = exp(x - max) * (1 / sum) as cpu:: does.
//
// Precision: expf is within 2 ulp (CUDA Math API), the exponent x - max is rounded (an error of
// eps32/2 |x - max| relative in exp), the sum of K positive terms is within K/2 eps32: each
// output within (4 + K/2 + |x - max|) eps32 relative, the cpu:: bound
// (tests/cuda_kernels/softmax_loss_test.cpp).
//
// Dimension legend: N rows, K classes. `out` may alias `in`: element k is read and written by
// lane k % 32 only.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/softmax.h"

namespace finetune::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 8;

__global__ void softmax_kernel(float* out,       // [N, K]
                               const float* in,  // [N, K]
                               int N, int K) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= N) return;
  const int lane = threadIdx.x % kWarp;
  const float* x = in + int64_t{row} * K;  // [K]
  float* y = out + int64_t{row} * K;       // [K]
  float max = -INFINITY;
  for (int k = lane; k < K; k += kWarp) max = fmaxf(max, x[k]);
  max = warp_max(max);
  float sum = 0.0f;
  for (int k = lane; k < K; k += kWarp) {
    const float e = expf(x[k] - max);
    y[k] = e;
    sum += e;
  }
  const float inv = 1.0f / warp_sum(sum);
  for (int k = lane; k < K; k += kWarp) y[k] *= inv;
}

}  // namespace

void softmax_forward(const Exec& ex,
                     float* out,       // [N, K]
                     const float* in,  // [N, K]
                     int N, int K) {
  CudaContext& ctx = context(ex, "softmax_forward");
  if (N <= 0 || K <= 0) return;
  softmax_kernel<<<(N + kRowsPerBlock - 1) / kRowsPerBlock, kRowsPerBlock * kWarp, 0, ctx.stream>>>(
      out, in, N, K);
  CUDA_CHECK_LAUNCH();
}

}  // namespace finetune::kernels::cuda
