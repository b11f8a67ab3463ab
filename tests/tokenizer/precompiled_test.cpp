// The Precompiled normalizer (src/tokenizer/normalizers/precompiled.h) with the real nmt_nfkc
// charsmap of the XLM-R fixture, against HF tokenizers (tests/data/tokenizer/unigram_options.json,
// tools/make_unigram_option_goldens.py): the cases where HF's grapheme rule and a per-character
// lookup differ, every code point alone, base + mark sequences; the base64 decoder; and damaged
// blobs, each an Error (at load or at use) naming the key, never an out-of-bounds read.
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/factory.h"
#include "tokenizer/normalizers/precompiled.h"
#include "tokenizer/utf8.h"
#include "unigram_options_util.h"

namespace finetune::testing {
namespace {

const Precompiled& nmt_nfkc() {
  static const Precompiled normalizer =
      Precompiled::from_base64(nmt_nfkc_base64(), "xlmr tokenizer.json");
  return normalizer;
}

std::string normalized(const Precompiled& normalizer, std::string_view text) {
  std::string out;
  normalizer.normalize(text, out);
  return out;
}

std::string utf8_of(char32_t cp) {
  std::string out;
  utf8::append(out, cp);
  return out;
}

TEST(Precompiled, CasesMatchHfIncludingWhereTheGraphemeRuleDiffersFromPerCharacter) {
  size_t differing = 0;
  for (const Json& c : unigram_options()["precompiled"]["cases"]) {
    const std::string input = c["input"].get<std::string>();
    const std::string expected = c["expected"].get<std::string>();
    EXPECT_EQ(escaped(normalized(nmt_nfkc(), input)), escaped(expected))
        << "'" << escaped(input) << "': " << c["why"].get<std::string>();
    if (expected != c["per_char"].get<std::string>()) ++differing;
  }
  // The goldens must keep showing the rule: a per-character normalizer would fail these.
  EXPECT_GE(differing, 10u);
}

// FNV-1a 64 of the normalized strings, each followed by a NUL, per block of the sweep.
void check_sweep(const std::string& name, const std::vector<std::string>& strings) {
  const Json* sweep = nullptr;
  for (const Json& s : unigram_options()["precompiled"]["sweeps"]) {
    if (s["name"] == name) sweep = &s;
  }
  ASSERT_NE(sweep, nullptr) << name;
  ASSERT_EQ(strings.size(), (*sweep)["count"].get<size_t>()) << name;
  const size_t block = (*sweep)["block"].get<size_t>();
  size_t mismatches = 0;
  for (size_t begin = 0, b = 0; begin < strings.size(); begin += block, ++b) {
    uint64_t h = 0xCBF29CE484222325ULL;
    std::string out;
    for (size_t i = begin; i < std::min(strings.size(), begin + block); ++i) {
      out.clear();
      nmt_nfkc().normalize(strings[i], out);
      out.push_back('\0');
      for (char c : out) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001B3ULL;
      }
    }
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(h));
    if (digest != (*sweep)["digests"][b].get<std::string>() && ++mismatches <= 5) {
      ADD_FAILURE() << name << ": block " << b << " (strings " << begin
                    << "..) differs from HF, first string '" << escaped(strings[begin]) << "'";
    }
  }
  EXPECT_EQ(mismatches, 0u) << name;
}

TEST(Precompiled, EveryCodePointAloneMatchesHf) {
  std::vector<std::string> strings;
  for (char32_t cp = 1; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    strings.push_back(utf8_of(cp));
  }
  check_sweep("code_points", strings);
}

