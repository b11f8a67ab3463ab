// ByteLevel pre-tokenizer and normalizer (see byte_level.h; HF tokenizers'
// pre_tokenizers/byte_level.rs and normalizers/byte_level.rs).
#include "tokenizer/pre_tokenizers/byte_level.h"

#include <array>

#include "tokenizer/pre_tokenizers/split_behavior.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

// GPT-2's bytes_to_unicode as UTF-8: bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for
// themselves (as code points); the other 68 bytes, in increasing order, for U+0100, U+0101, ...
struct ByteChars {
  std::array<char, 2> text[256];
  uint8_t size[256];
  ByteChars() {
    unsigned next = 256;
    for (unsigned b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const unsigned cp = printable ? b : next++;
      if (cp < 0x80) {
        text[b] = {static_cast<char>(cp), 0};
        size[b] = 1;
      } else {
        text[b] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        size[b] = 2;
      }
    }
  }
};

const ByteChars& byte_chars() {
  static const ByteChars table;
  return table;
}

}  // namespace

void append_byte_level(std::string_view bytes, std::string& out) {
  const ByteChars& table = byte_chars();
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.append(table.text[b].data(), table.size[b]);
  }
}

Gpt2Splitter::Gpt2Splitter() : regex_(kGpt2Pattern, "the ByteLevel pre-tokenizer's GPT-2 pattern") {
  // Which ASCII characters Oniguruma puts in \s, \p{L} and \p{N}: one string of all 128, one
  // search per class.
  std::string all(128, '\0');
  for (int c = 0; c < 128; ++c) all[static_cast<size_t>(c)] = static_cast<char>(c);
  for (uint8_t& cls : ascii_class_) cls = 0;
  std::vector<std::pair<size_t, size_t>> matches;
  const std::pair<const char*, uint8_t> classes[] = {
      {R"(\s)", kSpace}, {R"(\p{L})", kLetter}, {R"(\p{N})", kNumber}};
  for (const auto& [pattern, bit] : classes) {
    Regex(pattern, "the ByteLevel pre-tokenizer's character classes").find_all(all, matches);
    for (const auto& [begin, end] : matches) {
      for (size_t k = begin; k < end; ++k) ascii_class_[k] |= bit;
    }
  }
}

size_t Gpt2Splitter::match_ascii(std::string_view text, size_t i) const {
  const size_t n = text.size();
  auto cls = [&](size_t k) { return ascii_class_[static_cast<unsigned char>(text[k])]; };
  // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, tried first).
  if (text[i] == '\'' && i + 1 < n) {
    const char c = text[i + 1];
    if (c == 's' || c == 't' || c == 'm' || c == 'd') return 2;
    if (i + 2 < n) {
      const char d = text[i + 2];
      if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') || (c == 'l' && d == 'l')) return 3;
    }
  }
  // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional U+0020, then a run of one class.
  // Without the space the run would have to start at a space, which is in none of the three.
  const size_t start = text[i] == ' ' && i + 1 < n ? i + 1 : i;
  const uint8_t first = cls(start);
  if (!(first & kSpace)) {
    // The class of the run: letters, numbers, or "other" (none of the three bits).
    const uint8_t kind = first & kLetter ? kLetter : first & kNumber ? kNumber : 0;
    size_t end = start + 1;
    if (kind != 0) {
      while (end < n && (cls(end) & kind)) ++end;
    } else {
      while (end < n && cls(end) == 0) ++end;
    }
    return end - i;
  }
  // '\s+(?!\S)|\s+' at a whitespace character: the whole run when it ends the text; else the run
  // less its last character (left to lead the next word), or that one character alone.
  size_t end = i + 1;
  while (end < n && (cls(end) & kSpace)) ++end;
  if (end == n || end - i == 1) return end - i;
  return end - 1 - i;
}

void Gpt2Splitter::split(std::string_view text,
                         std::vector<std::pair<size_t, size_t>>& pieces) const {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      split_with_regex(text, pieces);
      return;
    }
  }
  pieces.clear();
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = match_ascii(text, i);
    pieces.emplace_back(i, i + length);
    i += length;
  }
}

void Gpt2Splitter::split_with_regex(std::string_view text,
                                    std::vector<std::pair<size_t, size_t>>& pieces) const {
  thread_local std::vector<SplitRange> ranges;
  pieces.clear();
  if (text.empty()) return;
  find_regex_matches(text, regex_, ranges);
  // Isolated: matches and the text between them (the pattern leaves none) are all pieces.
  for (const SplitRange& range : ranges) pieces.emplace_back(range.begin, range.end);
}

void ByteLevel::pre_tokenize(const Words& in, Words& out) const {
  thread_local std::string prefixed;
  thread_local std::vector<std::pair<size_t, size_t>> pieces;
  for (size_t w = 0; w < in.size(); ++w) {
    std::string_view text = in[w];
    const bool at_start = in.at_start(w);
    if (add_prefix_space_ && text.front() != ' ') {
      prefixed.assign(1, ' ');
      prefixed.append(text);
      text = prefixed;
    }
    if (!use_regex_) {
      append_byte_level(text, out.start(at_start));
      out.finish();
      continue;
    }
    splitter_.split(text, pieces);
    for (const auto& [begin, end] : pieces) {
      append_byte_level(text.substr(begin, end - begin), out.start(at_start && begin == 0));
      out.finish();
    }
  }
}

}  // namespace finetune
