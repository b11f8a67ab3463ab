// `tokenize` and `predict` on .jsonl inputs of texts and text pairs, end to end through the real
// executable: pairs tokenized through the CLI equal Tokenizer::encode_pair and, id for id, the
// transformers goldens of tests/data/tokenizer/pairs.json (token_type_ids and attention_mask
// included) for every truncation strategy; "token_type_ids" is printed exactly for tokenizers
// whose model_input_names hold it; every malformed line is one error naming file:line with a
// non-zero exit; and predict feeds pairs, token types included, to the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/exec.h"
#include "io/json.h"
#include "model/inference.h"
#include "model/model.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::shell_quote;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

fs::path bert_dir() {
  return testing::shared_dir() / "models" / "bert-base-uncased";
}

// One .jsonl line for a text or a pair (JSON escaping by nlohmann).
std::string jsonl_line(const std::string& text, const std::optional<std::string>& pair = {}) {
  Json object = {{"text", text}};
  if (pair) object["text_pair"] = *pair;
  return object.dump() + "\n";
}

class CliPairsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("cli-pairs"); }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // `finetune tokenize` of `input`, one parsed JSON object per output line.
  std::vector<Json> tokenize(const fs::path& model, const fs::path& input,
                             const std::string& flags = "") {
    CommandResult r = testing::run_finetune("tokenize --model " + shell_quote(model) + " --input " +
                                            shell_quote(input) + " " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<Json> rows;
    for (const std::string& line : lines_of(r.out)) rows.push_back(Json::parse(line));
    return rows;
  }

  // As CliTest's: exit 1 or 2, nothing on stdout, one "finetune: error:" message with `needle`.
  void expect_clean_error(const std::string& args, const std::string& needle, int exit_code) {
    CommandResult r = testing::run_finetune(args);
    EXPECT_EQ(r.exit_code, exit_code) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("finetune: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in:\n"
                                                     << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  fs::path dir_;
};

void expect_row_is(const Json& row, const Encoding& want, const std::string& what) {
  EXPECT_EQ(row["input_ids"].get<std::vector<int32_t>>(), want.ids) << what;
  EXPECT_EQ(row["token_type_ids"].get<std::vector<int32_t>>(), want.type_ids) << what;
  EXPECT_EQ(row["attention_mask"].get<std::vector<int32_t>>(), want.attention_mask) << what;
}

TEST_F(CliPairsTest, JsonlTextsAndPairsTokenizeAsTheTokenizerDoes) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> inputs = {
      {"i feel happy", std::nullopt},
      {"i feel happy", "so do i"},
      {"Héllo, WORLD!\nsecond line", "a [SEP] inside"},
      {"", ""},
      {"one two three four five six seven eight nine ten", "eleven twelve"},
      {"just one", std::nullopt},
  };
  std::string content;
  for (const auto& [text, pair] : inputs) content += jsonl_line(text, pair);
  fs::path input = write("in.jsonl", content);
  Tokenizer tokenizer = Tokenizer::from_directory(bert_dir());
  for (const std::string strategy : {"longest_first", "only_first"}) {
    for (size_t max_length : {size_t{0}, size_t{10}}) {
      std::string flags = "--truncation " + strategy;
      if (max_length) flags += " --max-length " + std::to_string(max_length);
      std::vector<Json> rows = tokenize(bert_dir(), input, flags);
      ASSERT_EQ(rows.size(), inputs.size()) << flags;
      for (size_t i = 0; i < inputs.size(); ++i) {
        const auto& [text, pair] = inputs[i];
        Encoding want = pair ? tokenizer.encode_pair(text, *pair, max_length,
                                                     parse_truncation_strategy(strategy))
                             : tokenizer.encode(text, max_length);
        expect_row_is(rows[i], want, flags + " line " + std::to_string(i + 1));
      }
    }
  }
}

// The transformers goldens of pairs.json (what AutoTokenizer(text, text_pair, truncation=...,
// max_length=...) returns for bert-base-uncased), through the CLI: ids, token types and mask.
TEST_F(CliPairsTest, PairsEqualTransformersForEveryStrategy) {
  const Json goldens = parse_json_file(testing::test_data_dir() / "tokenizer" / "pairs.json");
  const Json& pairs = goldens["pairs"];
  const Json& strategies = goldens["strategies"];
  const Json& cases = goldens["cases"]["../shared/models/bert-base-uncased"];
  ASSERT_TRUE(goldens["returns_token_type_ids"]["../shared/models/bert-base-uncased"].get<bool>());
  size_t compared = 0, refused = 0;
  for (size_t k = 0; k < strategies.size(); ++k) {
    const std::string strategy = strategies[k]["strategy"].get<std::string>();
    const size_t max_length = strategies[k]["max_length"].get<size_t>();
    // 3 leaves only the special tokens of a pair: the CLI refuses it (tested below).
    if (max_length == 3) continue;
    std::string content;
    std::vector<size_t> used;  // the golden pairs that transformers encodes (no error)
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (cases[i][k].contains("error")) continue;
      used.push_back(i);
      content +=
          jsonl_line(pairs[i]["text"].get<std::string>(), pairs[i]["text_pair"].get<std::string>());
    }
    fs::path input = write("pairs-" + std::to_string(k) + ".jsonl", content);
    std::string flags = strategy == "none" ? ""
                                           : "--truncation " + strategy + " --max-length " +
                                                 std::to_string(max_length);
    std::vector<Json> rows = tokenize(bert_dir(), input, flags);
    ASSERT_EQ(rows.size(), used.size()) << flags;
    for (size_t j = 0; j < used.size(); ++j) {
      const Json& want = cases[used[j]][k];
      const Json& row = rows[j];
      const std::string what = flags + " pair " + std::to_string(used[j]);
      ASSERT_EQ(row.size(), 3u) << what;
      EXPECT_EQ(row["input_ids"], want["input_ids"]) << what;
      EXPECT_EQ(row["token_type_ids"], want["token_type_ids"]) << what;
      EXPECT_EQ(row["attention_mask"].get<std::vector<int32_t>>(),
                std::vector<int32_t>(want["input_ids"].size(), 1))
          << what;
      ++compared;
    }
    // Where transformers refuses (a side too short for only_first / only_second), so does the
    // CLI, naming the line of the first such pair.
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (!cases[i][k].contains("error")) continue;
      fs::path bad =
          write("refused.jsonl", jsonl_line("fine", std::string("pair")) +
                                     jsonl_line(pairs[i]["text"].get<std::string>(),
                                                pairs[i]["text_pair"].get<std::string>()));
      expect_clean_error("tokenize --model " + shell_quote(bert_dir()) + " --input " +
                             shell_quote(bad) + " " + flags,
                         "refused.jsonl:2: ", 1);
      ++refused;
      break;  // one per strategy: each refusal is a process start
    }
  }
  EXPECT_GT(compared, 1000u);
  EXPECT_EQ(refused, 3u);  // only_first 24, only_second 24, only_second 9
}

