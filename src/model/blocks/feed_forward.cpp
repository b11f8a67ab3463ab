// The GELU/ReLU feed-forward block (see feed_forward.h).
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

}  // namespace finetune::blocks
