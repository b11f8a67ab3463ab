// Tensor: a non-owning, typed, shaped view of memory on one device.
//
// Memory is planned once (DESIGN.md principle 3): flat parameter and gradient buffers and an
// activation arena own the bytes; every Tensor in the program is a view into one of them. A
// Tensor is therefore cheap to copy and never frees anything. Shapes are row-major with at most
// four dimensions, which covers every tensor of an encoder ([B,NH,T,T] is the largest).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "core/error.h"

namespace finetune {

enum class DType : uint8_t { F32, F16, BF16, I32, I64 };
enum class Device : uint8_t { CPU, CUDA };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);    // safetensors spelling: "F32", "BF16", ...
const char* device_name(Device device);  // "cpu", "cuda"

struct Tensor {
  static constexpr int kMaxDims = 4;

  void* data = nullptr;
  DType dtype = DType::F32;
  Device device = Device::CPU;
  int ndim = 0;
  std::array<int64_t, kMaxDims> shape{};

  Tensor() = default;
  Tensor(void* data, DType dtype, std::initializer_list<int64_t> dims, Device device = Device::CPU);

  int64_t dim(int i) const;  // negative i counts from the end, as in Python
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  bool empty() const { return data == nullptr; }
  std::string shape_str() const;  // "[8, 22, 768]"
  bool same_shape(const Tensor& other) const;

  // Typed access; the dtype is checked so a view can never be read as the wrong type.
  float* f32() const;
  int32_t* i32() const;
  uint16_t* bf16() const;
};

}  // namespace finetune