TEST_F(CliPairsTest, TokenTypeIdsArePrintedExactlyWhenTheTokenizerReturnsThem) {
  fs::path input = write("in.txt", "i feel happy\n");
  // BERT and DistilBERT tokenizers return token_type_ids (transformers: BertTokenizer), between
  // input_ids and attention_mask as transformers orders them.
  for (const fs::path& model :
       {bert_dir(), testing::shared_dir() / "models" / "distilbert-base-uncased"}) {
    CommandResult r = testing::run_finetune("tokenize --model " + shell_quote(model) + " --input " +
                                            shell_quote(input));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "{\"input_ids\": [101, 1045, 2514, 3407, 102], \"token_type_ids\": [0, 0, 0, 0, 0], "
              "\"attention_mask\": [1, 1, 1, 1, 1]}\n")
        << model;
  }
  // A RoBERTa-style directory (tokenizer_config.json: RobertaTokenizer) does not, even for pairs.
  fs::path roberta = dir_ / "roberta-style";
  fs::create_directory(roberta);
  fs::copy_file(bert_dir() / "tokenizer.json", roberta / "tokenizer.json");
  std::ofstream(roberta / "tokenizer_config.json")
      << "{\"tokenizer_class\": \"RobertaTokenizer\"}\n";
  CommandResult r = testing::run_finetune("tokenize --model " + shell_quote(roberta) + " --input " +
                                          shell_quote(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"input_ids\": [101, 1045, 2514, 3407, 102], \"attention_mask\": [1, 1, 1, 1, 1]}\n");
  fs::path pairs = write("pairs.jsonl", jsonl_line("i feel happy", std::string("so do i")));
  std::vector<Json> rows = tokenize(roberta, pairs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].contains("token_type_ids")) << rows[0].dump();
  EXPECT_EQ(rows[0]["input_ids"].size(), 9u);
}

