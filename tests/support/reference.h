// Reference outputs recorded from PyTorch + transformers by tools/make_reference.py
// (tests/fixtures/reference/<name>.safetensors + .json), and a comparison helper that reports
// the worst element instead of the first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace finetune::testing {

class Reference {
 public:
  explicit Reference(const std::string& name);  // tests/fixtures/reference/<name>.safetensors

  bool has(const std::string& tensor) const { return file_.find(tensor) != nullptr; }
  std::vector<int64_t> shape(const std::string& tensor) const;
  std::vector<float> floats(const std::string& tensor) const;
  std::vector<int32_t> ints(const std::string& tensor) const;  // I64 narrowed to I32

 private:
  const StTensorInfo& info(const std::string& tensor) const;
  SafetensorsFile file_;
};

// Largest |got - want| over n values, and where.
struct Mismatch {
  double max_abs = 0;
  double want_at_max = 0;
  size_t index = 0;
};
Mismatch compare(const float* got, const float* want, size_t n);

// The fp32 tolerance for comparing a whole tensor with PyTorch's: `ulps` units in the last place
// at the tensor's largest magnitude, i.e. ulps * 2^-23 * max|want| (docs/numerics.md, "Model").
double fp32_tolerance(const std::vector<float>& want, double ulps);

}  // namespace finetune::testing
