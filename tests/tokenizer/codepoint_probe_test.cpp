// Every code point through our BertNormalizer, StripAccents and BertPreTokenizer, against HF's
// answers.
//
// tests/data/tokenizer/codepoint_probe.txt (format in its header; written by
// tools/make_tokenizer_goldens.py) says, for each code point except surrogates, what HF's
// BertNormalizer with four option sets and its StripAccents normalizer do to it alone, and
// whether BertPreTokenizer keeps it in a word, isolates it as punctuation or splits on it as
// whitespace. This is what pins our utf8proc-based Unicode data (and its override tables) to
// HF's.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tokenizer/normalizers/bert_normalizer.h"
#include "tokenizer/normalizers/unicode_normalizers.h"
#include "tokenizer/pre_tokenizers/bert_pre_tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer_test_util.h"

namespace finetune::testing {
namespace {

struct ProbeRun {
  char32_t first = 0, last = 0;
  std::string kind;
  std::string argument;
};

struct Section {
  std::string name;
  std::vector<ProbeRun> runs;
};

std::vector<Section> read_probe() {
  std::ifstream in(golden_dir() / "codepoint_probe.txt");
  EXPECT_TRUE(in) << "missing codepoint_probe.txt: run tools/make_tokenizer_goldens.py";
  std::vector<Section> sections;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '@') {
      sections.push_back({line.substr(1), {}});
      continue;
    }
    std::istringstream fields(line);
    std::string first, last;
    ProbeRun run;
    fields >> first >> last >> run.kind >> run.argument;
    run.first = static_cast<char32_t>(std::stoul(first, nullptr, 16));
    run.last = static_cast<char32_t>(std::stoul(last, nullptr, 16));
    EXPECT_FALSE(sections.empty()) << "probe line before any section: " << line;
    if (!sections.empty()) sections.back().runs.push_back(run);
  }
  return sections;
}

std::string utf8_of(char32_t cp) {
  std::string out;
  utf8::append(out, cp);
  return out;
}

std::string hex(char32_t cp) {
  char text[16];
  std::snprintf(text, sizeof text, "U+%04X", static_cast<unsigned>(cp));
  return text;
}

// What HF's normalizer made of `cp`, from a run's kind and argument.
std::string expected_normalized(const ProbeRun& run, char32_t cp) {
  std::string c = utf8_of(cp);
  if (run.kind == "K") return c;
  if (run.kind == "R") return "";
  if (run.kind == "S") return " ";
  if (run.kind == "C") return " " + c + " ";
  if (run.kind == "D") {
    long delta = std::stol(run.argument, nullptr, 16);
    return utf8_of(static_cast<char32_t>(static_cast<long>(cp) + delta));
  }
  if (run.kind == "H") {  // Unicode 15, 3.12: Hangul syllable decomposition
    char32_t s = cp - 0xAC00;
    std::string out = utf8_of(0x1100 + s / 588) + utf8_of(0x1161 + (s % 588) / 28);
    if (s % 28 != 0) out += utf8_of(0x11A7 + s % 28);
    return out;
  }
  if (run.kind == "X") {
    std::string out;
    std::istringstream parts(run.argument);
    for (std::string part; std::getline(parts, part, '+');) {
      out += utf8_of(static_cast<char32_t>(std::stoul(part, nullptr, 16)));
    }
    return out;
  }
  ADD_FAILURE() << "unknown probe kind " << run.kind;
  return c;
}

BertNormalizerOptions options_for(const std::string& section) {
  BertNormalizerOptions options;  // clean_text and handle_chinese_chars on
  const std::string variant = section.substr(section.find(' ') + 1);
  options.lowercase = variant == "lowercase+strip_accents" || variant == "lowercase";
  options.strip_accents = variant == "lowercase+strip_accents" || variant == "strip_accents";
  EXPECT_TRUE(variant == "lowercase+strip_accents" || variant == "lowercase" ||
              variant == "strip_accents" || variant == "none")
      << "unknown normalizer variant " << variant;
  return options;
}

bool is_surrogate(char32_t cp) {
  return cp >= 0xD800 && cp <= 0xDFFF;
}

TEST(CodePointProbe, NormalizerMatchesHfForEveryCodePoint) {
  auto sections = read_probe();
  size_t variants = 0;
  for (const Section& section : sections) {
    if (section.name.rfind("normalizer ", 0) != 0) continue;
    ++variants;
    BertNormalizer normalizer(options_for(section.name));
    size_t checked = 0, mismatches = 0;
    for (const ProbeRun& run : section.runs) {
      for (char32_t cp = run.first; cp <= run.last; ++cp) {
        if (is_surrogate(cp)) continue;
        std::string ours;
        normalizer.normalize(utf8_of(cp), ours);
        std::string want = expected_normalized(run, cp);
        ++checked;
        if (ours != want && ++mismatches <= 20) {
          ADD_FAILURE() << section.name << ": " << hex(cp) << " HF \"" << escaped(want)
                        << "\" ours \"" << escaped(ours) << "\"";
        }
      }
    }
    EXPECT_EQ(checked, 0x110000u - 0x800u)
        << section.name << ": the probe must cover every code point";
    EXPECT_EQ(mismatches, 0u) << section.name;
  }
  EXPECT_EQ(variants, 4u);
}

TEST(CodePointProbe, StripAccentsMatchesHfForEveryCodePoint) {
  auto sections = read_probe();
  const Section* section = nullptr;
  for (const Section& s : sections) {
    if (s.name == "strip_accents") section = &s;
  }
  ASSERT_NE(section, nullptr);
  StripAccents strip_accents;
  size_t checked = 0, mismatches = 0;
  for (const ProbeRun& run : section->runs) {
    for (char32_t cp = run.first; cp <= run.last; ++cp) {
      if (is_surrogate(cp)) continue;
      std::string ours;
      strip_accents.normalize(utf8_of(cp), ours);
      const std::string want = expected_normalized(run, cp);
      ++checked;
      if (ours != want && ++mismatches <= 20) {
        ADD_FAILURE() << "StripAccents: " << hex(cp) << " HF \"" << escaped(want) << "\" ours \""
                      << escaped(ours) << "\"";
      }
    }
  }
  EXPECT_EQ(checked, 0x110000u - 0x800u);
  EXPECT_EQ(mismatches, 0u);
}

TEST(CodePointProbe, PreTokenizerMatchesHfForEveryCodePoint) {
  auto sections = read_probe();
  const Section* section = nullptr;
  for (const Section& s : sections) {
    if (s.name == "pretokenizer") section = &s;
  }
  ASSERT_NE(section, nullptr);
  size_t checked = 0, mismatches = 0;
  for (const ProbeRun& run : section->runs) {
    for (char32_t cp = run.first; cp <= run.last; ++cp) {
      if (is_surrogate(cp)) continue;
      const std::string c = utf8_of(cp);
      std::vector<std::string> words;
      bert_pre_tokenize("a" + c + "b", [&](std::string_view w) { words.emplace_back(w); });
      std::string ours = words == std::vector<std::string>{"a" + c + "b"} ? "W"
                         : words == std::vector<std::string>{"a", c, "b"} ? "P"
                         : words == std::vector<std::string>{"a", "b"}    ? "S"
                                                                          : "?";
      ++checked;
      if (ours != run.kind && ++mismatches <= 20) {
        ADD_FAILURE() << hex(cp) << ": HF " << run.kind << ", ours " << ours;
      }
    }
  }
  EXPECT_EQ(checked, 0x110000u - 0x800u);
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace finetune::testing