// The trained fixtures of the other tokenizer kinds, through the CLI: DeBERTa-v3's spm.model
// (DebertaV2Tokenizer returns token types, pair types 0...0 1...1) and RoBERTa's byte-level BPE
// (no token types; RobertaProcessing's </s></s> between the texts). Expected ids are what
// transformers.AutoTokenizer gives for the same pair (checked in full by fixture_golden_test).
TEST_F(CliPairsTest, OtherTokenizerKindsTokenizePairsAsTransformers) {
  const fs::path fixtures = testing::repo_root() / "tests/fixtures/tokenizers";
  fs::path pairs = write("kinds.jsonl", jsonl_line("i feel so happy and grateful for my friends today",
                                                   std::string("i am glad to have them")));
  std::vector<Json> deberta = tokenize(fixtures / "deberta-v3-spm", pairs);
  ASSERT_EQ(deberta.size(), 1u);
  EXPECT_EQ(deberta[0]["input_ids"].get<std::vector<int>>(),
            (std::vector<int>{1, 4, 5, 19, 180, 6, 911, 20, 14, 214, 143, 2, 4, 27, 429, 7, 25, 82, 2}));
  EXPECT_EQ(deberta[0]["token_type_ids"].get<std::vector<int>>(),
            (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}));
  std::vector<Json> roberta = tokenize(fixtures / "roberta-bpe", pairs);
  ASSERT_EQ(roberta.size(), 1u);
  EXPECT_FALSE(roberta[0].contains("token_type_ids")) << roberta[0].dump();
  EXPECT_EQ(roberta[0]["input_ids"].get<std::vector<int>>(),
            (std::vector<int>{0, 77, 271, 330, 768, 286, 2082, 337, 308, 796, 673, 2, 2, 77, 341, 1256, 282, 351, 503, 2}));
}

TEST_F(CliPairsTest, EveryMalformedLineIsOneErrorNamingFileAndLine) {
  const std::string ok = jsonl_line("fine") + jsonl_line("fine", std::string("too"));
  const std::string shape = "expected {\"text\": A} or {\"text\": A, \"text_pair\": B}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\n", "in.jsonl:3: blank line; " + shape},
      {"{\"text\": \"a\"\n", "in.jsonl:3: invalid JSON at column 13"},
      {"[\"a\", \"b\"]\n", "in.jsonl:3: expected a JSON object {\"text\": A}"},
      {"{\"text_pair\": \"b\"}\n", "in.jsonl:3: no key 'text'; " + shape},
      {"{\"text\": 5}\n", "in.jsonl:3: key 'text' must be a string, got an integer"},
      {"{\"text\": \"a\", \"text_pair\": [\"b\"]}\n",
       "in.jsonl:3: key 'text_pair' must be a string, got an array"},
      {"{\"text\": \"a\", \"text_pair\": null}\n",
       "in.jsonl:3: key 'text_pair' must be a string, got null"},
      {"{\"text\": \"a\", \"text_b\": \"b\"}\n", "in.jsonl:3: unknown key 'text_b'; " + shape},
      {"{\"text\": \"bad \xc3\x28 byte\"}\n", "in.jsonl:3: invalid UTF-8 at byte 15"},
  };
  fs::path tiny = testing::fixtures_dir() / "tiny-bert";
  for (const auto& [line, needle] : cases) {
    fs::path input = write("in.jsonl", ok + line + ok);
    for (const std::string command : {"tokenize", "predict --json"}) {
      expect_clean_error(
          command + " --model " + shell_quote(tiny) + " --input " + shell_quote(input), needle, 1);
    }
  }
}

