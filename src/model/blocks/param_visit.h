// Small helpers the blocks use to declare their parameters: shapes without memory, and visiting
// a Linear or LayerNorm under its Hugging Face name (`<name>.weight`, `<name>.bias`).
#pragma once

#include <cstdint>
#include <string>

#include "model/params.h"

namespace finetune::blocks {

inline LinearParams linear_shape(int64_t out, int64_t in) {
  return LinearParams{Tensor(nullptr, DType::F32, {out, in}), Tensor(nullptr, DType::F32, {out})};
}

inline LayerNormParams norm_shape(int64_t width) {
  return LayerNormParams{Tensor(nullptr, DType::F32, {width}),
                         Tensor(nullptr, DType::F32, {width})};
}

inline void visit_linear_weight(const ParameterVisitor& fn, const std::string& name,
                                LinearParams& p, LinearParams* g, ParamGroup group) {
  fn(name + ".weight", p.weight, g ? &g->weight : nullptr, group);
}

inline void visit_linear_bias(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                              LinearParams* g, ParamGroup group) {
  fn(name + ".bias", p.bias, g ? &g->bias : nullptr, group);
}

inline void visit_linear(const ParameterVisitor& fn, const std::string& name, LinearParams& p,
                         LinearParams* g, ParamGroup group) {
  visit_linear_weight(fn, name, p, g, group);
  visit_linear_bias(fn, name, p, g, group);
}

inline void visit_norm(const ParameterVisitor& fn, const std::string& name, LayerNormParams& p,
                       LayerNormParams* g, ParamGroup group) {
  fn(name + ".weight", p.weight, g ? &g->weight : nullptr, group);
  fn(name + ".bias", p.bias, g ? &g->bias : nullptr, group);
}

}  // namespace finetune::blocks
