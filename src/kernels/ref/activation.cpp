// Reference elementwise activations: the readable specification and the oracle for cpu:: and
// cuda::.
//
// Sources of truth (transformers.activations, torch.nn.functional):
//   GeluErf  "gelu" (GELUActivation -> F.gelu):   0.5 x (1 + erf(x / sqrt 2))
//   GeluTanh "gelu_new", "gelu_pytorch_tanh":     0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//   Relu     "relu":                              max(x, 0), NaN stays NaN
//   Tanh     BertPooler's activation:             tanh(x)
// Each value is computed in double from the float input and rounded once, so this oracle is
// (nearly) correctly rounded; GELU uses erfc so that this holds in its lower tail too.
//
// Dimension legend: N elements. `out` may alias `in`.
#include "kernels/activation.h"

#include <cmath>

#include "core/error.h"

namespace finetune::kernels::ref {
namespace {

constexpr double kSqrtHalf = 0.70710678118654752440;       // 1 / sqrt(2)
constexpr double kSqrtTwoOverPi = 0.79788456080286535588;  // sqrt(2 / pi)

double activate(double x, Activation kind) {
  switch (kind) {
    case Activation::GeluErf:
      // 1 + erf(z) == erfc(-z); erfc keeps full relative precision in the lower tail, where
      // 1 + erf(z) cancels even in double (it is exactly 0 below z ~ -6, x ~ -8.3).
      return 0.5 * x * std::erfc(-x * kSqrtHalf);
    case Activation::GeluTanh:
      return 0.5 * x * (1.0 + std::tanh(kSqrtTwoOverPi * (x + 0.044715 * x * x * x)));
    case Activation::Relu:
      return x < 0.0 ? 0.0 : x;  // NaN stays NaN, as torch.relu
    case Activation::Tanh:
      return std::tanh(x);
  }
  FT_CHECK(false, "activation_forward: unknown activation ", static_cast<int>(kind));
}

}  // namespace

void activation_forward(const Exec& ex,
                        float* out,       // [N]
                        const float* in,  // [N]
                        long N, Activation kind) {
  for (long i = 0; i < N; ++i) out[i] = static_cast<float>(activate(in[i], kind));
}

}  // namespace finetune::kernels::ref