TEST_F(CliPairsTest, MaxLengthMustLeaveRoomForThePairTemplate) {
  fs::path singles = write("singles.jsonl", jsonl_line("i feel happy") + jsonl_line("and so do i"));
  fs::path pairs =
      write("pairs.jsonl", jsonl_line("i feel happy") + jsonl_line("and", std::string("so do i")));
  fs::path tiny = testing::fixtures_dir() / "tiny-bert";
  // 3 tokens leave room for one token of a single text after [CLS] and [SEP] ...
  std::vector<Json> rows = tokenize(bert_dir(), singles, "--max-length 3");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["input_ids"], Json::parse("[101, 1998, 102]"));
  // ... but none for a pair, whose template adds three: a usage error naming the pair's line.
  for (const std::string command : {"tokenize", "predict"}) {
    expect_clean_error(
        command + " --model " + shell_quote(tiny) + " --input " + shell_quote(pairs) +
            " --max-length 3",
        "--max-length 3 leaves no room for text after the 3 special tokens of a text pair "
        "(" +
            pairs.string() + ":2 is a pair)",
        2);
  }
  rows = tokenize(bert_dir(), pairs, "--max-length 4");
  ASSERT_EQ(rows.size(), 2u);
  // One token of text: longest_first gives it to the longer side ("so" of "so do i"), as HF does.
  EXPECT_EQ(rows[1]["input_ids"], Json::parse("[101, 102, 2061, 102]"));
  expect_clean_error(
      "tokenize --model " + shell_quote(tiny) + " --input " + shell_quote(pairs) +
          " --truncation shortest_first",
      "--truncation: unknown truncation strategy 'shortest_first' (expected longest_first, "
      "only_first or only_second)",
      2);
}

float max_difference(const std::vector<float>& x, const std::vector<float>& y) {
  float most = 0;
  for (size_t i = 0; i < x.size(); ++i) most = std::max(most, std::abs(x[i] - y[i]));
  return most;
}

// Probabilities of the same input computed in differently composed batches (other texts, other
// padding, other thread splits) agree to fp32 rounding, not bit for bit; 1e-5 is far above that
// rounding for these tiny models (about 1e-7) and far below any real difference in the input.
void expect_near(const std::vector<float>& got, const std::vector<float>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  EXPECT_LT(max_difference(got, want), 1e-5f) << what;
}

