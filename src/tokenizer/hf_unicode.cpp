// The per-code-point flag table and the NFD/lowercase helpers of hf_unicode.h.
//
// The table is built once per process from utf8proc plus the override tables (about 1.1 MB, one
// byte per code point: a flat array keeps the lookup to one load, and text of any script touches
// only a few of its cache lines). Sources of each rule are cited where the flag is computed.
#include "tokenizer/hf_unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <vector>

#include "tokenizer/hf_unicode_overrides.h"

namespace finetune::hf_unicode {
namespace {

constexpr char32_t kCodePointCount = 0x110000;

const LowercasePair* lowercase_override(char32_t cp) {
  auto it = std::lower_bound(kLowercaseAdd.begin(), kLowercaseAdd.end(), cp,
                             [](const LowercasePair& p, char32_t c) { return p.code_point < c; });
  return it != kLowercaseAdd.end() && it->code_point == cp ? &*it : nullptr;
}

// Rust char::is_whitespace: the White_Space property (stable since Unicode 6.3).
bool is_rust_whitespace(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// tokenizers/src/normalizers/bert.rs: is_chinese_char (the CJK Unified Ideographs blocks and
// extensions A-F, the compatibility ideographs and their supplement).
bool is_chinese(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_ascii_punctuation(char32_t cp) {
  return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
         (cp >= 0x7B && cp <= 0x7E);
}

bool has_canonical_decomposition(char32_t cp, const utf8proc_property_t* p) {
  if (cp >= 0xAC00 && cp <= 0xD7A3) return true;  // Hangul syllables decompose algorithmically
  return p->decomp_seqindex != UINT16_MAX && p->decomp_type == 0;  // 0: canonical
}

// The flags utf8proc's data gives (the override tables are applied afterwards, in FlagTable).
uint8_t utf8proc_flags(char32_t cp) {
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
  const auto category = p->category;
  uint8_t f = 0;
  // bert.rs do_clean_text: filter out 0, 0xFFFD and is_control (is_other() but not \t \n \r).
  bool other = category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF ||
               category == UTF8PROC_CATEGORY_CO;
  if (cp == 0 || cp == 0xFFFD || (other && cp != '\t' && cp != '\n' && cp != '\r')) f |= kControl;
  if (is_rust_whitespace(cp)) f |= kWhitespace;
  if (is_ascii_punctuation(cp) ||
      (category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO)) {
    f |= kPunctuation;
  }
  if (is_chinese(cp)) f |= kChinese;
  if (category == UTF8PROC_CATEGORY_MN) f |= kNonspacingMark;
  if (has_canonical_decomposition(cp, p)) f |= kDecomposes;
  // A lowercase mapping exists (utf8proc_tolower would return something else).
  if (p->lowercase_seqindex != UINT16_MAX) f |= kLowercases;
  if (p->combining_class != 0) f |= kCombining;
  return f;
}

struct FlagTable {
  std::unique_ptr<uint8_t[]> flags{new uint8_t[kCodePointCount]};

  FlagTable() {
    for (char32_t cp = 0; cp < kCodePointCount; ++cp) {
      flags[cp] = (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : utf8proc_flags(cp);
    }
    // Where HF's Unicode data differs (hf_unicode_overrides.cpp).
    set(kNotControl, kControl, false);
    set(kPunctuationAdd, kPunctuation, true);
    set(kPunctuationRemove, kPunctuation, false);
    set(kNonspacingMarkAdd, kNonspacingMark, true);
    set(kNonspacingMarkRemove, kNonspacingMark, false);
    set(kNoDecomposition, kDecomposes, false);
    for (const LowercasePair& pair : kLowercaseAdd) flags[pair.code_point] |= kLowercases;
  }

  void set(const std::vector<CodePointRange>& ranges, uint8_t flag, bool on) {
    for (const CodePointRange& range : ranges) {
      for (char32_t cp = range.first; cp <= range.last; ++cp) {
        flags[cp] = on ? (flags[cp] | flag) : (flags[cp] & ~flag);
      }
    }
  }
};

const FlagTable& table() {
  static const FlagTable instance;  // built on first use; thread-safe initialisation
  return instance;
}

}  // namespace

uint8_t flags(char32_t cp) {
  return cp < kCodePointCount ? table().flags[cp] : 0;
}

int decompose(char32_t cp, char32_t* out) {
  if (!(flags(cp) & kDecomposes)) {
    out[0] = cp;
    return 1;
  }
  utf8proc_int32_t buffer[8];
  int last_boundclass = 0;
  utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buffer, 8,
                                               UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n < 1 || n > kMaxDecomposition) {  // cannot happen for canonical decompositions
    out[0] = cp;
    return 1;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) out[i] = static_cast<char32_t>(buffer[i]);
  return static_cast<int>(n);
}

int to_lowercase(char32_t cp, char32_t* out) {
  // Rust's to_lowercase uses the full mapping (SpecialCasing.txt, unconditional entries); the
  // only multi-character lowercase is U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE -> i U+0307.
  if (cp == 0x130) {
    out[0] = 'i';
    out[1] = 0x307;
    return 2;
  }
  if (const LowercasePair* pair = lowercase_override(cp)) {
    out[0] = pair->lowercase;
    return 1;
  }
  out[0] = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
  return 1;
}

uint8_t combining_class(char32_t cp) {
  if (cp >= kCodePointCount) return 0;
  return static_cast<uint8_t>(
      utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->combining_class);
}

bool is_combining_mark(char32_t cp) {
  if (cp >= kCodePointCount) return false;
  auto in = [cp](const std::vector<CodePointRange>& ranges) {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                               [](char32_t c, const CodePointRange& r) { return c < r.first; });
    return it != ranges.begin() && cp <= std::prev(it)->last;
  };
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  if (category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC ||
      category == UTF8PROC_CATEGORY_ME) {
    return !in(kCombiningMarkRemove);
  }
  return in(kCombiningMarkAdd);
}

bool is_word_char(char32_t cp) {
  if (cp >= kCodePointCount) return false;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      break;
  }
  // Join_Control, and the Other_Alphabetic symbols (circled and squared Latin letters).
  return cp == 0x200C || cp == 0x200D || (cp >= 0x24B6 && cp <= 0x24E9) ||
         (cp >= 0x1F130 && cp <= 0x1F149) || (cp >= 0x1F150 && cp <= 0x1F169) ||
         (cp >= 0x1F170 && cp <= 0x1F189);
}

}  // namespace finetune::hf_unicode
