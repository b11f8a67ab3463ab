// Forward pass and parameter layout of the shared post-LN encoder layer.
#include "model/encoder_layer.h"

#include "ops/ops.h"

namespace finetune {
namespace {

void visit_linear_weight(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                         LinearParams* g) {
  fn(name + ".weight", p.weight, g ? &g->weight : nullptr, ParamGroup::Encoder);
}

void visit_linear_bias(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                       LinearParams* g) {
  fn(name + ".bias", p.bias, g ? &g->bias : nullptr, ParamGroup::Encoder);
}

void visit_linear(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                  LinearParams* g) {
  visit_linear_weight(fn, name, p, g);
  visit_linear_bias(fn, name, p, g);
}

void visit_norm(const ParameterVisitor& fn, const std::string& name, LayerNormParams& p,
                LayerNormParams* g) {
  fn(name + ".weight", p.weight, g ? &g->weight : nullptr, ParamGroup::Encoder);
  fn(name + ".bias", p.bias, g ? &g->bias : nullptr, ParamGroup::Encoder);
}

LinearParams linear_shape(int64_t out, int64_t in) {
  return LinearParams{Tensor(nullptr, DType::F32, {out, in}), Tensor(nullptr, DType::F32, {out})};
}

LayerNormParams norm_shape(int64_t C) {
  return LayerNormParams{Tensor(nullptr, DType::F32, {C}), Tensor(nullptr, DType::F32, {C})};
}

}  // namespace

void visit_encoder_layer(const std::string& prefix, const EncoderLayerKeys& keys,
                         EncoderLayerParams& p, EncoderLayerParams* g, const ParameterVisitor& fn) {
  visit_linear_weight(fn, prefix + keys.query, p.query, g ? &g->query : nullptr);
  visit_linear_weight(fn, prefix + keys.key, p.key, g ? &g->key : nullptr);
  visit_linear_weight(fn, prefix + keys.value, p.value, g ? &g->value : nullptr);
  visit_linear_bias(fn, prefix + keys.query, p.query, g ? &g->query : nullptr);
  visit_linear_bias(fn, prefix + keys.key, p.key, g ? &g->key : nullptr);
  visit_linear_bias(fn, prefix + keys.value, p.value, g ? &g->value : nullptr);
  visit_linear(fn, prefix + keys.attention_output, p.attention_output, g ? &g->attention_output : nullptr);
  visit_norm(fn, prefix + keys.attention_norm, p.attention_norm, g ? &g->attention_norm : nullptr);
  visit_linear(fn, prefix + keys.intermediate, p.intermediate, g ? &g->intermediate : nullptr);
  visit_linear(fn, prefix + keys.output, p.output, g ? &g->output : nullptr);
  visit_norm(fn, prefix + keys.output_norm, p.output_norm, g ? &g->output_norm : nullptr);
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

void bind_fused_qkv(EncoderLayerParams& p, int C) {
  const int64_t CC = static_cast<int64_t>(C) * C;
  FT_CHECK(p.key.weight.f32() == p.query.weight.f32() + CC &&
               p.value.weight.f32() == p.key.weight.f32() + CC,
           "query/key/value weights must be contiguous for the fused projection");
  FT_CHECK(p.key.bias.f32() == p.query.bias.f32() + C && p.value.bias.f32() == p.key.bias.f32() + C,
           "query/key/value biases must be contiguous for the fused projection");
  p.qkv_weight = Tensor(p.query.weight.data, DType::F32, {3 * static_cast<int64_t>(C), C},
                        p.query.weight.device);
  p.qkv_bias = Tensor(p.query.bias.data, DType::F32, {3 * static_cast<int64_t>(C)}, p.query.bias.device);
}

void encoder_layer_forward(const Exec& ex, EncoderLayerActivations& a, const Tensor& in,
                           const Tensor& mask, const EncoderLayerParams& p, const ModelConfig& config,
                           const EncoderLayerDropout& dropout) {
  // Self-attention: fused q/k/v projection, masked softmax attention, output projection.
  ops::linear(ex, a.qkv, in, p.qkv_weight, p.qkv_bias);
  ops::attention(ex, a.context, a.attention_probs, a.qkv, mask, config.NH, dropout.attention_probs);
  ops::linear(ex, a.attention_out, a.context, p.attention_output.weight, p.attention_output.bias);
  if (dropout.attention_output.active()) ops::dropout(ex, a.attention_out, a.attention_out, dropout.attention_output);
  ops::add_layernorm(ex, a.attention_norm, a.attention_sum, a.attention_mean, a.attention_rstd, a.attention_out,
                     in, p.attention_norm.weight, p.attention_norm.bias, config.layer_norm_eps);
  // Feed-forward: expand, activate, project back, residual + LayerNorm.
  ops::linear(ex, a.ff_hidden, a.attention_norm, p.intermediate.weight, p.intermediate.bias);
  ops::activation(ex, a.ff_activated, a.ff_hidden, config.activation);
  ops::linear(ex, a.ff_out, a.ff_activated, p.output.weight, p.output.bias);
  if (dropout.ff_output.active()) ops::dropout(ex, a.ff_out, a.ff_out, dropout.ff_output);
  ops::add_layernorm(ex, a.out, a.output_sum, a.output_mean, a.output_rstd, a.ff_out, a.attention_norm,
                     p.output_norm.weight, p.output_norm.bias, config.layer_norm_eps);
}

void encoder_layer_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                            EncoderLayerGradScratch& s, const Tensor& dout, const EncoderLayerActivations& a,
                            const Tensor& in, const Tensor& mask, const EncoderLayerParams& p,
                            const ModelConfig& config, const EncoderLayerDropout& dropout) {
  // The forward pass in reverse. Scratch roles: s.a holds the gradient at a LayerNorm input
  // (which is also the gradient flowing down the residual connection), s.b and s.c the current
  // branch's gradient.
  //
  // h2 = LN2(s2), s2 = h1 + drop(ff_out): ds2 goes to both addends.
  ops::layernorm_backward(ex, s.a, g.output_norm.weight, g.output_norm.bias, dout, a.output_sum,
                          p.output_norm.weight, a.output_mean, a.output_rstd);
  const Tensor* d_ff_out = &s.a;
  if (dropout.ff_output.active()) {
    ops::dropout_backward(ex, s.b, s.a, dropout.ff_output);
    d_ff_out = &s.b;
  }
  // ff_out = act(h1 W1^T + b1) W2^T + b2
  ops::linear_backward(ex, s.ff, g.output.weight, g.output.bias, *d_ff_out, a.ff_activated, p.output.weight);
  ops::activation_backward(ex, s.ff, s.ff, a.ff_hidden, config.activation);
  ops::linear_backward(ex, s.c, g.intermediate.weight, g.intermediate.bias, s.ff, a.attention_norm,
                       p.intermediate.weight);
  ops::add(ex, s.c, s.c, s.a);  // dh1 = feed-forward branch + residual
  // h1 = LN1(s1), s1 = x + drop(attention_out): ds1 goes to both addends.
  ops::layernorm_backward(ex, s.a, g.attention_norm.weight, g.attention_norm.bias, s.c, a.attention_sum,
                          p.attention_norm.weight, a.attention_mean, a.attention_rstd);
  const Tensor* d_attention_out = &s.a;
  if (dropout.attention_output.active()) {
    ops::dropout_backward(ex, s.b, s.a, dropout.attention_output);
    d_attention_out = &s.b;
  }
  ops::linear_backward(ex, s.c, g.attention_output.weight, g.attention_output.bias, *d_attention_out, a.context,
                       p.attention_output.weight);
  ops::attention_backward(ex, s.qkv, s.probs, s.c, a.qkv, a.attention_probs, mask, config.NH,
                          dropout.attention_probs);
  ops::linear_backward(ex, din, g.qkv_weight, g.qkv_bias, s.qkv, in, p.qkv_weight);
  ops::add(ex, din, din, s.a);  // dx = attention branch + residual
}

}  // namespace finetune
