// The dataset readers per format (src/data/dataset.h): what each accepts, how labels are typed,
// and that every bad input gives an Error naming the file and the line (or row).
#include <gtest/gtest.h>

#include "data/dataset.h"
#include "data_test_util.h"

namespace finetune::testing {
namespace {

using Strings = std::vector<std::string>;
using Ids = std::vector<int64_t>;
using Positions = std::vector<int64_t>;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class DatasetFormats : public ::testing::Test {
 protected:
  Dataset read(const std::string& name, const std::string& content,
               const DatasetOptions& options = {}) {
    return read_dataset(dir_.write(name, content), options);
  }
  // The error for reading `content` as `name`; checks it names the file and `line`.
  std::string error(const std::string& name, const std::string& content, const std::string& where,
                    const DatasetOptions& options = {}) {
    auto path = dir_.write(name, content);
    std::string message = error_of([&] { read_dataset(path, options); });
    EXPECT_TRUE(contains(message, path.string() + where)) << message;
    return message;
  }
  TempDir dir_{"datasets"};
};

// --- .txt ---------------------------------------------------------------------------------------

TEST_F(DatasetFormats, TextSplitsOnTheLastSemicolon) {
  Dataset d = read("a.txt", "i feel good;joy\na;b;c;sadness\n;love\n");
  EXPECT_EQ(d.texts, (Strings{"i feel good", "a;b;c", ""}));
  EXPECT_EQ(d.label_kind, LabelKind::kNames);
  EXPECT_EQ(d.label_names, (Strings{"joy", "sadness", "love"}));
  EXPECT_EQ(d.positions, (Positions{1, 2, 3}));
  EXPECT_FALSE(d.positions_are_rows);
  EXPECT_EQ(d.where(1), dir_.path().string() + "/a.txt:2");
}

TEST_F(DatasetFormats, TextLineEnds) {
  // No final newline; CRLF; a UTF-8 byte-order mark.
  EXPECT_EQ(read("a.txt", "x;joy").label_names, Strings{"joy"});
  Dataset crlf = read("b.txt", "\xEF\xBB\xBFx;joy\r\ny;sad\r\n");
  EXPECT_EQ(crlf.texts, (Strings{"x", "y"}));
  EXPECT_EQ(crlf.label_names, (Strings{"joy", "sad"}));
}

TEST_F(DatasetFormats, TextErrors) {
  EXPECT_TRUE(contains(error("a.txt", "ok;joy\nno separator\n", ":2"), "no ';'"));
  EXPECT_TRUE(contains(error("a.txt", "ok;joy\n\nok;joy\n", ":2"), "no ';'"));  // empty line
  EXPECT_TRUE(contains(error("a.txt", "ok;joy\nok;\n", ":2"), "empty label"));
  EXPECT_TRUE(contains(error("a.txt", "ok;joy\nbad \xC3(;joy\n", ":2"), "invalid UTF-8 at byte 5"));
  EXPECT_TRUE(contains(error("a.txt", "", ""), "no examples"));
  EXPECT_TRUE(contains(error("a.txt", "\n", ":1"), "no ';'"));
}

TEST_F(DatasetFormats, TextNumericLabelsAreIds) {
  Dataset d = read("a.txt", "a;1\nb;0\nc;12\n");
  EXPECT_EQ(d.label_kind, LabelKind::kIds);
  EXPECT_EQ(d.label_ids, (Ids{1, 0, 12}));
  // One non-number keeps them all names.
  Dataset mixed = read("b.txt", "a;1\nb;x\n");
  EXPECT_EQ(mixed.label_kind, LabelKind::kNames);
  EXPECT_EQ(mixed.label_names, (Strings{"1", "x"}));
  EXPECT_EQ(read("c.txt", "a;-1\nb;1\n").label_kind, LabelKind::kNames);  // "-1" is a name
}

TEST_F(DatasetFormats, LimitKeepsTheFirstExamplesAndReadsNoFurther) {
  DatasetOptions options;
  options.limit = 2;
  // The bad third line is never reached.
  Dataset d = read("a.txt", "a;x\nb;y\nno separator\n", options);
  EXPECT_EQ(d.texts, (Strings{"a", "b"}));
  options.limit = 0;
  EXPECT_TRUE(contains(error("b.txt", "a;x\n", "", options), "no examples"));
}

TEST_F(DatasetFormats, UnknownExtension) {
  EXPECT_TRUE(contains(error("a.xlsx", "x", ""), "unknown dataset format '.xlsx'"));
  EXPECT_EQ(read("UPPER.TXT", "a;b\n").texts, Strings{"a"});  // extensions are case-insensitive
}

// --- .csv / .tsv
// ----------------------------------------------------------------------------------

TEST_F(DatasetFormats, CsvQuoting) {
  Dataset d = read("a.csv",
                   "text,label\n"
                   "plain,joy\n"
                   "\"with, comma\",sadness\n"
                   "\"with \"\"quotes\"\"\",love\n"
                   "\"multi\nline\ntext\",anger\n"
                   "\"\",fear\n"
                   "say \"hi\" there,joy\n");
  EXPECT_EQ(d.texts, (Strings{"plain", "with, comma", "with \"quotes\"", "multi\nline\ntext", "",
                              "say \"hi\" there"}));
  EXPECT_EQ(d.label_names, (Strings{"joy", "sadness", "love", "anger", "fear", "joy"}));
  // Positions are the line each record starts on.
  EXPECT_EQ(d.positions, (Positions{2, 3, 4, 5, 8, 9}));
}

TEST_F(DatasetFormats, CsvColumnsByNameCrlfBomAndBlankLines) {
  DatasetOptions options;
  options.text_column = "sentence";
  options.label_column = "y";
  Dataset d =
      read("a.csv", "\xEF\xBB\xBFid,y,sentence\r\n1,0,hello\r\n\r\n2,1,\"a\r\nb\"\r\n", options);
  EXPECT_EQ(d.texts, (Strings{"hello", "a\r\nb"}));
  EXPECT_EQ(d.label_kind, LabelKind::kIds);
  EXPECT_EQ(d.label_ids, (Ids{0, 1}));
  EXPECT_EQ(d.positions, (Positions{2, 4}));
  // A trailing separator is an empty last field.
  Dataset trailing = read("b.csv", "text,label,\nx,joy,\n");
  EXPECT_EQ(trailing.texts, Strings{"x"});
}

TEST_F(DatasetFormats, CsvErrors) {
  EXPECT_TRUE(contains(error("a.csv", "text,label\nx,joy\n\"open,joy\nmore\n", ":3"),
                       "a quoted field is never closed"));
  EXPECT_TRUE(contains(error("a.csv", "text,label\n\"x\"y,joy\n", ":2"),
                       "unexpected character after the closing quote"));
  EXPECT_TRUE(
      contains(error("a.csv", "text,label\nx,joy,extra\n", ":2"), "3 fields but the header has 2"));
  EXPECT_TRUE(contains(error("a.csv", "text,label\nx\n", ":2"), "1 fields but the header has 2"));
  EXPECT_TRUE(contains(error("a.csv", "sentence,label\nx,joy\n", ":1"),
                       "the header has no column 'text' (columns: 'sentence', 'label')"));
  EXPECT_TRUE(
      contains(error("a.csv", "text,label,label\nx,a,b\n", ":1"), "names column 'label' twice"));
  EXPECT_TRUE(contains(error("a.csv", "text,label\nx,\n", ":2"), "empty label"));
  EXPECT_TRUE(
      contains(error("a.csv", "text,label\n\"a\nb\xFF\",joy\n", ":3"), "invalid UTF-8 at byte 2"));
  EXPECT_TRUE(contains(error("a.csv", "text,label\n", ""), "no examples"));
  EXPECT_TRUE(contains(error("a.csv", "", ""), "no examples"));
}

TEST_F(DatasetFormats, TsvHasNoQuoting) {
  Dataset d = read("a.tsv", "label\ttext\njoy\t\"quoted\" stays, as is\nsad\tx\r\n");
  EXPECT_EQ(d.texts, (Strings{"\"quoted\" stays, as is", "x"}));
  EXPECT_EQ(d.label_names, (Strings{"joy", "sad"}));
  EXPECT_TRUE(contains(error("b.tsv", "text\tlabel\na\tb\tc\n", ":2"),
                       "3 fields but the header has 2 (TSV fields cannot be quoted)"));
}

// --- .jsonl / .json
// -------------------------------------------------------------------------------

TEST_F(DatasetFormats, JsonLines) {
  Dataset d = read("a.jsonl",
                   "{\"text\": \"caf\\u00e9 \\\"x\\\"\", \"label\": \"joy\"}\n"
                   "\n"
                   "{\"label\": \"sad\", \"text\": \"line\\nbreak\", \"extra\": [1, 2]}\r\n");
  EXPECT_EQ(d.texts, (Strings{"caf\xC3\xA9 \"x\"", "line\nbreak"}));
  EXPECT_EQ(d.label_names, (Strings{"joy", "sad"}));
  EXPECT_EQ(d.positions, (Positions{1, 3}));
  Dataset ids =
      read("b.json", "{\"text\": \"a\", \"label\": 2}\n{\"text\": \"b\", \"label\": 0}\n");
  EXPECT_EQ(ids.label_kind, LabelKind::kIds);
  EXPECT_EQ(ids.label_ids, (Ids{2, 0}));
  Dataset bools =
      read("c.jsonl", "{\"text\": \"a\", \"label\": true}\n{\"text\": \"b\", \"label\": false}\n");
  EXPECT_EQ(bools.label_ids, (Ids{1, 0}));
  DatasetOptions options;
  options.text_column = "sentence";
  options.label_column = "gold";
  EXPECT_EQ(read("d.jsonl", "{\"sentence\": \"s\", \"gold\": \"g\"}\n", options).texts,
            Strings{"s"});
}

TEST_F(DatasetFormats, JsonLinesErrors) {
  const std::string ok = "{\"text\": \"a\", \"label\": \"joy\"}\n";
  EXPECT_TRUE(
      contains(error("a.jsonl", ok + "{\"text\": \"a\", \"label\": }\n", ":2"), "invalid JSON"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"text\": \"a\", \"label\": 8e888}\n", ":2"),
                       "invalid JSON: number overflow"));  // out_of_range, not parse_error
  EXPECT_TRUE(contains(error("a.jsonl", ok + "[1, 2]\n", ":2"), "a JSON array"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "\"just a string\"\n", ":2"),
                       "expected a JSON object, got a string"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"txt\": \"a\", \"label\": \"joy\"}\n", ":2"),
                       "no key 'text' (keys: 'label', 'txt')"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"text\": 5, \"label\": \"joy\"}\n", ":2"),
                       "key 'text' must be a string, got"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"text\": \"a\", \"label\": 1.5}\n", ":2"),
                       "must be a string or an integer"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"text\": \"a\", \"label\": null}\n", ":2"),
                       "key 'label' is null"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"text\": \"a\", \"label\": 3}\n", ":2"),
                       "label 3 is an integer but line 1's label is a string"));
  EXPECT_TRUE(contains(error("a.jsonl", ok + "{\"text\": \"\xFF\", \"label\": \"x\"}\n", ":2"),
                       "invalid UTF-8 at byte 11"));
  EXPECT_TRUE(contains(error("a.jsonl", "\n\n", ""), "no examples"));
}

