// CPU Adam/AdamW step over the flat parameter buffer and the sum of squares for the global
// gradient norm (spec and source of truth, torch/optim/adam.py, in ref/optimizer_math.h).
//
// adam_step is one OpenMP + SIMD pass that reads params, grads, m and v and writes params, m
// and v: 28 bytes per parameter, ~1.9 GB for DistilBERT's 67M parameters. The per-element
// operations are PyTorch's fp32 sequence exactly, in the same order, so the result is
// bit-identical to ref:: (and to PyTorch up to its not-quite-correctly-rounded sqrt; see
// ref/optimizer_math.h). As there, floating-point contraction is switched off for this file, so
// that the compiler may not fuse `p * decay` with the final addition (GCC 12 happens not to, but
// nothing guarantees it); the FMAs PyTorch uses are explicit __builtin_fmaf calls.
//
// Speed: the loop vectorises only where the compiler knows that sqrt does not set errno, i.e.
// when the kernels are built with -fno-math-errno (a per-function `optimize` attribute does not
// change how GCC treats the sqrt builtin). With it, 67M parameters take ~48 ms on 2 cores of the
// development machine (39 GB/s, close to memory-bound); without it the loop is scalar, ~118 ms.
// The loop calls __builtin_fmaf and __builtin_sqrtf rather than std::fma and std::sqrt because
// GCC does not inline <cmath>'s wrappers (compiled with other optimisation options) into this
// file's functions, and an out-of-line call per element would never vectorise.
//
// adam_step_rows runs the same block update row by row over an embedding table, in parallel over
// rows, after a vectorised all-zero test of each inactive row's gradient (kernels/optimizer.h says
// why skipping those rows is exact). On the development machine, DistilBERT's word-embedding
// table with 42% of its rows active takes 7.3 ms instead of 11.7 ms dense (all rows active: the
// same 11.7 ms).
//
// sum_of_squares accumulates in double (a float's square is exact in double) over fixed chunks
// whose size depends only on N; chunk sums are added in chunk order, so the result is the same
// for any thread count. Its error is ~sqrt(N) eps64 relative, far below what the clip coefficient
// (a float) can resolve.
//
// Dimension legend: N parameters.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "kernels/cpu/threads.h"
#include "kernels/optimizer.h"
#include "kernels/ref/optimizer_math.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace finetune::kernels::cpu {

namespace {

// How weight decay enters the update (see ref/optimizer_math.h).
enum class Decay { None, Decoupled, Coupled };

// Per-step scalars in float, hoisted out of the loop.
struct Scalars {
  float gs, decay, wd, c1, beta2, w2, bc2_sqrt, eps, neg_step;
  bool small_w1;
};

// Elements per block of the parallel loop: each block is one call of adam_block.
constexpr long kAdamBlock = 1 << 13;

// The update of n consecutive elements. It is a separate function, not the body of the OpenMP
// loop, so that this file's `optimize` options certainly apply to it (GCC outlines OpenMP loop
// bodies into new functions), and its inner loop is the one that vectorises.
template <Decay kDecay>
void adam_block(float* params,       // [n]
                float* m,            // [n]
                float* v,            // [n]
                const float* grads,  // [n]
                long n, const Scalars& k) {
  const Scalars s = k;  // local copy: lets the compiler keep the scalars in registers
#pragma omp simd
  for (long i = 0; i < n; ++i) {
    float p = params[i];
    float g = grads[i] * s.gs;
    if constexpr (kDecay == Decay::Decoupled) p = p * s.decay;
    if constexpr (kDecay == Decay::Coupled) g = __builtin_fmaf(p, s.wd, g);
    const float mi = m[i];
    // exp_avg.lerp_(g, w1): fma(w1, g - m, m) for w1 < 0.5, else fma(w1 - 1, g - m, g)
    const float mn = __builtin_fmaf(s.c1, g - mi, s.small_w1 ? mi : g);
    const float vn = __builtin_fmaf(s.w2 * g, g, v[i] * s.beta2);
    const float denom = __builtin_sqrtf(vn) / s.bc2_sqrt + s.eps;
    params[i] = p + (s.neg_step * mn) / denom;
    m[i] = mn;
    v[i] = vn;
  }
}

// The per-step scalars, derived in double and rounded to float exactly as ref:: does.
Scalars scalars(const ref::math::AdamScalars<float>& r) {
  Scalars s{};
  s.gs = r.grad_scale;
  s.decay = r.decay;
  s.wd = r.wd;
  s.small_w1 = r.w1 < 0.5f;
  s.c1 = s.small_w1 ? r.w1 : r.w1 - 1.0f;
  s.beta2 = r.beta2;
  s.w2 = r.w2;
  s.bc2_sqrt = r.bc2_sqrt;
  s.eps = r.eps;
  s.neg_step = r.neg_step;
  return s;
}

}  // namespace

