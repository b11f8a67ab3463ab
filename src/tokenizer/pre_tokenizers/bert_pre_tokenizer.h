// BertPreTokenizer: splits normalized text into the words WordPiece sees.
//
// tokenizers/src/pre_tokenizers/bert.rs: split on char::is_whitespace (the whitespace is
// removed), then split again on BERT punctuation (char::is_ascii_punctuation or the
// `unicode_categories` crate's is_punctuation), each punctuation character becoming a word of
// its own. Empty pieces never appear. It is a template so the per-word callback inlines into
// the encoder's loop.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace finetune {

enum class PreTokenClass : uint8_t { kWord, kWhitespace, kPunctuation };

inline PreTokenClass pre_token_class(char32_t cp) {
  uint8_t f = hf_unicode::flags(cp);
  if (f & hf_unicode::kWhitespace) return PreTokenClass::kWhitespace;
  if (f & hf_unicode::kPunctuation) return PreTokenClass::kPunctuation;
  return PreTokenClass::kWord;
}

namespace detail {
// The classes of the ASCII characters, computed once from the same flags.
inline const std::array<PreTokenClass, 128>& ascii_pre_token_classes() {
  static const std::array<PreTokenClass, 128> table = [] {
    std::array<PreTokenClass, 128> t{};
    for (int c = 0; c < 128; ++c) t[c] = pre_token_class(static_cast<char32_t>(c));
    return t;
  }();
  return table;
}
}  // namespace detail

// Calls on_word(std::string_view) for each word of `text` (valid UTF-8), in order.
template <typename OnWord>
void bert_pre_tokenize(std::string_view text, OnWord&& on_word) {
  const auto& ascii = detail::ascii_pre_token_classes();
  const size_t n = text.size();
  size_t word_start = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < n) {
    const size_t char_start = i;
    auto b = static_cast<unsigned char>(text[i]);
    PreTokenClass kind;
    if (b < 0x80) {
      kind = ascii[b];
      ++i;
    } else {
      kind = pre_token_class(utf8::decode(text, i));
    }
    if (kind == PreTokenClass::kWord) {
      if (!in_word) {
        word_start = char_start;
        in_word = true;
      }
      continue;
    }
    if (in_word) {
      on_word(text.substr(word_start, char_start - word_start));
      in_word = false;
    }
    if (kind == PreTokenClass::kPunctuation) on_word(text.substr(char_start, i - char_start));
  }
  if (in_word) on_word(text.substr(word_start));
}

}  // namespace finetune
