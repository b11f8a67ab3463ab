// CUDA dropout (spec in ref/dropout_math.h, the mask in kernels/dropout.h): the mask is
// regenerated from (seed, stream, element index) by the counter-based Philox generator of
// core/rng.h, which compiles for the GPU too, so the GPU keeps exactly the elements the CPU
// keeps, and the forward and backward passes agree without storing a mask.
//
// One thread per aligned group of four elements (4g .. 4g+3 share Philox block g, as in
// cpu/dropout_mask.h): one Philox4x32-10 evaluation per four elements. The decision for element i
// is dropout_keep's exactly: uniform_from_word(word i % 4 of block i / 4) >= p.
//
// Precision: out = fl(in * fl(1/(1-p))) for kept elements, else 0: one correctly rounded product
// (__fmul_rn, which the compiler may not contract), bit-identical to ref:: and cpu::.
//
// Dimension legend: N elements. `out` may alias `in` (element i is written from element i only).
#include <cuda_runtime.h>

#include <cstdint>

#include "core/rng.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/dropout.h"

namespace finetune::kernels::cuda {
namespace {

__global__ void dropout_kernel(float* out,       // [N]
                               const float* in,  // [N]
                               int64_t N, DropoutSpec spec, float scale) {
  spec = resolve_dropout(spec);
  const int64_t groups = (N + 3) / 4;
  for (int64_t g = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; g < groups;
       g += int64_t{gridDim.x} * blockDim.x) {
    const Philox4 r = random_words(spec.seed, spec.stream, static_cast<uint64_t>(g));
    for (int l = 0; l < 4; ++l) {
      const int64_t i = 4 * g + l;
      if (i >= N) break;
      out[i] = uniform_from_word(r.v[l]) >= spec.p ? __fmul_rn(in[i], scale) : 0.0f;
    }
  }
}

void apply(const Exec& ex, const char* op, float* out, const float* in, long N,
           const DropoutSpec& spec) {
  CudaContext& ctx = context(ex, op);
  if (N <= 0) return;
  if (!spec.active()) {
    if (out != in) {
      CUDA_CHECK(cudaMemcpyAsync(out, in, sizeof(float) * static_cast<size_t>(N),
                                 cudaMemcpyDeviceToDevice, ctx.stream));
    }
    return;
  }
  constexpr int kThreads = 256;
  dropout_kernel<<<blocks_for((N + 3) / 4, kThreads, 8192), kThreads, 0, ctx.stream>>>(
      out, in, N, spec, dropout_scale_f(spec));
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void dropout_forward(const Exec& ex,
                     float* out,       // [N]
                     const float* in,  // [N]
                     long N, DropoutSpec spec) {
  apply(ex, "dropout_forward", out, in, N, spec);
}

void dropout_backward(const Exec& ex,
                      float* din,         // [N]
                      const float* dout,  // [N]
                      long N, DropoutSpec spec) {
  apply(ex, "dropout_backward", din, dout, N, spec);
}

}  // namespace finetune::kernels::cuda
