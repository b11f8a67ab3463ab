// CUDA softmax cross-entropy, forward and gradient in one pass (torch.nn.CrossEntropyLoss; spec
// in ref/loss_math.h): one warp per example. loss = log(sum_k exp(z_k - max)) + (max - z_y), two
// non-negative terms (no cancellation); dlogits = scale * (exp(z_k - max) / sum - [k == y]).
//
// Precision: expf and logf within 2 and 1 ulp (CUDA Math API), the sum of K positive terms within
// K/2 eps32: the loss within (K/2 + 2 + |log sum| + (max - z_y)) eps32 and each softmax value
// within (4 + K/2 + (max - z_k)) eps32 relative, the cpu:: bounds
// (tests/cuda_kernels/softmax_loss_test.cpp). The per-example losses stay on the device; the
// caller reduces them (no synchronisation here).
//
// Dimension legend: B examples, K classes.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"
#include "kernels/loss.h"

namespace finetune::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 8;

__global__ void cross_entropy_kernel(float* __restrict__ losses,          // [B]
                                     float* __restrict__ dlogits,         // [B, K] or null
                                     const float* __restrict__ logits,    // [B, K]
                                     const int32_t* __restrict__ labels,  // [B]
                                     int B, int K, float scale) {
  const int b = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (b >= B) return;
  const int lane = threadIdx.x % kWarp;
  const float* z = logits + int64_t{b} * K;  // [K]
  const int y = labels[b];
  const float zy = z[y];  // read before any lane writes dlogits
  float max = -INFINITY;
  for (int k = lane; k < K; k += kWarp) max = fmaxf(max, z[k]);
  max = warp_max(max);
  float sum = 0.0f;
  for (int k = lane; k < K; k += kWarp) sum += expf(z[k] - max);
  sum = warp_sum(sum);
  if (dlogits != nullptr) {
    float* d = dlogits + int64_t{b} * K;  // [K]
    const float inv = 1.0f / sum;         // sum >= 1: the maximum's own term is exp(0)
    for (int k = lane; k < K; k += kWarp) {
      d[k] = scale * (expf(z[k] - max) * inv - (k == y ? 1.0f : 0.0f));
    }
  }
  if (lane == 0) losses[b] = logf(sum) + (max - zy);
}

}  // namespace

void cross_entropy_forward_backward(const Exec& ex,
                                    float* losses,          // [B] per-example loss
                                    float* dlogits,         // [B, K] or null (no gradient)
                                    const float* logits,    // [B, K]
                                    const int32_t* labels,  // [B]
                                    int B, int K, float scale) {
  CudaContext& ctx = context(ex, "cross_entropy_forward_backward");
  if (B <= 0 || K <= 0) return;
  cross_entropy_kernel<<<(B + kRowsPerBlock - 1) / kRowsPerBlock, kRowsPerBlock * kWarp, 0,
                         ctx.stream>>>(losses, dlogits, logits, labels, B, K, scale);
  CUDA_CHECK_LAUNCH();
}

}  // namespace finetune::kernels::cuda
