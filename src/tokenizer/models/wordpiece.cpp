// WordPiece greedy longest-match-first (see wordpiece.h for the rules and their source).
#include "tokenizer/models/wordpiece.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace finetune {

WordPiece::WordPiece(TokenTable vocab, WordPieceConfig config)
    : vocab_(std::move(vocab)), config_(std::move(config)) {
  unk_id_ = vocab_.find(config_.unk_token);
  FT_CHECK(unk_id_ != TokenTable::kMissing, "WordPiece built without its unknown token");
  const std::string_view prefix = config_.continuing_subword_prefix;
  continuation_.reserve(vocab_.size() / 4);
  vocab_.for_each([&](std::string_view token, int32_t id) {
    if (token.size() >= prefix.size() && token.substr(0, prefix.size()) == prefix) {
      continuation_.set(token.substr(prefix.size()), id);
    }
  });
}

void WordPiece::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (utf8::count_chars(word) > config_.max_input_chars_per_word) {
    ids.push_back(unk_id_);
    return;
  }
  const size_t mark = ids.size();
  const size_t n = word.size();
  size_t start = 0;
  while (start < n) {
    const TokenTable& table = start == 0 ? vocab_ : continuation_;
    // HF tries end = len first and steps back one character at a time; ends further than the
    // longest token from `start` can never match, so begin at the last one that could.
    size_t end = std::min(n, start + table.max_token_bytes());
    while (end < n && end > start && utf8::is_continuation(static_cast<unsigned char>(word[end]))) {
      --end;
    }
    int32_t id = TokenTable::kMissing;
    while (end > start) {
      id = table.find(word.substr(start, end - start));
      if (id != TokenTable::kMissing) break;
      do {
        --end;
      } while (end > start && utf8::is_continuation(static_cast<unsigned char>(word[end])));
    }
    if (id == TokenTable::kMissing) {
      ids.resize(mark);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(id);
    start = end;
  }
}

}  // namespace finetune
