// Reading a SentencePiece model file (sentencepiece_model.proto) with libprotobuf.
//
// transformers reads the same file with SentencePiece's own schema (convert_slow_tokenizer.py,
// SentencePieceExtractor: ModelProto().ParseFromString) and trusts what it finds; the
// SentencePiece library itself refuses a model without exactly one UNKNOWN piece or with an empty
// piece (src/model_interface.cc, ModelInterface::InitializePieces). We check those things here,
// at load, so that a broken or foreign file is one clear error naming it instead of a tokenizer
// that maps unknown text to a wrong id.
#include <string>

#include "core/error.h"
#include "io/file.h"
#include "tokenizer/loaders/sentencepiece.h"
#include "tokenizer/loaders/sentencepiece_model.pb.h"
#include "tokenizer/utf8.h"

namespace finetune {
namespace {

namespace proto = finetune::sentencepiece;

const char* piece_type_name(SentencePieceModel::PieceType type) {
  switch (type) {
    case SentencePieceModel::PieceType::Normal:
      return "NORMAL";
    case SentencePieceModel::PieceType::Unknown:
      return "UNKNOWN";
    case SentencePieceModel::PieceType::Control:
      return "CONTROL";
    case SentencePieceModel::PieceType::UserDefined:
      return "USER_DEFINED";
    case SentencePieceModel::PieceType::Unused:
      return "UNUSED";
    case SentencePieceModel::PieceType::Byte:
      return "BYTE";
  }
  return "?";
}

}  // namespace

SentencePieceModel read_sentencepiece_model(const std::filesystem::path& file) {
  const std::string bytes = read_file(file);
  const std::string name = file.string();
  const std::string not_a_model =
      " (it should be a serialized SentencePiece ModelProto, as spm_train writes it)";
  if (bytes.empty()) throw Error(cat(name, ": the SentencePiece model file is empty"));

  proto::ModelProto message;
  // ParseFromString fails on anything that is not well-formed protobuf wire format, which covers
  // a file cut inside a field; a file cut between two fields parses, and is caught below by its
  // missing trainer_spec / normalizer_spec (SentencePiece writes them after the pieces).
  if (!message.ParseFromString(bytes)) {
    throw Error(cat(name,
                    ": not a SentencePiece model: the file is not valid protobuf, or is truncated",
                    not_a_model));
  }
  if (message.pieces_size() == 0) {
    throw Error(cat(name, ": not a SentencePiece model: it has no pieces", not_a_model));
  }
  if (!message.has_trainer_spec() || !message.has_normalizer_spec()) {
    throw Error(cat(name, ": the SentencePiece model is truncated or incomplete: it has ",
                    message.pieces_size(), " pieces but no ",
                    message.has_trainer_spec() ? "normalizer_spec" : "trainer_spec",
                    " (SentencePiece writes both after the pieces)"));
  }

  SentencePieceModel model;
  model.pieces.reserve(static_cast<size_t>(message.pieces_size()));
  int unknown_pieces = 0;
  int first_unknown = -1;
  for (int i = 0; i < message.pieces_size(); ++i) {
    const proto::ModelProto::SentencePiece& entry = message.pieces(i);
    SentencePieceModel::Piece piece;
    piece.piece = entry.piece();
    piece.score = entry.score();
    piece.type = static_cast<SentencePieceModel::PieceType>(entry.type());
    if (piece.piece.empty())
      throw Error(cat(name, ": piece ", i, " is empty (SentencePiece refuses empty pieces)"));
    if (size_t bad = utf8::find_invalid_byte(piece.piece); bad != std::string::npos) {
      throw Error(cat(name, ": piece ", i, " is not valid UTF-8 (byte ", bad + 1, ")"));
    }
    if (piece.type == SentencePieceModel::PieceType::Unknown) {
      if (++unknown_pieces == 1) first_unknown = i;
    }
    model.pieces.push_back(std::move(piece));
  }
  const proto::TrainerSpec& trainer = message.trainer_spec();
  if (unknown_pieces == 0) {
    throw Error(cat(name,
                    ": the SentencePiece model has no unknown piece (no piece of type UNKNOWN; "
                    "trainer_spec.unk_id is ",
                    trainer.unk_id(), "), so text outside its vocabulary has no id"));
  }
  if (unknown_pieces > 1) {
    throw Error(cat(name, ": the SentencePiece model has ", unknown_pieces,
                    " pieces of type UNKNOWN (SentencePiece allows exactly one)"));
  }
  // transformers takes the unknown id from trainer_spec.unk_id, SentencePiece from the piece
  // types; they agree in every file spm_train writes, and we insist they do.
  if (trainer.unk_id() != first_unknown) {
    std::string named = "outside the pieces";
    if (trainer.unk_id() >= 0 && trainer.unk_id() < message.pieces_size()) {
      const SentencePieceModel::Piece& piece = model.pieces[static_cast<size_t>(trainer.unk_id())];
      named = cat("piece '", piece.piece, "' of type ", piece_type_name(piece.type));
    }
    throw Error(cat(name, ": trainer_spec.unk_id is ", trainer.unk_id(), " (", named,
                    ") but the unknown piece is piece ", first_unknown, " ('",
                    model.pieces[static_cast<size_t>(first_unknown)].piece, "')"));
  }
  model.unk_id = trainer.unk_id();
  model.model_type = static_cast<SentencePieceModel::ModelType>(trainer.model_type());
  model.byte_fallback = trainer.byte_fallback();
  const proto::NormalizerSpec& normalizer = message.normalizer_spec();
  model.normalizer_name = normalizer.name();
  model.precompiled_charsmap = normalizer.precompiled_charsmap();
  model.add_dummy_prefix = normalizer.add_dummy_prefix();
  return model;
}

}  // namespace finetune
