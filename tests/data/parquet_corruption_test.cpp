// Valid pyarrow-written files, corrupted: truncated at every 97th byte, a byte of the footer
// flipped, a page header's size replaced by a huge one, the magic changed, random bytes changed
// anywhere. The reader must answer each with finetune::Error (or, for a change that leaves the
// file meaningful, such as a flipped byte inside a statistic or a text, a successful read), and
// never crash, hang or throw anything else. Built with the sanitizers (docs/data.md) these tests
// also catch out-of-bounds reads that happen not to crash.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "data/parquet/file.h"
#include "data_test_util.h"

namespace finetune::testing {
namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Reads every flat column of an open file.
void read_all(const ParquetFile& file) {
  for (const auto& column : file.columns()) {
    if (column.nested) continue;
    if (column.type == parquet::PhysicalType::kByteArray) {
      file.read_strings(column.name);
    } else if (column.type == parquet::PhysicalType::kFloat ||
               column.type == parquet::PhysicalType::kDouble) {
      file.read_double(column.name);
    } else {
      file.read_int64(column.name);
    }
  }
}

// Opens (from disk, or from memory when `bytes` is given) and reads every flat column. Returns
// true on success, false on finetune::Error; anything else fails the test.
bool reads(const std::filesystem::path& path, const std::string* bytes = nullptr) {
  try {
    if (bytes != nullptr) {
      read_all(ParquetFile(*bytes, path));
    } else {
      read_all(ParquetFile(path));
    }
    return true;
  } catch (const Error&) {
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": not a finetune::Error: " << e.what();
    return false;
  }
}

// The in-memory form, used where thousands of variants are tried (no disk traffic).
bool reads_bytes(const std::string& bytes, const std::string& name) {
  return reads(name, &bytes);
}

uint32_t footer_length(const std::string& bytes) {
  uint32_t length;
  std::memcpy(&length, bytes.data() + bytes.size() - 8, 4);
  return length;
}

// Files with different codecs, encodings and page versions, so corruption reaches each decoder.
const char* const kVictims[] = {"plain_none_v1.parquet", "dict_snappy_v1.parquet",
                                "dict_zstd_v2.parquet",  "plain_snappy_v2.parquet",
                                "dict_gzip_v1.parquet",  "many_pages_v1.parquet",
                                "label_bool.parquet",    "numbers_dict_v2.parquet"};

TEST(ParquetCorruption, VictimsAreValid) {
  for (const char* name : kVictims) {
    EXPECT_TRUE(reads(parquet_fixture(name))) << name;
    EXPECT_TRUE(reads_bytes(slurp(parquet_fixture(name)), name)) << name;
  }
}

TEST(ParquetCorruption, InMemoryAndMappedFilesReadTheSame) {
  const std::string bytes = slurp(parquet_fixture("many_pages_v1.parquet"));
  ParquetFile memory(bytes, "memory.parquet");
  ParquetFile mapped(parquet_fixture("many_pages_v1.parquet"));
  EXPECT_EQ(memory.read_strings("text"), mapped.read_strings("text"));
  EXPECT_EQ(memory.read_int64("label"), mapped.read_int64("label"));
  EXPECT_EQ(memory.path(), "memory.parquet");
  std::string message = error_of([] { ParquetFile bad(std::string("PAR1"), "in-memory"); });
  EXPECT_NE(message.find("in-memory: not a Parquet file"), std::string::npos) << message;
}

TEST(ParquetCorruption, TruncationAtEvery97thByteIsAnError) {
  TempDir dir("parquet-truncate");
  for (const char* name : kVictims) {
    const std::string bytes = slurp(parquet_fixture(name));
    for (size_t length = 0; length < bytes.size(); length += 97) {
      auto path = dir.write("t.parquet", bytes.substr(0, length));
      EXPECT_FALSE(reads(path)) << name << " truncated to " << length << " bytes was accepted";
    }
  }
}

TEST(ParquetCorruption, DataCutOutUnderAnIntactFooterIsAnError) {
  // Keep the footer (so the magic and footer length are right) but drop column data from the
  // middle: every offset after the cut is now wrong.
  TempDir dir("parquet-cut");
  for (const char* name : kVictims) {
    const std::string bytes = slurp(parquet_fixture(name));
    const size_t footer_start = bytes.size() - 8 - footer_length(bytes);
    for (size_t cut = 4; cut < footer_start; cut += 97) {
      auto path = dir.write("c.parquet", bytes.substr(0, cut) + bytes.substr(footer_start));
      EXPECT_FALSE(reads(path)) << name << " with data cut at " << cut << " was accepted";
    }
  }
}

TEST(ParquetCorruption, FlippedFooterBytesNeverCrash) {
  size_t errors = 0, total = 0;
  for (const char* name : kVictims) {
    const std::string bytes = slurp(parquet_fixture(name));
    const size_t footer_start = bytes.size() - 8 - footer_length(bytes);
    for (size_t i = footer_start; i < bytes.size() - 4; ++i) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
        std::string corrupt = bytes;
        corrupt[i] = static_cast<char>(corrupt[i] ^ mask);
        ++total;
        if (!reads_bytes(corrupt, name)) ++errors;
      }
    }
  }
  // Many flips break the footer's structure; many others land in statistics, the Arrow schema
  // or the datasets metadata, which the reader skips (about 30% are errors with these files).
  // Either answer is fine; crashing or another exception type is not.
  EXPECT_GT(errors, total / 5) << errors << " of " << total;
}

