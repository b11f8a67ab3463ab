// Normalizers that edit the text rather than map characters: Strip, Replace, Prepend, and
// Sequence, which runs several in order (tokenizers/src/normalizers/strip.rs, replace.rs,
// prepend.rs, utils.rs).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/regex.h"

namespace finetune {

// Removes leading and/or trailing whitespace (Rust char::is_whitespace).
class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string_view text, std::string& out) const override;

 private:
  bool left_, right_;
};

// Replaces every non-overlapping occurrence of a literal string or of a regex (leftmost first)
// with `content`.
class Replace final : public Normalizer {
 public:
  static Replace literal(std::string pattern, std::string content);
  static Replace regex(Regex pattern, std::string content);
  void normalize(std::string_view text, std::string& out) const override;

 private:
  Replace() = default;
  std::string literal_;
  std::optional<Regex> regex_;
  std::string content_;
};

// Puts `prefix` in front of any non-empty text.
class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string_view text, std::string& out) const override;

 private:
  std::string prefix_;
};

// HF's normalizers.Sequence: each normalizer runs on the previous one's output.
class NormalizerSequence final : public Normalizer {
 public:
  explicit NormalizerSequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string_view text, std::string& out) const override;

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace finetune
