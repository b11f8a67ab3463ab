// BPE: one pre-tokenized word -> vocabulary ids by byte-pair merges, as HF tokenizers'
// models/bpe (tokenizers/src/models/bpe/model.rs `merge_word`, word.rs `merge_all`, 0.23).
//
// The word is first cut into characters (code points). Each character is looked up with the
// continuing_subword_prefix in front when it is not the first, and the end_of_word_suffix behind
// when it is the last. A character not in the vocabulary becomes, in this order of preference:
// its bytes as "<0xXX>" tokens (byte_fallback, when every byte has one); the unk_token (one per
// character, or one per run of them with fuse_unk); or nothing at all when unk_token is null
// (HF drops the character silently). HF keeps a pending unknown token aside until the next known
// character, and byte-fallback tokens do not flush it, so "?a" with only <0x61> and <unk> known
// gives <0x61> <unk>: we reproduce that order.
//
// Then the merges are applied as HF's priority queue does: every adjacent pair that has a merge
// goes into a min-heap ordered by (merge rank, position of the left symbol); the top is popped,
// skipped if stale (its left symbol was merged away, or the pair now there merges to another
// token), else merged, and the new pairs with its neighbours are pushed. So the lowest rank goes
// first and, among equal ranks, the leftmost. A merge (a, b) makes the token a + b with b's first
// len(continuing_subword_prefix) bytes cut off; when a pair is listed twice the later rank
// counts (HF collects the list into a hash map).
//
// ignore_merges: a word that is itself in the vocabulary is that one token. Dropout makes
// tokenization random; only null and 0 are accepted (factory, with the JSON path).
//
// Speed: character ids come from a direct table for code points below 2048 (every byte-level
// character), the merge table is an open-addressing hash on the packed id pair, and each thread
// keeps a 1 MiB 2-way cache of recent words (text is mostly the same few thousand
// words); the cache never changes a result, as in HF, which caches too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/json.h"
#include "tokenizer/pipeline.h"
#include "tokenizer/token_table.h"

namespace finetune {

struct BpeOptions {
  std::optional<std::string> unk_token;   // nullopt: unknown characters are dropped
  std::string continuing_subword_prefix;  // "" and HF's null behave the same
  std::string end_of_word_suffix;         // "" and HF's null behave the same
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

// Where things are named in error messages: the model ("tokenizer.json: model"), the vocabulary
// ("model.vocab", "vocab.json") and merge i ("tokenizer.json: model.merges[17]", "merges.txt:19").
struct BpeSources {
  std::string model;
  std::string vocab;
  std::function<std::string(size_t)> merge;
};

class BPE final : public Model {
 public:
  // `merges` in rank order. A merge naming a token not in the vocabulary, or whose result is
  // not in it, is an Error naming the merge (HF refuses such a model too).
  BPE(TokenTable vocab, const std::vector<std::pair<std::string, std::string>>& merges,
      BpeOptions options, const BpeSources& sources);
  ~BPE() override;

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
  void for_each_token(const std::function<void(std::string_view, int32_t)>& f) const override {
    vocab_.for_each(f);
  }
  size_t vocab_size() const override { return vocab_.size(); }

  const BpeOptions& options() const { return options_; }
  size_t merge_count() const { return merge_count_; }

 private:
  struct MergeSlot {
    uint64_t pair = kEmptyPair;  // left id << 32 | right id
    uint32_t rank = 0;
    int32_t new_id = 0;
  };
  static constexpr uint64_t kEmptyPair = ~uint64_t{0};
  static uint64_t pack(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  const MergeSlot* find_merge(int32_t left, int32_t right) const {
    const uint64_t key = pack(left, right);
    size_t index = (key * 0x9E3779B97F4A7C15ULL) >> merge_shift_;
    while (true) {
      const MergeSlot& slot = merges_[index];
      if (slot.pair == key) return &slot;
      if (slot.pair == kEmptyPair) return nullptr;
      index = (index + 1) & merge_mask_;
    }
  }
  void insert_merge(int32_t left, int32_t right, uint32_t rank, int32_t new_id);

  // The ids of `word` without the cache (appended to `ids`).
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;
  int32_t unk_id_or_throw() const;

  TokenTable vocab_;
  BpeOptions options_;
  std::string origin_;  // the model's name, for the missing-unk error
  std::vector<MergeSlot> merges_;
  size_t merge_mask_ = 0;
  int merge_shift_ = 64;
  size_t merge_count_ = 0;
  std::vector<int32_t> char_ids_;  // code point < 2048 -> id of the bare character (kMissing)
  int32_t byte_ids_[256];          // byte -> id of "<0xXX>" (kMissing)
  int32_t unk_id_ = TokenTable::kMissing;
  bool plain_ = true;  // no prefix and no suffix: the direct character table applies
  uint64_t serial_;    // identifies this model in the per-thread word caches
};

// The BPE of a tokenizer.json "model" object (type "BPE"); errors name node.where().
std::unique_ptr<Model> build_bpe(const JsonView& node);

}  // namespace finetune
