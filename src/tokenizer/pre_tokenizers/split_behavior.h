// How a pre-tokenizer cuts a piece at the places a pattern matches: HF's
// SplitDelimiterBehavior and NormalizedString::split (tokenizers/src/tokenizer/normalizer.rs,
// pattern.rs), shared by Split, Punctuation, Digits, Whitespace and Metaspace.
//
// A pattern first turns a piece into consecutive ranges covering it, each marked as a match or
// not (find_*_matches below, exactly as HF's Pattern impls do for a char predicate, a regex and
// a literal string). The behavior then decides what becomes of the matches:
//   Removed             matches dropped, the rest kept            "a, b" on ' ' -> "a," "b"
//   Isolated            matches are pieces of their own           -> "a," " " "b"
//   MergedWithPrevious  each match joins the piece before it      -> "a, " "b"
//   MergedWithNext      each match joins the piece after it       -> "a," " b"
//   Contiguous          consecutive matches become one piece      (runs of digits)
// `invert` swaps match and non-match first. Empty pieces are dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

namespace finetune {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// "Removed" | "Isolated" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous"; otherwise an
// Error naming `where` and the accepted values.
SplitBehavior parse_split_behavior(const std::string& name, const std::string& where);

struct SplitRange {
  size_t begin;
  size_t end;
  bool is_match;
};

// Every character for which is_match(cp) holds is a match of its own; the runs between them are
// non-matches. An empty text gives one empty non-match.
template <typename Predicate>
void find_char_matches(std::string_view text, Predicate&& is_match, std::vector<SplitRange>& out) {
  out.clear();
  size_t last = 0, i = 0;
  while (i < text.size()) {
    const size_t start = i;
    char32_t cp = utf8::decode(text, i);
    if (is_match(cp)) {
      if (last < start) out.push_back({last, start, false});
      out.push_back({start, i, true});
      last = i;
    }
  }
  if (last < text.size() || text.empty()) out.push_back({last, text.size(), false});
}

void find_regex_matches(std::string_view text, const Regex& regex, std::vector<SplitRange>& out);
// Non-overlapping occurrences of `literal`, left to right; an empty literal matches nothing.
void find_literal_matches(std::string_view text, std::string_view literal, std::vector<SplitRange>& out);

// Appends the pieces of `text` that `behavior` keeps to `out`. Only a piece starting at byte 0
// of a text that was itself at_start is at_start.
void split_into(std::string_view text, bool at_start, std::vector<SplitRange>& ranges, SplitBehavior behavior,
                bool invert, Words& out);

}  // namespace finetune
