// Parameter shapes, the flat parameter buffer and the dispatch of for_each_parameter.
#include "model/params.h"

#include "model/encoder_layer.h"
#include "model/family.h"

namespace finetune {

ModelParams make_parameter_shapes(const ModelConfig& config) {
  const int64_t V = config.V, P = config.P, TV = config.TV, C = config.C, K = config.K();
  auto matrix = [](int64_t rows, int64_t cols) { return Tensor(nullptr, DType::F32, {rows, cols}); };
  auto vector = [](int64_t n) { return Tensor(nullptr, DType::F32, {n}); };

  ModelParams p;
  p.embeddings.word = matrix(V, C);
  p.embeddings.position = matrix(P, C);
  if (family_spec(config.family).has_token_types) p.embeddings.token_type = matrix(TV, C);
  p.embeddings.norm = LayerNormParams{vector(C), vector(C)};
  p.layers.assign(config.L, encoder_layer_shapes(config));
  p.head.pre = LinearParams{matrix(C, C), vector(C)};
  p.head.classifier = LinearParams{matrix(K, C), vector(K)};
  return p;
}

void for_each_parameter(const ModelConfig& config, ModelParams& params, ModelParams* grads,
                        const ParameterVisitor& fn) {
  family_spec(config.family).visit(config, params, grads, fn);
}

int64_t parameter_count(const ModelConfig& config) {
  ModelParams shapes = make_parameter_shapes(config);
  int64_t total = 0;
  for_each_parameter(config, shapes, nullptr,
                     [&](const std::string&, Tensor& t, Tensor*, ParamGroup) { total += t.numel(); });
  return total;
}

ParameterStore::ParameterStore(const ModelConfig& config)
    : params_(make_parameter_shapes(config)), count_(parameter_count(config)) {
  buffer_ = HostBuffer(static_cast<size_t>(count_) * sizeof(float));
  // Parameters are packed back to back in visiting order, with no padding: that keeps
  // query/key/value adjacent for the fused projection, and the buffer is one flat vector for
  // the optimizer.
  float* cursor = buffer_.as<float>();
  for_each_parameter(config, params_, nullptr, [&](const std::string&, Tensor& t, Tensor*, ParamGroup) {
    t.data = cursor;
    cursor += t.numel();
  });
  FT_CHECK(cursor == buffer_.as<float>() + count_, "parameter layout does not add up");
  for (auto& layer : params_.layers) bind_fused_qkv(layer, config.C);
}

}  // namespace finetune
