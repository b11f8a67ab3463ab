// ELECTRA: ElectraForSequenceClassification composed of the embeddings block with absolute
// positions, token types and embeddings of width embedding_size (projected to the hidden size by
// electra.embeddings_project when the two differ), BERT's post-LN layers, and
// ElectraClassificationHead.
//
// Source of truth: transformers/models/electra/modeling_electra.py (ElectraEmbeddings,
// ElectraModel.embeddings_project, ElectraClassificationHead) and configuration_electra.py.
// Key tree:
//   electra.embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight  [*, E]
//   electra.embeddings.LayerNorm.{weight,bias}                                              [E]
//   electra.embeddings_project.{weight,bias}     (only when embedding_size != hidden_size)  [C, E]
//   electra.encoder.layer.<i>.<BertLayer's keys>
//   classifier.dense.{weight,bias}               (head: on token 0, GELU)
//   classifier.out_proj.{weight,bias}            (head)
// The head's GELU is get_activation("gelu"), the exact erf form, whatever hidden_act says (the
// encoder uses hidden_act). Discriminator checkpoints (ElectraForPreTraining) add
// discriminator_predictions.* (unused here, reported) and get a fresh classifier.
#include "model/blocks/encoder_visit.h"
#include "model/config_fields.h"
#include "model/families/bert_config.h"
#include "model/families/bert_layer_keys.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr const char* kElectraIgnoredBuffers[] = {"embeddings.position_ids",
                                                  "embeddings.token_type_ids", nullptr};

// ElectraConfig's defaults: BertConfig's fields with hidden 256, 4 heads, intermediate 1024, and
// embedding_size 128.
ModelConfig parse_electra(const JsonView& json) {
  BertConfig defaults;
  defaults.hidden_size = 256;
  defaults.num_attention_heads = 4;
  defaults.intermediate_size = 1024;
  ModelConfig m = normalize_bert_fields(read_bert_fields(json, defaults), json, Family::Electra);
  m.E = positive_int_field(json, "embedding_size", 128);
  return m;
}

constexpr blocks::EncoderKeyNames kElectraKeys = {
    "electra.", "encoder.layer.", kBertLayerKeys, {"classifier.dense", "classifier.out_proj"}};

void visit_electra(const ModelConfig& config, ModelParams& p, ModelParams* g,
                   const ParameterVisitor& fn) {
  blocks::visit_encoder(kElectraKeys, config, p, g, fn);
}

}  // namespace

const FamilySpec& electra_family() {
  static const FamilySpec spec{
      Family::Electra,
      "electra",
      "ElectraForSequenceClassification",
      "electra.",
      parse_electra,
      blocks::EmbeddingsSpec{blocks::PositionIds::Absolute, /*token_types=*/true},
      blocks::EncoderLayerSpec{blocks::NormPlacement::PostLN, /*attention_output_dropout=*/true},
      blocks::ClassificationHeadSpec{kernels::Activation::GeluErf, /*dropout_on_input=*/true},
      visit_electra,
      kElectraIgnoredBuffers,
  };
  return spec;
}

}  // namespace finetune
