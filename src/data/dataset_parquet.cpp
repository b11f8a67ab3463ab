// Parquet datasets, as Hugging Face `datasets` writes them (and the hub's Parquet export).
//
// The text column must be a string (BYTE_ARRAY) column. The label column is either integer-typed
// (INT32/INT64/BOOLEAN: ids, which is how `datasets` stores a ClassLabel) or a string column
// (names). When the footer's "huggingface" metadata declares the label column a ClassLabel, its
// names are kept (Dataset::class_names) so labels.h can name the ids. Positions are row numbers.
#include "core/error.h"
#include "data/dataset.h"
#include "data/dataset_internal.h"
#include "data/parquet/file.h"

namespace finetune {

Dataset read_parquet_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
  ParquetFile file(path);
  Dataset dataset;
  dataset.path = path;
  dataset.positions_are_rows = true;
  dataset.texts = file.read_strings(options.text_column, options.limit);

  const ParquetColumn& label = file.column(options.label_column);
  using parquet::PhysicalType;
  if (!label.nested && label.type == PhysicalType::kByteArray) {
    dataset.label_kind = LabelKind::kNames;
    dataset.label_names = file.read_strings(options.label_column, options.limit);
    for (size_t i = 0; i < dataset.label_names.size(); ++i) {
      if (dataset.label_names[i].empty()) {
        throw Error(cat(path.string(), ": column '", options.label_column, "': row ", i,
                        " has an empty label"));
      }
    }
  } else if (!label.nested &&
             (label.type == PhysicalType::kInt32 || label.type == PhysicalType::kInt64 ||
              label.type == PhysicalType::kBoolean)) {
    dataset.label_kind = LabelKind::kIds;
    dataset.label_ids = file.read_int64(options.label_column, options.limit);
    dataset.class_names = huggingface_class_names(file, options.label_column);
  } else {
    throw Error(cat(path.string(), ": label column '", options.label_column, "' has type ",
                    label.nested ? std::string("nested")
                                 : parquet::physical_type_name(static_cast<int32_t>(label.type)),
                    "; labels must be strings or integers"));
  }
  dataset.positions.resize(dataset.texts.size());
  for (size_t i = 0; i < dataset.positions.size(); ++i) {
    dataset.positions[i] = static_cast<int64_t>(i);
  }
  dataset_detail::finish(dataset);
  return dataset;
}

}  // namespace finetune
