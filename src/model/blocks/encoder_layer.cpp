// The encoder layer, post-LN and pre-LN: parameter layout, forward and backward (see
// encoder_layer.h).
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

namespace {

// The feed-forward block of the layer's kind, forward and backward.
void feed_forward_of(const Exec& ex, EncoderLayerActivations& a, const Tensor& in,
                     const EncoderLayerParams& p, const ModelConfig& config,
                     const EncoderLayerSpec& spec, const EncoderLayerDropout& dropout) {
  if (spec.feed_forward == FeedForwardKind::GeGLU) {
    gated_feed_forward_forward(ex, a.ff, in, p, config, dropout.ff_output);
    return;
  }
  feed_forward_forward(ex, a.ff, in, p, config);
  if (dropout.ff_output.active()) ops::dropout(ex, a.ff.out, a.ff.out, dropout.ff_output);
}

// The attention branch, attention(x) then its output dropout, into a.attention.out.
void attention_branch_forward(const Exec& ex, EncoderLayerActivations& a, const Tensor& x,
                              const Tensor& mask, const EncoderLayerParams& p,
                              const ModelConfig& config, const LayerAttention& attention,
                              const EncoderLayerDropout& dropout) {
  self_attention_forward(ex, a.attention, x, mask, p, config, attention, dropout.attention_probs);
  if (dropout.attention_output.active()) {
    ops::dropout(ex, a.attention.out, a.attention.out, dropout.attention_output);
  }
}

// Post-LN, BertLayer: h1 = LN(x + dropout(attention(x))), out = LN(h1 + dropout(ff(h1))).
void post_ln_forward(const Exec& ex, EncoderLayerActivations& a, const Tensor& in,
                     const Tensor& mask, const EncoderLayerParams& p, const ModelConfig& config,
                     const EncoderLayerSpec& spec, const LayerAttention& attention,
                     const EncoderLayerDropout& dropout) {
  attention_branch_forward(ex, a, in, mask, p, config, attention, dropout);
  ops::add_layernorm(ex, a.attention_norm, a.attention_sum, a.attention_mean, a.attention_rstd,
                     a.attention.out, in, p.attention_norm.weight, p.attention_norm.bias,
                     config.layer_norm_eps);
  feed_forward_of(ex, a, a.attention_norm, p, config, spec, dropout);
  ops::add_layernorm(ex, a.out, a.output_sum, a.output_mean, a.output_rstd, a.ff.out,
                     a.attention_norm, p.output_norm.weight, p.output_norm.bias,
                     config.layer_norm_eps);
}

// Pre-LN, ModernBertEncoderLayer: h = x + dropout(attention(LN1(x))), out = h + ff(LN2(h)).
// LN1 is absent (the identity) in layer 0.
void pre_ln_forward(const Exec& ex, EncoderLayerActivations& a, const Tensor& in,
                    const Tensor& mask, const EncoderLayerParams& p, const ModelConfig& config,
                    const EncoderLayerSpec& spec, const LayerAttention& attention,
                    const EncoderLayerDropout& dropout) {
  const bool attention_norm = p.attention_norm.weight.ndim > 0;
  if (attention_norm) {
    ops::layernorm(ex, a.attention_norm, a.attention_mean, a.attention_rstd, in,
                   p.attention_norm.weight, p.attention_norm.bias, config.layer_norm_eps);
  }
  attention_branch_forward(ex, a, attention_norm ? a.attention_norm : in, mask, p, config,
                           attention, dropout);
  // h = x + attention (kept in attention_sum) and LN2(h) in one pass.
  ops::add_layernorm(ex, a.ff_norm, a.attention_sum, a.output_mean, a.output_rstd,
                     a.attention.out, in, p.output_norm.weight, p.output_norm.bias,
                     config.layer_norm_eps);
  feed_forward_of(ex, a, a.ff_norm, p, config, spec, dropout);
  // In inference a.out is the layer's input `in`, which is no longer read.
  ops::add(ex, a.out, a.attention_sum, a.ff.out);
}

// din (assigned) = d x from d_branch, the gradient of the attention branch's output (after its
// dropout), for the branch's input x. d_branch is read before din is written, so din may be
// d_branch or scratch.b.
void attention_branch_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                               EncoderLayerGradScratch& s, const Tensor& d_branch,
                               const EncoderLayerActivations& a, const Tensor& x,
                               const Tensor& mask, const EncoderLayerParams& p,
                               const ModelConfig& config, const LayerAttention& attention,
                               const EncoderLayerDropout& dropout) {
  const Tensor* d_attention_out = &d_branch;
  if (dropout.attention_output.active()) {
    ops::dropout_backward(ex, s.b, d_branch, dropout.attention_output);
    d_attention_out = &s.b;
  }
  self_attention_backward(ex, din, g, s.attention, *d_attention_out, a.attention, x, mask, p,
                          config, attention, dropout.attention_probs);
}

