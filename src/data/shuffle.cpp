// Fisher-Yates driven by Philox draws (see shuffle.h for why each piece is as it is).
#include "data/shuffle.h"

#include <numeric>
#include <utility>

#include "core/rng.h"

namespace finetune {

void shuffle_order(std::span<size_t> order, uint64_t seed, uint64_t epoch) {
  std::iota(order.begin(), order.end(), size_t{0});
  const uint64_t stream = kShuffleStream + epoch;
  // Classic Fisher-Yates from the back: position i swaps with a uniform j in [0, i].
  for (size_t i = order.size(); i-- > 1;) {
    Philox4 r = random_words(seed, stream, i);
    const uint64_t word = (static_cast<uint64_t>(r.v[1]) << 32) | r.v[0];
    const auto j = static_cast<size_t>(
        (static_cast<unsigned __int128>(word) * (static_cast<uint64_t>(i) + 1)) >> 64);
    std::swap(order[i], order[j]);
  }
}

std::vector<size_t> shuffled_order(size_t count, uint64_t seed, uint64_t epoch) {
  std::vector<size_t> order(count);
  shuffle_order(order, seed, epoch);
  return order;
}

}  // namespace finetune