TEST_F(CliPairsTest, PredictFeedsPairsAndTheirTokenTypesToTheModel) {
  // The same ids either way: "[SEP]" in a text is the special token. Only the token types
  // differ: 1 for the second segment of the pair, 0 throughout the single text.
  const std::string a = "i feel happy", b = "so do i";
  fs::path input =
      write("in.jsonl", jsonl_line(a, b) + jsonl_line(a + " [SEP] " + b) + jsonl_line(a));
  fs::path plain = write("in.txt", a + "\n");
  for (const std::string name : {"tiny-bert", "tiny-distilbert"}) {
    fs::path model = testing::fixtures_dir() / name;
    std::vector<Json> ids = tokenize(model, input);
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(ids[0]["input_ids"], ids[1]["input_ids"]);
    // (The DistilBERT fixture's tokenizer, a DistilBertTokenizer, prints no token types.)
    if (name == "tiny-bert") {
      EXPECT_NE(ids[0]["token_type_ids"], ids[1]["token_type_ids"]);
    }

    CommandResult r = testing::run_finetune("predict --json --model " + shell_quote(model) +
                                            " --input " + shell_quote(input) + " --batch-size 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 3u);
    // Each line's probabilities are those of the library on encode_pair / encode (in-process,
    // the same engine): the CLI hands the pair to the model as encode_pair makes it.
    Model loaded = load_model(model);
    Tokenizer tokenizer = Tokenizer::from_directory(model);
    std::vector<Encoding> encodings = {tokenizer.encode_pair(a, b, 48),
                                       tokenizer.encode(a + " [SEP] " + b, 48),
                                       tokenizer.encode(a, 48)};
    std::vector<float> want = predict_probabilities(Exec::cpu(), loaded.config, loaded.params(),
                                                    encodings, InferenceOptions{2});
    const size_t K = 6;
    std::vector<std::vector<float>> got;
    for (const std::string& line : lines)
      got.push_back(Json::parse(line)["probs"].get<std::vector<float>>());
    for (size_t i = 0; i < 3; ++i) {
      ASSERT_EQ(got[i].size(), K);
      expect_near(got[i], std::vector<float>(want.begin() + i * K, want.begin() + (i + 1) * K),
                  name + " line " + std::to_string(i + 1));
    }
    // BERT adds token-type embeddings, so the pair and the single text differ (by far more
    // than rounding); DistilBERT has none, so they are the same input.
    if (name == "tiny-bert") {
      EXPECT_GT(max_difference(got[0], got[1]), 1e-3);
    } else {
      expect_near(got[0], got[1], name + ": pair vs [SEP] text");
    }
    // A single text of a .jsonl file predicts as the same line of a plain-text file.
    r = testing::run_finetune("predict --json --model " + shell_quote(model) + " --input " +
                              shell_quote(plain));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_near(Json::parse(r.out)["probs"].get<std::vector<float>>(), got[2], name + ": .txt");
  }
}

TEST_F(CliPairsTest, PredictHumanOutputShowsBothTextsOfAPair) {
  fs::path input = write(
      "in.jsonl", jsonl_line("i feel happy", std::string("so do i")) + jsonl_line("two\nlines"));
  CommandResult r = testing::run_finetune("predict --model " +
                                          shell_quote(testing::fixtures_dir() / "tiny-distilbert") +
                                          " --input " + shell_quote(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;  // one line per input, even for a text with a newline
  EXPECT_NE(lines[0].find("  i feel happy\tso do i"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("  two lines"), std::string::npos) << lines[1];
}

TEST_F(CliPairsTest, OnlySecondOnATooShortSecondTextNamesTheLine) {
  fs::path input =
      write("in.jsonl", jsonl_line("short", std::string("pair")) +
                            jsonl_line("one two three four five six", std::string("seven")));
  for (const std::string command : {"tokenize", "predict"}) {
    expect_clean_error(command + " --model " + shell_quote(testing::fixtures_dir() / "tiny-bert") +
                           " --input " + shell_quote(input) +
                           " --max-length 6 --truncation only_second",
                       "in.jsonl:2: ", 1);
  }
}

TEST_F(CliPairsTest, HelpDescribesJsonlPairsAndTruncation) {
  for (const std::string command : {"tokenize", "predict"}) {
    CommandResult r = testing::run_finetune(command + " --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("{\"text\": A, \"text_pair\": B}"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--truncation STRATEGY"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("longest_first, only_first or only_second"), std::string::npos) << r.out;
  }
  CommandResult r = testing::run_finetune("tokenize --help");
  EXPECT_NE(r.out.find("\"token_type_ids\": [...]"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace finetune