TEST(ParquetCorruption, RandomByteChangesAnywhereNeverCrash) {
  std::mt19937 random(12345);  // fixed seed: the same cases every run
  size_t errors = 0, total = 0;
  for (const char* name : kVictims) {
    const std::string bytes = slurp(parquet_fixture(name));
    std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
    std::uniform_int_distribution<int> value(0, 255), count(1, 4);
    for (int trial = 0; trial < 2000; ++trial) {
      std::string corrupt = bytes;
      for (int k = count(random); k > 0; --k) {
        corrupt[position(random)] = static_cast<char>(value(random));
      }
      ++total;
      if (!reads_bytes(corrupt, name)) ++errors;
    }
  }
  EXPECT_GT(errors, 0u) << total;
}

// The byte span of the varint holding field `field_id` of the page header at `offset` (the first
// three fields of a PageHeader are i32s: type, uncompressed size, compressed size).
std::pair<size_t, size_t> page_header_field(const std::string& bytes, size_t offset, int field_id) {
  size_t pos = offset;
  for (int id = 1;; ++id) {
    EXPECT_EQ(static_cast<uint8_t>(bytes[pos]), 0x15) << "expected an i32 field header";
    ++pos;
    size_t start = pos;
    while (static_cast<uint8_t>(bytes[pos]) & 0x80) ++pos;
    ++pos;
    if (id == field_id) return {start, pos - start};
  }
}

std::string zigzag_varint(int64_t value) {
  uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

TEST(ParquetCorruption, PageHeaderClaimingAHugeSize) {
  // The first page of the first column starts at byte 4. Its size fields are replaced (the file
  // after them shifts, but the first page is read first and must be refused on its own).
  TempDir dir("parquet-huge");
  for (const char* name : {"plain_none_v1.parquet", "dict_snappy_v1.parquet",
                           "dict_zstd_v2.parquet", "dict_gzip_v1.parquet"}) {
    const std::string bytes = slurp(parquet_fixture(name));
    for (int field : {2, 3}) {  // uncompressed_page_size, compressed_page_size
      for (int64_t size : {int64_t{2147483647}, int64_t{1} << 28, int64_t{-1}}) {
        auto [start, length] = page_header_field(bytes, 4, field);
        std::string corrupt = bytes;
        corrupt.replace(start, length, zigzag_varint(size));
        auto path = dir.write("h.parquet", corrupt);
        std::string message = error_of([&] {
          ParquetFile file(path);
          file.read_strings("text");
        });
        EXPECT_NE(message.find("page at byte 4"), std::string::npos)
            << name << " field " << field << " = " << size << ": " << message;
      }
    }
  }
}

TEST(ParquetCorruption, WrongMagicIsAnError) {
  TempDir dir("parquet-magic");
  const std::string bytes = slurp(parquet_fixture("dict_snappy_v1.parquet"));
  for (size_t at : {size_t{0}, size_t{3}, bytes.size() - 4, bytes.size() - 1}) {
    std::string corrupt = bytes;
    corrupt[at] = 'X';
    auto path = dir.write("m.parquet", corrupt);
    std::string message = error_of([&] { ParquetFile file(path); });
    EXPECT_NE(message.find("PAR1"), std::string::npos) << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  }
  // Not Parquet at all.
  auto path = dir.write("text.parquet", "i feel fine;joy\ni feel sad;sadness\n");
  EXPECT_NE(error_of([&] { ParquetFile file(path); }).find("not a Parquet file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ParquetFile file(dir.path() / "missing.parquet"); }).find("missing"),
            std::string::npos);
}

}  // namespace
}  // namespace finetune::testing
