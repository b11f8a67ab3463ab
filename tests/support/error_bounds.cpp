// Loading <reference>.bounds.safetensors and checking results against it (error_bounds.h).
#include "error_bounds.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "io/json.h"
#include "test_paths.h"

namespace finetune::testing {

namespace {

std::filesystem::path bounds_path(const std::string& reference, const char* extension) {
  return fixtures_dir() / "reference" / (reference + ".bounds" + extension);
}

}  // namespace

std::string BoundCheck::describe(const std::string& tensor) const {
  std::ostringstream s;
  s.precision(9);
  s << tensor << "[" << index << "]: got " << got << ", exact " << exact << ", |diff| "
    << std::fabs(got - exact) << " > bound " << bound << " (" << ratio << " of it)";
  return s.str();
}

ErrorBounds::ErrorBounds(const std::string& reference)
    : file_(bounds_path(reference, ".safetensors")) {
  // The tool and the tests must mean the same multiple of sigma.
  Json info = parse_json_file(bounds_path(reference, ".json"));
  if (info.at("lambda").get<double>() != kLambda) {
    throw Error(bounds_path(reference, ".json").string() + ": lambda " + info.at("lambda").dump() +
                " differs from the tests' kLambda");
  }
}

bool ErrorBounds::has(const std::string& tensor) const {
  return file_.find(tensor + ".f64") != nullptr;
}

std::vector<double> ErrorBounds::exact(const std::string& tensor) const {
  const StTensorInfo* info = file_.find(tensor + ".f64");
  if (info == nullptr || info->dtype != StDType::F64)
    throw Error("bounds have no F64 tensor " + tensor + ".f64");
  std::vector<double> out(static_cast<size_t>(info->numel()));
  std::memcpy(out.data(), file_.bytes(*info), out.size() * sizeof(double));
  return out;
}

std::vector<float> ErrorBounds::sigma(const std::string& tensor) const {
  const StTensorInfo* info = file_.find(tensor + ".sigma");
  if (info == nullptr) throw Error("bounds have no tensor " + tensor + ".sigma");
  std::vector<float> out(static_cast<size_t>(info->numel()));
  file_.read_as_f32(*info, out.data(), info->numel());
  return out;
}

namespace {

template <typename T>
BoundCheck check_values(const std::vector<double>& exact, const std::vector<float>& sigma,
                        size_t offset, const T* got, size_t n) {
  if (offset + n > exact.size()) throw Error("bounds: comparing more values than the tensor holds");
  BoundCheck worst;
  for (size_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i]), e = exact[offset + i];
    const double bound = kLambda * sigma[offset + i];
    const double diff = std::fabs(g - e);
    // A zero bound means the value is computed exactly (no rounding reaches it): equality only.
    double ratio = diff == 0 ? 0 : (bound > 0 ? diff / bound : INFINITY);
    if (std::isnan(g)) ratio = INFINITY;
    if (i == 0 || ratio > worst.ratio) {
      worst.ratio = ratio;
      worst.index = offset + i;
      worst.got = g;
      worst.exact = e;
      worst.bound = bound;
    }
  }
  return worst;
}

}  // namespace

// The whole tensor: `got` must hold exactly as many values.
template <typename T>
BoundCheck check_whole(const ErrorBounds& bounds, const std::string& tensor, const T* got,
                       size_t n) {
  std::vector<double> e = bounds.exact(tensor);
  if (n != e.size()) {
    throw Error("bounds: " + tensor + " has " + std::to_string(e.size()) + " values, got " +
                std::to_string(n));
  }
  return check_values(e, bounds.sigma(tensor), 0, got, n);
}

BoundCheck ErrorBounds::check(const std::string& tensor, const float* got, size_t n) const {
  return check_whole(*this, tensor, got, n);
}

BoundCheck ErrorBounds::check(const std::string& tensor, const double* got, size_t n) const {
  return check_whole(*this, tensor, got, n);
}

BoundCheck ErrorBounds::check_range(const std::string& tensor, size_t offset, const float* got,
                                    size_t n) const {
  return check_values(exact(tensor), sigma(tensor), offset, got, n);
}

FileCheck ErrorBounds::check_file(const std::string& prefix,
                                  const std::filesystem::path& safetensors) const {
  FileCheck result;
  SafetensorsFile file(safetensors);
  for (const auto& info : file.tensors()) {
    std::vector<float> values(static_cast<size_t>(info.numel()));
    file.read_as_f32(info, values.data(), info.numel());
    const std::string name = prefix + info.name;
    BoundCheck c;
    if (!has(name) && has(name + ".rows")) {
      // A large table stored as a sample of its rows (make_family_fixtures.py's
      // trajectory_bounds): `.row_ids` lists them, `.rows` holds their bounds, row after row.
      std::vector<double> row_ids = exact(name + ".row_ids");
      const size_t width = info.shape.size() == 2 ? static_cast<size_t>(info.shape[1]) : 0;
      const size_t rows = info.shape.empty() ? 0 : static_cast<size_t>(info.shape[0]);
      std::vector<float> sample;
      for (double id : row_ids) {
        const size_t row = static_cast<size_t>(id);
        if (width == 0 || id < 0 || row >= rows)
          throw Error("bounds: " + name + ".row_ids names a row not in the file");
        sample.insert(sample.end(), values.begin() + row * width,
                      values.begin() + (row + 1) * width);
      }
      c = check(name + ".rows", sample.data(), sample.size());
      if (!c.passed()) {
        c.index = static_cast<size_t>(row_ids[c.index / width]) * width + c.index % width;
      }
    } else {
      c = check(name, values.data(), values.size());
    }
    if (!c.passed()) result.failures.push_back(c.describe(name));
    result.worst_ratio = std::max(result.worst_ratio, c.ratio);
    ++result.tensors;
  }
  return result;
}

std::vector<std::string> ErrorBounds::names(const std::string& prefix) const {
  std::vector<std::string> out;
  const std::string suffix = ".f64";
  for (const auto& info : file_.tensors()) {
    const std::string& n = info.name;
    if (n.compare(0, prefix.size(), prefix) == 0 && n.size() > suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(n.substr(0, n.size() - suffix.size()));
    }
  }
  return out;
}

}  // namespace finetune::testing
