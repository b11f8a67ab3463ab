// Label maps: which names the model's label ids stand for, and each example's id.
//
// The rule (DESIGN.md, command line): when the model's config.json has id2label, dataset label
// names map through it; otherwise names come from the training dataset: Parquet ClassLabel names,
// else the sorted unique label names. Integer labels are ids; when integer labels have no names
// anywhere, the names are "LABEL_0".."LABEL_{K-1}" with K = the largest id + 1, which is what
// `transformers` calls labels it was given no names for.
//
// One refinement keeps integer labels honest when two files number the same classes differently:
// a file that names its own ids (Parquet ClassLabel) and whose names are all among the resolved
// names has each id translated through its own name (id -> its ClassLabel name -> the resolved
// id). When the file's names are the resolved names in the same order, this is the identity;
// when they are not all among the resolved names (a model with generic LABEL_k names), ids are
// used as they are.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace finetune {

struct LabelNames {
  std::vector<std::string> names;  // in id order
  std::string source;              // where they came from, for messages
};

// Resolves the label names from the model config's labels (`config_labels`: id2label in id
// order; null when config.json has none) and the training dataset. Throws Error for an empty or
// duplicated name list, and for a negative integer label when names come from the ids.
LabelNames resolve_label_names(const Dataset& train, const std::vector<std::string>* config_labels);

// Maps every example of `dataset` (training or validation) to its id under `labels`. Throws
// Error naming the file, line (or row), the unknown label and the known names; or an integer id
// out of range with the number of labels.
std::vector<int32_t> map_labels(const Dataset& dataset, const LabelNames& labels);

// "LABEL_0".."LABEL_{count-1}", transformers' names for unnamed labels.
std::vector<std::string> default_label_names(size_t count);

}  // namespace finetune
