// Hand-built Parquet files (parquet_builder.h) that each contain one specific lie or unsupported
// feature, and the Error the reader must give for it: it names the file and the problem, and
// nothing is allocated on the word of a lying count.
#include <gtest/gtest.h>

#include <limits>

#include "data/parquet/file.h"
#include "data_test_util.h"
#include "parquet_builder.h"

namespace finetune::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Reads every flat column of the file with the read call its type allows.
void read_everything(const std::filesystem::path& path) {
  ParquetFile file(path);
  for (const auto& column : file.columns()) {
    if (column.nested) continue;
    switch (column.type) {
      case parquet::PhysicalType::kByteArray:
        file.read_strings(column.name);
        break;
      case parquet::PhysicalType::kFloat:
      case parquet::PhysicalType::kDouble:
        file.read_double(column.name);
        break;
      default:
        file.read_int64(column.name);
        break;
    }
  }
}

class ParquetCrafted : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& bytes) {
    return dir_.write("f" + std::to_string(count_++) + ".parquet", bytes);
  }
  // The Error from reading all of a file built from `spec`.
  std::string error(const FileSpec& spec) {
    auto path = write(build_parquet(spec));
    std::string message = error_of([&] { read_everything(path); });
    EXPECT_TRUE(contains(message, path.string())) << "message does not name the file: " << message;
    return message;
  }

  TempDir dir_{"parquet-crafted"};
  int count_ = 0;
};

TEST_F(ParquetCrafted, BuilderMakesReadableFiles) {
  // The builder and the reader agree on a valid file (plain v1 strings, RLE_DICTIONARY ints).
  auto path = write(build_parquet(simple_file({"a", "bb", ""}, {7, 8, 9})));
  ParquetFile file(path);
  EXPECT_EQ(file.read_strings("text"), (std::vector<std::string>{"a", "bb", ""}));
  EXPECT_EQ(file.read_int64("label"), (std::vector<int64_t>{7, 8, 9}));
}

TEST_F(ParquetCrafted, HugeRunClaimsAreCutToThePageCount) {
  // One RLE run claims 2^31 - 1 values; the page has 3. Only 3 are produced, at once.
  FileSpec spec = simple_file({"a", "b", "c"}, {5});
  PageSpec indices;
  indices.num_values = 3;
  indices.encoding = 8;
  const uint64_t huge = (uint64_t{1} << 31) - 1;  // the largest run a 32-bit header allows
  indices.body = all_present_v1(huge) + "\x01" + rle_run(huge, 0, 1);
  spec.columns[1].pages[1] = page(indices);
  ParquetFile file(write(build_parquet(spec)));
  EXPECT_EQ(file.read_int64("label"), (std::vector<int64_t>{5, 5, 5}));
}

TEST_F(ParquetCrafted, UnsupportedEncodingsAreNamed) {
  FileSpec spec = simple_file({"a"}, {1});
  PageSpec data;
  data.num_values = 1;
  data.encoding = 5;  // DELTA_BINARY_PACKED
  data.body = all_present_v1(1) + "\x80\x01\x04\x01\x02";
  spec.columns[0].pages[0] = page(data);
  std::string message = error(spec);
  EXPECT_TRUE(contains(message, "column 'text'")) << message;
  EXPECT_TRUE(contains(message, "DELTA_BINARY_PACKED")) << message;

  data.encoding = 9;  // BYTE_STREAM_SPLIT
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "BYTE_STREAM_SPLIT"));

  data.encoding = 3;  // RLE is for booleans only
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "values use encoding RLE"));

  data.encoding = 0;
  data.definition_level_encoding = 4;  // BIT_PACKED levels (deprecated)
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "definition levels use encoding BIT_PACKED"));
}

TEST_F(ParquetCrafted, UnsupportedCodecsAreNamed) {
  for (auto [codec, name] :
       {std::pair{3, "LZO"}, {4, "BROTLI"}, {5, "LZ4"}, {7, "LZ4_RAW"}, {99, "codec 99"}}) {
    FileSpec spec = simple_file({"a"}, {1});
    spec.columns[0].codec = codec;
    std::string message = error(spec);
    EXPECT_TRUE(contains(message, std::string("unsupported compression codec ") + name)) << message;
  }
}

TEST_F(ParquetCrafted, CorruptCompressedDataIsAnError) {
  for (int codec : {1, 2, 6}) {  // SNAPPY, GZIP, ZSTD with garbage bodies
    FileSpec spec = simple_file({"abc"}, {1});
    PageSpec data;
    data.num_values = 1;
    data.body = std::string(40, '\x7f');
    data.uncompressed_size = 64;
    spec.columns[0].codec = codec;
    spec.columns[0].pages[0] = page(data);
    std::string message = error(spec);
    EXPECT_TRUE(contains(message, "page at byte 4")) << message;
  }
}

