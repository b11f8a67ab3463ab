// Bad tokenizer files and bad input: each must give a finetune::Error that names the file, the
// JSON key or the position (DESIGN.md principle 7), never a crash or a silently wrong tokenizer.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "core/error.h"
#include "io/file.h"
#include "io/json.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

Json bert_json() {
  return parse_json_file(bert_dir() / "tokenizer.json");
}

TEST(TokenizerErrors, MissingDirectoryIsNamed) {
  auto dir = make_temp_dir("tok-missing") / "nope";
  std::string message = error_of([&] { Tokenizer::from_directory(dir); });
  EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
}

TEST(TokenizerErrors, DirectoryWithoutTokenizerFilesNamesWhatWasLookedFor) {
  auto dir = make_temp_dir("tok-empty");
  write_file_atomic(dir / "config.json", "{}");
  std::string message = error_of([&] { Tokenizer::from_directory(dir); });
  EXPECT_NE(message.find(dir.string()), std::string::npos) << message;
  EXPECT_NE(message.find("tokenizer.json"), std::string::npos) << message;
  EXPECT_NE(message.find("vocab.txt"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, InvalidJsonGivesLineAndColumn) {
  auto dir = make_temp_dir("tok-badjson");
  write_file_atomic(dir / "tokenizer.json", "{\n  \"model\": {\n    \"vocab\": ,\n  }\n}\n");
  std::string message = error_of([&] { Tokenizer::from_directory(dir); });
  EXPECT_NE(message.find((dir / "tokenizer.json").string()), std::string::npos) << message;
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("column"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, UnsupportedNormalizerIsNamedWithItsKey) {
  Json doc = bert_json();
  // Nmt is a real HF normalizer that we do not implement: refused, not skipped.
  doc["normalizer"] = {{"type", "Nmt"}};
  std::string message = error_of([&] { Tokenizer::from_json(doc, "my/tokenizer.json"); });
  EXPECT_NE(message.find("my/tokenizer.json"), std::string::npos) << message;
  EXPECT_NE(message.find("normalizer.type 'Nmt' is not supported"), std::string::npos) << message;
  EXPECT_NE(message.find("BertNormalizer"), std::string::npos) << message;
  // Inside a Sequence, the message gives the element's path.
  doc["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "Nmt"}}}}};
  message = error_of([&] { Tokenizer::from_json(doc, "my/tokenizer.json"); });
  EXPECT_NE(message.find("normalizer.normalizers[1].type 'Nmt' is not supported"), std::string::npos) << message;
}

TEST(TokenizerErrors, UnsupportedModelPreTokenizerAndPostProcessorAreNamed) {
  {
    Json doc = bert_json();
    doc["model"]["type"] = "Sentencepiece";
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("model.type 'Sentencepiece' is not supported"), std::string::npos) << message;
  }
  {
    Json doc = bert_json();
    doc["pre_tokenizer"] = {{"type", "UnicodeScripts"}};
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("pre_tokenizer.type 'UnicodeScripts' is not supported"), std::string::npos)
        << message;
  }
  {
    Json doc = bert_json();
    doc["post_processor"] = {{"type", "RobertaProcessing"}};  // without its cls / sep
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("post_processor: key 'cls'"), std::string::npos) << message;
  }
  {
    Json doc = bert_json();
    doc["post_processor"] = {{"type", "ChatTemplate"}};
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("post_processor.type 'ChatTemplate' is not supported"), std::string::npos) << message;
  }
}

TEST(TokenizerErrors, MalformedComponentsAreNamed) {
  {
    Json doc = bert_json();
    doc["model"]["vocab"]["hello"] = -5;
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("model.vocab['hello']"), std::string::npos) << message;
  }
  {
    Json doc = bert_json();
    doc["normalizer"]["lowercase"] = "yes";
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("lowercase"), std::string::npos) << message;
  }
  {
    Json doc = bert_json();
    doc["post_processor"]["special_tokens"].erase("[SEP]");
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("[SEP]"), std::string::npos) << message;
  }
  {
    Json doc = bert_json();
    doc["model"]["unk_token"] = "<unk>";
    std::string message = error_of([&] { Tokenizer::from_json(doc, "t.json"); });
    EXPECT_NE(message.find("model.unk_token: '<unk>' is not in the vocabulary"), std::string::npos) << message;
  }
  {
    std::string message = error_of([&] { Tokenizer::from_json(Json::array(), "t.json"); });
    EXPECT_NE(message.find("t.json"), std::string::npos) << message;
  }
}

TEST(TokenizerErrors, VocabTxtWithoutUnknownTokenIsRejected) {
  auto dir = make_temp_dir("tok-nounk");
  write_file_atomic(dir / "vocab.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n");
  std::string message = error_of([&] { Tokenizer::from_directory(dir); });
  EXPECT_NE(message.find("vocab.txt"), std::string::npos) << message;
  EXPECT_NE(message.find("[UNK]"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, VocabTxtWithInvalidUtf8NamesTheLine) {
  auto dir = make_temp_dir("tok-badvocab");
  write_file_atomic(dir / "vocab.txt", "[UNK]\nok\nbad\xff\n");
  std::string message = error_of([&] { Tokenizer::from_directory(dir); });
  EXPECT_NE(message.find("vocab.txt:3: invalid UTF-8 at byte 4"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, BadTokenizerConfigIsNamed) {
  auto dir = make_temp_dir("tok-badconfig");
  std::filesystem::copy_file(bert_dir() / "vocab.txt", dir / "vocab.txt");
  write_file_atomic(dir / "tokenizer_config.json", "{\"do_lower_case\": \"no\"}");
  std::string message = error_of([&] { Tokenizer::from_directory(dir); });
  EXPECT_NE(message.find("tokenizer_config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("do_lower_case"), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

TEST(TokenizerErrors, InvalidUtf8InputThrowsInsteadOfCrashing) {
  auto tokenizer = Tokenizer::from_directory(bert_dir());
  const std::vector<std::string> bad = {
      "abc\xff",              // never valid in UTF-8
      "\xc0\x80",             // overlong NUL
      "\xe0\x80\xaf",         // overlong '/'
      "\xed\xa0\x80",         // a surrogate (U+D800)
      "\xf4\x90\x80\x80",     // above U+10FFFF
      "caf\xc3",              // truncated sequence at the end
      "\x80 stray",           // continuation byte without a lead
      "ok [CLS] \xe2\x82 x",  // truncated in the middle, next to a special token
  };
  for (const std::string& text : bad) {
    std::string message = error_of([&] { tokenizer.encode(text); });
    EXPECT_NE(message.find("UTF-8"), std::string::npos) << escaped(text) << ": " << message;
  }
}

}  // namespace
}  // namespace finetune::testing
