// Parameter shapes, the flat parameter buffer and the dispatch of for_each_parameter.
#include "model/params.h"

#include "model/blocks/classification_head.h"
#include "model/blocks/embeddings.h"
#include "model/blocks/encoder_layer.h"
#include "model/blocks/self_attention.h"
#include "model/family.h"

namespace finetune {

ModelParams make_parameter_shapes(const ModelConfig& config) {
  const FamilySpec& family = family_spec(config.family);
  ModelParams p;
  p.embeddings = blocks::embeddings_shapes(config, family.embeddings);
  p.layers.assign(config.L, blocks::encoder_layer_shapes(config));
  p.head = blocks::classification_head_shapes(config);
  return p;
}

void for_each_parameter(const ModelConfig& config, ModelParams& params, ModelParams* grads,
                        const ParameterVisitor& fn) {
  family_spec(config.family).visit(config, params, grads, fn);
}

int64_t parameter_count(const ModelConfig& config) {
  ModelParams shapes = make_parameter_shapes(config);
  int64_t total = 0;
  for_each_parameter(
      config, shapes, nullptr,
      [&](const std::string&, Tensor& t, Tensor*, ParamGroup) { total += t.numel(); });
  return total;
}

bool is_weight_decayed(const std::string& key) {
  auto ends_with = [&](const std::string& suffix) {
    return key.size() >= suffix.size() &&
           key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  bool layer_norm =
      key.find("LayerNorm") != std::string::npos || key.find("layer_norm") != std::string::npos;
  return !ends_with(".bias") && !layer_norm;
}

ParameterStore::ParameterStore(const ModelConfig& config, const Exec& ex)
    : params_(make_parameter_shapes(config)), count_(parameter_count(config)) {
  buffer_ = ops::Buffer(ex, static_cast<size_t>(count_) * sizeof(float));
  // Parameters are packed back to back, with no padding, decayed ones first (two passes of the
  // visitor). Within each part the visiting order keeps query/key/value weights adjacent, and
  // their biases adjacent, for the fused projection.
  float* cursor = buffer_.as<float>();
  for (bool decayed_pass : {true, false}) {
    for_each_parameter(config, params_, nullptr,
                       [&](const std::string& key, Tensor& t, Tensor*, ParamGroup) {
                         if (is_weight_decayed(key) != decayed_pass) return;
                         t.data = cursor;
                         t.device = ex.device;
                         cursor += t.numel();
                       });
    if (decayed_pass) decayed_count_ = cursor - buffer_.as<float>();
  }
  FT_CHECK(cursor == buffer_.as<float>() + count_, "parameter layout does not add up");
  for (auto& layer : params_.layers) blocks::bind_fused_qkv(layer, config.C);
}

Tensor ParameterStore::flat() {
  return Tensor(buffer_.data(), DType::F32, {count_}, device());
}

Tensor ParameterStore::decayed_span() {
  return Tensor(buffer_.data(), DType::F32, {decayed_count_}, device());
}

Tensor ParameterStore::undecayed_span() {
  return Tensor(buffer_.as<float>() + decayed_count_, DType::F32, {count_ - decayed_count_},
                device());
}

}  // namespace finetune
