// Loading `vocab.json` + `merges.txt` (+ `tokenizer_config.json`), as transformers 5.24 builds
// a RobertaTokenizer or GPT2Tokenizer from them (models/roberta/tokenization_roberta.py,
// models/gpt2/tokenization_gpt2.py, tokenization_utils_tokenizers.py TokenizersBackend).
//
// Both classes hand the two files to tokenizers' BPE (tokenizers/src/models/bpe/model.rs
// `read_file`): vocab.json must be a JSON object; its entries whose value is not a number are
// skipped, a number that is not a non-negative integer is an error. merges.txt is read line by
// line (Rust `lines()`: '\n' separated, a trailing '\r' dropped), every line starting with
// "#version" is skipped anywhere in the file, and every other line, empty ones included, must be
// two tokens separated by exactly one space. The BPE has no unk_token, no prefix or suffix and
// fuse_unk false. Around it: ByteLevel(add_prefix_space = the config's, default false) and
//   RobertaTokenizer  RobertaProcessing (<s> $A </s>, <s> $A </s> </s> $B </s>), with cls_token
//                     and sep_token; specials default to <s> </s> <unk> <pad> <mask>;
//   GPT2Tokenizer     "$A:0" / "$A:0 $B:1", with bos_token first and eos_token last in each
//                     sequence when add_bos_token / add_eos_token are set; unk, bos and eos
//                     default to <|endoftext|>, the others to none.
// The added tokens, in the order TokenizersBackend.__init__ adds them: the config's
// added_tokens_decoder (by id, with its flags), then the named special tokens bos, eos, unk, sep,
// pad, cls, mask and any other "*_token" string of the config, then extra_special_tokens (or,
// only when that key is absent, additional_special_tokens). A token given as a plain string is
// special and not normalized; each gets its vocabulary id or the next free one.
//
// tokenizer_class may be RobertaTokenizer or a class transformers maps to it (BartTokenizer,
// LEDTokenizer, LongformerTokenizer, MvpTokenizer), or GPT2Tokenizer, each with or without
// "Fast". Without tokenizer_class, config.json's model_type picks the class as AutoTokenizer
// does. Anything else is one Error naming the class and the file.
#include <algorithm>
#include <array>
#include <limits>

#include "core/error.h"
#include "io/file.h"
#include "tokenizer/models/bpe.h"
#include "tokenizer/pre_tokenizers/byte_level.h"
#include "tokenizer/tokenizer_parts.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

enum class BpeFamily { Roberta, Gpt2 };

// transformers 5.24: the class names that resolve to RobertaTokenizer / GPT2Tokenizer, and the
// model types whose AutoTokenizer class is one of them (models/auto/tokenization_auto.py).
constexpr std::array<std::string_view, 5> kRobertaClasses = {
    "RobertaTokenizer", "BartTokenizer", "LEDTokenizer", "LongformerTokenizer", "MvpTokenizer"};
constexpr std::array<std::string_view, 14> kRobertaModelTypes = {
    "bart", "bridgetower", "clap", "data2vec-text", "florence2", "ibert",   "led",
    "lilt", "longformer",  "mega", "mra",           "mvp",       "roberta", "roberta-prelayernorm"};
constexpr std::array<std::string_view, 14> kGpt2ModelTypes = {
    "blip-2",       "codegen",           "dbrx",  "emu3",
    "gpt2",         "gpt_neo",           "gptj",  "hyperclovax_vision_v2",
    "instructblip", "instructblipvideo", "jais2", "opt",
    "phi",          "starcoder2"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view name) {
  return std::find(table.begin(), table.end(), name) != table.end();
}

