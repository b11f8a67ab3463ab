// Vectorisable application of the dropout mask of kernels/dropout.h, shared by the cpu:: dropout
// and attention kernels.
//
// dropout_keep(spec, i) runs one Philox4x32-10 block per element and keeps one of its four words.
// Here elements are taken in aligned groups of four (i = 4g .. 4g+3 share block g), so each block
// is computed once for four elements, and the loop over groups is branch-free, which lets GCC
// vectorise the ten Philox rounds (32x32 -> 64-bit multiplies) across groups. The decision for
// element i is exactly dropout_keep's: uniform_from_word(word i % 4 of block i / 4) >= p.
//
// Dimension legend: N elements.
#pragma once

#include <cstdint>

#include "core/rng.h"
#include "kernels/dropout.h"

namespace finetune::kernels::cpu {

// out[k] = in[k] * scale where mask element first + k is kept, else 0, for k in [0, N).
// `out` may alias `in` (element k is written from element k only). Single-threaded: callers
// parallelise over independent ranges.
inline void apply_dropout_mask(float* out,       // [N]
                               const float* in,  // [N]
                               long N, uint64_t first, const DropoutSpec& spec, float scale) {
  const float p = spec.p;
  long k = 0;
  // Head: elements before the first aligned group.
  for (; k < N && ((first + k) & 3) != 0; ++k) {
    out[k] = dropout_keep(spec, first + k) ? in[k] * scale : 0.0f;
  }
  // Whole groups of four.
  const long groups = (N - k) / 4;
  const uint64_t g0 = (first + k) >> 2;
  float* o = out + k;       // [4 * groups]
  const float* x = in + k;  // [4 * groups]
#pragma omp simd
  for (long g = 0; g < groups; ++g) {
    const Philox4 r = random_words(spec.seed, spec.stream, g0 + g);
    for (int l = 0; l < 4; ++l) {
      const float kept = x[4 * g + l] * scale;  // loaded unconditionally: no masked loads
      o[4 * g + l] = uniform_from_word(r.v[l]) >= p ? kept : 0.0f;
    }
  }
  k += 4 * groups;
  // Tail.
  for (; k < N; ++k) out[k] = dropout_keep(spec, first + k) ? in[k] * scale : 0.0f;
}

// The survivors' scale 1/(1-p) rounded to float, as ref/dropout_math.h defines it.
inline float dropout_scale(const DropoutSpec& spec) {
  return static_cast<float>(1.0 / (1.0 - static_cast<double>(spec.p)));
}

}  // namespace finetune::kernels::cpu
