// Tokenizer: assembles the pipeline from TokenizerParts and runs it (see tokenizer.h).
//
// encode() follows tokenizers/src/tokenizer/mod.rs (encode_single_sequence + post_process):
//   1. added tokens with normalized=false are cut out of the raw text;
//   2. each remaining piece is normalized, then cut at added tokens with normalized=true;
//   3. each remaining piece is pre-tokenized into words, and each word goes through the model;
//   4. truncation to max_length minus the template's special tokens, then the template.
// encode_pair() runs 1-3 on each text, then truncates the two together
// (tokenizers/src/utils/truncation.rs, truncate_encodings) and applies the pair template.
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "tokenizer/model_input_names.h"
#include "tokenizer/models/wordpiece.h"
#include "tokenizer/pre_tokenizers/basic_pre_tokenizers.h"
#include "tokenizer/pre_tokenizers/bert_pre_tokenizer.h"
#include "tokenizer/tokenizer_parts.h"
#include "tokenizer/utf8.h"

namespace finetune {

// ---------------------------------------------------------------------------------------------
// Added-token ids (HF AddedVocabulary::add_tokens, one token at a time in file order).

std::optional<int32_t> find_token_id(const TokenizerParts& parts, std::string_view token) {
  for (const AddedToken& added : parts.added_tokens) {
    if (added.id >= 0 && added.content == token) return added.id;
  }
  int32_t id = parts.model->token_to_id(token);
  if (id != Model::kMissing) return id;
  return std::nullopt;
}

void assign_added_token_ids(TokenizerParts& parts) {
  std::vector<AddedToken> tokens = std::move(parts.added_tokens);
  parts.added_tokens.clear();
  // model.get_vocab_size() is the number of distinct tokens, not the largest id + 1.
  const auto model_size = static_cast<int64_t>(parts.model->vocab_size());
  for (AddedToken& token : tokens) {
    if (token.content.empty()) continue;
    if (std::any_of(parts.added_tokens.begin(), parts.added_tokens.end(),
                    [&](const AddedToken& t) { return t.content == token.content; })) {
      continue;  // already added: the first definition stays
    }
    if (auto known = find_token_id(parts, token.content)) {
      token.id = *known;
    } else {
      int64_t max_added = -1;
      for (const AddedToken& t : parts.added_tokens) max_added = std::max<int64_t>(max_added, t.id);
      int64_t next = model_size;
      if (max_added >= 0 && (max_added >= model_size || model_size == 0)) next = max_added + 1;
      FT_CHECK(next <= INT32_MAX, "added token id overflow");
      token.id = static_cast<int32_t>(next);
    }
    parts.added_tokens.push_back(std::move(token));
  }
}

// ---------------------------------------------------------------------------------------------

struct Tokenizer::Impl {
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Model> model;
  std::vector<AddedToken> added_tokens;
  AddedTokenMatcher raw_matcher;         // added tokens with normalized = false
  AddedTokenMatcher normalized_matcher;  // added tokens with normalized = true
  TemplateProcessing post_processor;
  std::vector<std::string> id_to_token;  // index = id; "" where no token has that id
  std::string pad_token;
  std::vector<std::filesystem::path> source_files;
  std::vector<std::string> model_input_names = default_model_input_names();
  // The BERT pipeline's fast path: BertPreTokenizer feeding WordPiece directly, word by word,
  // with no Words buffer and no virtual call per word (both classes are final, so the calls
  // inline). Null unless the pipeline is exactly that pair.
  const WordPiece* bert_wordpiece = nullptr;

