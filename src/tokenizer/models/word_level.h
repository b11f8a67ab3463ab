// WordLevel: each pre-tokenized piece is looked up whole (tokenizers/src/models/wordlevel).
//
// A piece not in the vocabulary is the unknown token; HF fails the whole encode when the unknown
// token itself is missing from the vocabulary, and so do we (an Error naming it).
#pragma once

#include <string>

#include "tokenizer/pipeline.h"
#include "tokenizer/token_table.h"

namespace finetune {

class WordLevel final : public Model {
 public:
  WordLevel(TokenTable vocab, std::string unk_token);
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
  void for_each_token(const std::function<void(std::string_view, int32_t)>& f) const override { vocab_.for_each(f); }
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  TokenTable vocab_;
  std::string unk_token_;
  int32_t unk_id_;
};

}  // namespace finetune
