// Decompression of Parquet pages with libsnappy, zlib and libzstd (see codec.h).
//
// All three libraries validate their input and stop at the output capacity they are given, so
// corrupt pages come back as error codes, which become finetune::Error here. Parquet's GZIP is
// the gzip container (RFC 1952); zlib's automatic header detection (windowBits 15 + 32) also
// accepts the zlib container some old writers used.
#include "data/parquet/codec.h"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <climits>

#include "core/error.h"
#include "data/parquet/format.h"

namespace finetune::parquet {
namespace {

// Upper bounds on output bytes per input byte. Snappy's densest element is a 3-byte copy of 64
// bytes (ratio 21.3); deflate's is 258 bytes from about 2 bits (ratio 1032). Zstd can expand a
// 4-byte RLE block to 128 KiB, so its bound is loose and its frame header's stated size is
// checked instead.
constexpr size_t kSnappyMaxRatio = 32;
constexpr size_t kGzipMaxRatio = 1040;
constexpr size_t kZstdMaxRatio = 32768;
constexpr size_t kSlack = 64;

size_t max_ratio(int32_t codec) {
  switch (static_cast<Codec>(codec)) {
    case Codec::kSnappy:
      return kSnappyMaxRatio;
    case Codec::kGzip:
      return kGzipMaxRatio;
    case Codec::kZstd:
      return kZstdMaxRatio;
    default:
      return 1;
  }
}

void snappy_decompress(std::span<const uint8_t> input, std::vector<uint8_t>& output,
                       const std::string& where) {
  const char* in = reinterpret_cast<const char*>(input.data());
  size_t stated = 0;
  if (snappy_uncompressed_length(in, input.size(), &stated) != SNAPPY_OK) {
    throw Error(cat(where, ": corrupt snappy data (cannot read its length)"));
  }
  if (stated != output.size()) {
    throw Error(cat(where, ": snappy data holds ", stated, " bytes but the page header says ",
                    output.size()));
  }
  size_t produced = output.size();
  if (snappy_uncompress(in, input.size(), reinterpret_cast<char*>(output.data()), &produced) !=
          SNAPPY_OK ||
      produced != output.size()) {
    throw Error(cat(where, ": corrupt snappy data"));
  }
}

void gzip_decompress(std::span<const uint8_t> input, std::vector<uint8_t>& output,
                     const std::string& where) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw Error(cat(where, ": cannot start zlib"));
  // zlib's counters are 32-bit; the budget keeps pages far below 4 GiB, checked here anyway.
  if (input.size() > UINT_MAX || output.size() > UINT_MAX) {
    inflateEnd(&stream);
    throw Error(cat(where, ": gzip page too large"));
  }
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = output.data();
  stream.avail_out = static_cast<uInt>(output.size());
  int status = inflate(&stream, Z_FINISH);
  size_t produced = stream.total_out;
  inflateEnd(&stream);
  if (status != Z_STREAM_END) {
    if (status == Z_BUF_ERROR && stream.avail_out == 0) {
      throw Error(cat(where, ": gzip data holds more than the ", output.size(),
                      " bytes the page header says"));
    }
    throw Error(cat(where, ": corrupt gzip data",
                    stream.msg != nullptr ? cat(" (", stream.msg, ")") : std::string()));
  }
  if (produced != output.size()) {
    throw Error(cat(where, ": gzip data holds ", produced, " bytes but the page header says ",
                    output.size()));
  }
}

void zstd_decompress(std::span<const uint8_t> input, std::vector<uint8_t>& output,
                     const std::string& where) {
  size_t produced = ZSTD_decompress(output.data(), output.size(), input.data(), input.size());
  if (ZSTD_isError(produced)) {
    throw Error(cat(where, ": corrupt zstd data (", ZSTD_getErrorName(produced), ")"));
  }
  if (produced != output.size()) {
    throw Error(cat(where, ": zstd data holds ", produced, " bytes but the page header says ",
                    output.size()));
  }
}

}  // namespace

bool codec_supported(int32_t codec) {
  switch (static_cast<Codec>(codec)) {
    case Codec::kUncompressed:
    case Codec::kSnappy:
    case Codec::kGzip:
    case Codec::kZstd:
      return true;
    default:
      return false;
  }
}

std::span<const uint8_t> decompress(int32_t codec, std::span<const uint8_t> input,
                                    size_t uncompressed_size, size_t max_size,
                                    std::vector<uint8_t>& output, const std::string& where) {
  if (!codec_supported(codec)) {
    throw Error(cat(where, ": unsupported compression codec ", codec_name(codec),
                    " (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)"));
  }
  if (uncompressed_size > max_size) {
    throw Error(cat(where, ": page claims ", uncompressed_size,
                    " uncompressed bytes, more than this file can plausibly hold (limit ", max_size,
                    ")"));
  }
  if (static_cast<Codec>(codec) == Codec::kUncompressed) {
    if (uncompressed_size != input.size()) {
      throw Error(cat(where, ": uncompressed page has ", input.size(),
                      " bytes but its header says ", uncompressed_size));
    }
    return input;
  }
  if (uncompressed_size > input.size() * max_ratio(codec) + kSlack) {
    throw Error(cat(where, ": page claims ", uncompressed_size, " uncompressed bytes from ",
                    input.size(), " ", codec_name(codec),
                    " bytes, more than the codec can expand"));
  }
  if (static_cast<Codec>(codec) == Codec::kZstd) {
    // The frame header states the content size (pyarrow always writes it): check it before
    // allocating, so a garbage or lying frame costs nothing.
    unsigned long long stated = ZSTD_getFrameContentSize(input.data(), input.size());
    if (stated == ZSTD_CONTENTSIZE_ERROR) {
      throw Error(cat(where, ": corrupt zstd data (bad frame header)"));
    }
    if (stated != ZSTD_CONTENTSIZE_UNKNOWN && stated != uncompressed_size) {
      throw Error(cat(where, ": zstd frame holds ", stated, " bytes but the page header says ",
                      uncompressed_size));
    }
  }
  output.resize(uncompressed_size);
  if (uncompressed_size == 0 && input.empty()) return output;
  switch (static_cast<Codec>(codec)) {
    case Codec::kSnappy:
      snappy_decompress(input, output, where);
      break;
    case Codec::kGzip:
      gzip_decompress(input, output, where);
      break;
    case Codec::kZstd:
      zstd_decompress(input, output, where);
      break;
    default:
      break;
  }
  return output;
}

}  // namespace finetune::parquet