  static std::unique_ptr<Impl> assemble(TokenizerParts&& parts);
  std::vector<int32_t> tokenize(std::string_view text) const;  // steps 1-3, no special tokens
  // Pre-tokenizes one piece of normalized text and runs the model on each word.
  void encode_words(std::string_view text, bool at_start, std::vector<int32_t>& ids) const;
  void encode_normalized(std::string_view normalized, bool at_start, std::vector<int32_t>& ids) const;
};

void Tokenizer::Impl::encode_words(std::string_view text, bool at_start, std::vector<int32_t>& ids) const {
  if (text.empty()) return;
  if (bert_wordpiece) {
    bert_pre_tokenize(text, [&](std::string_view word) { bert_wordpiece->tokenize(word, ids); });
    return;
  }
  if (!pre_tokenizer) {
    model->tokenize(text, ids);
    return;
  }
  // Scratch buffers per thread: texts are encoded in parallel, and reusing them keeps the
  // per-text cost free of allocations.
  thread_local Words input, words;
  input.clear();
  words.clear();
  input.add(text, at_start);
  pre_tokenizer->pre_tokenize(input, words);
  for (size_t i = 0; i < words.size(); ++i) model->tokenize(words[i], ids);
}

void Tokenizer::Impl::encode_normalized(std::string_view normalized, bool at_start,
                                        std::vector<int32_t>& ids) const {
  if (normalized_matcher.empty()) {
    encode_words(normalized, at_start, ids);
    return;
  }
  std::vector<TextPiece> pieces;
  normalized_matcher.split(normalized, pieces);
  for (const TextPiece& piece : pieces) {
    if (piece.id >= 0) {
      ids.push_back(piece.id);
    } else {
      encode_words(normalized.substr(piece.begin, piece.end - piece.begin), at_start && piece.begin == 0, ids);
    }
  }
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_json(const Json& document, const std::string& origin) {
  TokenizerParts parts = parse_tokenizer_json(document, origin);
  return Tokenizer(Impl::assemble(std::move(parts)));
}

Tokenizer Tokenizer::from_tokenizer_json(const std::filesystem::path& file) {
  TokenizerParts parts = parse_tokenizer_json(parse_json_file(file), file.string());
  parts.source_files = {file};
  return Tokenizer(Impl::assemble(std::move(parts)));
}

Tokenizer Tokenizer::from_vocab_txt(const std::filesystem::path& vocab,
                                    const std::filesystem::path& config) {
  return Tokenizer(Impl::assemble(parse_vocab_txt(vocab, config)));
}

Tokenizer Tokenizer::from_directory(const std::filesystem::path& directory) {
  Tokenizer tokenizer = load_directory(directory);
  tokenizer.impl_->model_input_names = resolve_model_input_names(directory);
  return tokenizer;
}

Tokenizer Tokenizer::load_directory(const std::filesystem::path& directory) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(directory)) {
    throw Error(
        cat("tokenizer directory ", directory.string(), " does not exist or is not a directory"));
  }
  const fs::path json = directory / "tokenizer.json";
  const fs::path vocab = directory / "vocab.txt";
  const fs::path config = directory / "tokenizer_config.json";
  const bool has_config = fs::is_regular_file(config);
  if (fs::is_regular_file(json)) {
    TokenizerParts parts = parse_tokenizer_json(parse_json_file(json), json.string());
    parts.source_files = {json};
    if (has_config) {
      // transformers takes the pad token from tokenizer_config.json; tokenizer.json has none.
      Json settings = parse_json_file(config);
      JsonView view(settings, config.string());
      view.expect_object("a tokenizer configuration");
      if (auto pad = read_config_token(view, "pad_token")) parts.pad_token = pad->content;
      parts.source_files.push_back(config);
    }
    // The legacy files beside tokenizer.json travel with it into saved model directories.
    for (const char* extra : {"special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt", "spm.model",
                              "sentencepiece.bpe.model", "spiece.model"}) {
      if (fs::is_regular_file(directory / extra)) parts.source_files.push_back(directory / extra);
    }
    return Tokenizer(Impl::assemble(std::move(parts)));
  }
  // Without tokenizer.json: the legacy files, as transformers converts them.
  const fs::path config_or_none = has_config ? config : fs::path();
  std::optional<TokenizerParts> parts;
  for (const char* name : {"spm.model", "sentencepiece.bpe.model", "spiece.model"}) {
    if (!parts && fs::is_regular_file(directory / name)) {
      parts = parse_sentencepiece_model(directory / name, config_or_none);
    }
  }
  if (!parts && fs::is_regular_file(directory / "vocab.json") && fs::is_regular_file(directory / "merges.txt")) {
    parts = parse_vocab_json_merges(directory / "vocab.json", directory / "merges.txt", config_or_none);
  }
  if (!parts && fs::is_regular_file(vocab)) parts = parse_vocab_txt(vocab, config_or_none);
  if (!parts) {
    throw Error(cat("no tokenizer in ", directory.string(),
                    ": looked for tokenizer.json, a SentencePiece model (spm.model, sentencepiece.bpe.model, "
                    "spiece.model), vocab.json + merges.txt, and vocab.txt (each with an optional "
                    "tokenizer_config.json)"));
  }
  if (fs::is_regular_file(directory / "special_tokens_map.json")) {
    parts->source_files.push_back(directory / "special_tokens_map.json");
  }
  return Tokenizer(Impl::assemble(std::move(*parts)));
}

