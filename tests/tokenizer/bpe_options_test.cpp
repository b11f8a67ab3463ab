// The BPE, ByteLevel and vocab.json + merges.txt options the fixtures do not exercise, against
// HF: tests/data/tokenizer/bpe_options.json (tools/make_bpe_option_goldens.py) holds tiny
// tokenizer.json documents and legacy directories with the ids HF `tokenizers` /
// `transformers.AutoTokenizer` give, and the files HF refuses, which we must refuse too (with
// an Error, never a crash or a silently different tokenizer).
#include <gtest/gtest.h>

#include "core/error.h"
#include "io/file.h"
#include "io/json.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

const Json& goldens() {
  static const Json document = parse_json_file(golden_dir() / "bpe_options.json");
  return document;
}

std::vector<std::string> case_names(const char* list) {
  std::vector<std::string> names;
  for (const Json& c : goldens()[list]) names.push_back(c["name"].get<std::string>());
  return names;
}

const Json& find_case(const char* list, const std::string& name) {
  for (const Json& c : goldens()[list]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no case " + name);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (char c : info.param) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name;
}

class BpeJsonCase : public ::testing::TestWithParam<std::string> {};

TEST_P(BpeJsonCase, MatchesTokenizers) {
  const Json& c = find_case("json_cases", GetParam());
  const std::string origin = "bpe_options.json[" + GetParam() + "]";
  if (c.contains("load_error")) {
    try {
      Tokenizer::from_json(c["tokenizer"], origin);
      ADD_FAILURE() << "tokenizers refuses this file (" << c["load_error"].get<std::string>()
                    << "), we loaded it";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(origin), std::string::npos) << e.what();
    }
    return;
  }
  Tokenizer tokenizer = Tokenizer::from_json(c["tokenizer"], origin);
  size_t failures = 0;
  for (const Json& e : c["encodings"]) {
    const std::string input = e["input"].get<std::string>();
    if (e.contains("error")) {
      EXPECT_THROW(tokenizer.encode(input), Error)
          << escaped(input) << ": tokenizers fails with " << e["error"].get<std::string>();
      continue;
    }
    const auto expected = e["ids"].get<std::vector<int32_t>>();
    const auto got = tokenizer.encode(input).ids;
    if (got != expected && ++failures <= 10) {
      ADD_FAILURE() << escaped(input) << "\n  got      " << join(got) << "\n  expected "
                    << join(expected);
    }
  }
  EXPECT_EQ(failures, 0u);
}

INSTANTIATE_TEST_SUITE_P(Goldens, BpeJsonCase, ::testing::ValuesIn(case_names("json_cases")),
                         test_name);

class BpeLegacyCase : public ::testing::TestWithParam<std::string> {};

std::filesystem::path write_case(const Json& c) {
  auto dir = make_temp_dir("bpe-legacy");
  for (auto it = c["files"].begin(); it != c["files"].end(); ++it) {
    write_file_atomic(dir / it.key(), it.value().get<std::string>());
  }
  return dir;
}

TEST_P(BpeLegacyCase, MatchesTransformers) {
  const Json& c = find_case("legacy_cases", GetParam());
  const auto dir = write_case(c);
  if (c.contains("load_error")) {
    try {
      Tokenizer::from_directory(dir);
      ADD_FAILURE() << "transformers refuses this directory (" << c["load_error"].get<std::string>()
                    << "), we loaded it";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir.string()), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
    return;
  }
  Tokenizer tokenizer = Tokenizer::from_directory(dir);
  EXPECT_EQ(tokenizer.vocab_size(), c["vocab_size"].get<size_t>());
  for (const Json& e : c["encodings"]) {
    Encoding got;
    std::string what;
    if (e["input"].is_string()) {
      what = escaped(e["input"].get<std::string>());
      got = tokenizer.encode(e["input"].get<std::string>());
    } else {
      const std::string a = e["input"][0].get<std::string>(), b = e["input"][1].get<std::string>();
      what = escaped(a) + " | " + escaped(b);
      got = tokenizer.encode_pair(a, b, 0, TruncationStrategy::LongestFirst);
    }
    EXPECT_EQ(got.ids, e["ids"].get<std::vector<int32_t>>()) << what;
    EXPECT_EQ(got.type_ids, e["type_ids"].get<std::vector<int32_t>>()) << what;
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Goldens, BpeLegacyCase, ::testing::ValuesIn(case_names("legacy_cases")),
                         test_name);

}  // namespace
}  // namespace finetune::testing
