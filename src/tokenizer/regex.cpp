// Regex over Oniguruma (see regex.h).
#include "tokenizer/regex.h"

#include <oniguruma.h>

#include <mutex>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace finetune {

struct Regex::Impl {
  regex_t* regex = nullptr;
  ~Impl() {
    if (regex) onig_free(regex);
  }
};

namespace {
void initialize_oniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}
}  // namespace

Regex::Regex(std::string_view pattern, const std::string& where) : impl_(std::make_unique<Impl>()) {
  initialize_oniguruma();
  OnigErrorInfo info;
  const auto* begin = reinterpret_cast<const OnigUChar*>(pattern.data());
  int rc = onig_new(&impl_->regex, begin, begin + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                    ONIG_SYNTAX_RUBY, &info);
  if (rc != ONIG_NORMAL) {
    OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(message, rc, &info);
    impl_->regex = nullptr;
    throw Error(cat(where, ": invalid regular expression '", pattern, "': ", reinterpret_cast<char*>(message)));
  }
}

Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const {
  matches.clear();
  const auto* start = reinterpret_cast<const OnigUChar*>(text.data());
  const auto* end = start + text.size();
  // One region per thread, reused: a search allocates nothing once it has grown.
  thread_local OnigRegion* region = onig_region_new();
  // Rust onig's FindMatches: search from `position`; an empty match right where the previous
  // match ended is skipped by moving one character on (no endless loop, no duplicate).
  size_t position = 0;
  bool have_last = false;
  size_t last_match_end = 0;
  while (position <= text.size()) {
    int found = onig_search(impl_->regex, start, end, start + position, end, region, ONIG_OPTION_NONE);
    if (found < 0) break;  // ONIG_MISMATCH (or an error, which a compiled pattern does not give)
    const auto match_begin = static_cast<size_t>(region->beg[0]);
    const auto match_end = static_cast<size_t>(region->end[0]);
    if (match_begin == match_end && have_last && last_match_end == match_end) {
      position += position < text.size() ? utf8::sequence_length(static_cast<unsigned char>(text[position])) : 1;
      continue;
    }
    matches.emplace_back(match_begin, match_end);
    position = match_end;
    have_last = true;
    last_match_end = match_end;
  }
}

}  // namespace finetune
