// The model's forward and backward passes for sequence classification, and the activation
// memory they use.
//
// `Activations` is planned once for the largest batch (max_batch x max_tokens) and handed every
// batch; binding a batch only carves views out of its arena, so a step allocates nothing. In eval
// mode all layers share one set of buffers (memory independent of depth); in train mode each
// layer keeps what its backward pass reads, and gradient scratch is planned too.
//
// Pipeline, the blocks of model/blocks/ in the family's choice (model/family.h):
//   embeddings = embeddings block (blocks/embeddings.h): tables, LayerNorm, dropout, projection
//   hidden     = L x encoder layer (blocks/encoder_layer.h)
//   logits     = classification head on the first token (blocks/classification_head.h)
// Dropout is active only in train mode, with masks drawn from the counter-based generator
// (kernels/dropout.h) by (seed, micro-step, site), so the backward pass regenerates them.
//
// Dimension legend: B batch, T tokens, C hidden, E embedding width, NH heads, FF intermediate,
// K labels.
#pragma once

#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "core/exec.h"
#include "data/batch.h"
#include "model/blocks/classification_head.h"
#include "model/blocks/embeddings.h"
#include "model/blocks/encoder_layer.h"
#include "model/config.h"
#include "model/params.h"
#include "ops/memory.h"

namespace finetune {

enum class Mode { Eval, Train };

// Dropout probabilities of a run: the model's own (config.json), or all overridden (--dropout).
struct DropoutRates {
  float embeddings = 0;        // after the embeddings' LayerNorm
  float attention = 0;         // attention probabilities
  float attention_output = 0;  // after the attention's output projection (where the family has it)
  float feed_forward = 0;      // the feed-forward block's
  float classifier = 0;        // the classification head's dropout(s)

  static DropoutRates from_config(const ModelConfig& config);
  static DropoutRates all(float p) { return DropoutRates{p, p, p, p, p}; }
};

// How a forward pass runs: eval, or train with dropout for micro-step `micro_step` of a run
// seeded with `seed` (every micro-batch gets fresh, reproducible masks). With
// `micro_step_on_device` (GPU), the kernels read the micro-step from the activations' device
// counter (Activations::micro_step, set by upload_batch) instead of from their arguments, so one
// captured CUDA graph serves every step; the masks are the same either way.
struct ForwardOptions {
  Mode mode = Mode::Eval;
  DropoutRates dropout;
  uint64_t seed = 0;
  uint64_t micro_step = 0;
  bool micro_step_on_device = false;
};

class Activations {
 public:
  // Plans and allocates activation memory on ex.device.
  Activations(const Exec& ex, const ModelConfig& config, int max_batch, int max_tokens, Mode mode);
  // The same on the CPU.
  Activations(const ModelConfig& config, int max_batch, int max_tokens, Mode mode)
      : Activations(Exec::cpu(), config, max_batch, max_tokens, mode) {}

  // Views for a batch of B x T; previous views become invalid.
  void bind(int B, int T);

  Mode mode() const { return mode_; }
  int max_batch() const { return max_batch_; }
  int max_tokens() const { return max_tokens_; }
  size_t bytes() const { return arena_.capacity(); }

  Tensor input_ids;       // [B, T] I32 (copied from the batch)
  Tensor token_type_ids;  // [B, T] I32
  Tensor attention_mask;  // [B, T] I32
  Tensor labels;          // [B] I32 (train mode)
  Tensor micro_step;      // [1] I64 (train mode): the dropout step counter kernels may read
  blocks::EmbeddingsActivations embeddings;  // embeddings.out is the encoder's input
  std::vector<blocks::EncoderLayerActivations> layers;
  // The LayerNorm after the last layer (FamilySpec::final_norm; empty elsewhere).
  Tensor final_out;   // [B, T, C] the encoder's output
  Tensor final_mean;  // [B*T] (training)
  Tensor final_rstd;  // [B*T] (training)
  blocks::ClassificationHeadActivations head;
  Tensor logits;  // [B, K] (head.logits)

  // Train mode only: per-example losses and gradient buffers.
  Tensor losses;    // [B]
  Tensor d_logits;  // [B, K]
  Tensor d_hidden;  // [B, T, C] gradient flowing down through the layers
  Tensor d_final;   // [B, T, C] gradient of final_out (with a final norm)
  blocks::EncoderLayerGradScratch scratch;
  blocks::EmbeddingsGradScratch embedding_scratch;

 private:
  void take_all(Arena& arena, int B, int T);

  const ModelConfig* config_;
  int max_batch_;
  int max_tokens_;
  Mode mode_;
  ops::Buffer memory_;
  Arena arena_;
};

struct ForwardOutputs {
  Tensor last_hidden_state;  // [B, T, C]
  Tensor pooled;             // [B, C] head's first layer after its activation (BERT pooler_output;
                             //   ModernBERT: after head.norm)
  Tensor logits;             // [B, K]
};

// Binds the activations to the batch's shape and copies the batch (and, in train mode, the
// micro-step counter) to where the activations live. Asynchronous on the GPU, truly so when the
// batch is in pinned memory and `step_staging` (where the counter is written to be copied from)
// is pinned too; a copy from pageable memory may wait for the stream. Pinned memory must not be
// rewritten until the copies have run.
void upload_batch(const Exec& ex, Activations& acts, const BatchView& batch,
                  uint64_t micro_step = 0, int64_t* step_staging = nullptr);

// Forward pass of the batch last uploaded. Queues only kernels (nothing waits, nothing is
// copied), so it can be captured into a CUDA graph. `options.mode` must match the activations'.
ForwardOutputs model_forward_uploaded(const Exec& ex, const ModelConfig& config,
                                      const ModelParams& params, Activations& acts,
                                      const ForwardOptions& options = {});

// upload_batch then model_forward_uploaded.
ForwardOutputs model_forward(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                             Activations& acts, const BatchView& batch,
                             const ForwardOptions& options = {});

// Loss of the batch just run forward in train mode: per-example cross-entropy into acts.losses
// and its gradient, scaled by `scale`, into acts.d_logits. Labels come from the batch.
void model_loss(const Exec& ex, Activations& acts, float scale);

// Backward pass after model_forward (train mode) and model_loss: accumulates every parameter's
// gradient into `grads` (same layout as the parameters). Queues only kernels, like the forward.
void model_backward(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                    ModelParams& grads, Activations& acts, const ForwardOptions& options);

}  // namespace finetune
