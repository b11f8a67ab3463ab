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

Gpt2Splitter::Gpt2Splitter() : regex_(kGpt2Pattern, "the ByteLevel pre-tokenizer's GPT-2 pattern") {}

void Gpt2Splitter::split(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) const {
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
