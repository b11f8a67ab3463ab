// The tokenizer transformers 5.24 builds from a SentencePiece model + tokenizer_config.json.
//
// Mirrors, step by step (file names under transformers/):
//   tokenization_utils_base.py  PreTrainedTokenizerBase._from_pretrained: tokenizer_config.json
//       becomes the keyword arguments; additional_special_tokens is renamed extra_special_tokens;
//       custom "*_token" keys and a dict of extra_special_tokens become model-specific named
//       tokens; without added_tokens_decoder, special_tokens_map.json overrides the config and
//       added_tokens.json supplies added_tokens_decoder.
//   tokenization_utils_tokenizers.py  TokenizersBackend._convert_from_sentencepiece, with
//       convert_slow_tokenizer.py SentencePieceExtractor.extract: the pieces (piece, score) in
//       file order, trainer_spec.unk_id, the CONTROL and USER_DEFINED pieces as
//       additional_special_tokens, the precompiled charsmap; then the class converter's
//       convert_from_spm (XLMRobertaConverter, CamembertConverter) rearranges the vocabulary.
//   models/{albert,camembert,deberta_v2,xlm_roberta}/tokenization_*.py  the class __init__:
//       Unigram model, normalizer, pre-tokenizer, decoder, post-processor.
//   tokenization_utils_tokenizers.py  TokenizersBackend.__init__: the added tokens, in the order
//       added_tokens_decoder (by id), named special tokens (bos, eos, unk, sep, pad, cls, mask,
//       then model-specific ones), extra special tokens; and, for a class that sets its
//       post-processor before that (ALBERT), update_post_processor when the config has
//       add_bos_token / add_eos_token.
//   tokenizers (Rust) AddedVocabulary::add_tokens: a token gets the id of an equal token already
//       known (added or in the vocabulary), else the next id after the vocabulary; adding a
//       content again with other flags replaces the flags (the id stays).
// What each step does was checked against transformers itself; tools/make_spm_pipeline_goldens.py
// records the result for the fixtures and for configurations that exercise each rule, and
// tests/tokenizer/sentencepiece_loader_test.cpp compares this file's output with it.
//
// The SentencePiece model type does not matter to these four classes: each builds a Unigram
// model from the pieces and their scores whatever algorithm trained them (CamemBERT's converter
// fails on a non-Unigram model, and so do we).
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "core/error.h"
#include "io/file.h"
#include "tokenizer/loaders/sentencepiece.h"
#include "tokenizer/tokenizer_parts.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;

const std::string kMetaspace = "\xE2\x96\x81";  // U+2581, SentencePiece's word-boundary mark

// The seven named special tokens, in PreTrainedTokenizerBase.SPECIAL_TOKENS_ATTRIBUTES order:
// the order in which TokenizersBackend adds them.
const std::vector<std::string> kNamedKeys = {"bos_token", "eos_token", "unk_token", "sep_token",
                                             "pad_token", "cls_token", "mask_token"};