TEST(Precompiled, BaseAndMarkSequencesMatchHf) {
  // tools/make_unigram_option_goldens.py BASES and MARKS.
  const char32_t bases[] = {0x41,   0x61,   0x65,   0x4B,   0x0D,   0x20,    0xA0,
                            0xC5,   0x212B, 0x2126, 0xFF21, 0xFF41, 0xFF76,  0x2460,
                            0xFB01, 0x3000, 0x1100, 0x0627, 0x0915, 0x1F600, 0x1F1EF};
  const char32_t marks[] = {0x0A,   0x300,   0x301,  0x302,  0x308,  0x30A,  0x323,
                            0x331,  0x338,   0x340,  0x3099, 0x309A, 0xFF9E, 0x200D,
                            0xFE0F, 0x1F3FD, 0x1161, 0x093F, 0x094D, 0x1F1F5};
  std::vector<std::string> strings;
  for (char32_t b : bases) {
    for (char32_t m : marks) strings.push_back(utf8_of(b) + utf8_of(m));
    for (char32_t m1 : marks) {
      for (char32_t m2 : marks) strings.push_back(utf8_of(b) + utf8_of(m1) + utf8_of(m2));
    }
  }
  check_sweep("marks", strings);
}

TEST(Precompiled, RawBlobConstructorEqualsTheBase64One) {
  const std::string blob = decode_base64(nmt_nfkc_base64(), "test");
  Precompiled raw(blob, "spm.model: normalizer_spec.precompiled_charsmap");
  for (const char* text : {"hello", "\xef\xbc\xa1\xcc\x81", "\r\n", "caf\xc3\xa9 \xe2\x91\xa0"}) {
    EXPECT_EQ(normalized(raw, text), normalized(nmt_nfkc(), text)) << escaped(text);
  }
}

