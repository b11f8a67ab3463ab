// Seeded shuffling (src/data/shuffle.h): a permutation, a pure function of (seed, epoch, N),
// different per epoch and seed, uniform enough, and pinned to exact values so that a change to
// the generator or the algorithm (which would silently change every training run) fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "data/shuffle.h"

namespace finetune::testing {
namespace {

bool is_permutation_of_iota(std::vector<size_t> order) {
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] != i) return false;
  }
  return true;
}

TEST(Shuffle, IsAPermutation) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{10}, size_t{16000}}) {
    EXPECT_TRUE(is_permutation_of_iota(shuffled_order(n, 42, 0))) << n;
  }
}

TEST(Shuffle, DeterministicPerSeedAndEpoch) {
  EXPECT_EQ(shuffled_order(1000, 42, 3), shuffled_order(1000, 42, 3));
  std::vector<size_t> buffer(1000, 7);
  shuffle_order(buffer, 42, 3);  // the in-place form gives the same order, whatever was there
  EXPECT_EQ(buffer, shuffled_order(1000, 42, 3));
}

TEST(Shuffle, DiffersPerEpochAndSeed) {
  auto base = shuffled_order(1000, 42, 0);
  EXPECT_NE(base, shuffled_order(1000, 42, 1));
  EXPECT_NE(base, shuffled_order(1000, 43, 0));
  EXPECT_NE(shuffled_order(1000, 42, 1), shuffled_order(1000, 42, 2));
  std::vector<size_t> identity(1000);
  std::iota(identity.begin(), identity.end(), size_t{0});
  EXPECT_NE(base, identity);
}

TEST(Shuffle, PinnedValues) {
  // Computed independently by a direct Python transcription of shuffle.h's description
  // (Philox4x32-10 as core/rng.h defines it, stream "SHUF" << 32 | epoch, Fisher-Yates from the
  // back with j = (word64 * (i + 1)) >> 64). A change here changes every seeded run's data order.
  EXPECT_EQ(shuffled_order(10, 42, 0), (std::vector<size_t>{8, 3, 2, 6, 4, 1, 5, 7, 9, 0}));
  EXPECT_EQ(shuffled_order(10, 0, 1), (std::vector<size_t>{7, 0, 5, 4, 1, 2, 3, 8, 6, 9}));
}

TEST(Shuffle, RoughlyUniform) {
  // Over many epochs each of 4 items lands in each of 4 places about a quarter of the time.
  const int epochs = 40000;
  int counts[4][4] = {};
  for (int e = 0; e < epochs; ++e) {
    auto order = shuffled_order(4, 7, static_cast<uint64_t>(e));
    for (size_t place = 0; place < 4; ++place) ++counts[order[place]][place];
  }
  for (auto& row : counts) {
    for (int c : row) EXPECT_NEAR(c, epochs / 4.0, epochs / 4.0 * 0.05);  // > 7 sigma
  }
}

}  // namespace
}  // namespace finetune::testing
