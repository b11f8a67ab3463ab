// CPU softmax cross-entropy, forward and gradient in one pass (torch.nn.CrossEntropyLoss; spec
// in ref/loss_math.h), rows in parallel when there are many.
//
// Per row: max, exp(z_k - max) summed in float, loss = log(sum) + (max - z_label) (two
// non-negative terms, no cancellation; logits of +-1000 are fine since every exponent is <= 0),
// dlogits = scale * (exp(z_k - max) / sum - [k == label]).
//
// Precision: expf and logf are within ~1 ulp; the sum of K positive terms has relative error
// <= K/2 eps32; the exponent z_k - max is rounded, an error of eps32/2 |z_k - max| relative in
// exp. The loss is then within (K/2 + 2 + |log sum| + |max - z_label|) eps32 and each softmax
// value within (4 + K/2 + |z_k - max|) eps32 relative, as in cpu/softmax.cpp.
// Tests: tests/kernels/loss_test.cpp.
//
// Dimension legend: B examples, K classes.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/threads.h"
#include "kernels/loss.h"

namespace finetune::kernels::cpu {

void cross_entropy_forward_backward(const Exec& ex,
                                    float* losses,          // [B] per-example loss
                                    float* dlogits,         // [B, K] or null
                                    const float* logits,    // [B, K]
                                    const int32_t* labels,  // [B]
                                    int B, int K, float scale) {
  const int64_t work = static_cast<int64_t>(B) * K;
#pragma omp parallel for schedule(static) if (work >= kMinParallelWork)
  for (int64_t b = 0; b < B; ++b) {
    const float* z = logits + b * K;  // [K]
    const int y = labels[b];
    const float zy = z[y];
    float max = -INFINITY;
    for (int k = 0; k < K; ++k) max = std::fmax(max, z[k]);
    float sum = 0.0f;
    if (dlogits) {
      float* d = dlogits + b * K;  // [K], holds exp(z_k - max) until normalised
      for (int k = 0; k < K; ++k) {
        d[k] = std::exp(z[k] - max);
        sum += d[k];
      }
      const float inv = 1.0f / sum;  // sum >= 1: the maximum's own term is exp(0)
      for (int k = 0; k < K; ++k) d[k] = scale * (d[k] * inv - (k == y ? 1.0f : 0.0f));
    } else {
      for (int k = 0; k < K; ++k) sum += std::exp(z[k] - max);
    }
    losses[b] = std::log(sum) + (max - zy);
  }
}

}  // namespace finetune::kernels::cpu
