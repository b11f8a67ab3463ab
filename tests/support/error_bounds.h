// Error bounds for model-level results (docs/numerics.md, "Model against PyTorch").
//
// tools/make_error_bounds.py writes, beside each fp32 reference, `<name>.bounds.safetensors`:
// for every compared tensor its exact value (`<tensor>.f64`, the computation in float64) and
// `<tensor>.sigma`, the per-element spread that fp32 rounding can cause, propagated through the
// whole computation by Monte Carlo arithmetic under a rounding model that holds for any
// summation order. A correct fp32 implementation on any CPU or BLAS lands within
// kLambda * sigma of the exact value; the bound does not depend on which machine made it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace finetune::testing {

// The multiple of sigma a result may be off by (docs/numerics.md derives it; the Python tool
// records the value it used, and ErrorBounds checks that the two agree).
constexpr double kLambda = 8.0;

// The worst element of one comparison: ratio = |got - exact| / (kLambda * sigma) (<= 1 passes).
struct BoundCheck {
  double ratio = 0;
  size_t index = 0;
  double got = 0, exact = 0, bound = 0;
  bool passed() const { return ratio <= 1.0; }
  std::string describe(const std::string& tensor) const;  // for a failure message
};

// Every tensor of a safetensors file against the bounds of `<prefix><tensor name>`.
struct FileCheck {
  int tensors = 0;
  double worst_ratio = 0;
  std::vector<std::string> failures;  // BoundCheck::describe of each tensor out of bounds
};

class ErrorBounds {
 public:
  explicit ErrorBounds(const std::string& reference);  // tests/fixtures/reference/<name>.bounds.*

  bool has(const std::string& tensor) const;
  std::vector<double> exact(const std::string& tensor) const;
  std::vector<float> sigma(const std::string& tensor) const;

  // Compares n fp32 results (or any values, given as double) with `tensor`'s exact value.
  BoundCheck check(const std::string& tensor, const float* got, size_t n) const;
  BoundCheck check(const std::string& tensor, const double* got, size_t n) const;
  // Elements [offset, offset + n) of the tensor, e.g. one row of a batch.
  BoundCheck check_range(const std::string& tensor, size_t offset, const float* got,
                         size_t n) const;
  // E.g. a trained model.safetensors against the "final." tensors of a trajectory's bounds. A
  // tensor whose bounds hold only a sample of its rows (`<name>.rows` with `<name>.row_ids`) is
  // compared in those rows.
  FileCheck check_file(const std::string& prefix, const std::filesystem::path& safetensors) const;
  // The compared tensors whose names start with `prefix` (e.g. "grad."), without ".f64".
  std::vector<std::string> names(const std::string& prefix) const;

 private:
  SafetensorsFile file_;
};

}  // namespace finetune::testing
