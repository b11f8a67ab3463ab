// CUDA elementwise sum out = a + b (spec in ref/elementwise_math.h), used to join gradients
// where the forward pass branched. One correctly rounded float addition per element
// (__fadd_rn): bit-identical to ref:: and cpu::.
//
// Dimension legend: N elements. `out` may alias `a` or `b` (element i is written from element i).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/elementwise.h"

namespace finetune::kernels::cuda {
namespace {

__global__ void add_kernel(float* out,      // [N]
                           const float* a,  // [N]
                           const float* b,  // [N]
                           int64_t N) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N;
       i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = __fadd_rn(a[i], b[i]);
  }
}

}  // namespace

void add_forward(const Exec& ex,
                 float* out,      // [N]
                 const float* a,  // [N]
                 const float* b,  // [N]
                 long N) {
  CudaContext& ctx = context(ex, "add_forward");
  if (N <= 0) return;
  constexpr int kThreads = 256;
  add_kernel<<<blocks_for(N, kThreads, 8192), kThreads, 0, ctx.stream>>>(out, a, b, N);
  CUDA_CHECK_LAUNCH();
}

}  // namespace finetune::kernels::cuda
