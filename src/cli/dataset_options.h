// Dataset flags shared by `train` and `eval`: column names, --limit, and the reading of a
// labelled file into tokenized examples with ids under a set of label names.
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

DatasetOptions dataset_options(const ParsedOptions& options);

// Maps `dataset`'s labels under `labels` and tokenizes its texts (in parallel), truncating to
// max_length.
LabelledData prepare_examples(const Dataset& dataset, const LabelNames& labels, const Tokenizer& tokenizer,
                              size_t max_length);

}  // namespace finetune::cli