TEST_F(ParquetCrafted, LyingPageSizes) {
  FileSpec spec = simple_file({"abc", "de"}, {1});
  PageSpec data;
  data.num_values = 2;
  data.body = all_present_v1(2) + plain_strings({"abc", "de"});
  // Larger than the column chunk.
  data.compressed_size = std::numeric_limits<int32_t>::max();
  spec.columns[0].pages[0] = page(data);
  std::string message = error(spec);
  EXPECT_TRUE(contains(message, "the page claims 2147483647 bytes")) << message;
  // Negative.
  data.compressed_size = -5;
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "negative page size"));
  // Uncompressed size that disagrees with an uncompressed body.
  data.compressed_size.reset();
  data.uncompressed_size = 3;
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "its header says 3"));
  // A snappy page claiming 2 GiB from a few bytes: refused before any allocation.
  spec.columns[0].codec = 1;
  data.uncompressed_size = std::numeric_limits<int32_t>::max();
  spec.columns[0].pages[0] = page(data);
  message = error(spec);
  EXPECT_TRUE(contains(message, "claims 2147483647 uncompressed bytes")) << message;
  // A 70 KB zstd page claiming 2 GiB: within zstd's possible expansion, but beyond what this
  // file can plausibly decode to (64 MiB + 64 x its size); refused before allocating.
  for (const std::string& body :
       {std::string(70'000, '\x7f'), std::string("\x28\xb5\x2f\xfd") + std::string(70'000, '\0')}) {
    FileSpec zstd = simple_file({"abc"}, {1});
    PageSpec big;
    big.num_values = 1;
    big.body = body;
    big.uncompressed_size = std::numeric_limits<int32_t>::max();
    zstd.columns[0].codec = 6;
    zstd.columns[0].pages[0] = page(big);
    message = error(zstd);
    EXPECT_TRUE(contains(message, "more than this file can plausibly hold")) << message;
  }
  // A zstd frame whose header states a size other than the page header's.
  FileSpec frame = simple_file({"abc"}, {1});
  PageSpec framed;
  framed.num_values = 1;
  // Magic, frame header descriptor 0x20 (single segment, 1-byte content size), size 9.
  framed.body = std::string("\x28\xb5\x2f\xfd\x20\x09", 6) + std::string(12, '\0');
  framed.uncompressed_size = 12;
  frame.columns[0].codec = 6;
  frame.columns[0].pages[0] = page(framed);
  message = error(frame);
  EXPECT_TRUE(contains(message, "zstd frame holds 9 bytes but the page header says 12")) << message;
  // An i32 field holding a value that does not fit in 32 bits.
  data.uncompressed_size = int64_t{1} << 40;
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "i32 value 1099511627776 out of range"));
}

TEST_F(ParquetCrafted, LyingValueCounts) {
  FileSpec spec = simple_file({"abc", "de"}, {1});
  PageSpec data;
  data.body = all_present_v1(2) + plain_strings({"abc", "de"});
  data.num_values = 3;  // more than the chunk holds
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "the page holds 3 values but 2 remain"));
  data.num_values = 1;  // fewer: the chunk runs out of pages
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "the column chunk ends after 1 of 2 values"));
  // A PLAIN string whose length runs past the page.
  data.num_values = 2;
  data.body = all_present_v1(2) + le32(3) + "abc" + le32(1000) + "de";
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "value 1 claims 1000 bytes"));
  // Definition levels longer than the page.
  data.body = le32(1000) + "\x04\x01";
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "definition levels claim 1000 bytes"));
  // Definition levels that end early.
  data.body = le32(2) + rle_run(1, 1, 1) + plain_strings({"abc", "de"});
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "definition levels: "));
  // A definition level above the maximum of a flat optional column.
  data.body = le32(2) + rle_run(2, 3, 2) + plain_strings({"abc", "de"});
  spec.columns[0].pages[0] = page(data);
  EXPECT_TRUE(contains(error(spec), "definition level 3 exceeds the maximum 1"));
}

