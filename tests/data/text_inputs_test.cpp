// The inputs of `tokenize`/`predict` (src/data/text_inputs.h) and their encoding
// (encode_inputs, src/data/encode.h): plain lines stay texts; .jsonl lines are {"text": A} or
// {"text": A, "text_pair": B}, mixed freely, each line one example; every malformed line is one
// error naming file:line and what was expected; chunks keep their line numbers; pairs are
// encoded exactly as Tokenizer::encode_pair with the strategy asked for.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "data/encode.h"
#include "data/text_inputs.h"
#include "data_test_util.h"

namespace finetune::testing {
namespace {

namespace fs = std::filesystem;

std::vector<TextInput> read_all(const fs::path& path, size_t max_lines = 8192) {
  TextInputReader reader(path);
  std::vector<TextInput> all, chunk;
  size_t expected_first = 1;
  while (reader.next_chunk(chunk, max_lines, size_t{1} << 20)) {
    EXPECT_EQ(reader.first_line(), expected_first);
    expected_first += chunk.size();
    all.insert(all.end(), chunk.begin(), chunk.end());
  }
  return all;
}

// The error a file's first bad line gives when the whole file is read.
std::string read_error(const TempDir& dir, const std::string& content,
                       const std::string& name = "in.jsonl") {
  fs::path path = dir.write(name, content);
  return error_of([&] { read_all(path); });
}

const Tokenizer& bert() {
  static const Tokenizer tokenizer =
      Tokenizer::from_directory(shared_dir() / "models" / "bert-base-uncased");
  return tokenizer;
}

TEST(TextInputs, TheExtensionDecidesTheFormat) {
  EXPECT_TRUE(is_jsonl_input("a/b.jsonl"));
  EXPECT_TRUE(is_jsonl_input("B.JSONL"));
  EXPECT_FALSE(is_jsonl_input("b.json"));
  EXPECT_FALSE(is_jsonl_input("b.txt"));
  EXPECT_FALSE(is_jsonl_input("jsonl"));
  // A plain-text file whose lines look like JSON stays text: the contract is by extension.
  TempDir dir("text-inputs");
  auto inputs = read_all(dir.write("in.txt", "{\"text\": \"a\", \"text_pair\": \"b\"}\n"));
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].text, "{\"text\": \"a\", \"text_pair\": \"b\"}");
  EXPECT_FALSE(inputs[0].text_pair);
}

TEST(TextInputs, PlainLinesAreTextsAndBlankLinesAreEmptyTexts) {
  TempDir dir("text-inputs");
  auto inputs = read_all(dir.write("in.txt", "one\n\n  \nfour"));
  ASSERT_EQ(inputs.size(), 4u);
  EXPECT_EQ(inputs[0].text, "one");
  EXPECT_EQ(inputs[1].text, "");
  EXPECT_EQ(inputs[2].text, "  ");
  EXPECT_EQ(inputs[3].text, "four");
  for (const auto& input : inputs) EXPECT_FALSE(input.text_pair);
}

TEST(TextInputs, JsonlMixesTextsAndPairs) {
  TempDir dir("text-inputs");
  auto inputs = read_all(dir.write("in.jsonl",
                                   "{\"text\": \"single\"}\n"
                                   "{\"text\": \"first\", \"text_pair\": \"second\"}\r\n"
                                   "  {\"text_pair\": \"\", \"text\": \"\"}  \n"
                                   "{\"text\": \"caf\\u00e9\\nnewline \\\"quoted\\\"\"}"));
  ASSERT_EQ(inputs.size(), 4u);
  EXPECT_EQ(inputs[0].text, "single");
  EXPECT_FALSE(inputs[0].text_pair);
  EXPECT_EQ(inputs[1].text, "first");
  EXPECT_EQ(inputs[1].text_pair, "second");
  EXPECT_EQ(inputs[2].text, "");  // empty texts are allowed, as in plain text
  EXPECT_EQ(inputs[2].text_pair, "");
  EXPECT_EQ(inputs[3].text, "caf\xc3\xa9\nnewline \"quoted\"");
}

TEST(TextInputs, AByteOrderMarkBeforeTheFirstObjectIsIgnored) {
  TempDir dir("text-inputs");
  auto inputs =
      read_all(dir.write("in.jsonl", "\xef\xbb\xbf{\"text\": \"a\"}\n{\"text\": \"b\"}\n"));
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].text, "a");
}

