// ByteLevel, the GPT-2 / RoBERTa pre-tokenizer, and the ByteLevel normalizer: HF tokenizers'
// pre_tokenizers/byte_level.rs and normalizers/byte_level.rs (0.23).
//
// The pre-tokenizer takes each piece it is given and
//   1. with add_prefix_space, puts a space in front unless the piece already starts with one
//      (every piece, not only the first: HF does it in its per-split callback, so a piece after
//      an added token gets one too);
//   2. with use_regex, splits it at the matches of GPT-2's pattern
//        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//      each match a piece of its own (SplitDelimiterBehavior::Isolated);
//   3. rewrites every byte of every piece as the printable character GPT-2's bytes_to_unicode
//      gives it (space -> U+0120 'Ġ', newline -> U+010A 'Ċ', bytes 0x21-0x7E themselves, ...),
//      so the vocabulary covers every possible input byte.
// trim_offsets only moves offsets, which we do not produce, so it is accepted and ignored. The
// normalizer does step 3 alone, on the whole text.
//
// The pattern runs through Oniguruma, as in HF (a hand-written matcher of the pattern would be
// about 2.5x faster on ASCII text, but the regex is HF's definition and stays with HF's engine;
// the split is most of the time ByteLevel BPE spends).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/regex.h"

namespace finetune {

// The GPT-2 pattern, as HF's ByteLevel compiles it.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Appends `bytes` with every byte replaced by its bytes_to_unicode character (UTF-8).
void append_byte_level(std::string_view bytes, std::string& out);

// The pieces the GPT-2 pattern cuts `text` into, as [begin, end) byte ranges covering it in
// order (matches and, if there were any, the text between them).
class Gpt2Splitter {
 public:
  Gpt2Splitter();
  void split(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) const;

 private:
  Regex regex_;
};

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}
  void pre_tokenize(const Words& in, Words& out) const override;

 private:
  bool add_prefix_space_;
  bool use_regex_;
  Gpt2Splitter splitter_;
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(std::string_view text, std::string& out) const override {
    append_byte_level(text, out);
  }
};

}  // namespace finetune
