// Parameters: structs that mirror the Hugging Face module tree, one flat buffer behind them, and
// the one visitor that names every parameter by its checkpoint key.
//
// DESIGN.md principles 3 and 4. All parameters of a model live in one contiguous fp32 buffer
// (gradients, when training, in a second buffer with the same layout), so zero-grad is one
// memset, the optimizer one pass, and data-parallel reduction one all-reduce. The structs below
// hold Tensor views into that buffer. `for_each_parameter` visits them in layout order with their
// Hugging Face key (`distilbert.transformer.layer.0.attention.q_lin.weight`,
// `bert.encoder.layer.0.attention.self.query.weight`, `classifier.weight`): it drives loading,
// saving, zero-grad, the optimizer, grad-norm and the tests, so a key is spelled in one place.
//
// Field names are family-neutral (the structs belong to the building blocks of blocks/, which
// the families compose); each field's comment gives the BERT and DistilBERT module it stands
// for, and each family file lists its own keys.
//
// Dimension legend: V vocab, P positions, TV token types, C hidden, E embedding width, FF
// intermediate, K labels.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "core/tensor.h"
#include "model/config.h"
#include "ops/memory.h"

namespace finetune {

struct LinearParams {
  Tensor weight;  // [out, in]
  Tensor bias;    // [out]
};

struct LayerNormParams {
  Tensor weight;  // [C]
  Tensor bias;    // [C]
};

struct EmbeddingParams {
  Tensor word;           // [V, E]  word_embeddings
  Tensor position;       // [P, E]  position_embeddings (empty for rotary families)
  Tensor token_type;     // [TV, E] token_type_embeddings (empty for DistilBERT)
  LayerNormParams norm;  // embeddings.LayerNorm [E]
  LinearParams project;  // [C, E] ELECTRA's embeddings_project (empty unless E != C)
};

// ModernBERT stores the attention as one fused attn.Wqkv (visited as qkv_weight / qkv_bias, with
// query/key/value left empty), names the feed-forward mlp.Wi ([2 FF, C]: GeGLU's input and gate)
// and mlp.Wo, and has no attention_norm in layer 0 (empty: the identity). Absent biases
// (attention_bias, mlp_bias, norm_bias false) are empty tensors.
struct EncoderLayerParams {
  LinearParams query;  // BERT attention.self.query  / DistilBERT attention.q_lin   [C, C]
  LinearParams key;    // BERT attention.self.key    / DistilBERT attention.k_lin   [C, C]
  LinearParams value;  // BERT attention.self.value  / DistilBERT attention.v_lin   [C, C]
  LinearParams attention_output;   // BERT attention.output.dense / DistilBERT attention.out_lin
  LayerNormParams attention_norm;  // BERT attention.output.LayerNorm / DistilBERT sa_layer_norm
  LinearParams intermediate;       // BERT intermediate.dense / DistilBERT ffn.lin1  [FF, C]
  LinearParams output;             // BERT output.dense / DistilBERT ffn.lin2        [C, FF]
  LayerNormParams output_norm;     // BERT output.LayerNorm / DistilBERT output_layer_norm

  // query, key and value are laid out back to back (weights, then biases), so these views see
  // them as one [3C, C] projection and one [3C] bias: one GEMM instead of three.
  Tensor qkv_weight;  // [3C, C]
  Tensor qkv_bias;    // [3C]
};

// The classification head: a dense layer on the pooled sequence, then the output projection.
struct HeadParams {
  LinearParams dense;    // [C, C] bert.pooler.dense / pre_classifier / classifier.dense
  LayerNormParams norm;  // [C] ModernBERT's head.norm after the activation (empty elsewhere)
  LinearParams out;      // [K, C] classifier / classifier / classifier.out_proj
};

struct ModelParams {
  EmbeddingParams embeddings;
  std::vector<EncoderLayerParams> layers;
  LayerNormParams final_norm;  // [C] ModernBERT's final_norm after the last layer (empty elsewhere)
  HeadParams head;
};

// Which part of the model a parameter belongs to: the head is what a base checkpoint lacks.
enum class ParamGroup { Encoder, Head };

// fn(key, param, grad, group): grad is null when no gradients are bound.
using ParameterVisitor =
    std::function<void(const std::string& key, Tensor& param, Tensor* grad, ParamGroup group)>;

// Visits every parameter in layout order with its Hugging Face key (as saved by the family's
// ForSequenceClassification class). `grads` may be null.
void for_each_parameter(const ModelConfig& config, ModelParams& params, ModelParams* grads,
                        const ParameterVisitor& fn);

// Shapes of all parameters for a configuration, with no memory bound (data == nullptr).
ModelParams make_parameter_shapes(const ModelConfig& config);

// One flat, aligned fp32 buffer holding every parameter, with `params` viewing into it.
//
// Layout: the weight-decayed parameters first, then the others (biases, LayerNorm weights),
// each part in visiting order, so that the optimizer updates the whole model in two contiguous
// spans with different weight decay. The same constructor lays out gradient buffers, so
// parameter i and its gradient sit at the same offset.
class ParameterStore {
 public:
  // Zero-initialised, on the host.
  explicit ParameterStore(const ModelConfig& config) : ParameterStore(config, Exec::cpu()) {}
  // Zero-initialised, on ex.device.
  ParameterStore(const ModelConfig& config, const Exec& ex);
  ParameterStore(ParameterStore&&) noexcept = default;
  ParameterStore& operator=(ParameterStore&&) noexcept = default;

  ModelParams& params() { return params_; }
  const ModelParams& params() const { return params_; }
  float* data() { return buffer_.as<float>(); }
  const float* data() const { return buffer_.as<float>(); }
  Device device() const { return buffer_.device(); }
  int64_t count() const { return count_; }  // number of fp32 values
  // Values [0, decayed_count()) take weight decay; [decayed_count(), count()) do not.
  int64_t decayed_count() const { return decayed_count_; }
  // The whole buffer as one flat tensor, and its two spans.
  Tensor flat();
  Tensor decayed_span();
  Tensor undecayed_span();

 private:
  ops::Buffer buffer_;
  ModelParams params_;
  int64_t count_ = 0;
  int64_t decayed_count_ = 0;
};

// Number of fp32 values all parameters of `config` take.
int64_t parameter_count(const ModelConfig& config);

// Whether weight decay applies to a parameter, as the Hugging Face Trainer decides
// (get_decay_parameter_names): every parameter except biases and LayerNorm weights.
bool is_weight_decayed(const std::string& key);

}  // namespace finetune
