// Dataset flags shared by `train` and `eval`: column names, --limit, hub datasets (a dataset
// flag may name a Hugging Face hub dataset instead of a file: --dataset-config, --split,
// --dataset-revision), and the reading of labelled data into tokenized examples with ids under a
// set of label names.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cli/options.h"
#include "data/dataset.h"
#include "data/labels.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

namespace finetune::cli {

OptionSpec text_column_option();
OptionSpec label_column_option();
OptionSpec limit_option();

OptionSpec dataset_config_option();
OptionSpec dataset_revision_option();
// --split NAME: the hub split read for the command's main dataset flag.
OptionSpec split_option(const std::string& default_split, const std::string& flag);
// --validation-split NAME (train): the hub split read for --validation.
OptionSpec validation_split_option();

DatasetOptions dataset_options(const ParsedOptions& options);

// Whether a dataset flag's value names a hub dataset: no such local file, the shape of a repo id,
// and no data-file extension (a missing "train.csv" stays a missing file).
bool dataset_refers_to_hub(const std::string& argument);

// Checks a dataset flag before heavier work: a local file must exist; a hub id passes.
void require_dataset(const ParsedOptions& options, const std::string& flag);

// Reads the dataset a flag names: a local file by its extension, or the split named by the
// option `split_flag` of a hub dataset, through the hub cache.
Dataset read_dataset_flag(const ParsedOptions& options, const std::string& flag, const std::string& split_flag,
                          const DatasetOptions& data_options);

// Maps `dataset`'s labels under `labels` and tokenizes its texts (in parallel), truncating to
// max_length.
LabelledData prepare_examples(const Dataset& dataset, const LabelNames& labels, const Tokenizer& tokenizer,
                              size_t max_length);

}  // namespace finetune::cli
