// Softmax cross-entropy (forward and gradient in one pass) as a template over the storage type:
// the readable specification behind ref::cross_entropy_forward_backward, and (with Real = double)
// the function whose finite differences test the gradient. Convention (Real storage, arithmetic
// in double, one rounding per stored value): see ref/linear_math.h.
//
// Source of truth: torch.nn.CrossEntropyLoss (log_softmax then nll_loss), i.e. Keras'
// SparseCategoricalCrossentropy(from_logits=True). For example b with logits z and label y:
//   loss_b         = logsumexp(z) - z_y = log(sum_k exp(z_k - max z)) - (z_y - max z)
//   dlogits[b, k]  = scale * (softmax(z)_k - [k == y])     (the gradient of scale * sum_b loss_b)
// Subtracting max z keeps exp from overflowing (logits of +-1000 are fine) and makes the loss a
// sum of two non-negative terms, so nothing cancels.
//
// Dimension legend: B examples, K classes.
#pragma once

#include <cmath>
#include <cstdint>

namespace finetune::kernels::ref::math {

template <typename Real>
void cross_entropy_forward_backward(Real* losses,           // [B]
                                    Real* dlogits,          // [B, K] or null
                                    const Real* logits,     // [B, K]
                                    const int32_t* labels,  // [B]
                                    int B, int K, float scale) {
  for (int64_t b = 0; b < B; ++b) {
    const Real* z = logits + b * K;  // [K]
    double max = -INFINITY;
    for (int k = 0; k < K; ++k) max = std::fmax(max, static_cast<double>(z[k]));
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += std::exp(z[k] - max);
    const int y = labels[b];
    losses[b] = static_cast<Real>(std::log(sum) + (max - z[y]));
    if (dlogits) {
      for (int k = 0; k < K; ++k) {
        const double p = std::exp(z[k] - max) / sum;
        dlogits[b * K + k] = static_cast<Real>(scale * (p - (k == y ? 1.0 : 0.0)));
      }
    }
  }
}

}  // namespace finetune::kernels::ref::math
