// Internal to the Parquet reader: decoding one column chunk (the pages of one column in one row
// group) into a vector. ParquetFile (file.h) resolves the column and calls this once per
// row group; this file knows pages, levels, encodings and codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/parquet/format.h"

namespace finetune::parquet {

struct ColumnReadContext {
  const uint8_t* file = nullptr;  // the mapped file
  size_t data_end = 0;            // column data lies in [4, data_end): the footer follows
  std::string where;              // "<path>: column 'text'", the prefix of every message
  int32_t physical_type = 0;
  int max_definition_level = 0;     // 1 for an optional column, 0 for a required one
  size_t budget = 0;                // cap on one page's decoded bytes and a column's string bytes
  size_t* decoded_bytes = nullptr;  // string bytes produced so far for this column
};

// Appends the `num_rows` values of `chunk` (row group `row_group`, whose first row is file row
// `first_row`) to `out`. T is std::string (BYTE_ARRAY), int64_t (INT32/INT64/BOOLEAN) or double
// (FLOAT/DOUBLE); the caller has checked the physical type fits T. Throws Error on any problem.
template <typename T>
void read_column_chunk(const ColumnReadContext& context, const ColumnChunk& chunk, size_t row_group,
                       int64_t num_rows, int64_t first_row, std::vector<T>& out);

}  // namespace finetune::parquet
