// CUDA Adam/AdamW step over the flat parameter buffer and the sum of squares for the global
// gradient norm (spec and source of truth, torch/optim/adam.py, in ref/optimizer_math.h).
//
// adam_step: one fused pass, one thread per element (grid-stride), reading params, grads, m, v
// and writing params, m, v (28 bytes per parameter). The per-step scalars are derived on the
// host in double from the double hyperparameters and rounded to float once, by the same code
// as ref:: and cpu:: (ref::math::AdamScalars, called from adam_scalars.cpp). Every float operation
// of the element update is a correctly rounded intrinsic in PyTorch's order (__fmul_rn, __fsub_rn,
// __fdiv_rn, __fsqrt_rn,
// __fadd_rn, and __fmaf_rn exactly where ATen fuses: lerp, addcmul, add with alpha), which nvcc
// never contracts or reassociates, and denormals are kept (no -ftz), so the result is
// bit-identical to cpu:: and ref:: (tests/cuda_kernels/optimizer_test.cpp), and hence to
// PyTorch as far as cpu:: is (docs/numerics.md).
//
// adam_step_rows: one block per embedding row; a row whose flag says it has no moments yet and
// whose gradient is all zeros is left alone (kernels/optimizer.h), every other row gets the same
// element update as adam_step. Both kernels can also write each updated parameter rounded to bf16
// (AdamParams::bf16_params), the copy that bf16 matrix products then read (linear.cu).
//
// sum_of_squares: deterministic in two fixed-shape passes. Pass 1 runs kSumOfSquaresBlocks
// blocks of 256 threads whatever N is; thread t of the grid sums x_i^2 in double (a float's
// square is exact in double) for i = t, t + G, t + 2G, ... (G = grid size), then each block adds
// its 256 sums by a fixed tree into one partial; pass 2 (one block) adds the partials by a fixed
// tree. The order therefore depends on N only: identical bits on every run. The result is copied
// into the context's pinned host double and the stream is synchronised, because the API returns
// the value in host memory: this is the one kernel that synchronises (once per optimizer step,
// for gradient clipping). Its error is ~sqrt(N) eps64 relative.
//
// Dimension legend: N parameters.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/adam_scalars.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/optimizer.h"

namespace finetune::kernels::cuda {
namespace {

// How weight decay enters the update (see ref/optimizer_math.h).
enum class Decay { None, Decoupled, Coupled };

using Scalars = AdamScalarsF;

// One element of the update, in PyTorch's order (see the header comment); returns the new
// parameter. `non_finite` and `index` report a non-finite gradient (AdamParams).
template <Decay kDecay>
__device__ __forceinline__ float adam_update(float p, float& m, float& v, float raw, const Scalars& s,
                                             unsigned long long* non_finite, int64_t index) {
  if (non_finite != nullptr && !isfinite(raw)) {
    atomicMax(non_finite, ~0ull - static_cast<unsigned long long>(index));
  }
  float g = __fmul_rn(raw, s.gs);
  if constexpr (kDecay == Decay::Decoupled) p = __fmul_rn(p, s.decay);
  if constexpr (kDecay == Decay::Coupled) g = __fmaf_rn(p, s.wd, g);
  const float mi = m;
  // exp_avg.lerp_(g, w1): fma(w1, g - m, m) for w1 < 0.5, else fma(w1 - 1, g - m, g)
  m = __fmaf_rn(s.c1, __fsub_rn(g, mi), s.small_w1 ? mi : g);
  // exp_avg_sq.mul_(beta2).addcmul_(g, g, value=w2)
  v = __fmaf_rn(__fmul_rn(s.w2, g), g, __fmul_rn(v, s.beta2));
  // denom = sqrt(v) / bc2_sqrt + eps; p = p + (neg_step * m) / denom
  const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(v), s.bc2_sqrt), s.eps);
  return __fadd_rn(p, __fdiv_rn(__fmul_rn(s.neg_step, m), denom));
}

