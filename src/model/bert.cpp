// BERT (and the BERT-shaped MiniLM family): checkpoint key names of
// BertForSequenceClassification, token-type embeddings, and the pooler's tanh.
//
// Source of truth: transformers/models/bert/modeling_bert.py. Key tree:
//   bert.embeddings.{word_embeddings,position_embeddings,token_type_embeddings}.weight
//   bert.embeddings.LayerNorm.{weight,bias}
//   bert.encoder.layer.<i>.attention.self.{query,key,value}.{weight,bias}
//   bert.encoder.layer.<i>.attention.output.{dense,LayerNorm}.{weight,bias}
//   bert.encoder.layer.<i>.intermediate.dense.{weight,bias}
//   bert.encoder.layer.<i>.output.{dense,LayerNorm}.{weight,bias}
//   bert.pooler.dense.{weight,bias}        (head: BertPooler, tanh)
//   classifier.{weight,bias}                (head)
#include "model/encoder_layer.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr EncoderLayerKeys kBertLayerKeys = {
    "attention.self.query",       "attention.self.key",   "attention.self.value",
    "attention.output.dense",     "attention.output.LayerNorm",
    "intermediate.dense",         "output.dense",         "output.LayerNorm",
};

constexpr const char* kBertIgnoredBuffers[] = {"embeddings.position_ids", nullptr};

void visit_bert(const ModelConfig& config, ModelParams& p, ModelParams* g, const ParameterVisitor& fn) {
  EmbeddingParams& e = p.embeddings;
  EmbeddingParams* eg = g ? &g->embeddings : nullptr;
  fn("bert.embeddings.word_embeddings.weight", e.word, eg ? &eg->word : nullptr, ParamGroup::Encoder);
  fn("bert.embeddings.position_embeddings.weight", e.position, eg ? &eg->position : nullptr,
     ParamGroup::Encoder);
  fn("bert.embeddings.token_type_embeddings.weight", e.token_type, eg ? &eg->token_type : nullptr,
     ParamGroup::Encoder);
  fn("bert.embeddings.LayerNorm.weight", e.norm.weight, eg ? &eg->norm.weight : nullptr, ParamGroup::Encoder);
  fn("bert.embeddings.LayerNorm.bias", e.norm.bias, eg ? &eg->norm.bias : nullptr, ParamGroup::Encoder);
  for (int i = 0; i < config.L; ++i) {
    visit_encoder_layer(cat("bert.encoder.layer.", i, "."), kBertLayerKeys, p.layers[i],
                        g ? &g->layers[i] : nullptr, fn);
  }
  HeadParams& h = p.head;
  HeadParams* hg = g ? &g->head : nullptr;
  fn("bert.pooler.dense.weight", h.pre.weight, hg ? &hg->pre.weight : nullptr, ParamGroup::Head);
  fn("bert.pooler.dense.bias", h.pre.bias, hg ? &hg->pre.bias : nullptr, ParamGroup::Head);
  fn("classifier.weight", h.classifier.weight, hg ? &hg->classifier.weight : nullptr, ParamGroup::Head);
  fn("classifier.bias", h.classifier.bias, hg ? &hg->classifier.bias : nullptr, ParamGroup::Head);
}

}  // namespace

const FamilySpec& bert_family() {
  static const FamilySpec spec{Family::Bert,         "bert.",    /*has_token_types=*/true,
                               /*attention_output_dropout=*/true, kernels::Activation::Tanh,
                               visit_bert,           kBertIgnoredBuffers};
  return spec;
}

}  // namespace finetune
