// A model directory as Hugging Face lays it out: config.json, the weights (model.safetensors, a
// sharded model.safetensors.index.json, or PyTorch's pytorch_model.bin) and the tokenizer files.
// `load_model` reads the config and weights into one flat parameter buffer; the tokenizer is
// loaded separately (tokenizer/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "model/checkpoint.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune {

struct Model {
  ModelConfig config;
  ParameterStore store;
  LoadReport load_report;

  ModelParams& params() { return store.params(); }
  const ModelParams& params() const { return store.params(); }
};

// The weight files of a model directory: model.safetensors, else the shards listed by
// model.safetensors.index.json, else pytorch_model.bin (or the shards of
// pytorch_model.bin.index.json). Throws Error naming the directory and what was looked for.
std::vector<std::filesystem::path> find_weight_files(const std::filesystem::path& directory);

// Loads config.json and weights. `seed` initialises a fresh head if the checkpoint has none.
Model load_model(const std::filesystem::path& directory, uint64_t seed = 0);

// Loads the weights of `directory` into a model of `config` (config.json read and then adjusted
// by the caller, e.g. with the labels of a training dataset).
Model load_model(const std::filesystem::path& directory, ModelConfig config, uint64_t seed);

// Reads a model directory's config.json, with the directory named in errors.
ModelConfig load_directory_config(const std::filesystem::path& directory);

// A copy of the model's parameters on ex.device (for the GPU; on the CPU use model.params()).
ParameterStore copy_parameters(const Exec& ex, Model& model);

// A model with the given configuration and freshly initialised weights (for tests and for
// benchmarks that need no pretrained weights).
Model make_random_model(const ModelConfig& config, uint64_t seed);

}  // namespace finetune
