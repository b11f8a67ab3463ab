// The model's forward pass for sequence classification, and the activation memory it uses.
//
// `Activations` is planned once for the largest batch (max_batch x max_tokens) and handed every
// batch; binding a batch only carves views out of its arena, so the forward pass allocates
// nothing. In inference mode all layers share one set of buffers (memory independent of depth);
// in training mode each layer keeps its own, for the backward pass.
//
// Pipeline (modeling_bert.py / modeling_distilbert.py, eval mode):
//   embeddings = LayerNorm(word[ids] + position[0..T-1] (+ token_type[type_ids]))
//   hidden     = L x encoder layer (encoder_layer.h)
//   head       = classifier(act(pre(hidden[:, 0])))   act: tanh (BERT pooler) | ReLU (DistilBERT)
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, FF intermediate, K labels.
#pragma once

#include <vector>

#include "core/buffer.h"
#include "core/exec.h"
#include "data/batch.h"
#include "model/config.h"
#include "model/encoder_layer.h"
#include "model/params.h"

namespace finetune {

enum class Mode { Eval, Train };

class Activations {
 public:
  Activations(const ModelConfig& config, int max_batch, int max_tokens, Mode mode);

  // Views for a batch of B x T; previous views become invalid.
  void bind(int B, int T);

  int max_batch() const { return max_batch_; }
  int max_tokens() const { return max_tokens_; }
  size_t bytes() const { return arena_.capacity(); }

  Tensor input_ids;       // [B, T] I32 (copied from the batch)
  Tensor token_type_ids;  // [B, T] I32
  Tensor attention_mask;  // [B, T] I32
  Tensor embedding_sum;   // [B, T, C] before the embedding LayerNorm
  Tensor embedded;        // [B, T, C] encoder input
  std::vector<EncoderLayerActivations> layers;
  Tensor cls;             // [B, C] hidden state of the first token
  Tensor pre;             // [B, C] pooler.dense / pre_classifier output
  Tensor pre_activated;   // [B, C] after tanh / ReLU
  Tensor logits;          // [B, K]

 private:
  void take_all(Arena& arena, int B, int T);

  const ModelConfig* config_;
  int max_batch_;
  int max_tokens_;
  Mode mode_;
  Arena arena_;
};

struct ForwardOutputs {
  Tensor last_hidden_state;  // [B, T, C]
  Tensor pooled;             // [B, C] head's first layer after its activation (BERT pooler_output)
  Tensor logits;             // [B, K]
};

// Eval-mode forward pass of a batch (dropout off).
ForwardOutputs model_forward(const Exec& ex, const ModelConfig& config, const ModelParams& params,
                             Activations& acts, const BatchView& batch);

}  // namespace finetune
