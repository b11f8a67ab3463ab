// Dataset flags and the read -> label -> tokenize pipeline of train and eval.
#include "cli/dataset_options.h"

#include "core/log.h"
#include "data/encode.h"

namespace finetune::cli {

OptionSpec text_column_option() {
  return {"--text-column", "NAME", "column (CSV/TSV/Parquet) or key (JSON lines) holding the text", "text"};
}

OptionSpec label_column_option() {
  return {"--label-column", "NAME", "column or key holding the label", "label"};
}

OptionSpec limit_option() { return {"--limit", "N", "use only the first N examples of each file", ""}; }

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
