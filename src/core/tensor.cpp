// Tensor bookkeeping: sizes, names and checked typed access.
#include "core/tensor.h"

namespace finetune {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I32: return 4;
    case DType::I64: return 8;
  }
  FT_CHECK(false, "unknown dtype");
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
  }
  FT_CHECK(false, "unknown dtype");
}

const char* device_name(Device device) { return device == Device::CPU ? "cpu" : "cuda"; }

Tensor::Tensor(void* data_, DType dtype_, std::initializer_list<int64_t> dims, Device device_)
    : data(data_), dtype(dtype_), device(device_), ndim(static_cast<int>(dims.size())) {
  FT_CHECK(dims.size() <= kMaxDims, "a tensor has at most ", kMaxDims, " dimensions");
  int i = 0;
  for (int64_t d : dims) {
    FT_CHECK(d >= 0, "negative dimension");
    shape[i++] = d;
  }
}

int64_t Tensor::dim(int i) const {
  int index = i < 0 ? ndim + i : i;
  FT_CHECK(index >= 0 && index < ndim, "dimension ", i, " of a ", ndim, "-d tensor");
  return shape[index];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= shape[i];
  return n;
}

std::string Tensor::shape_str() const {
  std::string s = "[";
  for (int i = 0; i < ndim; ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool Tensor::same_shape(const Tensor& other) const {
  if (ndim != other.ndim) return false;
  for (int i = 0; i < ndim; ++i)
    if (shape[i] != other.shape[i]) return false;
  return true;
}

float* Tensor::f32() const {
  FT_CHECK(dtype == DType::F32, "tensor is ", dtype_name(dtype), ", not F32");
  return static_cast<float*>(data);
}

int32_t* Tensor::i32() const {
  FT_CHECK(dtype == DType::I32, "tensor is ", dtype_name(dtype), ", not I32");
  return static_cast<int32_t*>(data);
}

uint16_t* Tensor::bf16() const {
  FT_CHECK(dtype == DType::BF16, "tensor is ", dtype_name(dtype), ", not BF16");
  return static_cast<uint16_t*>(data);
}

}  // namespace finetune
