// Activation planning, forward pass, loss and backward pass shared by all families.
#include "model/forward.h"

#include <cstring>

#include "model/family.h"
#include "ops/ops.h"

namespace finetune {
namespace {

// Dropout sites of one micro-step: 0 embeddings, 1 head, then three per layer.
constexpr uint64_t kEmbeddingSite = 0, kHeadSite = 1;
uint64_t layer_site(int layer, int which) { return 2 + 3 * static_cast<uint64_t>(layer) + which; }

// The dropout of one site. With the step on the device, the stream holds only the site and the
// kernel adds the counter's step (kernels/dropout.h): the same stream as dropout_stream(step, site).
kernels::DropoutSpec spec(const ForwardOptions& o, const Activations& acts, float p, uint64_t site) {
  if (o.mode != Mode::Train || p <= 0.0f) return {};
  if (o.micro_step_on_device) {
    return kernels::DropoutSpec{p, o.seed, kernels::dropout_stream(0, site),
                                static_cast<const uint64_t*>(acts.micro_step.data)};
  }
  return kernels::DropoutSpec{p, o.seed, kernels::dropout_stream(o.micro_step, site)};
}

EncoderLayerDropout layer_dropout(const ForwardOptions& o, const Activations& acts, const FamilySpec& family,
                                  int layer) {
  EncoderLayerDropout d;
  d.attention_probs = spec(o, acts, o.dropout.attention, layer_site(layer, 0));
  if (family.attention_output_dropout) d.attention_output = spec(o, acts, o.dropout.hidden, layer_site(layer, 1));
  d.ff_output = spec(o, acts, o.dropout.hidden, layer_site(layer, 2));
  return d;
}

}  // namespace

DropoutRates DropoutRates::from_config(const ModelConfig& config) {
  return DropoutRates{static_cast<float>(config.hidden_dropout), static_cast<float>(config.attention_dropout),
                      static_cast<float>(config.classifier_dropout)};
}

Activations::Activations(const Exec& ex, const ModelConfig& config, int max_batch, int max_tokens, Mode mode)
    : config_(&config), max_batch_(max_batch), max_tokens_(max_tokens), mode_(mode) {
  FT_CHECK(max_batch > 0 && max_tokens > 0, "activation plan ", max_batch, " x ", max_tokens);
  // Plan by rehearsal: the same take() sequence on a counting arena gives the exact capacity.
  Arena measure = Arena::measuring();
  take_all(measure, max_batch, max_tokens);
  memory_ = ops::Buffer(ex, measure.used());
  arena_ = Arena(memory_.data(), memory_.size(), ex.device);
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
  const bool train = mode_ == Mode::Train;
  auto floats = [&](std::initializer_list<int64_t> dims) { return arena.take(DType::F32, dims); };
  auto train_only = [&](std::initializer_list<int64_t> dims) { return train ? floats(dims) : Tensor(); };

  input_ids = arena.take(DType::I32, {b, t});
  token_type_ids = arena.take(DType::I32, {b, t});
  attention_mask = arena.take(DType::I32, {b, t});
  labels = train ? arena.take(DType::I32, {b}) : Tensor();
  micro_step = train ? arena.take(DType::I64, {1}) : Tensor();
  embedding_sum = floats({b, t, C});
  embedding_mean = train_only({b * t});
  embedding_rstd = train_only({b * t});
  embedded = floats({b, t, C});

  layers.resize(c.L);
  for (int l = 0; l < c.L; ++l) {
    EncoderLayerActivations& a = layers[l];
    if (!train && l > 0) {
      a = layers[0];  // inference: every layer reuses the first layer's buffers
      continue;
    }
    a.qkv = floats({b, t, 3 * C});
    a.attention_probs = floats({b, NH, t, t});
    a.context = floats({b, t, C});
    a.attention_out = floats({b, t, C});
    a.attention_sum = train_only({b, t, C});
    a.attention_mean = train_only({b * t});
    a.attention_rstd = train_only({b * t});
    a.attention_norm = floats({b, t, C});
    a.ff_hidden = floats({b, t, FF});
    // Inference applies the activation in place; training keeps its input for the backward.
    a.ff_activated = train ? floats({b, t, FF}) : a.ff_hidden;
    a.ff_out = floats({b, t, C});
    a.output_sum = train_only({b, t, C});
    a.output_mean = train_only({b * t});
    a.output_rstd = train_only({b * t});
    // Inference: each layer writes its output over its input (see encoder_layer_forward).
    a.out = train ? floats({b, t, C}) : embedded;
  }
  cls = floats({b, C});
  pre = floats({b, C});
  pre_activated = floats({b, C});
  logits = floats({b, K});

  losses = train_only({b});
  d_logits = train_only({b, K});
  d_pre = train_only({b, C});
  d_cls = train_only({b, C});
  d_hidden = train_only({b, t, C});
  scratch.a = train_only({b, t, C});
  scratch.b = train_only({b, t, C});
  scratch.c = train_only({b, t, C});
  scratch.ff = train_only({b, t, FF});
  scratch.qkv = train_only({b, t, 3 * C});
  scratch.probs = train_only({b, NH, t, t});
}

void upload_batch(const Exec& ex, Activations& acts, const BatchView& batch, uint64_t micro_step,
                  int64_t* step_staging) {
  acts.bind(batch.B, batch.T);
  // The batch lives in host memory; copy it to wherever the activations are.
  auto host_ints = [](const int32_t* data, std::initializer_list<int64_t> dims) {
    return Tensor(const_cast<int32_t*>(data), DType::I32, dims);
  };
  const int64_t B = batch.B, T = batch.T;
  ops::copy(ex, acts.input_ids, host_ints(batch.input_ids, {B, T}));
  ops::copy(ex, acts.token_type_ids, host_ints(batch.token_type_ids, {B, T}));
  ops::copy(ex, acts.attention_mask, host_ints(batch.attention_mask, {B, T}));
  if (acts.mode() == Mode::Train) {
    FT_CHECK(batch.labels != nullptr, "a training batch needs labels");
    ops::copy(ex, acts.labels, host_ints(batch.labels, {B}));
    int64_t step = static_cast<int64_t>(micro_step);
    int64_t* source = step_staging != nullptr ? step_staging : &step;
    *source = step;
    ops::copy(ex, acts.micro_step, Tensor(source, DType::I64, {1}));
  }
}

ForwardOutputs model_forward(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                             Activations& acts, const BatchView& batch, const ForwardOptions& options) {
  upload_batch(ex, acts, batch, options.micro_step);
  return model_forward_uploaded(ex, config, params, acts, options);
}

ForwardOutputs model_forward_uploaded(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                                      Activations& acts, const ForwardOptions& options) {
  FT_CHECK(options.mode == acts.mode(), "a ", options.mode == Mode::Train ? "train" : "eval",
           " forward pass needs activations planned for it");
  const FamilySpec& family = family_spec(config.family);
  const Tensor none;
  const EmbeddingParams& e = params.embeddings;

  // Embeddings.
  ops::embedding(ex, acts.embedding_sum, acts.input_ids, family.has_token_types ? acts.token_type_ids : none,
                 e.word, e.position, family.has_token_types ? e.token_type : none);
  ops::layernorm(ex, acts.embedded, acts.embedding_mean, acts.embedding_rstd, acts.embedding_sum, e.norm.weight,
                 e.norm.bias, config.layer_norm_eps);
  kernels::DropoutSpec embedding_dropout = spec(options, acts, options.dropout.hidden, kEmbeddingSite);
  if (embedding_dropout.active()) ops::dropout(ex, acts.embedded, acts.embedded, embedding_dropout);

  // Encoder.
  const Tensor* hidden = &acts.embedded;
  for (int l = 0; l < config.L; ++l) {
    encoder_layer_forward(ex, acts.layers[l], *hidden, acts.attention_mask, params.layers[l], config,
                          layer_dropout(options, acts, family, l));
    hidden = &acts.layers[l].out;
  }

  // Classification head on the first token.
  ops::first_token(ex, acts.cls, *hidden);
  ops::linear(ex, acts.pre, acts.cls, params.head.pre.weight, params.head.pre.bias);
  ops::activation(ex, acts.pre_activated, acts.pre, family.head_activation);
  // pooler_output is the activation before dropout; dropout (train only) then works in place.
  ForwardOutputs outputs{*hidden, acts.pre_activated, acts.logits};
  kernels::DropoutSpec head_dropout = spec(options, acts, options.dropout.classifier, kHeadSite);
  if (head_dropout.active()) ops::dropout(ex, acts.pre_activated, acts.pre_activated, head_dropout);
  ops::linear(ex, acts.logits, acts.pre_activated, params.head.classifier.weight, params.head.classifier.bias);
  return outputs;
}

void model_loss(const Exec& ex, Activations& acts, float scale) {
  FT_CHECK(acts.mode() == Mode::Train, "the loss gradient needs train-mode activations");
  ops::cross_entropy(ex, acts.losses, acts.d_logits, acts.logits, acts.labels, scale);
}

void model_backward(const Exec& ex, const ModelConfig& config, const ModelParams& params, ModelParams& grads,
                    Activations& acts, const ForwardOptions& options) {
  FT_CHECK(acts.mode() == Mode::Train && options.mode == Mode::Train, "backward needs a train-mode forward");
  const FamilySpec& family = family_spec(config.family);
  const Tensor none;

  // Head: logits = classifier(dropout(act(pre(cls)))).
  ops::linear_backward(ex, acts.d_pre, grads.head.classifier.weight, grads.head.classifier.bias, acts.d_logits,
                       acts.pre_activated, params.head.classifier.weight);
  kernels::DropoutSpec head_dropout = spec(options, acts, options.dropout.classifier, kHeadSite);
  if (head_dropout.active()) ops::dropout_backward(ex, acts.d_pre, acts.d_pre, head_dropout);
  ops::activation_backward(ex, acts.d_pre, acts.d_pre, acts.pre, family.head_activation);
  ops::linear_backward(ex, acts.d_cls, grads.head.pre.weight, grads.head.pre.bias, acts.d_pre, acts.cls,
                       params.head.pre.weight);
  ops::first_token_backward(ex, acts.d_hidden, acts.d_cls);

  // Encoder, last layer first; d_hidden is overwritten in place with each layer's input gradient.
  for (int l = config.L - 1; l >= 0; --l) {
    const Tensor& in = l == 0 ? acts.embedded : acts.layers[l - 1].out;
    encoder_layer_backward(ex, acts.d_hidden, grads.layers[l], acts.scratch, acts.d_hidden, acts.layers[l], in,
                           acts.attention_mask, params.layers[l], config, layer_dropout(options, acts, family, l));
  }

  // Embeddings: dropout, LayerNorm, then the sparse table update.
  kernels::DropoutSpec embedding_dropout = spec(options, acts, options.dropout.hidden, kEmbeddingSite);
  if (embedding_dropout.active()) ops::dropout_backward(ex, acts.d_hidden, acts.d_hidden, embedding_dropout);
  const EmbeddingParams& e = params.embeddings;
  EmbeddingParams& ge = grads.embeddings;
  ops::layernorm_backward(ex, acts.scratch.a, ge.norm.weight, ge.norm.bias, acts.d_hidden, acts.embedding_sum,
                          e.norm.weight, acts.embedding_mean, acts.embedding_rstd);
  ops::embedding_backward(ex, ge.word, ge.position, family.has_token_types ? ge.token_type : none, acts.scratch.a,
                          acts.input_ids, family.has_token_types ? acts.token_type_ids : none);
}

}  // namespace finetune
