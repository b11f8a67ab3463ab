// Counter-based random numbers (Philox4x32-10), identical on CPU and GPU.
//
// Dropout masks and fresh weight initialisation must be reproducible from a seed and must not
// depend on how work is split across threads, devices or processes. A counter-based generator
// gives that: the random value for (seed, stream, counter) is a pure function, so element i of a
// dropout mask is philox(seed, stream, i) wherever and in whatever order it is computed. The same
// function compiles for CUDA (FT_HOST_DEVICE), so the GPU draws the same numbers as the CPU.
// Reference: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (SC'11).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define FT_HOST_DEVICE __host__ __device__
#else
#define FT_HOST_DEVICE
#endif

namespace finetune {

struct Philox4 {
  uint32_t v[4];
};

// The Philox4x32 block function with 10 rounds: 128 random bits for one 128-bit counter.
FT_HOST_DEVICE inline Philox4 philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                         uint32_t k0, uint32_t k1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Four random words for position `index` of stream `stream` under `seed`.
FT_HOST_DEVICE inline Philox4 random_words(uint64_t seed, uint64_t stream, uint64_t index) {
  return philox4x32(static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                    static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32),
                    static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// A uniform float in [0, 1) from the top 24 bits of a word (every value exactly representable).
FT_HOST_DEVICE inline float uniform_from_word(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

// A standard normal draw for position `index` of a stream (Box-Muller on the first two words;
// 1 - u keeps the logarithm's argument in (0, 1]).
FT_HOST_DEVICE inline float normal_at(uint64_t seed, uint64_t stream, uint64_t index) {
  Philox4 r = random_words(seed, stream, index);
  float u1 = 1.0f - uniform_from_word(r.v[0]);
  float u2 = uniform_from_word(r.v[1]);
  return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

}  // namespace finetune
