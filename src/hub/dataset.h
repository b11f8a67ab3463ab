// Datasets on the Hugging Face hub by name (`--train dair-ai/emotion`): which files make up a
// split, found the way the `datasets` library finds them for repositories of data files, then
// downloaded into the hub cache and read like local files.
//
// Resolution, first rule that applies:
//   1. the README's YAML `configs:` (dataset_card.h): the chosen config's `data_files` patterns
//      for the split (the config marked `default: true`, else the only one, else "default");
//   2. the hub's Parquet export, the `refs/convert/parquet` branch (for repos with no usable
//      card configs, e.g. those built by a loading script): `<config>/<split>/*.parquet`
//      (also `<config>/partial-<split>/` and the older
//      `<config>/*-<split>[-NNNNN-of-NNNNN].parquet`);
//   3. file-name conventions (datasets' data_files.py): `data/<split>-NNNNN-of-NNNNN.*` shards,
//      then a folder named after the split (`train/`, `split/train-*`...), then file names
//      containing the split keyword (`train.csv`, `data/train-00000.parquet`), with datasets'
//      keyword synonyms (validation: valid, dev, val; test: testing, eval, evaluation); with no
//      keyword anywhere, every data file is the train split.
// Only formats finetune reads are data files (.parquet, .csv, .tsv, .jsonl, .json); when a split
// has Parquet files, only those are used. A split's files are read in sorted order and joined;
// ClassLabel names come from the Parquet schema metadata as for local files.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"
#include "hub/cache.h"
#include "hub/dataset_card.h"

namespace finetune {

class HubClient;

struct HubDatasetSpec {
  std::string repo;               // "org/name"
  std::string revision = "main";  // branch, tag or commit
  std::string config;             // "" = the default configuration
  std::string split = "train";
};

// The files of one split and how they were found.
struct SplitFiles {
  std::string config;               // the configuration used ("" for conventions)
  std::vector<std::string> files;   // repository paths, in reading order
  std::string rule;                 // "README.md configs", "the Parquet export", "file names"
  std::vector<std::string> splits;  // every split the rule found, for messages
};

// Rule 1 over a listing. Throws Error when the config or split does not exist or matches no file.
SplitFiles split_files_from_card(const std::vector<DatasetCardConfig>& configs,
                                 const std::vector<RepoFile>& files, const std::string& config,
                                 const std::string& split, const std::string& repo);
// Rule 2 over the listing of refs/convert/parquet.
SplitFiles split_files_from_parquet_export(const std::vector<RepoFile>& files,
                                           const std::string& config, const std::string& split,
                                           const std::string& repo);
// Rule 3 over a listing (`data_dir`: only files below it).
SplitFiles split_files_by_convention(const std::vector<RepoFile>& files, const std::string& split,
                                     const std::string& repo, const std::string& data_dir = "");

// Resolves, downloads (or finds in the cache) and reads one split. Dataset::path names the
// split ("org/name (train split)"); Dataset::parts name each file for messages.
Dataset read_hub_dataset(HubClient& hub, const HubDatasetSpec& spec, const DatasetOptions& options);

}  // namespace finetune
