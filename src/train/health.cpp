// Finding non-finite gradients and naming their parameter (see health.h).
#include "train/health.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "ops/memory.h"
#include "ops/ops.h"

namespace finetune {

bool gradients_finite(const Exec& ex, const Tensor& flat) {
  return std::isfinite(ops::sum_of_squares(ex, flat));
}

int64_t first_non_finite(const float* data, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(data[i])) return i;
  }
  return -1;
}

std::optional<NonFiniteValue> find_non_finite(const Exec& ex, const ModelConfig& config,
                                              ParameterStore& grads) {
  const int64_t n = grads.count();
  Tensor flat = grads.flat();
  std::vector<float> host_copy;
  const float* values = flat.f32();
  if (grads.device() != Device::CPU) {
    host_copy.resize(static_cast<size_t>(n));
    ops::copy(ex, Tensor(host_copy.data(), DType::F32, {n}), flat);
    ops::synchronize(ex);
    values = host_copy.data();
  }
  const int64_t index = first_non_finite(values, n);
  if (index < 0) return std::nullopt;
  return locate_flat_index(config, grads, index, values[index]);
}

NonFiniteValue locate_flat_index(const ModelConfig& config, ParameterStore& grads, int64_t index,
                                 float value) {
  // Map the flat offset back to the parameter whose gradient view holds it.
  NonFiniteValue found;
  found.value = value;
  const float* base = grads.flat().f32();
  ModelParams shapes = make_parameter_shapes(config);
  for_each_parameter(config, shapes, &grads.params(),
                     [&](const std::string& key, Tensor&, Tensor* grad, ParamGroup) {
                       if (grad == nullptr || !found.parameter.empty()) return;
                       const int64_t begin = static_cast<const float*>(grad->data) - base;
                       if (index >= begin && index < begin + grad->numel()) {
                         found.parameter = key;
                         found.element = index - begin;
                       }
                     });
  if (found.parameter.empty()) found.parameter = "(padding between parameters)";
  return found;
}

std::string describe(const NonFiniteValue& value) {
  const char* what = std::isnan(value.value) ? "nan" : (value.value > 0 ? "inf" : "-inf");
  char text[64];
  std::snprintf(text, sizeof text, " (element %lld is %s)", static_cast<long long>(value.element),
                what);
  return value.parameter + text;
}

}  // namespace finetune
