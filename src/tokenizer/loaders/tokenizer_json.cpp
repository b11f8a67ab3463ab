// Loading `tokenizer.json`, the file Hugging Face `tokenizers` serializes a Tokenizer to.
//
// The model, normalizer, pre_tokenizer and post_processor objects go through the factory
// (factory.h), which refuses any component type or option we do not implement with its JSON
// path. `truncation` and `padding` are ignored (transformers ignores them too and sets both per
// call; padding only names the pad token), and so is `decoder` (we never decode).
#include "core/error.h"
#include "tokenizer/factory.h"
#include "tokenizer/tokenizer_parts.h"

namespace finetune {
namespace {

// The object at `key`, or nullopt when the key is absent or null.
std::optional<JsonView> optional_object(const JsonView& root, const std::string& key) {
  if (!root.has(key)) return std::nullopt;
  const Json& value = root.raw().at(key);
  if (!value.is_object()) {
    throw Error(cat(root.where(), ": '", key, "' must be an object or null, got ", json_type_phrase(value)));
  }
  return JsonView(value, cat(root.where(), ": ", key));
}

void parse_added_tokens(const JsonView& root, TokenizerParts& parts) {
  if (!root.has("added_tokens")) return;
  const Json& list = root.raw().at("added_tokens");
  if (!list.is_array()) {
    throw Error(cat(root.where(), ": added_tokens must be an array, got ", json_type_phrase(list)));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    JsonView entry(list[i], cat(root.where(), ": added_tokens[", i, "]"));
    entry.expect_object("an added token");
    AddedToken token;
    token.content = entry.get_string("content");
    token.special = entry.get_bool_or("special", false);
    token.single_word = entry.get_bool_or("single_word", false);
    token.lstrip = entry.get_bool_or("lstrip", false);
    token.rstrip = entry.get_bool_or("rstrip", false);
    token.normalized = entry.get_bool_or("normalized", !token.special);
    parts.added_tokens.push_back(std::move(token));
  }
}

}  // namespace

TokenizerParts parse_tokenizer_json(const Json& document, const std::string& origin) {
  JsonView root(document, origin);
  root.expect_object("a tokenizer.json document");
  TokenizerParts parts;
  parts.origin = origin;
  auto model = optional_object(root, "model");
  if (!model) throw Error(cat(origin, ": 'model' is missing"));
  parts.model = build_model(*model);
  if (auto normalizer = optional_object(root, "normalizer")) parts.normalizer = build_normalizer(*normalizer);
  if (auto pre_tokenizer = optional_object(root, "pre_tokenizer")) {
    parts.pre_tokenizer = build_pre_tokenizer(*pre_tokenizer);
  }
  parse_added_tokens(root, parts);
  assign_added_token_ids(parts);
  if (auto processor = optional_object(root, "post_processor")) parts.post_processor = build_post_processor(*processor);
  if (auto padding = optional_object(root, "padding")) {
    parts.pad_token = padding->get_string_or("pad_token", parts.pad_token);
  }
  return parts;
}

}  // namespace finetune