template <Decay kDecay>
__global__ void adam_kernel(float* __restrict__ params,       // [N]
                            float* __restrict__ m,            // [N]
                            float* __restrict__ v,            // [N]
                            const float* __restrict__ grads,  // [N]
                            int64_t N, Scalars s,
                            unsigned long long* __restrict__ non_finite,  // [1] or null
                            int64_t non_finite_offset,
                            __nv_bfloat16* __restrict__ bf16_params) {  // [N] or null
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N;
       i += int64_t{gridDim.x} * blockDim.x) {
    float mi = m[i], vi = v[i];
    const float p =
        adam_update<kDecay>(params[i], mi, vi, grads[i], s, non_finite, non_finite_offset + i);
    params[i] = p;
    m[i] = mi;
    v[i] = vi;
    if (bf16_params != nullptr) bf16_params[i] = __float2bfloat16_rn(p);
  }
}

// adam_step_rows: one block per row (grid-stride over rows). An inactive row is first checked
// for a non-zero gradient (|bits| without the sign, OR-ed over the block); if it has none the
// block moves on without touching the row, else it marks the row active and updates it like
// adam_kernel<Decay::None>. Every thread reads the flag before thread 0 may write it (the
// __syncthreads_or in between orders them).
constexpr int kRowThreads = 256;
__global__ void __launch_bounds__(kRowThreads)
    adam_rows_kernel(float* __restrict__ params,          // [rows, row_length]
                     float* __restrict__ m,               // [rows, row_length]
                     float* __restrict__ v,               // [rows, row_length]
                     const float* __restrict__ grads,     // [rows, row_length]
                     uint8_t* __restrict__ row_active,    // [rows]
                     int64_t rows, int64_t row_length, Scalars s,
                     unsigned long long* __restrict__ non_finite,  // [1] or null
                     int64_t non_finite_offset,
                     __nv_bfloat16* __restrict__ bf16_params) {  // [rows, row_length] or null
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const int64_t begin = row * row_length;
    const bool active = row_active[row] != 0;
    if (!active) {
      unsigned bits = 0;
      for (int64_t j = threadIdx.x; j < row_length; j += kRowThreads) {
        bits |= __float_as_uint(grads[begin + j]) & 0x7fffffffu;
      }
      // Also the barrier that keeps thread 0's flag write below after every thread's read.
      if (__syncthreads_or(bits != 0) == 0) continue;
      if (threadIdx.x == 0) row_active[row] = 1;
    }
    for (int64_t j = threadIdx.x; j < row_length; j += kRowThreads) {
      const int64_t i = begin + j;
      float mi = m[i], vi = v[i];
      const float p = adam_update<Decay::None>(params[i], mi, vi, grads[i], s, non_finite,
                                               non_finite_offset + i);
      params[i] = p;
      m[i] = mi;
      v[i] = vi;
      if (bf16_params != nullptr) bf16_params[i] = __float2bfloat16_rn(p);
    }
  }
}

constexpr int kSosThreads = 256;

// Fixed-tree sum of one double per thread of a block of kThreads (a multiple of 32, at most
// 1024); the result is valid in thread 0.
template <int kThreads>
__device__ double block_sum(double x) {
  __shared__ double warp_sums[kThreads / kWarp];
  x = warp_sum(x);
  if (threadIdx.x % kWarp == 0) warp_sums[threadIdx.x / kWarp] = x;
  __syncthreads();
  double total = 0.0;
  if (threadIdx.x == 0) {
    for (int w = 0; w < kThreads / kWarp; ++w) total += warp_sums[w];
  }
  return total;
}

