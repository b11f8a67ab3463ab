// The ByteLevel pre-tokenizer's pieces: the GPT-2 pattern's split (through Oniguruma, as HF runs
// it), GPT-2's byte -> character table at its seams, and add_prefix_space on every piece. (The ids
// of whole ByteLevel tokenizers are checked against HF in bpe_options_test.cpp and the fixture
// goldens.)
#include <gtest/gtest.h>

#include "tokenizer/pre_tokenizers/byte_level.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

using Pieces = std::vector<std::pair<size_t, size_t>>;

TEST(ByteLevel, Gpt2PatternSplitsAtLettersSpacesAndTheirRuns) {
  const Gpt2Splitter splitter;
  Pieces pieces;
  const std::string text = "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87  x";  // "café 中文  x"
  splitter.split(text, pieces);
  EXPECT_EQ(pieces, (Pieces{{0, 5}, {5, 12}, {12, 13}, {13, 15}}));
}

TEST(ByteLevel, BytesToUnicodeSeams) {
  auto mapped = [](std::string bytes) {
    std::string out;
    append_byte_level(bytes, out);
    return out;
  };
  EXPECT_EQ(mapped(" "), "\xc4\xa0");                   // U+0120 'Ġ'
  EXPECT_EQ(mapped("\n"), "\xc4\x8a");                  // U+010A 'Ċ'
  EXPECT_EQ(mapped(std::string(1, '\0')), "\xc4\x80");  // U+0100
  EXPECT_EQ(mapped("!~A"), "!~A");                      // 0x21..0x7E stand for themselves
  EXPECT_EQ(mapped("\x7f"), "\xc4\xa1");                // U+0121, after the 33 bytes 0x00..0x20
  EXPECT_EQ(mapped("\xa0"), "\xc5\x82");                // U+0142, the last of 0x80..0xA0
  EXPECT_EQ(mapped("\xa1\xac\xae\xff"), "\xc2\xa1\xc2\xac\xc2\xae\xc3\xbf");  // themselves
  EXPECT_EQ(mapped("\xad"), "\xc5\x83");  // U+0143, the last one
}

TEST(ByteLevel, AddPrefixSpaceAppliesToEveryPiece) {
  const ByteLevel pre_tokenizer(/*add_prefix_space=*/true, /*use_regex=*/false);
  Words in, out;
  in.add("a", true);
  in.add(" b", false);
  in.add("c d", false);
  pre_tokenizer.pre_tokenize(in, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0],
            "\xc4\xa0"
            "a");
  EXPECT_EQ(out[1],
            "\xc4\xa0"
            "b");
  EXPECT_EQ(out[2],
            "\xc4\xa0"
            "c\xc4\xa0"
            "d");
}

}  // namespace
}  // namespace finetune::testing