bool is_named_key(const std::string& key) {
  return std::find(kNamedKeys.begin(), kNamedKeys.end(), key) != kNamedKeys.end();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The charsmap goes into the Precompiled object base64-encoded, as in tokenizer.json (OpenSSL's
// encoder; the Precompiled normalizer decodes with OpenSSL too).
std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The keyword arguments: tokenizer_config.json (+ special_tokens_map.json), with the file each
// key came from for messages, and the keys in file order (nlohmann::json sorts its keys; where
// the order decides which new token gets which id, transformers follows the file).

class Settings {
 public:
  void load(const fs::path& file, const std::string& where) {
    const std::string text = read_file(file);
    values_ = parse_json_text(text, where);
    JsonView(values_, where).expect_object("a tokenizer configuration");
    order_ = key_order(text);
    for (const std::string& key : order_) source_[key] = where;
    default_source_ = where;
  }
  void set_default_source(const std::string& where) { default_source_ = where; }

  // File order of the top-level keys (and of the members of one object-valued key).
  static std::vector<std::string> key_order(const std::string& text,
                                            const std::string& member = "") {
    nlohmann::ordered_json ordered =
        nlohmann::ordered_json::parse(text);  // already parsed once: valid
    const nlohmann::ordered_json* object = &ordered;
    if (!member.empty()) object = &ordered.at(member);
    std::vector<std::string> keys;
    if (object->is_object()) {
      for (auto it = object->begin(); it != object->end(); ++it) keys.push_back(it.key());
    }
    return keys;
  }

  bool contains(const std::string& key) const { return values_.contains(key); }
  bool has(const std::string& key) const { return contains(key) && !values_.at(key).is_null(); }
  const Json& raw(const std::string& key) const { return values_.at(key); }
  const std::vector<std::string>& order() const { return order_; }
  std::string where(const std::string& key) const {
    auto it = source_.find(key);
    return it == source_.end() ? default_source_ : it->second;
  }
  JsonView view(const std::string& key) const { return JsonView(values_, where(key)); }
  bool get_bool_or(const std::string& key, bool fallback) const {
    return view(key).get_bool_or(key, fallback);
  }

  void set(const std::string& key, Json value, const std::string& where) {
    if (!values_.contains(key)) order_.push_back(key);
    values_[key] = std::move(value);
    source_[key] = where;
  }
  void erase(const std::string& key) {
    values_.erase(key);
    order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
  }

 private:
  Json values_ = Json::object();
  std::vector<std::string> order_;
  std::map<std::string, std::string> source_;
  std::string default_source_ = "tokenizer_config.json";
};

// Python's truthiness of a JSON value (transformers tests `not kwargs.get(...)`).
bool truthy(const Json& value) {
  if (value.is_null()) return false;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0;
  if (value.is_string() || value.is_array() || value.is_object()) return !value.empty();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Tokens before they are added. Python's AddedToken leaves `normalized` open until the token is
// built, then takes "not special"; transformers sets `special` on some tokens first (named ones),
// so the open flag is kept until then.

struct TokenSpec {
  std::string content;
  bool from_string = false;        // given as a plain string: special, not normalized
  std::optional<bool> special;     // as written (objects only)
  std::optional<bool> normalized;  // as written
  bool lstrip = false, rstrip = false, single_word = false;
  Json raw;  // the value as written, for transformers' `in` tests
};

// A token given as a string or as an AddedToken object ({"content": ..., "lstrip": ..., ...},
// with or without transformers' "__type": "AddedToken").
TokenSpec read_token(const Json& value, const std::string& where) {
  TokenSpec spec;
  spec.raw = value;
  if (value.is_string()) {
    spec.content = value.get<std::string>();
    spec.from_string = true;
    return spec;
  }
  if (!value.is_object()) {
    throw Error(cat(where, ": expected a token (a string or an object with 'content'), got ",
                    json_type_phrase(value)));
  }
  JsonView entry(value, where);
  spec.content = entry.get_string("content");
  spec.special = entry.get_optional_bool("special");
  spec.normalized = entry.get_optional_bool("normalized");
  spec.lstrip = entry.get_bool_or("lstrip", false);
  spec.rstrip = entry.get_bool_or("rstrip", false);
  spec.single_word = entry.get_bool_or("single_word", false);
  return spec;
}

// The AddedToken transformers builds: strings are AddedToken(content, special=True); a token
// whose content is a named special token is made special (TokenizersBackend.__init__).
AddedToken build_token(const TokenSpec& spec, bool force_special) {
  AddedToken token;
  token.content = spec.content;
  token.special = spec.from_string || force_special || spec.special.value_or(false);
  token.normalized = spec.normalized.value_or(!token.special);
  token.lstrip = spec.lstrip;
  token.rstrip = spec.rstrip;
  token.single_word = spec.single_word;
  return token;
}

// ---------------------------------------------------------------------------------------------
// The classes.

enum class SpmClass { Albert, Camembert, DebertaV2, XlmRoberta };

struct ClassChoice {
  SpmClass kind;
  std::string name;  // as written, for messages
};

const std::string kSupportedClasses =
    "AlbertTokenizer, CamembertTokenizer, DebertaV2Tokenizer, XLMRobertaTokenizer (each also with "
    "'Fast')";

std::optional<SpmClass> class_by_name(std::string name) {
  if (ends_with(name, "Fast")) name.resize(name.size() - 4);
  if (name == "AlbertTokenizer") return SpmClass::Albert;
  if (name == "CamembertTokenizer") return SpmClass::Camembert;
  if (name == "DebertaV2Tokenizer") return SpmClass::DebertaV2;
  if (name == "XLMRobertaTokenizer") return SpmClass::XlmRoberta;
  return std::nullopt;
}

const char* class_name(SpmClass kind) {
  switch (kind) {
    case SpmClass::Albert:
      return "AlbertTokenizer";
    case SpmClass::Camembert:
      return "CamembertTokenizer";
    case SpmClass::DebertaV2:
      return "DebertaV2Tokenizer";
    case SpmClass::XlmRoberta:
      return "XLMRobertaTokenizer";
  }
  return "?";
}

// transformers' TOKENIZER_MAPPING for the model types whose tokenizer is one of the four.
std::optional<SpmClass> class_by_model_type(const std::string& model_type) {
  if (model_type == "albert") return SpmClass::Albert;
  if (model_type == "camembert") return SpmClass::Camembert;
  if (model_type == "deberta-v2") return SpmClass::DebertaV2;
  if (model_type == "xlm-roberta") return SpmClass::XlmRoberta;
  return std::nullopt;
}

// AutoTokenizer's choice: tokenizer_config.json's tokenizer_class, else config.json's
// tokenizer_class, else the tokenizer of config.json's model_type.
ClassChoice choose_class(const Settings& settings, bool has_config, const fs::path& model,
                         const fs::path& config) {
  auto unsupported = [&](const std::string& where, const std::string& what) -> ClassChoice {
    throw Error(cat(where, ": ", what, " is not supported with a SentencePiece model (",
                    model.filename().string(),
                    ") and no tokenizer.json; supported: ", kSupportedClasses));
  };
  if (has_config && settings.has("tokenizer_class")) {
    std::string name = settings.view("tokenizer_class").get_string("tokenizer_class");
    if (auto kind = class_by_name(name)) return {*kind, name};
    return unsupported(cat(settings.where("tokenizer_class"), ": key 'tokenizer_class'"),
                       cat("'", name, "'"));
  }
  const fs::path model_config = model.parent_path() / "config.json";
  if (fs::is_regular_file(model_config)) {
    Json document = parse_json_file(model_config);
    JsonView view(document, model_config.string());
    view.expect_object("a model configuration");
    if (view.has("tokenizer_class")) {
      std::string name = view.get_string("tokenizer_class");
      if (auto kind = class_by_name(name)) return {*kind, name};
      return unsupported(cat(model_config.string(), ": key 'tokenizer_class'"),
                         cat("'", name, "'"));
    }
    if (view.has("model_type")) {
      std::string type = view.get_string("model_type");
      if (auto kind = class_by_model_type(type)) return {*kind, class_name(*kind)};
      return unsupported(cat(model_config.string(), ": key 'model_type'"),
                         cat("model_type '", type, "'"));
    }
  }
  throw Error(cat(model.string(),
                  ": cannot tell which tokenizer class this SentencePiece model is for: ",
                  has_config ? config.string() + " has no tokenizer_class"
                             : std::string("there is no tokenizer_config.json"),
                  " and there is no config.json with a model_type beside it (transformers cannot "
                  "load it either); "
                  "add \"tokenizer_class\" to tokenizer_config.json, one of ",
                  kSupportedClasses));
}

std::map<std::string, std::string> named_defaults(SpmClass kind) {
  switch (kind) {
    case SpmClass::Albert:
      return {{"bos_token", "[CLS]"},  {"eos_token", "[SEP]"}, {"unk_token", "<unk>"},
              {"sep_token", "[SEP]"},  {"pad_token", "<pad>"}, {"cls_token", "[CLS]"},
              {"mask_token", "[MASK]"}};
    case SpmClass::DebertaV2:
      return {{"bos_token", "[CLS]"},  {"eos_token", "[SEP]"}, {"unk_token", "[UNK]"},
              {"sep_token", "[SEP]"},  {"pad_token", "[PAD]"}, {"cls_token", "[CLS]"},
              {"mask_token", "[MASK]"}};
    case SpmClass::Camembert:
    case SpmClass::XlmRoberta:
      return {{"bos_token", "<s>"},    {"eos_token", "</s>"},  {"unk_token", "<unk>"},
              {"sep_token", "</s>"},   {"pad_token", "<pad>"}, {"cls_token", "<s>"},
              {"mask_token", "<mask>"}};
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The pipeline being built.

struct Build {
  fs::path model_path;
  SentencePieceModel model;
  ClassChoice choice{SpmClass::Albert, ""};
  Settings settings;
  std::string config_where;

  std::vector<std::pair<std::string, double>> vocab;  // the Unigram vocabulary, id = index
  std::unordered_map<std::string, int32_t>
      vocab_ids;  // token -> id; a repeated token keeps its last id
  int32_t unk_id = 0;

  // Named tokens in adding order; nullopt where the config sets a token to null (none).
  std::vector<std::pair<std::string, std::optional<TokenSpec>>> named;
  std::vector<AddedToken> added;  // in adding order, deduplicated by content

  const std::optional<TokenSpec>* named_token(const std::string& key) const {
    for (const auto& [name, value] : named) {
      if (name == key) return &value;
    }
    return nullptr;
  }
  // str(<key>) of a named token the class cannot do without (it goes into the vocabulary or the
  // template); null is refused.
  std::string required_named(const std::string& key) const {
    const std::optional<TokenSpec>* value = named_token(key);
    FT_CHECK(value != nullptr, "named token ", key, " missing");
    if (!*value) {
      throw Error(
          cat(settings.where(key), ": key '", key, "': ", choice.name,
              " needs this token (it is part of its vocabulary or template), but it is null"));
    }
    return (*value)->content;
  }

  void set_vocab(std::vector<std::pair<std::string, double>> entries) {
    vocab = std::move(entries);
    vocab_ids.clear();
    for (size_t i = 0; i < vocab.size(); ++i) vocab_ids[vocab[i].first] = static_cast<int32_t>(i);
  }
  std::optional<int32_t> vocab_id(const std::string& token) const {
    auto it = vocab_ids.find(token);
    if (it == vocab_ids.end()) return std::nullopt;
    return it->second;
  }
  // AddedVocabulary::token_to_id: the added tokens first, then the model.
  std::optional<int32_t> token_id(const std::string& token) const {
    for (const AddedToken& t : added) {
      if (t.content == token) return t.id;
    }
    return vocab_id(token);
  }

  // AddedVocabulary::add_tokens for one token.
  void add(AddedToken token) {
    if (token.content.empty()) return;
    for (AddedToken& existing : added) {
      if (existing.content == token.content) {
        token.id = existing.id;
        existing = std::move(token);  // same content again: its flags replace the old ones
        return;
      }
    }
    if (auto known = vocab_id(token.content)) {
      token.id = *known;
    } else {
      const auto size = static_cast<int64_t>(vocab.size());
      int64_t max_added = -1;
      for (const AddedToken& t : added) max_added = std::max<int64_t>(max_added, t.id);
      int64_t next = size;
      if (max_added >= 0 && (max_added >= size || size == 0)) next = max_added + 1;
      if (next > INT32_MAX)
        throw Error(cat(model_path.string(), ": too many tokens for 32-bit ids"));
      token.id = static_cast<int32_t>(next);
    }
    added.push_back(std::move(token));
  }
};

// ---------------------------------------------------------------------------------------------
// Steps of _from_pretrained and the base __init__ on the keyword arguments.

// Reads one token of a list or map, naming where it is.
std::vector<TokenSpec> read_token_list(const Json& list, const std::string& where) {
  std::vector<TokenSpec> tokens;
  for (size_t i = 0; i < list.size(); ++i)
    tokens.push_back(read_token(list[i], cat(where, "[", i, "]")));
  return tokens;
}

struct Specials {
  std::vector<std::pair<int64_t, TokenSpec>> decoder;             // by id
  std::vector<std::pair<std::string, TokenSpec>> model_specific;  // named, after the seven
  std::optional<std::vector<TokenSpec>> extras;                   // nullopt: key absent
};

Specials read_specials(Build& b, const std::string& config_text) {
  Settings& s = b.settings;
  Specials out;
  const fs::path dir = b.model_path.parent_path();

  // additional_special_tokens (deprecated) becomes extra_special_tokens unless that is set.
  if (s.contains("additional_special_tokens") &&
      !(s.contains("extra_special_tokens") && truthy(s.raw("extra_special_tokens")))) {
    std::string where = s.where("additional_special_tokens");
    Json value = s.raw("additional_special_tokens");
    s.erase("additional_special_tokens");
    s.set("extra_special_tokens", std::move(value), where);
  }
  // Custom "*_token" strings are model-specific named tokens ("explicit"); objects are picked up
  // later by the base __init__ ("auto", which comes first).
  std::vector<std::pair<std::string, TokenSpec>> explicit_tokens, auto_tokens;
  for (const std::string& key : std::vector<std::string>(s.order())) {
    if (ends_with(key, "_token") && !is_named_key(key) && s.raw(key).is_string()) {
      explicit_tokens.emplace_back(key,
                                   read_token(s.raw(key), cat(s.where(key), ": key '", key, "'")));
      s.erase(key);
    }
  }
  auto take_extra_dict = [&](const std::vector<std::string>& order) {
    if (!s.contains("extra_special_tokens") || !s.raw("extra_special_tokens").is_object()) return;
    const Json dict = s.raw("extra_special_tokens");
    const std::string where = s.where("extra_special_tokens");
    for (const std::string& key : order) {
      explicit_tokens.emplace_back(
          key, read_token(dict.at(key), cat(where, ": key 'extra_special_tokens.", key, "'")));
    }
    s.erase("extra_special_tokens");
  };
  if (s.contains("extra_special_tokens") && s.raw("extra_special_tokens").is_object()) {
    take_extra_dict(config_text.empty() ? std::vector<std::string>()
                                        : Settings::key_order(config_text, "extra_special_tokens"));
  }

  // Without added_tokens_decoder in the config: special_tokens_map.json, then added_tokens.json.
  if (!s.contains("added_tokens_decoder")) {
    const fs::path map_file = dir / "special_tokens_map.json";
    std::vector<std::string> map_extra_contents;  // its extra tokens given as objects
    if (fs::is_regular_file(map_file)) {
      const std::string text = read_file(map_file);
      Json map = parse_json_text(text, map_file.string());
      JsonView(map, map_file.string()).expect_object("a special tokens map");
      for (const std::string& key : Settings::key_order(text)) {
        const Json& value = map.at(key);
        if (key == "extra_special_tokens" && value.is_array()) {
          // Merged into the config's list; a string already there is not repeated.
          Json merged =
              s.contains("extra_special_tokens") && s.raw("extra_special_tokens").is_array()
                  ? s.raw("extra_special_tokens")
                  : Json::array();
          for (Json token : value) {
            bool present =
                token.is_string() && std::find(merged.begin(), merged.end(), token) != merged.end();
            if (present) continue;
            if (token.is_object()) {
              token["special"] = true;  // AddedToken(**token, special=True)
              if (token.contains("content") && token["content"].is_string()) {
                map_extra_contents.push_back(token["content"].get<std::string>());
              }
            }
            merged.push_back(std::move(token));
          }
          s.set(key, std::move(merged), map_file.string());
        } else {
          s.set(key, value, map_file.string());
        }
      }
      if (s.contains("extra_special_tokens") && s.raw("extra_special_tokens").is_object()) {
        take_extra_dict(Settings::key_order(text, "extra_special_tokens"));
      }
    }
    const fs::path added_file = dir / "added_tokens.json";
    if (fs::is_regular_file(added_file)) {
      Json document = parse_json_file(added_file);
      JsonView(document, added_file.string()).expect_object("added tokens (token -> id)");
      // A token is special when the configuration names it (not the class defaults) as
      // transformers compares them here: by str(), which is the content for strings and for the
      // tokens special_tokens_map.json gave (AddedToken by now), but not for the config's
      // AddedToken objects (still dicts at this point, so never equal to a token).
      std::vector<std::string> special;
      for (const std::string& key : kNamedKeys) {
        if (!s.has(key) || !truthy(s.raw(key))) continue;
        const Json& value = s.raw(key);
        if (value.is_string()) {
          special.push_back(value.get<std::string>());
        } else if (s.where(key) == map_file.string() && value.is_object()) {
          special.push_back(read_token(value, cat(map_file.string(), ": key '", key, "'")).content);
        }
      }
      if (s.has("extra_special_tokens") && s.raw("extra_special_tokens").is_array()) {
        for (const Json& value : s.raw("extra_special_tokens")) {
          if (value.is_string()) special.push_back(value.get<std::string>());
        }
        special.insert(special.end(), map_extra_contents.begin(), map_extra_contents.end());
      }
      std::map<int64_t, TokenSpec> by_id;
      for (auto it = document.begin(); it != document.end(); ++it) {
        const Json& id = it.value();
        if (!id.is_number_integer() || id.get<int64_t>() < 0) {
          throw Error(cat(added_file.string(), ": key '", it.key(),
                          "': expected a token id (an integer >= 0), got ", id.dump()));
        }
        TokenSpec spec;
        spec.content = it.key();
        const bool is_special =
            std::find(special.begin(), special.end(), spec.content) != special.end();
        spec.special = is_special;
        spec.normalized = !is_special;
        by_id[id.get<int64_t>()] = std::move(spec);  // a repeated id keeps the last token
      }
      for (auto& [id, spec] : by_id) out.decoder.emplace_back(id, std::move(spec));
    }
  }
  if (s.has("added_tokens_decoder")) {
    const JsonView decoder(s.raw("added_tokens_decoder"),
                           cat(s.where("added_tokens_decoder"), ": added_tokens_decoder"));
    decoder.expect_object("added_tokens_decoder (id -> token)");
    std::map<int64_t, TokenSpec> by_id;
    for (auto it = decoder.raw().begin(); it != decoder.raw().end(); ++it) {
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(it.key(), &used);
        if (used != it.key().size()) id = -1;
      } catch (const std::exception&) {
      }
      if (id < 0) decoder.fail(it.key(), "expected a token id as the key");
      if (!it.value().is_object())
        decoder.fail(it.key(), cat("expected a token object, got ", json_type_phrase(it.value())));
      by_id[id] = read_token(it.value(), cat(decoder.where(), ".", it.key()));
    }
    for (auto& [id, spec] : by_id) out.decoder.emplace_back(id, std::move(spec));
  }

  // Model-specific named tokens given as objects, or set by special_tokens_map.json.
  for (const std::string& key : s.order()) {
    if (ends_with(key, "_token") && !is_named_key(key) &&
        (s.raw(key).is_string() || s.raw(key).is_object())) {
      auto_tokens.emplace_back(key, read_token(s.raw(key), cat(s.where(key), ": key '", key, "'")));
    }
  }
  // {**auto, **explicit}: a key keeps its first position and takes its last value.
  out.model_specific = std::move(auto_tokens);
  for (auto& [key, spec] : explicit_tokens) {
    const std::string& name = key;  // clang 14 cannot capture a structured binding
    auto it = std::find_if(out.model_specific.begin(), out.model_specific.end(),
                           [&](const auto& entry) { return entry.first == name; });
    if (it != out.model_specific.end()) {
      it->second = std::move(spec);
    } else {
      out.model_specific.emplace_back(key, std::move(spec));
    }
  }

  if (s.contains("extra_special_tokens")) {
    const Json& extra = s.raw("extra_special_tokens");
    const std::string where = cat(s.where("extra_special_tokens"), ": extra_special_tokens");
    if (extra.is_null()) {
      out.extras.emplace();
    } else if (extra.is_array()) {
      out.extras = read_token_list(extra, where);
    } else {
      throw Error(cat(where, ": expected a list of tokens or an object of named tokens, got ",
                      json_type_phrase(extra)));
    }
  }
  return out;
}

// The named tokens: each key's value from the keyword arguments, else the class default.
void read_named(Build& b, const Specials& specials) {
  const std::map<std::string, std::string> defaults = named_defaults(b.choice.kind);
  for (const std::string& key : kNamedKeys) {
    if (b.settings.contains(key)) {
      const Json& value = b.settings.raw(key);
      if (value.is_null()) {
        b.named.emplace_back(key, std::nullopt);
      } else {
        b.named.emplace_back(key,
                             read_token(value, cat(b.settings.where(key), ": key '", key, "'")));
      }
    } else {
      TokenSpec spec;
      spec.content = defaults.at(key);
      spec.from_string = true;
      spec.raw = spec.content;
      b.named.emplace_back(key, std::move(spec));
    }
  }
  for (const auto& [key, spec] : specials.model_specific) b.named.emplace_back(key, spec);
}

// ---------------------------------------------------------------------------------------------
// The JSON pieces.

Json metaspace(const std::string& prepend_scheme) {
  return {{"type", "Metaspace"},
          {"replacement", kMetaspace},
          {"prepend_scheme", prepend_scheme},
          {"split", true}};
}

Json precompiled(const SentencePieceModel& model) {
  return {{"type", "Precompiled"}, {"precompiled_charsmap", base64(model.precompiled_charsmap)}};
}

// A template as transformers' TemplateProcessing(single=..., pair=..., special_tokens=...) takes
// it: each piece a special token name or "$A"/"$B", with its type id.
using TemplatePieces = std::vector<std::pair<std::string, int>>;

Json template_processing(const TemplatePieces& single, const TemplatePieces& pair,
                         const std::vector<std::pair<std::string, int32_t>>& special_tokens) {
  auto pieces = [](const TemplatePieces& list) {
    Json out = Json::array();
    for (const auto& [name, type_id] : list) {
      if (name == "$A" || name == "$B") {
        out.push_back({{"Sequence", {{"id", name.substr(1)}, {"type_id", type_id}}}});
      } else {
        out.push_back({{"SpecialToken", {{"id", name}, {"type_id", type_id}}}});
      }
    }
    return out;
  };
  Json tokens = Json::object();
  for (const auto& [name, id] : special_tokens) {  // a repeated name keeps its last id
    tokens[name] = {{"id", name}, {"ids", Json::array({id})}, {"tokens", Json::array({name})}};
  }
  return {{"type", "TemplateProcessing"},
          {"single", pieces(single)},
          {"pair", pieces(pair)},
          {"special_tokens", tokens}};
}

// ---------------------------------------------------------------------------------------------

// The document, and the pad token transformers pads with (nullopt when the config sets it null).
Json build_document(const fs::path& model_path, const fs::path& config,
                    std::optional<std::string>* pad_token) {
  Build b;
  b.model_path = model_path;
  b.model = read_sentencepiece_model(model_path);
  std::string config_text;
  const bool has_config = !config.empty();
  b.config_where =
      has_config ? config.string() : (model_path.parent_path() / "tokenizer_config.json").string();
  if (has_config) {
    config_text = read_file(config);
    b.settings.load(config, config.string());
  } else {
    b.settings.set_default_source(b.config_where);
  }
  b.choice = choose_class(b.settings, has_config, model_path, config);
  const SpmClass kind = b.choice.kind;
  const std::string origin = cat(model_path.string(), " (", b.choice.name, ")");

  Specials specials = read_specials(b, config_text);
  read_named(b, specials);
  const Settings& s = b.settings;

  // SentencePieceExtractor.extract: the pieces, trainer_spec.unk_id, the CONTROL (special) and
  // USER_DEFINED (not special) pieces as additional special tokens, the charsmap.
  std::vector<std::pair<std::string, double>> pieces;
  pieces.reserve(b.model.pieces.size());
  for (const SentencePieceModel::Piece& p : b.model.pieces)
    pieces.emplace_back(p.piece, static_cast<double>(p.score));
  if (!specials.extras) {
    specials.extras.emplace();
    for (const SentencePieceModel::Piece& p : b.model.pieces) {
      if (p.type != SentencePieceModel::PieceType::Control &&
          p.type != SentencePieceModel::PieceType::UserDefined)
        continue;
      TokenSpec spec;
      spec.content = p.piece;
      spec.special = p.type == SentencePieceModel::PieceType::Control;
      spec.normalized = false;
      specials.extras->push_back(std::move(spec));
    }
  }

  const bool add_prefix_space = s.get_bool_or("add_prefix_space", true);
  Json document = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}};
  Json normalizer = nullptr;
  Json pre_tokenizer;
  std::string prepend_scheme;

  switch (kind) {
    case SpmClass::XlmRoberta: {
      // XLMRobertaConverter.convert_from_spm: fairseq's <s> <pad> </s> <unk>, then the pieces
      // after SentencePiece's own first three (<unk> <s> </s>), then <mask>.
      std::vector<std::pair<std::string, double>> vocab = {{b.required_named("bos_token"), 0.0},
                                                           {b.required_named("pad_token"), 0.0},
                                                           {b.required_named("eos_token"), 0.0},
                                                           {b.required_named("unk_token"), 0.0}};
      for (size_t i = 3; i < pieces.size(); ++i) vocab.push_back(pieces[i]);
      vocab.emplace_back(b.required_named("mask_token"), 0.0);
      b.set_vocab(std::move(vocab));
      b.unk_id = 3;
      if (!b.model.precompiled_charsmap.empty()) normalizer = precompiled(b.model);
      prepend_scheme = add_prefix_space ? "always" : "never";
      pre_tokenizer = {{"type", "Sequence"},
                       {"pretokenizers",
                        Json::array({{{"type", "WhitespaceSplit"}}, metaspace(prepend_scheme)})}};
      break;
    }
    case SpmClass::Camembert: {
      if (b.model.model_type != SentencePieceModel::ModelType::Unigram) {
        // CamembertConverter.convert_from_spm gets a BPE vocabulary (a dict) for such a model and
        // transformers fails building its Unigram from it.
        const char* names[] = {"?", "UNIGRAM", "BPE", "WORD", "CHAR"};
        const int type = static_cast<int>(b.model.model_type);
        throw Error(cat(
            origin,
            ": CamembertTokenizer needs a Unigram SentencePiece model; this one has model_type ",
            type >= 1 && type <= 4 ? names[type] : "?", " (transformers cannot load it either)"));
      }
      // CamembertConverter.convert_from_spm: <s>NOTUSED <pad> </s>NOTUSED <unk> <unk>NOTUSED, the
      // pieces after SentencePiece's own <unk>, then <mask>; the unknown id is the first <unk>.
      const std::string unk = b.required_named("unk_token");
      std::vector<std::pair<std::string, double>> vocab = {{"<s>NOTUSED", 0.0},
                                                           {b.required_named("pad_token"), 0.0},
                                                           {"</s>NOTUSED", 0.0},
                                                           {unk, 0.0},
                                                           {"<unk>NOTUSED", -100.0}};
      for (size_t i = 1; i < pieces.size(); ++i) vocab.push_back(pieces[i]);
      vocab.emplace_back(b.required_named("mask_token"), 0.0);
      b.unk_id = 0;
      for (size_t i = 0; i < vocab.size(); ++i) {
        if (vocab[i].first == unk) {
          b.unk_id = static_cast<int32_t>(i);
          break;
        }
      }
      b.set_vocab(std::move(vocab));
      // A mask token given as a string becomes AddedToken(mask, lstrip=True, special=True).
      for (auto& [key, value] : b.named) {
        if (key == "mask_token" && value && value->from_string) value->lstrip = true;
      }
      if (!b.model.precompiled_charsmap.empty()) normalizer = precompiled(b.model);
      prepend_scheme = add_prefix_space ? "always" : "never";
      pre_tokenizer = {{"type", "Sequence"},
                       {"pretokenizers",
                        Json::array({{{"type", "WhitespaceSplit"}}, metaspace(prepend_scheme)})}};
      break;
    }
    case SpmClass::DebertaV2: {
      // The pieces as they are; the unknown id is that of (unk_token, 0.0) when the vocabulary has
      // it, else trainer_spec.unk_id. The charsmap is not used.
      b.set_vocab(pieces);
      b.unk_id = b.model.unk_id;
      if (const auto* unk = b.named_token("unk_token"); unk && *unk) {
        for (size_t i = 0; i < b.vocab.size(); ++i) {
          if (b.vocab[i].first == (*unk)->content && b.vocab[i].second == 0.0) {
            b.unk_id = static_cast<int32_t>(i);
            break;
          }
        }
      }
      Json steps = Json::array();
      if (s.get_bool_or("do_lower_case", false)) steps.push_back({{"type", "Lowercase"}});
      steps.push_back(
          {{"type", "Replace"}, {"pattern", {{"Regex", "\\s{2,}|[\\n\\r\\t]"}}}, {"content", " "}});
      steps.push_back({{"type", "NFC"}});
      steps.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
      normalizer = {{"type", "Sequence"}, {"normalizers", steps}};
      Json pre = Json::array();
      if (s.get_bool_or("split_by_punct", false))
        pre.push_back({{"type", "Punctuation"}, {"behavior", "Isolated"}});
      prepend_scheme = add_prefix_space ? "always" : "first";
      pre.push_back(metaspace(prepend_scheme));
      pre_tokenizer = {{"type", "Sequence"}, {"pretokenizers", pre}};
      break;
    }
    case SpmClass::Albert: {
      // The pieces as they are (the -100 that AlbertConverter gives "digit," pieces is not applied
      // on this path); the unknown id is always 1.
      b.set_vocab(pieces);
      b.unk_id = 1;
      Json steps =
          Json::array({{{"type", "Replace"}, {"pattern", {{"String", "``"}}}, {"content", "\""}},
                       {{"type", "Replace"}, {"pattern", {{"String", "''"}}}, {"content", "\""}}});
      if (!s.get_bool_or("keep_accents", false)) {
        steps.push_back({{"type", "NFKD"}});
        steps.push_back({{"type", "StripAccents"}});
      }
      if (s.get_bool_or("do_lower_case", true)) steps.push_back({{"type", "Lowercase"}});
      if (!b.model.precompiled_charsmap.empty()) steps.push_back(precompiled(b.model));
      normalizer = {{"type", "Sequence"}, {"normalizers", steps}};
      prepend_scheme = add_prefix_space ? "always" : "never";
      pre_tokenizer = {{"type", "Sequence"},
                       {"pretokenizers",
                        Json::array({{{"type", "WhitespaceSplit"}}, metaspace(prepend_scheme)})}};
      break;
    }
  }
  // tokenizers' Unigram refuses an unknown id outside the vocabulary.
  if (b.unk_id < 0 || static_cast<size_t>(b.unk_id) >= b.vocab.size()) {
    throw Error(cat(origin, ": the unknown token id ", b.unk_id, " that ", b.choice.name,
                    " uses is outside the vocabulary of ", b.vocab.size(), " pieces"));
  }

  // ALBERT builds its template from the vocabulary before any token is added.
  std::optional<Json> albert_template;
  if (kind == SpmClass::Albert) {
    auto id_of = [&](const std::string& key) {
      const std::string token = b.required_named(key);
      std::optional<int32_t> id = b.vocab_id(token);
      if (!id) {
        throw Error(cat(origin, ": ", key, " '", token,
                        "' is not a piece of the SentencePiece model (", b.choice.name,
                        " takes its id from the model)"));
      }
      return *id;
    };
    albert_template =
        template_processing({{"[CLS]", 0}, {"$A", 0}, {"[SEP]", 0}},
                            {{"[CLS]", 0}, {"$A", 0}, {"[SEP]", 0}, {"$B", 1}, {"[SEP]", 1}},
                            {{"[CLS]", id_of("cls_token")}, {"[SEP]", id_of("sep_token")}});
  }

  // TokenizersBackend.__init__: added_tokens_decoder, then the named tokens, then the extra
  // special tokens; named and extra ones whose content the decoder has are skipped.
  std::vector<std::string> named_contents, decoder_contents;
  for (const auto& [key, value] : b.named) {
    if (value) named_contents.push_back(value->content);
  }
  auto is_named = [&](const std::string& content) {
    return std::find(named_contents.begin(), named_contents.end(), content) != named_contents.end();
  };
  for (const auto& [id, spec] : specials.decoder) {
    decoder_contents.push_back(spec.content);
    b.add(build_token(spec, is_named(spec.content)));
  }
  auto in_decoder = [&](const std::string& content) {
    return std::find(decoder_contents.begin(), decoder_contents.end(), content) !=
           decoder_contents.end();
  };
  for (const auto& [key, value] : b.named) {
    if (value && !in_decoder(value->content)) b.add(build_token(*value, true));
  }
  for (const TokenSpec& spec : *specials.extras) {
    if (!in_decoder(spec.content)) b.add(build_token(spec, is_named(spec.content)));
  }

  // The post-processor, with the ids the tokens have now.
  auto id_after_adding = [&](const std::string& token) {
    return b.token_id(token).value_or(b.unk_id);  // convert_tokens_to_ids: unknown -> unk id
  };
  Json post_processor;
  switch (kind) {
    case SpmClass::XlmRoberta:
    case SpmClass::Camembert: {
      const std::string bos = b.required_named("bos_token"), eos = b.required_named("eos_token");
      post_processor =
          template_processing({{bos, 0}, {"$A", 0}, {eos, 0}},
                              {{bos, 0}, {"$A", 0}, {eos, 0}, {eos, 0}, {"$B", 0}, {eos, 0}},
                              {{bos, id_after_adding(bos)}, {eos, id_after_adding(eos)}});
      break;
    }
    case SpmClass::DebertaV2: {
      const std::string cls = b.required_named("cls_token"), sep = b.required_named("sep_token");
      post_processor = template_processing(
          {{cls, 0}, {"$A", 0}, {sep, 0}}, {{cls, 0}, {"$A", 0}, {sep, 0}, {"$B", 1}, {sep, 1}},
          {{cls, id_after_adding(cls)}, {sep, id_after_adding(sep)}});
      break;
    }
    case SpmClass::Albert: {
      post_processor = *albert_template;
      if (s.contains("add_bos_token") || s.contains("add_eos_token")) {
        // update_post_processor: bos / eos around each sequence, as the flags say.
        const auto* bos_value = b.named_token("bos_token");
        const auto* eos_value = b.named_token("eos_token");
        const bool add_bos =
            s.contains("add_bos_token") && truthy(s.raw("add_bos_token")) && *bos_value;
        const bool add_eos =
            s.contains("add_eos_token") && truthy(s.raw("add_eos_token")) && *eos_value;
        TemplatePieces single, pair;
        std::vector<std::pair<std::string, int32_t>> special;
        const std::string bos = add_bos ? (*bos_value)->content : "",
                          eos = add_eos ? (*eos_value)->content : "";
        if (add_bos) single.emplace_back(bos, 0);
        single.emplace_back("$A", 0);
        if (add_eos) single.emplace_back(eos, 0);
        pair = single;
        if (add_bos) pair.emplace_back(bos, 1);
        pair.emplace_back("$B", 1);
        if (add_eos) pair.emplace_back(eos, 1);
        if (add_bos) special.emplace_back(bos, id_after_adding(bos));
        if (add_eos) special.emplace_back(eos, id_after_adding(eos));
        post_processor = template_processing(single, pair, special);
      }
      break;
    }
  }

  std::vector<AddedToken> by_id = b.added;
  std::stable_sort(by_id.begin(), by_id.end(),
                   [](const AddedToken& x, const AddedToken& y) { return x.id < y.id; });
  Json added_tokens = Json::array();
  for (const AddedToken& t : by_id) {
    added_tokens.push_back({{"id", t.id},
                            {"content", t.content},
                            {"single_word", t.single_word},
                            {"lstrip", t.lstrip},
                            {"rstrip", t.rstrip},
                            {"normalized", t.normalized},
                            {"special", t.special}});
  }
  Json vocab = Json::array();
  for (const auto& [piece, score] : b.vocab) vocab.push_back(Json::array({piece, score}));

  document["added_tokens"] = std::move(added_tokens);
  document["normalizer"] = std::move(normalizer);
  document["pre_tokenizer"] = std::move(pre_tokenizer);
  document["post_processor"] = std::move(post_processor);
  document["decoder"] = metaspace(prepend_scheme);
  document["model"] = {{"type", "Unigram"},
                       {"unk_id", b.unk_id},
                       {"vocab", std::move(vocab)},
                       {"byte_fallback", false}};
  if (pad_token != nullptr) {
    const std::optional<TokenSpec>* pad = b.named_token("pad_token");
    if (pad && *pad) *pad_token = (*pad)->content;
  }
  return document;
}

}  // namespace

Json sentencepiece_tokenizer_json(const fs::path& model, const fs::path& config) {
  return build_document(model, config, nullptr);
}

TokenizerParts parse_sentencepiece_model(const fs::path& model, const fs::path& config) {
  std::optional<std::string> pad_token;
  const Json document = build_document(model, config, &pad_token);
  TokenizerParts parts = parse_tokenizer_json(document, model.string());
  // parse_tokenizer_json gives the added tokens their ids again, by the same rule.
  FT_CHECK(parts.added_tokens.size() == document["added_tokens"].size(), "added tokens lost");
  for (size_t i = 0; i < parts.added_tokens.size(); ++i) {
    FT_CHECK(parts.added_tokens[i].id == document["added_tokens"][i]["id"].get<int32_t>(),
             "added token ", parts.added_tokens[i].content, " changed id");
  }
  parts.source_files = {model};
  if (!config.empty()) parts.source_files.push_back(config);
  if (fs::is_regular_file(model.parent_path() / "added_tokens.json")) {
    parts.source_files.push_back(model.parent_path() / "added_tokens.json");
  }
  if (pad_token) parts.pad_token = *pad_token;
  return parts;
}

}  // namespace finetune
