// Loading `tokenizer.json`, the file Hugging Face `tokenizers` serializes a Tokenizer to.
//
// Supported (the BERT family): model WordPiece; normalizer BertNormalizer or null;
// pre_tokenizer BertPreTokenizer or null; post_processor TemplateProcessing, BertProcessing or
// null; added_tokens. `truncation` and `padding` are ignored (transformers ignores them too and
// sets both per call), and so is `decoder` (we never decode). Anything else is rejected with an
// Error naming the file, the JSON key and the type, so a user learns at load time, not from
// silently different ids. Field defaults follow the serde definitions in tokenizers/src.
#include <limits>

#include "core/error.h"
#include "tokenizer/tokenizer_parts.h"

namespace finetune {
namespace {

// The object at `key`, or nullopt when the key is absent or null.
std::optional<JsonView> optional_object(const JsonView& root, const std::string& key,
                                        const std::string& origin) {
  if (!root.has(key)) return std::nullopt;
  const Json& value = root.raw().at(key);
  if (!value.is_object()) {
    throw Error(
        cat(origin, ": '", key, "' must be an object or null, got ", json_type_phrase(value)));
  }
  return JsonView(value, cat(origin, ": ", key));
}

[[noreturn]] void unsupported(const std::string& origin, const std::string& key,
                              const std::string& type, const std::string& supported) {
  throw Error(
      cat(origin, ": ", key, ".type '", type, "' is not supported (supported: ", supported, ")"));
}

std::string component_type(const JsonView& component, const std::string& origin,
                           const std::string& key) {
  if (!component.has("type")) throw Error(cat(origin, ": ", key, " has no 'type'"));
  return component.get_string("type");
}

bool is_token_id(const Json& value) {
  if (!value.is_number_integer()) return false;
  auto id = value.get<int64_t>();
  return id >= 0 && id <= std::numeric_limits<int32_t>::max();
}

[[noreturn]] void bad_id(const Json& value, const std::string& origin, const std::string& what) {
  throw Error(cat(origin, ": ", what, ": expected a token id (an integer from 0 to 2^31-1), got ",
                  value.dump()));
}

int32_t read_id(const Json& value, const std::string& origin, const std::string& what) {
  if (!is_token_id(value)) bad_id(value, origin, what);
  return static_cast<int32_t>(value.get<int64_t>());
}

void parse_model(const JsonView& root, const std::string& origin, TokenizerParts& parts) {
  auto model = optional_object(root, "model", origin);
  if (!model) throw Error(cat(origin, ": 'model' is missing"));
  // Files written by older `tokenizers` omit model.type; serde then tries each model in turn,
  // and a vocab map without `merges` is a WordPiece.
  std::string type;
  if (model->has("type")) {
    type = model->get_string("type");
  } else {
    type = model->has("merges") ? "BPE" : "WordPiece";
  }
  if (type != "WordPiece") unsupported(origin, "model", type, "WordPiece");

  const Json& vocab = model->at("vocab").raw();
  if (!vocab.is_object()) {
    throw Error(cat(origin, ": model.vocab must be an object (token -> id), got ",
                    json_type_phrase(vocab)));
  }
  parts.vocab.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    // The message is built only on error: this loop runs once per vocabulary entry.
    if (!is_token_id(it.value())) bad_id(it.value(), origin, cat("model.vocab['", it.key(), "']"));
    parts.vocab.set(it.key(), static_cast<int32_t>(it.value().get<int64_t>()));
  }
  parts.wordpiece.unk_token = model->get_string_or("unk_token", "[UNK]");
  parts.wordpiece.continuing_subword_prefix =
      model->get_string_or("continuing_subword_prefix", "##");
  int64_t max_chars = model->get_int_or("max_input_chars_per_word", 100);
  if (max_chars < 0) {
    throw Error(cat(origin, ": model.max_input_chars_per_word must be >= 0, got ", max_chars));
  }
  parts.wordpiece.max_input_chars_per_word = static_cast<size_t>(max_chars);
  if (!parts.vocab.contains(parts.wordpiece.unk_token)) {
    throw Error(cat(origin, ": model.unk_token '", parts.wordpiece.unk_token,
                    "' is not in model.vocab (WordPiece needs it for unknown words)"));
  }
}

void parse_normalizer(const JsonView& root, const std::string& origin, TokenizerParts& parts) {
  auto normalizer = optional_object(root, "normalizer", origin);
  if (!normalizer) return;
  std::string type = component_type(*normalizer, origin, "normalizer");
  if (type != "BertNormalizer") unsupported(origin, "normalizer", type, "BertNormalizer");
  BertNormalizerOptions options;
  options.clean_text = normalizer->get_bool_or("clean_text", true);
  options.handle_chinese_chars = normalizer->get_bool_or("handle_chinese_chars", true);
  options.lowercase = normalizer->get_bool_or("lowercase", true);
  // strip_accents: null means "as lowercase" (bert.rs: strip_accents.unwrap_or(lowercase)).
  options.strip_accents =
      normalizer->get_optional_bool("strip_accents").value_or(options.lowercase);
  parts.normalizer = options;
}

void parse_pre_tokenizer(const JsonView& root, const std::string& origin, TokenizerParts& parts) {
  auto pre_tokenizer = optional_object(root, "pre_tokenizer", origin);
  parts.bert_pre_tokenizer = pre_tokenizer.has_value();
  if (!pre_tokenizer) return;
  std::string type = component_type(*pre_tokenizer, origin, "pre_tokenizer");
  if (type != "BertPreTokenizer") unsupported(origin, "pre_tokenizer", type, "BertPreTokenizer");
}

void parse_added_tokens(const JsonView& root, const std::string& origin, TokenizerParts& parts) {
  if (!root.has("added_tokens")) return;
  const Json& list = root.raw().at("added_tokens");
  if (!list.is_array()) {
    throw Error(cat(origin, ": added_tokens must be an array, got ", json_type_phrase(list)));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    JsonView entry(list[i], cat(origin, ": added_tokens[", i, "]"));
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

// The ids of special token `name` in TemplateProcessing's special_tokens map.
std::vector<int32_t> template_special_ids(const JsonView& processor, const std::string& origin,
                                          const std::string& name) {
  std::string where = cat("post_processor.special_tokens['", name, "']");
  if (!processor.has("special_tokens") || !processor.raw().at("special_tokens").is_object() ||
      !processor.raw().at("special_tokens").contains(name)) {
    throw Error(cat(origin, ": post_processor template uses special token '", name,
                    "' that post_processor.special_tokens does not define"));
  }
  const Json& entry = processor.raw().at("special_tokens").at(name);
  if (!entry.is_object() || !entry.contains("ids") || !entry.at("ids").is_array()) {
    throw Error(cat(origin, ": ", where, " must be an object with an 'ids' array"));
  }
  std::vector<int32_t> ids;
  for (const Json& id : entry.at("ids")) ids.push_back(read_id(id, origin, where + ".ids"));
  return ids;
}

// One template, `single` ($A only) or `pair` ($A and $B).
std::vector<TemplatePiece> parse_template_pieces(const JsonView& processor, const std::string& origin,
                                                 const std::string& key) {
  const bool pair = key == "pair";
  const Json& pieces = processor.at(key).raw();
  if (!pieces.is_array()) {
    throw Error(cat(origin, ": post_processor.", key, " must be an array, got ", json_type_phrase(pieces)));
  }
  std::vector<TemplatePiece> result;
  for (size_t i = 0; i < pieces.size(); ++i) {
    std::string where = cat(origin, ": post_processor.", key, "[", i, "]");
    const Json& piece = pieces[i];
    TemplatePiece out;
    if (piece.is_object() && piece.size() == 1 && piece.contains("SpecialToken")) {
      JsonView special(piece.at("SpecialToken"), where + ".SpecialToken");
      special.expect_object("a special token piece");
      out.ids = template_special_ids(processor, origin, special.get_string("id"));
      out.type_id = static_cast<int32_t>(special.get_int_or("type_id", 0));
    } else if (piece.is_object() && piece.size() == 1 && piece.contains("Sequence")) {
      JsonView sequence(piece.at("Sequence"), where + ".Sequence");
      sequence.expect_object("a sequence piece");
      std::string id = sequence.get_string("id");
      if (id != "A" && !(pair && id == "B")) {
        throw Error(cat(where, ": the ", pair ? "pair" : "single-sequence", " template refers to sequence '", id,
                        pair ? "' (a pair has 'A' and 'B')" : "' (only 'A' exists for one sequence)"));
      }
      out.is_sequence = true;
      out.sequence = id == "B" ? 1 : 0;
      out.type_id = static_cast<int32_t>(sequence.get_int_or("type_id", 0));
    } else {
      throw Error(cat(where, ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, got ", piece.dump()));
    }
    result.push_back(std::move(out));
  }
  return result;
}

void parse_template(const JsonView& processor, const std::string& origin, TokenizerParts& parts) {
  parts.single_template = parse_template_pieces(processor, origin, "single");
  // tokenizers always serialises `pair`; a hand-written file without it cannot encode pairs.
  if (processor.has("pair")) parts.pair_template = parse_template_pieces(processor, origin, "pair");
}

// BertProcessing {"sep": ["[SEP]", 102], "cls": ["[CLS]", 101]}: [CLS] A [SEP], all type 0.
void parse_bert_processing(const JsonView& processor, const std::string& origin,
                           TokenizerParts& parts) {
  auto id_of = [&](const std::string& key) {
    const Json& pair = processor.at(key).raw();
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
      throw Error(cat(origin, ": post_processor.", key, " must be [token, id], got ", pair.dump()));
    }
    return read_id(pair[1], origin, cat("post_processor.", key, "[1]"));
  };
  const int32_t cls = id_of("cls"), sep = id_of("sep");
  parts.single_template = {{false, {cls}, 0}, {true, {}, 0}, {false, {sep}, 0}};
  // BertProcessing's pair: [CLS] A [SEP] B [SEP], types 0 for [CLS] A [SEP], 1 for B [SEP].
  parts.pair_template = {{false, {cls}, 0}, {true, {}, 0, 0}, {false, {sep}, 0}, {true, {}, 1, 1}, {false, {sep}, 1}};
}

void parse_post_processor(const JsonView& root, const std::string& origin, TokenizerParts& parts) {
  auto processor = optional_object(root, "post_processor", origin);
  if (!processor) return;
  std::string type = component_type(*processor, origin, "post_processor");
  if (type == "TemplateProcessing") {
    parse_template(*processor, origin, parts);
  } else if (type == "BertProcessing") {
    parse_bert_processing(*processor, origin, parts);
  } else {
    unsupported(origin, "post_processor", type, "TemplateProcessing, BertProcessing");
  }
}

}  // namespace

TokenizerParts parse_tokenizer_json(const Json& document, const std::string& origin) {
  JsonView root(document, origin);
  root.expect_object("a tokenizer.json document");
  TokenizerParts parts;
  parts.origin = origin;
  parse_model(root, origin, parts);
  parse_normalizer(root, origin, parts);
  parse_pre_tokenizer(root, origin, parts);
  parse_added_tokens(root, origin, parts);
  assign_added_token_ids(parts);
  parse_post_processor(root, origin, parts);
  // The padding section is ignored, but it names the pad token when there is one.
  if (auto padding = optional_object(root, "padding", origin)) {
    parts.pad_token = padding->get_string_or("pad_token", parts.pad_token);
  }
  return parts;
}

}  // namespace finetune