TEST(Precompiled, AsciiRunsAndTheirNeighbours) {
  // The ASCII fast path must hand a letter followed by a combining mark to the grapheme rule.
  EXPECT_EQ(normalized(nmt_nfkc(), "abc"), "abc");
  EXPECT_EQ(normalized(nmt_nfkc(), "e\xcc\x81t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(normalized(nmt_nfkc(), "x\r\ny\rz\r"), "x y z ");
  EXPECT_EQ(normalized(nmt_nfkc(), ""), "");
}

// --- base64 ------------------------------------------------------------------------------------

TEST(Base64, AcceptsWhatTheBase64CrateAccepts) {
  EXPECT_EQ(decode_base64("", "t"), "");
  EXPECT_EQ(decode_base64("AAAA", "t"), std::string(3, '\0'));
  EXPECT_EQ(decode_base64("QUI=", "t"), "AB");
  EXPECT_EQ(decode_base64("QUI", "t"), "AB");  // padding may be left out
  EXPECT_EQ(decode_base64("QQ==", "t"), "A");
  EXPECT_EQ(decode_base64("QQ=", "t"), "A");  // or be short
  EXPECT_EQ(decode_base64("QQ", "t"), "A");
  EXPECT_EQ(decode_base64("+/+/", "t"), "\xfb\xff\xbf");
}

TEST(Base64, RefusesWhatTheCrateRefusesNamingTheKey) {
  for (const char* bad : {"A", "AAAAA", "AAAA=", "AAAA====", "AA==AAAA",
                          "A===", "QR==", "QUJ=", "AA A", "AAAA\n", "AA-_", "====",
                          "\xc3\xa9"
                          "AA"}) {
    std::string message =
        error_of([&] { decode_base64(bad, "tokenizer.json: normalizer.precompiled_charsmap"); });
    EXPECT_TRUE(contains(message, "tokenizer.json: normalizer.precompiled_charsmap"))
        << escaped(bad) << ": " << message;
    EXPECT_TRUE(contains(message, "base64")) << escaped(bad) << ": " << message;
  }
}

TEST(PrecompiledErrors, BadBase64InTokenizerJsonNamesTheKey) {
  Json node = {{"type", "Precompiled"}, {"precompiled_charsmap", "not base64!"}};
  std::string message =
      error_of([&] { build_normalizer(JsonView(node, "tokenizer.json: normalizer")); });
  EXPECT_TRUE(contains(message, "tokenizer.json: normalizer.precompiled_charsmap")) << message;
  node["precompiled_charsmap"] = 5;
  message = error_of([&] { build_normalizer(JsonView(node, "tokenizer.json: normalizer")); });
  EXPECT_TRUE(contains(message, "tokenizer.json: normalizer.precompiled_charsmap")) << message;
  node.erase("precompiled_charsmap");
  message = error_of([&] { build_normalizer(JsonView(node, "tokenizer.json: normalizer")); });
  EXPECT_TRUE(contains(message, "tokenizer.json: normalizer.precompiled_charsmap")) << message;
}

// --- damaged blobs -----------------------------------------------------------------------------

constexpr const char* kWhere = "tokenizer.json: normalizer.precompiled_charsmap";

void put_u32(std::string& out, uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

std::string blob_of(const std::vector<uint32_t>& units, const std::string& strings) {
  std::string blob;
  put_u32(blob, static_cast<uint32_t>(units.size() * 4));
  for (uint32_t u : units) put_u32(blob, u);
  return blob + strings;
}

// A hand-made darts-clone trie: the root's children at root_offset(0) ^ byte.
//   'a' -> leaf, value unit at 0x61 ^ 1 holding `a_value` (a string offset);
//   'b' -> leaf whose value unit is at 0x62 ^ b_offset (string 0 when b_offset is 4);
//   0xC3 -> inner node whose children are at 0xC3 ^ c3_offset.
std::vector<uint32_t> tiny_units(uint32_t a_value, uint32_t b_offset, uint32_t c3_offset) {
  std::vector<uint32_t> units(256, 0);
  const uint32_t leaf = 1U << 8;
  units[0x61] = 0x61 | leaf | (1U << 10);
  units[0x60] = (1U << 31) | a_value;
  units[0x62] = 0x62 | leaf | (b_offset << 10);
  units[0x62 ^ 4] = (1U << 31) | 0;  // 'b' -> string 0 when b_offset is 4
  units[0xC3] = 0xC3 | (c3_offset << 10);
  return units;
}

TEST(PrecompiledErrors, AHandMadeTrieWorks) {
  Precompiled tiny(blob_of(tiny_units(2, 4, 0), std::string("X\0YZ\0", 5)), kWhere);
  EXPECT_EQ(normalized(tiny, "abc"), "YZXc");
  EXPECT_EQ(normalized(tiny, "\xc3\xa9"), "\xc3\xa9");  // 0xC3 ^ 0 ^ 0xA9 has another label
}

TEST(PrecompiledErrors, TruncatedBlobIsRefusedAtLoad) {
  const std::string blob = decode_base64(nmt_nfkc_base64(), "test");
  for (size_t size : {size_t{0}, size_t{3}, size_t{4}, size_t{1000}, blob.size() / 2}) {
    std::string message = error_of([&] { Precompiled(blob.substr(0, size), kWhere); });
    EXPECT_TRUE(contains(message, kWhere)) << size << ": " << message;
  }
}

TEST(PrecompiledErrors, InconsistentSizeFieldsAreRefusedAtLoad) {
  std::string blob = decode_base64(nmt_nfkc_base64(), "test");
  std::string odd = blob;
  odd[0] = static_cast<char>(odd[0] + 1);  // not a multiple of 4
  EXPECT_TRUE(contains(error_of([&] { Precompiled(odd, kWhere); }), "multiple of 4"));
  std::string huge = blob;
  huge[3] = '\x7f';  // more trie bytes than the blob has
  EXPECT_TRUE(contains(error_of([&] { Precompiled(huge, kWhere); }), kWhere));
  EXPECT_TRUE(contains(error_of([&] { Precompiled(blob_of({}, "abc"), kWhere); }), "empty"));
}

TEST(PrecompiledErrors, StringsThatAreNotUtf8AreRefusedAtLoad) {
  std::string message = error_of(
      [&] { Precompiled(blob_of(tiny_units(0, 4, 0), std::string("X\0\xff", 3)), kWhere); });
  EXPECT_TRUE(contains(message, kWhere)) << message;
  EXPECT_TRUE(contains(message, "UTF-8")) << message;
}

TEST(PrecompiledErrors, TriePointingOutsideTheBlobIsAnError) {
  // At load: the root's offset sends every ASCII lookup past the end.
  std::string blob = decode_base64(nmt_nfkc_base64(), "test");
  blob[4] = blob[5] = blob[6] = blob[7] = '\xff';
  std::string message = error_of([&] { Precompiled(blob, kWhere); });
  EXPECT_TRUE(contains(message, kWhere)) << message;
  EXPECT_TRUE(contains(message, "outside")) << message;
  // At load: 'b' has a value unit outside the units.
  message = error_of(
      [&] { Precompiled(blob_of(tiny_units(0, 4000, 0), std::string("X\0", 2)), kWhere); });
  EXPECT_TRUE(contains(message, "outside")) << message;
  // At use: only the path of U+00E9 leaves the array, so loading works and normalizing it fails.
  Precompiled tiny(blob_of(tiny_units(0, 4, 4000), std::string("X\0", 2)), kWhere);
  EXPECT_EQ(normalized(tiny, "ab"), "XX");
  message = error_of([&] { normalized(tiny, "caf\xc3\xa9"); });
  EXPECT_TRUE(contains(message, kWhere)) << message;
  EXPECT_TRUE(contains(message, "outside")) << message;
}

TEST(PrecompiledErrors, StringOffsetOutsideTheStringsIsAnError) {
  std::string message =
      error_of([&] { Precompiled(blob_of(tiny_units(50, 4, 0), std::string("X\0", 2)), kWhere); });
  EXPECT_TRUE(contains(message, "string offset 50")) << message;
  // Inside a UTF-8 character (HF would panic slicing there).
  message = error_of(
      [&] { Precompiled(blob_of(tiny_units(1, 4, 0), std::string("\xc3\xa9\0", 3)), kWhere); });
  EXPECT_TRUE(contains(message, "inside a UTF-8 character")) << message;
  // An offset equal to the size is an empty replacement, as in HF.
  Precompiled tiny(blob_of(tiny_units(2, 4, 0), std::string("X\0", 2)), kWhere);
  EXPECT_EQ(normalized(tiny, "abc"), "Xc");
}

TEST(PrecompiledErrors, RandomlyDamagedTriesGiveResultsOrErrorsNeverCrashes) {
  const std::string good = decode_base64(nmt_nfkc_base64(), "test");
  const uint32_t units = static_cast<uint32_t>(static_cast<unsigned char>(good[0]) |
                                               (static_cast<unsigned char>(good[1]) << 8) |
                                               (static_cast<unsigned char>(good[2]) << 16)) /
                         4;
  const std::vector<std::string> texts = {"hello",
                                          "\xef\xbc\xa1\xcc\x81",
                                          "\r\n",
                                          "caf\xc3\xa9",
                                          "\xe2\x91\xa0\xe3\x80\x80",
                                          "\xf0\x9f\x98\x80",
                                          "A\xcc\x8a\xcc\x81",
                                          "\xea\xb0\x80"};
  std::mt19937 rng(11);
  size_t loaded = 0, errors = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string blob = good;
    for (int k = 0; k < 8; ++k) {
      const size_t unit = rng() % units;
      const uint32_t value = rng();
      for (int b = 0; b < 4; ++b)
        blob[4 + 4 * unit + b] = static_cast<char>((value >> (8 * b)) & 0xFF);
    }
    try {
      Precompiled damaged(blob, kWhere);
      ++loaded;
      for (const std::string& text : texts) {
        std::string out;
        try {
          damaged.normalize(text, out);
          EXPECT_EQ(utf8::find_invalid_byte(out), std::string::npos);
        } catch (const Error& e) {
          ++errors;
          EXPECT_TRUE(contains(e.what(), kWhere)) << e.what();
        }
      }
    } catch (const Error& e) {
      ++errors;
      EXPECT_TRUE(contains(e.what(), kWhere)) << e.what();
    }
  }
  EXPECT_GT(loaded, 0u);
}

}  // namespace
}  // namespace finetune::testing
