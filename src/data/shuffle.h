// Seeded shuffling: the order in which an epoch visits the training examples.
//
// The order is a pure function of (seed, epoch, N): a Fisher-Yates shuffle whose random draws
// come from the project's counter-based Philox generator (core/rng.h), draw i being
// philox(seed, stream = kShuffleStream + epoch, counter = i). No generator state is carried from
// one epoch to the next, so a resumed run reproduces the order of the epoch it resumes in, and
// every process of a data-parallel job computes the same permutation without communicating.
// Draw i picks j uniformly from [0, i] by multiplying a 64-bit random word by (i + 1) and keeping
// the high 64 bits (Lemire's method without its rejection step); the bias is below (i + 1) / 2^64,
// under 2^-30 for any dataset that fits in memory, and skipping rejection keeps draw i a single
// counter value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace finetune {

// Philox streams at or above this value are used for shuffling (stream = kShuffleStream + epoch);
// the top 32 bits spell "SHUF", keeping them apart from dropout and initialisation streams.
inline constexpr uint64_t kShuffleStream = uint64_t{0x53485546} << 32;

// Fills `order` with a permutation of 0..order.size()-1 for (seed, epoch). Allocates nothing,
// so the training loop can reuse one buffer.
void shuffle_order(std::span<size_t> order, uint64_t seed, uint64_t epoch);

// The same permutation in a new vector of size `count`.
std::vector<size_t> shuffled_order(size_t count, uint64_t seed, uint64_t epoch);

}  // namespace finetune
