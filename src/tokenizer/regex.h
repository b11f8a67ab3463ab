// Regular expressions as HF `tokenizers` runs them: Oniguruma (its `onig` crate), from Debian's
// libonig.
//
// Used by the Split pre-tokenizer, the Replace normalizer and ByteLevel's GPT-2 split. The
// pattern syntax is Oniguruma's Ruby syntax over UTF-8, as tokenizers' SysRegex compiles it, so
// a pattern in a tokenizer.json means here exactly what it means there (\p{L}, lookahead, ...).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace finetune {

class Regex {
 public:
  // Compiles `pattern`; an invalid pattern throws Error "<where>: invalid regular expression
  // ...: <Oniguruma's message>".
  Regex(std::string_view pattern, const std::string& where);
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // The non-overlapping matches in `text` (valid UTF-8), left to right, as byte ranges
  // [begin, end): Rust onig's find_iter, which after an empty match moves on by one character.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace finetune
