// Metaspace: spaces become the replacement character (U+2581 "▁" by default), a replacement is
// put in front of a piece that does not begin with one, and each piece is cut in front of every
// replacement character. The SentencePiece pre-tokenizer of XLM-R, ALBERT, T5, DeBERTa-v3,
// CamemBERT, Llama.
//
// Mirrors tokenizers/src/pre_tokenizers/metaspace.rs (tokenizers 0.23):
//   - only U+0020 is replaced (other whitespace is left alone; WhitespaceSplit usually ran first);
//   - prepend_scheme "always": prepend to every piece not starting with the replacement; "first":
//     only to a piece that begins at offset 0 of the original text (Words::at_start: not after an
//     added token, nor after text an earlier pre-tokenizer split off); "never": no prepending;
//   - split=true cuts with SplitDelimiterBehavior::MergedWithNext on the replacement: every
//     replacement character starts a new piece ("▁a▁▁b" -> "▁a" "▁" "▁b"); split=false keeps the
//     rewritten piece whole.
// The JSON fields follow Metaspace's serde helper: `replacement` is required and one character;
// `prepend_scheme` defaults to "always"; `split` to true; the legacy `add_prefix_space: false`
// means "never" and is an error beside any other declared prepend_scheme (HF's "add_prefix_space
// does not match declared prepend_scheme"), while `add_prefix_space: true` changes nothing.
//
// One difference from HF, by construction: "first" asks whether a piece starts at original offset
// 0, which we know from the normalized text. The two disagree only when a normalizer deletes the
// first characters of the text (BertNormalizer's control characters, Strip, an empty Replace) AND
// a pre-tokenizer splits before Metaspace: HF's slice then starts at an original offset > 0 and
// gets no prefix, ours does (checked with HF: Strip + WhitespaceSplit + Metaspace "first" on
// "  hello"). We know of no released tokenizer that combines these with "first".
#pragma once

#include <memory>
#include <string>

#include "io/json.h"
#include "tokenizer/pipeline.h"

namespace finetune {

enum class PrependScheme { Always, First, Never };

class Metaspace final : public PreTokenizer {
 public:
  // `replacement` is one character (UTF-8).
  Metaspace(std::string replacement, PrependScheme prepend_scheme, bool split);
  void pre_tokenize(const Words& in, Words& out) const override;

  const std::string& replacement() const { return replacement_; }
  PrependScheme prepend_scheme() const { return prepend_scheme_; }
  bool split() const { return split_; }

 private:
  std::string replacement_;
  PrependScheme prepend_scheme_;
  bool split_;
};

// A Metaspace from its tokenizer.json object; errors name node.where() and the key.
std::unique_ptr<PreTokenizer> build_metaspace(const JsonView& node);

}  // namespace finetune
