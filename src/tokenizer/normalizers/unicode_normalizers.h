// The per-character Unicode normalizers of HF tokenizers: NFC, NFD, NFKC, NFKD, Lowercase and
// StripAccents (tokenizers/src/normalizers/unicode.rs and strip.rs, utils.rs).
//
// The normalization forms come from utf8proc (Unicode 15.0), where HF uses the
// `unicode-normalization-alignments` crate; the two agree on every code point assigned before
// the crate's Unicode version, which is all the goldens exercise. Lowercase is Rust's
// char::to_lowercase per character (no final-sigma rule), the same table BertNormalizer uses.
// StripAccents drops every combining mark (general category Mn, Mc or Me, as the crate's older
// Unicode has them: hf_unicode::is_combining_mark), which is wider than BertNormalizer's
// strip_accents (Mn only).
#pragma once

#include "tokenizer/pipeline.h"

namespace finetune {

enum class UnicodeForm { NFC, NFD, NFKC, NFKD };

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  void normalize(std::string_view text, std::string& out) const override;

 private:
  UnicodeForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string_view text, std::string& out) const override;
};

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string_view text, std::string& out) const override;
};

}  // namespace finetune
