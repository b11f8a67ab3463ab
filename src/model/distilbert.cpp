// DistilBERT: checkpoint key names of DistilBertForSequenceClassification, no token types, and
// the pre_classifier's ReLU.
//
// Source of truth: transformers/models/distilbert/modeling_distilbert.py. Key tree:
//   distilbert.embeddings.{word_embeddings,position_embeddings}.weight
//   distilbert.embeddings.LayerNorm.{weight,bias}
//   distilbert.transformer.layer.<i>.attention.{q_lin,k_lin,v_lin,out_lin}.{weight,bias}
//   distilbert.transformer.layer.<i>.sa_layer_norm.{weight,bias}
//   distilbert.transformer.layer.<i>.ffn.{lin1,lin2}.{weight,bias}
//   distilbert.transformer.layer.<i>.output_layer_norm.{weight,bias}
//   pre_classifier.{weight,bias}            (head, followed by ReLU)
//   classifier.{weight,bias}                (head)
#include "model/encoder_layer.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr EncoderLayerKeys kDistilBertLayerKeys = {
    "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
    "sa_layer_norm",   "ffn.lin1",        "ffn.lin2",        "output_layer_norm",
};

constexpr const char* kDistilBertIgnoredBuffers[] = {"embeddings.position_ids", nullptr};

void visit_distilbert(const ModelConfig& config, ModelParams& p, ModelParams* g,
                      const ParameterVisitor& fn) {
  EmbeddingParams& e = p.embeddings;
  EmbeddingParams* eg = g ? &g->embeddings : nullptr;
  fn("distilbert.embeddings.word_embeddings.weight", e.word, eg ? &eg->word : nullptr, ParamGroup::Encoder);
  fn("distilbert.embeddings.position_embeddings.weight", e.position, eg ? &eg->position : nullptr,
     ParamGroup::Encoder);
  fn("distilbert.embeddings.LayerNorm.weight", e.norm.weight, eg ? &eg->norm.weight : nullptr,
     ParamGroup::Encoder);
  fn("distilbert.embeddings.LayerNorm.bias", e.norm.bias, eg ? &eg->norm.bias : nullptr, ParamGroup::Encoder);
  for (int i = 0; i < config.L; ++i) {
    visit_encoder_layer(cat("distilbert.transformer.layer.", i, "."), kDistilBertLayerKeys,
                        p.layers[i], g ? &g->layers[i] : nullptr, fn);
  }
  HeadParams& h = p.head;
  HeadParams* hg = g ? &g->head : nullptr;
  fn("pre_classifier.weight", h.pre.weight, hg ? &hg->pre.weight : nullptr, ParamGroup::Head);
  fn("pre_classifier.bias", h.pre.bias, hg ? &hg->pre.bias : nullptr, ParamGroup::Head);
  fn("classifier.weight", h.classifier.weight, hg ? &hg->classifier.weight : nullptr, ParamGroup::Head);
  fn("classifier.bias", h.classifier.bias, hg ? &hg->classifier.bias : nullptr, ParamGroup::Head);
}

}  // namespace

const FamilySpec& distilbert_family() {
  static const FamilySpec spec{Family::DistilBert, "distilbert.", /*has_token_types=*/false,
                               /*attention_output_dropout=*/false, kernels::Activation::Relu,
                               visit_distilbert, kDistilBertIgnoredBuffers};
  return spec;
}

const FamilySpec& family_spec(Family family) {
  return family == Family::Bert ? bert_family() : distilbert_family();
}

}  // namespace finetune