TEST_F(ParquetCrafted, DictionaryProblems) {
  FileSpec spec = simple_file({"a", "b"}, {1, 2});
  // Index past the dictionary.
  PageSpec indices;
  indices.num_values = 2;
  indices.encoding = 8;
  indices.body = all_present_v1(2) + "\x02" + rle_run(2, 3, 2);
  spec.columns[1].pages[1] = page(indices);
  EXPECT_TRUE(contains(error(spec), "dictionary index 3 is out of range (the dictionary has 2"));
  // Bit width above 32.
  indices.body = all_present_v1(2) + "\x21" + rle_run(2, 0, 8);
  spec.columns[1].pages[1] = page(indices);
  EXPECT_TRUE(contains(error(spec), "bit width 33 exceeds 32"));
  // No dictionary page at all.
  FileSpec no_dict = simple_file({"a", "b"}, {1, 2});
  indices.body = all_present_v1(2) + "\x01" + rle_run(2, 0, 1);
  no_dict.columns[1].pages = {page(indices)};
  no_dict.columns[1].dictionary_first = false;
  EXPECT_TRUE(contains(error(no_dict), "without a dictionary page"));
  // Two dictionary pages.
  FileSpec twice = simple_file({"a", "b"}, {1, 2});
  twice.columns[1].pages.insert(twice.columns[1].pages.begin() + 1, twice.columns[1].pages[0]);
  EXPECT_TRUE(contains(error(twice), "a second dictionary page"));
  // A dictionary claiming more entries than its bytes can hold.
  FileSpec big = simple_file({"a", "b"}, {1, 2});
  PageSpec dict;
  dict.type = 2;
  dict.num_values = 1'000'000'000;
  dict.body = plain_int64({1, 2});
  big.columns[1].pages[0] = page(dict);
  EXPECT_TRUE(contains(error(big), "1000000000 PLAIN INT64 values cannot fit in 16 bytes"));
}

TEST_F(ParquetCrafted, DataPageV2Problems) {
  FileSpec spec = simple_file({"a", "b"}, {1});
  PageSpec v2;
  v2.type = 3;
  v2.num_values = 2;
  std::string levels = rle_run(2, 1, 1);
  v2.definition_levels_length = static_cast<int64_t>(levels.size());
  v2.body = levels + plain_strings({"a", "b"});
  spec.columns[0].pages[0] = page(v2);
  {
    ParquetFile file(write(build_parquet(spec)));
    EXPECT_EQ(file.read_strings("text"), (std::vector<std::string>{"a", "b"}));
  }
  v2.num_nulls = 1;  // the header says one null, the levels say none
  spec.columns[0].pages[0] = page(v2);
  EXPECT_TRUE(contains(error(spec), "counts 1 nulls but the definition levels have none"));
  v2.num_nulls = 0;
  v2.repetition_levels_length = 1;
  spec.columns[0].pages[0] = page(v2);
  EXPECT_TRUE(contains(error(spec), "repetition levels"));
  v2.repetition_levels_length = 0;
  v2.definition_levels_length = 10'000;
  spec.columns[0].pages[0] = page(v2);
  EXPECT_TRUE(contains(error(spec), "definition levels claim 10000 bytes"));
  // A null in a v2 page, named by row.
  v2.definition_levels_length = 2;
  v2.num_nulls = 1;
  // Levels as one bit-packed group (header 3) of byte 0b01: row 0 present, row 1 null.
  v2.body = std::string("\x03\x01", 2) + plain_strings({"a"});
  spec.columns[0].pages[0] = page(v2);
  EXPECT_TRUE(contains(error(spec), "column 'text': row 1 is null"));
}

TEST_F(ParquetCrafted, FooterProblems) {
  FileSpec spec = simple_file({"a"}, {1});
  spec.footer_num_rows = int64_t{1} << 40;
  EXPECT_TRUE(contains(error(spec), "more than a file of this size can hold"));
  spec.footer_num_rows = 5;
  EXPECT_TRUE(contains(error(spec), "row group 0 claims 1 rows, inconsistent with the file's 5") ||
              contains(error(spec), "the row groups hold 1 rows but the footer says 5"));
  spec.footer_num_rows = -1;
  EXPECT_TRUE(contains(error(spec), "claims -1 rows"));

  FileSpec counts = simple_file({"a"}, {1});
  counts.columns[0].num_values = 2;
  EXPECT_TRUE(contains(error(counts), "holds 2 values but the row group has 1 rows"));

  FileSpec magic = simple_file({"a"}, {1});
  magic.head_magic = "PAR2";
  EXPECT_TRUE(contains(error(magic), "does not start with 'PAR1'"));
  magic.head_magic = "PARE";
  EXPECT_TRUE(contains(error(magic), "encrypted Parquet files are not supported"));
  magic.head_magic = "PAR1";
  magic.tail_magic = "PARE";
  EXPECT_TRUE(contains(error(magic), "encrypted"));
  magic.tail_magic = "1RAP";
  EXPECT_TRUE(contains(error(magic), "does not end with 'PAR1'"));
}

