// Decoding one Parquet column chunk: walk its pages, decompress, check levels, decode values.
//
// A column chunk is an optional dictionary page followed by data pages (parquet-format README,
// "Column chunks"). Per page kind, from the spec:
//   - DICTIONARY_PAGE: the whole page is compressed; the dictionary is PLAIN encoded (the header
//     says PLAIN or, in old files, PLAIN_DICTIONARY).
//   - DATA_PAGE (v1): the whole page is compressed; inside it come the repetition levels and
//     the definition levels, each as RLE/bit-packed hybrid data behind a 4-byte little-endian
//     length, then the values.
//   - DATA_PAGE_V2: repetition and definition levels come first, never compressed and without
//     length prefixes (their lengths are in the header); only the values section is compressed,
//     and only when is_compressed (default true).
//   - INDEX_PAGE: skipped.
// Values: PLAIN (fixed-width little-endian numbers; BOOLEAN one bit each, least significant bit
// first; BYTE_ARRAY a 4-byte length then the bytes), PLAIN_DICTIONARY / RLE_DICTIONARY (one byte
// of bit width, then hybrid-encoded indices into the dictionary), and RLE for BOOLEAN (a 4-byte
// length, then hybrid data of bit width 1).
// Flat columns have no repetition levels; an optional column has definition levels 0 (null) or
// 1 (present). Nulls are errors here: a training example without a text or a label is bad input.
// Every count and length is checked against the bytes it claims before anything is allocated.
#include "data/parquet/column.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <type_traits>

#include "core/error.h"
#include "data/parquet/codec.h"
#include "data/parquet/encoding.h"
#include "data/parquet/thrift.h"
#include "data/text_lines.h"

namespace finetune::parquet {
namespace {

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);  // Parquet is little-endian, as are the targets we build for
  return v;
}

// Indices and levels are decoded in batches of this many values into a fixed buffer.
constexpr size_t kBatch = 1024;

template <typename T>
class ChunkReader {
 public:
  ChunkReader(const ColumnReadContext& context, const ColumnMetaData& meta, size_t row_group,
              int64_t num_rows, int64_t first_row, std::vector<T>& out)
      : ctx_(context),
        where_(cat(context.where, ", row group ", row_group)),
        meta_(meta),
        num_rows_(num_rows),
        first_row_(first_row),
        out_(out) {}

