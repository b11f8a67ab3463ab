// Parameter shapes, the flat parameter buffer and the dispatch of for_each_parameter.
#include "model/params.h"

#include <cctype>

#include "model/blocks/classification_head.h"
#include "model/blocks/embeddings.h"
#include "model/blocks/encoder_layer.h"
#include "model/blocks/self_attention.h"
#include "model/family.h"

namespace finetune {

ModelParams make_parameter_shapes(const ModelConfig& config) {
  const FamilySpec& family = family_spec(config.family);
  if (family.shapes != nullptr) return family.shapes(config);
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
  // The HF Trainer's get_decay_parameter_names: no decay for a name (lower-cased) containing
  // "bias", "layernorm" or "rmsnorm", or with a component "norm" or ending in "_norm" (ModernBERT's
  // embeddings.norm, attn_norm, mlp_norm, final_norm, head.norm), nor for nn.LayerNorm modules,
  // which every family here names in one of those ways.
  std::string name = key;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto contains = [&](const char* part) { return name.find(part) != std::string::npos; };
  auto component_ends = [&](size_t end) { return end == name.size() || name[end] == '.'; };
  for (size_t at = name.find("norm"); at != std::string::npos; at = name.find("norm", at + 1)) {
    const bool starts = at == 0 || name[at - 1] == '.' || name[at - 1] == '_';
    if (starts && component_ends(at + 4)) return false;
  }
  return !contains("bias") && !contains("layernorm") && !contains("rmsnorm");
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
  // Families with separate query/key/value tensors get the fused views; a fused checkpoint
  // tensor (ModernBERT's Wqkv) was visited as qkv_weight itself.
  for (auto& layer : params_.layers) {
    if (layer.query.weight.ndim > 0) blocks::bind_fused_qkv(layer, config.C);
  }
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
