// Device-side helpers shared by the CUDA kernels: warp reductions with a fixed shuffle tree
// (so a sum over a warp gives the same bits on every run), launch-size arithmetic, and the
// dropout scale as kernels/dropout.h defines it.
//
// Determinism rule of the backend: no floating-point atomics anywhere. Every reduction has a
// fixed shape (a warp's xor-shuffle tree, a fixed number of partial sums combined in a fixed
// order), so each kernel returns identical bits on every run for the same inputs and sizes.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/context.h"
#include "kernels/dropout.h"

namespace finetune::kernels::cuda {

inline constexpr int kWarp = 32;
inline constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    x += __shfl_xor_sync(kFullMask, x, offset);
  }
  return x;
}

__device__ __forceinline__ double warp_sum(double x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    x += __shfl_xor_sync(kFullMask, x, offset);
  }
  return x;
}

__device__ __forceinline__ float warp_max(float x) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    x = fmaxf(x, __shfl_xor_sync(kFullMask, x, offset));
  }
  return x;
}

// Blocks for `n` items at `per_block` items per block, capped for grid-stride loops.
inline unsigned blocks_for(int64_t n, int per_block, int64_t cap = int64_t{1} << 20) {
  int64_t blocks = (n + per_block - 1) / per_block;
  if (blocks < 1) blocks = 1;
  if (blocks > cap) blocks = cap;
  return static_cast<unsigned>(blocks);
}

// The survivors' scale 1/(1-p) rounded to float once (ref/dropout_math.h's dropout_scale).
inline float dropout_scale_f(const DropoutSpec& spec) {
  return static_cast<float>(1.0 / (1.0 - static_cast<double>(spec.p)));
}

// The spec a kernel draws its mask with: when the stream is tied to a device step counter (a
// kernel captured in a CUDA graph, kernels/dropout.h), the counter's value at run time selects the
// step. Call once per thread, at the start of the kernel.
__device__ inline DropoutSpec resolve_dropout(DropoutSpec spec) {
  if (spec.step != nullptr) {
    spec.stream += *spec.step * kDropoutSitesPerStep;
    spec.step = nullptr;
  }
  return spec;
}

}  // namespace finetune::kernels::cuda
