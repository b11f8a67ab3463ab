// The four stages of a Hugging Face tokenizer, as interfaces: Normalizer -> PreTokenizer ->
// Model -> post-processor (tokenizers/src/tokenizer/mod.rs).
//
// Each HF component type is a small class implementing one of these (normalizers/,
// pre_tokenizers/, models/, post_processors/), built from its tokenizer.json object by
// factory.h. We produce ids, type ids and masks, never offsets, so the stages work on plain
// UTF-8 strings instead of HF's NormalizedString with its alignment tables; that is most of why
// we are faster. The one place HF's offsets change ids is Metaspace's prepend_scheme "first"
// ("only for the piece at the start of the input"), so each Words entry carries that one bit.
//
// Every component is immutable after construction and safe to use from many threads at once
// (datasets are tokenized in parallel).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace finetune {

// The pieces of text between pre-tokenization steps, in order, in one buffer (no allocation per
// piece). HF's PreTokenizedString without the offsets.
class Words {
 public:
  void clear() {
    text_.clear();
    words_.clear();
  }
  // Appends a copy of `piece` (empty pieces are dropped, as HF drops them).
  void add(std::string_view piece, bool at_start) {
    if (piece.empty()) return;
    words_.push_back({text_.size(), piece.size(), at_start});
    text_.append(piece);
  }
  // Building a piece in place: start(), append to buffer(), finish() (drops an empty piece).
  std::string& start(bool at_start) {
    pending_ = {text_.size(), 0, at_start};
    return text_;
  }
  void finish() {
    pending_.size = text_.size() - pending_.begin;
    if (pending_.size > 0) words_.push_back(pending_);
  }

  void swap(Words& other) noexcept {
    text_.swap(other.text_);
    words_.swap(other.words_);
  }

  size_t size() const { return words_.size(); }
  bool empty() const { return words_.empty(); }
  std::string_view operator[](size_t i) const { return {text_.data() + words_[i].begin, words_[i].size}; }
  // Whether piece i begins at the very start of the text being encoded (not after an added
  // token, nor after text a pre-tokenizer split off).
  bool at_start(size_t i) const { return words_[i].at_start; }

 private:
  struct Entry {
    size_t begin;
    size_t size;
    bool at_start;
  };
  std::string text_;
  std::vector<Entry> words_;
  Entry pending_{};
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  // Appends the normalized form of `text` (valid UTF-8) to `out`.
  virtual void normalize(std::string_view text, std::string& out) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits (and may rewrite) every piece of `in`, appending the results to `out` in order.
  virtual void pre_tokenize(const Words& in, Words& out) const = 0;
};

// A vocabulary model (WordPiece, WordLevel, BPE, Unigram).
class Model {
 public:
  static constexpr int32_t kMissing = -1;
  virtual ~Model() = default;
  // Appends the ids of one pre-tokenized piece (non-empty, valid UTF-8) to `ids`.
  virtual void tokenize(std::string_view word, std::vector<int32_t>& ids) const = 0;
  // The id of `token` in the vocabulary, or kMissing.
  virtual int32_t token_to_id(std::string_view token) const = 0;
  // Calls f(token, id) for every vocabulary entry (any order).
  virtual void for_each_token(const std::function<void(std::string_view, int32_t)>& f) const = 0;
  // HF's Model::get_vocab_size: the number of vocabulary entries (not the largest id + 1).
  virtual size_t vocab_size() const = 0;
};

}  // namespace finetune
