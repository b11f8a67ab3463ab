// Page decompression for Parquet: UNCOMPRESSED, SNAPPY, GZIP and ZSTD.
//
// The page header states both sizes; the output buffer is sized from the stated uncompressed
// size only after that size passes two checks, so a lying header cannot make us allocate
// gigabytes: (1) the codec's maximum expansion ratio (snappy cannot expand more than ~22x, deflate
// ~1032x; zstd's own frame header must agree when it states a size) and (2) the caller's budget
// for decoded bytes. The decompressed length must then equal the stated size exactly. LZO,
// BROTLI, LZ4 and LZ4_RAW are refused by name (Hugging Face writes snappy; pyarrow's other common
// choices are zstd and gzip).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace finetune::parquet {

// True for the codecs decompress() handles.
bool codec_supported(int32_t codec);

// Decompresses `input` (one page, or the values section of a v2 page) and returns the bytes:
// `input` itself for UNCOMPRESSED (no copy), else `scratch` resized to `uncompressed_size`.
// `max_size` is the caller's budget. Throws Error("<where>: ...") when a check fails or the codec
// reports corrupt data.
std::span<const uint8_t> decompress(int32_t codec, std::span<const uint8_t> input,
                                    size_t uncompressed_size, size_t max_size,
                                    std::vector<uint8_t>& scratch, const std::string& where);

}  // namespace finetune::parquet
