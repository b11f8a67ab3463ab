// All 18,000 emotion lines through both loaders, compared with HF `tokenizers` line by line.
//
// tests/data/tokenizer/emotion_{full,max16}.fnv hold one FNV-1a 64 digest per line of
// ../shared/data/emotion/train.txt then validation.txt, written by
// tools/make_tokenizer_goldens.py from HF's encodings of bert-base-uncased (no truncation, and
// max_length=16). The digest (same definition as the script's `digest`): FNV-1a 64 over the
// little-endian int32 values ids..., -1, type_ids..., -1, attention_mask..., printed as 16 hex
// digits. The script also checked that transformers' vocab.txt path (distilbert's
// tokenizer_config.json, do_lower_case true, same vocabulary) gives the same encodings, so both
// of our loaders are held to the same file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "io/file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

std::vector<std::string> read_digests(const std::string& name) {
  std::ifstream in(golden_dir() / name);
  EXPECT_TRUE(in) << "missing golden " << (golden_dir() / name)
                  << ": run tools/make_tokenizer_goldens.py";
  std::vector<std::string> digests;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') digests.push_back(line);
  }
  return digests;
}

void expect_matches_golden(const Tokenizer& tokenizer, const std::string& golden,
                           size_t max_length) {
  std::vector<std::string> origins;
  auto texts = emotion_texts(&origins);
  auto digests = read_digests(golden);
  ASSERT_EQ(texts.size(), 18000u);
  ASSERT_EQ(digests.size(), texts.size()) << golden << " does not match the emotion files";
  size_t mismatches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    Encoding e = tokenizer.encode(texts[i], max_length);
    if (digest(e) == digests[i]) continue;
    if (++mismatches <= 3) {
      ADD_FAILURE() << origins[i] << " differs from HF (" << golden << " line " << i + 1
                    << ")\n  text: " << escaped(texts[i]) << "\n  our ids: " << join(e.ids)
                    << "\n  type_ids: " << join(e.type_ids);
    }
  }
  EXPECT_EQ(mismatches, 0u) << "lines whose encoding differs from HF";
}

// A directory holding only vocab.txt and tokenizer_config.json (do_lower_case true).
std::filesystem::path vocab_only_dir() {
  auto dir = make_temp_dir("vocab-only");
  std::filesystem::copy_file(distilbert_dir() / "vocab.txt", dir / "vocab.txt");
  std::filesystem::copy_file(distilbert_dir() / "tokenizer_config.json",
                             dir / "tokenizer_config.json");
  return dir;
}

TEST(EmotionGolden, TokenizerJsonMatchesHf) {
  auto tokenizer = Tokenizer::from_directory(bert_dir());
  expect_matches_golden(tokenizer, "emotion_full.fnv", 0);
}

TEST(EmotionGolden, TokenizerJsonTruncatedMatchesHf) {
  auto tokenizer = Tokenizer::from_tokenizer_json(bert_dir() / "tokenizer.json");
  expect_matches_golden(tokenizer, "emotion_max16.fnv", 16);
}

TEST(EmotionGolden, VocabTxtMatchesHf) {
  auto dir = vocab_only_dir();
  auto tokenizer = Tokenizer::from_directory(dir);
  expect_matches_golden(tokenizer, "emotion_full.fnv", 0);
  expect_matches_golden(tokenizer, "emotion_max16.fnv", 16);
  std::filesystem::remove_all(dir);
}

TEST(EmotionGolden, DistilbertDirectoryMatchesHf) {
  auto tokenizer = Tokenizer::from_directory(distilbert_dir());
  expect_matches_golden(tokenizer, "emotion_full.fnv", 0);
}

}  // namespace
}  // namespace finetune::testing
