// CUDA elementwise activations and their derivatives (spec and sources of truth in
// ref/activation_math.h): one grid-stride loop per call, element i written from element i only,
// so `out` may alias `in` and `din` may alias `dout`.
//
// Precision (fp32, tolerances in tests/cuda_kernels/activation_test.cpp and docs/numerics.md):
// - GeluErf is x * normcdff(x). CUDA's normcdff is within 5 ulp of Phi(x) over the whole range
//   (CUDA Math API), including the lower tail, where the textbook 0.5 (1 + erff(x / sqrt 2))
//   would cancel; one more rounding for the product: y within 8 eps32 |y| (plus 1e-38 where Phi
//   is subnormal, x < -13.2).
// - Its derivative Phi(x) + x phi(x) uses normcdff and phi = exp(-x^2/2) / sqrt(2 pi) with x^2
//   split exactly (x^2 = hi + lo by an FMA), so the exponent carries no x^2 eps32 error:
//   exp(-hi/2) * (1 - lo/2). Each term within a few eps32 of its value.
// - GeluTanh and Tanh use tanhf (at most 2 ulp in CUDA); where 1 + tanh(u) cancels (x below
//   about -3) the error is ~eps32 |x| absolute, as in PyTorch's float kernel.
// - Relu is a selection (exact); its backward passes dout where x > 0 or x is NaN, as torch's
//   threshold_backward on relu's output does (ref/activation_math.h).
// nvcc may contract a * b + c into FMAs here; the tolerances allow for either rounding.
//
// Dimension legend: N elements.
#include <cuda_runtime.h>

#include <type_traits>

#include <cstdint>

#include "core/error.h"
#include "kernels/activation.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/context.h"

namespace finetune::kernels::cuda {
namespace {

constexpr float kSqrtTwoOverPi = 0.79788456080286535588f;  // sqrt(2 / pi)
constexpr float kInvSqrtTwoPi = 0.39894228040143267794f;   // 1 / sqrt(2 pi)
constexpr float kGeluTanhCubic = 0.044715f;

template <Activation kKind>
__device__ __forceinline__ float activate(float x) {
  if constexpr (kKind == Activation::GeluErf) {
    return x * normcdff(x);
  } else if constexpr (kKind == Activation::GeluTanh) {
    const float u = kSqrtTwoOverPi * (x + kGeluTanhCubic * x * x * x);
    return 0.5f * x * (1.0f + tanhf(u));
  } else if constexpr (kKind == Activation::Relu) {
    return x < 0.0f ? 0.0f : x;  // NaN stays NaN, as torch.relu
  } else {
    return tanhf(x);
  }
}

// din = dout * act'(x).
template <Activation kKind>
__device__ __forceinline__ float activate_backward(float dout, float x) {
  if constexpr (kKind == Activation::GeluErf) {
    // phi(x) = exp(-x^2 / 2) / sqrt(2 pi), with x^2 = hi + lo exactly (lo from one FMA):
    // exp(-(hi + lo)/2) = exp(-hi/2) exp(-lo/2), and exp(-lo/2) = 1 - lo/2 to float precision.
    const float hi = x * x;
    const float lo = __fmaf_rn(x, x, -hi);
    const float pdf = kInvSqrtTwoPi * (expf(-0.5f * hi) * (1.0f - 0.5f * lo));
    return dout * (normcdff(x) + x * pdf);
  } else if constexpr (kKind == Activation::GeluTanh) {
    const float x2 = x * x;
    const float t = tanhf(kSqrtTwoOverPi * (x + kGeluTanhCubic * x2 * x));
    const float du_dx = kSqrtTwoOverPi * (1.0f + 3.0f * kGeluTanhCubic * x2);
    return dout * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du_dx);
  } else if constexpr (kKind == Activation::Relu) {
    return x <= 0.0f ? 0.0f : dout;  // selects: 0 * inf stays 0, as threshold_backward
  } else {
    const float t = tanhf(x);
    return dout * (1.0f - t * t);
  }
}

template <Activation kKind>
__global__ void activation_forward_kernel(float* out,       // [N]
                                          const float* in,  // [N]
                                          int64_t N) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N;
       i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = activate<kKind>(in[i]);
  }
}

template <Activation kKind>
__global__ void activation_backward_kernel(float* din,         // [N]
                                           const float* dout,  // [N]
                                           const float* in,    // [N]
                                           int64_t N) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N;
       i += int64_t{gridDim.x} * blockDim.x) {
    din[i] = activate_backward<kKind>(dout[i], in[i]);
  }
}

// GeGLU: element (n, j) of the [N, F] output from input (n, j) and gate (n, F + j).
template <Activation kKind>
__global__ void geglu_forward_kernel(float* __restrict__ out,       // [N, F]
                                     const float* __restrict__ in,  // [N, 2F]
                                     int64_t N, int64_t F) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N * F;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t n = i / F, j = i % F;
    out[i] = activate<kKind>(in[n * 2 * F + j]) * in[n * 2 * F + F + j];
  }
}

