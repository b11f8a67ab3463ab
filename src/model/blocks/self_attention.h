// The self-attention block with absolute positions (BertSelfAttention + the output projection of
// BertSelfOutput; DistilBERT's MultiHeadSelfAttention), forward and backward:
//   qkv  = x Wqkv^T + bqkv                      query, key, value projections, fused [B, T, 3C]
//   ctx  = softmax(q k^T / sqrt(HS) + mask) v   per head, heads merged              [B, T, C]
//   out  = ctx Wo^T + bo                                                            [B, T, C]
// with dropout on the attention probabilities in training. The residual, the output dropout and
// the norm belong to the layer that composes this block (encoder_layer.h).
//
// The layer's LayerAttention adds ModernBERT's variants: rotary positions on q and k right after
// the projection (kernels/rotary.h; the backward rotates the q/k gradient back), and a sliding
// window in the attention core (kernels/attention.h). DeBERTa's disentangled relative attention
// is the seam still to fill, a block beside this one.
//
// Dimension legend: B batch, T tokens, C hidden, NH heads, HS head size.
#pragma once

#include <string>

#include "core/exec.h"
#include "kernels/dropout.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

// A family's names for the attention's submodules, relative to the layer's prefix.
struct SelfAttentionKeys {
  const char* query;
  const char* key;
  const char* value;
  const char* output;
};

// Visits query, key, value weights, then their biases (so the fused qkv views are contiguous),
// then the output projection.
void visit_self_attention(const std::string& prefix, const SelfAttentionKeys& keys,
                          EncoderLayerParams& params, EncoderLayerParams* grads,
                          const ParameterVisitor& fn);

// Points qkv_weight/qkv_bias at the contiguous query/key/value storage once memory is bound.
void bind_fused_qkv(EncoderLayerParams& params, int C);

// A checkpoint with one fused projection (ModernBERT's attn.Wqkv, attn.Wo): visits
// `<prefix><qkv>.weight` (+ `.bias`) as qkv_weight / qkv_bias and the output projection; absent
// biases (empty tensors) are skipped.
void visit_fused_self_attention(const std::string& prefix, const char* qkv, const char* output,
                                EncoderLayerParams& params, EncoderLayerParams* grads,
                                const ParameterVisitor& fn);

struct SelfAttentionActivations {
  Tensor qkv;              // [B, T, 3C]
  Tensor attention_probs;  // [B, NH, T, T] softmax before dropout
  Tensor context;          // [B, T, C]  heads merged
  Tensor out;              // [B, T, C]  after the output projection
};

struct SelfAttentionGradScratch {
  Tensor context;  // [B, T, C]
  Tensor qkv;      // [B, T, 3C]
  Tensor probs;    // [B, NH, T, T]
};

void self_attention_forward(const Exec& ex, SelfAttentionActivations& acts, const Tensor& in,
                            const Tensor& mask, const EncoderLayerParams& params,
                            const ModelConfig& config, const LayerAttention& attention,
                            const kernels::DropoutSpec& probs_dropout);

// din (assigned) = d in from d_out; parameter gradients accumulate.
void self_attention_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& grads,
                             SelfAttentionGradScratch& scratch, const Tensor& d_out,
                             const SelfAttentionActivations& acts, const Tensor& in,
                             const Tensor& mask, const EncoderLayerParams& params,
                             const ModelConfig& config, const LayerAttention& attention,
                             const kernels::DropoutSpec& probs_dropout);

}  // namespace finetune::blocks
