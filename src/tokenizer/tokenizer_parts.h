// TokenizerParts: what a loader read from disk, before the Tokenizer is assembled.
//
// Two loaders fill it: tokenizer_json.cpp (a `tokenizer.json`) and vocab_txt.cpp (`vocab.txt` +
// `tokenizer_config.json`, converted as transformers' BertTokenizer does). tokenizer.cpp turns
// it into the runtime pipeline. Keeping the loaders apart from the pipeline keeps every error
// message about a file in the file's loader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/json.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/token_table.h"
#include "tokenizer/wordpiece.h"

namespace finetune {

// One element of a TemplateProcessing template: either a sequence ($A, or $B in the pair
// template) or special tokens (one template entry may stand for several ids), with its type id.
struct TemplatePiece {
  bool is_sequence = false;
  std::vector<int32_t> ids;
  int32_t type_id = 0;
  int sequence = 0;  // for a sequence piece: 0 is $A, 1 is $B
};

struct TokenizerParts {
  std::string origin;  // names the source in error messages
  TokenTable vocab;
  WordPieceConfig wordpiece;
  std::optional<BertNormalizerOptions> normalizer;  // nullopt: no normalizer
  bool bert_pre_tokenizer = true;                   // false: no pre-tokenizer (one word)
  // Added tokens in file order; ids are assigned by assign_added_token_ids.
  std::vector<AddedToken> added_tokens;
  // The single-sequence template; empty: no post-processor (no special tokens added).
  std::vector<TemplatePiece> single_template;
  // The pair template ($A and $B); empty: no post-processor.
  std::vector<TemplatePiece> pair_template;
  std::string pad_token = "[PAD]";
  std::vector<std::filesystem::path> source_files;
};

// Gives each added token the id HF's AddedVocabulary::add_tokens gives it: the id of an equal
// token already known (added before, or in the model vocabulary), else the next free id after
// the vocabulary. Drops empty tokens and repeated contents (the first definition stays).
void assign_added_token_ids(TokenizerParts& parts);

// The id of `token` in the added tokens (first) or the vocabulary, like HF's token_to_id.
std::optional<int32_t> find_token_id(const TokenizerParts& parts, std::string_view token);

// The two loaders (tokenizer_json.cpp and vocab_txt.cpp).
TokenizerParts parse_tokenizer_json(const Json& document, const std::string& origin);
TokenizerParts parse_vocab_txt(const std::filesystem::path& vocab,
                               const std::filesystem::path& config);

// Reads a special-token entry of tokenizer_config.json: a string, or an AddedToken object
// {"content": ..., "lstrip": ..., ...}. Returns nullopt when absent or null.
std::optional<AddedToken> read_config_token(const JsonView& config, const std::string& key);

}  // namespace finetune