std::unique_ptr<Tokenizer::Impl> Tokenizer::Impl::assemble(TokenizerParts&& parts) {
  FT_CHECK(parts.model != nullptr, "tokenizer assembled without a model");
  auto impl = std::make_unique<Impl>();
  impl->normalizer = std::move(parts.normalizer);
  impl->pre_tokenizer = std::move(parts.pre_tokenizer);
  impl->added_tokens = parts.added_tokens;

  // Patterns: special tokens first, then the others (added_vocabulary.rs refresh_added_tokens
  // chains special_tokens and added_tokens); normalized ones are matched in their normalized form.
  for (bool special : {true, false}) {
    for (const AddedToken& token : impl->added_tokens) {
      if (token.special != special) continue;
      if (!token.normalized) {
        impl->raw_matcher.add(token.content, token);
      } else if (impl->normalizer) {
        std::string pattern;
        impl->normalizer->normalize(token.content, pattern);
        impl->normalized_matcher.add(std::move(pattern), token);
      } else {
        impl->normalized_matcher.add(token.content, token);
      }
    }
  }

  int64_t largest = -1, entries = 0;
  parts.model->for_each_token([&](std::string_view, int32_t id) {
    largest = std::max<int64_t>(largest, id);
    ++entries;
  });
  for (const AddedToken& token : impl->added_tokens) largest = std::max<int64_t>(largest, token.id);
  entries += static_cast<int64_t>(impl->added_tokens.size());
  // The id -> token table is indexed by id. Real vocabularies number their tokens 0..N-1; a file
  // whose ids are far sparser (one token with id 2^31-1) would make that table tens of gigabytes,
  // so it is refused with the numbers instead of failing to allocate.
  if (largest >= 2 * entries + 1024) {
    const std::string origin = !parts.origin.empty()         ? parts.origin
                               : parts.source_files.empty() ? std::string("tokenizer")
                                                            : parts.source_files.front().string();
    throw Error(cat(origin, ": token ids are too sparse: the largest is ", largest, " but there are only ", entries,
                    " tokens (ids should number the vocabulary from 0)"));
  }
  impl->id_to_token.assign(static_cast<size_t>(largest + 1), std::string());
  parts.model->for_each_token([&](std::string_view token, int32_t id) {
    impl->id_to_token[static_cast<size_t>(id)] = std::string(token);
  });
  for (const AddedToken& token : impl->added_tokens) {
    impl->id_to_token[static_cast<size_t>(token.id)] = token.content;  // added tokens win
  }

  impl->post_processor = std::move(parts.post_processor);
  impl->pad_token = std::move(parts.pad_token);
  impl->source_files = std::move(parts.source_files);
  impl->model = std::move(parts.model);
  if (dynamic_cast<const BertPreTokenizer*>(impl->pre_tokenizer.get())) {
    impl->bert_wordpiece = dynamic_cast<const WordPiece*>(impl->model.get());
  }
  return impl;
}

std::vector<int32_t> Tokenizer::Impl::tokenize(std::string_view text) const {
  size_t bad = utf8::find_invalid_byte(text);
  if (bad != std::string_view::npos) {
    throw Error(cat("cannot tokenize text that is not valid UTF-8: invalid byte 0x", std::hex,
                    static_cast<int>(static_cast<unsigned char>(text[bad])), std::dec, " at byte ",
                    bad + 1, " of ", text.size()));
  }

  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 8);
  std::string normalized_text;
  auto encode_plain = [&](std::string_view piece, bool at_start) {
    if (normalizer) {
      normalized_text.clear();
      normalizer->normalize(piece, normalized_text);
      encode_normalized(normalized_text, at_start, ids);
    } else {
      encode_normalized(piece, at_start, ids);
    }
  };
  if (raw_matcher.empty()) {
    encode_plain(text, true);
  } else {
    std::vector<TextPiece> pieces;
    raw_matcher.split(text, pieces);
    for (const TextPiece& piece : pieces) {
      if (piece.id >= 0) {
        ids.push_back(piece.id);
      } else {
        encode_plain(text.substr(piece.begin, piece.end - piece.begin), piece.begin == 0);
      }
    }
  }
  return ids;
}

