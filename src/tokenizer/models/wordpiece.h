// WordPiece: one pre-tokenized word -> vocabulary ids.
//
// The rules of tokenizers/src/models/wordpiece/mod.rs (`tokenize`): a word of more than
// max_input_chars_per_word characters (code points, after normalization) is the unknown token;
// otherwise the word is cut greedily, longest match first, from the left: the first piece is
// looked up as is, every later piece with the continuing-subword prefix ("##") in front. If some
// position has no match at all, the whole word becomes the single unknown token.
//
// Two lookups keep it allocation-free: the full vocabulary for first pieces and a second table
// holding the prefixed tokens keyed without their prefix, for later pieces. Candidates longer than
// the longest token are never looked up (they cannot match), which does not change the result.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/pipeline.h"
#include "tokenizer/token_table.h"

namespace finetune {

struct WordPieceConfig {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

class WordPiece final : public Model {
 public:
  WordPiece() = default;
  // The unknown token must be in the vocabulary (checked by the loaders, which name the file).
  WordPiece(TokenTable vocab, WordPieceConfig config);

  // Appends the ids of `word` (non-empty, valid UTF-8) to `ids`.
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
  void for_each_token(const std::function<void(std::string_view, int32_t)>& f) const override { vocab_.for_each(f); }
  size_t vocab_size() const override { return vocab_.size(); }

  const TokenTable& vocab() const { return vocab_; }
  const WordPieceConfig& config() const { return config_; }
  int32_t unk_id() const { return unk_id_; }

 private:
  TokenTable vocab_;
  TokenTable continuation_;  // tokens that start with the prefix, keyed without it
  WordPieceConfig config_;
  int32_t unk_id_ = TokenTable::kMissing;
};

}  // namespace finetune
