// BERT (and the BERT-shaped MiniLM and BGE models): BertForSequenceClassification composed of the
// embeddings block with absolute positions and token types, post-LN layers, and BertPooler
// (tanh) + classifier as the head.
//
// Source of truth: transformers/models/bert/modeling_bert.py and configuration_bert.py. Key tree:
//   bert.embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight
//   bert.embeddings.LayerNorm.{weight,bias}
//   bert.encoder.layer.<i>.attention.self.{query,key,value}.{weight,bias}
//   bert.encoder.layer.<i>.attention.output.{dense,LayerNorm}.{weight,bias}
//   bert.encoder.layer.<i>.intermediate.dense.{weight,bias}
//   bert.encoder.layer.<i>.output.{dense,LayerNorm}.{weight,bias}
//   bert.pooler.dense.{weight,bias}        (head: BertPooler, tanh)
//   classifier.{weight,bias}                (head)
#include "model/blocks/encoder_visit.h"
#include "model/families/bert_config.h"
#include "model/families/bert_layer_keys.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr const char* kBertIgnoredBuffers[] = {"embeddings.position_ids",
                                               "embeddings.token_type_ids", nullptr};

ModelConfig parse_bert(const JsonView& json) {
  return normalize_bert_fields(read_bert_fields(json, BertConfig{}), json, Family::Bert);
}

constexpr blocks::EncoderKeyNames kBertKeys = {
    "bert.", "encoder.layer.", kBertLayerKeys, {"bert.pooler.dense", "classifier"}};

void visit_bert(const ModelConfig& config, ModelParams& p, ModelParams* g,
                const ParameterVisitor& fn) {
  blocks::visit_encoder(kBertKeys, config, p, g, fn);
}

}  // namespace

const FamilySpec& bert_family() {
  static const FamilySpec spec{
      Family::Bert,
      "bert",
      "BertForSequenceClassification",
      "bert.",
      parse_bert,
      blocks::EmbeddingsSpec{blocks::PositionIds::Absolute, /*token_types=*/true},
      blocks::EncoderLayerSpec{blocks::NormPlacement::PostLN, /*attention_output_dropout=*/true},
      blocks::ClassificationHeadSpec{kernels::Activation::Tanh, /*dropout_on_input=*/false},
      visit_bert,
      kBertIgnoredBuffers,
  };
  return spec;
}

}  // namespace finetune
