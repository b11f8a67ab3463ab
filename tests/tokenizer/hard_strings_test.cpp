// Hand-written hard strings against HF's encodings (tests/data/tokenizer/hard_strings.json).
//
// Each case of the golden names how HF's tokenizer was built (tools/make_tokenizer_goldens.py):
// bert-base-uncased's tokenizer.json as is, with truncation, with edited normalizer options or
// extra added tokens (we apply the same edits to the JSON and use Tokenizer::from_json), or
// transformers' BertTokenizerFast from a directory holding only a vocab.txt (+
// tokenizer_config.json), which we rebuild in a temporary directory for Tokenizer::from_directory.
// Every string's ids, type_ids and attention_mask must be equal.
#include <gtest/gtest.h>

#include "io/file.h"
#include "io/json.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

const Json& golden() {
  static const Json document = parse_json_file(golden_dir() / "hard_strings.json");
  return document;
}

Tokenizer tokenizer_for(const Json& spec, std::filesystem::path* temp_dir) {
  if (spec.at("source") == "tokenizer.json") {
    Json document = parse_json_file(bert_dir() / "tokenizer.json");
    if (spec.contains("normalizer_edit") && spec.at("normalizer_edit").is_object()) {
      for (auto& [key, value] : spec.at("normalizer_edit").items())
        document["normalizer"][key] = value;
    }
    if (spec.contains("added_tokens_append")) {
      for (const Json& token : spec.at("added_tokens_append"))
        document["added_tokens"].push_back(token);
    }
    return Tokenizer::from_json(document,
                                "tokenizer.json (" + spec.at("name").get<std::string>() + ")");
  }
  auto dir = make_temp_dir("hard-vocab");
  *temp_dir = dir;
  if (spec.contains("vocab_text")) {
    write_file_atomic(dir / "vocab.txt", spec.at("vocab_text").get<std::string>());
  } else {
    std::filesystem::copy_file(bert_dir() / "vocab.txt", dir / "vocab.txt");
  }
  if (spec.contains("tokenizer_config") && !spec.at("tokenizer_config").is_null()) {
    write_file_atomic(dir / "tokenizer_config.json", spec.at("tokenizer_config").dump());
  }
  return Tokenizer::from_directory(dir);
}

std::vector<int32_t> ints(const Json& list) {
  return list.get<std::vector<int32_t>>();
}

// Runs every case whose source is `source`; returns the number of strings compared.
size_t check_cases(const std::string& source) {
  size_t compared = 0;
  for (const Json& spec : golden().at("cases")) {
    if (spec.at("source") != source) continue;
    const std::string name = spec.at("name");
    SCOPED_TRACE("case '" + name + "'");
    std::filesystem::path temp_dir;
    Tokenizer tokenizer = tokenizer_for(spec, &temp_dir);
    const Json& strings = spec.contains("strings") ? spec.at("strings") : golden().at("strings");
    const Json& expected = spec.at("expected");
    EXPECT_EQ(strings.size(), expected.size());
    const auto max_length = spec.at("max_length").get<size_t>();
    size_t failures = 0;
    for (size_t i = 0; i < strings.size() && i < expected.size(); ++i) {
      const std::string text = strings[i];
      Encoding e = tokenizer.encode(text, max_length);
      auto want_ids = ints(expected[i].at("ids"));
      auto want_types = ints(expected[i].at("type_ids"));
      auto want_mask = ints(expected[i].at("attention_mask"));
      if (e.ids != want_ids || e.type_ids != want_types || e.attention_mask != want_mask) {
        if (++failures <= 5) {
          ADD_FAILURE() << "string " << i << " \"" << escaped(text)
                        << "\"\n  HF ids:   " << join(want_ids) << "\n  our ids:  " << join(e.ids)
                        << "\n  HF types: " << join(want_types) << " ours: " << join(e.type_ids)
                        << "\n  HF mask:  " << join(want_mask)
                        << " ours: " << join(e.attention_mask);
        }
      }
      ++compared;
    }
    if (spec.contains("expected_vocab")) {
      int64_t largest = -1;
      for (auto& [token, id] : spec.at("expected_vocab").items()) {
        EXPECT_EQ(tokenizer.token_to_id(token), std::optional<int32_t>(id.get<int32_t>()))
            << "token \"" << escaped(token) << "\"";
        EXPECT_EQ(tokenizer.id_to_token(id.get<int32_t>()), token);
        largest = std::max<int64_t>(largest, id.get<int64_t>());
      }
      EXPECT_EQ(tokenizer.vocab_size(), static_cast<size_t>(largest + 1));
    }
    if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  }
  return compared;
}

TEST(HardStrings, GoldenHasEnoughStrings) {
  EXPECT_GE(golden().at("strings").size(), 60u);
}

TEST(HardStrings, TokenizerJsonCasesMatchHf) {
  EXPECT_GT(check_cases("tokenizer.json"), 0u);
}

TEST(HardStrings, VocabTxtCasesMatchHf) {
  EXPECT_GT(check_cases("vocab.txt"), 0u);
}

}  // namespace
}  // namespace finetune::testing
