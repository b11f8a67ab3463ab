// Placeholder until the vocab.json + merges.txt loader lands.
#include "core/error.h"
#include "tokenizer/tokenizer_parts.h"

namespace finetune {
TokenizerParts parse_vocab_json_merges(const std::filesystem::path& vocab_json, const std::filesystem::path&,
                                       const std::filesystem::path&) {
  throw Error(cat(vocab_json.string(), ": vocab.json + merges.txt tokenizers are not supported yet"));
}
}  // namespace finetune