// --- .parquet
// ---------------------------------------------------------------------------------------

TEST_F(DatasetFormats, ParquetDatasets) {
  Dataset d = read_dataset(parquet_fixture("classlabel.parquet"));
  EXPECT_EQ(d.size(), 24u);
  EXPECT_EQ(d.label_kind, LabelKind::kIds);
  EXPECT_TRUE(d.positions_are_rows);
  EXPECT_EQ(d.positions[5], 5);
  EXPECT_TRUE(contains(d.where(5), "classlabel.parquet: row 5"));
  ASSERT_TRUE(d.class_names.has_value());
  EXPECT_EQ(*d.class_names, (Strings{"negative", "neutral", "positive"}));

  Dataset names = read_dataset(parquet_fixture("label_string.parquet"));
  EXPECT_EQ(names.label_kind, LabelKind::kNames);
  EXPECT_EQ(names.label_names[0], "neutral");
  EXPECT_FALSE(names.class_names.has_value());

  Dataset bools = read_dataset(parquet_fixture("label_bool.parquet"));
  EXPECT_EQ(bools.label_kind, LabelKind::kIds);

  DatasetOptions options;
  options.limit = 5;
  EXPECT_EQ(read_dataset(parquet_fixture("many_pages_v2.parquet"), options).size(), 5u);
}

TEST_F(DatasetFormats, ParquetDatasetErrors) {
  auto message = error_of([] { read_dataset(parquet_fixture("null_label_v1.parquet")); });
  EXPECT_TRUE(contains(message, "null_label_v1.parquet: column 'label': row 3 is null")) << message;
  message = error_of([] { read_dataset(parquet_fixture("empty.parquet")); });
  EXPECT_TRUE(contains(message, "empty.parquet: no examples")) << message;
  message = error_of([] { read_dataset(parquet_fixture("numbers_plain_v1.parquet")); });
  EXPECT_TRUE(contains(message, "no column 'text'")) << message;
  DatasetOptions options;
  options.text_column = "text";
  options.label_column = "meta";
  message = error_of([&] { read_dataset(parquet_fixture("nested.parquet"), options); });
  EXPECT_TRUE(contains(message, "label column 'meta' has type nested")) << message;
  options.label_column = "label";
  options.text_column = "label";
  message = error_of([&] { read_dataset(parquet_fixture("classlabel.parquet"), options); });
  EXPECT_TRUE(contains(message, "column 'label' has type INT64; expected a string column"))
      << message;
}

}  // namespace
}  // namespace finetune::testing
