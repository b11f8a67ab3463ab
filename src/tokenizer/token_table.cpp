// TokenTable insertion and growth (lookups are inline in the header).
#include "tokenizer/token_table.h"

#include <bit>

#include "core/error.h"

namespace finetune {

void TokenTable::reserve(size_t count) {
  size_t wanted = std::bit_ceil(std::max<size_t>(16, count * 2));
  if (wanted <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(wanted, Slot{});
  mask_ = wanted - 1;
  for (const Slot& slot : old) {
    if (slot.id == kMissing) continue;
    // Slots keep only the high half of the hash: recompute the low bits from the key.
    size_t index = hash(std::string_view(arena_.data() + slot.offset, slot.length)) & mask_;
    while (slots_[index].id != kMissing) index = (index + 1) & mask_;
    slots_[index] = slot;
  }
}

void TokenTable::grow() {
  reserve(std::max<size_t>(16, slots_.size()));
}

void TokenTable::set(std::string_view token, int32_t id) {
  FT_CHECK(id >= 0, "token ids are non-negative, got ", id);
  FT_CHECK(arena_.size() + token.size() < UINT32_MAX, "token table arena overflow");
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const uint64_t h = hash(token);
  const uint64_t head = head_of(token);
  const auto h32 = static_cast<uint32_t>(h >> 32);
  size_t index = h & mask_;
  while (slots_[index].id != kMissing) {
    Slot& slot = slots_[index];
    if (slot.hash == h32 && slot.head == head && slot.length == token.size() &&
        std::string_view(arena_.data() + slot.offset, slot.length) == token) {
      slot.id = id;
      return;
    }
    index = (index + 1) & mask_;
  }
  Slot& slot = slots_[index];
  slot.hash = h32;
  slot.head = head;
  slot.offset = static_cast<uint32_t>(arena_.size());
  slot.length = static_cast<uint32_t>(token.size());
  slot.id = id;
  arena_.append(token);
  ++size_;
  if (token.size() > max_token_bytes_) max_token_bytes_ = token.size();
}

}  // namespace finetune
