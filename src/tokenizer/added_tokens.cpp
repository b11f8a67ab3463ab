// Leftmost-longest search for added tokens (see added_tokens.h for the rules and their source).
#include "tokenizer/added_tokens.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

// The code point that ends just before `position` (valid UTF-8, position > 0).
char32_t code_point_before(std::string_view text, size_t position) {
  size_t start = position - 1;
  while (start > 0 && utf8::is_continuation(static_cast<unsigned char>(text[start]))) --start;
  return utf8::decode(text, start);
}

bool is_space(char32_t cp) {
  return hf_unicode::flags(cp) & hf_unicode::kWhitespace;
}

}  // namespace

void AddedTokenMatcher::add(std::string pattern, const AddedToken& token) {
  if (pattern.empty()) return;
  patterns_.push_back(
      {std::move(pattern), token.id, token.single_word, token.lstrip, token.rstrip});
  index();
}

void AddedTokenMatcher::index() {
  // Aho-Corasick reports, among equally long matches at one position, the pattern added first:
  // a stable sort keeps insertion order within one length.
  std::stable_sort(patterns_.begin(), patterns_.end(), [](const Pattern& a, const Pattern& b) {
    auto fa = static_cast<unsigned char>(a.text[0]), fb = static_cast<unsigned char>(b.text[0]);
    if (fa != fb) return fa < fb;
    return a.text.size() > b.text.size();
  });
  size_t k = 0;
  for (int byte = 0; byte <= 256; ++byte) {
    while (k < patterns_.size() && static_cast<unsigned char>(patterns_[k].text[0]) < byte) ++k;
    first_byte_begin_[byte] = static_cast<uint32_t>(k);
  }
  single_first_byte_ = static_cast<unsigned char>(patterns_.front().text[0]);
  for (const Pattern& p : patterns_) {
    if (static_cast<unsigned char>(p.text[0]) != single_first_byte_) single_first_byte_ = -1;
  }
}

const AddedTokenMatcher::Pattern* AddedTokenMatcher::longest_match_at(std::string_view text,
                                                                      size_t position) const {
  auto byte = static_cast<unsigned char>(text[position]);
  for (uint32_t k = first_byte_begin_[byte]; k < first_byte_begin_[byte + 1]; ++k) {
    const Pattern& p = patterns_[k];
    if (text.size() - position >= p.text.size() &&
        text.compare(position, p.text.size(), p.text) == 0) {
      return &p;
    }
  }
  return nullptr;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<TextPiece>& out) const {
  size_t plain_start = 0;  // start of the text not yet assigned to a piece
  size_t search = 0;
  const size_t n = text.size();
  while (search < n) {
    // Leftmost: the first position where some pattern matches; longest: the first pattern there.
    const Pattern* match = nullptr;
    size_t start = search;
    for (; start < n; ++start) {
      if (single_first_byte_ >= 0) {
        // Typical BERT case: every special token starts with '['; let memchr skip to it.
        const void* hit = std::memchr(text.data() + start, single_first_byte_, n - start);
        if (hit == nullptr) {
          start = n;
          break;
        }
        start = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
      } else {
        auto byte = static_cast<unsigned char>(text[start]);
        if (first_byte_begin_[byte] == first_byte_begin_[byte + 1]) continue;
      }
      if ((match = longest_match_at(text, start)) != nullptr) break;
    }
    if (match == nullptr) break;
    size_t stop = start + match->text.size();
    search = stop;
    if (match->single_word) {
      bool space_before = start == 0 || !hf_unicode::is_word_char(code_point_before(text, start));
      size_t after = stop;
      bool space_after = stop == n || !hf_unicode::is_word_char(utf8::decode(text, after));
      if (!space_before || !space_after) continue;  // not a whole word: skip this match
    }
    if (match->lstrip) {
      // Swallow the whitespace before the match, but not text an earlier piece already took.
      while (start > plain_start && is_space(code_point_before(text, start))) {
        do {
          --start;
        } while (start > plain_start &&
                 utf8::is_continuation(static_cast<unsigned char>(text[start])));
      }
    }
    if (match->rstrip) {
      while (stop < n) {
        size_t next = stop;
        if (!is_space(utf8::decode(text, next))) break;
        stop = next;
      }
      // HF continues its search right after the unstripped match; a pattern starting with
      // whitespace could then overlap the swallowed spaces. We resume after them instead.
      search = stop;
    }
    if (plain_start < start) out.push_back({plain_start, start, -1});
    out.push_back({start, stop, match->id});
    plain_start = stop;
  }
  if (plain_start < n) out.push_back({plain_start, n, -1});
}

}  // namespace finetune
