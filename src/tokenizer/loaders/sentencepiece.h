// SentencePiece model files, and the tokenizer transformers builds from one.
//
// A directory without tokenizer.json may hold a SentencePiece model (spm.model,
// sentencepiece.bpe.model, spiece.model) and a tokenizer_config.json naming the class. transformers
// 5.24 does not run SentencePiece on it: AutoTokenizer reads the model's pieces
// (convert_slow_tokenizer.py: SentencePieceExtractor), lets the class rearrange them
// (XLMRobertaConverter / CamembertConverter .convert_from_spm) and then builds an HF `tokenizers`
// pipeline in the class's __init__ (models/deberta_v2/tokenization_deberta_v2.py,
// models/xlm_roberta/tokenization_xlm_roberta.py, models/camembert/tokenization_camembert.py,
// models/albert/tokenization_albert.py), adding its special tokens the way
// tokenization_utils_tokenizers.py (TokenizersBackend.__init__) does. We build the same pipeline
// as the tokenizer.json document that transformers would save, and load it through the factory
// like any tokenizer.json, so the components (Unigram, Metaspace, Precompiled, ...) exist once.
//
// The protobuf types stay inside sentencepiece_model.cpp; this header has plain structs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/json.h"

namespace finetune {

// What a SentencePiece ModelProto holds that we read (sentencepiece_model.proto names the fields).
struct SentencePieceModel {
  // ModelProto.SentencePiece.Type, with SentencePiece's numbers.
  enum class PieceType : int {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6
  };
  // TrainerSpec.ModelType.
  enum class ModelType : int { Unigram = 1, Bpe = 2, Word = 3, Char = 4 };

  struct Piece {
    std::string piece;  // valid UTF-8, not empty
    float score = 0;
    PieceType type = PieceType::Normal;
  };

  std::vector<Piece> pieces;  // id = index
  ModelType model_type = ModelType::Unigram;
  int32_t unk_id = 0;  // trainer_spec.unk_id: checked to be the piece of type Unknown
  bool byte_fallback = false;
  std::string normalizer_name;       // normalizer_spec.name ("nmt_nfkc", "identity", ...)
  std::string precompiled_charsmap;  // raw bytes; empty when the model has none
  bool add_dummy_prefix = true;
};

// Reads a SentencePiece model file with libprotobuf and checks what the tokenizer relies on:
// the file parses as a ModelProto with a trainer_spec and a normalizer_spec, it has pieces, every
// piece is non-empty valid UTF-8, exactly one piece has type UNKNOWN and trainer_spec.unk_id
// names it. Anything else is one Error naming the file (and the piece, where one is to blame).
SentencePieceModel read_sentencepiece_model(const std::filesystem::path& file);

// The tokenizer.json document that transformers 5.24's AutoTokenizer builds from `model` and
// `config` (tokenizer_config.json; an empty path means none), in the shape
// Tokenizer::to_str() / save_pretrained writes: version, truncation and padding (null),
// added_tokens (ordered by id, with ids), normalizer, pre_tokenizer, post_processor, decoder and
// model. special_tokens_map.json and added_tokens.json beside the model are read as transformers
// reads them. The class is tokenizer_config.json's tokenizer_class, else config.json's
// tokenizer_class or model_type in the same directory; AlbertTokenizer, CamembertTokenizer,
// DebertaV2Tokenizer and XLMRobertaTokenizer (each also with "Fast") are supported, and anything
// else is an Error naming the file and the class.
Json sentencepiece_tokenizer_json(const std::filesystem::path& model,
                                  const std::filesystem::path& config);

}  // namespace finetune
