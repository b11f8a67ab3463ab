// The absolute-position self-attention block (see self_attention.h).
#include "model/blocks/self_attention.h"

#include "model/blocks/param_visit.h"
#include "ops/ops.h"

namespace finetune::blocks {

void visit_self_attention(const std::string& prefix, const SelfAttentionKeys& keys,
                          EncoderLayerParams& p, EncoderLayerParams* g,
                          const ParameterVisitor& fn) {
  const ParamGroup group = ParamGroup::Encoder;
  visit_linear_weight(fn, prefix + keys.query, p.query, g ? &g->query : nullptr, group);
  visit_linear_weight(fn, prefix + keys.key, p.key, g ? &g->key : nullptr, group);
  visit_linear_weight(fn, prefix + keys.value, p.value, g ? &g->value : nullptr, group);
  visit_linear_bias(fn, prefix + keys.query, p.query, g ? &g->query : nullptr, group);
  visit_linear_bias(fn, prefix + keys.key, p.key, g ? &g->key : nullptr, group);
  visit_linear_bias(fn, prefix + keys.value, p.value, g ? &g->value : nullptr, group);
  visit_linear(fn, prefix + keys.output, p.attention_output, g ? &g->attention_output : nullptr,
               group);
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
  p.qkv_bias =
      Tensor(p.query.bias.data, DType::F32, {3 * static_cast<int64_t>(C)}, p.query.bias.device);
}

void visit_fused_self_attention(const std::string& prefix, const char* qkv, const char* output,
                                EncoderLayerParams& p, EncoderLayerParams* g,
                                const ParameterVisitor& fn) {
  const ParamGroup group = ParamGroup::Encoder;
  const std::string fused = prefix + qkv;
  fn(fused + ".weight", p.qkv_weight, g ? &g->qkv_weight : nullptr, group);
  if (p.qkv_bias.ndim > 0) fn(fused + ".bias", p.qkv_bias, g ? &g->qkv_bias : nullptr, group);
  visit_linear(fn, prefix + output, p.attention_output, g ? &g->attention_output : nullptr, group);
}

void self_attention_forward(const Exec& ex, SelfAttentionActivations& a, const Tensor& in,
                            const Tensor& mask, const EncoderLayerParams& p,
                            const ModelConfig& config, const LayerAttention& attention,
                            const kernels::DropoutSpec& probs_dropout) {
  ops::linear(ex, a.qkv, in, p.qkv_weight, p.qkv_bias);
  if (attention.rope_theta > 0) ops::rotary(ex, a.qkv, config.NH, attention.rope_theta);
  ops::attention(ex, a.context, a.attention_probs, a.qkv, mask, config.NH, probs_dropout,
                 attention.window);
  ops::linear(ex, a.out, a.context, p.attention_output.weight, p.attention_output.bias);
}

void self_attention_backward(const Exec& ex, const Tensor& din, EncoderLayerParams& g,
                             SelfAttentionGradScratch& s, const Tensor& d_out,
                             const SelfAttentionActivations& a, const Tensor& in,
                             const Tensor& mask, const EncoderLayerParams& p,
                             const ModelConfig& config, const LayerAttention& attention,
                             const kernels::DropoutSpec& probs_dropout) {
  ops::linear_backward(ex, s.context, g.attention_output.weight, g.attention_output.bias, d_out,
                       a.context, p.attention_output.weight);
  ops::attention_backward(ex, s.qkv, s.probs, s.context, a.qkv, a.attention_probs, mask, config.NH,
                          probs_dropout, attention.window);
  // a.qkv holds the rotated q and k, as the attention read them; the gradient is rotated back.
  if (attention.rope_theta > 0) ops::rotary(ex, s.qkv, config.NH, attention.rope_theta, true);
  ops::linear_backward(ex, din, g.qkv_weight, g.qkv_bias, s.qkv, in, p.qkv_weight);
}

}  // namespace finetune::blocks
