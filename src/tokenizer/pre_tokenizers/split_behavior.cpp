// SplitDelimiterBehavior (see split_behavior.h).
#include "tokenizer/pre_tokenizers/split_behavior.h"

#include <algorithm>

#include "core/error.h"

namespace finetune {

SplitBehavior parse_split_behavior(const std::string& name, const std::string& where) {
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  throw Error(cat(where, ": unknown split behavior '", name,
                  "' (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)"));
}

void find_regex_matches(std::string_view text, const Regex& regex, std::vector<SplitRange>& out) {
  out.clear();
  if (text.empty()) {
    out.push_back({0, 0, false});
    return;
  }
  thread_local std::vector<std::pair<size_t, size_t>> matches;  // reused: this runs per word
  regex.find_all(text, matches);
  size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    if (previous != begin) out.push_back({previous, begin, false});
    out.push_back({begin, end, true});
    previous = end;
  }
  if (previous != text.size()) out.push_back({previous, text.size(), false});
}

void find_literal_matches(std::string_view text, std::string_view literal, std::vector<SplitRange>& out) {
  out.clear();
  if (text.empty() || literal.empty()) {
    out.push_back({0, text.size(), false});
    return;
  }
  size_t previous = 0;
  while (true) {
    size_t found = text.find(literal, previous);
    if (found == std::string_view::npos) break;
    if (previous != found) out.push_back({previous, found, false});
    out.push_back({found, found + literal.size(), true});
    previous = found + literal.size();
  }
  if (previous != text.size()) out.push_back({previous, text.size(), false});
}

void split_into(std::string_view text, bool at_start, std::vector<SplitRange>& ranges, SplitBehavior behavior,
                bool invert, Words& out) {
  if (invert) {
    for (SplitRange& r : ranges) r.is_match = !r.is_match;
  }
  // After this step `is_match` means "remove this piece" (HF's second tuple field).
  thread_local std::vector<SplitRange> pieces;  // reused: this runs per word
  pieces.clear();
  switch (behavior) {
    case SplitBehavior::Removed:
      pieces = ranges;
      break;
    case SplitBehavior::Isolated:
      for (const SplitRange& r : ranges) pieces.push_back({r.begin, r.end, false});
      break;
    case SplitBehavior::Contiguous: {
      bool previous_match = false;
      for (const SplitRange& r : ranges) {
        if (r.is_match == previous_match && !pieces.empty()) {
          pieces.back().end = r.end;
        } else {
          pieces.push_back({r.begin, r.end, false});
        }
        previous_match = r.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const SplitRange& r : ranges) {
        if (r.is_match && !previous_match && !pieces.empty()) {
          pieces.back().end = r.end;
        } else {
          pieces.push_back({r.begin, r.end, false});
        }
        previous_match = r.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous_match = false;
      for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) {
        if (it->is_match && !previous_match && !pieces.empty()) {
          pieces.back().begin = it->begin;
        } else {
          pieces.push_back({it->begin, it->end, false});
        }
        previous_match = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    }
  }
  for (const SplitRange& piece : pieces) {
    if (piece.is_match) continue;
    out.add(text.substr(piece.begin, piece.end - piece.begin), at_start && piece.begin == 0);
  }
}

}  // namespace finetune
