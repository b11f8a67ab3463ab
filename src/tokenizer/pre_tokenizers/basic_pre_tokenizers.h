// The splitting pre-tokenizers of HF tokenizers: BertPreTokenizer, Whitespace,
// WhitespaceSplit, Punctuation, Digits, Split and Sequence (tokenizers/src/pre_tokenizers/).
// They cut pieces without rewriting them; ByteLevel and Metaspace, which rewrite, have files of
// their own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/pre_tokenizers/split_behavior.h"
#include "tokenizer/regex.h"

namespace finetune {


// bert.rs: whitespace removed, each punctuation character a piece (bert_pre_tokenizer.h).
class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(const Words& in, Words& out) const override;
};

// whitespace.rs Whitespace: the pieces are the matches of \w+|[^\w\s]+ (Oniguruma).
class Whitespace final : public PreTokenizer {
 public:
  Whitespace();
  void pre_tokenize(const Words& in, Words& out) const override;

 private:
  Regex regex_;
};

// whitespace.rs WhitespaceSplit: split on char::is_whitespace, which is removed.
class WhitespaceSplit final : public PreTokenizer {
 public:
  void pre_tokenize(const Words& in, Words& out) const override;
};

// punctuation.rs: split on BERT punctuation (ASCII punctuation or Unicode P*).
class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(SplitBehavior behavior) : behavior_(behavior) {}
  void pre_tokenize(const Words& in, Words& out) const override;

 private:
  SplitBehavior behavior_;
};

// digits.rs: numeric characters (char::is_numeric, categories Nd/Nl/No) split off, one per piece
// with individual_digits, else as runs.
class Digits final : public PreTokenizer {
 public:
  explicit Digits(bool individual_digits) : individual_digits_(individual_digits) {}
  void pre_tokenize(const Words& in, Words& out) const override;

 private:
  bool individual_digits_;
};

// split.rs: split on a literal string or a regex, with a behavior and `invert`.
class Split final : public PreTokenizer {
 public:
  Split(std::string literal, SplitBehavior behavior, bool invert);
  Split(Regex regex, SplitBehavior behavior, bool invert);
  void pre_tokenize(const Words& in, Words& out) const override;

 private:
  std::string literal_;
  std::optional<Regex> regex_;
  SplitBehavior behavior_;
  bool invert_;
};

// sequence.rs: each pre-tokenizer splits the pieces of the previous one.
class PreTokenizerSequence final : public PreTokenizer {
 public:
  explicit PreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(const Words& in, Words& out) const override;

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace finetune
