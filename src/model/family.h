// A model family: which building blocks (blocks/) it composes, its checkpoint keys, its head, and
// how it reads config.json. One file per family in families/ fills a FamilySpec; everything
// shared (the forward and backward passes, loading and saving, the trainer) reads it and never
// branches on the family. docs/families.md is the checklist for adding one.
//
// Families: bert.cpp (BertForSequenceClassification, also MiniLM/BGE), distilbert.cpp,
// roberta.cpp (RoBERTa, XLM-RoBERTa, CamemBERT: one architecture under three names),
// electra.cpp (ElectraForSequenceClassification), modernbert.cpp (ModernBertForSequence-
// Classification: pre-LN, rotary sliding-window attention, GeGLU).
#pragma once

#include <string>
#include <vector>

#include "io/json.h"
#include "model/blocks/classification_head.h"
#include "model/blocks/embeddings.h"
#include "model/blocks/encoder_layer.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune {

struct FamilySpec {
  Family family;
  const char* model_type;    // config.json's model_type: "roberta"
  const char* architecture;  // the ForSequenceClassification class transformers loads back
  // Prefix of the encoder's keys in a ForSequenceClassification checkpoint ("bert.", "roberta.").
  // Base-model checkpoints (BertModel, RobertaModel, sentence-transformers) store the same keys
  // without it, as transformers' base_model_prefix logic expects.
  std::string base_prefix;
  // Reads config.json with the family's field names and defaults into a ModelConfig (sizes,
  // eps, activation, dropout, max_tokens); parse_model_config adds what all families share.
  ModelConfig (*parse_config)(const JsonView& json);

  // The blocks it composes.
  blocks::EmbeddingsSpec embeddings;
  blocks::EncoderLayerSpec layer;
  blocks::ClassificationHeadSpec head;

  // Visits every parameter with its ForSequenceClassification key, in layout order.
  void (*visit)(const ModelConfig& config, ModelParams& params, ModelParams* grads,
                const ParameterVisitor& fn);
  // Checkpoint tensors that are buffers, not parameters, and are ignored without notice
  // (e.g. BERT's embeddings.position_ids), given relative to the base prefix.
  const char* const* ignored_buffers;
  // The parameter shapes, for a family whose layout is not the BERT-shaped one of
  // make_parameter_shapes (null: that one).
  ModelParams (*shapes)(const ModelConfig& config) = nullptr;
  // A LayerNorm after the last layer (ModernBERT's final_norm, ModelParams::final_norm).
  bool final_norm = false;
  // A LayerNorm in the head after its activation (ModernBERT's head.norm, HeadParams::norm).
  bool head_norm = false;
};

const FamilySpec& bert_family();
const FamilySpec& distilbert_family();
const FamilySpec& roberta_family();
const FamilySpec& xlm_roberta_family();
const FamilySpec& camembert_family();
const FamilySpec& electra_family();
const FamilySpec& modernbert_family();

// Every family, in the order error messages list them.
const std::vector<const FamilySpec*>& all_families();
const FamilySpec& family_spec(Family family);
// The family of a model_type, or null.
const FamilySpec* find_family(const std::string& model_type);
// "bert, distilbert, ..." for error messages.
std::string supported_model_types();

}  // namespace finetune
