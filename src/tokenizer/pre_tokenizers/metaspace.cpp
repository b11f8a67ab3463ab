// Metaspace (see metaspace.h; tokenizers/src/pre_tokenizers/metaspace.rs).
#include "tokenizer/pre_tokenizers/metaspace.h"

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace finetune {

Metaspace::Metaspace(std::string replacement, PrependScheme prepend_scheme, bool split)
    : replacement_(std::move(replacement)), prepend_scheme_(prepend_scheme), split_(split) {
  FT_CHECK(!replacement_.empty() &&
               utf8::find_invalid_byte(replacement_) == std::string_view::npos &&
               utf8::count_chars(replacement_) == 1,
           "Metaspace replacement must be one character");
}

void Metaspace::pre_tokenize(const Words& in, Words& out) const {
  const std::string_view mark = replacement_;
  // Scratch per thread: texts are pre-tokenized in parallel.
  thread_local std::string rewritten;
  for (size_t w = 0; w < in.size(); ++w) {
    const std::string_view text = in[w];
    const bool at_start = in.at_start(w);
    rewritten.clear();
    const bool prepend = prepend_scheme_ == PrependScheme::Always ||
                         (prepend_scheme_ == PrependScheme::First && at_start);
    // HF replaces first, then tests starts_with(replacement): a leading space counts as one.
    if (prepend && !(text.front() == ' ' || text.substr(0, mark.size()) == mark))
      rewritten.append(mark);
    size_t copied = 0;
    for (size_t i = text.find(' '); i != std::string_view::npos; i = text.find(' ', i + 1)) {
      rewritten.append(text.substr(copied, i - copied));
      rewritten.append(mark);
      copied = i + 1;
    }
    rewritten.append(text.substr(copied));

    if (!split_) {
      out.add(rewritten, at_start);
      continue;
    }
    // MergedWithNext on a one-character pattern: each occurrence opens a new piece (a run of
    // them gives one piece per occurrence, the last one joined to the text after it).
    const std::string_view all = rewritten;
    size_t begin = 0;
    for (size_t i = all.find(mark, 1); i != std::string_view::npos;
         i = all.find(mark, i + mark.size())) {
      out.add(all.substr(begin, i - begin), at_start && begin == 0);
      begin = i;
    }
    out.add(all.substr(begin), at_start && begin == 0);
  }
}

std::unique_ptr<PreTokenizer> build_metaspace(const JsonView& node) {
  // serde's `char`: exactly one character, required.
  const std::string replacement = node.get_string("replacement");
  if (utf8::find_invalid_byte(replacement) != std::string::npos ||
      utf8::count_chars(replacement) != 1) {
    throw Error(cat(node.where(), ".replacement: expected one character, got '", replacement, "'"));
  }
  PrependScheme scheme = PrependScheme::Always;
  if (node.has("prepend_scheme")) {
    const std::string name = node.get_string("prepend_scheme");
    if (name == "always") {
      scheme = PrependScheme::Always;
    } else if (name == "first") {
      scheme = PrependScheme::First;
    } else if (name == "never") {
      scheme = PrependScheme::Never;
    } else {
      throw Error(cat(node.where(), ".prepend_scheme: unknown value '", name,
                      "' (expected 'always', 'first' or 'never')"));
    }
  }
  // Files from before prepend_scheme existed (tokenizers < 0.14) say add_prefix_space instead.
  if (node.has("add_prefix_space") && !node.get_bool("add_prefix_space")) {
    if (scheme != PrependScheme::Never) {
      throw Error(
          cat(node.where(),
              ".add_prefix_space: false means prepend_scheme 'never', but prepend_scheme is ",
              node.has("prepend_scheme") ? "'" + node.get_string("prepend_scheme") + "'"
                                         : std::string("absent, which means 'always'"),
              " (HF: \"add_prefix_space does not match declared prepend_scheme\")"));
    }
  }
  return std::make_unique<Metaspace>(replacement, scheme, node.get_bool_or("split", true));
}

}  // namespace finetune
