// Strip, Replace, Prepend and NormalizerSequence (see text_normalizers.h).
#include "tokenizer/normalizers/text_normalizers.h"

#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace finetune {

namespace {
bool is_whitespace(char32_t cp) { return hf_unicode::flags(cp) & hf_unicode::kWhitespace; }
}  // namespace

void Strip::normalize(std::string_view text, std::string& out) const {
  size_t begin = 0, end = text.size();
  if (left_) {
    while (begin < end) {
      size_t i = begin;
      if (!is_whitespace(utf8::decode(text, i))) break;
      begin = i;
    }
  }
  if (right_) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && utf8::is_continuation(static_cast<unsigned char>(text[start]))) --start;
      size_t i = start;
      if (!is_whitespace(utf8::decode(text, i))) break;
      end = start;
    }
  }
  out.append(text.substr(begin, end - begin));
}

Replace Replace::literal(std::string pattern, std::string content) {
  Replace replace;
  replace.literal_ = std::move(pattern);
  replace.content_ = std::move(content);
  return replace;
}

Replace Replace::regex(Regex pattern, std::string content) {
  Replace replace;
  replace.regex_.emplace(std::move(pattern));
  replace.content_ = std::move(content);
  return replace;
}

void Replace::normalize(std::string_view text, std::string& out) const {
  if (regex_) {
    std::vector<std::pair<size_t, size_t>> matches;
    regex_->find_all(text, matches);
    size_t copied = 0;
    for (const auto& [begin, end] : matches) {
      out.append(text.substr(copied, begin - copied));
      out.append(content_);
      copied = end;
    }
    out.append(text.substr(copied));
    return;
  }
  if (literal_.empty()) {  // the factory refuses an empty pattern; never loop on one
    out.append(text);
    return;
  }
  size_t copied = 0;
  while (true) {
    size_t found = text.find(literal_, copied);
    if (found == std::string_view::npos) break;
    out.append(text.substr(copied, found - copied));
    out.append(content_);
    copied = found + literal_.size();
  }
  out.append(text.substr(copied));
}

void Prepend::normalize(std::string_view text, std::string& out) const {
  if (!text.empty()) out.append(prefix_);
  out.append(text);
}

void NormalizerSequence::normalize(std::string_view text, std::string& out) const {
  if (steps_.empty()) {
    out.append(text);
    return;
  }
  std::string current(text), next;
  for (size_t i = 0; i + 1 < steps_.size(); ++i) {
    next.clear();
    steps_[i]->normalize(current, next);
    current.swap(next);
  }
  steps_.back()->normalize(current, out);
}

}  // namespace finetune
