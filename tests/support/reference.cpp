// Loading reference tensors and measuring mismatches.
#include "reference.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "test_paths.h"

namespace finetune::testing {

Reference::Reference(const std::string& name)
    : file_(fixtures_dir() / "reference" / (name + ".safetensors")) {}

const StTensorInfo& Reference::info(const std::string& tensor) const {
  const StTensorInfo* found = file_.find(tensor);
  if (found == nullptr) throw Error("reference has no tensor " + tensor);
  return *found;
}

std::vector<int64_t> Reference::shape(const std::string& tensor) const { return info(tensor).shape; }

std::vector<float> Reference::floats(const std::string& tensor) const {
  const StTensorInfo& i = info(tensor);
  std::vector<float> out(static_cast<size_t>(i.numel()));
  file_.read_as_f32(i, out.data(), i.numel());
  return out;
}

std::vector<int32_t> Reference::ints(const std::string& tensor) const {
  const StTensorInfo& i = info(tensor);
  if (i.dtype != StDType::I64) throw Error("reference tensor " + tensor + " is not I64");
  std::vector<int32_t> out(static_cast<size_t>(i.numel()));
  const uint8_t* bytes = file_.bytes(i);
  for (size_t k = 0; k < out.size(); ++k) {
    int64_t v;
    std::memcpy(&v, bytes + 8 * k, 8);
    out[k] = static_cast<int32_t>(v);
  }
  return out;
}

Mismatch compare(const float* got, const float* want, size_t n) {
  Mismatch m;
  for (size_t i = 0; i < n; ++i) {
    double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(d <= m.max_abs)) {  // also catches NaN
      m.max_abs = std::isnan(d) ? INFINITY : d;
      m.want_at_max = want[i];
      m.index = i;
    }
  }
  return m;
}

double fp32_tolerance(const std::vector<float>& want, double ulps) {
  double largest = 0;
  for (float v : want) largest = std::fmax(largest, std::fabs(v));
  return ulps * std::ldexp(1.0, -23) * largest;
}

}  // namespace finetune::testing
