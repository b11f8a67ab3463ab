// Activation planning, forward pass, loss and backward pass shared by all families.
#include "model/forward.h"

#include <unistd.h>

#include <cstring>

#include "model/family.h"
#include "ops/ops.h"

namespace finetune {
namespace {

// Dropout sites of one micro-step: 0 embeddings, 1 the head's output, three per layer from 2 on,
// and the head's input (RoBERTa, ELECTRA) far above any layer's.
constexpr uint64_t kEmbeddingSite = 0, kHeadSite = 1, kHeadInputSite = uint64_t{1} << 40;
uint64_t layer_site(int layer, int which) {
  return 2 + 3 * static_cast<uint64_t>(layer) + which;
}

// The dropout of one site. With the step on the device, the stream holds only the site and the
// kernel adds the counter's step (kernels/dropout.h): the same stream as dropout_stream(step,
// site).
kernels::DropoutSpec spec(const ForwardOptions& o, const Activations& acts, float p,
                          uint64_t site) {
  if (o.mode != Mode::Train || p <= 0.0f) return {};
  if (o.micro_step_on_device) {
    return kernels::DropoutSpec{p, o.seed, kernels::dropout_stream(0, site),
                                static_cast<const uint64_t*>(acts.micro_step.data)};
  }
  return kernels::DropoutSpec{p, o.seed, kernels::dropout_stream(o.micro_step, site)};
}

blocks::EncoderLayerDropout layer_dropout(const ForwardOptions& o, const Activations& acts,
                                          const FamilySpec& family, int layer) {
  blocks::EncoderLayerDropout d;
  d.attention_probs = spec(o, acts, o.dropout.attention, layer_site(layer, 0));
  if (family.layer.attention_output_dropout) {
    d.attention_output = spec(o, acts, o.dropout.attention_output, layer_site(layer, 1));
  }
  d.ff_output = spec(o, acts, o.dropout.feed_forward, layer_site(layer, 2));
  return d;
}

blocks::ClassificationHeadDropout head_dropout(const ForwardOptions& o, const Activations& acts,
                                               const FamilySpec& family) {
  blocks::ClassificationHeadDropout d;
  if (family.head.dropout_on_input) d.input = spec(o, acts, o.dropout.classifier, kHeadInputSite);
  d.output = spec(o, acts, o.dropout.classifier, kHeadSite);
  return d;
}

// The attention keeps its probabilities, [B, NH, T, T] per layer in training and once in
// inference (kernels/attention.h), so long inputs are limited by memory: at 8192 tokens that is
// 3 GiB per layer for 12 heads. A plan larger than the machine's memory fails here, with the
// sizes, rather than later in the kernel that first touches a page. (The GPU's allocator reports
// its own failure with the free memory, kernels/cuda/runtime.cu.)
void check_activation_memory(const Exec& ex, const ModelConfig& config, int max_batch,
                             int max_tokens, Mode mode, size_t bytes) {
  if (ex.device != Device::CPU) return;
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return;
  const double physical = static_cast<double>(pages) * static_cast<double>(page_size);
  if (static_cast<double>(bytes) <= physical) return;
  const double gib = 1024.0 * 1024.0 * 1024.0;
  const double probs = 4.0 * max_batch * config.NH * static_cast<double>(max_tokens) * max_tokens;
  throw Error(cat("the activations for batches of ", max_batch, " x ", max_tokens, " tokens (",
                  mode == Mode::Train ? "training" : "inference", ") need ",
                  static_cast<double>(bytes) / gib, " GiB, more than this machine's ",
                  physical / gib, " GiB; the attention probabilities alone are ", probs / gib,
                  " GiB per layer (batch x heads x tokens x tokens floats). Use a smaller "
                  "--max-length or --batch-size"));
}

}  // namespace

DropoutRates DropoutRates::from_config(const ModelConfig& config) {
  return DropoutRates{static_cast<float>(config.embedding_dropout),
                      static_cast<float>(config.attention_dropout),
                      static_cast<float>(config.attention_output_dropout),
                      static_cast<float>(config.feed_forward_dropout),
                      static_cast<float>(config.classifier_dropout)};
}

Activations::Activations(const Exec& ex, const ModelConfig& config, int max_batch, int max_tokens,
                         Mode mode)
    : config_(&config), max_batch_(max_batch), max_tokens_(max_tokens), mode_(mode) {
  FT_CHECK(max_batch > 0 && max_tokens > 0, "activation plan ", max_batch, " x ", max_tokens);
  // Plan by rehearsal: the same take() sequence on a counting arena gives the exact capacity.
  Arena measure = Arena::measuring();
  take_all(measure, max_batch, max_tokens);
  check_activation_memory(ex, config, max_batch, max_tokens, mode, measure.used());
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
  const FamilySpec& family = family_spec(c.family);
  const int64_t b = B, t = T, C = c.C, E = c.E, FF = c.FF, NH = c.NH, K = c.K();
  const bool train = mode_ == Mode::Train;
  const bool projected = E != C;
  const bool gated = family.layer.feed_forward == blocks::FeedForwardKind::GeGLU;
  const bool pre_ln = family.layer.norm == blocks::NormPlacement::PreLN;
  auto floats = [&](std::initializer_list<int64_t> dims) { return arena.take(DType::F32, dims); };
  auto train_only = [&](std::initializer_list<int64_t> dims) {
    return train ? floats(dims) : Tensor();
  };

  input_ids = arena.take(DType::I32, {b, t});
  token_type_ids = arena.take(DType::I32, {b, t});
  attention_mask = arena.take(DType::I32, {b, t});
  labels = train ? arena.take(DType::I32, {b}) : Tensor();
  micro_step = train ? arena.take(DType::I64, {1}) : Tensor();

  blocks::EmbeddingsActivations& e = embeddings;
  e.position_ids = family.embeddings.positions == blocks::PositionIds::FromPaddingIdx
                       ? arena.take(DType::I32, {b, t})
                       : Tensor();
  e.sum = floats({b, t, E});
  e.mean = train_only({b * t});
  e.rstd = train_only({b * t});
  e.out = floats({b, t, C});
  e.normed = projected ? floats({b, t, E}) : e.out;

  layers.resize(c.L);
  for (int l = 0; l < c.L; ++l) {
    blocks::EncoderLayerActivations& a = layers[l];
    if (!train && l > 0) {
      a = layers[0];  // inference: every layer reuses the first layer's buffers
      continue;
    }
    a.attention.qkv = floats({b, t, 3 * C});
    a.attention.attention_probs = floats({b, NH, t, t});
    a.attention.context = floats({b, t, C});
    a.attention.out = floats({b, t, C});
    // Pre-LN keeps h = x + attention for the feed-forward's residual in inference too.
    a.attention_sum = pre_ln ? floats({b, t, C}) : train_only({b, t, C});
    a.attention_mean = train_only({b * t});
    a.attention_rstd = train_only({b * t});
    a.attention_norm = floats({b, t, C});
    a.ff_norm = pre_ln ? floats({b, t, C}) : Tensor();
    // GeGLU's Wi writes input and gate side by side; the gated product is half as wide.
    a.ff.hidden = floats({b, t, gated ? 2 * FF : FF});
    // Inference applies a dense activation in place; training keeps its input for the backward.
    a.ff.activated = train || gated ? floats({b, t, FF}) : a.ff.hidden;
    a.ff.out = floats({b, t, C});
    a.output_sum = pre_ln ? Tensor() : train_only({b, t, C});  // pre-LN: no LayerNorm at the end
    a.output_mean = train_only({b * t});
    a.output_rstd = train_only({b * t});
    // Inference: each layer writes its output over its input (see encoder_layer_forward).
    a.out = train ? floats({b, t, C}) : e.out;
  }
  const bool final_norm = family.final_norm;
  final_out = final_norm ? floats({b, t, C}) : Tensor();
  final_mean = final_norm ? train_only({b * t}) : Tensor();
  final_rstd = final_norm ? train_only({b * t}) : Tensor();
  d_final = final_norm ? train_only({b, t, C}) : Tensor();

  // A norm after the head's activation (FamilySpec::head_norm: ModernBERT's head.norm).
  const bool head_norm = family.head_norm;
  head.first = floats({b, C});
  head.dense = floats({b, C});
  head.activated = floats({b, C});
  head.normed = head_norm ? floats({b, C}) : Tensor();
  head.norm_mean = head_norm ? train_only({b}) : Tensor();
  head.norm_rstd = head_norm ? train_only({b}) : Tensor();
  head.logits = floats({b, K});
  head.d_dense = train_only({b, C});
  head.d_first = train_only({b, C});
  logits = head.logits;

  losses = train_only({b});
  d_logits = train_only({b, K});
  d_hidden = train_only({b, t, C});
  scratch.a = train_only({b, t, C});
  scratch.b = train_only({b, t, C});
  scratch.ff = train_only({b, t, FF});
  scratch.ff_wide = gated ? train_only({b, t, 2 * FF}) : Tensor();
  scratch.attention.context = train_only({b, t, C});
  scratch.attention.qkv = train_only({b, t, 3 * C});
  scratch.attention.probs = train_only({b, NH, t, t});
  // The embeddings' backward: d_normed is d_hidden itself unless a projection sits between.
  embedding_scratch.d_normed = projected ? train_only({b, t, E}) : d_hidden;
  embedding_scratch.d_sum = projected ? train_only({b, t, E}) : scratch.a;
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
                             Activations& acts, const BatchView& batch,
                             const ForwardOptions& options) {
  upload_batch(ex, acts, batch, options.micro_step);
  return model_forward_uploaded(ex, config, params, acts, options);
}

ForwardOutputs model_forward_uploaded(const Exec& ex, const ModelConfig& config,
                                      const ModelParams& params, Activations& acts,
                                      const ForwardOptions& options) {
  FT_CHECK(options.mode == acts.mode(), "a ", options.mode == Mode::Train ? "train" : "eval",
           " forward pass needs activations planned for it");
  const FamilySpec& family = family_spec(config.family);

  blocks::embeddings_forward(ex, acts.embeddings, acts.input_ids, acts.token_type_ids,
                             params.embeddings, config, family.embeddings,
                             spec(options, acts, options.dropout.embeddings, kEmbeddingSite));
  const Tensor* hidden = &acts.embeddings.out;
  for (int l = 0; l < config.L; ++l) {
    blocks::encoder_layer_forward(ex, acts.layers[l], *hidden, acts.attention_mask,
                                  params.layers[l], config, family.layer, config.attention_of(l),
                                  layer_dropout(options, acts, family, l));
    hidden = &acts.layers[l].out;
  }
  if (family.final_norm) {
    ops::layernorm(ex, acts.final_out, acts.final_mean, acts.final_rstd, *hidden,
                   params.final_norm.weight, params.final_norm.bias, config.layer_norm_eps);
    hidden = &acts.final_out;
  }
  // pooled (the head's output before its dropout) is read before the dropout runs in place only
  // in eval mode; ForwardOutputs documents it.
  blocks::classification_head_forward(ex, acts.head, *hidden, acts.attention_mask, params.head,
                                      config, family.head, head_dropout(options, acts, family));
  return ForwardOutputs{*hidden, acts.head.pooled(), acts.head.logits};
}

void model_loss(const Exec& ex, Activations& acts, float scale) {
  FT_CHECK(acts.mode() == Mode::Train, "the loss gradient needs train-mode activations");
  ops::cross_entropy(ex, acts.losses, acts.d_logits, acts.logits, acts.labels, scale);
}

void model_backward(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                    ModelParams& grads, Activations& acts, const ForwardOptions& options) {
  FT_CHECK(acts.mode() == Mode::Train && options.mode == Mode::Train,
           "backward needs a train-mode forward");
  const FamilySpec& family = family_spec(config.family);

  const Tensor& d_encoder_out = family.final_norm ? acts.d_final : acts.d_hidden;
  blocks::classification_head_backward(ex, d_encoder_out, grads.head, acts.d_logits, acts.head,
                                       acts.attention_mask, params.head, config, family.head,
                                       head_dropout(options, acts, family));
  if (family.final_norm) {
    ops::layernorm_backward(ex, acts.d_hidden, grads.final_norm.weight, grads.final_norm.bias,
                            acts.d_final, acts.layers[config.L - 1].out, params.final_norm.weight,
                            acts.final_mean, acts.final_rstd);
  }
  // Encoder, last layer first; d_hidden is overwritten in place with each layer's input gradient.
  for (int l = config.L - 1; l >= 0; --l) {
    const Tensor& in = l == 0 ? acts.embeddings.out : acts.layers[l - 1].out;
    blocks::encoder_layer_backward(ex, acts.d_hidden, grads.layers[l], acts.scratch, acts.d_hidden,
                                   acts.layers[l], in, acts.attention_mask, params.layers[l],
                                   config, family.layer, config.attention_of(l),
                                   layer_dropout(options, acts, family, l));
  }
  blocks::embeddings_backward(ex, grads.embeddings, acts.embedding_scratch, acts.d_hidden,
                              acts.embeddings, acts.input_ids, acts.token_type_ids,
                              params.embeddings, family.embeddings,
                              spec(options, acts, options.dropout.embeddings, kEmbeddingSite));
}

}  // namespace finetune
