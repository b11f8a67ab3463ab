// ModernBERT: ModernBertForSequenceClassification composed of embeddings without a position
// table (tok_embeddings -> norm -> dropout), pre-LN layers with rotary attention (a sliding
// window on the local layers) and a GeGLU feed-forward, a LayerNorm after the last layer, and
// ModernBertPredictionHead on the cls token or the masked mean.
//
// Source of truth: transformers/models/modernbert/modeling_modernbert.py (ModernBertEmbeddings,
// ModernBertAttention, ModernBertMLP, ModernBertEncoderLayer, ModernBertModel,
// ModernBertPredictionHead, ModernBertForSequenceClassification) and configuration_modernbert.py.
// Key tree (biases only where attention_bias / mlp_bias / norm_bias / classifier_bias say):
//   model.embeddings.tok_embeddings.weight                 [V, C]
//   model.embeddings.norm.{weight,bias}                    [C]
//   model.layers.<i>.attn_norm.{weight,bias}               [C]      (absent in layer 0: identity)
//   model.layers.<i>.attn.Wqkv.{weight,bias}               [3C, C]  (q, k, v stacked)
//   model.layers.<i>.attn.Wo.{weight,bias}                 [C, C]
//   model.layers.<i>.mlp_norm.{weight,bias}                [C]
//   model.layers.<i>.mlp.Wi.{weight,bias}                  [2 FF, C] (GeGLU input, then gate)
//   model.layers.<i>.mlp.Wo.{weight,bias}                  [C, FF]
//   model.final_norm.{weight,bias}                         [C]
//   head.dense.{weight,bias}                               [C, C]   (bias: classifier_bias)
//   head.norm.{weight,bias}                                [C]
//   classifier.{weight,bias}                               [K, C]   (always a bias)
// Layer i attends globally (rope_theta of "full_attention", 160000 by default) when
// layer_types[i] is "full_attention", else within |i - j| <= local_attention / 2 (rope_theta of
// "sliding_attention", 10000). Hub configs written before transformers 5 give the pattern as
// global_attn_every_n_layers (layer i global iff i % n == 0) and the bases as global_rope_theta /
// local_rope_theta; both spellings are read. ModernBertForMaskedLM checkpoints share head.dense
// and head.norm (loaded) and add head-less decoder.* (unused, reported); the classifier is fresh.
#include <vector>

#include "model/blocks/param_visit.h"
#include "model/config_fields.h"
#include "model/family.h"

