// WordLevel (see word_level.h).
#include "tokenizer/models/word_level.h"

#include "core/error.h"

namespace finetune {

WordLevel::WordLevel(TokenTable vocab, std::string unk_token)
    : vocab_(std::move(vocab)), unk_token_(std::move(unk_token)), unk_id_(vocab_.find(unk_token_)) {}

void WordLevel::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  int32_t id = vocab_.find(word);
  if (id == TokenTable::kMissing) {
    if (unk_id_ == TokenTable::kMissing) {
      throw Error(cat("WordLevel: '", word, "' is not in the vocabulary and neither is the unknown token '",
                      unk_token_, "'"));
    }
    id = unk_id_;
  }
  ids.push_back(id);
}

}  // namespace finetune
