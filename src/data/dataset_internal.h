// Internal to the dataset readers (dataset_*.cpp): helpers every text format shares.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "data/dataset.h"

namespace finetune::dataset_detail {

// Drops a leading UTF-8 byte-order mark (Excel and Notepad write one; it is not text).
std::string_view strip_utf8_bom(std::string_view content);

// Throws Error("<path>:<line>: invalid UTF-8 at byte <k>") for the first invalid byte of `text`,
// which starts on line `first_line` (it may span several lines: a quoted CSV field); <k> is the
// 1-based byte within that line, as read_text_lines reports it.
void check_utf8(std::string_view text, const std::filesystem::path& path, int64_t first_line);

// Drops one '\r' before the line end, so files with CRLF line ends read like LF ones.
std::string_view strip_cr(std::string_view line);

// For formats without types (.txt/.csv/.tsv): when every label is a plain decimal number
// ("0", "17"), the labels are ids; otherwise they stay names.
void settle_untyped_labels(Dataset& dataset);

// Final checks shared by all formats: at least one example.
void finish(Dataset& dataset);

}  // namespace finetune::dataset_detail
