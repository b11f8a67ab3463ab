// CPU dropout (spec in ref/dropout_math.h, mask definition in kernels/dropout.h): the mask is
// regenerated from (seed, stream, element index) by a counter-based generator, so forward and
// backward agree without storing it, and chunks of the array run in parallel with results that
// do not depend on the thread count.
//
// Precision: out = fl(in * fl(1/(1-p))) for kept elements and 0 otherwise, one correctly rounded
// product: bit-identical to ref::.
//
// Speed: one Philox4x32-10 block (10 rounds of two 32x32 -> 64-bit multiplies) per four
// elements, vectorised across groups (see cpu/dropout_mask.h).
//
// Dimension legend: N elements. `out` may alias `in`, `din` may alias `dout`.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/cpu/dropout_mask.h"
#include "kernels/cpu/threads.h"
#include "kernels/dropout.h"

namespace finetune::kernels::cpu {
namespace {

// Elements per parallel chunk: a multiple of 4, so chunks start on Philox group boundaries.
constexpr long kChunk = 1 << 14;

void apply(float* out,       // [N]
           const float* in,  // [N]
           long N, const DropoutSpec& spec) {
  if (!spec.active()) {
    if (out != in && N > 0) std::memmove(out, in, sizeof(float) * static_cast<size_t>(N));
    return;
  }
  const float scale = dropout_scale(spec);
  const long chunks = (N + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (N >= kMinParallelWork)
  for (long c = 0; c < chunks; ++c) {
    const long begin = c * kChunk;
    const long n = std::min(kChunk, N - begin);
    apply_dropout_mask(out + begin, in + begin, n, static_cast<uint64_t>(begin), spec, scale);
  }
}

}  // namespace

void dropout_forward(const Exec& ex,
                     float* out,       // [N]
                     const float* in,  // [N]
                     long N, DropoutSpec spec) {
  apply(out, in, N, spec);
}

void dropout_backward(const Exec& ex,
                      float* din,         // [N]
                      const float* dout,  // [N]
                      long N, DropoutSpec spec) {
  apply(din, dout, N, spec);
}

}  // namespace finetune::kernels::cpu
