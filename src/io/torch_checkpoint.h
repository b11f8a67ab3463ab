// PyTorch checkpoints (`pytorch_model.bin`) read without running Python and without executing
// anything the file asks for.
//
// `torch.save` (PyTorch >= 1.6) writes a zip archive: `<name>/data.pkl` is a pickle of the state
// dict in which every tensor is a call `torch._utils._rebuild_tensor_v2(storage, offset, size,
// stride, requires_grad, hooks)` and every storage a persistent id ('storage', torch.FloatStorage,
// key, location, numel) naming the entry `<name>/data/<key>` that holds its raw little-endian
// bytes. Python's pickle would import and call whatever globals the file names, which is how a
// malicious checkpoint runs code. The unpickler here is an interpreter of a fixed set of opcodes
// that builds plain values and calls nothing: the only globals it accepts are the tensor and
// parameter rebuild functions, the typed-storage classes and collections.OrderedDict, each only
// in the place torch.save puts it. Anything else (os.system, builtins.eval, INST/OBJ/NEWOBJ,
// extension codes, unknown persistent ids) is refused with an Error that names the global or
// opcode and its byte offset. Storage entries are checked against what the pickle declares
// (dtype, element count, each view's extent) and CRC-32-verified before use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/tensor_source.h"
#include "io/zip_archive.h"

namespace finetune {

// One tensor as data.pkl describes it: a strided view of a typed storage.
struct TorchTensorRecord {
  std::string storage_key;  // the `data/<key>` entry
  StDType dtype = StDType::F32;
  int64_t storage_numel = 0;  // elements in the storage
  int64_t offset = 0;         // in elements
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;  // in elements
};

// Interprets a torch.save pickle whose result is a dict of name -> tensor (a state dict, plain or
// OrderedDict). `origin` names the file in errors. Throws Error for anything outside that shape.
std::vector<std::pair<std::string, TorchTensorRecord>> unpickle_state_dict(
    std::string_view pickle, const std::string& origin);

class TorchCheckpoint : public TensorSource {
 public:
  explicit TorchCheckpoint(const std::filesystem::path& path);

  const std::filesystem::path& path() const override { return archive_.path(); }
  const std::vector<SourceTensor>& tensors() const override { return tensors_; }
  void read_as_f32(const SourceTensor& tensor, float* out, int64_t count) const override;
  const TorchTensorRecord& record(const SourceTensor& tensor) const {
    return records_[tensor.handle];
  }

 private:
  ZipArchive archive_;
  std::string prefix_;  // "<name>/" of the archive's entries
  std::vector<TorchTensorRecord> records_;
  std::vector<SourceTensor> tensors_;
  std::map<std::string, const ZipEntry*> storages_;
};

}  // namespace finetune
