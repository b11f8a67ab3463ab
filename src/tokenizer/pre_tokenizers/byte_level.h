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
// The pattern runs through Oniguruma as in HF, except on pieces of pure ASCII (nearly all real
// text), which a hand-written matcher of the same pattern splits several times faster. Its
// character classes (\s, \p{L}, \p{N} on the 128 ASCII characters) are read off Oniguruma when
// the pre-tokenizer is built, so the two paths cannot disagree on what a class holds; the test
// byte_level_test.cpp compares them on many strings.
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
  // Always through Oniguruma (the reference the fast path is tested against).
  void split_with_regex(std::string_view text,
                        std::vector<std::pair<size_t, size_t>>& pieces) const;

 private:
  // Length of the match that starts at text[i] (ASCII text only).
  size_t match_ascii(std::string_view text, size_t i) const;

  enum : uint8_t { kSpace = 1, kLetter = 2, kNumber = 4 };
  Regex regex_;
  uint8_t ascii_class_[128];
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
