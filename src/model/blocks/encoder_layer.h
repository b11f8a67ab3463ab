// The transformer encoder layer: a self-attention block and a feed-forward block, each with a
// residual connection, dropout and a LayerNorm, placed as the family says.
//
// Source of truth: transformers' BertLayer (BertAttention + BertIntermediate + BertOutput),
// which RoBERTa, XLM-RoBERTa, CamemBERT and ELECTRA reuse unchanged, and DistilBERT's
// TransformerBlock. Post-LN (the only placement these families use), for input x [B,T,C]:
//   h1 = LayerNorm(x + dropout(attention(x)))        (self_attention.h)
//   h2 = LayerNorm(h1 + dropout(feed_forward(h1)))   (feed_forward.h)
// The output dropout after the attention is BERT's BertSelfOutput dropout; DistilBERT's
// MultiHeadSelfAttention has none (EncoderLayerSpec::attention_output_dropout).
//
// Pre-LN (ModernBertEncoderLayer), for input x:
//   h   = x + dropout(attention(attn_norm(x)))      attn_norm the identity in layer 0
//   out = h + feed_forward(mlp_norm(h))              (GeGLU, its dropout inside)
// The attention takes the layer's LayerAttention (ModelConfig::attention_of: rotary positions and
// a sliding window), the feed-forward its FeedForwardKind. DeBERTa's relative attention is the
// seam still to fill.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS head size, FF intermediate.
#pragma once

#include <string>

#include "core/exec.h"
#include "kernels/dropout.h"
#include "model/blocks/feed_forward.h"
#include "model/blocks/self_attention.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

enum class NormPlacement {
  PostLN,  // LayerNorm(x + f(x)): BERT and its descendants, DistilBERT
  PreLN,   // x + f(LayerNorm(x)): ModernBERT (layer 0's attention norm is the identity)
};

struct EncoderLayerSpec {
  NormPlacement norm = NormPlacement::PostLN;
  bool attention_output_dropout = true;  // BertSelfOutput's dropout (DistilBERT: none)
  FeedForwardKind feed_forward = FeedForwardKind::Dense;
};

// A family's names for the submodules of one layer, relative to the layer's prefix.
struct EncoderLayerKeys {
  SelfAttentionKeys attention;
  const char* attention_norm;
  FeedForwardKeys feed_forward;
  const char* output_norm;
};

// Visits one layer's parameters in layout order (attention, its norm, feed-forward, its norm).
void visit_encoder_layer(const std::string& prefix, const EncoderLayerKeys& keys,
                         EncoderLayerParams& params, EncoderLayerParams* grads,
                         const ParameterVisitor& fn);

// Shapes of one layer's parameters (no memory).
EncoderLayerParams encoder_layer_shapes(const ModelConfig& config);

// What one layer's forward pass writes. In training every layer has its own set (the backward
// pass reads them); in inference all layers share one set and the training-only tensors
// (marked) are empty.
struct EncoderLayerActivations {
  SelfAttentionActivations attention;  // attention.out after its dropout
  Tensor attention_sum;                // [B, T, C] x + attention.out, LayerNorm input (training;
                                       //   pre-LN: h, always)
  Tensor attention_mean;               // [B*T]                                       (training)
  Tensor attention_rstd;               // [B*T]                                       (training)
  Tensor attention_norm;               // [B, T, C] h1 (pre-LN: attn_norm(x), the attention's input)
  Tensor ff_norm;                      // [B, T, C] pre-LN only: mlp_norm(h), the feed-forward input
  FeedForwardActivations ff;           // ff.out after its dropout
  Tensor output_sum;                   // [B, T, C] h1 + ff.out, LayerNorm input (training, post-LN)
  Tensor output_mean;                  // [B*T]                                       (training)
  Tensor output_rstd;                  // [B*T]                                       (training)
  Tensor out;                          // [B, T, C] h2, the layer's output
};

// The dropout of one layer's three sites for one micro-step (inactive specs in eval mode).
struct EncoderLayerDropout {
  kernels::DropoutSpec attention_probs;   // attention_probs_dropout_prob / attention_dropout
  kernels::DropoutSpec attention_output;  // hidden_dropout_prob (inactive without the site)
  kernels::DropoutSpec ff_output;         // hidden_dropout_prob / dropout (GeGLU: mlp_dropout,
                                          //   on the activation before mlp.Wo)
};

// Gradient scratch shared by all layers' backward passes.
struct EncoderLayerGradScratch {
  Tensor a;   // [B, T, C]
  Tensor b;   // [B, T, C]
  Tensor ff;  // [B, T, FF]
  Tensor ff_wide;  // [B, T, 2 FF] GeGLU only: the gradient of [input | gate]
  SelfAttentionGradScratch attention;
};

// Runs one layer on `in` (which may be the same memory as acts.out: `in` is last read before
// acts.out is written).
void encoder_layer_forward(const Exec& ex, EncoderLayerActivations& acts, const Tensor& in,
                           const Tensor& mask, const EncoderLayerParams& params,
                           const ModelConfig& config, const EncoderLayerSpec& spec,
                           const LayerAttention& attention, const EncoderLayerDropout& dropout);

// Backward through one layer: given dout (the gradient of acts.out), writes din (the gradient of
// the layer's input `in`; it may alias dout, which is fully read first) and accumulates the
// layer's parameter gradients into `grads`.
void encoder_layer_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& grads,
                            EncoderLayerGradScratch& scratch, const Tensor& dout,
                            const EncoderLayerActivations& acts, const Tensor& in,
                            const Tensor& mask, const EncoderLayerParams& params,
                            const ModelConfig& config, const EncoderLayerSpec& spec,
                            const LayerAttention& attention, const EncoderLayerDropout& dropout);

}  // namespace finetune::blocks
