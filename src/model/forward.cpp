// Activation planning and the forward pass shared by all families.
#include "model/forward.h"

#include <cstring>

#include "model/family.h"
#include "ops/ops.h"

namespace finetune {

Activations::Activations(const ModelConfig& config, int max_batch, int max_tokens, Mode mode)
    : config_(&config), max_batch_(max_batch), max_tokens_(max_tokens), mode_(mode) {
  FT_CHECK(max_batch > 0 && max_tokens > 0, "activation plan ", max_batch, " x ", max_tokens);
  // Plan by rehearsal: the same take() sequence on a counting arena gives the exact capacity.
  Arena measure = Arena::measuring();
  take_all(measure, max_batch, max_tokens);
  arena_ = Arena(measure.used());
}

void Activations::bind(int B, int T) {
  FT_CHECK(B > 0 && B <= max_batch_ && T > 0 && T <= max_tokens_, "batch ", B, " x ", T,
           " exceeds the planned ", max_batch_, " x ", max_tokens_);
  arena_.reset();
  take_all(arena_, B, T);
}

void Activations::take_all(Arena& arena, int B, int T) {
  const ModelConfig& c = *config_;
  const int64_t b = B, t = T, C = c.C, FF = c.FF, NH = c.NH, K = c.K();
  input_ids = arena.take(DType::I32, {b, t});
  token_type_ids = arena.take(DType::I32, {b, t});
  attention_mask = arena.take(DType::I32, {b, t});
  embedding_sum = arena.take(DType::F32, {b, t, C});
  embedded = arena.take(DType::F32, {b, t, C});

  layers.resize(c.L);
  for (int l = 0; l < c.L; ++l) {
    EncoderLayerActivations& a = layers[l];
    if (mode_ == Mode::Eval && l > 0) {
      a = layers[0];  // inference: every layer reuses the first layer's buffers
      continue;
    }
    a.qkv = arena.take(DType::F32, {b, t, 3 * C});
    a.attention_probs = arena.take(DType::F32, {b, NH, t, t});
    a.context = arena.take(DType::F32, {b, t, C});
    a.attention_out = arena.take(DType::F32, {b, t, C});
    a.attention_norm = arena.take(DType::F32, {b, t, C});
    a.ff_hidden = arena.take(DType::F32, {b, t, FF});
    // Inference applies the activation in place; training keeps its input for the backward.
    a.ff_activated = mode_ == Mode::Eval ? a.ff_hidden : arena.take(DType::F32, {b, t, FF});
    a.ff_out = arena.take(DType::F32, {b, t, C});
    // Inference: each layer writes its output over its input (see encoder_layer_forward).
    a.out = mode_ == Mode::Eval ? embedded : arena.take(DType::F32, {b, t, C});
  }
  cls = arena.take(DType::F32, {b, C});
  pre = arena.take(DType::F32, {b, C});
  pre_activated = arena.take(DType::F32, {b, C});
  logits = arena.take(DType::F32, {b, K});
}

ForwardOutputs model_forward(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                             Activations& acts, const BatchView& batch) {
  FT_CHECK(ex.device == Device::CPU, "the forward pass on ", device_name(ex.device),
           " needs the batch copied to the device first");
  acts.bind(batch.B, batch.T);
  const size_t cells = static_cast<size_t>(batch.B) * batch.T * sizeof(int32_t);
  std::memcpy(acts.input_ids.data, batch.input_ids, cells);
  std::memcpy(acts.token_type_ids.data, batch.token_type_ids, cells);
  std::memcpy(acts.attention_mask.data, batch.attention_mask, cells);

  const FamilySpec& family = family_spec(config.family);
  const Tensor none;

  // Embeddings.
  ops::embedding(ex, acts.embedding_sum, acts.input_ids,
                 family.has_token_types ? acts.token_type_ids : none, params.embeddings.word,
                 params.embeddings.position, family.has_token_types ? params.embeddings.token_type : none);
  ops::layernorm(ex, acts.embedded, none, none, acts.embedding_sum, params.embeddings.norm.weight,
                 params.embeddings.norm.bias, config.layer_norm_eps);

  // Encoder.
  const Tensor* hidden = &acts.embedded;
  for (int l = 0; l < config.L; ++l) {
    encoder_layer_forward(ex, acts.layers[l], *hidden, acts.attention_mask, params.layers[l], config);
    hidden = &acts.layers[l].out;
  }

  // Classification head on the first token.
  ops::first_token(ex, acts.cls, *hidden);
  ops::linear(ex, acts.pre, acts.cls, params.head.pre.weight, params.head.pre.bias);
  ops::activation(ex, acts.pre_activated, acts.pre, family.head_activation);
  ops::linear(ex, acts.logits, acts.pre_activated, params.head.classifier.weight,
              params.head.classifier.bias);
  return ForwardOutputs{*hidden, acts.pre_activated, acts.logits};
}

}  // namespace finetune
