// Hostile tokenizer files (docs/robustness.md): ids that would make the id -> token table tens of
// gigabytes, a genuinely huge vocabulary, and invalid UTF-8 inside tokenizer.json or vocab.txt.
// Each is refused with a reason or loaded, never an allocation failure or a crash.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/timer.h"
#include "io/json.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

std::string error_of_loading(const Json& doc) {
  return error_of([&] { Tokenizer::from_json(doc, "hostile.json"); });
}

Json bert_json() { return parse_json_file(bert_dir() / "tokenizer.json"); }

TEST(TokenizerHostile, SparseIdsThatWouldNeedAGiganticTableAreRefused) {
  for (int64_t id : {int64_t{2147483647}, int64_t{1} << 30, int64_t{100000000}}) {
    Json doc = bert_json();
    doc["model"]["vocab"]["zzzhostile"] = id;
    std::string message = error_of_loading(doc);
    EXPECT_NE(message.find("hostile.json: token ids are too sparse: the largest is " + std::to_string(id)),
              std::string::npos)
        << message;
  }
  // Ids beyond int32 are refused as ids.
  Json doc = bert_json();
  doc["model"]["vocab"]["zzzhostile"] = int64_t{1} << 40;
  EXPECT_NE(error_of_loading(doc).find("model.vocab['zzzhostile']"), std::string::npos);
  // An added token with an absurd id.
  doc = bert_json();
  doc["added_tokens"][0]["id"] = 2147483647;
  doc["added_tokens"][0]["content"] = "[HOSTILE]";
  try {
    Tokenizer::from_json(doc, "hostile.json");  // HF renumbers it; either way no 64 GB table
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hostile.json"), std::string::npos) << e.what();
  }
}

TEST(TokenizerHostile, AHugeDenseVocabularyLoadsAndEncodes) {
  // 1M extra WordPiece entries (a ~20 MB tokenizer.json): large, but a real vocabulary.
  Json doc = bert_json();
  auto& vocab = doc["model"]["vocab"];
  const int64_t base = static_cast<int64_t>(vocab.size());
  for (int64_t i = 0; i < 1000000; ++i) vocab["zq" + std::to_string(i)] = base + i;
  const auto dir = make_temp_dir("tok-huge");
  {
    std::ofstream(dir / "tokenizer.json") << doc.dump();
  }
  Timer timer;
  Tokenizer tokenizer = Tokenizer::from_tokenizer_json(dir / "tokenizer.json");
  EXPECT_EQ(tokenizer.vocab_size(), static_cast<size_t>(base + 1000000));
  Encoding e = tokenizer.encode("hello zq999999", 0);
  EXPECT_EQ(e.ids[2], base + 999999);
  std::printf("1M-entry tokenizer.json loaded and encoded in %.2f s\n", timer.seconds());
  std::filesystem::remove_all(dir);
}

TEST(TokenizerHostile, InvalidUtf8InsideTokenizerJsonIsRefusedWithItsPosition) {
  const auto dir = make_temp_dir("tok-utf8");
  std::string text = bert_json().dump();
  const size_t at = text.find("\"[UNK]\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at + 1, 5, "\xff\xfe[UN");  // inside a JSON string
  {
    std::ofstream(dir / "tokenizer.json", std::ios::binary) << text;
  }
  std::string message;
  try {
    Tokenizer::from_tokenizer_json(dir / "tokenizer.json");
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("tokenizer.json"), std::string::npos) << message;
  EXPECT_NE(message.find("UTF-8"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace finetune::testing
