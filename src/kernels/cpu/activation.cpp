// CPU elementwise activations (spec and sources of truth in ref/activation.cpp), chunks of the
// array in parallel.
//
// Precision: every element is computed in float from the float input with the C library's
// float functions (erff, tanhf: within ~1-2 ulp), so each output is within a few eps32 of the
// correctly rounded value except where 1 + erf(.) or 1 + tanh(.) cancels (x below about -3),
// where the absolute error stays ~eps32 * |x| while the value itself goes to 0. PyTorch's float
// CPU kernel evaluates the same formula in float and has the same cancellation.
//
// Dimension legend: N elements. `out` may alias `in` (element i is written from element i only).
#include <cmath>

#include "core/error.h"
#include "kernels/activation.h"
#include "kernels/cpu/threads.h"

namespace finetune::kernels::cpu {
namespace {

constexpr float kSqrtHalf = 0.70710678118654752440f;       // 1 / sqrt(2)
constexpr float kSqrtTwoOverPi = 0.79788456080286535588f;  // sqrt(2 / pi)

}  // namespace

void activation_forward(const Exec& ex,
                        float* out,       // [N]
                        const float* in,  // [N]
                        long N, Activation kind) {
  const bool parallel = N >= kMinParallelWork;
  switch (kind) {
    case Activation::GeluErf:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (long i = 0; i < N; ++i) {
        const float x = in[i];
        out[i] = 0.5f * x * (1.0f + std::erf(x * kSqrtHalf));
      }
      return;
    case Activation::GeluTanh:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (long i = 0; i < N; ++i) {
        const float x = in[i];
        out[i] = 0.5f * x * (1.0f + std::tanh(kSqrtTwoOverPi * (x + 0.044715f * x * x * x)));
      }
      return;
    case Activation::Relu:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (long i = 0; i < N; ++i) out[i] = in[i] < 0.0f ? 0.0f : in[i];  // NaN stays NaN
      return;
    case Activation::Tanh:
#pragma omp parallel for simd schedule(static) if (parallel)
      for (long i = 0; i < N; ++i) out[i] = std::tanh(in[i]);
      return;
  }
  FT_CHECK(false, "activation_forward: unknown activation ", static_cast<int>(kind));
}

}  // namespace finetune::kernels::cpu
