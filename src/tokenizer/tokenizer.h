// Tokenizer: text to model inputs, id for id equal to Hugging Face `tokenizers` (and to
// `transformers.AutoTokenizer` of the same directory).
//
// A Tokenizer is loaded from a model directory: `tokenizer.json` when present (the fast
// tokenizer file that `transformers` writes), else the legacy files as transformers converts
// them: a SentencePiece model, `vocab.json` + `merges.txt`, or `vocab.txt`, each with
// `tokenizer_config.json`. The pipeline is HF's: added tokens matched in the raw text, the
// normalizer, the pre-tokenizer, the model (WordPiece, WordLevel, BPE, Unigram), truncation and
// the post-processor's template (docs/tokenizers.md lists every supported component).
//
// `padding` and `truncation` stored in tokenizer.json are ignored, as `transformers` ignores
// them (it sets both per call); padding is done per batch by the data layer, truncation by the
// caller's max_length.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/json.h"

namespace finetune {

// One encoded sequence, unpadded (attention_mask is all ones; padding happens per batch).
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<int32_t> attention_mask;
};

// How a pair that is too long is cut (transformers' `truncation=`): longest_first takes tokens
// from the longer sequence (truncation=True), only_first / only_second from that one only.
enum class TruncationStrategy { LongestFirst, OnlyFirst, OnlySecond };

// "longest_first" | "only_first" | "only_second"; throws Error naming the accepted values.
TruncationStrategy parse_truncation_strategy(std::string_view name);

class Tokenizer {
 public:
  // tokenizer.json if the directory has one, else its legacy files (see above).
  static Tokenizer from_directory(const std::filesystem::path& directory);
  static Tokenizer from_tokenizer_json(const std::filesystem::path& file);
  // `origin` names the document in error messages.
  static Tokenizer from_json(const Json& document, const std::string& origin);
  // `config` may be empty (no tokenizer_config.json): defaults of BertTokenizer apply.
  static Tokenizer from_vocab_txt(const std::filesystem::path& vocab,
                                  const std::filesystem::path& config);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Encodes one text (must be valid UTF-8; invalid input throws Error). max_length == 0 means
  // no truncation; otherwise the result has at most max_length tokens, special tokens included
  // (HF: truncation=True, max_length=N, strategy longest_first, direction right). As in HF, a
  // max_length below num_special_tokens() truncates nothing (tokenizers' unsigned subtraction
  // wraps around), and max_length == num_special_tokens() leaves only the special tokens.
  Encoding encode(std::string_view text, size_t max_length = 0) const;

  // Encodes a text pair with the pair template (BERT: [CLS] A [SEP] B [SEP], types 0..0 1..1),
  // as HF tokenizers' encode((a, b)) + post_process does. With max_length > 0 the pair is cut to
  // max_length tokens, special tokens included, by `strategy` (tokenizers' truncate_encodings,
  // direction right). As for one text, a max_length below the pair template's special tokens
  // truncates nothing. only_first / only_second throw Error when that sequence is too short to
  // remove enough tokens from (HF: "Sequence to truncate too short"). A tokenizer without a pair
  // template (no post-processor) concatenates A and B with no special tokens, types 0 and 1.
  Encoding encode_pair(std::string_view text, std::string_view text_pair, size_t max_length = 0,
                       TruncationStrategy strategy = TruncationStrategy::LongestFirst) const;

  size_t vocab_size() const;  // largest id + 1, added tokens included
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;  // "" for an unknown id
  int32_t pad_id() const;
  // Number of special tokens the template adds to a single sequence ([CLS] and [SEP]: 2).
  size_t num_special_tokens() const;
  // The same for a pair ([CLS] A [SEP] B [SEP]: 3).
  size_t num_special_tokens_pair() const;

  // transformers' model_input_names for this tokenizer (see model_input_names.h): what
  // `transformers.AutoTokenizer` returns. Loaded from a directory, it follows the directory's
  // tokenizer_config.json / config.json; otherwise {"input_ids", "attention_mask"}.
  const std::vector<std::string>& model_input_names() const;
  // Whether model_input_names() contains "token_type_ids".
  bool returns_token_type_ids() const;

  // The files it was loaded from, to copy into a saved model directory.
  const std::vector<std::filesystem::path>& source_files() const;

 private:
  struct Impl;
  static Tokenizer load_directory(const std::filesystem::path& directory);
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace finetune
