// Glob matching by backtracking over pattern and path. Patterns come from dataset cards and the
// command line and paths from hub listings, both short; the recursion depth is bounded by the
// number of `**` segments, and each `*` backtracks at most over one path.
#include "io/glob.h"

#include <string>

namespace finetune {
namespace {

// Matches a character class starting at pattern[p] == '['; sets `next` past the ']'. Returns
// false with next == npos when the class is not closed (then '[' is a literal).
bool class_match(std::string_view pattern, size_t p, char c, size_t& next) {
  size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  for (; i < pattern.size() && (first || pattern[i] != ']'); first = false) {
    char lo = pattern[i], hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 3;
    } else {
      i += 1;
    }
    if (lo <= c && c <= hi) matched = true;
  }
  if (i >= pattern.size()) {
    next = std::string_view::npos;
    return false;
  }
  next = i + 1;
  return matched != negate;
}

bool match(std::string_view pat, size_t p, std::string_view path, size_t s, GlobStyle style) {
  while (p < pat.size()) {
    // A whole "**" segment: "**/" at the start of a segment matches zero or more segments.
    const bool segment_start = p == 0 || pat[p - 1] == '/';
    if (style == GlobStyle::kPath && segment_start && pat.substr(p, 2) == "**" &&
        (p + 2 == pat.size() || pat[p + 2] == '/')) {
      if (p + 2 == pat.size()) return true;  // trailing "**": everything below
      // Try the rest after "**/" at this segment and at every later segment start.
      for (size_t t = s;;) {
        if (match(pat, p + 3, path, t, style)) return true;
        const size_t slash = path.find('/', t);
        if (slash == std::string_view::npos) return false;
        t = slash + 1;
      }
    }
    const char c = pat[p];
    if (c == '*') {
      // Collapse runs of '*' ("**" inside a segment acts like '*').
      size_t q = p;
      while (q < pat.size() && pat[q] == '*') ++q;
      for (size_t t = s;; ++t) {
        if (match(pat, q, path, t, style)) return true;
        if (t >= path.size()) return false;
        if (style == GlobStyle::kPath && path[t] == '/') return false;
      }
    }
    if (s >= path.size()) return false;
    if (c == '?') {
      if (style == GlobStyle::kPath && path[s] == '/') return false;
      ++p;
      ++s;
      continue;
    }
    if (c == '[') {
      size_t next = 0;
      const bool ok = class_match(pat, p, path[s], next);
      if (next != std::string_view::npos) {
        if (!ok || (style == GlobStyle::kPath && path[s] == '/')) return false;
        p = next;
        ++s;
        continue;
      }
      // An unclosed '[' is an ordinary character.
    }
    if (c != path[s]) return false;
    ++p;
    ++s;
  }
  return s == path.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path, GlobStyle style) {
  return match(pattern, 0, path, 0, style);
}

bool has_glob_chars(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

}  // namespace finetune
