// The first-token classification head (see classification_head.h).
#include "model/blocks/classification_head.h"

#include "model/blocks/param_visit.h"
#include "ops/ops.h"

namespace finetune::blocks {

HeadParams classification_head_shapes(const ModelConfig& config) {
  return HeadParams{linear_shape(config.C, config.C), linear_shape(config.K(), config.C)};
}

void visit_classification_head(const ClassificationHeadKeys& keys, HeadParams& p, HeadParams* g,
                               const ParameterVisitor& fn) {
  visit_linear(fn, keys.dense, p.dense, g ? &g->dense : nullptr, ParamGroup::Head);
  visit_linear(fn, keys.out, p.out, g ? &g->out : nullptr, ParamGroup::Head);
}

void classification_head_forward(const Exec& ex, ClassificationHeadActivations& a,
                                 const Tensor& hidden, const HeadParams& p,
                                 const ClassificationHeadSpec& spec,
                                 const ClassificationHeadDropout& dropout) {
  ops::first_token(ex, a.first, hidden);
  if (spec.dropout_on_input && dropout.input.active())
    ops::dropout(ex, a.first, a.first, dropout.input);
  ops::linear(ex, a.dense, a.first, p.dense.weight, p.dense.bias);
  ops::activation(ex, a.activated, a.dense, spec.activation);
  if (dropout.output.active()) ops::dropout(ex, a.activated, a.activated, dropout.output);
  ops::linear(ex, a.logits, a.activated, p.out.weight, p.out.bias);
}

void classification_head_backward(const Exec& ex, const Tensor& d_hidden, HeadParams& g,
                                  const Tensor& d_logits, ClassificationHeadActivations& a,
                                  const HeadParams& p, const ClassificationHeadSpec& spec,
                                  const ClassificationHeadDropout& dropout) {
  ops::linear_backward(ex, a.d_dense, g.out.weight, g.out.bias, d_logits, a.activated,
                       p.out.weight);
  if (dropout.output.active()) ops::dropout_backward(ex, a.d_dense, a.d_dense, dropout.output);
  ops::activation_backward(ex, a.d_dense, a.d_dense, a.dense, spec.activation);
  ops::linear_backward(ex, a.d_first, g.dense.weight, g.dense.bias, a.d_dense, a.first,
                       p.dense.weight);
  if (spec.dropout_on_input && dropout.input.active()) {
    ops::dropout_backward(ex, a.d_first, a.d_first, dropout.input);
  }
  ops::first_token_backward(ex, d_hidden, a.d_first);
}

}  // namespace finetune::blocks
