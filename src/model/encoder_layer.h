// The post-LN transformer encoder layer shared by BERT and DistilBERT.
//
// Source of truth: transformers' BertLayer (BertAttention + BertIntermediate + BertOutput) and
// DistilBERT's TransformerBlock. Both compute, for input x [B,T,C]:
//   qkv  = x Wqkv^T + bqkv                         (query, key, value projections, fused)
//   ctx  = softmax(q k^T / sqrt(HS) + mask) v        (per head, heads merged)
//   h1   = LayerNorm(x + ctx Wo^T + bo)              (attention output + residual)
//   h2   = LayerNorm(h1 + act(h1 W1^T + b1) W2^T + b2)  (feed-forward + residual)
// (dropout after the attention probabilities, the attention output and the feed-forward output
// in training). Only the key names differ between the families; they are passed in.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS head size, FF intermediate.
#pragma once

#include <string>

#include "core/exec.h"
#include "kernels/dropout.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune {

// A family's names for the submodules of one layer, relative to the layer's prefix.
struct EncoderLayerKeys {
  const char* query;
  const char* key;
  const char* value;
  const char* attention_output;
  const char* attention_norm;
  const char* intermediate;
  const char* output;
  const char* output_norm;
};

// Visits one layer's parameters in layout order (query, key, value weights first, then their
// biases, so the fused qkv views are contiguous).
void visit_encoder_layer(const std::string& prefix, const EncoderLayerKeys& keys,
                         EncoderLayerParams& params, EncoderLayerParams* grads,
                         const ParameterVisitor& fn);

// Shapes of one layer's parameters (no memory).
EncoderLayerParams encoder_layer_shapes(const ModelConfig& config);

// Points qkv_weight/qkv_bias at the contiguous query/key/value storage once memory is bound.
void bind_fused_qkv(EncoderLayerParams& params, int C);

// What one layer's forward pass writes. In training every layer has its own set (the backward
// pass reads them); in inference all layers share one set and the training-only tensors
// (marked) are empty.
struct EncoderLayerActivations {
  Tensor qkv;              // [B, T, 3C]
  Tensor attention_probs;  // [B, NH, T, T] softmax before dropout
  Tensor context;          // [B, T, C]  attention output, heads merged
  Tensor attention_out;    // [B, T, C]  after the output projection (and its dropout)
  Tensor attention_sum;    // [B, T, C]  x + attention_out, LayerNorm input  (training)
  Tensor attention_mean;   // [B*T]                                         (training)
  Tensor attention_rstd;   // [B*T]                                         (training)
  Tensor attention_norm;   // [B, T, C]  h1
  Tensor ff_hidden;        // [B, T, FF] before the activation
  Tensor ff_activated;     // [B, T, FF] after the activation
  Tensor ff_out;           // [B, T, C]  (after its dropout)
  Tensor output_sum;       // [B, T, C]  h1 + ff_out, LayerNorm input       (training)
  Tensor output_mean;      // [B*T]                                         (training)
  Tensor output_rstd;      // [B*T]                                         (training)
  Tensor out;              // [B, T, C]  h2, the layer's output
};

// The dropout of one layer's three sites for one micro-step (inactive specs in eval mode).
struct EncoderLayerDropout {
  kernels::DropoutSpec attention_probs;   // attention_probs_dropout_prob / attention_dropout
  kernels::DropoutSpec attention_output;  // hidden_dropout_prob (BERT only)
  kernels::DropoutSpec ff_output;         // hidden_dropout_prob / dropout
};

// Gradient scratch shared by all layers' backward passes.
struct EncoderLayerGradScratch {
  Tensor a;      // [B, T, C]
  Tensor b;      // [B, T, C]
  Tensor c;      // [B, T, C]
  Tensor ff;     // [B, T, FF]
  Tensor qkv;    // [B, T, 3C]
  Tensor probs;  // [B, NH, T, T]
};

// Runs one layer on `in` (which may be the same memory as acts.out: `in` is last read before
// acts.out is written).
void encoder_layer_forward(const Exec& ex, EncoderLayerActivations& acts, const Tensor& in,
                           const Tensor& mask, const EncoderLayerParams& params,
                           const ModelConfig& config, const EncoderLayerDropout& dropout);

// Backward through one layer: given dout (the gradient of acts.out), writes din (the gradient of
// the layer's input `in`; it may alias dout, which is fully read first) and accumulates the
// layer's parameter gradients into `grads`.
void encoder_layer_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& grads,
                            EncoderLayerGradScratch& scratch, const Tensor& dout,
                            const EncoderLayerActivations& acts, const Tensor& in, const Tensor& mask,
                            const EncoderLayerParams& params, const ModelConfig& config,
                            const EncoderLayerDropout& dropout);

}  // namespace finetune