namespace finetune {
namespace {

constexpr int kDefaultLocalAttention = 128;
constexpr double kDefaultGlobalRopeTheta = 160000.0, kDefaultLocalRopeTheta = 10000.0;

constexpr blocks::EmbeddingsSpec kModernBertEmbeddings{blocks::PositionIds::None,
                                                       /*token_types=*/false};

// rope_parameters[layer_type].rope_theta (transformers 5), else the legacy flat key, else the
// class default. Only the default (unscaled) RoPE is implemented.
double rope_theta(const JsonView& json, const char* layer_type, const char* legacy_key,
                  double fallback) {
  double theta = json.has(legacy_key) ? json.get_number(legacy_key) : fallback;
  if (json.has("rope_parameters")) {
    const JsonView all = json.at("rope_parameters");
    all.expect_object("rope_parameters");
    if (all.has(layer_type)) {
      const JsonView params = all.at(layer_type);
      params.expect_object(cat("rope_parameters.", layer_type));
      const std::string type = params.get_string_or("rope_type", "default");
      if (type != "default") {
        params.fail("rope_type", cat("'", type, "' RoPE scaling is not supported (supported: "
                                                "default)"));
      }
      if (params.has("rope_theta")) theta = params.get_number("rope_theta");
    }
  }
  if (json.has("rope_scaling")) json.fail("rope_scaling", "RoPE scaling is not supported");
  if (!(theta > 0)) json.fail(legacy_key, cat("rope_theta must be positive, not ", theta));
  return theta;
}

// Whether each layer is global ("full_attention") or local ("sliding_attention").
std::vector<bool> global_layers(const JsonView& json, int L) {
  std::vector<bool> global(L);
  if (json.has("layer_types")) {
    const Json& types = json.at("layer_types").raw();
    if (!types.is_array() || static_cast<int>(types.size()) != L) {
      json.fail("layer_types", cat("expected a list of ", L, " layer types (num_hidden_layers)"));
    }
    for (int i = 0; i < L; ++i) {
      const std::string type = types[i].is_string() ? types[i].get<std::string>() : "";
      if (type != "full_attention" && type != "sliding_attention") {
        json.fail("layer_types",
                  cat("entry ", i, ": expected \"full_attention\" or \"sliding_attention\""));
      }
      global[i] = type == "full_attention";
    }
    return global;
  }
  const int every = positive_int_field(json, "global_attn_every_n_layers", 3);
  for (int i = 0; i < L; ++i) global[i] = i % every == 0;
  return global;
}

ModelConfig parse_modernbert(const JsonView& json) {
  ModelConfig m;
  m.V = positive_int_field(json, "vocab_size", 50368);
  m.C = m.E = positive_int_field(json, "hidden_size", 768);
  m.L = positive_int_field(json, "num_hidden_layers", 22);
  m.NH = positive_int_field(json, "num_attention_heads", 12);
  require_divisible(json, "hidden_size", m.C, "num_attention_heads", m.NH);
  if ((m.C / m.NH) % 2 != 0) {
    json.fail("hidden_size", cat("the head size ", m.C / m.NH, " must be even for rotary "
                                                               "positions"));
  }
  m.FF = positive_int_field(json, "intermediate_size", 1152);
  m.P = m.max_tokens = positive_int_field(json, "max_position_embeddings", 8192);
  m.TV = 0;
  m.layer_norm_eps = positive_number_field(json, "norm_eps", 1e-5);
  m.activation_name = json.get_string_or("hidden_activation", "gelu");
  m.activation = parse_activation(json, "hidden_activation", m.activation_name);
  m.embedding_dropout = probability_field(json, "embedding_dropout", 0);
  // attention_dropout: the probabilities and the output projection (ModernBertAttention.out_drop).
  m.attention_dropout = m.attention_output_dropout =
      probability_field(json, "attention_dropout", 0);
  m.feed_forward_dropout = probability_field(json, "mlp_dropout", 0);
  m.classifier_dropout = probability_field(json, "classifier_dropout", 0);
  m.initializer_range = json.get_number_or("initializer_range", 0.02);
  m.pad_token_id = static_cast<int>(json.get_int_or("pad_token_id", 50283));

  m.attention_bias = json.get_bool_or("attention_bias", false);
  m.mlp_bias = json.get_bool_or("mlp_bias", false);
  m.norm_bias = json.get_bool_or("norm_bias", false);
  m.head_dense_bias = json.get_bool_or("classifier_bias", false);
  const std::string pooling = json.get_string_or("classifier_pooling", "cls");
  if (pooling != "cls" && pooling != "mean") {
    json.fail("classifier_pooling", cat("'", pooling, "' is not supported (supported: cls, mean)"));
  }
  m.head_pooling = pooling == "mean" ? HeadPooling::Mean : HeadPooling::FirstToken;
  m.head_activation_from_config = true;
  m.head_activation = parse_activation(json, "classifier_activation",
                                       json.get_string_or("classifier_activation", "gelu"));

  const int window = positive_int_field(json, "local_attention", kDefaultLocalAttention) / 2;
  const double global_theta =
      rope_theta(json, "full_attention", "global_rope_theta", kDefaultGlobalRopeTheta);
  const double local_theta =
      rope_theta(json, "sliding_attention", "local_rope_theta", kDefaultLocalRopeTheta);
  const std::vector<bool> global = global_layers(json, m.L);
  for (int i = 0; i < m.L; ++i) {
    m.layer_attention.push_back(global[i] ? LayerAttention{0, global_theta}
                                          : LayerAttention{window, local_theta});
  }
  return m;
}

ModelParams modernbert_shapes(const ModelConfig& c) {
  const int64_t C = c.C, FF = c.FF;
  ModelParams p;
  p.embeddings = blocks::embeddings_shapes(c, kModernBertEmbeddings);
  for (int i = 0; i < c.L; ++i) {
    EncoderLayerParams layer;
    layer.qkv_weight = Tensor(nullptr, DType::F32, {3 * C, C});
    if (c.attention_bias) layer.qkv_bias = Tensor(nullptr, DType::F32, {3 * C});
    layer.attention_output = blocks::linear_shape(C, C, c.attention_bias);
    if (i > 0) layer.attention_norm = blocks::norm_shape(C, c.norm_bias);
    layer.intermediate = blocks::linear_shape(2 * FF, C, c.mlp_bias);
    layer.output = blocks::linear_shape(C, FF, c.mlp_bias);
    layer.output_norm = blocks::norm_shape(C, c.norm_bias);
    p.layers.push_back(layer);
  }
  p.final_norm = blocks::norm_shape(C, c.norm_bias);
  p.head = blocks::classification_head_shapes(c);
  p.head.norm = blocks::norm_shape(C, c.norm_bias);
  return p;
}

void visit_modernbert(const ModelConfig& config, ModelParams& p, ModelParams* g,
                      const ParameterVisitor& fn) {
  const ParamGroup encoder = ParamGroup::Encoder;
  fn("model.embeddings.tok_embeddings.weight", p.embeddings.word,
     g ? &g->embeddings.word : nullptr, encoder);
  blocks::visit_norm(fn, "model.embeddings.norm", p.embeddings.norm,
                     g ? &g->embeddings.norm : nullptr, encoder);
  for (int i = 0; i < config.L; ++i) {
    const std::string prefix = cat("model.layers.", i, ".");
    EncoderLayerParams& layer = p.layers[i];
    EncoderLayerParams* grad = g ? &g->layers[i] : nullptr;
    if (layer.attention_norm.weight.ndim > 0) {
      blocks::visit_norm(fn, prefix + "attn_norm", layer.attention_norm,
                         grad ? &grad->attention_norm : nullptr, encoder);
    }
    blocks::visit_fused_self_attention(prefix, "attn.Wqkv", "attn.Wo", layer, grad, fn);
    blocks::visit_norm(fn, prefix + "mlp_norm", layer.output_norm,
                       grad ? &grad->output_norm : nullptr, encoder);
    blocks::visit_linear(fn, prefix + "mlp.Wi", layer.intermediate,
                         grad ? &grad->intermediate : nullptr, encoder);
    blocks::visit_linear(fn, prefix + "mlp.Wo", layer.output, grad ? &grad->output : nullptr,
                         encoder);
  }
  blocks::visit_norm(fn, "model.final_norm", p.final_norm, g ? &g->final_norm : nullptr, encoder);
  blocks::visit_classification_head({"head.dense", "classifier", "head.norm"}, p.head,
                                    g ? &g->head : nullptr, fn);
}

constexpr const char* kModernBertIgnoredBuffers[] = {nullptr};

}  // namespace

const FamilySpec& modernbert_family() {
  static const FamilySpec spec{
      Family::ModernBert,
      "modernbert",
      "ModernBertForSequenceClassification",
      "model.",
      parse_modernbert,
      kModernBertEmbeddings,
      blocks::EncoderLayerSpec{blocks::NormPlacement::PreLN, /*attention_output_dropout=*/true,
                               blocks::FeedForwardKind::GeGLU},
      // The activation is classifier_activation (ModelConfig::head_activation_from_config).
      blocks::ClassificationHeadSpec{kernels::Activation::GeluErf, /*dropout_on_input=*/false},
      visit_modernbert,
      kModernBertIgnoredBuffers,
      modernbert_shapes,
      /*final_norm=*/true,
      /*head_norm=*/true,
  };
  return spec;
}

}  // namespace finetune
