// Text pairs against transformers.AutoTokenizer, id for id (tests/data/tokenizer/pairs.json,
// written by tools/make_pair_goldens.py): the pair template and type ids, and truncation with
// longest_first, only_first and only_second at lengths that cut one side, both sides, or leave
// only the special tokens; where transformers refuses (a sequence too short for only_first /
// only_second) finetune refuses too. Plus digests of all 18,000 emotion-pairs rows with
// bert-base-uncased, untruncated and cut to 24 tokens.
#include <gtest/gtest.h>

#include <utility>

#include "core/error.h"
#include "io/json.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

const Json& goldens() {
  static const Json document = parse_json_file(golden_dir() / "pairs.json");
  return document;
}

std::pair<TruncationStrategy, size_t> strategy_of(const Json& entry) {
  const std::string name = entry["strategy"].get<std::string>();
  const size_t max_length = entry["max_length"].get<size_t>();
  return {name == "none" ? TruncationStrategy::LongestFirst : parse_truncation_strategy(name), max_length};
}

class PairGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PairGoldenTest, EveryStrategyGivesTransformersIds) {
  const std::string name = GetParam();
  Tokenizer tokenizer = Tokenizer::from_directory(repo_root() / name);
  const Json& pairs = goldens()["pairs"];
  const Json& strategies = goldens()["strategies"];
  const Json& cases = goldens()["cases"][name];
  ASSERT_EQ(cases.size(), pairs.size());
  size_t compared = 0, refused = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string a = pairs[i]["text"].get<std::string>(), b = pairs[i]["text_pair"].get<std::string>();
    for (size_t k = 0; k < strategies.size(); ++k) {
      auto [strategy, max_length] = strategy_of(strategies[k]);
      const Json& want = cases[i][k];
      SCOPED_TRACE(::testing::Message() << name << " pair " << i << " (" << escaped(a, 40) << " | " << escaped(b, 40)
                                        << ") " << strategies[k].dump());
      if (want.contains("error")) {
        EXPECT_THROW(tokenizer.encode_pair(a, b, max_length, strategy), Error);
        ++refused;
        continue;
      }
      Encoding got = tokenizer.encode_pair(a, b, max_length, strategy);
      EXPECT_EQ(join(got.ids), join(want["input_ids"].get<std::vector<int32_t>>()));
      EXPECT_EQ(join(got.type_ids), join(want["token_type_ids"].get<std::vector<int32_t>>()));
      EXPECT_EQ(got.attention_mask, std::vector<int32_t>(got.ids.size(), 1));
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(refused, 100u);  // the goldens do exercise the refusals
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, PairGoldenTest,
                         ::testing::Values("../shared/models/bert-base-uncased", "../shared/models/distilbert-base-uncased",
                                           "tests/fixtures/tiny-bert"),
                         [](const auto& info) {
                           const std::string& p = info.param;
                           return p.find("distilbert") != std::string::npos ? std::string("distilbert")
                                  : p.find("tiny") != std::string::npos     ? std::string("tiny_bert")
                                                                            : std::string("bert");
                         });

// The vocab.txt loader builds the same pair template as tokenizer.json (BertConverter).
TEST(PairGolden, VocabTxtLoaderGivesTheSamePairs) {
  Tokenizer from_json = Tokenizer::from_tokenizer_json(bert_dir() / "tokenizer.json");
  Tokenizer from_vocab = Tokenizer::from_vocab_txt(distilbert_dir() / "vocab.txt", distilbert_dir() / "tokenizer_config.json");
  const Json& pairs = goldens()["pairs"];
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string a = pairs[i]["text"].get<std::string>(), b = pairs[i]["text_pair"].get<std::string>();
    for (size_t max_length : {size_t{0}, size_t{24}, size_t{4}}) {
      Encoding x = from_json.encode_pair(a, b, max_length), y = from_vocab.encode_pair(a, b, max_length);
      EXPECT_EQ(x.ids, y.ids) << "pair " << i << " max_length " << max_length;
      EXPECT_EQ(x.type_ids, y.type_ids) << "pair " << i << " max_length " << max_length;
    }
  }
  EXPECT_EQ(from_json.num_special_tokens_pair(), 3u);
  EXPECT_EQ(from_vocab.num_special_tokens_pair(), 3u);
}

TEST(PairGolden, AllEmotionPairsMatchTheDigests) {
  Tokenizer tokenizer = Tokenizer::from_directory(bert_dir());
  const Json& digests = goldens()["digests"];
  std::vector<std::pair<std::string, std::string>> rows;
  for (const char* split : {"train", "validation"}) {
    for (const std::string& line : read_text_lines(shared_dir() / "data" / "emotion-pairs" / (std::string(split) + ".jsonl"))) {
      Json row = Json::parse(line);
      rows.emplace_back(row["sentence1"].get<std::string>(), row["sentence2"].get<std::string>());
    }
  }
  ASSERT_EQ(rows.size(), digests["none"].size());
  size_t mismatches = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& [a, b] = rows[i];
    if (digest(tokenizer.encode_pair(a, b)) != digests["none"][i].get<std::string>()) {
      ADD_FAILURE() << "row " << i << " (" << escaped(a, 60) << " | " << escaped(b, 60) << ") untruncated";
      ++mismatches;
    }
    if (digest(tokenizer.encode_pair(a, b, 24)) != digests["longest_first_24"][i].get<std::string>()) {
      ADD_FAILURE() << "row " << i << " (" << escaped(a, 60) << " | " << escaped(b, 60) << ") at max_length 24";
      ++mismatches;
    }
    if (mismatches > 10) break;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(PairGolden, StrategyNamesAreChecked) {
  EXPECT_EQ(parse_truncation_strategy("only_second"), TruncationStrategy::OnlySecond);
  try {
    parse_truncation_strategy("shortest_first");
    FAIL() << "accepted an unknown strategy";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("longest_first, only_first or only_second"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace finetune::testing
