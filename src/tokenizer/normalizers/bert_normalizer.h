// BertNormalizer: the text clean-up that runs before pre-tokenization.
//
// Mirrors tokenizers/src/normalizers/bert.rs, whose four steps run in this order over the whole
// string: clean_text (drop controls, U+0000 and U+FFFD; map whitespace to ' '), chinese chars
// (' ' c ' ' around each CJK ideograph), strip accents (NFD, then drop nonspacing marks Mn),
// lowercase (Rust char::to_lowercase per character, no context, so no final-sigma rule).
// Every step is a per-character map except NFD's canonical reordering of combining marks, so we
// run all four steps character by character in one pass and reorder within the output.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "tokenizer/pipeline.h"

namespace finetune {

struct BertNormalizerOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // tokenizer.json's null means "same as lowercase"
  bool lowercase = true;
};

class BertNormalizer final : public Normalizer {
 public:
  explicit BertNormalizer(const BertNormalizerOptions& options = {});

  const BertNormalizerOptions& options() const { return options_; }

  // Appends the normalized form of `text` (valid UTF-8) to `out`.
  void normalize(std::string_view text, std::string& out) const override;

 private:
  BertNormalizerOptions options_;
  // What happens to each ASCII byte: -1 dropped, else the byte written (ASCII never decomposes,
  // is never a CJK ideograph and lowercases to ASCII).
  std::array<int16_t, 128> ascii_{};
};

}  // namespace finetune
