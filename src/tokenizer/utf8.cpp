// UTF-8 validation: the definition of "valid" shared by the tokenizer and read_text_lines.
//
// Valid means what Unicode (and Rust's `str`) calls well-formed UTF-8 (Unicode 15, table 3-7):
// shortest form only (no overlong encodings such as C0 80), no surrogates U+D800..U+DFFF
// (ED A0..BF), nothing above U+10FFFF (F4 90.. and F5..FF), no stray continuation bytes and no
// truncated sequences.
#include "tokenizer/utf8.h"

namespace finetune::utf8 {

size_t find_invalid_byte(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path: eight bytes at a time while no byte has its high bit set.
    while (i + 8 <= n) {
      uint64_t word;
      __builtin_memcpy(&word, s + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char b0 = s[i];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    // Table 3-7: the allowed range of the second byte depends on the first.
    size_t length;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      if (b0 == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
      if (b0 == 0xED) hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      if (b0 == 0xF0) lo = 0x90;  // no overlong 4-byte forms
      if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // continuation byte without a lead, C0/C1 (overlong), or F5..FF
    }
    if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < length; ++k) {
      if (i + k >= n || !is_continuation(s[i + k])) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace finetune::utf8
