// Added (and special) tokens: found in the text before the normal pipeline runs.
//
// tokenizers/src/tokenizer/added_vocabulary.rs: tokens such as [CLS] or [MASK] written in the
// input become their own id without going through normalization or WordPiece. Tokens with
// `normalized: false` are searched for in the raw text; the text between them is normalized and
// then searched for the tokens with `normalized: true` (whose patterns are their normalized
// content). Matching is Aho-Corasick "leftmost-longest": the match that starts first wins, and of
// those the longest. Options per token:
//   single_word: only a match with no word character (regex `\w`) just before and after counts;
//   lstrip / rstrip: the match swallows the whitespace (regex `\s`) on its left / right.
// AddedTokenMatcher implements that search for one set of patterns, with a first-byte filter so
// text without any candidate byte (the common case) costs one table lookup per byte.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace finetune {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;  // AddedToken::default in added_vocabulary.rs
  bool special = false;
};

// A piece of a split text: [begin, end) is either plain text (id < 0) or the token `id`.
struct TextPiece {
  size_t begin;
  size_t end;
  int32_t id;
};

class AddedTokenMatcher {
 public:
  // `pattern` is what is searched for (the content, or its normalized form); empty patterns
  // never match (HF skips empty tokens).
  void add(std::string pattern, const AddedToken& token);
  bool empty() const { return patterns_.empty(); }

  // Appends pieces that cover `text` in order: plain text between matches, and the matches.
  // An empty text gives no piece.
  void split(std::string_view text, std::vector<TextPiece>& out) const;

 private:
  struct Pattern {
    std::string text;
    int32_t id;
    bool single_word, lstrip, rstrip;
  };
  // The longest pattern that matches at `position`, or nullptr.
  const Pattern* longest_match_at(std::string_view text, size_t position) const;
  void index();

  std::vector<Pattern> patterns_;  // grouped by first byte, longest first, then insertion order
  std::array<uint32_t, 257> first_byte_begin_{};  // patterns_ range per first byte
  int single_first_byte_ = -1;  // the first byte of every pattern, if they all share one
};

}  // namespace finetune
