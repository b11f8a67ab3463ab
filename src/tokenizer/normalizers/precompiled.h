// Precompiled: the normalizer SentencePiece compiles into its models (nmt_nfkc, nfkc_cf, ...),
// as HF tokenizers runs it (tokenizers/src/normalizers/precompiled.rs over the spm_precompiled
// crate, tokenizers 0.23).
//
// The charsmap blob: a u32 little-endian trie size in bytes, then that many bytes of darts-clone
// double-array units (u32 little-endian each), then the replacement strings, NUL-terminated and
// concatenated. A unit holds a label (bits 0-7, bit 31 set on value units so they never match a
// byte), a has-leaf flag (bit 8) and an offset to its children ((unit >> 10) << 8 when bit 9 is
// set, else unit >> 10); a leaf's value unit holds the byte offset of a replacement string.
// There is no darts-clone package in Debian, so the lookup (a dozen lines) is written here, with
// every array read bounds-checked: a blob whose trie points outside itself, or at a string offset
// outside the strings or inside a UTF-8 sequence, is an Error naming the file and key, at load
// time where the loader can see it (sizes, UTF-8 of the strings, the table of single ASCII
// bytes) and otherwise when a lookup reaches the bad unit - never an out-of-bounds read.
//
// HF's rule (not SentencePiece's own longest-match normalizer), for each extended grapheme
// cluster of the text (Unicode's UAX #29 rules, here utf8proc_grapheme_break_stateful; HF uses
// the unicode-segmentation crate):
//   - if the grapheme is shorter than 6 bytes and some prefix of it is a key of the trie, the
//     whole grapheme becomes the replacement of the SHORTEST such prefix (spm_precompiled's
//     transform takes common_prefix_search(...)[0]); whatever followed that prefix in the
//     grapheme is dropped: "A\u030A\u0301" (A, ring, acute) becomes "\u00C5", "\uFF21\u0301"
//     becomes "A", "\r\n" becomes one space where "\r" maps to a space;
//   - otherwise each character of the grapheme is looked up alone and replaced when it is a key,
//     kept when it is not.
// A NUL byte ends a lookup key (the trie cannot hold one), so NUL is never replaced.
//
// Grapheme boundaries come from utf8proc (Unicode 15.0 in Debian 12's 2.8), HF's from a newer
// Unicode. The 6-byte rule makes the known differences harmless (e.g. Unicode 15.1's Indic
// conjunct rule only joins 3-byte letters, so both sides take the per-character path); only a
// character assigned after Unicode 15.0 that extends a grapheme could still differ.
//
// Speed: ASCII text is the common case. An ASCII byte followed by another ASCII byte is a
// grapheme of its own (UAX #29 joins two ASCII characters only as CR LF), so those are handled
// from a 128-entry table filled at load time, and runs the table leaves unchanged are copied in
// one append.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/json.h"
#include "tokenizer/pipeline.h"

namespace finetune {

class Precompiled final : public Normalizer {
 public:
  // From the raw blob (as the SentencePiece .model's normalizer_spec.precompiled_charsmap holds
  // it). `where` names it in errors ("tokenizer.json: normalizer.precompiled_charsmap",
  // "spm.model: normalizer_spec.precompiled_charsmap"). Throws Error for a malformed blob.
  Precompiled(std::string_view blob, std::string where);
  // From tokenizer.json's base64 text (standard alphabet, padded, as the base64 crate requires).
  static Precompiled from_base64(std::string_view text, const std::string& where);

  void normalize(std::string_view text, std::string& out) const override;

  // spm_precompiled's transform: the replacement of the shortest key that is a prefix of
  // `chunk`, or false when none is (exposed for tests).
  bool transform(std::string_view chunk, std::string_view& replacement) const;

 private:
  // The value (string offset) of the shortest key that prefixes `key`, or -1.
  int64_t first_prefix_value(std::string_view key) const;
  std::string_view replacement_at(int64_t offset) const;
  [[noreturn]] void fail_outside(const char* what, uint64_t index, uint64_t limit) const;
  // One grapheme (or the characters of one), appended to `out`.
  void normalize_grapheme(std::string_view grapheme, std::string& out) const;

  std::vector<uint32_t> units_;
  std::string strings_;  // the NUL-terminated replacements
  std::string where_;
  // For each ASCII byte alone: whether it is replaced, and by what (offset, size in strings_).
  struct AsciiEntry {
    bool replaced = false;
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  AsciiEntry ascii_[128];
};

// A Precompiled normalizer from its tokenizer.json object ({"type": "Precompiled",
// "precompiled_charsmap": "<base64>"}); errors name node.where().precompiled_charsmap.
std::unique_ptr<Normalizer> build_precompiled(const JsonView& node);

// Decodes standard padded base64 (RFC 4648 section 4) through OpenSSL's EVP_DecodeBlock, after
// checking what EVP_DecodeBlock would let through (whitespace, misplaced padding, non-zero
// trailing bits) so that exactly the texts Rust's base64 crate accepts are accepted. Throws
// Error naming `where` otherwise.
std::string decode_base64(std::string_view text, const std::string& where);

}  // namespace finetune
