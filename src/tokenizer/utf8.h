// UTF-8 decoding, encoding and validation for the tokenizer (and the text-line reader).
//
// The tokenizer walks text one code point at a time with an ASCII fast path; these helpers are
// inline so that loop stays tight. `decode` assumes valid input: every public entry point
// validates first with `find_invalid_utf8_byte` (shortest form, no surrogates, <= U+10FFFF —
// exactly what Rust's `str` accepts, so we reject what Hugging Face `tokenizers` cannot get).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace finetune::utf8 {

// Index of the first byte that does not belong to a valid UTF-8 sequence, or npos.
size_t find_invalid_byte(std::string_view text);

// Length in bytes of the sequence that starts with lead byte `b` (valid input only).
inline size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  return 4;
}

inline bool is_continuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// Decodes the code point at text[i] and advances i past it. Requires valid UTF-8.
inline char32_t decode(std::string_view text, size_t& i) {
  auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  auto at = [&](size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(text[i + k]) & 0x3F);
  };
  char32_t cp;
  if (b0 < 0xE0) {
    cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | at(1);
    i += 2;
  } else if (b0 < 0xF0) {
    cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (at(1) << 6) | at(2);
    i += 3;
  } else {
    cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (at(1) << 12) | (at(2) << 6) | at(3);
    i += 4;
  }
  return cp;
}

// Appends the UTF-8 encoding of `cp` (a valid scalar value).
inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                 static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    char b[4] = {
        static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
        static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

// Number of code points in valid UTF-8 text (Rust's `str::chars().count()`).
inline size_t count_chars(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += !is_continuation(static_cast<unsigned char>(c));
  return n;
}

}  // namespace finetune::utf8
