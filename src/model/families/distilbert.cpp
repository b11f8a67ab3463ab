// DistilBERT: DistilBertForSequenceClassification composed of the embeddings block with absolute
// positions and no token types, post-LN layers without the attention output dropout, and
// pre_classifier (ReLU) + classifier as the head.
//
// Source of truth: transformers/models/distilbert/modeling_distilbert.py and
// configuration_distilbert.py. Key tree:
//   distilbert.embeddings.{word_embeddings,position_embeddings}.weight
//   distilbert.embeddings.LayerNorm.{weight,bias}
//   distilbert.transformer.layer.<i>.attention.{q_lin,k_lin,v_lin,out_lin}.{weight,bias}
//   distilbert.transformer.layer.<i>.sa_layer_norm.{weight,bias}
//   distilbert.transformer.layer.<i>.ffn.{lin1,lin2}.{weight,bias}
//   distilbert.transformer.layer.<i>.output_layer_norm.{weight,bias}
//   pre_classifier.{weight,bias}            (head, followed by ReLU)
//   classifier.{weight,bias}                (head)
#include "model/blocks/encoder_visit.h"
#include "model/config_fields.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr blocks::EncoderLayerKeys kDistilBertLayerKeys = {
    {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"},
    "sa_layer_norm",
    {"ffn.lin1", "ffn.lin2"},
    "output_layer_norm",
};

constexpr const char* kDistilBertIgnoredBuffers[] = {"embeddings.position_ids", nullptr};

// DistilBERT's LayerNorms are built with a fixed eps (modeling_distilbert.py: eps=1e-12).
constexpr double kDistilBertLayerNormEps = 1e-12;

// configuration_distilbert.py's fields and defaults.
ModelConfig parse_distilbert(const JsonView& json) {
  const int dim = positive_int_field(json, "dim", 768);
  const int n_heads = positive_int_field(json, "n_heads", 12);
  require_divisible(json, "dim", dim, "n_heads", n_heads);
  ModelConfig m;
  m.family = Family::DistilBert;
  m.V = positive_int_field(json, "vocab_size", 30522);
  m.C = dim;
  m.E = dim;
  m.L = positive_int_field(json, "n_layers", 6);
  m.NH = n_heads;
  m.FF = positive_int_field(json, "hidden_dim", 3072);
  m.P = positive_int_field(json, "max_position_embeddings", 512);
  m.TV = 0;
  m.max_tokens = m.P;
  m.layer_norm_eps = kDistilBertLayerNormEps;
  m.activation_name = json.get_string_or("activation", "gelu");
  m.activation = parse_activation(json, "activation", m.activation_name);
  // `dropout`: the embeddings and the feed-forward output (the attention output has none).
  m.embedding_dropout = m.feed_forward_dropout = probability_field(json, "dropout", 0.1);
  m.attention_output_dropout = 0;
  m.attention_dropout = probability_field(json, "attention_dropout", 0.1);
  m.classifier_dropout = probability_field(json, "seq_classif_dropout", 0.2);
  m.initializer_range = json.get_number_or("initializer_range", 0.02);
  m.pad_token_id = static_cast<int>(json.get_int_or("pad_token_id", 0));
  return m;
}

constexpr blocks::EncoderKeyNames kDistilBertKeys = {
    "distilbert.", "transformer.layer.", kDistilBertLayerKeys, {"pre_classifier", "classifier"}};

void visit_distilbert(const ModelConfig& config, ModelParams& p, ModelParams* g,
                      const ParameterVisitor& fn) {
  blocks::visit_encoder(kDistilBertKeys, config, p, g, fn);
}

}  // namespace

const FamilySpec& distilbert_family() {
  static const FamilySpec spec{
      Family::DistilBert,
      "distilbert",
      "DistilBertForSequenceClassification",
      "distilbert.",
      parse_distilbert,
      blocks::EmbeddingsSpec{blocks::PositionIds::Absolute, /*token_types=*/false},
      blocks::EncoderLayerSpec{blocks::NormPlacement::PostLN, /*attention_output_dropout=*/false},
      blocks::ClassificationHeadSpec{kernels::Activation::Relu, /*dropout_on_input=*/false},
      visit_distilbert,
      kDistilBertIgnoredBuffers,
  };
  return spec;
}

}  // namespace finetune
