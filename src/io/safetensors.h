// safetensors: the checkpoint format of the Hugging Face hub (model.safetensors).
//
// Layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N
// bytes of JSON mapping tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the byte buffer that follows the header) plus an optional "__metadata__" map of
// strings, then the byte buffer. The reader maps the file and validates everything before any
// tensor is touched: header length within the file, valid JSON, known dtypes, shapes whose byte
// size equals end - begin, offsets inside the buffer, no two tensors overlapping. A file that
// passes can be read without further checks; one that fails is refused with the file name, the
// tensor name and the reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/file.h"

namespace finetune {

// Element types a safetensors file may declare. Only F32/F16/BF16 become parameters; the others
// appear as buffers in real checkpoints (e.g. BERT's I64 `embeddings.position_ids`).
enum class StDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* st_dtype_name(StDType dtype);
size_t st_dtype_size(StDType dtype);

struct StTensorInfo {
  std::string name;
  StDType dtype;
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte offsets within the data buffer
  size_t end = 0;

  int64_t numel() const;
  std::string shape_str() const;  // "[30, 36]"
};

class SafetensorsFile {
 public:
  // Maps and validates the file; throws Error naming the file and the problem.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_->path(); }
  const std::vector<StTensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const StTensorInfo* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The raw bytes of a tensor (little-endian, as stored).
  const uint8_t* bytes(const StTensorInfo& info) const { return data_ + info.begin; }

  // Copies a floating-point tensor into `out` as fp32 (widening F16/BF16; F64 is narrowed).
  // `count` must equal info.numel(); integer tensors are refused with an Error.
  void read_as_f32(const StTensorInfo& info, float* out, int64_t count) const;

 private:
  std::unique_ptr<MappedFile> file_;
  const uint8_t* data_ = nullptr;  // start of the byte buffer
  size_t data_size_ = 0;
  std::vector<StTensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// One tensor to write: name, element type, shape and its bytes (already in that dtype).
struct StTensorToWrite {
  std::string name;
  StDType dtype;
  std::vector<int64_t> shape;
  const void* data;
};

// Writes a safetensors file atomically (temporary file + rename). Tensors are stored in the order
// given; the header is padded with spaces to a multiple of 8 bytes so tensor data is aligned, as
// the reference implementation does. `metadata` should contain {"format": "pt"}, which
// `transformers` requires to load the file.
void write_safetensors(const std::filesystem::path& path, const std::vector<StTensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace finetune
