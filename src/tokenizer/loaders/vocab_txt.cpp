// Loading `vocab.txt` + `tokenizer_config.json`, as transformers builds a BertTokenizer from them.
//
// transformers (models/bert/tokenization_bert.py, 5.x) hands vocab.txt to tokenizers'
// WordPiece.from_file, whose reader (tokenizers/src/models/wordpiece/mod.rs: read_file) takes
// lines split on '\n' (a "\r\n" ending counts as '\n'), trims trailing whitespace (Rust
// str::trim_end: every White_Space character) and gives each line its 0-based line number as id;
// a repeated token keeps the later id, and an empty line is the token "". The tokenizer around
// it is: BertNormalizer(clean_text, handle_chinese_chars = tokenize_chinese_chars,
// strip_accents, lowercase = do_lower_case), BertPreTokenizer, TemplateProcessing
// "[CLS]:0 $A:0 [SEP]:0", and the special tokens added in the order unk, sep, pad, cls, mask
// (not normalized), then the config's added_tokens_decoder, extra_special_tokens and
// additional_special_tokens; each gets its vocabulary id or, when missing, the next free id.
#include <algorithm>

#include "core/error.h"
#include "io/file.h"
#include "tokenizer/hf_unicode.h"
#include "tokenizer/models/wordpiece.h"
#include "tokenizer/normalizers/bert_normalizer.h"
#include "tokenizer/pre_tokenizers/basic_pre_tokenizers.h"
#include "tokenizer/tokenizer_parts.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

// Rust str::trim_end: drops trailing White_Space code points.
std::string_view trim_end(std::string_view line) {
  while (!line.empty()) {
    size_t start = line.size() - 1;
    while (start > 0 && utf8::is_continuation(static_cast<unsigned char>(line[start]))) --start;
    size_t i = start;
    if (!(hf_unicode::flags(utf8::decode(line, i)) & hf_unicode::kWhitespace)) break;
    line.remove_suffix(line.size() - start);
  }
  return line;
}

void read_vocab_lines(const std::filesystem::path& vocab, TokenTable& table) {
  const std::string text = read_file(vocab);
  table.reserve(text.size() / 6);
  size_t line_start = 0;
  int32_t index = 0;
  while (line_start < text.size()) {
    size_t newline = text.find('\n', line_start);
    size_t line_end = newline == std::string::npos ? text.size() : newline;
    std::string_view line(text.data() + line_start, line_end - line_start);
    size_t bad = utf8::find_invalid_byte(line);
    if (bad != std::string_view::npos) {
      throw Error(cat(vocab.string(), ":", index + 1, ": invalid UTF-8 at byte ", bad + 1));
    }
    table.set(trim_end(line), index);
    ++index;
    if (newline == std::string::npos) break;
    line_start = newline + 1;
  }
}

// An AddedToken object as transformers serializes it ({"content", "lstrip", ...}).
AddedToken read_token_object(const JsonView& entry, bool special_default) {
  entry.expect_object("an added token");
  AddedToken token;
  token.content = entry.get_string("content");
  token.special = entry.get_bool_or("special", special_default);
  token.single_word = entry.get_bool_or("single_word", false);
  token.lstrip = entry.get_bool_or("lstrip", false);
  token.rstrip = entry.get_bool_or("rstrip", false);
  token.normalized = entry.get_bool_or("normalized", !token.special);
  return token;
}

// A special token given as a string or an AddedToken object.
AddedToken read_special(const Json& value, const std::string& where) {
  if (value.is_string()) {
    AddedToken token;
    token.content = value.get<std::string>();
    token.special = true;
    token.normalized = false;
    return token;
  }
  return read_token_object(JsonView(value, where), true);
}

}  // namespace

void add_configured_tokens(const JsonView& settings, std::vector<AddedToken>& tokens) {
  if (settings.has("added_tokens_decoder")) {
    JsonView decoder = settings.at("added_tokens_decoder");
    decoder.expect_object("added_tokens_decoder (id -> token)");
    std::vector<std::pair<int64_t, AddedToken>> entries;
    for (auto it = decoder.raw().begin(); it != decoder.raw().end(); ++it) {
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(it.key(), &used);
        if (used != it.key().size()) id = -1;
      } catch (const std::exception&) {
      }
      if (id < 0) decoder.fail(it.key(), "expected a token id as the key");
      entries.emplace_back(
          id, read_token_object(JsonView(it.value(), cat(decoder.where(), ".", it.key())), false));
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& entry : entries) tokens.push_back(std::move(entry.second));
  }
  if (settings.has("extra_special_tokens")) {
    const Json& extra = settings.raw().at("extra_special_tokens");
    std::string where = settings.where() + ".extra_special_tokens";
    if (extra.is_object() || extra.is_array()) {
      for (const Json& value : extra) tokens.push_back(read_special(value, where));
    } else {
      settings.fail("extra_special_tokens", "expected an object or a list of tokens");
    }
  }
  if (settings.has("additional_special_tokens")) {
    const Json& additional = settings.raw().at("additional_special_tokens");
    if (!additional.is_array()) {
      settings.fail("additional_special_tokens", "expected a list of tokens");
    }
    for (const Json& value : additional) {
      tokens.push_back(read_special(value, settings.where() + ".additional_special_tokens"));
    }
  }
}