// din (assigned) = d ff-input from d_out (the gradient of the block's output, before any output
// dropout of the dense kind); d_out is not modified unless it is also scratch.b.
void feed_forward_backward_of(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                              EncoderLayerGradScratch& s, const Tensor& d_out,
                              const EncoderLayerActivations& a, const Tensor& ff_in,
                              const EncoderLayerParams& p, const ModelConfig& config,
                              const EncoderLayerSpec& spec, const EncoderLayerDropout& dropout) {
  if (spec.feed_forward == FeedForwardKind::GeGLU) {
    gated_feed_forward_backward(ex, din, g, s.ff, s.ff_wide, d_out, a.ff, ff_in, p, config,
                                dropout.ff_output);
    return;
  }
  const Tensor* d_ff_out = &d_out;
  if (dropout.ff_output.active()) {
    ops::dropout_backward(ex, s.b, d_out, dropout.ff_output);
    d_ff_out = &s.b;
  }
  feed_forward_backward(ex, din, g, s.ff, *d_ff_out, a.ff, ff_in, p, config);
}

void post_ln_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                      EncoderLayerGradScratch& s, const Tensor& dout,
                      const EncoderLayerActivations& a, const Tensor& in, const Tensor& mask,
                      const EncoderLayerParams& p, const ModelConfig& config,
                      const EncoderLayerSpec& spec, const LayerAttention& attention,
                      const EncoderLayerDropout& dropout) {
  // The forward pass in reverse. Scratch roles: s.a holds the gradient at a LayerNorm input
  // (which is also the gradient flowing down the residual connection), s.b the current branch's.
  //
  // h2 = LN2(s2), s2 = h1 + drop(ff_out): ds2 goes to both addends.
  ops::layernorm_backward(ex, s.a, g.output_norm.weight, g.output_norm.bias, dout, a.output_sum,
                          p.output_norm.weight, a.output_mean, a.output_rstd);
  feed_forward_backward_of(ex, s.b, g, s, s.a, a, a.attention_norm, p, config, spec, dropout);
  ops::add(ex, s.b, s.b, s.a);  // dh1 = feed-forward branch + residual
  // h1 = LN1(s1), s1 = x + drop(attention_out): ds1 goes to both addends.
  ops::layernorm_backward(ex, s.a, g.attention_norm.weight, g.attention_norm.bias, s.b,
                          a.attention_sum, p.attention_norm.weight, a.attention_mean,
                          a.attention_rstd);
  attention_branch_backward(ex, din, g, s, s.a, a, in, mask, p, config, attention, dropout);
  ops::add(ex, din, din, s.a);  // dx = attention branch + residual
}

void pre_ln_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                     EncoderLayerGradScratch& s, const Tensor& dout,
                     const EncoderLayerActivations& a, const Tensor& in, const Tensor& mask,
                     const EncoderLayerParams& p, const ModelConfig& config,
                     const EncoderLayerSpec& spec, const LayerAttention& attention,
                     const EncoderLayerDropout& dropout) {
  // s.a accumulates dh, the gradient at h = x + attention branch, which also flows down the
  // residual to x; s.b holds the current branch's gradient.
  //
  // out = h + ff(LN2(h)): dh = dout + LN2'(ff'(dout)).
  feed_forward_backward_of(ex, s.b, g, s, dout, a, a.ff_norm, p, config, spec, dropout);
  ops::layernorm_backward(ex, s.a, g.output_norm.weight, g.output_norm.bias, s.b,
                          a.attention_sum, p.output_norm.weight, a.output_mean, a.output_rstd);
  ops::add(ex, s.a, s.a, dout);  // dout is fully read from here on; din may alias it
  // h = x + drop(attention(LN1(x))): dx = dh + LN1'(attention'(drop'(dh))). The attention's
  // input gradient goes to s.b when LN1 follows, else straight into din.
  const bool attention_norm = p.attention_norm.weight.ndim > 0;
  attention_branch_backward(ex, attention_norm ? s.b : din, g, s, s.a, a,
                            attention_norm ? a.attention_norm : in, mask, p, config, attention,
                            dropout);
  if (attention_norm) {
    ops::layernorm_backward(ex, din, g.attention_norm.weight, g.attention_norm.bias, s.b, in,
                            p.attention_norm.weight, a.attention_mean, a.attention_rstd);
  }
  ops::add(ex, din, din, s.a);  // dx = attention branch + residual
}

}  // namespace

void encoder_layer_forward(const Exec& ex, EncoderLayerActivations& a, const Tensor& in,
                           const Tensor& mask, const EncoderLayerParams& p,
                           const ModelConfig& config, const EncoderLayerSpec& spec,
                           const LayerAttention& attention, const EncoderLayerDropout& dropout) {
  if (spec.norm == NormPlacement::PreLN) {
    pre_ln_forward(ex, a, in, mask, p, config, spec, attention, dropout);
  } else {
    post_ln_forward(ex, a, in, mask, p, config, spec, attention, dropout);
  }
}

void encoder_layer_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                            EncoderLayerGradScratch& s, const Tensor& dout,
                            const EncoderLayerActivations& a, const Tensor& in, const Tensor& mask,
                            const EncoderLayerParams& p, const ModelConfig& config,
                            const EncoderLayerSpec& spec, const LayerAttention& attention,
                            const EncoderLayerDropout& dropout) {
  if (spec.norm == NormPlacement::PreLN) {
    pre_ln_backward(ex, din, g, s, dout, a, in, mask, p, config, spec, attention, dropout);
  } else {
    post_ln_backward(ex, din, g, s, dout, a, in, mask, p, config, spec, attention, dropout);
  }
}

}  // namespace finetune::blocks
