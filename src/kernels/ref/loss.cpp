// Reference softmax cross-entropy: the float oracle for cpu:: and cuda::, a thin wrapper over
// ref/loss_math.h (torch.nn.CrossEntropyLoss, computed in double and rounded once per output).
//
// Dimension legend: B examples, K classes.
#include "kernels/loss.h"

#include <cstdint>

#include "kernels/ref/loss_math.h"

namespace finetune::kernels::ref {

void cross_entropy_forward_backward(const Exec& ex,
                                    float* losses,          // [B] per-example loss
                                    float* dlogits,         // [B, K] or null
                                    const float* logits,    // [B, K]
                                    const int32_t* labels,  // [B]
                                    int B, int K, float scale) {
  math::cross_entropy_forward_backward(losses, dlogits, logits, labels, B, K, scale);
}

}  // namespace finetune::kernels::ref
