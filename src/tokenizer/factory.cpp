// Building pipeline components from tokenizer.json objects (see factory.h). Field defaults
// follow the serde definitions in tokenizers/src (0.23).
#include "tokenizer/factory.h"

#include <limits>

#include "core/error.h"
#include "tokenizer/models/bpe.h"
#include "tokenizer/models/unigram.h"
#include "tokenizer/models/word_level.h"
#include "tokenizer/models/wordpiece.h"
#include "tokenizer/normalizers/bert_normalizer.h"
#include "tokenizer/normalizers/precompiled.h"
#include "tokenizer/normalizers/text_normalizers.h"
#include "tokenizer/normalizers/unicode_normalizers.h"
#include "tokenizer/pre_tokenizers/basic_pre_tokenizers.h"
#include "tokenizer/pre_tokenizers/byte_level.h"
#include "tokenizer/pre_tokenizers/metaspace.h"
#include "tokenizer/token_table.h"

namespace finetune {

// ---------------------------------------------------------------------------------------------
// Shared helpers

std::string component_type(const JsonView& node) {
  node.expect_object("a tokenizer component (an object with a 'type')");
  if (!node.has("type")) throw Error(cat(node.where(), ": has no 'type'"));
  return node.get_string("type");
}

void unsupported_type(const JsonView& node, const std::string& type, const std::string& supported) {
  throw Error(cat(node.where(), ".type '", type, "' is not supported (supported: ", supported, ")"));
}

int32_t read_token_id(const Json& value, const std::string& where) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
      value.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
    throw Error(cat(where, ": expected a token id (an integer from 0 to 2^31-1), got ", value.dump()));
  }
  return static_cast<int32_t>(value.get<int64_t>());
}

JsonView child_object(const JsonView& node, const std::string& key) {
  JsonView child = node.at(key);
  if (!child.raw().is_object()) {
    throw Error(cat(node.where(), ".", key, ": expected an object, got ", json_type_phrase(child.raw())));
  }
  return JsonView(child.raw(), cat(node.where(), ".", key));
}

std::vector<JsonView> child_array(const JsonView& node, const std::string& key) {
  const Json& list = node.at(key).raw();
  if (!list.is_array()) {
    throw Error(cat(node.where(), ".", key, ": expected an array, got ", json_type_phrase(list)));
  }
  std::vector<JsonView> items;
  for (size_t i = 0; i < list.size(); ++i) items.emplace_back(list[i], cat(node.where(), ".", key, "[", i, "]"));
  return items;
}

PatternSpec read_pattern(const JsonView& node, const std::string& key) {
  const Json& pattern = node.at(key).raw();
  const std::string where = cat(node.where(), ".", key);
  if (!pattern.is_object() || pattern.size() != 1 ||
      !(pattern.contains("String") || pattern.contains("Regex")) || !pattern.begin().value().is_string()) {
    throw Error(cat(where, ": expected {\"String\": ...} or {\"Regex\": ...}, got ", pattern.dump()));
  }
  return {pattern.contains("Regex"), pattern.begin().value().get<std::string>()};
}

// ---------------------------------------------------------------------------------------------
// Normalizers

namespace {

std::unique_ptr<Normalizer> build_bert_normalizer(const JsonView& node) {
  BertNormalizerOptions options;
  options.clean_text = node.get_bool_or("clean_text", true);
  options.handle_chinese_chars = node.get_bool_or("handle_chinese_chars", true);
  options.lowercase = node.get_bool_or("lowercase", true);
  // strip_accents: null means "as lowercase" (bert.rs: strip_accents.unwrap_or(lowercase)).
  options.strip_accents = node.get_optional_bool("strip_accents").value_or(options.lowercase);
  return std::make_unique<BertNormalizer>(options);
}

std::unique_ptr<Normalizer> build_replace(const JsonView& node) {
  PatternSpec pattern = read_pattern(node, "pattern");
  std::string content = node.get_string("content");
  if (pattern.is_regex) {
    return std::make_unique<Replace>(Replace::regex(Regex(pattern.text, node.where() + ".pattern.Regex"), content));
  }
  if (pattern.text.empty()) throw Error(cat(node.where(), ".pattern.String: an empty pattern is not supported"));
  return std::make_unique<Replace>(Replace::literal(pattern.text, content));
}

}  // namespace