TEST_F(ParquetCrafted, LyingFooterLength) {
  std::string bytes = build_parquet(simple_file({"a"}, {1}));
  // Footer length (the 4 bytes before the tail magic) larger than the file.
  std::string big = bytes;
  std::string len = le32(0x7fffffff);
  big.replace(big.size() - 8, 4, len);
  auto path = write(big);
  EXPECT_TRUE(contains(error_of([&] { ParquetFile f(path); }), "the footer claims 2147483647"));
  // Footer length too small: the footer is cut and parses as garbage.
  std::string small = bytes;
  small.replace(small.size() - 8, 4, le32(3));
  path = write(small);
  EXPECT_FALSE(error_of([&] { read_everything(path); }).empty());
  // Files too small to be Parquet.
  for (const std::string& tiny : {std::string(), std::string("PAR1"), std::string("PAR1PAR1"),
                                  std::string("PAR1\0\0\0\0PAR1", 12)}) {
    path = write(tiny);
    EXPECT_FALSE(error_of([&] { read_everything(path); }).empty()) << tiny.size();
  }
}

TEST_F(ParquetCrafted, ThriftProblems) {
  // A footer whose schema list claims 2^31 elements in a few bytes.
  std::string bytes = build_parquet(simple_file({"a"}, {1}));
  ThriftWriter w;
  w.i32(1, 1);
  w.list(2, kTStruct, uint64_t{1} << 31);
  w.end();
  std::string file = "PAR1" + w.bytes + le32(static_cast<uint32_t>(w.bytes.size())) + "PAR1";
  auto path = write(file);
  std::string message = error_of([&] { ParquetFile f(path); });
  EXPECT_TRUE(contains(message, "list of 2147483648 elements cannot fit")) << message;

  // An unknown field nesting structs 100 deep (skipping recurses; the depth is bounded).
  ThriftWriter deep;
  deep.i32(1, 1);
  for (int i = 0; i < 100; ++i) deep.begin_struct(20);
  for (int i = 0; i < 100; ++i) deep.end_struct();
  deep.end();
  file = "PAR1" + deep.bytes + le32(static_cast<uint32_t>(deep.bytes.size())) + "PAR1";
  path = write(file);
  message = error_of([&] { ParquetFile f(path); });
  EXPECT_TRUE(contains(message, "nested deeper than")) << message;

  // A varint of 11 bytes.
  std::string varint = "\x15" + std::string(10, '\xff') + "\x01";
  file = "PAR1" + varint + le32(static_cast<uint32_t>(varint.size())) + "PAR1";
  path = write(file);
  message = error_of([&] { ParquetFile f(path); });
  EXPECT_TRUE(contains(message, "varint")) << message;

  // A required field missing (no schema).
  ThriftWriter missing;
  missing.i32(1, 1);
  missing.i64(3, 0);
  missing.list(4, kTStruct, 0);
  missing.end();
  file = "PAR1" + missing.bytes + le32(static_cast<uint32_t>(missing.bytes.size())) + "PAR1";
  path = write(file);
  message = error_of([&] { ParquetFile f(path); });
  EXPECT_TRUE(contains(message, "lacks its required field 'schema'")) << message;

  // A known field with the wrong wire type.
  ThriftWriter wrong;
  wrong.binary(1, "one");
  wrong.end();
  file = "PAR1" + wrong.bytes + le32(static_cast<uint32_t>(wrong.bytes.size())) + "PAR1";
  path = write(file);
  message = error_of([&] { ParquetFile f(path); });
  EXPECT_TRUE(contains(message, "field 'version' (id 1) has wire type binary, expected i32"))
      << message;
}

