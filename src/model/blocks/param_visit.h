// Small helpers the blocks use to declare their parameters: shapes without memory, and visiting
// a Linear or LayerNorm under its Hugging Face name (`<name>.weight`, `<name>.bias`), with the
// bias optional (ModernBERT's attention_bias, mlp_bias, norm_bias).
#pragma once

#include <cstdint>
#include <string>

#include "model/params.h"

namespace finetune::blocks {

// `bias` false: the layer has none (an empty tensor, which the visitors below skip).
inline LinearParams linear_shape(int64_t out, int64_t in, bool bias = true) {
  return LinearParams{Tensor(nullptr, DType::F32, {out, in}),
                      bias ? Tensor(nullptr, DType::F32, {out}) : Tensor()};
}

inline LayerNormParams norm_shape(int64_t width, bool bias = true) {
  return LayerNormParams{Tensor(nullptr, DType::F32, {width}),
                         bias ? Tensor(nullptr, DType::F32, {width}) : Tensor()};
}

inline void visit_linear_weight(const ParameterVisitor& fn, const std::string& name,
                                LinearParams& p, LinearParams* g, ParamGroup group) {
  fn(name + ".weight", p.weight, g ? &g->weight : nullptr, group);
}

// Declared tensors have a shape (ndim > 0) even before memory is bound; an absent bias has none.
inline void visit_linear_bias(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                              LinearParams* g, ParamGroup group) {
  if (p.bias.ndim > 0) fn(name + ".bias", p.bias, g ? &g->bias : nullptr, group);
}

inline void visit_linear(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                         LinearParams* g, ParamGroup group) {
  visit_linear_weight(fn, name, p, g, group);
  visit_linear_bias(fn, name, p, g, group);
}

inline void visit_norm(const ParameterVisitor& fn, const std::string& name, LayerNormParams& p,
                       LayerNormParams* g, ParamGroup group) {
  fn(name + ".weight", p.weight, g ? &g->weight : nullptr, group);
  if (p.bias.ndim > 0) fn(name + ".bias", p.bias, g ? &g->bias : nullptr, group);
}

}  // namespace finetune::blocks
