// Softmax cross-entropy over class logits, forward and backward in one pass.
//
// Source of truth: torch.nn.CrossEntropyLoss (reduction="mean"), i.e. Keras'
// SparseCategoricalCrossentropy(from_logits=True): loss_b = logsumexp(z_b) - z_b[label_b],
// the batch loss is their mean. The gradient of `scale * sum_b loss_b` is
// dlogits[b, k] = scale * (softmax(z_b)[k] - [k == label_b]); the trainer passes
// scale = 1 / (B * accumulation steps) to get the mean over the whole optimizer step.
//
// Dimension legend: B examples, K classes. Labels are in [0, K) (checked by the ops layer).
#pragma once

#include <cstdint>

#include "core/exec.h"

namespace finetune::kernels {

namespace ref {
void cross_entropy_forward_backward(const Exec& ex,
                                    float* losses,          // [B] per-example loss
                                    float* dlogits,         // [B, K] or null (no gradient)
                                    const float* logits,    // [B, K]
                                    const int32_t* labels,  // [B]
                                    int B, int K, float scale);
}  // namespace ref

namespace cpu {
decltype(ref::cross_entropy_forward_backward) cross_entropy_forward_backward;
}
namespace cuda {
decltype(ref::cross_entropy_forward_backward) cross_entropy_forward_backward;
}

}  // namespace finetune::kernels
