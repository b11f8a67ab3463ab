// safetensors reader (mmap + full validation) and atomic writer.
#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/half.h"
#include "io/json.h"

namespace finetune {
namespace {

// The reference implementation refuses headers above 100 MB; a larger one is not a checkpoint.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

struct DTypeName {
  const char* name;
  StDType dtype;
  size_t size;
};
constexpr DTypeName kDTypes[] = {
    {"F64", StDType::F64, 8}, {"F32", StDType::F32, 4}, {"F16", StDType::F16, 2},
    {"BF16", StDType::BF16, 2}, {"I64", StDType::I64, 8}, {"I32", StDType::I32, 4},
    {"I16", StDType::I16, 2}, {"I8", StDType::I8, 1},   {"U8", StDType::U8, 1},
    {"BOOL", StDType::BOOL, 1},
};

std::string supported_dtype_list() {
  std::string list;
  for (const auto& d : kDTypes) list += (list.empty() ? "" : ", ") + std::string(d.name);
  return list;
}

uint64_t read_le_u64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

}  // namespace

const char* st_dtype_name(StDType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.name;
  FT_CHECK(false, "unknown safetensors dtype");
}

size_t st_dtype_size(StDType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.size;
  FT_CHECK(false, "unknown safetensors dtype");
}

int64_t StTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string StTensorInfo::shape_str() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(std::make_unique<MappedFile>(path)) {
  const std::string where = path.string();
  const uint8_t* base = file_->data();
  const size_t size = file_->size();
  if (size < 8) {
    throw Error(cat(where, ": not a safetensors file: ", size, " bytes, too short for the 8-byte header length"));
  }
  uint64_t header_bytes = read_le_u64(base);
  if (header_bytes > kMaxHeaderBytes || header_bytes > size - 8) {
    throw Error(cat(where, ": corrupt safetensors header: declares ", header_bytes,
                    " header bytes but the file has ", size - 8, " after the length field",
                    " (truncated file or not a safetensors file)"));
  }
  if (header_bytes == 0 || base[8] != '{') {
    throw Error(cat(where, ": corrupt safetensors header: it must be a JSON object starting with '{'"));
  }
  std::string header_text(reinterpret_cast<const char*>(base + 8), header_bytes);
  Json header = parse_json_text(header_text, where + " (safetensors header)");
  if (!header.is_object()) throw Error(cat(where, ": corrupt safetensors header: not a JSON object"));

  data_ = base + 8 + header_bytes;
  data_size_ = size - 8 - header_bytes;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const Json& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw Error(cat(where, ": __metadata__ must be an object of strings"));
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        if (!m.value().is_string()) {
          throw Error(cat(where, ": __metadata__ key '", m.key(), "' must be a string, got ",
                          json_type_phrase(m.value())));
        }
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string tensor_where = cat(where, ": tensor '", name, "'");
    if (name.empty()) throw Error(cat(where, ": a tensor has an empty name"));
    if (!entry.is_object()) throw Error(cat(tensor_where, ": entry must be an object"));

    StTensorInfo info;
    info.name = name;
    auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end() || !dtype_it->is_string()) {
      throw Error(cat(tensor_where, ": missing \"dtype\" string"));
    }
    std::string dtype_name = dtype_it->get<std::string>();
    const DTypeName* dtype = nullptr;
    for (const auto& d : kDTypes)
      if (dtype_name == d.name) dtype = &d;
    if (dtype == nullptr) {
      throw Error(cat(tensor_where, ": unsupported dtype '", dtype_name, "' (supported: ",
                      supported_dtype_list(), ")"));
    }
    info.dtype = dtype->dtype;

    auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array()) {
      throw Error(cat(tensor_where, ": missing \"shape\" array"));
    }
    // Multiply with an overflow check: a hostile header can declare absurd dimensions.
    uint64_t elements = 1;
    for (const Json& d : *shape_it) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0)) {
        throw Error(cat(tensor_where, ": shape entries must be non-negative integers, got ", d.dump()));
      }
      uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && elements > std::numeric_limits<uint64_t>::max() / dim / 8) {
        throw Error(cat(tensor_where, ": shape ", shape_it->dump(), " is too large"));
      }
      elements *= dim;
      info.shape.push_back(static_cast<int64_t>(dim));
    }

    auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
      throw Error(cat(tensor_where, ": \"data_offsets\" must be two non-negative integers"));
    }
    uint64_t begin = (*offsets_it)[0].get<uint64_t>();
    uint64_t end = (*offsets_it)[1].get<uint64_t>();
    if (begin > end || end > data_size_) {
      throw Error(cat(tensor_where, ": data_offsets [", begin, ", ", end,
                      "] lie outside the data buffer of ", data_size_, " bytes (truncated file?)"));
    }
    uint64_t expected_bytes = elements * dtype->size;
    if (end - begin != expected_bytes) {
      throw Error(cat(tensor_where, ": ", dtype_name, " ", info.shape_str(), " needs ",
                      expected_bytes, " bytes but data_offsets span ", end - begin));
    }
    info.begin = static_cast<size_t>(begin);
    info.end = static_cast<size_t>(end);
    index_[name] = tensors_.size();
    tensors_.push_back(std::move(info));
  }

  // No two tensors may share bytes (a crafted file could alias a tensor onto another).
  std::vector<const StTensorInfo*> by_offset;
  for (const auto& t : tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const StTensorInfo* a, const StTensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const StTensorInfo* prev = by_offset[i - 1];
    const StTensorInfo* cur = by_offset[i];
    if (cur->begin < prev->end && cur->begin != cur->end && prev->begin != prev->end) {
      throw Error(cat(where, ": tensors '", prev->name, "' and '", cur->name,
                      "' overlap in the data buffer"));
    }
  }
}

const StTensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

void SafetensorsFile::read_as_f32(const StTensorInfo& info, float* out, int64_t count) const {
  FT_CHECK(count == info.numel(), "reading ", info.name, ": ", count, " vs ", info.numel());
  const uint8_t* src = bytes(info);
  switch (info.dtype) {
    case StDType::F32:
      std::memcpy(out, src, static_cast<size_t>(count) * 4);
      return;
    case StDType::F16:
      for (int64_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        out[i] = f16_to_float(bits);
      }
      return;
    case StDType::BF16:
      for (int64_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        out[i] = bf16_to_float(bits);
      }
      return;
    case StDType::F64:
      for (int64_t i = 0; i < count; ++i) {
        double value;
        std::memcpy(&value, src + 8 * i, 8);
        out[i] = static_cast<float>(value);
      }
      return;
    default:
      throw Error(cat(path().string(), ": tensor '", info.name, "' has dtype ",
                      st_dtype_name(info.dtype), "; a floating-point type (F32, F16, BF16) is needed"));
  }
}

void write_safetensors(const std::filesystem::path& path, const std::vector<StTensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& t : tensors) {
    FT_CHECK(!header.contains(t.name), "duplicate tensor name ", t.name);
    size_t bytes = st_dtype_size(t.dtype);
    for (int64_t d : t.shape) bytes *= static_cast<size_t>(d);
    header[t.name] = {{"dtype", st_dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  AtomicFileWriter writer(path);
  uint8_t length[8];
  uint64_t n = header_text.size();
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(n >> (8 * i));
  writer.write(length, 8);
  writer.write(header_text);
  for (const auto& t : tensors) {
    size_t bytes = st_dtype_size(t.dtype);
    for (int64_t d : t.shape) bytes *= static_cast<size_t>(d);
    writer.write(t.data, bytes);
  }
  writer.commit();
}

}  // namespace finetune
