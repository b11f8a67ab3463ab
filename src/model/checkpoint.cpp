// Key matching, dtype widening, fresh-head initialisation and saving.
#include "model/checkpoint.h"

#include <map>
#include <memory>
#include <set>

#include "core/log.h"
#include "core/rng.h"
#include "io/safetensors.h"
#include "io/tensor_source.h"
#include "model/family.h"

namespace finetune {
namespace {

// All tensors of a (possibly sharded) checkpoint, by name: safetensors files or PyTorch .bin
// archives (io/tensor_source.h), validated when opened.
class TensorIndex {
 public:
  explicit TensorIndex(const std::vector<std::filesystem::path>& files) {
    for (const auto& path : files) {
      files_.push_back(open_tensor_source(path));
      const TensorSource& file = *files_.back();
      for (const SourceTensor& info : file.tensors()) {
        auto [it, inserted] = entries_.emplace(info.name, Entry{&file, &info});
        if (!inserted) {
          throw Error(cat("tensor '", info.name, "' appears in both ",
                          it->second.file->path().string(), " and ", path.string()));
        }
      }
    }
  }

  struct Entry {
    const TensorSource* file;
    const SourceTensor* info;
  };

  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::vector<std::unique_ptr<TensorSource>> files_;
  std::map<std::string, Entry> entries_;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Names under which a parameter may be stored, best first.
std::vector<std::string> candidate_names(const std::string& key, const FamilySpec& family) {
  std::vector<std::string> names{key};
  if (starts_with(key, family.base_prefix)) names.push_back(key.substr(family.base_prefix.size()));
  // Checkpoints from before transformers renamed LayerNorm parameters call them gamma/beta.
  std::vector<std::string> legacy;
  for (const auto& n : names) {
    if (ends_with(n, "LayerNorm.weight") || ends_with(n, "layer_norm.weight")) {
      legacy.push_back(n.substr(0, n.size() - 6) + "gamma");
    } else if (ends_with(n, "LayerNorm.bias") || ends_with(n, "layer_norm.bias")) {
      legacy.push_back(n.substr(0, n.size() - 4) + "beta");
    }
  }
  names.insert(names.end(), legacy.begin(), legacy.end());
  return names;
}

std::string join_limited(const std::vector<std::string>& names, size_t limit) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < limit; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > limit) text += cat(" and ", names.size() - limit, " more");
  return text;
}

std::vector<int64_t> shape_of(const Tensor& t) {
  return std::vector<int64_t>(t.shape.begin(), t.shape.begin() + t.ndim);
}

// A stable 64-bit stream id per key (FNV-1a), so each fresh tensor gets its own random stream.
uint64_t stream_for(const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : key) h = (h ^ ch) * 1099511628211ull;
  return h;
}

}  // namespace

void init_fresh_parameter(const std::string& key, Tensor& param, double initializer_range,
                          uint64_t seed) {
  float* data = param.f32();
  const int64_t n = param.numel();
  if (param.ndim == 1) {  // biases
    for (int64_t i = 0; i < n; ++i) data[i] = 0.0f;
    return;
  }
  const uint64_t stream = stream_for(key);
  for (int64_t i = 0; i < n; ++i) {
    data[i] =
        static_cast<float>(initializer_range) * normal_at(seed, stream, static_cast<uint64_t>(i));
  }
}

LoadReport load_weights(const std::vector<std::filesystem::path>& files, const ModelConfig& config,
                        ModelParams& params, uint64_t seed) {
  FT_CHECK(!files.empty(), "no checkpoint files");
  const std::string where = files.size() == 1 ? files[0].string() : files[0].parent_path().string();
  TensorIndex index(files);
  const FamilySpec& family = family_spec(config.family);
  std::set<std::string> used;
  std::vector<std::string> missing_encoder;
  std::vector<std::pair<std::string, Tensor*>> missing_head;

  for_each_parameter(
      config, params, nullptr,
      [&](const std::string& key, Tensor& param, Tensor*, ParamGroup group) {
        const TensorIndex::Entry* entry = nullptr;
        std::string found_as;
        for (const auto& name : candidate_names(key, family)) {
          if ((entry = index.find(name)) != nullptr) {
            found_as = name;
            break;
          }
        }
        if (entry == nullptr) {
          if (group == ParamGroup::Head) {
            missing_head.emplace_back(key, &param);
          } else {
            missing_encoder.push_back(key);
          }
          return;
        }
        const SourceTensor& info = *entry->info;
        if (info.shape != shape_of(param)) {
          // The output projection's rows are the labels: a different count is the usual mismatch.
          const bool label_rows = group == ParamGroup::Head && param.dim(0) == config.K() &&
                                  !info.shape.empty() && info.shape[0] != param.dim(0);
          std::string hint = label_rows ? cat(" (config.json has ", config.K(), " labels)")
                                        : " (does config.json belong to this checkpoint?)";
          throw Error(cat(entry->file->path().string(), ": tensor '", found_as, "' has shape ",
                          info.shape_str(), " but the configuration implies ", param.shape_str(),
                          hint));
        }
        if (info.dtype != StDType::F32 && info.dtype != StDType::F16 &&
            info.dtype != StDType::BF16) {
          throw Error(cat(entry->file->path().string(), ": tensor '", found_as, "' has dtype ",
                          st_dtype_name(info.dtype), "; parameters must be F32, F16 or BF16"));
        }
        entry->file->read_as_f32(info, param.f32(), param.numel());
        used.insert(found_as);
      });

  if (!missing_encoder.empty()) {
    throw Error(cat(where, ": missing ", missing_encoder.size(), " tensor(s) that a ",
                    family_name(config.family),
                    " model with this config.json needs: ", join_limited(missing_encoder, 8)));
  }

  LoadReport report;
  for (auto& [key, param] : missing_head) {
    init_fresh_parameter(key, *param, config.initializer_range, seed);
    report.fresh.push_back(key);
  }
  for (const auto& [name, entry] : index.entries()) {
    if (used.count(name)) continue;
    bool buffer = false;
    for (const char* const* b = family.ignored_buffers; *b != nullptr; ++b) {
      buffer = buffer || name == *b || name == family.base_prefix + *b;
    }
    if (!buffer) report.ignored.push_back(name);
  }

  if (!report.fresh.empty()) {
    log_notice(cat("the checkpoint has no (complete) classification head; created ",
                   join_limited(report.fresh, 8), " fresh, initialised as transformers does: ",
                   "weights ~ normal(0, ", config.initializer_range, "), zero biases. ",
                   "Predictions mean nothing until the model is fine-tuned."));
  }
  if (!report.ignored.empty()) {
    log_notice(cat("ignored ", report.ignored.size(), " checkpoint tensor(s) that ",
                   classification_architecture(config.family),
                   " does not use: ", join_limited(report.ignored, 12)));
  }
  return report;
}

void save_weights(const std::filesystem::path& file, const ModelConfig& config,
                  ModelParams& params) {
  std::vector<StTensorToWrite> tensors;
  for_each_parameter(
      config, params, nullptr, [&](const std::string& key, Tensor& param, Tensor*, ParamGroup) {
        tensors.push_back(StTensorToWrite{key, StDType::F32, shape_of(param), param.data});
      });
  write_safetensors(file, tensors, {{"format", "pt"}});
}

}  // namespace finetune
