// The post-LN encoder layer: parameter layout, forward and backward (see encoder_layer.h).
#include "model/blocks/encoder_layer.h"

#include "model/blocks/param_visit.h"
#include "ops/ops.h"

namespace finetune::blocks {

void visit_encoder_layer(const std::string& prefix, const EncoderLayerKeys& keys,
                         EncoderLayerParams& p, EncoderLayerParams* g, const ParameterVisitor& fn) {
  visit_self_attention(prefix, keys.attention, p, g, fn);
  visit_norm(fn, prefix + keys.attention_norm, p.attention_norm, g ? &g->attention_norm : nullptr,
             ParamGroup::Encoder);
  visit_feed_forward(prefix, keys.feed_forward, p, g, fn);
  visit_norm(fn, prefix + keys.output_norm, p.output_norm, g ? &g->output_norm : nullptr,
             ParamGroup::Encoder);
}

EncoderLayerParams encoder_layer_shapes(const ModelConfig& config) {
  const int64_t C = config.C, FF = config.FF;
  EncoderLayerParams p;
  p.query = linear_shape(C, C);
  p.key = linear_shape(C, C);
  p.value = linear_shape(C, C);
  p.attention_output = linear_shape(C, C);
  p.attention_norm = norm_shape(C);
  p.intermediate = linear_shape(FF, C);
  p.output = linear_shape(C, FF);
  p.output_norm = norm_shape(C);
  return p;
}

void encoder_layer_forward(const Exec& ex, EncoderLayerActivations& a, const Tensor& in,
                           const Tensor& mask, const EncoderLayerParams& p,
                           const ModelConfig& config, const EncoderLayerDropout& dropout) {
  // h1 = LN(x + dropout(attention(x)))
  self_attention_forward(ex, a.attention, in, mask, p, config, dropout.attention_probs);
  if (dropout.attention_output.active()) {
    ops::dropout(ex, a.attention.out, a.attention.out, dropout.attention_output);
  }
  ops::add_layernorm(ex, a.attention_norm, a.attention_sum, a.attention_mean, a.attention_rstd,
                     a.attention.out, in, p.attention_norm.weight, p.attention_norm.bias,
                     config.layer_norm_eps);
  // h2 = LN(h1 + dropout(feed_forward(h1)))
  feed_forward_forward(ex, a.ff, a.attention_norm, p, config);
  if (dropout.ff_output.active()) ops::dropout(ex, a.ff.out, a.ff.out, dropout.ff_output);
  ops::add_layernorm(ex, a.out, a.output_sum, a.output_mean, a.output_rstd, a.ff.out,
                     a.attention_norm, p.output_norm.weight, p.output_norm.bias,
                     config.layer_norm_eps);
}

void encoder_layer_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                            EncoderLayerGradScratch& s, const Tensor& dout,
                            const EncoderLayerActivations& a, const Tensor& in, const Tensor& mask,
                            const EncoderLayerParams& p, const ModelConfig& config,
                            const EncoderLayerDropout& dropout) {
  // The forward pass in reverse. Scratch roles: s.a holds the gradient at a LayerNorm input
  // (which is also the gradient flowing down the residual connection), s.b the current branch's.
  //
  // h2 = LN2(s2), s2 = h1 + drop(ff_out): ds2 goes to both addends.
  ops::layernorm_backward(ex, s.a, g.output_norm.weight, g.output_norm.bias, dout, a.output_sum,
                          p.output_norm.weight, a.output_mean, a.output_rstd);
  const Tensor* d_ff_out = &s.a;
  if (dropout.ff_output.active()) {
    ops::dropout_backward(ex, s.b, s.a, dropout.ff_output);
    d_ff_out = &s.b;
  }
  feed_forward_backward(ex, s.b, g, s.ff, *d_ff_out, a.ff, a.attention_norm, p, config);
  ops::add(ex, s.b, s.b, s.a);  // dh1 = feed-forward branch + residual
  // h1 = LN1(s1), s1 = x + drop(attention_out): ds1 goes to both addends.
  ops::layernorm_backward(ex, s.a, g.attention_norm.weight, g.attention_norm.bias, s.b,
                          a.attention_sum, p.attention_norm.weight, a.attention_mean,
                          a.attention_rstd);
  const Tensor* d_attention_out = &s.a;
  if (dropout.attention_output.active()) {
    ops::dropout_backward(ex, s.b, s.a, dropout.attention_output);
    d_attention_out = &s.b;
  }
  self_attention_backward(ex, din, g, s.attention, *d_attention_out, a.attention, in, mask, p,
                          config, dropout.attention_probs);
  ops::add(ex, din, din, s.a);  // dx = attention branch + residual
}

}  // namespace finetune::blocks
