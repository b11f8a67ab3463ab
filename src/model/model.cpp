// Model directories: locating weight files and loading config + weights.
#include "model/model.h"

#include <set>

#include "core/error.h"
#include "io/json.h"

namespace finetune {

namespace fs = std::filesystem;

namespace {

// The shard files of a sharded checkpoint's index ({"metadata": {...}, "weight_map": {"tensor
// name": "model-00001-of-00002.safetensors"}}), each a plain file name in the directory.
std::vector<fs::path> read_shard_index(const fs::path& directory, const fs::path& index_path) {
  Json index = parse_json_file(index_path);
  JsonView view(index, index_path.string());
  view.expect_object("a checkpoint shard index");
  JsonView map = view.at("weight_map");
  if (!map.is_object()) view.fail("weight_map", "expected an object of tensor name -> file");
  std::set<std::string> shards;
  for (auto it = map.raw().begin(); it != map.raw().end(); ++it) {
    if (!it.value().is_string()) view.fail("weight_map", cat("entry '", it.key(), "' is not a file name"));
    std::string shard = it.value().get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..") {
      view.fail("weight_map", cat("shard name '", shard, "' must be a plain file name"));
    }
    shards.insert(shard);
  }
  if (shards.empty()) view.fail("weight_map", "is empty");
  std::vector<fs::path> files;
  for (const auto& shard : shards) files.push_back(directory / shard);
  return files;
}

}  // namespace

std::vector<fs::path> find_weight_files(const fs::path& directory) {
  // The order transformers prefers: safetensors first, PyTorch's pickle-based format last.
  if (fs::exists(directory / "model.safetensors")) return {directory / "model.safetensors"};
  if (fs::exists(directory / "model.safetensors.index.json")) {
    return read_shard_index(directory, directory / "model.safetensors.index.json");
  }
  if (fs::exists(directory / "pytorch_model.bin")) return {directory / "pytorch_model.bin"};
  if (fs::exists(directory / "pytorch_model.bin.index.json")) {
    return read_shard_index(directory, directory / "pytorch_model.bin.index.json");
  }
  throw Error(cat(directory.string(), ": no model weights (looked for model.safetensors, "
                  "model.safetensors.index.json, pytorch_model.bin and pytorch_model.bin.index.json)"));
}

ModelConfig load_directory_config(const fs::path& directory) {
  if (!fs::is_directory(directory)) {
    throw Error(cat(directory.string(), ": not a directory (expected a Hugging Face model directory "
                    "with config.json and model.safetensors)"));
  }
  const fs::path config_path = directory / "config.json";
  if (!fs::exists(config_path)) {
    throw Error(cat(directory.string(), ": no config.json (is this a Hugging Face model directory?)"));
  }
  return load_model_config(config_path);
}

Model load_model(const fs::path& directory, uint64_t seed) {
  return load_model(directory, load_directory_config(directory), seed);
}

Model load_model(const fs::path& directory, ModelConfig config, uint64_t seed) {
  std::vector<fs::path> files = find_weight_files(directory);
  ParameterStore store(config);
  LoadReport report = load_weights(files, config, store.params(), seed);
  return Model{std::move(config), std::move(store), std::move(report)};
}

ParameterStore copy_parameters(const Exec& ex, Model& model) {
  ParameterStore copy(model.config, ex);
  ops::copy(ex, copy.flat(), model.store.flat());
  return copy;
}

Model make_random_model(const ModelConfig& config, uint64_t seed) {
  ParameterStore store(config);
  // Matrices ~ normal(0, initializer_range), biases 0, LayerNorm weights 1: transformers' init.
  for_each_parameter(config, store.params(), nullptr, [&](const std::string& key, Tensor& param, Tensor*, ParamGroup) {
    bool norm_weight = key.find("LayerNorm.weight") != std::string::npos ||
                       key.find("layer_norm.weight") != std::string::npos;
    if (norm_weight) {
      float* d = param.f32();
      for (int64_t i = 0; i < param.numel(); ++i) d[i] = 1.0f;
    } else {
      init_fresh_parameter(key, param, config.initializer_range, seed);
    }
  });
  return Model{config, std::move(store), {}};
}

}  // namespace finetune