std::unique_ptr<Normalizer> build_normalizer(const JsonView& node) {
  const std::string type = component_type(node);
  if (type == "BertNormalizer") return build_bert_normalizer(node);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFKD);
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") {
    return std::make_unique<Strip>(node.get_bool_or("strip_left", true), node.get_bool_or("strip_right", true));
  }
  if (type == "Replace") return build_replace(node);
  if (type == "Prepend") return std::make_unique<Prepend>(node.get_string("prepend"));
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Precompiled") return build_precompiled(node);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const JsonView& step : child_array(node, "normalizers")) steps.push_back(build_normalizer(step));
    return std::make_unique<NormalizerSequence>(std::move(steps));
  }
  unsupported_type(node, type,
                   "BertNormalizer, Lowercase, NFC, NFD, NFKC, NFKD, StripAccents, Strip, Replace, Prepend, "
                   "ByteLevel, Precompiled, Sequence");
}

// ---------------------------------------------------------------------------------------------
// Pre-tokenizers

std::unique_ptr<PreTokenizer> build_pre_tokenizer(const JsonView& node) {
  const std::string type = component_type(node);
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Punctuation") {
    return std::make_unique<Punctuation>(
        parse_split_behavior(node.get_string_or("behavior", "Isolated"), node.where() + ".behavior"));
  }
  if (type == "Digits") return std::make_unique<Digits>(node.get_bool_or("individual_digits", false));
  if (type == "Split") {
    PatternSpec pattern = read_pattern(node, "pattern");
    SplitBehavior behavior = parse_split_behavior(node.get_string("behavior"), node.where() + ".behavior");
    bool invert = node.get_bool_or("invert", false);
    if (pattern.is_regex) {
      Regex regex(pattern.text, node.where() + ".pattern.Regex");
      return std::make_unique<Split>(std::move(regex), behavior, invert);
    }
    return std::make_unique<Split>(pattern.text, behavior, invert);
  }
  if (type == "ByteLevel") {
    // tokenizers requires add_prefix_space (it changes ids, so we take no default either);
    // trim_offsets only moves offsets and is ignored; use_regex defaults to true.
    const bool add_prefix_space = node.get_bool("add_prefix_space");
    node.get_bool_or("trim_offsets", true);  // type-checked only
    return std::make_unique<ByteLevel>(add_prefix_space, node.get_bool_or("use_regex", true));
  }
  if (type == "Metaspace") return build_metaspace(node);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const JsonView& step : child_array(node, "pretokenizers")) steps.push_back(build_pre_tokenizer(step));
    return std::make_unique<PreTokenizerSequence>(std::move(steps));
  }
  unsupported_type(node, type,
                   "BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits, Split, ByteLevel, Metaspace, "
                   "Sequence");
}

// ---------------------------------------------------------------------------------------------
// Models

// A {"token": id} vocabulary.
TokenTable read_vocab_map(const JsonView& node) {
  const Json& vocab = node.at("vocab").raw();
  if (!vocab.is_object()) {
    throw Error(cat(node.where(), ".vocab: expected an object (token -> id), got ", json_type_phrase(vocab)));
  }
  TokenTable table;
  table.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const Json& id = it.value();
    // The message is built only on error: this loop runs once per vocabulary entry.
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      read_token_id(id, cat(node.where(), ".vocab['", it.key(), "']"));
    }
    table.set(it.key(), static_cast<int32_t>(id.get<int64_t>()));
  }
  return table;
}

namespace {

std::unique_ptr<Model> build_wordpiece(const JsonView& node) {
  TokenTable vocab = read_vocab_map(node);
  WordPieceConfig config;
  config.unk_token = node.get_string_or("unk_token", "[UNK]");
  config.continuing_subword_prefix = node.get_string_or("continuing_subword_prefix", "##");
  int64_t max_chars = node.get_int_or("max_input_chars_per_word", 100);
  if (max_chars < 0) throw Error(cat(node.where(), ".max_input_chars_per_word: must be >= 0, got ", max_chars));
  config.max_input_chars_per_word = static_cast<size_t>(max_chars);
  if (!vocab.contains(config.unk_token)) {
    throw Error(cat(node.where(), ".unk_token: '", config.unk_token,
                    "' is not in the vocabulary (WordPiece needs it for unknown words)"));
  }
  return std::make_unique<WordPiece>(std::move(vocab), config);
}

}  // namespace

std::unique_ptr<Model> build_model(const JsonView& node) {
  node.expect_object("a tokenizer model");
  // Files written by older `tokenizers` omit model.type; serde then tries each model in turn:
  // a vocab map with `merges` is a BPE, a vocab list a Unigram, else WordPiece.
  std::string type;
  if (node.has("type")) {
    type = node.get_string("type");
  } else if (node.has("merges")) {
    type = "BPE";
  } else if (node.has("vocab") && node.raw().at("vocab").is_array()) {
    type = "Unigram";
  } else {
    type = "WordPiece";
  }
  if (type == "WordPiece") return build_wordpiece(node);
  if (type == "WordLevel") return std::make_unique<WordLevel>(read_vocab_map(node), node.get_string_or("unk_token", "<unk>"));
  if (type == "BPE") return build_bpe(node);
  if (type == "Unigram") return build_unigram(node);
  unsupported_type(node, type, "WordPiece, WordLevel, BPE, Unigram");
}

