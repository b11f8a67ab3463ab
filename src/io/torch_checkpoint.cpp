// PyTorch zip checkpoints: locating data.pkl and the storages, validating every tensor view
// against its storage, and reading tensors as fp32.
#include "io/torch_checkpoint.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/half.h"

namespace finetune {
namespace {

// Elements read from a storage at `index` (element units), widened or narrowed to float.
float element_as_float(const uint8_t* base, StDType dtype, int64_t index) {
  switch (dtype) {
    case StDType::F32: {
      float v;
      std::memcpy(&v, base + 4 * index, 4);
      return v;
    }
    case StDType::F16: {
      uint16_t bits;
      std::memcpy(&bits, base + 2 * index, 2);
      return f16_to_float(bits);
    }
    case StDType::BF16: {
      uint16_t bits;
      std::memcpy(&bits, base + 2 * index, 2);
      return bf16_to_float(bits);
    }
    case StDType::F64: {
      double v;
      std::memcpy(&v, base + 8 * index, 8);
      return static_cast<float>(v);
    }
    default:
      FT_CHECK(false, "not a floating-point dtype");
  }
}

}  // namespace

TorchCheckpoint::TorchCheckpoint(const std::filesystem::path& path) : archive_(path) {
  const std::string where = path.string();
  // Every entry lives under one top-level folder named after the file torch.save wrote
  // ("archive/", "pytorch_model/"); data.pkl sits directly in it.
  const ZipEntry* pickle = nullptr;
  for (const ZipEntry& entry : archive_.entries()) {
    const size_t slash = entry.name.find('/');
    if (slash != std::string::npos && entry.name.substr(slash + 1) == "data.pkl") {
      if (pickle != nullptr) throw Error(cat(where, ": the archive holds more than one data.pkl"));
      pickle = &entry;
      prefix_ = entry.name.substr(0, slash + 1);
    }
  }
  if (pickle == nullptr) {
    throw Error(cat(where, ": a zip archive without <name>/data.pkl: not a PyTorch checkpoint"));
  }
  if (const ZipEntry* order = archive_.find(prefix_ + "byteorder")) {
    std::string_view text = archive_.read(*order);
    if (text != "little") {
      throw Error(cat(where, ": tensors are stored ", text,
                      "-endian; only little-endian checkpoints are read"));
    }
  }

  auto records = unpickle_state_dict(archive_.read(*pickle), where);

  // Storages: each key maps to one `data/<key>` entry, one dtype, and at least numel elements.
  std::map<std::string, std::pair<StDType, int64_t>> declared;
  for (const auto& [name, record] : records) {
    const std::string tensor_where = cat(where, ": tensor '", name, "'");
    auto [it, inserted] =
        declared.emplace(record.storage_key, std::make_pair(record.dtype, record.storage_numel));
    if (!inserted &&
        (it->second.first != record.dtype || it->second.second != record.storage_numel)) {
      throw Error(cat(tensor_where, ": storage ", record.storage_key,
                      " is declared with two different types or sizes"));
    }
    if (!storages_.count(record.storage_key)) {
      const ZipEntry* entry = archive_.find(prefix_ + "data/" + record.storage_key);
      if (entry == nullptr) {
        throw Error(cat(tensor_where, ": its storage data/", record.storage_key,
                        " is missing from the archive"));
      }
      const uint64_t elem = st_dtype_size(record.dtype);
      if (static_cast<uint64_t>(record.storage_numel) > entry->size / elem) {
        throw Error(cat(tensor_where, ": storage data/", record.storage_key, " has ", entry->size,
                        " bytes but the pickle declares ", record.storage_numel, " ",
                        st_dtype_name(record.dtype), " elements"));
      }
      storages_[record.storage_key] = entry;
    }
    // The view: non-negative sizes and strides, a product that fits in int64, and every element
    // inside the storage (offset + sum((size_i - 1) * stride_i) < numel when nothing is empty).
    int64_t numel = 1;
    int64_t last = record.offset;
    if (record.offset < 0) throw Error(cat(tensor_where, ": negative storage offset"));
    for (size_t d = 0; d < record.shape.size(); ++d) {
      const int64_t size = record.shape[d], stride = record.stride[d];
      if (size < 0 || stride < 0) throw Error(cat(tensor_where, ": negative size or stride"));
      if (size != 0 && numel > std::numeric_limits<int64_t>::max() / size) {
        throw Error(cat(tensor_where, ": its size overflows"));
      }
      numel *= size;
      if (size > 1 && stride > 0) {
        if (stride > (std::numeric_limits<int64_t>::max() - last) / (size - 1)) {
          throw Error(cat(tensor_where, ": its extent overflows"));
        }
        last += (size - 1) * stride;
      }
    }
    if (numel > 0 && last >= record.storage_numel) {
      throw Error(cat(tensor_where, ": the view (offset ", record.offset, ") reaches element ",
                      last, " of a storage of ", record.storage_numel));
    }
  }

  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0 && records[i].first == records[i - 1].first) {
      throw Error(cat(where, ": tensor '", records[i].first, "' appears twice"));
    }
    SourceTensor tensor;
    tensor.name = records[i].first;
    tensor.dtype = records[i].second.dtype;
    tensor.shape = records[i].second.shape;
    tensor.handle = i;
    tensors_.push_back(std::move(tensor));
    records_.push_back(std::move(records[i].second));
  }
}

void TorchCheckpoint::read_as_f32(const SourceTensor& tensor, float* out, int64_t count) const {
  FT_CHECK(count == tensor.numel(), "reading ", tensor.name, ": ", count, " vs ", tensor.numel());
  const TorchTensorRecord& r = records_[tensor.handle];
  if (r.dtype != StDType::F32 && r.dtype != StDType::F16 && r.dtype != StDType::BF16 &&
      r.dtype != StDType::F64) {
    throw Error(cat(path().string(), ": tensor '", tensor.name, "' has dtype ",
                    st_dtype_name(r.dtype), "; a floating-point type (F32, F16, BF16) is needed"));
  }
  if (count == 0) return;
  const uint8_t* base =
      reinterpret_cast<const uint8_t*>(archive_.read(*storages_.at(r.storage_key)).data());
  // Row-major walk over the view: an index vector advanced like an odometer, the storage
  // position updated by the strides. Contiguous views (the usual case) take the memcpy path.
  const size_t nd = r.shape.size();
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = nd; d-- > 0;) {
    if (r.shape[d] != 1 && r.stride[d] != expected) contiguous = false;
    expected *= r.shape[d];
  }
  if (contiguous && r.dtype == StDType::F32) {
    std::memcpy(out, base + 4 * r.offset, static_cast<size_t>(count) * 4);
    return;
  }
  if (contiguous) {
    for (int64_t i = 0; i < count; ++i) out[i] = element_as_float(base, r.dtype, r.offset + i);
    return;
  }
  std::vector<int64_t> index(nd, 0);
  int64_t at = r.offset;
  for (int64_t i = 0; i < count; ++i) {
    out[i] = element_as_float(base, r.dtype, at);
    for (size_t d = nd; d-- > 0;) {
      if (++index[d] < r.shape[d]) {
        at += r.stride[d];
        break;
      }
      at -= (r.shape[d] - 1) * r.stride[d];
      index[d] = 0;
    }
  }
}

}  // namespace finetune
