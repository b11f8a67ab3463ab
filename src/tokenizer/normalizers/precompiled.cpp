// The SentencePiece precompiled charsmap (see precompiled.h for the format, HF's grapheme rule
// and its source, spm_precompiled 0.1.4 and tokenizers/src/normalizers/precompiled.rs).
#include "tokenizer/normalizers/precompiled.h"

#include <openssl/evp.h>
#include <utf8proc.h>

#include <cstring>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace finetune {

namespace {

// HF's rule: a grapheme of fewer bytes than this is first looked up whole.
constexpr size_t kWholeGraphemeBelow = 6;

// darts-clone unit fields (darts.h, DoubleArrayUnit).
bool has_leaf(uint32_t unit) {
  return ((unit >> 8) & 1) != 0;
}
uint32_t unit_value(uint32_t unit) {
  return unit & ((1U << 31) - 1);
}
uint32_t unit_label(uint32_t unit) {
  return unit & ((1U << 31) | 0xFF);
}
uint32_t unit_offset(uint32_t unit) {
  return (unit >> 10) << ((unit & (1U << 9)) >> 6);
}

int base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

uint32_t read_u32_le(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// base64

std::string decode_base64(std::string_view text, const std::string& where) {
  // What the base64 crate (as spm_precompiled uses it) accepts: the standard alphabet, no
  // whitespace, '=' only at the end and only as much as the last group lacks (none at all is
  // fine), a length that is not 1 modulo 4, zero bits after the last byte.
  size_t data = text.size();
  while (data > 0 && text[data - 1] == '=') --data;
  const size_t padding = text.size() - data;
  for (size_t i = 0; i < data; ++i) {
    if (base64_value(static_cast<unsigned char>(text[i])) < 0) {
      throw Error(cat(where, ": not valid base64: byte ", i, " is ",
                      text[i] == '=' ? std::string("'=' before the end")
                                     : cat("0x", std::hex,
                                           static_cast<int>(static_cast<unsigned char>(text[i]))),
                      " (expected A-Z a-z 0-9 + /)"));
    }
  }
  const size_t tail = data % 4;
  if (tail == 1)
    throw Error(cat(where, ": not valid base64: ", data, " symbols leave a lone 6-bit group"));
  if (padding > (4 - tail) % 4) {
    throw Error(cat(where, ": not valid base64: ", padding, " '=' after ", data,
                    " symbols (at most ", (4 - tail) % 4, ")"));
  }
  if (tail > 0) {
    // The unused low bits of the last symbol must be zero (the crate's "Invalid last symbol").
    const int last = base64_value(static_cast<unsigned char>(text[data - 1]));
    const int unused_mask = tail == 2 ? 0x0F : 0x03;
    if ((last & unused_mask) != 0) {
      throw Error(cat(where, ": not valid base64: the last symbol '", text[data - 1],
                      "' has bits set past the end"));
    }
  }
  // EVP_DecodeBlock wants whole 4-symbol groups; it decodes padding to zero bytes, dropped after.
  std::string groups(text.substr(0, data));
  groups.append((4 - tail) % 4, '=');
  std::string out(groups.size() / 4 * 3, '\0');
  if (groups.empty()) return out;
  FT_CHECK(groups.size() < static_cast<size_t>(INT32_MAX), "base64 text too long");
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(groups.data()),
                                static_cast<int>(groups.size()));
  if (n < 0) throw Error(cat(where, ": not valid base64 (OpenSSL EVP_DecodeBlock refused it)"));
  out.resize(static_cast<size_t>(n) - (4 - tail) % 4);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Loading

Precompiled::Precompiled(std::string_view blob, std::string where) : where_(std::move(where)) {
  // spm_precompiled's parse: le_u32 trie size, the units, then the strings.
  if (blob.size() < 4) {
    throw Error(cat(where_, ": the charsmap is ", blob.size(),
                    " bytes, too short for its 4-byte trie size"));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(blob.data());
  const uint32_t trie_bytes = read_u32_le(bytes);
  if (trie_bytes > blob.size() - 4) {
    throw Error(cat(where_, ": the charsmap says its trie has ", trie_bytes, " bytes, but only ",
                    blob.size() - 4, " follow the size field"));
  }
  // HF would read the remainder of a size that is not a multiple of 4 as string bytes; no
  // SentencePiece model is written that way, so it is refused as a damaged blob.
  if (trie_bytes % 4 != 0) {
    throw Error(cat(where_, ": the charsmap's trie size ", trie_bytes,
                    " is not a multiple of 4 (units are 4 bytes)"));
  }
  // HF loads an empty trie and then panics on the first lookup.
  if (trie_bytes == 0)
    throw Error(cat(where_, ": the charsmap's trie is empty (no double-array units)"));
  units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < units_.size(); ++i) units_[i] = read_u32_le(bytes + 4 + 4 * i);
  strings_.assign(blob.substr(4 + trie_bytes));
  const size_t bad = utf8::find_invalid_byte(strings_);
  if (bad != std::string::npos) {
    throw Error(cat(where_, ": the charsmap's replacement strings are not valid UTF-8 (byte ", bad,
                    " of ", strings_.size(), ")"));
  }
  // The single ASCII bytes, looked up now: the table serves the ASCII fast path, and a trie
  // that points outside itself is usually caught here, at load time.
  for (int b = 1; b < 128; ++b) {
    const char c = static_cast<char>(b);
    std::string_view replacement;
    if (transform(std::string_view(&c, 1), replacement)) {
      ascii_[b].replaced = true;
      ascii_[b].offset = static_cast<uint32_t>(replacement.data() - strings_.data());
      ascii_[b].size = static_cast<uint32_t>(replacement.size());
    }
  }
}

Precompiled Precompiled::from_base64(std::string_view text, const std::string& where) {
  return Precompiled(decode_base64(text, where), where);
}

std::unique_ptr<Normalizer> build_precompiled(const JsonView& node) {
  const std::string where = node.where() + ".precompiled_charsmap";
  if (!node.raw().is_object() || !node.raw().contains("precompiled_charsmap")) {
    throw Error(cat(where, ": missing (a Precompiled normalizer needs its base64 charsmap)"));
  }
  const Json& value = node.raw().at("precompiled_charsmap");
  if (!value.is_string())
    throw Error(cat(where, ": expected a base64 string, got ", json_type_phrase(value)));
  return std::make_unique<Precompiled>(
      Precompiled::from_base64(value.get_ref<const std::string&>(), where));
}

// ---------------------------------------------------------------------------------------------
// Lookup

void Precompiled::fail_outside(const char* what, uint64_t index, uint64_t limit) const {
  throw Error(cat(where_, ": the charsmap is damaged: ", what, " ", index, " is outside its ",
                  limit, what[0] == 's' ? " string bytes" : " trie units"));
}

int64_t Precompiled::first_prefix_value(std::string_view key) const {
  // darts-clone's common-prefix search, stopped at the first (shortest) match, every read checked.
  const size_t size = units_.size();
  uint64_t node = unit_offset(units_[0]);
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;  // a NUL ends the key (darts keys are C strings)
    node ^= c;
    if (node >= size) fail_outside("unit", node, size);
    const uint32_t unit = units_[node];
    if (unit_label(unit) != c) return -1;
    node ^= unit_offset(unit);
    if (has_leaf(unit)) {
      if (node >= size) fail_outside("unit", node, size);
      return unit_value(units_[node]);
    }
  }
  return -1;
}

std::string_view Precompiled::replacement_at(int64_t offset) const {
  // spm_precompiled slices normalized[offset..] up to the next NUL (or the end): an offset equal
  // to the size is an empty replacement, one past it or inside a UTF-8 sequence a panic in HF.
  const auto start = static_cast<size_t>(offset);
  if (start > strings_.size()) fail_outside("string offset", start, strings_.size());
  if (start < strings_.size() &&
      utf8::is_continuation(static_cast<unsigned char>(strings_[start]))) {
    throw Error(cat(where_, ": the charsmap is damaged: string offset ", start,
                    " points inside a UTF-8 character of its replacement strings"));
  }
  const void* nul = std::memchr(strings_.data() + start, 0, strings_.size() - start);
  const size_t end =
      nul ? static_cast<size_t>(static_cast<const char*>(nul) - strings_.data()) : strings_.size();
  return std::string_view(strings_).substr(start, end - start);
}

bool Precompiled::transform(std::string_view chunk, std::string_view& replacement) const {
  const int64_t value = first_prefix_value(chunk);
  if (value < 0) return false;
  replacement = replacement_at(value);
  return true;
}

void Precompiled::normalize_grapheme(std::string_view grapheme, std::string& out) const {
  std::string_view replacement;
  if (grapheme.size() < kWholeGraphemeBelow && transform(grapheme, replacement)) {
    out.append(replacement);
    return;
  }
  size_t i = 0;
  while (i < grapheme.size()) {
    const size_t start = i;
    i += utf8::sequence_length(static_cast<unsigned char>(grapheme[i]));
    const std::string_view character = grapheme.substr(start, i - start);
    if (transform(character, replacement)) {
      out.append(replacement);
    } else {
      out.append(character);
    }
  }
}

void Precompiled::normalize(std::string_view text, std::string& out) const {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const auto b = static_cast<unsigned char>(text[i]);
    // An ASCII byte followed by an ASCII byte (or the end) is a grapheme by itself, except CR LF.
    if (b < 0x80 && (i + 1 == n || (static_cast<unsigned char>(text[i + 1]) < 0x80 && b != '\r'))) {
      if (!ascii_[b].replaced) {
        // Copy the whole run of such bytes that the table leaves as they are.
        size_t j = i + 1;
        while (j + 1 < n) {
          const auto c = static_cast<unsigned char>(text[j]);
          if (c >= 0x80 || c == '\r' || ascii_[c].replaced ||
              static_cast<unsigned char>(text[j + 1]) >= 0x80)
            break;
          ++j;
        }
        if (j + 1 == n) {
          const auto c = static_cast<unsigned char>(text[j]);
          if (c < 0x80 && !ascii_[c].replaced) ++j;
        }
        out.append(text.substr(i, j - i));
        i = j;
      } else {
        out.append(strings_, ascii_[b].offset, ascii_[b].size);
        ++i;
      }
      continue;
    }
    // The general case: find where this grapheme ends (UAX #29 via utf8proc; the state carries
    // the emoji and regional-indicator context and may be reset after every break).
    size_t end = i;
    char32_t previous = utf8::decode(text, end);
    utf8proc_int32_t state = 0;
    while (end < n) {
      size_t next = end;
      const char32_t cp = utf8::decode(text, next);
      if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                           static_cast<utf8proc_int32_t>(cp), &state)) {
        break;
      }
      previous = cp;
      end = next;
    }
    normalize_grapheme(text.substr(i, end - i), out);
    i = end;
  }
}

}  // namespace finetune
