// BertNormalizer, one pass over the text (see normalizer.h for the rules and their source).
#include "tokenizer/normalizers/bert_normalizer.h"

#include <algorithm>

#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

// The start of the code point that ends at out[end), if it lies in out[floor..end); else npos.
size_t previous_code_point_start(const std::string& out, size_t floor, size_t end) {
  if (end <= floor) return std::string::npos;
  size_t k = end;
  do {
    --k;
  } while (k > floor && utf8::is_continuation(static_cast<unsigned char>(out[k])));
  return k;
}

// NFD's canonical ordering (Unicode 15, 3.11 D109): a run of non-starters is sorted by combining
// class, stably. The just-appended code point out[start..) moves left past earlier non-starters
// of higher class; `floor` is where the current run of non-starters began in `out`.
void reorder_last(std::string& out, size_t start, size_t floor, uint8_t ccc) {
  while (true) {
    size_t previous = previous_code_point_start(out, floor, start);
    if (previous == std::string::npos) return;
    size_t i = previous;
    char32_t before = utf8::decode(out, i);
    uint8_t before_ccc = hf_unicode::combining_class(before);
    if (before_ccc == 0 || before_ccc <= ccc) return;
    // Swap out[previous..start) and out[start..): rotate the bytes.
    std::rotate(out.begin() + static_cast<std::ptrdiff_t>(previous),
                out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    start = previous;
  }
}

}  // namespace

BertNormalizer::BertNormalizer(const BertNormalizerOptions& options) : options_(options) {
  for (int c = 0; c < 128; ++c) {
    auto f = hf_unicode::flags(static_cast<char32_t>(c));
    int16_t action = static_cast<int16_t>(c);
    if (options_.clean_text && (f & hf_unicode::kControl)) {
      action = -1;
    } else if (options_.clean_text && (f & hf_unicode::kWhitespace)) {
      action = ' ';
    } else if (options_.lowercase && c >= 'A' && c <= 'Z') {
      action = static_cast<int16_t>(c - 'A' + 'a');
    }
    ascii_[c] = action;
  }
}

void BertNormalizer::normalize(std::string_view text, std::string& out) const {
  out.reserve(out.size() + text.size() + 8);
  // Start of the current run of non-starters in `out` (for canonical reordering).
  size_t floor = out.size();
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      int16_t action = ascii_[b];
      if (action >= 0) out.push_back(static_cast<char>(action));
      ++i;
      floor = out.size();  // ASCII characters are starters (combining class 0)
      continue;
    }
    char32_t cp = utf8::decode(text, i);
    uint8_t f = hf_unicode::flags(cp);
    if (options_.clean_text) {
      if (f & hf_unicode::kControl) continue;  // removed before anything else sees it
      if (f & hf_unicode::kWhitespace) {
        out.push_back(' ');
        floor = out.size();
        continue;
      }
    }
    const bool chinese = options_.handle_chinese_chars && (f & hf_unicode::kChinese);
    if (chinese) {
      out.push_back(' ');
      floor = out.size();
    }
    char32_t decomposed[hf_unicode::kMaxDecomposition];
    int count = 1;
    decomposed[0] = cp;
    if (options_.strip_accents && (f & hf_unicode::kDecomposes)) {
      count = hf_unicode::decompose(cp, decomposed);
    }
    for (int k = 0; k < count; ++k) {
      char32_t d = decomposed[k];
      uint8_t fd = d == cp ? f : hf_unicode::flags(d);
      if (options_.strip_accents && (fd & hf_unicode::kNonspacingMark)) {
        // Dropped after reordering; a dropped starter still ends the run of non-starters.
        if (!(fd & hf_unicode::kCombining)) floor = out.size();
        continue;
      }
      size_t start = out.size();
      if (options_.lowercase && (fd & hf_unicode::kLowercases)) {
        char32_t lowered[hf_unicode::kMaxLowercase];
        int m = hf_unicode::to_lowercase(d, lowered);
        for (int j = 0; j < m; ++j) utf8::append(out, lowered[j]);
      } else {
        utf8::append(out, d);
      }
      if (!(fd & hf_unicode::kCombining)) {
        floor = out.size();
      } else if (options_.strip_accents) {
        // Only NFD reorders; without strip_accents HF never runs NFD.
        reorder_last(out, start, floor, hf_unicode::combining_class(d));
      }
    }
    if (chinese) {
      out.push_back(' ');
      floor = out.size();
    }
  }
}

}  // namespace finetune
