// The Parquet reader against pyarrow: every fixture written by tools/make_parquet_fixtures.py is
// read column by column and compared with what pyarrow read back from it (expected.json): column
// list, types, nullability, nested flags, every value, and the errors for nulls, nested columns
// and invalid UTF-8. The fixtures cover plain and dictionary encodings (PLAIN_DICTIONARY and
// RLE_DICTIONARY), UNCOMPRESSED/SNAPPY/GZIP/ZSTD, data pages v1 and v2, several row groups, many
// small pages with a dictionary-to-plain fallback, required and optional columns, and labels of
// types INT32, INT64, BOOLEAN (PLAIN and RLE) and strings.
#include <gtest/gtest.h>

#include "data/parquet/file.h"
#include "data_test_util.h"
#include "io/json.h"

namespace finetune::testing {
namespace {

const Json& expected_all() {
  static const Json doc = parse_json_file(parquet_fixture("expected.json"));
  return doc;
}

const Json& expected_for(const std::string& name) {
  const Json& all = expected_all();
  EXPECT_TRUE(all.contains(name)) << name << " is not in expected.json (rerun the script)";
  return all.at(name);
}

// Reads every readable column of `name` and compares with pyarrow's values.
void check_fixture(const std::string& name) {
  SCOPED_TRACE(name);
  const Json& expected = expected_for(name);
  ParquetFile file(parquet_fixture(name));
  EXPECT_EQ(file.num_rows(), expected["num_rows"].get<int64_t>());
  EXPECT_EQ(file.num_row_groups(), expected["row_groups"].get<size_t>());
  ASSERT_EQ(file.columns().size(), expected["columns"].size());
  for (size_t i = 0; i < file.columns().size(); ++i) {
    const ParquetColumn& column = file.columns()[i];
    const Json& want = expected["columns"][i];
    SCOPED_TRACE(column.name);
    EXPECT_EQ(column.name, want["name"].get<std::string>());
    EXPECT_EQ(column.nested, want["nested"].get<bool>());
    EXPECT_EQ(column.optional, want["optional"].get<bool>());
    if (!column.nested) {
      EXPECT_EQ(parquet::physical_type_name(static_cast<int32_t>(column.type)),
                want["physical_type"].get<std::string>());
    }
  }
  for (const auto& [column_name, values] : expected["values"].items()) {
    SCOPED_TRACE(column_name);
    const ParquetColumn& column = file.column(column_name);
    using parquet::PhysicalType;
    if (column.type == PhysicalType::kByteArray) {
      EXPECT_EQ(file.read_strings(column_name), values.get<std::vector<std::string>>());
    } else if (column.type == PhysicalType::kFloat || column.type == PhysicalType::kDouble) {
      EXPECT_EQ(file.read_double(column_name), values.get<std::vector<double>>());
    } else if (column.type == PhysicalType::kBoolean) {
      std::vector<int64_t> want;
      for (const Json& v : values) want.push_back(v.get<bool>() ? 1 : 0);
      EXPECT_EQ(file.read_int64(column_name), want);
    } else {
      EXPECT_EQ(file.read_int64(column_name), values.get<std::vector<int64_t>>());
    }
  }
  if (expected.contains("errors")) {
    for (const auto& [key, substring] : expected["errors"].items()) {
      const std::string column_name =
          key;  // a named copy: lambdas cannot capture bindings in clang 14
      SCOPED_TRACE(column_name);
      std::string message = error_of([&] { file.read_strings(column_name); });
      if (file.column(column_name).type != parquet::PhysicalType::kByteArray &&
          !file.column(column_name).nested) {
        message = error_of([&] { file.read_int64(column_name); });
      }
      EXPECT_NE(message.find(substring.get<std::string>()), std::string::npos) << message;
      EXPECT_NE(message.find(name), std::string::npos) << message;  // names the file
      EXPECT_NE(message.find("column '" + column_name + "'"), std::string::npos) << message;
    }
  }
}

TEST(ParquetFixtures, AllFixturesAreCovered) {
  // Every committed file has an expected entry and vice versa, so no fixture goes unchecked.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test_data_dir() / "parquet")) {
    if (entry.path().extension() != ".parquet") continue;
    ++files;
    EXPECT_TRUE(expected_all().contains(entry.path().filename().string())) << entry.path();
  }
  EXPECT_EQ(files, expected_all().size());
  EXPECT_GE(files, 20u);
}

TEST(ParquetFixtures, PlainUncompressedV1) {
  check_fixture("plain_none_v1.parquet");
}
TEST(ParquetFixtures, PlainUncompressedV2) {
  check_fixture("plain_none_v2.parquet");
}
TEST(ParquetFixtures, PlainDictionarySnappyV1) {
  check_fixture("dict_snappy_v1.parquet");
}
TEST(ParquetFixtures, RleDictionaryZstdV2) {
  check_fixture("dict_zstd_v2.parquet");
}
TEST(ParquetFixtures, PlainSnappyV2) {
  check_fixture("plain_snappy_v2.parquet");
}
TEST(ParquetFixtures, DictionaryGzipV1) {
  check_fixture("dict_gzip_v1.parquet");
}
TEST(ParquetFixtures, PlainZstdV2) {
  check_fixture("plain_zstd_v2.parquet");
}
TEST(ParquetFixtures, ManyPagesAndRowGroupsV1) {
  check_fixture("many_pages_v1.parquet");
}
TEST(ParquetFixtures, ManyPagesAndRowGroupsV2) {
  check_fixture("many_pages_v2.parquet");
}
TEST(ParquetFixtures, RequiredColumnsV1) {
  check_fixture("required_v1.parquet");
}
TEST(ParquetFixtures, RequiredColumnsV2) {
  check_fixture("required_v2.parquet");
}
TEST(ParquetFixtures, NullLabelIsAnErrorNamingTheRow) {
  check_fixture("null_label_v1.parquet");
}
TEST(ParquetFixtures, NullTextInLaterRowGroup) {
  check_fixture("null_text_v2.parquet");
}
TEST(ParquetFixtures, Int32Labels) {
  check_fixture("label_int32.parquet");
}
TEST(ParquetFixtures, BoolLabelsRleV2) {
  check_fixture("label_bool.parquet");
}
TEST(ParquetFixtures, BoolLabelsPlainV1) {
  check_fixture("label_bool_v1.parquet");
}
TEST(ParquetFixtures, StringLabels) {
  check_fixture("label_string.parquet");
}
TEST(ParquetFixtures, NumbersPlainV1) {
  check_fixture("numbers_plain_v1.parquet");
}
TEST(ParquetFixtures, NumbersDictionaryV2) {
  check_fixture("numbers_dict_v2.parquet");
}
TEST(ParquetFixtures, ClassLabelMetadata) {
  check_fixture("classlabel.parquet");
}
TEST(ParquetFixtures, ValueLabelMetadata) {
  check_fixture("hf_value_label.parquet");
}
TEST(ParquetFixtures, NestedColumnsListedNotReadable) {
  check_fixture("nested.parquet");
}
TEST(ParquetFixtures, BinaryColumnWithInvalidUtf8) {
  check_fixture("binary_invalid_utf8.parquet");
  check_fixture("binary_invalid_utf8_plain.parquet");
}
TEST(ParquetFixtures, EmptyFile) {
  check_fixture("empty.parquet");
}

TEST(ParquetFixtures, TextsIncludeNonAsciiAndEmptyStrings) {
  // The fixtures would not test much if the generator lost its hard strings.
  ParquetFile file(parquet_fixture("dict_zstd_v2.parquet"));
  auto texts = file.read_strings("text");
  ASSERT_GE(texts.size(), 10u);
  EXPECT_EQ(texts[1], "");
  EXPECT_EQ(texts[2], "caf\xC3\xA9 au lait \xE2\x98\x95");
  EXPECT_EQ(texts[5], "emoji \xF0\x9F\x98\x80 party");
  EXPECT_EQ(texts[8], "new\nline");
}

TEST(ParquetFixtures, ClassLabelNamesFromHuggingFaceMetadata) {
  ParquetFile file(parquet_fixture("classlabel.parquet"));
  auto names = huggingface_class_names(file, "label");
  ASSERT_TRUE(names.has_value());
  EXPECT_EQ(*names, (std::vector<std::string>{"negative", "neutral", "positive"}));
  EXPECT_FALSE(huggingface_class_names(file, "text").has_value());  // a Value, not a ClassLabel
  EXPECT_TRUE(file.metadata_value("huggingface").has_value());

  ParquetFile value(parquet_fixture("hf_value_label.parquet"));
  EXPECT_FALSE(huggingface_class_names(value, "label").has_value());
  ParquetFile none(parquet_fixture("plain_none_v1.parquet"));
  EXPECT_FALSE(huggingface_class_names(none, "label").has_value());
}

TEST(ParquetFixtures, MaxRowsStopsEarly) {
  ParquetFile file(parquet_fixture("many_pages_v2.parquet"));
  auto all = file.read_strings("text");
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{59}, size_t{60}, size_t{1000}}) {
    auto some = file.read_strings("text", n);
    ASSERT_EQ(some.size(), std::min(n, all.size()));
    EXPECT_TRUE(std::equal(some.begin(), some.end(), all.begin()));
  }
}