std::optional<AddedToken> read_config_token(const JsonView& config, const std::string& key) {
  if (!config.has(key)) return std::nullopt;
  const Json& value = config.raw().at(key);
  AddedToken token;
  token.special = true;
  token.normalized = false;  // transformers adds special tokens given as strings unnormalized
  if (value.is_string()) {
    token.content = value.get<std::string>();
    return token;
  }
  if (!value.is_object()) {
    config.fail(key, cat("expected a token (a string or an object with 'content'), got ",
                         json_type_phrase(value)));
  }
  JsonView entry(value, cat(config.where(), ".", key));
  token.content = entry.get_string("content");
  token.single_word = entry.get_bool_or("single_word", false);
  token.lstrip = entry.get_bool_or("lstrip", false);
  token.rstrip = entry.get_bool_or("rstrip", false);
  token.normalized = entry.get_bool_or("normalized", false);
  return token;
}

TokenizerParts parse_vocab_txt(const std::filesystem::path& vocab,
                               const std::filesystem::path& config) {
  TokenizerParts parts;
  parts.origin = vocab.string();
  parts.source_files.push_back(vocab);
  TokenTable table;
  read_vocab_lines(vocab, table);

  Json config_document = Json::object();
  if (!config.empty()) {
    config_document = parse_json_file(config);
    parts.source_files.push_back(config);
  }
  JsonView settings(config_document, config.empty() ? "tokenizer_config.json" : config.string());
  settings.expect_object("a tokenizer configuration");

  // BertTokenizer.__init__ defaults.
  const bool lowercase = settings.get_bool_or("do_lower_case", true);
  BertNormalizerOptions options;
  options.clean_text = true;
  options.handle_chinese_chars = settings.get_bool_or("tokenize_chinese_chars", true);
  options.lowercase = lowercase;
  options.strip_accents = settings.get_optional_bool("strip_accents").value_or(lowercase);
  parts.normalizer = std::make_unique<BertNormalizer>(options);
  parts.pre_tokenizer = std::make_unique<BertPreTokenizer>();

  auto special = [&](const std::string& key, const std::string& fallback) {
    AddedToken token;
    token.content = fallback;
    token.special = true;
    token.normalized = false;
    return read_config_token(settings, key).value_or(token);
  };
  AddedToken unk = special("unk_token", "[UNK]");
  AddedToken sep = special("sep_token", "[SEP]");
  AddedToken pad = special("pad_token", "[PAD]");
  AddedToken cls = special("cls_token", "[CLS]");
  AddedToken mask = special("mask_token", "[MASK]");

  if (!table.contains(unk.content)) {
    throw Error(cat(vocab.string(), ": the unknown token '", unk.content,
                    "' is not in the vocabulary (WordPiece needs it for unknown words; set "
                    "unk_token in tokenizer_config.json if the file names it differently)"));
  }
  WordPieceConfig wordpiece;
  wordpiece.unk_token = unk.content;
  parts.model = std::make_unique<WordPiece>(std::move(table), wordpiece);
  parts.added_tokens = {unk, sep, pad, cls, mask};
  add_configured_tokens(settings, parts.added_tokens);
  assign_added_token_ids(parts);
  parts.pad_token = pad.content;

  // BertTokenizer.__init__: cls/sep ids fall back to 2/3 when the tokens are unknown (they are
  // always known here: they were just added).
  int32_t cls_id = find_token_id(parts, cls.content).value_or(2);
  int32_t sep_id = find_token_id(parts, sep.content).value_or(3);
  // transformers' BertConverter: "[CLS]:0 $A:0 [SEP]:0" and "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1".
  parts.post_processor = TemplateProcessing::bert(cls_id, sep_id);
  return parts;
}

}  // namespace finetune
