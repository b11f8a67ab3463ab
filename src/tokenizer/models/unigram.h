// Unigram: one pre-tokenized piece -> the most likely segmentation into vocabulary pieces.
//
// Mirrors tokenizers/src/models/unigram/model.rs (`Unigram::encode_optimized` and
// `Model::tokenize`, tokenizers 0.23), itself SentencePiece's unigram_model.cc Viterbi:
//   - the vocabulary is a list of [piece, score]; a piece's id is its index. When a piece occurs
//     twice, lookups give the later index (HF fills a HashMap in order) and the trie scores the
//     piece with that index's score;
//   - for every character boundary `start` (in order), every vocabulary piece that begins there
//     (a common-prefix search, shortest first) offers best[start] + score to the boundary where it
//     ends; an offer is taken when that boundary has none yet or the offer is strictly greater, so
//     ties keep the first offer. If no piece is exactly the one character at `start`, the unknown
//     id offers best[start] + (min_score - 10) to the end of that character (kUnkPenalty);
//   - the best path is read back from the end; consecutive path nodes whose id is unk_id are
//     fused into one string (fuse_unk, always on in HF), and then every path string is looked up:
//     a vocabulary piece gives its id; otherwise with byte_fallback, when every byte of the string
//     has a "<0xXX>" piece, those byte pieces; otherwise unk_id.
// Scores are doubles and are added in HF's order, so equal inputs give bit-identical sums.
//
// unk_id may be absent (tokenizers accepts `"unk_id": null`); as in HF, encoding then fails only
// when the Viterbi search actually has to take an unknown character, with an Error naming the
// file and key. An unk_id outside the vocabulary is refused when the model is built.
//
// Scores are parsed from tokenizer.json correctly rounded (nlohmann uses strtod). That is what
// transformers' SentencePiece-based classes (XLMRobertaTokenizer, AlbertTokenizer, ...) use: they
// rebuild the Unigram from the vocabulary Python's json module read. A bare
// `tokenizers.Tokenizer.from_file` reads scores with serde_json's faster parser, which is up to
// one ulp off for about a quarter of the values; only an exact tie between two segmentations
// could make that visible.
//
// Speed: the pieces are kept in a double-array trie over bytes (PieceTrie below), so the
// common-prefix search is a few array reads per byte with no allocation; the Viterbi arrays are
// per-thread scratch buffers reused across words.
#pragma once

#include <cstdint>
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

// A double-array trie (Aoki's base/check arrays) over the bytes of a set of keys, each key with an
// int32 value. Child of node s by byte c: t = base[s] + c, valid when check[t] == s. Built once;
// read-only afterwards. The unit array is padded so that base + c is always in range, which keeps
// the bounds check out of the search loop.
class PieceTrie {
 public:
  static constexpr int32_t kNone = -1;

  // `keys` must be distinct and non-empty; values are any int32 except kNone.
  void build(std::vector<std::pair<std::string_view, int32_t>> keys);

  // Calls f(length, value) for every key that is a prefix of `text`, shortest first (HF's
  // Trie::common_prefix_search order).
  template <typename F>
  void for_each_prefix(const char* text, size_t size, F&& f) const {
    if (units_.empty()) return;
    uint32_t node = 0;
    for (size_t i = 0; i < size; ++i) {
      const uint32_t next = units_[node].base + static_cast<unsigned char>(text[i]);
      if (units_[next].check != node) return;
      node = next;
      if (units_[node].value != kNone) f(i + 1, units_[node].value);
    }
  }

  // The value of exactly `key`, or kNone.
  int32_t find(std::string_view key) const;

  size_t unit_count() const { return units_.size(); }

 private:
  struct Unit {
    uint32_t base = 0;
    uint32_t check = UINT32_MAX;  // parent index; UINT32_MAX marks a free unit
    int32_t value = kNone;
  };
  std::vector<Unit> units_;
};

class Unigram final : public Model {
 public:
  struct Piece {
    std::string text;
    double score;
  };

  // `pieces` in id order. `unk_id`, when set, must be < pieces.size() (the builder checks it and
  // names the key). `origin` names the model in errors raised while encoding
  // ("tokenizer.json: model").
  Unigram(std::vector<Piece> pieces, std::optional<int32_t> unk_id, bool byte_fallback,
          std::string origin);

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
  // Every id with its piece, in id order (a repeated piece is visited under each of its ids, as
  // HF's id_to_token answers for each).
  void for_each_token(const std::function<void(std::string_view, int32_t)>& f) const override;
  // HF's get_vocab_size: the number of pieces, repeated ones included.
  size_t vocab_size() const override { return piece_begin_.size() - 1; }

  std::optional<int32_t> unk_id() const { return unk_id_; }
  bool byte_fallback() const { return byte_fallback_; }
  double min_score() const { return min_score_; }

 private:
  std::string_view piece(size_t id) const {
    return std::string_view(arena_).substr(piece_begin_[id],
                                           piece_begin_[id + 1] - piece_begin_[id]);
  }
  // Appends the id(s) of one fused run of unknown nodes (HF's lookup of the fused string).
  void push_unknown_run(std::string_view text, std::vector<int32_t>& ids) const;
  [[noreturn]] void fail_missing_unk(std::string_view word, size_t at) const;

  std::string arena_;                  // all pieces, concatenated in id order
  std::vector<uint32_t> piece_begin_;  // piece i is arena_[piece_begin_[i], piece_begin_[i+1])
  std::vector<double> scores_;         // by id
  TokenTable vocab_;                   // piece -> id (the later id of a repeated piece)
  PieceTrie trie_;                     // piece bytes -> id, as vocab_
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  double min_score_;
  int32_t byte_ids_[256];  // id of "<0xXX>" for each byte, or kMissing
  std::string origin_;
};

// A Unigram from its tokenizer.json object ({"type": "Unigram", "vocab": [[piece, score], ...],
// "unk_id": n|null, "byte_fallback": bool}). Errors name node.where() and the key:
// "tokenizer.json: model.vocab[12]: expected [piece, score] ...".
std::unique_ptr<Model> build_unigram(const JsonView& node);

}  // namespace finetune
