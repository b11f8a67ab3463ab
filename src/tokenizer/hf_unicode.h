// Character properties exactly as Hugging Face `tokenizers` sees them.
//
// HF's BERT pipeline asks Unicode questions through three different sources of data:
//   - the `unicode_categories` crate (is_other, is_punctuation, is_mark_nonspacing), whose
//     tables are those of an old Unicode (about 8.0);
//   - the `unicode-normalization-alignments` crate for NFD (somewhat newer, before 13.0);
//   - Rust's std for char::is_whitespace and char::to_lowercase (Unicode 16+).
// We use utf8proc (Debian's 2.8: Unicode 15.0) for the bulk and correct it where the answers
// differ, with the small tables in hf_unicode_overrides.cpp (found by the code point probe of
// tools/make_tokenizer_goldens.py, checked for every code point by
// tests/tokenizer/codepoint_probe_test.cpp).
//
// Everything the hot loops need is one byte of flags per code point, looked up in a table built
// once per process (ASCII answers are also in a 128-entry table for the fast paths).
#pragma once

#include <cstdint>

namespace finetune::hf_unicode {

enum Flag : uint8_t {
  // BertNormalizer clean_text removes it: U+0000, U+FFFD and `is_other()` (Cc, Cf, Co of the
  // crate's Unicode) except \t \n \r (tokenizers/src/normalizers/bert.rs: is_control).
  kControl = 1 << 0,
  // Rust char::is_whitespace (the White_Space property): the BertPreTokenizer split, the
  // BertNormalizer whitespace map (which also lists \t \n \r, already White_Space), and the
  // `\s` of the added-token regexes.
  kWhitespace = 1 << 1,
  // BertPreTokenizer punctuation: char::is_ascii_punctuation or the crate's is_punctuation (P*).
  kPunctuation = 1 << 2,
  // BertNormalizer is_chinese_char: the CJK ideograph blocks listed in bert.rs.
  kChinese = 1 << 3,
  // The crate's is_mark_nonspacing (Mn): dropped by strip_accents after NFD.
  kNonspacingMark = 1 << 4,
  // Has a canonical decomposition in HF's NFD.
  kDecomposes = 1 << 5,
  // char::to_lowercase gives something other than the character itself.
  kLowercases = 1 << 6,
  // Canonical combining class != 0 (takes part in NFD's canonical reordering).
  kCombining = 1 << 7,
};

// The flags of a code point (any value; beyond U+10FFFF gives 0).
uint8_t flags(char32_t cp);

// HF's NFD of one code point, written to out[0..n); returns n (1 when it does not decompose).
constexpr int kMaxDecomposition = 4;
int decompose(char32_t cp, char32_t* out);

// Rust char::to_lowercase, written to out[0..n); returns n (1..kMaxLowercase).
constexpr int kMaxLowercase = 3;
int to_lowercase(char32_t cp, char32_t* out);

// Canonical combining class (0 for starters).
uint8_t combining_class(char32_t cp);

// unicode-normalization-alignments' is_combining_mark (general category Mn, Mc or Me of the
// crate's Unicode), which HF's StripAccents normalizer drops (tokenizers/src/normalizers/strip.rs).
// Wider than kNonspacingMark (BertNormalizer's strip_accents, Mn of another crate).
bool is_combining_mark(char32_t cp);

// Rust regex's Unicode `\w` ([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]), used by the
// single_word option of added tokens (tokenizers/src/tokenizer/added_vocabulary.rs).
bool is_word_char(char32_t cp);

}  // namespace finetune::hf_unicode