BpeFamily resolve_family(const JsonView& settings, const std::filesystem::path& model_config) {
  if (settings.has("tokenizer_class")) {
    const std::string name = settings.get_string("tokenizer_class");
    std::string base = name;
    if (base.size() > 4 && base.compare(base.size() - 4, 4, "Fast") == 0)
      base.resize(base.size() - 4);
    if (contains(kRobertaClasses, base)) return BpeFamily::Roberta;
    if (base == "GPT2Tokenizer") return BpeFamily::Gpt2;
    throw Error(
        cat(settings.where(), ": tokenizer_class '", name,
            "' is not supported with vocab.json + merges.txt (supported: RobertaTokenizer, and "
            "BartTokenizer, LEDTokenizer, LongformerTokenizer, MvpTokenizer which transformers "
            "maps to it; "
            "GPT2Tokenizer)"));
  }
  if (std::filesystem::is_regular_file(model_config)) {
    Json document = parse_json_file(model_config);
    JsonView config(document, model_config.string());
    config.expect_object("a model configuration");
    if (config.has("model_type")) {
      const std::string type = config.get_string("model_type");
      if (contains(kRobertaModelTypes, type)) return BpeFamily::Roberta;
      if (contains(kGpt2ModelTypes, type)) return BpeFamily::Gpt2;
      throw Error(cat(
          model_config.string(), ": model_type '", type, "' (and ", settings.where(),
          " names no tokenizer_class): its tokenizer is not supported with vocab.json + merges.txt "
          "(supported: the RobertaTokenizer and GPT2Tokenizer model types)"));
    }
  }
  throw Error(cat(
      settings.where(),
      ": names no tokenizer_class, and there is no config.json with a model_type, "
      "so nothing says how to build a tokenizer from vocab.json + merges.txt (transformers refuses "
      "this directory too); set tokenizer_class, e.g. \"RobertaTokenizer\""));
}

TokenTable read_vocab_json(const std::filesystem::path& file) {
  const Json document = parse_json_file(file);
  if (!document.is_object()) {
    throw Error(cat(file.string(), ": expected a JSON object (token -> id), got ",
                    json_type_phrase(document)));
  }
  TokenTable table;
  table.reserve(document.size());
  for (auto it = document.begin(); it != document.end(); ++it) {
    const Json& id = it.value();
    if (!id.is_number()) continue;  // tokenizers' read_file skips entries that are not numbers
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      throw Error(cat(file.string(), ": '", it.key(),
                      "': expected a token id (an integer from 0 to 2^31-1), got ", id.dump()));
    }
    table.set(it.key(), static_cast<int32_t>(id.get<int64_t>()));
  }
  return table;
}

// The merges in rank order, and the 1-based line of each.
void read_merges_txt(const std::filesystem::path& file,
                     std::vector<std::pair<std::string, std::string>>& merges,
                     std::vector<size_t>& lines) {
  const std::string text = read_file(file);
  size_t start = 0, number = 0;
  while (start < text.size()) {
    size_t newline = text.find('\n', start);
    const size_t end = newline == std::string::npos ? text.size() : newline;
    std::string_view line(text.data() + start, end - start);
    ++number;
    start = newline == std::string::npos ? text.size() : newline + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t bad = utf8::find_invalid_byte(line);
    if (bad != std::string_view::npos) {
      throw Error(cat(file.string(), ":", number, ": invalid UTF-8 at byte ", bad + 1));
    }
    if (line.substr(0, 8) == "#version") continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos) {
      throw Error(cat(file.string(), ":", number,
                      ": expected a merge, two tokens separated by one space, got '", line, "'"));
    }
    merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    lines.push_back(number);
  }
}

// A copy of `settings` holding only `keys` (those present), so add_configured_tokens can add one
// group of tokens at a time in transformers' order.
Json only_keys(const JsonView& settings, std::initializer_list<const char*> keys) {
  Json subset = Json::object();
  for (const char* key : keys) {
    if (settings.has(key)) subset[key] = settings.raw().at(key);
  }
  return subset;
}

}  // namespace

