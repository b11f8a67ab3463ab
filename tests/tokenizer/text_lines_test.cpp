// read_text_lines and find_invalid_utf8 (src/data/text_lines.h): the line contract of DESIGN.md
// (split on '\n' only, '\r' kept, a final line without '\n' counts) and UTF-8 validity as
// Unicode's table 3-7 defines it, with errors that give the line and the byte within it.
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/text_lines.h"
#include "io/file.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

std::vector<std::string> lines_of(const std::string& content) {
  auto dir = make_temp_dir("lines");
  write_file_atomic(dir / "input.txt", content);
  auto lines = read_text_lines(dir / "input.txt");
  std::filesystem::remove_all(dir);
  return lines;
}

using Lines = std::vector<std::string>;

TEST(TextLines, SplitsOnNewlineOnlyAndKeepsCarriageReturns) {
  EXPECT_EQ(lines_of("a\r\nb\rc\n"), (Lines{"a\r", "b\rc"}));
}

TEST(TextLines, FinalLineWithoutNewlineCounts) {
  EXPECT_EQ(lines_of("one\ntwo"), (Lines{"one", "two"}));
  EXPECT_EQ(lines_of("one\ntwo\n"), (Lines{"one", "two"}));
}

TEST(TextLines, EmptyLinesAreKeptAndEmptyFileHasNone) {
  EXPECT_EQ(lines_of("\n\nx\n\n"), (Lines{"", "", "x", ""}));
  EXPECT_EQ(lines_of(""), Lines{});
  EXPECT_EQ(lines_of("\n"), Lines{""});
}

TEST(TextLines, OtherSeparatorsAreText) {
  // Vertical tab, form feed, NEL, U+2028: not line breaks for the contract.
  EXPECT_EQ(lines_of("a\x0b"
                     "b\x0c"
                     "c\xc2\x85"
                     "d\xe2\x80\xa8"
                     "e\n"),
            (Lines{"a\x0b"
                   "b\x0c"
                   "c\xc2\x85"
                   "d\xe2\x80\xa8"
                   "e"}));
}

TEST(TextLines, InvalidUtf8NamesFileLineAndByte) {
  auto dir = make_temp_dir("lines-bad");
  write_file_atomic(dir / "input.txt", "fine\nalso fine \xc3\xa9\nab\xe2\x28\xa1 bad\nlater\n");
  try {
    read_text_lines(dir / "input.txt");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    // Line 3, and the bad sequence starts at its 3rd byte (1-based byte within the line).
    EXPECT_EQ(std::string(e.what()), (dir / "input.txt").string() + ":3: invalid UTF-8 at byte 3");
  }
  std::filesystem::remove_all(dir);
}

TEST(TextLines, MissingFileIsAnError) {
  auto path = make_temp_dir("lines-missing") / "absent.txt";
  try {
    read_text_lines(path);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(FindInvalidUtf8, AcceptsEveryWellFormedBoundary) {
  const std::vector<std::string> good = {
      "",
      "plain ascii \x01\x7f",
      "\xc2\x80 \xdf\xbf",                  // U+0080, U+07FF
      "\xe0\xa0\x80 \xed\x9f\xbf",          // U+0800, U+D7FF (just below the surrogates)
      "\xee\x80\x80 \xef\xbf\xbf",          // U+E000, U+FFFF
      "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf",  // U+10000, U+10FFFF
      std::string("nul\0inside", 10),
  };
  for (const std::string& text : good) {
    EXPECT_EQ(find_invalid_utf8(text), std::string::npos) << escaped(text);
  }
}

TEST(FindInvalidUtf8, ReportsTheFirstBadByte) {
  struct Case {
    std::string text;
    size_t position;
  };
  const std::vector<Case> bad = {
      {"\x80", 0},              // stray continuation
      {"ab\xc0\xaf", 2},        // overlong 2-byte
      {"\xc1\xbf", 0},          // overlong 2-byte
      {"x\xe0\x9f\xbf", 1},     // overlong 3-byte
      {"\xf0\x8f\xbf\xbf", 0},  // overlong 4-byte
      {"\xed\xa0\x80", 0},      // U+D800
      {"abc\xed\xbf\xbf", 3},   // U+DFFF
      {"\xf4\x90\x80\x80", 0},  // U+110000
      {"\xf5\x80\x80\x80", 0},  // lead byte beyond the range
      {"\xff", 0},              // never valid
      {"\xe2\x82", 0},          // truncated at the end
      {"\xe2\x82x", 0},         // truncated by an ASCII byte
      {"12345678\xc3", 8},      // after the 8-byte ASCII fast path
      {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3", 6},
  };
  for (const Case& c : bad) {
    EXPECT_EQ(find_invalid_utf8(c.text), c.position) << escaped(c.text);
  }
}

}  // namespace
}  // namespace finetune::testing