namespace {

// tokenizers' truncate_encodings for a pair, `budget` tokens for both texts together.
void truncate_pair(std::vector<int32_t>& a, std::vector<int32_t>& b, size_t budget, TruncationStrategy strategy) {
  const size_t total = a.size() + b.size();
  if (total <= budget) return;
  const size_t to_remove = total - budget;
  if (strategy == TruncationStrategy::LongestFirst) {
    // With n1 the shorter length: keep it whole if the longer one can give up the rest, else
    // split the budget in halves (the odd token to the longer one).
    size_t n1 = a.size(), n2 = b.size();
    const bool swapped = n1 > n2;
    if (swapped) std::swap(n1, n2);
    n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = budget / 2;
      n2 = n1 + budget % 2;
    }
    if (swapped) std::swap(n1, n2);
    a.resize(std::min(a.size(), n1));
    b.resize(std::min(b.size(), n2));
    return;
  }
  std::vector<int32_t>& target = strategy == TruncationStrategy::OnlyFirst ? a : b;
  if (target.size() <= to_remove) {
    throw Error(cat("cannot truncate the pair to ", budget, " text tokens with ",
                    strategy == TruncationStrategy::OnlyFirst ? "only_first" : "only_second", ": the ",
                    strategy == TruncationStrategy::OnlyFirst ? "first" : "second", " text has ", target.size(),
                    " tokens and ", to_remove, " must go (use --truncation longest_first, or a larger --max-length)"));
  }
  target.resize(target.size() - to_remove);
}

}  // namespace

TruncationStrategy parse_truncation_strategy(std::string_view name) {
  if (name == "longest_first") return TruncationStrategy::LongestFirst;
  if (name == "only_first") return TruncationStrategy::OnlyFirst;
  if (name == "only_second") return TruncationStrategy::OnlySecond;
  throw Error(cat("unknown truncation strategy '", name, "' (expected longest_first, only_first or only_second)"));
}

Encoding Tokenizer::encode(std::string_view text, size_t max_length) const {
  const Impl& impl = *impl_;
  std::vector<int32_t> ids = impl.tokenize(text);

  // tokenizers post_process: truncate to max_length - (special tokens the template adds). When
  // max_length is smaller than that, HF's unsigned subtraction wraps around and nothing is
  // truncated; we do the same (checked by the hard-string goldens with max_length 1).
  const size_t special = impl.post_processor.added_tokens(false);
  if (max_length > 0 && max_length >= special) {
    size_t limit = max_length - special;
    if (ids.size() > limit) ids.resize(limit);
  }
  return impl.post_processor.apply(ids, nullptr);
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view text_pair, size_t max_length,
                                TruncationStrategy strategy) const {
  const Impl& impl = *impl_;
  std::vector<int32_t> a = impl.tokenize(text);
  std::vector<int32_t> b = impl.tokenize(text_pair);
  // As for one text: the budget is max_length less the pair template's special tokens, and a
  // max_length below those truncates nothing (HF's unsigned subtraction wraps around).
  const size_t special = impl.post_processor.added_tokens(true);
  if (max_length > 0 && max_length >= special) truncate_pair(a, b, max_length - special, strategy);
  return impl.post_processor.apply(a, &b);
}

size_t Tokenizer::vocab_size() const {
  return impl_->id_to_token.size();
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  for (const AddedToken& added : impl_->added_tokens) {
    if (added.content == token) return added.id;
  }
  int32_t id = impl_->model->token_to_id(token);
  if (id == Model::kMissing) return std::nullopt;
  return id;
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->id_to_token.size()) return "";
  return impl_->id_to_token[static_cast<size_t>(id)];
}

int32_t Tokenizer::pad_id() const {
  if (auto id = token_to_id(impl_->pad_token)) return *id;
  throw Error(cat("the tokenizer has no padding token '", impl_->pad_token,
                  "' in its vocabulary (needed to pad a batch)"));
}

size_t Tokenizer::num_special_tokens() const {
  return impl_->post_processor.added_tokens(false);
}

size_t Tokenizer::num_special_tokens_pair() const {
  return impl_->post_processor.added_tokens(true);
}

const std::vector<std::string>& Tokenizer::model_input_names() const {
  return impl_->model_input_names;
}

bool Tokenizer::returns_token_type_ids() const {
  const auto& names = impl_->model_input_names;
  return std::find(names.begin(), names.end(), "token_type_ids") != names.end();
}

const std::vector<std::filesystem::path>& Tokenizer::source_files() const {
  return impl_->source_files;
}

}  // namespace finetune
