// Glob matching by backtracking over pattern and path. Patterns come from dataset cards and the
// command line and paths from hub listings, both short; the recursion depth is bounded by the
// number of `**` segments, and each `*` backtracks at most over one path.
#include "io/glob.h"

#include <string>

namespace finetune {
namespace {

// The size in bytes of the UTF-8 character that starts at text[at] (at < text.size()). A byte
// that does not start a well-formed sequence is a character of its own.
size_t char_size(std::string_view text, size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  const size_t size = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : lead < 0xF8 ? 4 : 1;
  if (size > text.size() - at) return 1;
  for (size_t k = 1; k < size; ++k) {
    if ((static_cast<unsigned char>(text[at + k]) & 0xC0) != 0x80) return 1;
  }
  return size;
}

// Matches a character class starting at pattern[p] == '[' against the character `c` (its UTF-8
// bytes); sets `next` past the ']'. Returns false with next == npos when the class is not closed
// (then '[' is a literal). Ranges compare code points: string_view compares bytes unsigned, and
// UTF-8 sequences sort as their code points do.
bool class_match(std::string_view pattern, size_t p, std::string_view c, size_t& next) {
  size_t i = p + 1;
  const bool negate = i < pattern.size() && pattern[i] == '!';
  if (negate) ++i;
  bool matched = false;
  for (bool first = true; i < pattern.size() && (first || pattern[i] != ']'); first = false) {
    const std::string_view lo = pattern.substr(i, char_size(pattern, i));
    i += lo.size();
    std::string_view hi = lo;
    if (i + 1 < pattern.size() && pattern[i] == '-' && pattern[i + 1] != ']') {
      hi = pattern.substr(i + 1, char_size(pattern, i + 1));
      i += 1 + hi.size();
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
      for (size_t t = s;; t += char_size(path, t)) {  // whole characters, as `?` takes them
        if (match(pat, q, path, t, style)) return true;
        if (t >= path.size()) return false;
        if (style == GlobStyle::kPath && path[t] == '/') return false;
      }
    }
    if (s >= path.size()) return false;
    const size_t width = char_size(path, s);
    if (c == '?') {
      if (style == GlobStyle::kPath && path[s] == '/') return false;
      ++p;
      s += width;
      continue;
    }
    if (c == '[') {
      size_t next = 0;
      const bool ok = class_match(pat, p, path.substr(s, width), next);
      if (next != std::string_view::npos) {
        if (!ok || (style == GlobStyle::kPath && path[s] == '/')) return false;
        p = next;
        s += width;
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
