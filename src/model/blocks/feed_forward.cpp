// The feed-forward blocks, dense (GELU/ReLU) and gated (GeGLU) (see feed_forward.h).
#include "model/blocks/feed_forward.h"

#include "model/blocks/param_visit.h"
#include "ops/ops.h"

namespace finetune::blocks {

void visit_feed_forward(const std::string& prefix, const FeedForwardKeys& keys,
                        EncoderLayerParams& p, EncoderLayerParams* g, const ParameterVisitor& fn) {
  visit_linear(fn, prefix + keys.intermediate, p.intermediate, g ? &g->intermediate : nullptr,
               ParamGroup::Encoder);
  visit_linear(fn, prefix + keys.output, p.output, g ? &g->output : nullptr, ParamGroup::Encoder);
}

void feed_forward_forward(const Exec& ex, FeedForwardActivations& a, const Tensor& in,
                          const EncoderLayerParams& p, const ModelConfig& config) {
  ops::linear(ex, a.hidden, in, p.intermediate.weight, p.intermediate.bias);
  ops::activation(ex, a.activated, a.hidden, config.activation);
  ops::linear(ex, a.out, a.activated, p.output.weight, p.output.bias);
}

void feed_forward_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                           const Tensor& d_hidden, const Tensor& d_out,
                           const FeedForwardActivations& a, const Tensor& in,
                           const EncoderLayerParams& p, const ModelConfig& config) {
  ops::linear_backward(ex, d_hidden, g.output.weight, g.output.bias, d_out, a.activated,
                       p.output.weight);
  ops::activation_backward(ex, d_hidden, d_hidden, a.hidden, config.activation);
  ops::linear_backward(ex, din, g.intermediate.weight, g.intermediate.bias, d_hidden, in,
                       p.intermediate.weight);
}

void gated_feed_forward_forward(const Exec& ex, FeedForwardActivations& a, const Tensor& in,
                                const EncoderLayerParams& p, const ModelConfig& config,
                                const kernels::DropoutSpec& dropout) {
  ops::linear(ex, a.hidden, in, p.intermediate.weight, p.intermediate.bias);
  ops::geglu(ex, a.activated, a.hidden, config.activation);
  if (dropout.active()) ops::dropout(ex, a.activated, a.activated, dropout);
  ops::linear(ex, a.out, a.activated, p.output.weight, p.output.bias);
}

void gated_feed_forward_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                                 const Tensor& d_activated, const Tensor& d_wide,
                                 const Tensor& d_out, const FeedForwardActivations& a,
                                 const Tensor& in, const EncoderLayerParams& p,
                                 const ModelConfig& config, const kernels::DropoutSpec& dropout) {
  ops::linear_backward(ex, d_activated, g.output.weight, g.output.bias, d_out, a.activated,
                       p.output.weight);
  if (dropout.active()) ops::dropout_backward(ex, d_activated, d_activated, dropout);
  ops::geglu_backward(ex, d_wide, d_activated, a.hidden, config.activation);
  ops::linear_backward(ex, din, g.intermediate.weight, g.intermediate.bias, d_wide, in,
                       p.intermediate.weight);
}

}  // namespace finetune::blocks
