// TokenizerParts: what a loader read from disk, before the Tokenizer is assembled.
//
// The loaders (loaders/): tokenizer_json.cpp (a `tokenizer.json`, through factory.h),
// vocab_txt.cpp (`vocab.txt`, as transformers' BertTokenizer builds it), and the other legacy
// formats. tokenizer.cpp turns the parts into the runtime pipeline. Keeping the loaders apart
// from the pipeline keeps every error message about a file in the file's loader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/json.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/pipeline.h"
#include "tokenizer/post_processors/template_processing.h"

namespace finetune {

struct TokenizerParts {
  std::string origin;                          // names the source in error messages
  std::unique_ptr<Normalizer> normalizer;      // null: none
  std::unique_ptr<PreTokenizer> pre_tokenizer;  // null: none (the whole text is one piece)
  std::unique_ptr<Model> model;                // required
  // Added tokens in file order; ids are assigned by assign_added_token_ids.
  std::vector<AddedToken> added_tokens;
  TemplateProcessing post_processor;  // default: none (no special tokens added)
  std::string pad_token = "[PAD]";
  std::vector<std::filesystem::path> source_files;
};

// Gives each added token the id HF's AddedVocabulary::add_tokens gives it: the id of an equal
// token already known (added before, or in the model vocabulary), else the next free id after
// the vocabulary. Drops empty tokens and repeated contents (the first definition stays).
void assign_added_token_ids(TokenizerParts& parts);

// The id of `token` in the added tokens (first) or the vocabulary, like HF's token_to_id.
std::optional<int32_t> find_token_id(const TokenizerParts& parts, std::string_view token);

// The loaders.
TokenizerParts parse_tokenizer_json(const Json& document, const std::string& origin);
TokenizerParts parse_vocab_txt(const std::filesystem::path& vocab, const std::filesystem::path& config);
// vocab.json + merges.txt (+ tokenizer_config.json, may be empty), as transformers' class named
// in the config (RobertaTokenizer, GPT2Tokenizer, ...) builds them (loaders/vocab_json_merges.cpp).
TokenizerParts parse_vocab_json_merges(const std::filesystem::path& vocab_json, const std::filesystem::path& merges,
                                       const std::filesystem::path& config);
// A SentencePiece model (spm.model, sentencepiece.bpe.model, spiece.model) + tokenizer_config.json
// (may be empty), as transformers' class named in the config builds it (loaders/sentencepiece.cpp).
TokenizerParts parse_sentencepiece_model(const std::filesystem::path& model, const std::filesystem::path& config);

// Reads a special-token entry of tokenizer_config.json: a string, or an AddedToken object
// {"content": ..., "lstrip": ..., ...}. Returns nullopt when absent or null.
std::optional<AddedToken> read_config_token(const JsonView& config, const std::string& key);

// Tokens that transformers 5 adds after a tokenizer class's own specials, in the order it adds
// them: added_tokens_decoder (by id), extra_special_tokens, additional_special_tokens.
void add_configured_tokens(const JsonView& settings, std::vector<AddedToken>& tokens);

}  // namespace finetune
