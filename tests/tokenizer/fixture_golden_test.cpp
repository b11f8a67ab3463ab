// Every tokenizer fixture of tools/make_tokenizer_fixtures.py (byte-level BPE, Unigram through
// tokenizer.json, SentencePiece models, legacy vocab.json + merges.txt) against the encodings of
// transformers.AutoTokenizer of the same directory: the hard strings and pairs in full (ids,
// type ids, masks), and the digests of all 18,000 emotion lines (untruncated and at
// max_length 16) and all 18,000 emotion-pairs rows (three strategies at max_length 24).
//
// tests/fixtures/tokenizers/manifest.json lists the fixtures and which golden files each uses;
// the test follows it, so a fixture added by the script is tested without editing this file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <sstream>

#include "core/error.h"
#include "io/json.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

std::filesystem::path fixtures_dir() {
  return test_data_dir().parent_path() / "fixtures" / "tokenizers";
}

const Json& manifest() {
  static const Json document = parse_json_file(fixtures_dir() / "manifest.json");
  return document;
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (auto it = manifest()["fixtures"].begin(); it != manifest()["fixtures"].end(); ++it) names.push_back(it.key());
  return names;
}

std::filesystem::path repo_path(const Json& relative) {
  return test_data_dir().parent_path().parent_path() / relative.get<std::string>();
}

// The non-comment lines of a gzip'd golden file, split on spaces.
std::vector<std::vector<std::string>> read_digest_lines(const std::filesystem::path& file) {
  gzFile in = gzopen(file.c_str(), "rb");
  EXPECT_NE(in, nullptr) << file;
  std::vector<std::vector<std::string>> rows;
  if (!in) return rows;
  std::string text;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(in, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  gzclose(in);
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> row;
    std::string field;
    while (fields >> field) row.push_back(field);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::pair<std::string, std::string>> emotion_pairs() {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const char* split : {"train", "validation"}) {
    for (const std::string& line :
         read_text_lines(shared_dir() / "data" / "emotion-pairs" / (std::string(split) + ".jsonl"))) {
      Json row = Json::parse(line);
      rows.emplace_back(row["sentence1"].get<std::string>(), row["sentence2"].get<std::string>());
    }
  }
  return rows;
}

std::string describe(const Encoding& e) {
  return "ids " + join(e.ids) + " types " + join(e.type_ids) + " mask " + join(e.attention_mask);
}

class FixtureGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  const Json& entry() const { return manifest()["fixtures"][GetParam()]; }
  Tokenizer load() const { return Tokenizer::from_directory(fixtures_dir() / GetParam()); }
};

TEST_P(FixtureGoldenTest, VocabularyAndInputNamesMatchTransformers) {
  Tokenizer tokenizer = load();
  EXPECT_EQ(tokenizer.vocab_size(), entry()["vocab_size_with_added_tokens"].get<size_t>());
  EXPECT_EQ(tokenizer.returns_token_type_ids(), entry()["returns_token_type_ids_by_default"].get<bool>());
}

TEST_P(FixtureGoldenTest, HardStringsAndPairsAreExact) {
  Tokenizer tokenizer = load();
  const Json goldens = parse_json_file(repo_path(entry()["goldens"]["hard_strings"]));
  size_t failures = 0;
  for (const Json& c : goldens["cases"]) {
    const std::string name = c["name"].get<std::string>();
    const Json& inputs = c["inputs"].is_string() ? goldens[c["inputs"].get<std::string>()] : c["inputs"];
    // "pair boundaries" gives max_length (and the strategy) per input: "per input" here.
    const size_t max_length = c["max_length"].is_number() ? c["max_length"].get<size_t>() : 0;
    const std::string strategy = c["truncation"].is_string() ? c["truncation"].get<std::string>() : "longest_first";
    const bool batched = name == "pair batched";
    for (size_t i = 0; i < c["expected"].size() && failures < 20; ++i) {
      const Json& input = inputs[i];
      const Json& expected = c["expected"][i];
      std::string where = name + " #" + std::to_string(i);
      try {
        Encoding got;
        if (input.is_string()) {
          got = tokenizer.encode(input.get<std::string>(), max_length);
        } else {
          const std::string a = input[0].get<std::string>(), b = input[1].get<std::string>();
          size_t length = max_length;
          std::string how = strategy;
          if (input.size() == 4) {  // "pair boundaries": [first, second, strategy, max_length]
            how = input[2].get<std::string>();
            length = input[3].get<size_t>();
          }
          where += " (" + escaped(a, 40) + " | " + escaped(b, 40) + ")";
          // transformers' single call tok(a, "") encodes `a` alone; a batch call encodes the pair.
          if (b.empty() && !batched) {
            got = tokenizer.encode(a, length);
          } else {
            got = tokenizer.encode_pair(a, b, length, parse_truncation_strategy(how));
          }
        }
        if (expected.contains("error")) {
          ADD_FAILURE() << where << ": transformers raised, we gave " << describe(got);
          ++failures;
          continue;
        }
        if (got.ids != expected["ids"].get<std::vector<int32_t>>() ||
            got.type_ids != expected["type_ids"].get<std::vector<int32_t>>() ||
            got.attention_mask != expected["attention_mask"].get<std::vector<int32_t>>()) {
          ADD_FAILURE() << where << "\n  got      " << describe(got) << "\n  expected ids "
                        << join(expected["ids"].get<std::vector<int32_t>>()) << " types "
                        << join(expected["type_ids"].get<std::vector<int32_t>>());
          ++failures;
        }
      } catch (const Error& e) {
        if (!expected.contains("error")) {
          ADD_FAILURE() << where << ": threw " << e.what();
          ++failures;
        }
      }
    }
  }
  EXPECT_EQ(failures, 0u);
}