TEST_F(ParquetCrafted, SchemaProblems) {
  FileSpec spec = simple_file({"a"}, {1});
  spec.root_children = 5;  // more children than elements
  EXPECT_TRUE(contains(error(spec), "the schema root claims 5 columns"));
  spec.root_children = 1;  // fewer: elements left over
  EXPECT_TRUE(contains(error(spec), "the schema has 3 elements but its tree uses 2"));

  // A nested group beside flat columns: listed, not readable; its siblings still read.
  FileSpec nested = simple_file({"a"}, {1});
  ThriftWriter w;
  w.begin_element();  // optional group "group" with one child
  w.i32(3, 1);
  w.binary(4, "group");
  w.i32(5, 1);
  w.end_struct();
  w.begin_element();  // its leaf: optional int32 "inner"
  w.i32(1, 1);
  w.i32(3, 1);
  w.binary(4, "inner");
  w.end_struct();
  nested.extra_schema = w.bytes;
  nested.extra_schema_count = 2;
  ColumnSpec inner;  // the leaf's column chunk
  inner.name = "inner";
  inner.type = 1;  // INT32
  inner.in_schema = false;
  PageSpec data;
  data.num_values = 1;
  data.body = all_present_v1(1) + le32(42);
  inner.pages = {page(data)};
  nested.columns.push_back(inner);
  {
    ParquetFile file(write(build_parquet(nested)));
    ASSERT_EQ(file.columns().size(), 3u);
    EXPECT_TRUE(file.column("group").nested);
    EXPECT_EQ(file.read_strings("text"), std::vector<std::string>{"a"});
    EXPECT_EQ(file.read_int64("label"), std::vector<int64_t>{1});
    std::string message = error_of([&] { file.read_int64("group"); });
    EXPECT_TRUE(contains(message, "column 'group' is nested")) << message;
  }
  // A group claiming more children than the schema has elements, or than remain after it.
  for (auto [children, problem] : {std::pair{7, "schema element 'group' claims 7 children"},
                                   {2, "the schema ends inside column 'group'"}}) {
    FileSpec lying = nested;
    ThriftWriter g;
    g.begin_element();
    g.i32(3, 1);
    g.binary(4, "group");
    g.i32(5, children);
    g.end_struct();
    g.bytes += w.bytes.substr(g.bytes.size());  // the same leaf element after it
    lying.extra_schema = g.bytes;
    std::string message = error(lying);
    EXPECT_TRUE(contains(message, problem)) << message;
  }

  // Types the reader cannot return.
  FileSpec int96 = simple_file({"a"}, {1});
  int96.columns[1].type = 3;
  EXPECT_TRUE(contains(error_of([&] {
                         ParquetFile f(write(build_parquet(int96)));
                         f.read_int64("label");
                       }),
                       "has type INT96"));
  FileSpec fixed = simple_file({"a"}, {1});
  fixed.columns[0].type = 7;
  EXPECT_TRUE(contains(error_of([&] {
                         ParquetFile f(write(build_parquet(fixed)));
                         f.read_strings("text");
                       }),
                       "has type FIXED_LEN_BYTE_ARRAY"));
  FileSpec unknown = simple_file({"a"}, {1});
  unknown.columns[0].type = 42;
  EXPECT_TRUE(contains(error(unknown), "unknown physical type 42"));
}

TEST_F(ParquetCrafted, HuggingFaceMetadataProblems) {
  auto class_names_error = [&](const std::string& json) {
    FileSpec spec = simple_file({"a"}, {0});
    spec.metadata = {{"huggingface", json}};
    auto path = write(build_parquet(spec));
    return error_of([&] {
      ParquetFile file(path);
      huggingface_class_names(file, "label");
    });
  };
  EXPECT_TRUE(contains(class_names_error("{not json"), "footer metadata 'huggingface'"));
  EXPECT_TRUE(contains(class_names_error("{\"info\": 1e999}"), "invalid JSON"));
  const std::string label = "{\"info\": {\"features\": {\"label\": {\"_type\": \"ClassLabel\", ";
  EXPECT_TRUE(contains(class_names_error(label + "\"names\": 3}}}}"), "needs a list of names"));
  EXPECT_TRUE(contains(class_names_error(label + "\"names\": [\"a\", 1]}}}}"),
                       "expected strings, got an integer"));
  EXPECT_TRUE(contains(class_names_error(label + "\"names\": []}}}}"), "has no names"));
  // Shapes that simply carry no ClassLabel are not errors.
  for (std::string json : {"[]", "{\"info\": []}", "{\"info\": {\"features\": []}}",
                           "{\"info\": {\"features\": {\"label\": {\"_type\": \"Value\"}}}}"}) {
    FileSpec spec = simple_file({"a"}, {0});
    spec.metadata = {{"huggingface", json}};
    ParquetFile file(write(build_parquet(spec)));
    EXPECT_FALSE(huggingface_class_names(file, "label").has_value()) << json;
  }
}

TEST_F(ParquetCrafted, ColumnChunkOutsideTheFile) {
  FileSpec spec = simple_file({"a"}, {1});
  std::string bytes = build_parquet(spec);
  // Cut the column data out but keep the footer: every chunk now points past the data.
  size_t footer_len;
  std::memcpy(&footer_len, bytes.data() + bytes.size() - 8, 4);
  footer_len &= 0xffffffff;
  std::string cut = "PAR1" + bytes.substr(bytes.size() - 8 - footer_len);
  auto path = write(cut);
  std::string message = error_of([&] { read_everything(path); });
  EXPECT_TRUE(contains(message, "lie outside the file's column data")) << message;
}

}  // namespace
}  // namespace finetune::testing
