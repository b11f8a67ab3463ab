// Host side of the CUDA adam_step: the per-step float scalars, from the same
// ref::math::AdamScalars<float> as ref:: and cpu:: (see adam_scalars.h for why this is a .cpp).
#include "kernels/cuda/adam_scalars.h"

#include "kernels/ref/optimizer_math.h"

namespace finetune::kernels::cuda {

AdamScalarsF adam_scalars(const AdamParams& hp) {
  const ref::math::AdamScalars<float> r(hp);
  AdamScalarsF s{};
  s.gs = r.grad_scale;
  s.decay = r.decay;
  s.wd = r.wd;
  s.small_w1 = r.w1 < 0.5f;
  s.c1 = s.small_w1 ? r.w1 : r.w1 - 1.0f;  // as cpu/optimizer.cpp: w1 - 1 is exact in [0.5, 1]
  s.beta2 = r.beta2;
  s.w2 = r.w2;
  s.bc2_sqrt = r.bc2_sqrt;
  s.eps = r.eps;
  s.neg_step = r.neg_step;
  s.decoupled = r.decoupled_decay;
  s.coupled = r.coupled_decay;
  return s;
}

}  // namespace finetune::kernels::cuda
