// Dropout with a counter-based mask that any backend can regenerate instead of storing it.
//
// Source of truth: torch.nn.Dropout in training mode: each element is zeroed with probability p
// and survivors are scaled by 1/(1-p) (inverted dropout); eval mode is the identity. PyTorch's
// own random stream cannot be reproduced, so parity tests against PyTorch run with p = 0; what
// finetune guarantees instead is that the mask is a pure function of (seed, stream, element):
// element i is kept when uniform(philox(seed, stream, i / 4).v[i % 4]) >= p. The forward pass and
// the backward pass (and the CPU and the GPU) therefore draw the same mask without saving it.
//
// The trainer gives every dropout site of every step its own stream (dropout_stream below), so
// no two sites share random numbers and a resumed run draws exactly what the uninterrupted run
// would have.
//
// Dimension legend: N elements.
#pragma once

#include <cstdint>

#include "core/exec.h"
#include "core/rng.h"

namespace finetune::kernels {

struct DropoutSpec {
  float p = 0.0f;       // probability of dropping; 0 disables dropout
  uint64_t seed = 0;    // the run's seed
  uint64_t stream = 0;  // which site of which step (dropout_stream)
  // CUDA only (null elsewhere): a device counter of micro-steps read by the kernel when it runs,
  // which then uses stream + *step * kDropoutSitesPerStep. A kernel captured once in a CUDA graph
  // thus draws a fresh, reproducible mask at every replay (the host advances the counter), the
  // same mask the eager path draws with stream = dropout_stream(step, site).
  const uint64_t* step = nullptr;

  bool active() const { return p > 0.0f; }
};

// Whether element `index` survives under `spec` (the one definition every backend uses).
FT_HOST_DEVICE inline bool dropout_keep(const DropoutSpec& spec, uint64_t index) {
  Philox4 r = random_words(spec.seed, spec.stream, index >> 2);
  return uniform_from_word(r.v[index & 3]) >= spec.p;
}

// The stream of dropout site `site` (0..kDropoutSitesPerStep-1) at optimizer micro-step `step`.
constexpr uint64_t kDropoutSitesPerStep = 1u << 12;
inline uint64_t dropout_stream(uint64_t step, uint64_t site) {
  return step * kDropoutSitesPerStep + site;
}

namespace ref {
// out = in * keep / (1 - p). `out` may alias `in`. p = 0 copies.
void dropout_forward(const Exec& ex,
                     float* out,       // [N]
                     const float* in,  // [N]
                     long N, DropoutSpec spec);
// din = dout * keep / (1 - p), the same mask regenerated. `din` may alias `dout`.
void dropout_backward(const Exec& ex,
                      float* din,         // [N]
                      const float* dout,  // [N]
                      long N, DropoutSpec spec);
}  // namespace ref

namespace cpu {
decltype(ref::dropout_forward) dropout_forward;
decltype(ref::dropout_backward) dropout_backward;
}  // namespace cpu
namespace cuda {
decltype(ref::dropout_forward) dropout_forward;
decltype(ref::dropout_backward) dropout_backward;
}  // namespace cuda

}  // namespace finetune::kernels
