// TokenTable: token text -> id, the hash map behind WordPiece's vocabulary lookups.
//
// WordPiece looks up every candidate substring of every word, so this map is the tokenizer's
// hottest data structure. It is an open-addressing table (linear probing, load <= 1/2) whose
// slots keep part of the hash and the key's first 8 bytes, and whose keys live in one arena
// string: a lookup takes a std::string_view, hashes it once, and reads the arena only for keys
// longer than 8 bytes whose hash and head agree. No lookup allocates. Inserting an existing key
// overwrites its id, like Rust's HashMap::insert (so a vocab.txt with a duplicated line keeps the
// later id, as HF does).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace finetune {

class TokenTable {
 public:
  static constexpr int32_t kMissing = -1;

  void reserve(size_t count);
  void set(std::string_view token, int32_t id);
  int32_t find(std::string_view token) const {
    if (slots_.empty()) return kMissing;
    const uint64_t h = hash(token);
    const uint64_t head = head_of(token);
    const auto h32 = static_cast<uint32_t>(h >> 32);
    size_t index = h & mask_;
    while (true) {
      const Slot& slot = slots_[index];
      if (slot.id == kMissing) return kMissing;
      if (slot.hash == h32 && slot.head == head && slot.length == token.size() &&
          (token.size() <= 8 ||
           std::memcmp(arena_.data() + slot.offset + 8, token.data() + 8, token.size() - 8) == 0)) {
        return slot.id;
      }
      index = (index + 1) & mask_;
    }
  }
  bool contains(std::string_view token) const { return find(token) != kMissing; }

  size_t size() const { return size_; }
  size_t max_token_bytes() const { return max_token_bytes_; }

  // Calls f(std::string_view token, int32_t id) for every entry, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& slot : slots_) {
      if (slot.id != kMissing)
        f(std::string_view(arena_.data() + slot.offset, slot.length), slot.id);
    }
  }

  static uint64_t hash(std::string_view text) {
    // A multiply-fold hash over 8-byte words: strong enough for token strings, a few cycles
    // for the typical 2..10-byte candidate.
    const char* p = text.data();
    size_t n = text.size();
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xD6E8FEB86659FD93ULL);
    while (n >= 8) {
      uint64_t word;
      __builtin_memcpy(&word, p, 8);
      h = fold(h ^ word, 0xA0761D6478BD642FULL);
      p += 8;
      n -= 8;
    }
    uint64_t tail = 0;
    if (n > 0) __builtin_memcpy(&tail, p, n);
    return fold(h ^ tail, 0xE7037ED1A0B428DBULL);
  }

 private:
  // 24 bytes: the key's first 8 bytes live in the slot, so the common short token is compared
  // without touching the arena.
  struct Slot {
    uint64_t head = 0;    // first (up to) 8 bytes of the key, zero-padded
    uint32_t hash = 0;    // high half of the 64-bit hash (the low bits chose the slot)
    uint32_t offset = 0;  // key bytes in arena_
    uint32_t length = 0;
    int32_t id = kMissing;
  };

  static uint64_t head_of(std::string_view token) {
    uint64_t head = 0;
    std::memcpy(&head, token.data(), token.size() < 8 ? token.size() : 8);
    return head;
  }

  static uint64_t fold(uint64_t a, uint64_t b) {
    __uint128_t product = static_cast<__uint128_t>(a) * b;
    return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
  }
  void grow();

  std::string arena_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t max_token_bytes_ = 0;
};

}  // namespace finetune
