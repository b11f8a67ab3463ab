// The sequence-classification head (see classification_head.h).
#include "model/blocks/classification_head.h"

#include "model/blocks/param_visit.h"
#include "ops/ops.h"

namespace finetune::blocks {

HeadParams classification_head_shapes(const ModelConfig& config) {
  HeadParams p;
  p.dense = linear_shape(config.C, config.C, config.head_dense_bias);
  p.out = linear_shape(config.K(), config.C);
  return p;
}

void visit_classification_head(const ClassificationHeadKeys& keys, HeadParams& p, HeadParams* g,
                               const ParameterVisitor& fn) {
  visit_linear(fn, keys.dense, p.dense, g ? &g->dense : nullptr, ParamGroup::Head);
  if (keys.norm != nullptr) visit_norm(fn, keys.norm, p.norm, g ? &g->norm : nullptr, ParamGroup::Head);
  visit_linear(fn, keys.out, p.out, g ? &g->out : nullptr, ParamGroup::Head);
}

kernels::Activation head_activation(const ModelConfig& config, const ClassificationHeadSpec& spec) {
  return config.head_activation_from_config ? config.head_activation : spec.activation;
}

void classification_head_forward(const Exec& ex, ClassificationHeadActivations& a,
                                 const Tensor& hidden, const Tensor& mask, const HeadParams& p,
                                 const ModelConfig& config, const ClassificationHeadSpec& spec,
                                 const ClassificationHeadDropout& dropout) {
  if (config.head_pooling == HeadPooling::Mean) {
    ops::mean_pool(ex, a.first, hidden, mask);
  } else {
    ops::first_token(ex, a.first, hidden);
  }
  if (spec.dropout_on_input && dropout.input.active())
    ops::dropout(ex, a.first, a.first, dropout.input);
  ops::linear(ex, a.dense, a.first, p.dense.weight, p.dense.bias);
  ops::activation(ex, a.activated, a.dense, head_activation(config, spec));
  if (p.norm.weight.ndim > 0) {
    ops::layernorm(ex, a.normed, a.norm_mean, a.norm_rstd, a.activated, p.norm.weight, p.norm.bias,
                   config.layer_norm_eps);
  }
  const Tensor& pooled = a.pooled();
  if (dropout.output.active()) ops::dropout(ex, pooled, pooled, dropout.output);
  ops::linear(ex, a.logits, pooled, p.out.weight, p.out.bias);
}

void classification_head_backward(const Exec& ex, const Tensor& d_hidden, HeadParams& g,
                                  const Tensor& d_logits, ClassificationHeadActivations& a,
                                  const Tensor& mask, const HeadParams& p,
                                  const ModelConfig& config, const ClassificationHeadSpec& spec,
                                  const ClassificationHeadDropout& dropout) {
  ops::linear_backward(ex, a.d_dense, g.out.weight, g.out.bias, d_logits, a.pooled(),
                       p.out.weight);
  if (dropout.output.active()) ops::dropout_backward(ex, a.d_dense, a.d_dense, dropout.output);
  const Tensor* d_activated = &a.d_dense;
  if (p.norm.weight.ndim > 0) {
    // d_first is free until the dense layer's backward writes it.
    ops::layernorm_backward(ex, a.d_first, g.norm.weight, g.norm.bias, a.d_dense, a.activated,
                            p.norm.weight, a.norm_mean, a.norm_rstd);
    d_activated = &a.d_first;
  }
  ops::activation_backward(ex, a.d_dense, *d_activated, a.dense, head_activation(config, spec));
  ops::linear_backward(ex, a.d_first, g.dense.weight, g.dense.bias, a.d_dense, a.first,
                       p.dense.weight);
  if (spec.dropout_on_input && dropout.input.active()) {
    ops::dropout_backward(ex, a.d_first, a.d_first, dropout.input);
  }
  if (config.head_pooling == HeadPooling::Mean) {
    ops::mean_pool_backward(ex, d_hidden, a.d_first, mask);
  } else {
    ops::first_token_backward(ex, d_hidden, a.d_first);
  }
}

}  // namespace finetune::blocks