  void run() {
    if (meta_.type != ctx_.physical_type) {
      fail(cat("the column metadata says ", physical_type_name(meta_.type), " but the schema says ",
               physical_type_name(ctx_.physical_type)));
    }
    if (!codec_supported(meta_.codec)) {
      fail(cat("unsupported compression codec ", codec_name(meta_.codec),
               " (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)"));
    }
    if (meta_.num_values != num_rows_) {
      fail(cat("the column chunk holds ", meta_.num_values, " values but the row group has ",
               num_rows_, " rows"));
    }
    int64_t start = meta_.data_page_offset;
    if (meta_.dictionary_page_offset && *meta_.dictionary_page_offset > 0) {
      start = std::min(start, *meta_.dictionary_page_offset);
    }
    int64_t size = meta_.total_compressed_size;
    const auto data_end = static_cast<int64_t>(ctx_.data_end);
    if (start < 4 || size <= 0 || start >= data_end || size > data_end - start) {
      fail(cat("the column chunk's bytes [", start, ", ", start, " + ", size,
               ") lie outside the file's column data [4, ", data_end, ")"));
    }
    size_t pos = static_cast<size_t>(start);
    const size_t end = pos + static_cast<size_t>(size);
    while (values_done_ < num_rows_) {
      if (pos >= end) {
        fail(cat("the column chunk ends after ", values_done_, " of ", num_rows_, " values"));
      }
      page_where_ = cat(where_, ", page at byte ", pos);
      size_t header_size = 0;
      PageHeader page =
          parse_page_header({ctx_.file + pos, end - pos}, page_where_, pos, &header_size);
      if (page.compressed_page_size < 0 || page.uncompressed_page_size < 0) {
        fail_page(cat("negative page size (compressed ", page.compressed_page_size,
                      ", uncompressed ", page.uncompressed_page_size, ")"));
      }
      const size_t body_start = pos + header_size;
      const auto compressed = static_cast<size_t>(page.compressed_page_size);
      if (compressed > end - body_start) {
        fail_page(cat("the page claims ", compressed, " bytes but only ", end - body_start,
                      " remain in the column chunk"));
      }
      std::span<const uint8_t> body(ctx_.file + body_start, compressed);
      switch (static_cast<PageType>(page.type)) {
        case PageType::kDictionaryPage:
          read_dictionary_page(page, body);
          break;
        case PageType::kDataPage:
          read_data_page(page, body);
          break;
        case PageType::kDataPageV2:
          read_data_page_v2(page, body);
          break;
        case PageType::kIndexPage:
          break;
        default:
          fail_page(cat("unknown page type ", page.type));
      }
      pos = body_start + compressed;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(cat(where_, ": ", problem));
  }
  [[noreturn]] void fail_page(const std::string& problem) const {
    throw Error(cat(page_where_, ": ", problem));
  }

  // The file row of the page's i-th value (values and rows coincide: flat, no nulls).
  int64_t row_of(size_t i) const { return first_row_ + values_done_ + static_cast<int64_t>(i); }

  size_t checked_value_count(int32_t num_values) const {
    if (num_values < 0 || num_values > num_rows_ - values_done_) {
      fail_page(cat("the page holds ", num_values, " values but ", num_rows_ - values_done_,
                    " remain in the column chunk"));
    }
    return static_cast<size_t>(num_values);
  }

  void read_dictionary_page(const PageHeader& page, std::span<const uint8_t> body) {
    if (!page.dictionary_page) fail_page("a dictionary page lacks its dictionary_page_header");
    if (have_dictionary_) fail_page("a second dictionary page");
    if (values_done_ > 0) fail_page("a dictionary page after data pages");
    const DictionaryPageHeader& header = *page.dictionary_page;
    if (header.encoding != static_cast<int32_t>(Encoding::kPlain) &&
        header.encoding != static_cast<int32_t>(Encoding::kPlainDictionary)) {
      fail_page(cat("the dictionary uses encoding ", encoding_name(header.encoding),
                    "; only PLAIN dictionaries are supported"));
    }
    if (header.num_values < 0) fail_page(cat("negative dictionary size ", header.num_values));
    std::span<const uint8_t> data =
        decompress(meta_.codec, body, static_cast<size_t>(page.uncompressed_page_size), ctx_.budget,
                   scratch_, page_where_);
    dictionary_.clear();
    dictionary_bad_byte_.clear();
    decode_plain(data, static_cast<size_t>(header.num_values), dictionary_, true);
    have_dictionary_ = true;
  }

  void read_data_page(const PageHeader& page, std::span<const uint8_t> body) {
    if (!page.data_page) fail_page("a data page lacks its data_page_header");
    const DataPageHeader& header = *page.data_page;
    const size_t count = checked_value_count(header.num_values);
    std::span<const uint8_t> data =
        decompress(meta_.codec, body, static_cast<size_t>(page.uncompressed_page_size), ctx_.budget,
                   scratch_, page_where_);
    size_t offset = 0;
    if (ctx_.max_definition_level > 0) {
      if (header.definition_level_encoding != static_cast<int32_t>(Encoding::kRle)) {
        fail_page(cat("definition levels use encoding ",
                      encoding_name(header.definition_level_encoding), "; only RLE is supported"));
      }
      if (data.size() < 4) fail_page("the page is too short for its definition levels");
      size_t length = load_u32(data.data());
      if (length > data.size() - 4) {
        fail_page(cat("definition levels claim ", length, " bytes but the page has ",
                      data.size() - 4, " left"));
      }
      check_definition_levels(data.subspan(4, length), count, -1);
      offset = 4 + length;
    }
    decode_values(header.encoding, data.subspan(offset), count);
    values_done_ += static_cast<int64_t>(count);
  }

  void read_data_page_v2(const PageHeader& page, std::span<const uint8_t> body) {
    if (!page.data_page_v2) fail_page("a data page v2 lacks its data_page_header_v2");
    const DataPageHeaderV2& header = *page.data_page_v2;
    const size_t count = checked_value_count(header.num_values);
    if (header.num_nulls < 0 || header.num_nulls > header.num_values) {
      fail_page(
          cat("the page counts ", header.num_nulls, " nulls among ", header.num_values, " values"));
    }
    if (header.repetition_levels_byte_length != 0) {
      fail_page("the page has repetition levels, which a flat column cannot have");
    }
    const int32_t levels = header.definition_levels_byte_length;
    if (levels < 0 || levels > page.compressed_page_size || levels > page.uncompressed_page_size) {
      fail_page(cat("definition levels claim ", levels, " bytes of a page of ",
                    page.compressed_page_size));
    }
    if (ctx_.max_definition_level > 0) {
      check_definition_levels(body.subspan(0, static_cast<size_t>(levels)), count,
                              header.num_nulls);
    } else if (levels != 0 || header.num_nulls != 0) {
      fail_page("a required column's page has definition levels or nulls");
    }
    const int32_t codec =
        header.is_compressed ? meta_.codec : static_cast<int32_t>(Codec::kUncompressed);
    std::span<const uint8_t> data =
        decompress(codec, body.subspan(static_cast<size_t>(levels)),
                   static_cast<size_t>(page.uncompressed_page_size - levels), ctx_.budget, scratch_,
                   page_where_);
    decode_values(header.encoding, data, count);
    values_done_ += static_cast<int64_t>(count);
  }

  // Every level must be 1 (present). The first 0 is a null, reported by row. `stated_nulls` is
  // the v2 header's null count (-1 for v1 pages), which must agree.
  void check_definition_levels(std::span<const uint8_t> levels, size_t count,
                               int32_t stated_nulls) {
    RleBitPackedDecoder decoder(levels, bit_width_for(1));
    uint32_t batch[kBatch];
    for (size_t done = 0; done < count;) {
      size_t want = std::min(kBatch, count - done);
      size_t got = decoder.decode(batch, want);
      for (size_t i = 0; i < got; ++i) {
        if (batch[i] == 0) {
          throw Error(
              cat(ctx_.where, ": row ", row_of(done + i), " is null; every example needs a value"));
        }
        if (batch[i] != 1) fail_page(cat("definition level ", batch[i], " exceeds the maximum 1"));
      }
      if (got < want) {
        fail_page(cat("definition levels: ", decoder.problem(), " after ", done + got, " of ",
                      count, " values"));
      }
      done += want;
    }
    if (stated_nulls > 0) {
      fail_page(
          cat("the header counts ", stated_nulls, " nulls but the definition levels have none"));
    }
  }

  void decode_values(int32_t encoding, std::span<const uint8_t> data, size_t count) {
    switch (static_cast<Encoding>(encoding)) {
      case Encoding::kPlain:
        decode_plain(data, count, out_, false);
        return;
      case Encoding::kPlainDictionary:
      case Encoding::kRleDictionary:
        decode_dictionary_indices(data, count);
        return;
      case Encoding::kRle:
        if (ctx_.physical_type == static_cast<int32_t>(PhysicalType::kBoolean)) {
          decode_rle_booleans(data, count);
          return;
        }
        break;
      default:
        break;
    }
    fail_page(cat("values use encoding ", encoding_name(encoding),
                  ", which this reader does not support for ",
                  physical_type_name(ctx_.physical_type),
                  " (supported: PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY; RLE for BOOLEAN)"));
  }

  void decode_dictionary_indices(std::span<const uint8_t> data, size_t count) {
    if (!have_dictionary_) fail_page("a dictionary-encoded page without a dictionary page");
    if (count == 0) return;
    if (data.empty()) fail_page("dictionary indices lack their bit-width byte");
    const int bit_width = data[0];
    if (bit_width > 32) fail_page(cat("dictionary index bit width ", bit_width, " exceeds 32"));
    RleBitPackedDecoder decoder(data.subspan(1), bit_width);
    uint32_t batch[kBatch];
    for (size_t done = 0; done < count;) {
      size_t want = std::min(kBatch, count - done);
      size_t got = decoder.decode(batch, want);
      for (size_t i = 0; i < got; ++i) {
        if (batch[i] >= dictionary_.size()) {
          fail_page(cat("dictionary index ", batch[i], " is out of range (the dictionary has ",
                        dictionary_.size(), " entries)"));
        }
        if constexpr (std::is_same_v<T, std::string>) {
          if (dictionary_bad_byte_[batch[i]] != 0) {
            invalid_utf8(row_of(done + i), dictionary_bad_byte_[batch[i]]);
          }
        }
        append(dictionary_[batch[i]]);
      }
      if (got < want) {
        fail_page(cat("dictionary indices: ", decoder.problem(), " after ", done + got, " of ",
                      count, " values"));
      }
      done += want;
    }
  }

  void decode_rle_booleans(std::span<const uint8_t> data, size_t count) {
    if constexpr (std::is_same_v<T, int64_t>) {
      if (data.size() < 4) fail_page("RLE booleans lack their 4-byte length");
      size_t length = load_u32(data.data());
      if (length > data.size() - 4) {
        fail_page(cat("RLE booleans claim ", length, " bytes but the page has ", data.size() - 4));
      }
      RleBitPackedDecoder decoder(data.subspan(4, length), 1);
      uint32_t batch[kBatch];
      for (size_t done = 0; done < count;) {
        size_t want = std::min(kBatch, count - done);
        size_t got = decoder.decode(batch, want);
        for (size_t i = 0; i < got; ++i) out_.push_back(batch[i] & 1);
        if (got < want) {
          fail_page(cat("RLE booleans: ", decoder.problem(), " after ", done + got, " of ", count,
                        " values"));
        }
        done += want;
      }
    } else {
      FT_CHECK(false, "BOOLEAN column read as a non-integer type");
    }
  }

  [[noreturn]] void invalid_utf8(int64_t row, size_t byte) const {
    throw Error(cat(ctx_.where, ": row ", row, ": invalid UTF-8 at byte ", byte));
  }

  // Adds one decoded value to the output, charging strings against the column's budget.
  void append(const T& value) {
    if constexpr (std::is_same_v<T, std::string>) charge(value.size());
    out_.push_back(value);
  }

  void charge(size_t bytes) {
    *ctx_.decoded_bytes += bytes;
    if (*ctx_.decoded_bytes > ctx_.budget) {
      throw Error(cat(ctx_.where, ": decodes to more than ", ctx_.budget,
                      " bytes of text, more than this file can plausibly hold"));
    }
  }

  // PLAIN values of the column's physical type into `dest` (the output or the dictionary).
  void decode_plain(std::span<const uint8_t> data, size_t count, std::vector<T>& dest,
                    bool dictionary) {
    const auto type = static_cast<PhysicalType>(ctx_.physical_type);
    // The fewest bits one value can take, to bound `count` by the bytes before reserving.
    uint64_t min_bits = 0;
    switch (type) {
      case PhysicalType::kBoolean:
        min_bits = 1;
        break;
      case PhysicalType::kInt32:
      case PhysicalType::kFloat:
      case PhysicalType::kByteArray:
        min_bits = 32;
        break;
      case PhysicalType::kInt64:
      case PhysicalType::kDouble:
        min_bits = 64;
        break;
      default:
        fail_page(cat("cannot decode ", physical_type_name(ctx_.physical_type)));
    }
    if (count > data.size() * 8 / min_bits) {
      fail_page(cat(count, " PLAIN ", physical_type_name(ctx_.physical_type),
                    " values cannot fit in ", data.size(), " bytes"));
    }
    dest.reserve(dest.size() + count);
    const uint8_t* p = data.data();
    if constexpr (std::is_same_v<T, std::string>) {
      FT_CHECK(type == PhysicalType::kByteArray, "string read of a non-BYTE_ARRAY column");
      size_t pos = 0;
      for (size_t i = 0; i < count; ++i) {
        if (data.size() - pos < 4) fail_page(cat("value ", i, "'s length is cut off"));
        size_t length = load_u32(p + pos);
        pos += 4;
        if (length > data.size() - pos) {
          fail_page(cat("value ", i, " claims ", length, " bytes but the page has ",
                        data.size() - pos, " left"));
        }
        std::string_view value(reinterpret_cast<const char*>(p + pos), length);
        pos += length;
        size_t bad = find_invalid_utf8(value);
        if (dictionary) {
          // Reported when a row uses the entry, so the message can name the row.
          dictionary_bad_byte_.push_back(bad == std::string_view::npos ? 0 : bad + 1);
        } else if (bad != std::string_view::npos) {
          invalid_utf8(row_of(i), bad + 1);
        }
        if (!dictionary) charge(length);
        dest.emplace_back(value);
      }
    } else if constexpr (std::is_same_v<T, int64_t>) {
      if (type == PhysicalType::kBoolean) {
        for (size_t i = 0; i < count; ++i) dest.push_back((p[i >> 3] >> (i & 7)) & 1);
      } else if (type == PhysicalType::kInt32) {
        for (size_t i = 0; i < count; ++i) {
          int32_t v;
          std::memcpy(&v, p + 4 * i, 4);
          dest.push_back(v);
        }
      } else {
        FT_CHECK(type == PhysicalType::kInt64, "integer read of ",
                 physical_type_name(ctx_.physical_type));
        for (size_t i = 0; i < count; ++i) {
          int64_t v;
          std::memcpy(&v, p + 8 * i, 8);
          dest.push_back(v);
        }
      }
    } else {
      static_assert(std::is_same_v<T, double>);
      if (type == PhysicalType::kFloat) {
        for (size_t i = 0; i < count; ++i) {
          float v;
          std::memcpy(&v, p + 4 * i, 4);
          dest.push_back(v);
        }
      } else {
        FT_CHECK(type == PhysicalType::kDouble, "double read of ",
                 physical_type_name(ctx_.physical_type));
        for (size_t i = 0; i < count; ++i) {
          double v;
          std::memcpy(&v, p + 8 * i, 8);
          dest.push_back(v);
        }
      }
    }
  }

  const ColumnReadContext& ctx_;
  std::string where_;       // "<file>: column 'x', row group g"
  std::string page_where_;  // where_ + ", page at byte p"
  const ColumnMetaData& meta_;
  int64_t num_rows_;
  int64_t first_row_;
  std::vector<T>& out_;
  std::vector<T> dictionary_;
  std::vector<size_t> dictionary_bad_byte_;  // per string entry: 0, or 1 + its first bad byte
  bool have_dictionary_ = false;
  int64_t values_done_ = 0;
  std::vector<uint8_t> scratch_;  // decompressed page bytes
};

}  // namespace

template <typename T>
void read_column_chunk(const ColumnReadContext& context, const ColumnChunk& chunk, size_t row_group,
                       int64_t num_rows, int64_t first_row, std::vector<T>& out) {
  std::string where = cat(context.where, ", row group ", row_group);
  if (chunk.encrypted) throw Error(cat(where, ": the column is encrypted, which is not supported"));
  if (chunk.file_path && !chunk.file_path->empty()) {
    throw Error(cat(where, ": the column's data is in another file ('", *chunk.file_path,
                    "'), which is not supported"));
  }
  if (!chunk.meta_data) throw Error(cat(where, ": the column chunk has no metadata"));
  ChunkReader<T>(context, *chunk.meta_data, row_group, num_rows, first_row, out).run();
}

template void read_column_chunk<std::string>(const ColumnReadContext&, const ColumnChunk&, size_t,
                                             int64_t, int64_t, std::vector<std::string>&);
template void read_column_chunk<int64_t>(const ColumnReadContext&, const ColumnChunk&, size_t,
                                         int64_t, int64_t, std::vector<int64_t>&);
template void read_column_chunk<double>(const ColumnReadContext&, const ColumnChunk&, size_t,
                                        int64_t, int64_t, std::vector<double>&);

}  // namespace finetune::parquet