template <Activation kKind>
__global__ void geglu_backward_kernel(float* __restrict__ din,         // [N, 2F]
                                      const float* __restrict__ dout,  // [N, F]
                                      const float* __restrict__ in,    // [N, 2F]
                                      int64_t N, int64_t F) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < N * F;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t n = i / F, j = i % F;
    const float x = in[n * 2 * F + j], gate = in[n * 2 * F + F + j], dy = dout[i];
    din[n * 2 * F + F + j] = dy * activate<kKind>(x);
    din[n * 2 * F + j] = activate_backward<kKind>(dy * gate, x);
  }
}

constexpr int kThreads = 256;

template <typename F>
void with_kind(Activation kind, const char* op, F&& f) {
  switch (kind) {
    case Activation::GeluErf:
      return f(std::integral_constant<Activation, Activation::GeluErf>{});
    case Activation::GeluTanh:
      return f(std::integral_constant<Activation, Activation::GeluTanh>{});
    case Activation::Relu:
      return f(std::integral_constant<Activation, Activation::Relu>{});
    case Activation::Tanh:
      return f(std::integral_constant<Activation, Activation::Tanh>{});
  }
  FT_CHECK(false, op, ": unknown activation ", static_cast<int>(kind));
}

template <Activation kKind>
void launch_forward(cudaStream_t stream, float* out, const float* in, int64_t N) {
  activation_forward_kernel<kKind>
      <<<blocks_for(N, kThreads, 8192), kThreads, 0, stream>>>(out, in, N);
  CUDA_CHECK_LAUNCH();
}

template <Activation kKind>
void launch_backward(cudaStream_t stream, float* din, const float* dout, const float* in,
                     int64_t N) {
  activation_backward_kernel<kKind>
      <<<blocks_for(N, kThreads, 8192), kThreads, 0, stream>>>(din, dout, in, N);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void activation_forward(const Exec& ex,
                        float* out,       // [N]
                        const float* in,  // [N]
                        long N, Activation kind) {
  CudaContext& ctx = context(ex, "activation_forward");
  if (N <= 0) return;
  switch (kind) {
    case Activation::GeluErf:
      return launch_forward<Activation::GeluErf>(ctx.stream, out, in, N);
    case Activation::GeluTanh:
      return launch_forward<Activation::GeluTanh>(ctx.stream, out, in, N);
    case Activation::Relu:
      return launch_forward<Activation::Relu>(ctx.stream, out, in, N);
    case Activation::Tanh:
      return launch_forward<Activation::Tanh>(ctx.stream, out, in, N);
  }
  FT_CHECK(false, "activation_forward: unknown activation ", static_cast<int>(kind));
}

void activation_backward(const Exec& ex,
                         float* din,         // [N]
                         const float* dout,  // [N]
                         const float* in,    // [N]
                         long N, Activation kind) {
  CudaContext& ctx = context(ex, "activation_backward");
  if (N <= 0) return;
  switch (kind) {
    case Activation::GeluErf:
      return launch_backward<Activation::GeluErf>(ctx.stream, din, dout, in, N);
    case Activation::GeluTanh:
      return launch_backward<Activation::GeluTanh>(ctx.stream, din, dout, in, N);
    case Activation::Relu:
      return launch_backward<Activation::Relu>(ctx.stream, din, dout, in, N);
    case Activation::Tanh:
      return launch_backward<Activation::Tanh>(ctx.stream, din, dout, in, N);
  }
  FT_CHECK(false, "activation_backward: unknown activation ", static_cast<int>(kind));
}

void geglu_forward(const Exec& ex, float* out, const float* in, long N, long F, Activation kind) {
  CudaContext& ctx = context(ex, "geglu_forward");
  if (N <= 0 || F <= 0) return;
  with_kind(kind, "geglu_forward", [&](auto k) {
    geglu_forward_kernel<decltype(k)::value>
        <<<blocks_for(int64_t{N} * F, kThreads, 8192), kThreads, 0, ctx.stream>>>(out, in, N, F);
    CUDA_CHECK_LAUNCH();
  });
}

void geglu_backward(const Exec& ex, float* din, const float* dout, const float* in, long N,
                    long F, Activation kind) {
  CudaContext& ctx = context(ex, "geglu_backward");
  if (N <= 0 || F <= 0) return;
  with_kind(kind, "geglu_backward", [&](auto k) {
    geglu_backward_kernel<decltype(k)::value>
        <<<blocks_for(int64_t{N} * F, kThreads, 8192), kThreads, 0, ctx.stream>>>(din, dout, in,
                                                                                   N, F);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace finetune::kernels::cuda
