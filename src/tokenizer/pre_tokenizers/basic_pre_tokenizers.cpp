// BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits, Split, Sequence (see
// basic_pre_tokenizers.h).
#include "tokenizer/pre_tokenizers/basic_pre_tokenizers.h"

#include <utf8proc.h>

#include "tokenizer/hf_unicode.h"
#include "tokenizer/pre_tokenizers/bert_pre_tokenizer.h"

namespace finetune {

void BertPreTokenizer::pre_tokenize(const Words& in, Words& out) const {
  for (size_t w = 0; w < in.size(); ++w) {
    const std::string_view text = in[w];
    const bool at_start = in.at_start(w);
    bert_pre_tokenize(text, [&](std::string_view word) {
      out.add(word, at_start && word.data() == text.data());
    });
  }
}

Whitespace::Whitespace() : regex_(R"(\w+|[^\w\s]+)", "Whitespace pre-tokenizer") {}

void Whitespace::pre_tokenize(const Words& in, Words& out) const {
  std::vector<SplitRange> ranges;
  for (size_t w = 0; w < in.size(); ++w) {
    find_regex_matches(in[w], regex_, ranges);
    split_into(in[w], in.at_start(w), ranges, SplitBehavior::Removed, /*invert=*/true, out);
  }
}

void WhitespaceSplit::pre_tokenize(const Words& in, Words& out) const {
  std::vector<SplitRange> ranges;
  for (size_t w = 0; w < in.size(); ++w) {
    find_char_matches(in[w], [](char32_t cp) { return (hf_unicode::flags(cp) & hf_unicode::kWhitespace) != 0; },
                      ranges);
    split_into(in[w], in.at_start(w), ranges, SplitBehavior::Removed, false, out);
  }
}

void Punctuation::pre_tokenize(const Words& in, Words& out) const {
  std::vector<SplitRange> ranges;
  for (size_t w = 0; w < in.size(); ++w) {
    find_char_matches(in[w], [](char32_t cp) { return (hf_unicode::flags(cp) & hf_unicode::kPunctuation) != 0; },
                      ranges);
    split_into(in[w], in.at_start(w), ranges, behavior_, false, out);
  }
}

void Digits::pre_tokenize(const Words& in, Words& out) const {
  auto is_numeric = [](char32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL || category == UTF8PROC_CATEGORY_NO;
  };
  std::vector<SplitRange> ranges;
  for (size_t w = 0; w < in.size(); ++w) {
    find_char_matches(in[w], is_numeric, ranges);
    split_into(in[w], in.at_start(w), ranges,
               individual_digits_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false, out);
  }
}

Split::Split(std::string literal, SplitBehavior behavior, bool invert)
    : literal_(std::move(literal)), behavior_(behavior), invert_(invert) {}

Split::Split(Regex regex, SplitBehavior behavior, bool invert)
    : regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}

void Split::pre_tokenize(const Words& in, Words& out) const {
  std::vector<SplitRange> ranges;
  for (size_t w = 0; w < in.size(); ++w) {
    if (regex_) {
      find_regex_matches(in[w], *regex_, ranges);
    } else {
      find_literal_matches(in[w], literal_, ranges);
    }
    split_into(in[w], in.at_start(w), ranges, behavior_, invert_, out);
  }
}

void PreTokenizerSequence::pre_tokenize(const Words& in, Words& out) const {
  if (steps_.empty()) {
    for (size_t w = 0; w < in.size(); ++w) out.add(in[w], in.at_start(w));
    return;
  }
  // Two buffers per nesting level (a Sequence may hold a Sequence), kept per thread so that
  // encoding a text allocates nothing once they have grown.
  thread_local std::vector<std::unique_ptr<Words[]>> buffers;
  thread_local size_t depth = 0;
  if (buffers.size() <= depth) buffers.push_back(std::make_unique<Words[]>(2));
  Words* pair = buffers[depth].get();
  ++depth;
  struct Leave {
    size_t& depth;
    ~Leave() { --depth; }
  } leave{depth};
  Words& current = pair[0];
  Words& next = pair[1];
  const Words* source = &in;
  for (size_t i = 0; i + 1 < steps_.size(); ++i) {
    next.clear();
    steps_[i]->pre_tokenize(*source, next);
    current.swap(next);
    source = &current;
  }
  steps_.back()->pre_tokenize(*source, out);
}

}  // namespace finetune
