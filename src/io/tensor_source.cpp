// The two checkpoint kinds behind TensorSource: safetensors (an adapter over SafetensorsFile)
// and PyTorch zip archives (TorchCheckpoint), chosen by content and extension.
#include "io/tensor_source.h"

#include "core/error.h"
#include "io/torch_checkpoint.h"
#include "io/zip_archive.h"

namespace finetune {
namespace {

class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(const std::filesystem::path& path) : file_(path) {
    for (size_t i = 0; i < file_.tensors().size(); ++i) {
      const StTensorInfo& info = file_.tensors()[i];
      tensors_.push_back(SourceTensor{info.name, info.dtype, info.shape, i});
    }
  }
  const std::filesystem::path& path() const override { return file_.path(); }
  const std::vector<SourceTensor>& tensors() const override { return tensors_; }
  void read_as_f32(const SourceTensor& tensor, float* out, int64_t count) const override {
    file_.read_as_f32(file_.tensors()[tensor.handle], out, count);
  }

 private:
  SafetensorsFile file_;
  std::vector<SourceTensor> tensors_;
};

}  // namespace

int64_t SourceTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string SourceTensor::shape_str() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::unique_ptr<TensorSource> open_tensor_source(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".safetensors") return std::make_unique<SafetensorsSource>(path);
  if (extension == ".bin" || extension == ".pt" || extension == ".pth") {
    if (!looks_like_zip(path)) {
      throw Error(
          cat(path.string(),
              ": not a zip-format PyTorch checkpoint (torch.save before PyTorch 1.6 "
              "wrote a bare pickle, which finetune does not read; re-save it with a current torch, "
              "or convert it to safetensors)"));
    }
    return std::make_unique<TorchCheckpoint>(path);
  }
  throw Error(cat(path.string(), ": unknown checkpoint format '", extension,
                  "' (expected .safetensors or a PyTorch .bin)"));
}

}  // namespace finetune
