// The Tokenizer's accessors and loading contract: vocabulary lookups agree with the files,
// tokenizer.json's truncation/padding are ignored, source files are reported, and encode is
// safe to call from several threads at once.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "io/file.h"
#include "io/json.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

std::vector<std::string> vocab_lines(const std::filesystem::path& vocab) {
  std::string text = read_file(vocab);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(TokenizerApi, VocabularyLookupsAgreeWithVocabTxt) {
  auto lines = vocab_lines(bert_dir() / "vocab.txt");
  ASSERT_GT(lines.size(), 1000u);
  for (const auto& tokenizer : {Tokenizer::from_directory(bert_dir()),
                                Tokenizer::from_vocab_txt(bert_dir() / "vocab.txt", {})}) {
    EXPECT_EQ(tokenizer.vocab_size(), lines.size());
    for (size_t id = 0; id < lines.size(); ++id) {
      ASSERT_EQ(tokenizer.token_to_id(lines[id]), std::optional<int32_t>(static_cast<int32_t>(id)))
          << lines[id];
      ASSERT_EQ(tokenizer.id_to_token(static_cast<int32_t>(id)), lines[id]);
    }
    EXPECT_EQ(tokenizer.id_to_token(-1), "");
    EXPECT_EQ(tokenizer.id_to_token(static_cast<int32_t>(lines.size())), "");
    EXPECT_EQ(tokenizer.token_to_id("surely not a token in any vocabulary"), std::nullopt);
    EXPECT_EQ(tokenizer.pad_id(), tokenizer.token_to_id("[PAD]"));
    // The template's special tokens are exactly what an empty text encodes to.
    EXPECT_EQ(tokenizer.num_special_tokens(), tokenizer.encode("").ids.size());
  }
}

TEST(TokenizerApi, ReportsItsSourceFiles) {
  auto json_sources = Tokenizer::from_directory(distilbert_dir()).source_files();
  std::set<std::string> names;
  for (const auto& path : json_sources) names.insert(path.filename().string());
  EXPECT_EQ(json_sources.front(), distilbert_dir() / "tokenizer.json");
  EXPECT_TRUE(names.count("tokenizer_config.json"));
  EXPECT_TRUE(names.count("vocab.txt"));

  auto dir = make_temp_dir("tok-sources");
  std::filesystem::copy_file(bert_dir() / "vocab.txt", dir / "vocab.txt");
  auto vocab_sources = Tokenizer::from_directory(dir).source_files();
  EXPECT_EQ(vocab_sources, std::vector<std::filesystem::path>{dir / "vocab.txt"});
  std::filesystem::remove_all(dir);
}

TEST(TokenizerApi, IgnoresTruncationAndPaddingStoredInTokenizerJson) {
  // all-MiniLM-L6-v2's tokenizer.json sets truncation to 128 and padding to Fixed(128), and has
  // bert-base-uncased's vocabulary and normalizer. transformers ignores both settings.
  Json doc = parse_json_file(bert_dir() / "tokenizer.json");
  doc["truncation"] = {{"max_length", 8}, {"strategy", "LongestFirst"}, {"stride", 0}};
  doc["padding"] = {{"strategy", {{"Fixed", 64}}},
                    {"direction", "Right"},
                    {"pad_id", 0},
                    {"pad_type_id", 0},
                    {"pad_token", "[PAD]"},
                    {"pad_to_multiple_of", nullptr}};
  auto with_settings = Tokenizer::from_json(doc, "edited tokenizer.json");
  auto plain = Tokenizer::from_directory(bert_dir());
  std::string long_text;
  for (int i = 0; i < 30; ++i) long_text += "i feel rather wonderful today ";
  for (const std::string& text : {std::string("short"), long_text}) {
    Encoding a = with_settings.encode(text), b = plain.encode(text);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.attention_mask, b.attention_mask);
  }
  EXPECT_GT(plain.encode(long_text).ids.size(), 64u);
  EXPECT_EQ(plain.encode("short").ids.size(), 3u);
}

TEST(TokenizerApi, MiniLmDirectoryEncodesLikeBertBaseUncased) {
  if (!std::filesystem::exists(minilm_dir() / "tokenizer.json")) {
    GTEST_SKIP() << "no " << minilm_dir() << " (scripts/fetch-model.sh unpacks it)";
  }
  auto minilm = Tokenizer::from_directory(minilm_dir());
  auto bert = Tokenizer::from_directory(bert_dir());
  Json golden = parse_json_file(golden_dir() / "hard_strings.json");
  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "i feel rather wonderful today ";
  golden["strings"].push_back(long_text);
  for (const Json& item : golden["strings"]) {
    const std::string text = item.get<std::string>();
    EXPECT_EQ(minilm.encode(text).ids, bert.encode(text).ids) << escaped(text);
  }
  EXPECT_GT(minilm.encode(long_text).ids.size(), 128u);
  EXPECT_EQ(minilm.pad_id(), bert.pad_id());
}

TEST(TokenizerApi, EncodeIsSafeFromSeveralThreads) {
  auto tokenizer = Tokenizer::from_directory(bert_dir());
  auto texts = emotion_texts();
  texts.resize(2000);
  std::vector<std::vector<int32_t>> expected;
  expected.reserve(texts.size());
  for (const auto& text : texts) expected.push_back(tokenizer.encode(text).ids);
  std::vector<size_t> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < texts.size(); i += 2) {
        if (tokenizer.encode(texts[i]).ids != expected[i]) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (size_t m : mismatches) EXPECT_EQ(m, 0u);
}

TEST(TokenizerApi, MovedTokenizerStillWorks) {
  auto tokenizer = Tokenizer::from_directory(bert_dir());
  auto before = tokenizer.encode("hello world").ids;
  Tokenizer moved = std::move(tokenizer);
  EXPECT_EQ(moved.encode("hello world").ids, before);
}

}  // namespace
}  // namespace finetune::testing