// ---------------------------------------------------------------------------------------------
// Post-processors

namespace {

// The ids of special token `name` in TemplateProcessing's special_tokens map.
std::vector<int32_t> template_special_ids(const JsonView& processor, const std::string& name) {
  const std::string where = cat(processor.where(), ".special_tokens['", name, "']");
  if (!processor.has("special_tokens") || !processor.raw().at("special_tokens").is_object() ||
      !processor.raw().at("special_tokens").contains(name)) {
    throw Error(cat(processor.where(), ": the template uses special token '", name,
                    "' that special_tokens does not define"));
  }
  const Json& entry = processor.raw().at("special_tokens").at(name);
  if (!entry.is_object() || !entry.contains("ids") || !entry.at("ids").is_array()) {
    throw Error(cat(where, ": must be an object with an 'ids' array"));
  }
  std::vector<int32_t> ids;
  for (const Json& id : entry.at("ids")) ids.push_back(read_token_id(id, where + ".ids"));
  return ids;
}

// One template, `single` ($A only) or `pair` ($A and $B).
std::vector<TemplatePiece> parse_template_pieces(const JsonView& processor, const std::string& key) {
  const bool pair = key == "pair";
  std::vector<TemplatePiece> result;
  for (const JsonView& item : child_array(processor, key)) {
    const Json& piece = item.raw();
    TemplatePiece out;
    if (piece.is_object() && piece.size() == 1 && piece.contains("SpecialToken")) {
      JsonView special(piece.at("SpecialToken"), item.where() + ".SpecialToken");
      special.expect_object("a special token piece");
      out.ids = template_special_ids(processor, special.get_string("id"));
      out.type_id = static_cast<int32_t>(special.get_int_or("type_id", 0));
    } else if (piece.is_object() && piece.size() == 1 && piece.contains("Sequence")) {
      JsonView sequence(piece.at("Sequence"), item.where() + ".Sequence");
      sequence.expect_object("a sequence piece");
      std::string id = sequence.get_string("id");
      if (id != "A" && !(pair && id == "B")) {
        throw Error(cat(item.where(), ": the ", pair ? "pair" : "single-sequence", " template refers to sequence '", id,
                        pair ? "' (a pair has 'A' and 'B')" : "' (only 'A' exists for one sequence)"));
      }
      out.is_sequence = true;
      out.sequence = id == "B" ? 1 : 0;
      out.type_id = static_cast<int32_t>(sequence.get_int_or("type_id", 0));
    } else {
      throw Error(cat(item.where(), ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, got ", piece.dump()));
    }
    result.push_back(std::move(out));
  }
  return result;
}

// BertProcessing / RobertaProcessing {"sep": ["[SEP]", 102], "cls": ["[CLS]", 101]}.
int32_t processing_token_id(const JsonView& node, const std::string& key) {
  const Json& pair = node.at(key).raw();
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
    throw Error(cat(node.where(), ".", key, ": must be [token, id], got ", pair.dump()));
  }
  return read_token_id(pair[1], cat(node.where(), ".", key, "[1]"));
}

}  // namespace

TemplateProcessing build_post_processor(const JsonView& node) {
  const std::string type = component_type(node);
  if (type == "TemplateProcessing") {
    std::vector<TemplatePiece> single = parse_template_pieces(node, "single");
    // tokenizers always serialises `pair`; a hand-written file without it concatenates pairs.
    std::vector<TemplatePiece> pair;
    if (node.has("pair")) pair = parse_template_pieces(node, "pair");
    return TemplateProcessing(std::move(single), std::move(pair));
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    // Read in a fixed order (function arguments have none), so a file missing both names cls.
    const int32_t cls = processing_token_id(node, "cls");
    const int32_t sep = processing_token_id(node, "sep");
    return type == "BertProcessing" ? TemplateProcessing::bert(cls, sep) : TemplateProcessing::roberta(cls, sep);
  }
  if (type == "ByteLevel") return TemplateProcessing();  // offsets only
  if (type == "Sequence") {
    TemplateProcessing result;
    bool adds_tokens = false;
    for (const JsonView& step : child_array(node, "processors")) {
      TemplateProcessing member = build_post_processor(step);
      if (!member.has_single() && !member.has_pair()) continue;
      if (adds_tokens) {
        throw Error(cat(step.where(), ": a Sequence with two post-processors that add special tokens is not supported"));
      }
      adds_tokens = true;
      result = std::move(member);
    }
    return result;
  }
  unsupported_type(node, type, "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
}

}  // namespace finetune
