// Models on the Hugging Face hub by name (`--model distilbert-base-uncased`,
// `--model org/name`): the files finetune needs, fetched into the shared hub cache, and the
// snapshot folder that then serves as the model directory.
//
// What is fetched, from the commit's file listing: config.json; the weights in the order
// transformers prefers them: model.safetensors, else the shards of model.safetensors.index.json,
// else pytorch_model.bin, else the shards of pytorch_model.bin.index.json; and the tokenizer
// files present (tokenizer.json, tokenizer_config.json, vocab.txt, special_tokens_map.json).
// Nothing else (other frameworks' weights, ONNX exports, READMEs) is downloaded.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hub/cache.h"

namespace finetune {

class HubClient;

// True when `argument` names no existing file or directory and has the shape of a hub repo id
// ("name" or "org/name"; no "./", "../" or absolute path).
bool refers_to_hub(const std::string& argument);

struct HubModel {
  RepoId repo;
  std::string commit;
  std::filesystem::path directory;  // snapshots/<commit>/
  std::vector<std::string> files;   // what was fetched (repository paths)
};

// Fetches (or finds in the cache) what a hub model needs (without the weights when `weights` is
// false: `finetune tokenize`). Throws Error naming the repo when it has no config.json or no
// weights in a format finetune reads.
HubModel fetch_hub_model(HubClient& hub, const std::string& repo_id, const std::string& revision,
                         bool weights = true);

}  // namespace finetune
