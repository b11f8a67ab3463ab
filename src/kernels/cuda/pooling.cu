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

}  // namespace

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
