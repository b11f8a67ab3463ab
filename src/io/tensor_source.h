// Where a checkpoint's tensors come from: a safetensors file or a PyTorch `pytorch_model.bin`.
//
// Model loading (model/checkpoint.cpp) matches parameters against tensors by name, checks shape
// and dtype, and copies them into the fp32 parameter buffer; it does not care how the file is
// laid out. This interface is what it sees: the tensors of one file (name, dtype, shape), sorted
// by name, and a way to read one as fp32 (F16/BF16 widened, F64 narrowed). Both kinds validate
// the whole file when opened, so reading a listed tensor cannot run past the file, and every
// error names the file and the tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace finetune {

struct SourceTensor {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<int64_t> shape;
  size_t handle = 0;  // the source's own index of the tensor

  int64_t numel() const;
  std::string shape_str() const;  // "[30, 36]"
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual const std::filesystem::path& path() const = 0;
  // Sorted by name; names are unique within a source.
  virtual const std::vector<SourceTensor>& tensors() const = 0;
  // Copies a floating-point tensor into `out` as fp32; `count` must equal tensor.numel().
  // Integer tensors are refused with an Error naming the tensor.
  virtual void read_as_f32(const SourceTensor& tensor, float* out, int64_t count) const = 0;
};

// Opens a checkpoint file by its kind: `.safetensors`, or a PyTorch zip archive (`.bin`, `.pt`,
// `.pth`). Throws Error naming the file for anything else, including the pre-1.6 PyTorch format.
std::unique_ptr<TensorSource> open_tensor_source(const std::filesystem::path& path);

}  // namespace finetune
