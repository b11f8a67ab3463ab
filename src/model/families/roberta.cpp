// RoBERTa, XLM-RoBERTa and CamemBERT: RobertaForSequenceClassification and its two subclasses,
// one architecture under three names (transformers copies RoBERTa's modules into
// modeling_xlm_roberta.py and modeling_camembert.py unchanged). Composed of the embeddings block
// with positions counted from padding_idx and a one-row token-type table, BERT's post-LN layers,
// and RobertaClassificationHead (no pooler).
//
// Source of truth: transformers/models/roberta/modeling_roberta.py (RobertaEmbeddings,
// create_position_ids_from_input_ids, RobertaClassificationHead) and configuration_roberta.py,
// configuration_xlm_roberta.py, configuration_camembert.py (BertConfig's fields; pad 1, bos 0,
// eos 2). Key tree (the same prefix "roberta." for all three classes):
//   roberta.embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight
//   roberta.embeddings.LayerNorm.{weight,bias}
//   roberta.encoder.layer.<i>.<BertLayer's keys>
//   classifier.dense.{weight,bias}          (head: on <s>, tanh)
//   classifier.out_proj.{weight,bias}       (head)
// The checkpoints' layer_norm_eps is 1e-5 (read from config.json; the class default is 1e-12),
// and max_position_embeddings is 514 for 512 usable tokens (positions start at pad + 1).
// RobertaModel checkpoints add pooler.dense.* (unused here, reported), RobertaForMaskedLM ones
// lm_head.* (likewise); both get a fresh classifier.
#include "model/blocks/encoder_visit.h"
#include "model/families/bert_config.h"
#include "model/families/bert_layer_keys.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr const char* kRobertaIgnoredBuffers[] = {"embeddings.position_ids",
                                                  "embeddings.token_type_ids", nullptr};

constexpr blocks::EmbeddingsSpec kRobertaEmbeddings{blocks::PositionIds::FromPaddingIdx,
                                                    /*token_types=*/true};

// RobertaConfig's defaults: BertConfig's, with pad 1 and a vocabulary of 50265. XLMRobertaConfig
// and CamembertConfig keep BertConfig's vocab_size (30522) and also use pad 1.
ModelConfig parse_roberta_shaped(const JsonView& json, Family family, int default_vocab_size) {
  BertConfig defaults;
  defaults.vocab_size = default_vocab_size;
  defaults.pad_token_id = 1;
  ModelConfig m = normalize_bert_fields(read_bert_fields(json, defaults), json, family);
  m.max_tokens = blocks::max_tokens_for(kRobertaEmbeddings, m.P, m.pad_token_id);
  return m;
}

ModelConfig parse_roberta(const JsonView& json) {
  return parse_roberta_shaped(json, Family::Roberta, 50265);
}
ModelConfig parse_xlm_roberta(const JsonView& json) {
  return parse_roberta_shaped(json, Family::XlmRoberta, 30522);
}
ModelConfig parse_camembert(const JsonView& json) {
  return parse_roberta_shaped(json, Family::Camembert, 30522);
}

constexpr blocks::EncoderKeyNames kRobertaKeys = {
    "roberta.", "encoder.layer.", kBertLayerKeys, {"classifier.dense", "classifier.out_proj"}};

void visit_roberta(const ModelConfig& config, ModelParams& p, ModelParams* g,
                   const ParameterVisitor& fn) {
  blocks::visit_encoder(kRobertaKeys, config, p, g, fn);
}

FamilySpec roberta_shaped(Family family, const char* model_type, const char* architecture,
                          ModelConfig (*parse)(const JsonView&)) {
  return FamilySpec{
      family,
      model_type,
      architecture,
      "roberta.",
      parse,
      kRobertaEmbeddings,
      blocks::EncoderLayerSpec{blocks::NormPlacement::PostLN, /*attention_output_dropout=*/true},
      blocks::ClassificationHeadSpec{kernels::Activation::Tanh, /*dropout_on_input=*/true},
      visit_roberta,
      kRobertaIgnoredBuffers,
  };
}

}  // namespace

const FamilySpec& roberta_family() {
  static const FamilySpec spec =
      roberta_shaped(Family::Roberta, "roberta", "RobertaForSequenceClassification", parse_roberta);
  return spec;
}

const FamilySpec& xlm_roberta_family() {
  static const FamilySpec spec = roberta_shaped(
      Family::XlmRoberta, "xlm-roberta", "XLMRobertaForSequenceClassification", parse_xlm_roberta);
  return spec;
}

const FamilySpec& camembert_family() {
  static const FamilySpec spec = roberta_shaped(
      Family::Camembert, "camembert", "CamembertForSequenceClassification", parse_camembert);
  return spec;
}

}  // namespace finetune
