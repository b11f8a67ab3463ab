// Dataset flags and the read -> label -> tokenize pipeline of train and eval.
#include "cli/dataset_options.h"

#include "cli/common.h"

#include <algorithm>

#include "core/log.h"
#include "data/encode.h"
#include "hub/client.h"
#include "hub/dataset.h"
#include "hub/model.h"

namespace finetune::cli {

OptionSpec text_column_option() {
  return {"--text-column", "NAME", "column (CSV/TSV/Parquet) or key (JSON lines) holding the text", "text"};
}

OptionSpec label_column_option() {
  return {"--label-column", "NAME", "column or key holding the label", "label"};
}

OptionSpec limit_option() { return {"--limit", "N", "use only the first N examples of each file", ""}; }

OptionSpec dataset_config_option() {
  return {"--dataset-config", "NAME", "configuration of a hub dataset (default: the one its card marks default)", ""};
}

OptionSpec dataset_revision_option() {
  return {"--dataset-revision", "REV", "branch, tag or commit of hub datasets", "main"};
}

OptionSpec split_option(const std::string& default_split, const std::string& flag) {
  return {"--split", "NAME", "split of a hub " + flag + " dataset", default_split};
}

OptionSpec validation_split_option() {
  return {"--validation-split", "NAME", "split of a hub --validation dataset", "validation"};
}

bool dataset_refers_to_hub(const std::string& argument) {
  if (!refers_to_hub(argument)) return false;
  std::string extension = std::filesystem::path(argument).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {".txt", ".csv", ".tsv", ".jsonl", ".json", ".parquet"}) {
    if (extension == e) return false;
  }
  return true;
}

void require_dataset(const ParsedOptions& options, const std::string& flag) {
  const std::string argument = options.get_string(flag);
  if (!dataset_refers_to_hub(argument)) require_file(argument, flag);
}

Dataset read_dataset_flag(const ParsedOptions& options, const std::string& flag, const std::string& split_flag,
                          const DatasetOptions& data_options) {
  const std::string argument = options.get_string(flag);
  if (!dataset_refers_to_hub(argument)) return read_dataset(argument, data_options);
  HubDatasetSpec spec;
  spec.repo = argument;
  spec.revision = options.get_string("--dataset-revision");
  spec.config = options.get("--dataset-config").value_or("");
  spec.split = options.get_string(split_flag);
  try {
    return read_hub_dataset(hub_client(), spec, data_options);
  } catch (const Error& e) {
    const std::string message = e.what();
    // Say that a local file was looked for too, unless the hub found the dataset.
    if (message.find("was not found on") != std::string::npos) {
      throw Error(cat(flag, " ", argument, ": no such file; as a Hugging Face hub dataset: ", message));
    }
    throw Error(cat(flag, " ", argument, ": ", message));
  }
}

DatasetOptions dataset_options(const ParsedOptions& options) {
  DatasetOptions d;
  d.text_column = options.get_string("--text-column");
  d.label_column = options.get_string("--label-column");
  if (options.has("--limit")) d.limit = static_cast<size_t>(options.get_int("--limit", 1));
  return d;
}

LabelledData prepare_examples(const Dataset& dataset, const LabelNames& labels, const Tokenizer& tokenizer,
                              size_t max_length) {
  LabelledData data;
  data.labels = map_labels(dataset, labels);
  EncodeStats stats;
  data.encodings = encode_texts(tokenizer, dataset.texts, max_length, &stats,
                                [&](size_t i) { return dataset.where(i); });
  if (stats.truncated > 0) {
    log_notice(cat(dataset.path.string(), ": ", stats.truncated, " of ", dataset.size(),
                   " texts were truncated to ", max_length, " tokens"));
  }
  return data;
}

}  // namespace finetune::cli