void adam_step(const Exec& ex,
               float* params,       // [N]
               float* m,            // [N] first moment
               float* v,            // [N] second moment
               const float* grads,  // [N]
               long N, AdamParams hp) {
  const ref::math::AdamScalars<float> r(hp);
  const Scalars s = scalars(r);
  const Decay decay = r.decoupled_decay ? Decay::Decoupled
                      : r.coupled_decay ? Decay::Coupled
                                        : Decay::None;
  auto* block = decay == Decay::Decoupled ? &adam_block<Decay::Decoupled>
                : decay == Decay::Coupled ? &adam_block<Decay::Coupled>
                                          : &adam_block<Decay::None>;
  const long blocks = (N + kAdamBlock - 1) / kAdamBlock;
#pragma omp parallel for schedule(static) if (N >= kMinParallelWork)
  for (long b = 0; b < blocks; ++b) {
    const long begin = b * kAdamBlock;
    const long n = std::min(kAdamBlock, N - begin);
    block(params + begin, m + begin, v + begin, grads + begin, n, s);
  }
}

namespace {

// Whether all n values are +0 or -0: an OR of their bits without the sign, which vectorises
// (an early-exit comparison loop would not).
bool all_zero(const float* x, long n) {
  uint32_t bits = 0;
#pragma omp simd reduction(| : bits)
  for (long i = 0; i < n; ++i) bits |= std::bit_cast<uint32_t>(x[i]) & 0x7fffffffu;
  return bits == 0;
}

}  // namespace

void adam_step_rows(const Exec& ex,
                    float* params,        // [rows, row_length]
                    float* m,             // [rows, row_length]
                    float* v,             // [rows, row_length]
                    const float* grads,   // [rows, row_length]
                    uint8_t* row_active,  // [rows]
                    long rows, long row_length, AdamParams hp) {
  // The same scalars and element update as adam_step; no weight decay here (kernels/optimizer.h).
  const Scalars s = scalars(ref::math::AdamScalars<float>(hp));
  // Rows are independent (each touches only its own values and flag), so any split is exact.
#pragma omp parallel for schedule(static) if (rows * row_length >= kMinParallelWork)
  for (long row = 0; row < rows; ++row) {
    const long begin = row * row_length;
    if (row_active[row] == 0) {
      if (all_zero(grads + begin, row_length)) continue;
      row_active[row] = 1;
    }
    adam_block<Decay::None>(params + begin, m + begin, v + begin, grads + begin, row_length, s);
  }
}

namespace {

// Chunks of sum_of_squares: at least kMinChunk elements, and at most kMaxChunks of them (the
// partial sums live on the stack), both fixed, so the chunking depends on N only.
constexpr long kMinChunk = 1 << 16;
constexpr long kMaxChunks = 4096;

}  // namespace

void sum_of_squares(const Exec& ex,
                    double* out,     // [1], host memory
                    const float* x,  // [N]
                    long N) {
  if (N <= 0) {
    *out = 0.0;
    return;
  }
  long chunk = std::max(kMinChunk, (N + kMaxChunks - 1) / kMaxChunks);
  chunk = (chunk + 15) / 16 * 16;
  const long chunks = (N + chunk - 1) / chunk;
  double partial[kMaxChunks];
#pragma omp parallel for schedule(static) if (N >= kMinParallelWork)
  for (long c = 0; c < chunks; ++c) {
    const float* xc = x + c * chunk;  // [n]
    const long n = std::min(chunk, N - c * chunk);
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (long i = 0; i < n; ++i) acc += static_cast<double>(xc[i]) * xc[i];
    partial[c] = acc;
  }
  double total = 0.0;
  for (long c = 0; c < chunks; ++c) total += partial[c];
  *out = total;
}

}  // namespace finetune::kernels::cpu
