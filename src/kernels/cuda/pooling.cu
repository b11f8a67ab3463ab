// CUDA first-token pooling (BertPooler / DistilBERT's head read the [CLS] hidden state; spec in
// ref/pooling_math.h): copies, exact.
//
// Dimension legend: B batch, T tokens, C hidden.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/pooling.h"

namespace finetune::kernels::cuda {
namespace {

// din[b, 0, :] = dout[b, :], din[b, t > 0, :] = 0.
__global__ void first_token_backward_kernel(float* __restrict__ din,         // [B, T, C]
                                            const float* __restrict__ dout,  // [B, C]
                                            int B, int T, int C) {
  const int64_t n = int64_t{B} * T * C;
  const int64_t TC = int64_t{T} * C;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = i / TC, rest = i % TC;  // rest = t * C + c
    din[i] = rest < C ? dout[b * C + rest] : 0.0f;
  }
}

// Mean pooling: one thread per (b, c), summing the real tokens in order (as cpu::).
__global__ void mean_pool_forward_kernel(float* __restrict__ out,            // [B, C]
                                         const float* __restrict__ in,       // [B, T, C]
                                         const int32_t* __restrict__ mask,  // [B, T]
                                         int B, int T, int C) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < int64_t{B} * C;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = i / C, c = i % C;
    float sum = 0.0f;
    int count = 0;
    for (int t = 0; t < T; ++t) {
      if (mask[b * T + t] == 0) continue;
      sum += in[(b * T + t) * C + c];
      ++count;
    }
    out[i] = count > 0 ? sum * (1.0f / static_cast<float>(count)) : 0.0f;
  }
}

__global__ void mean_pool_backward_kernel(float* __restrict__ din,           // [B, T, C]
                                          const float* __restrict__ dout,    // [B, C]
                                          const int32_t* __restrict__ mask,  // [B, T]
                                          int B, int T, int C) {
  const int64_t TC = int64_t{T} * C;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < int64_t{B} * TC;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = i / TC, t = (i % TC) / C, c = i % C;
    float value = 0.0f;
    if (mask[b * T + t] != 0) {
      int count = 0;
      for (int u = 0; u < T; ++u) count += mask[b * T + u] != 0;
      value = dout[b * C + c] * (1.0f / static_cast<float>(count));
    }
    din[i] = value;
  }
}

}  // namespace

void mean_pool_forward(const Exec& ex, float* out, const float* in, const int32_t* mask, int B,
                       int T, int C) {
  CudaContext& ctx = context(ex, "mean_pool_forward");
  if (B <= 0 || T <= 0 || C <= 0) return;
  constexpr int kThreads = 256;
  mean_pool_forward_kernel<<<blocks_for(int64_t{B} * C, kThreads, 8192), kThreads, 0,
                             ctx.stream>>>(out, in, mask, B, T, C);
  CUDA_CHECK_LAUNCH();
}

void mean_pool_backward(const Exec& ex, float* din, const float* dout, const int32_t* mask, int B,
                        int T, int C) {
  CudaContext& ctx = context(ex, "mean_pool_backward");
  if (B <= 0 || T <= 0 || C <= 0) return;
  constexpr int kThreads = 256;
  mean_pool_backward_kernel<<<blocks_for(int64_t{B} * T * C, kThreads, 8192), kThreads, 0,
                              ctx.stream>>>(din, dout, mask, B, T, C);
  CUDA_CHECK_LAUNCH();
}

void first_token_forward(const Exec& ex,
                         float* out,       // [B, C]
                         const float* in,  // [B, T, C]
                         int B, int T, int C) {
  CudaContext& ctx = context(ex, "first_token_forward");
  if (B <= 0 || T <= 0 || C <= 0) return;
  // Row b of out is row (b, 0) of in: a strided 2-D copy.
  CUDA_CHECK(cudaMemcpy2DAsync(out, sizeof(float) * C, in, sizeof(float) * size_t(T) * C,
                               sizeof(float) * C, B, cudaMemcpyDeviceToDevice, ctx.stream));
}

void first_token_backward(const Exec& ex,
                          float* din,         // [B, T, C]
                          const float* dout,  // [B, C]
                          int B, int T, int C) {
  CudaContext& ctx = context(ex, "first_token_backward");
  if (B <= 0 || T <= 0 || C <= 0) return;
  constexpr int kThreads = 256;
  first_token_backward_kernel<<<blocks_for(int64_t{B} * T * C, kThreads, 8192), kThreads, 0,
                                ctx.stream>>>(din, dout, B, T, C);
  CUDA_CHECK_LAUNCH();
}

}  // namespace finetune::kernels::cuda