TEST_P(FixtureGoldenTest, AllEmotionLinesMatchTheDigests) {
  Tokenizer tokenizer = load();
  const auto digests = read_digest_lines(repo_path(entry()["goldens"]["emotion"]));
  std::vector<std::string> origins;
  const std::vector<std::string> texts = emotion_texts(&origins);
  ASSERT_EQ(texts.size(), digests.size());
  const size_t max_length = manifest()["emotion_max_length"].get<size_t>();
  size_t mismatches = 0, truncated = 0;
  for (size_t i = 0; i < texts.size() && mismatches <= 10; ++i) {
    ASSERT_EQ(digests[i].size(), 2u);
    const std::string full = digest(tokenizer.encode(texts[i]));
    if (full != digests[i][0]) {
      ADD_FAILURE() << origins[i] << " (" << escaped(texts[i], 80) << ") untruncated: "
                    << describe(tokenizer.encode(texts[i]));
      ++mismatches;
    }
    const std::string cut = digest(tokenizer.encode(texts[i], max_length));
    const std::string& expected = digests[i][1] == "=" ? digests[i][0] : digests[i][1];
    if (digests[i][1] != "=") ++truncated;
    if (cut != expected) {
      ADD_FAILURE() << origins[i] << " at max_length " << max_length;
      ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0u);
  if (mismatches == 0) {
    EXPECT_EQ(truncated, entry()["golden_counts"]["emotion_truncated"].get<size_t>());
  }
}

TEST_P(FixtureGoldenTest, AllEmotionPairsMatchTheDigests) {
  Tokenizer tokenizer = load();
  const auto digests = read_digest_lines(repo_path(entry()["goldens"]["pairs"]));
  const auto rows = emotion_pairs();
  ASSERT_EQ(rows.size(), digests.size());
  const size_t max_length = manifest()["pair_max_length"].get<size_t>();
  const TruncationStrategy strategies[3] = {TruncationStrategy::LongestFirst, TruncationStrategy::OnlyFirst,
                                            TruncationStrategy::OnlySecond};
  size_t mismatches = 0, errors[3] = {0, 0, 0};
  for (size_t i = 0; i < rows.size() && mismatches <= 10; ++i) {
    ASSERT_EQ(digests[i].size(), 3u);
    const auto& [a, b] = rows[i];
    for (int s = 0; s < 3; ++s) {
      const std::string& field = digests[i][static_cast<size_t>(s)];
      const std::string expected = field == "=" ? digests[i][0] : field;
      std::string got;
      try {
        got = digest(tokenizer.encode_pair(a, b, max_length, strategies[s]));
      } catch (const Error&) {
        got = "E";
        ++errors[s];
      }
      if (got != expected) {
        ADD_FAILURE() << "emotion-pairs row " << i << " (" << escaped(a, 50) << " | " << escaped(b, 50)
                      << ") strategy " << s << ": got " << got << ", expected " << expected;
        ++mismatches;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  if (mismatches == 0) {
    EXPECT_EQ(errors[1], entry()["golden_counts"]["pairs_only_first_errors"].get<size_t>());
    EXPECT_EQ(errors[2], entry()["golden_counts"]["pairs_only_second_errors"].get<size_t>());
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureGoldenTest, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace finetune::testing
