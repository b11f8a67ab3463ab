// The feed-forward block (BertIntermediate + the dense layer of BertOutput; DistilBERT's FFN),
// forward and backward:
//   hidden = x W1^T + b1          [B, T, FF]
//   out    = act(hidden) W2^T + b2  [B, T, C]
// act is config.activation (hidden_act). The residual, the output dropout and the norm belong to
// the layer (encoder_layer.h). ModernBERT's gated GeGLU is the next block of this kind.
//
// Dimension legend: B batch, T tokens, C hidden, FF intermediate.
#pragma once

#include <string>

#include "core/exec.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

// A family's names for the two linear layers, relative to the layer's prefix.
struct FeedForwardKeys {
  const char* intermediate;
  const char* output;
};

void visit_feed_forward(const std::string& prefix, const FeedForwardKeys& keys,
                        EncoderLayerParams& params, EncoderLayerParams* grads,
                        const ParameterVisitor& fn);

struct FeedForwardActivations {
  Tensor hidden;     // [B, T, FF] before the activation
  Tensor activated;  // [B, T, FF] after it (the same memory as `hidden` in inference)
  Tensor out;        // [B, T, C]
};

void feed_forward_forward(const Exec& ex, FeedForwardActivations& acts, const Tensor& in,
                          const EncoderLayerParams& params, const ModelConfig& config);

// din (assigned) from d_out, with `d_hidden` [B, T, FF] as scratch; parameter gradients
// accumulate.
void feed_forward_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& grads,
                           const Tensor& d_hidden, const Tensor& d_out,
                           const FeedForwardActivations& acts, const Tensor& in,
                           const EncoderLayerParams& params, const ModelConfig& config);

}  // namespace finetune::blocks