__global__ void __launch_bounds__(kSosThreads)
    sum_of_squares_partial_kernel(double* __restrict__ partials,  // [gridDim.x]
                                  const float* __restrict__ x,    // [N]
                                  int64_t N) {
  double acc = 0.0;
  for (int64_t i = blockIdx.x * int64_t{kSosThreads} + threadIdx.x; i < N;
       i += int64_t{gridDim.x} * kSosThreads) {
    const double xi = x[i];
    acc += xi * xi;
  }
  const double total = block_sum<kSosThreads>(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

__global__ void __launch_bounds__(kSumOfSquaresBlocks)
    sum_of_squares_final_kernel(double* __restrict__ partials) {  // [kSumOfSquaresBlocks + 1]
  const double total = block_sum<kSumOfSquaresBlocks>(partials[threadIdx.x]);
  if (threadIdx.x == 0) partials[kSumOfSquaresBlocks] = total;
}

}  // namespace

void adam_step(const Exec& ex,
               float* params,       // [N]
               float* m,            // [N] first moment
               float* v,            // [N] second moment
               const float* grads,  // [N]
               long N, AdamParams hp) {
  CudaContext& ctx = context(ex, "adam_step");
  if (N <= 0) return;
  // The per-step scalars, derived in double and rounded to float exactly as ref:: and cpu:: do.
  const Scalars s = adam_scalars(hp);
  constexpr int kThreads = 256;
  const unsigned blocks = blocks_for(N, kThreads, 16384);
  auto* bf16 = static_cast<__nv_bfloat16*>(hp.bf16_params);
  if (s.decoupled) {
    adam_kernel<Decay::Decoupled><<<blocks, kThreads, 0, ctx.stream>>>(
        params, m, v, grads, N, s, hp.non_finite_flag, hp.non_finite_offset, bf16);
  } else if (s.coupled) {
    adam_kernel<Decay::Coupled><<<blocks, kThreads, 0, ctx.stream>>>(
        params, m, v, grads, N, s, hp.non_finite_flag, hp.non_finite_offset, bf16);
  } else {
    adam_kernel<Decay::None><<<blocks, kThreads, 0, ctx.stream>>>(
        params, m, v, grads, N, s, hp.non_finite_flag, hp.non_finite_offset, bf16);
  }
  CUDA_CHECK_LAUNCH();
}

void adam_step_rows(const Exec& ex,
                    float* params,        // [rows, row_length]
                    float* m,             // [rows, row_length]
                    float* v,             // [rows, row_length]
                    const float* grads,   // [rows, row_length]
                    uint8_t* row_active,  // [rows]
                    long rows, long row_length, AdamParams hp) {
  CudaContext& ctx = context(ex, "adam_step_rows");
  if (rows <= 0 || row_length <= 0) return;
  const Scalars s = adam_scalars(hp);
  FT_CHECK(!s.decoupled && !s.coupled, "adam_step_rows: weight decay ", hp.weight_decay,
           " changes every row");
  const auto blocks = static_cast<unsigned>(std::min<long>(rows, 65535));
  adam_rows_kernel<<<blocks, kRowThreads, 0, ctx.stream>>>(
      params, m, v, grads, row_active, rows, row_length, s, hp.non_finite_flag,
      hp.non_finite_offset, static_cast<__nv_bfloat16*>(hp.bf16_params));
  CUDA_CHECK_LAUNCH();
}

void sum_of_squares(const Exec& ex,
                    double* out,     // [1], host memory
                    const float* x,  // [N]
                    long N) {
  CudaContext& ctx = context(ex, "sum_of_squares");
  if (N <= 0) {
    *out = 0.0;
    return;
  }
  sum_of_squares_partial_kernel<<<kSumOfSquaresBlocks, kSosThreads, 0, ctx.stream>>>(
      ctx.sos_partials, x, N);
  CUDA_CHECK_LAUNCH();
  sum_of_squares_final_kernel<<<1, kSumOfSquaresBlocks, 0, ctx.stream>>>(ctx.sos_partials);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaMemcpyAsync(ctx.sos_host, ctx.sos_partials + kSumOfSquaresBlocks, sizeof(double),
                             cudaMemcpyDeviceToHost, ctx.stream));
  CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  *out = *ctx.sos_host;
}

}  // namespace finetune::kernels::cuda
