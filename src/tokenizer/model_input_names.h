// Which inputs the model's tokenizer returns: transformers' `model_input_names`.
//
// `finetune tokenize` prints "token_type_ids" exactly when `transformers.AutoTokenizer` of the
// same directory returns them. transformers (5.x) decides it per tokenizer class: the class
// attribute `model_input_names` (PreTrainedTokenizerBase's default is input_ids and
// attention_mask; BertTokenizer, DebertaV2Tokenizer and a few others add token_type_ids),
// overridden by a `model_input_names` entry of tokenizer_config.json. The class is the
// config's `tokenizer_class` (an "...Fast" name means the same class), else the one
// AutoTokenizer maps config.json's `model_type` to (distilbert and electra map to
// BertTokenizer, so they return token types).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace finetune {

// The input names for the tokenizer in `directory` (reads tokenizer_config.json and
// config.json when present; a malformed file is an Error naming it).
std::vector<std::string> resolve_model_input_names(const std::filesystem::path& directory);

// PreTrainedTokenizerBase's default: {"input_ids", "attention_mask"}.
std::vector<std::string> default_model_input_names();

}  // namespace finetune
