// The feed-forward block (BertIntermediate + the dense layer of BertOutput; DistilBERT's FFN),
// forward and backward:
//   hidden = x W1^T + b1          [B, T, FF]
//   out    = act(hidden) W2^T + b2  [B, T, C]
// act is config.activation (hidden_act). The residual, the output dropout and the norm belong to
// the layer (encoder_layer.h).
//
// The gated kind (ModernBertMLP, FeedForwardKind::GeGLU):
//   [input | gate] = x Wi^T (+ bi)                      [B, T, 2 FF]
//   out = dropout(act(input) * gate) Wo^T (+ bo)        [B, T, C]
// with act = hidden_activation and mlp_dropout inside the block, before Wo.
//
// Dimension legend: B batch, T tokens, C hidden, FF intermediate.
#pragma once

#include <string>

#include "core/exec.h"
#include "kernels/dropout.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune::blocks {

enum class FeedForwardKind {
  Dense,  // BERT's intermediate -> act -> output
  GeGLU,  // ModernBERT's Wi -> act(input) * gate -> Wo
};

// A family's names for the two linear layers, relative to the layer's prefix.
struct FeedForwardKeys {
  const char* intermediate;
  const char* output;
};

void visit_feed_forward(const std::string& prefix, const FeedForwardKeys& keys,
                        EncoderLayerParams& params, EncoderLayerParams* grads,
                        const ParameterVisitor& fn);

struct FeedForwardActivations {
  Tensor hidden;     // [B, T, FF] before the activation (GeGLU: [B, T, 2 FF], input and gate)
  Tensor activated;  // [B, T, FF] after it (the same memory as `hidden` in inference, Dense only)
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

// The GeGLU kind: `dropout` is mlp_dropout on act(input) * gate.
void gated_feed_forward_forward(const Exec& ex, FeedForwardActivations& acts, const Tensor& in,
                                const EncoderLayerParams& params, const ModelConfig& config,
                                const kernels::DropoutSpec& dropout);

// din (assigned) from d_out, with d_activated [B, T, FF] and d_wide [B, T, 2 FF] as scratch;
// parameter gradients accumulate.
void gated_feed_forward_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& grads,
                                 const Tensor& d_activated, const Tensor& d_wide,
                                 const Tensor& d_out, const FeedForwardActivations& acts,
                                 const Tensor& in, const EncoderLayerParams& params,
                                 const ModelConfig& config, const kernels::DropoutSpec& dropout);

}  // namespace finetune::blocks
