// Choosing and fetching a hub model's files (see model.h).
#include "hub/model.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "hub/client.h"
#include "io/file.h"
#include "io/json.h"

namespace finetune {

bool refers_to_hub(const std::string& argument) {
  std::error_code ec;
  if (argument.empty() || std::filesystem::exists(argument, ec)) return false;
  if (argument[0] == '.' || argument[0] == '/' || argument[0] == '~') return false;
  return is_valid_repo_id(argument);
}

namespace {

// The shard files named by a sharded checkpoint's index (plain file names, as in model.cpp).
std::vector<std::string> shards_of(const std::filesystem::path& index_path,
                                   const std::string& origin) {
  Json index = parse_json_file(index_path);
  JsonView view(index, origin);
  view.expect_object("a checkpoint shard index");
  JsonView map = view.at("weight_map");
  if (!map.is_object()) view.fail("weight_map", "expected an object of tensor name -> file");
  std::set<std::string> shards;
  for (auto it = map.raw().begin(); it != map.raw().end(); ++it) {
    if (!it.value().is_string())
      view.fail("weight_map", cat("entry '", it.key(), "' is not a file name"));
    const std::string shard = it.value().get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..") {
      view.fail("weight_map", cat("shard name '", shard, "' must be a plain file name"));
    }
    shards.insert(shard);
  }
  return {shards.begin(), shards.end()};
}

}  // namespace

HubModel fetch_hub_model(HubClient& hub, const std::string& repo_id, const std::string& revision,
                         bool weights) {
  HubModel model;
  model.repo = RepoId{RepoType::kModel, repo_id};
  model.commit = hub.resolve_commit(model.repo, revision);
  model.directory = hub.snapshot_dir(model.repo, model.commit);
  std::set<std::string> present;
  for (const RepoFile& f : hub.list_files(model.repo, model.commit)) present.insert(f.path);
  auto has = [&](const std::string& f) { return present.count(f) > 0; };
  auto fetch = [&](const std::string& f) {
    model.files.push_back(f);
    return hub.fetch_file(model.repo, model.commit, f);
  };

  if (!has("config.json")) {
    throw Error(cat(model.repo.describe(), " at ", revision,
                    " has no config.json, so it is not a transformers model "
                    "finetune can load"));
  }
  fetch("config.json");
  if (!weights) {
    // Only the tokenizer is needed.
  } else if (has("model.safetensors")) {
    fetch("model.safetensors");
  } else if (has("model.safetensors.index.json")) {
    for (const auto& shard : shards_of(fetch("model.safetensors.index.json"),
                                       repo_id + "/model.safetensors.index.json")) {
      fetch(shard);
    }
  } else if (has("pytorch_model.bin")) {
    fetch("pytorch_model.bin");
  } else if (has("pytorch_model.bin.index.json")) {
    for (const auto& shard : shards_of(fetch("pytorch_model.bin.index.json"),
                                       repo_id + "/pytorch_model.bin.index.json")) {
      fetch(shard);
    }
  } else {
    std::string listing;
    for (const auto& f : present) listing += (listing.empty() ? "" : ", ") + f;
    throw Error(cat(model.repo.describe(),
                    " has no weights finetune reads (model.safetensors, a sharded "
                    "model.safetensors.index.json, or pytorch_model.bin); its files: ",
                    listing));
  }
  // Every tokenizer file the loader may read (tokenizer/tokenizer.h): tokenizer.json, or the
  // legacy files transformers builds it from (WordPiece vocab.txt, RoBERTa's vocab.json +
  // merges.txt, the SentencePiece models of XLM-R, CamemBERT, DeBERTa-v3 and ALBERT). Beside a
  // tokenizer.json the legacy files are fetched too (a few MB at most): they travel into the
  // directories `train` saves, so that transformers' slow tokenizers load those as well.
  for (const char* f :
       {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
        "vocab.json", "merges.txt", "sentencepiece.bpe.model", "spm.model", "spiece.model"}) {
    if (has(f)) fetch(f);
  }
  return model;
}

}  // namespace finetune
