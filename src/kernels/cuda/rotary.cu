// CUDA rotary position embedding (spec in kernels/rotary.h, oracle in ref/rotary_math.h): one
// thread per (token, q-or-k head, pair d), computing its angle in float32 as transformers does
// (powf, then the product) and cosf/sinf (the accurate versions, not the __ intrinsics), then
// rotating the pair in place. Memory-bound; no shared memory, no atomics.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS = C / NH head size.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/error.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/rotary.h"

namespace finetune::kernels::cuda {
namespace {

__global__ void rotary_kernel(float* __restrict__ qkv,  // [B, T, 3C]
                              int B, int T, int C, int NH, float theta, float direction) {
  const int HS = C / NH, half = HS / 2;
  const int64_t n = int64_t{B} * T * 2 * NH * half;  // (token, head of q and k, pair)
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int d = static_cast<int>(i % half);
    const int64_t rest = i / half;
    const int head = static_cast<int>(rest % (2 * NH));  // 0 .. NH-1: q, NH .. 2NH-1: k
    const int64_t token = rest / (2 * NH);
    const int t = static_cast<int>(token % T);
    const float exponent = static_cast<float>(2 * d) / static_cast<float>(HS);
    const float inv_freq = 1.0f / powf(theta, exponent);
    const float angle = static_cast<float>(t) * inv_freq;
    const float c = cosf(angle), s = direction * sinf(angle);
    float* x = qkv + token * 3 * int64_t{C} + int64_t{head} * HS;
    const float x1 = x[d], x2 = x[d + half];
    x[d] = x1 * c - x2 * s;
    x[d + half] = x2 * c + x1 * s;
  }
}

void rotate(const Exec& ex, const char* op, float* qkv, int B, int T, int C, int NH, float theta,
            float direction) {
  CudaContext& ctx = context(ex, op);
  FT_CHECK(NH > 0 && C % NH == 0 && (C / NH) % 2 == 0, op, ": hidden size ", C, " and ", NH,
           " heads do not give an even head size");
  if (B <= 0 || T <= 0) return;
  constexpr int kThreads = 256;
  const int64_t n = int64_t{B} * T * C;  // pairs: B T 2 NH HS/2 = B T C
  rotary_kernel<<<blocks_for(n, kThreads, 8192), kThreads, 0, ctx.stream>>>(qkv, B, T, C, NH, theta,
                                                                             direction);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void rotary_forward(const Exec& ex, float* qkv, int B, int T, int C, int NH, float theta) {
  rotate(ex, "rotary_forward", qkv, B, T, C, NH, theta, 1.0f);
}

void rotary_backward(const Exec& ex, float* dqkv, int B, int T, int C, int NH, float theta) {
  rotate(ex, "rotary_backward", dqkv, B, T, C, NH, theta, -1.0f);
}

}  // namespace finetune::kernels::cuda
