// Placeholder until the SentencePiece model loader lands.
#include "core/error.h"
#include "tokenizer/tokenizer_parts.h"

namespace finetune {
TokenizerParts parse_sentencepiece_model(const std::filesystem::path& model, const std::filesystem::path&) {
  throw Error(cat(model.string(), ": SentencePiece models are not supported yet"));
}
}  // namespace finetune
