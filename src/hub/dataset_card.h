// The `configs:` section of a Hugging Face dataset card (the YAML front matter of README.md),
// which tells `datasets` which files make up each split:
//
//   ---
//   configs:
//   - config_name: split
//     data_files:
//     - split: train
//       path: split/train-*
//     - split: validation
//       path: split/validation-*
//     default: true
//   ---
//
// `data_files` may also be one pattern or a list of patterns (all of them the train split), or
// a mapping from split to pattern(s); `data_dir` prefixes the patterns. Only the `configs:`
// block is read, with a small YAML reader for the subset dataset cards use there (block
// mappings and sequences, plain and quoted scalars, flow lists `[a, b]`, comments); the rest of
// the card (dataset_info, licences, free text) is never parsed, so nothing there can break
// loading. A malformed `configs:` block is an Error naming README.md and the line.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace finetune {

struct DatasetCardConfig {
  std::string name = "default";
  bool is_default = false;
  std::string data_dir;  // "" or a folder the patterns are relative to
  // In card order: split name -> patterns. Empty when the config names only a data_dir.
  std::vector<std::pair<std::string, std::vector<std::string>>> data_files;
};

// The YAML front matter of a README ("---" line, YAML, "---" line), if it has one.
std::optional<std::string> dataset_card_front_matter(const std::string& readme);

// The configs declared by a README (empty when it has no front matter or no `configs:`).
// `origin` names the file in errors.
std::vector<DatasetCardConfig> parse_dataset_card_configs(const std::string& readme,
                                                          const std::string& origin);

}  // namespace finetune
