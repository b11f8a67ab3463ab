// Argument checks shared by the op wrappers: device placement, dtype and row counts. A failed
// check is a bug in the caller (shapes come from the model's own plan), so each is an FT_CHECK
// naming the op, the argument and both shapes.
#pragma once

#include "core/error.h"
#include "core/exec.h"
#include "core/tensor.h"

namespace finetune::ops::detail {

inline void check_device(const Exec& ex, const Tensor& t, const char* op) {
  FT_CHECK(t.empty() || t.device == ex.device, op, ": an argument is on ", device_name(t.device),
           " but the op runs on ", device_name(ex.device));
}

template <typename... Tensors>
void check_devices(const Exec& ex, const char* op, const Tensors&... tensors) {
  (check_device(ex, tensors, op), ...);
}

// Rows of a tensor whose last dimension is `width` (all leading dimensions flattened).
inline int64_t rows_of(const Tensor& t, int64_t width, const char* op, const char* name) {
  FT_CHECK(t.ndim >= 1 && t.dim(-1) == width, op, ": ", name, " ", t.shape_str(), " must end in ", width);
  return t.numel() / width;
}

inline float* f32_or_null(const Tensor& t) { return t.empty() ? nullptr : t.f32(); }
inline const int32_t* i32_or_null(const Tensor& t) { return t.empty() ? nullptr : t.i32(); }

}  // namespace finetune::ops::detail