TEST(TextInputs, ChunksKeepLineNumbers) {
  TempDir dir("text-inputs");
  std::string content;
  for (int i = 1; i <= 10; ++i) content += "{\"text\": \"" + std::to_string(i) + "\"}\n";
  auto inputs = read_all(dir.write("in.jsonl", content), 3);  // read_all checks first_line()
  ASSERT_EQ(inputs.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(inputs[i].text, std::to_string(i + 1));
  // An error in the fourth chunk names its own line.
  content += "{\"text\": 11}\n";
  fs::path path = dir.write("bad.jsonl", content);
  std::string message = error_of([&] { read_all(path, 3); });
  EXPECT_NE(message.find("bad.jsonl:11: key 'text' must be a string, got an integer"),
            std::string::npos)
      << message;
}

TEST(TextInputs, EveryMalformedLineNamesFileLineAndWhatWasExpected) {
  TempDir dir("text-inputs");
  const std::string ok = "{\"text\": \"fine\"}\n";
  const std::string shape = "expected {\"text\": A} or {\"text\": A, \"text_pair\": B}";
  struct Case {
    std::string line, needle;
  };
  const std::vector<Case> cases = {
      {"", "in.jsonl:2: blank line; " + shape},
      {" \t\r", "in.jsonl:2: blank line; " + shape},
      {"{\"text\": \"a\"", "in.jsonl:2: invalid JSON at column 13: syntax error"},
      {"{\"text\": \"a\"} trailing", "in.jsonl:2: invalid JSON at column"},
      {"{\"text\": \"\\ud800\"}", "in.jsonl:2: invalid JSON at column"},  // a lone surrogate
      {"{\"text\": 1e999}", "in.jsonl:2: invalid JSON"},
      {"[\"a\", \"b\"]",
       "in.jsonl:2: expected a JSON object {\"text\": A} or {\"text\": A, \"text_pair\": B}, got "
       "an array"},
      {"\"just a string\"", "in.jsonl:2: expected a JSON object {\"text\": A}"},
      {"{}", "in.jsonl:2: no key 'text'; " + shape},
      {"{\"text_pair\": \"b\"}", "in.jsonl:2: no key 'text'"},
      {"{\"text\": 7}", "in.jsonl:2: key 'text' must be a string, got an integer"},
      {"{\"text\": null}", "in.jsonl:2: key 'text' must be a string, got null"},
      {"{\"text\": [\"a\"]}", "in.jsonl:2: key 'text' must be a string, got an array"},
      {"{\"text\": \"a\", \"text_pair\": 2.5}",
       "in.jsonl:2: key 'text_pair' must be a string, got a number"},
      {"{\"text\": \"a\", \"text_pair\": null}",
       "in.jsonl:2: key 'text_pair' must be a string, got null"},
      {"{\"text\": \"a\", \"text_pair\": {}}",
       "in.jsonl:2: key 'text_pair' must be a string, got an object"},
      {"{\"text\": \"a\", \"text_b\": \"b\"}", "in.jsonl:2: unknown key 'text_b'; " + shape},
      {"{\"txt\": \"a\"}", "in.jsonl:2: unknown key 'txt'"},
      {"{\"text\": \"a\", \"label\": 1}", "in.jsonl:2: unknown key 'label'"},
      {"{\"text\": \"bad \xff byte\"}", "in.jsonl:2: invalid UTF-8 at byte 15"},
  };
  for (const Case& c : cases) {
    std::string message = read_error(dir, ok + c.line + "\n" + ok);
    EXPECT_NE(message.find(c.needle), std::string::npos)
        << "line: " << c.line << "\nexpected: " << c.needle << "\ngot: " << message;
  }
}

TEST(TextInputs, TheFirstBadLineIsReported) {
  TempDir dir("text-inputs");
  std::string content;
  for (int i = 0; i < 5000; ++i)
    content += i == 3001 || i == 4500 ? "{\"text\": 1}\n" : "{\"text\": \"x\"}\n";
  std::string message = read_error(dir, content);
  EXPECT_NE(message.find("in.jsonl:3002:"), std::string::npos) << message;
}

TEST(EncodeInputs, TextsAndPairsEncodeAsTheTokenizerDoes) {
  const std::vector<TextInput> inputs = {
      {"i feel happy", std::nullopt},
      {"i feel happy", "so do i"},
      {"", ""},
      {"a much longer first text that will need cutting", "short"},
  };
  for (size_t max_length : {size_t{0}, size_t{8}}) {
    std::vector<Encoding> got =
        encode_inputs(bert(), inputs, max_length, TruncationStrategy::LongestFirst);
    ASSERT_EQ(got.size(), inputs.size());
    EXPECT_EQ(got[0].ids, bert().encode("i feel happy", max_length).ids);
    for (size_t i = 1; i < inputs.size(); ++i) {
      Encoding want = bert().encode_pair(inputs[i].text, *inputs[i].text_pair, max_length);
      EXPECT_EQ(got[i].ids, want.ids) << i;
      EXPECT_EQ(got[i].type_ids, want.type_ids) << i;
      EXPECT_EQ(got[i].attention_mask, want.attention_mask) << i;
    }
  }
  // The pair template: [CLS] A [SEP] B [SEP], types 0 then 1.
  Encoding pair = encode_inputs(bert(), inputs, 0, TruncationStrategy::LongestFirst)[1];
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{101, 1045, 2514, 3407, 102, 2061, 2079, 1045, 102}));
  EXPECT_EQ(pair.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(EncodeInputs, TheStrategyCutsTheSideItNames) {
  const std::vector<TextInput> inputs = {{"one two three four five", "six seven eight nine ten"}};
  for (auto strategy : {TruncationStrategy::LongestFirst, TruncationStrategy::OnlyFirst,
                        TruncationStrategy::OnlySecond}) {
    Encoding got = encode_inputs(bert(), inputs, 9, strategy).at(0);
    Encoding want = bert().encode_pair(inputs[0].text, *inputs[0].text_pair, 9, strategy);
    EXPECT_EQ(got.ids, want.ids);
    EXPECT_EQ(got.type_ids, want.type_ids);
    EXPECT_EQ(got.ids.size(), 9u);
  }
  // only_first: the second text is kept whole (five tokens and its [SEP], all type 1).
  Encoding first = encode_inputs(bert(), inputs, 9, TruncationStrategy::OnlyFirst).at(0);
  EXPECT_EQ(std::count(first.type_ids.begin(), first.type_ids.end(), 1), 6);
  // A single text is cut at its end whatever the strategy.
  const std::vector<TextInput> single = {{"one two three four five", std::nullopt}};
  EXPECT_EQ(encode_inputs(bert(), single, 4, TruncationStrategy::OnlySecond).at(0).ids,
            bert().encode("one two three four five", 4).ids);
}

TEST(EncodeInputs, TruncatedPairsAreCountedAndRefusalsNamed) {
  std::vector<TextInput> inputs = {
      {"short", "pair"}, {"one two three four five", "six seven eight"}, {"a", std::nullopt}};
  EncodeStats stats;
  encode_inputs(bert(), inputs, 8, TruncationStrategy::LongestFirst, &stats);
  EXPECT_EQ(stats.truncated, 1u);
  // only_second cannot take three tokens from a one-token second text: transformers refuses too.
  inputs[1].text_pair = "six";
  std::string message = error_of([&] {
    encode_inputs(bert(), inputs, 6, TruncationStrategy::OnlySecond, nullptr,
                  [](size_t i) { return "in.jsonl:" + std::to_string(i + 1); });
  });
  EXPECT_EQ(message.rfind("in.jsonl:2: ", 0), 0u) << message;
}

TEST(EncodeInputs, OrderIsKeptAcrossThreads) {
  std::vector<TextInput> inputs;
  for (int i = 0; i < 3000; ++i) {
    inputs.push_back(
        {"text " + std::to_string(i),
         i % 3 ? std::optional<std::string>("pair " + std::to_string(i)) : std::nullopt});
  }
  std::vector<Encoding> got = encode_inputs(bert(), inputs, 0, TruncationStrategy::LongestFirst);
  for (size_t i = 0; i < inputs.size(); i += 97) {
    Encoding want = inputs[i].text_pair ? bert().encode_pair(inputs[i].text, *inputs[i].text_pair)
                                        : bert().encode(inputs[i].text);
    EXPECT_EQ(got[i].ids, want.ids) << i;
    EXPECT_EQ(got[i].type_ids, want.type_ids) << i;
  }
}

}  // namespace
}  // namespace finetune::testing