TokenizerParts parse_vocab_json_merges(const std::filesystem::path& vocab_json,
                                       const std::filesystem::path& merges,
                                       const std::filesystem::path& config) {
  TokenizerParts parts;
  parts.origin = vocab_json.string();
  parts.source_files = {vocab_json, merges};
  Json config_document = Json::object();
  if (!config.empty()) {
    config_document = parse_json_file(config);
    parts.source_files.push_back(config);
  }
  const std::filesystem::path config_name =
      config.empty() ? vocab_json.parent_path() / "tokenizer_config.json" : config;
  JsonView settings(config_document, config_name.string());
  settings.expect_object("a tokenizer configuration");
  const BpeFamily family = resolve_family(settings, vocab_json.parent_path() / "config.json");

  TokenTable vocab = read_vocab_json(vocab_json);
  std::vector<std::pair<std::string, std::string>> merge_list;
  std::vector<size_t> lines;
  read_merges_txt(merges, merge_list, lines);
  const std::string merges_name = merges.string();
  BpeSources sources{vocab_json.string(), vocab_json.string(),
                     [&](size_t i) { return cat(merges_name, ":", lines[i]); }};
  parts.model = std::make_unique<BPE>(std::move(vocab), merge_list, BpeOptions{}, sources);
  parts.pre_tokenizer =
      std::make_unique<ByteLevel>(settings.get_bool_or("add_prefix_space", false), true);

  // The named special tokens with the class's defaults; a key set to null means none.
  const bool roberta = family == BpeFamily::Roberta;
  const std::pair<const char*, const char*> named[] = {
      {"bos_token", roberta ? "<s>" : "<|endoftext|>"},
      {"eos_token", roberta ? "</s>" : "<|endoftext|>"},
      {"unk_token", roberta ? "<unk>" : "<|endoftext|>"},
      {"sep_token", roberta ? "</s>" : nullptr},
      {"pad_token", roberta ? "<pad>" : nullptr},
      {"cls_token", roberta ? "<s>" : nullptr},
      {"mask_token", roberta ? "<mask>" : nullptr}};
  auto named_token = [&](const char* key, const char* fallback) -> std::optional<AddedToken> {
    if (settings.raw().contains(key)) return read_config_token(settings, key);  // nullopt when null
    if (fallback == nullptr) return std::nullopt;
    AddedToken token;
    token.content = fallback;
    token.special = true;
    token.normalized = false;
    return token;
  };

  Json decoder = only_keys(settings, {"added_tokens_decoder"});
  add_configured_tokens(JsonView(decoder, settings.where()), parts.added_tokens);
  std::optional<AddedToken> tokens[7];
  for (size_t k = 0; k < 7; ++k) {
    tokens[k] = named_token(named[k].first, named[k].second);
    if (tokens[k]) parts.added_tokens.push_back(*tokens[k]);
  }
  // Other "*_token" strings become model-specific named special tokens (tokenization_utils_base).
  for (auto it = settings.raw().begin(); it != settings.raw().end(); ++it) {
    const std::string& key = it.key();
    const bool is_named = std::any_of(std::begin(named), std::end(named),
                                      [&](const auto& n) { return key == n.first; });
    if (!is_named && key.size() > 6 && key.compare(key.size() - 6, 6, "_token") == 0 &&
        it.value().is_string()) {
      if (auto token = read_config_token(settings, key)) parts.added_tokens.push_back(*token);
    }
  }
  // extra_special_tokens; additional_special_tokens is its older name, used only without it.
  Json extra = settings.has("extra_special_tokens")
                   ? only_keys(settings, {"extra_special_tokens"})
                   : only_keys(settings, {"additional_special_tokens"});
  add_configured_tokens(JsonView(extra, settings.where()), parts.added_tokens);
  assign_added_token_ids(parts);

  const std::optional<AddedToken>& bos = tokens[0];
  const std::optional<AddedToken>& eos = tokens[1];
  const std::optional<AddedToken>& pad = tokens[4];
  if (pad) parts.pad_token = pad->content;
  if (roberta) {
    const std::optional<AddedToken>& sep = tokens[3];
    const std::optional<AddedToken>& cls = tokens[5];
    if (!sep || !cls) {
      throw Error(cat(settings.where(), ": RobertaTokenizer needs a cls_token and a sep_token (",
                      !cls ? "cls" : "sep", "_token is null)"));
    }
    parts.post_processor = TemplateProcessing::roberta(*find_token_id(parts, cls->content),
                                                       *find_token_id(parts, sep->content));
  } else {
    // TokenizersBackend.update_post_processor: bos/eos around each sequence when asked for (and
    // defined); otherwise "$A:0" / "$A:0 $B:1", which is what no post-processor does too.
    const bool add_bos = settings.get_bool_or("add_bos_token", false) && bos;
    const bool add_eos = settings.get_bool_or("add_eos_token", false) && eos;
    if (add_bos || add_eos) {
      auto sequence = [&](int type_id, std::vector<TemplatePiece>& pieces) {
        if (add_bos) pieces.push_back({false, {*find_token_id(parts, bos->content)}, type_id, 0});
        pieces.push_back({true, {}, type_id, type_id});
        if (add_eos) pieces.push_back({false, {*find_token_id(parts, eos->content)}, type_id, 0});
      };
      std::vector<TemplatePiece> single, pair;
      sequence(0, single);
      sequence(0, pair);
      sequence(1, pair);
      parts.post_processor = TemplateProcessing(std::move(single), std::move(pair));
    }
  }
  return parts;
}

}  // namespace finetune