TEST(ParquetFixtures, WrongTypeAndMissingColumnErrors) {
  ParquetFile file(parquet_fixture("numbers_plain_v1.parquet"));
  std::string message = error_of([&] { file.read_strings("i32"); });
  EXPECT_NE(message.find("column 'i32' has type INT32; expected a string column"),
            std::string::npos)
      << message;
  message = error_of([&] { file.read_int64("f64"); });
  EXPECT_NE(message.find("has type DOUBLE; expected an integer column"), std::string::npos)
      << message;
  message = error_of([&] { file.read_double("i64"); });
  EXPECT_NE(message.find("expected a floating-point column"), std::string::npos) << message;
  message = error_of([&] { file.read_int64("nope"); });
  EXPECT_NE(message.find("no column 'nope' (columns: 'i32', 'i64', 'f32', 'f64', 'flag')"),
            std::string::npos)
      << message;
}

TEST(ParquetFixtures, ColumnsReportStringAnnotation) {
  ParquetFile text(parquet_fixture("plain_none_v1.parquet"));
  EXPECT_TRUE(text.column("text").is_string);
  EXPECT_FALSE(text.column("label").is_string);
  ParquetFile binary(parquet_fixture("binary_invalid_utf8.parquet"));
  EXPECT_FALSE(binary.column("text").is_string);  // pa.binary(): no UTF8 annotation
}

}  // namespace
}  // namespace finetune::testing
