// NFC/NFD/NFKC/NFKD, Lowercase and StripAccents (see unicode_normalizers.h).
#include "tokenizer/normalizers/unicode_normalizers.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "core/error.h"
#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace finetune {

namespace {
bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}
}  // namespace

void UnicodeNormalizer::normalize(std::string_view text, std::string& out) const {
  // ASCII is invariant under all four forms; most text is ASCII, so skip utf8proc for it.
  if (is_ascii(text)) {
    out.append(text);
    return;
  }
  int options = UTF8PROC_STABLE;
  switch (form_) {
    case UnicodeForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case UnicodeForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case UnicodeForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case UnicodeForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* result = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                    static_cast<utf8proc_ssize_t>(text.size()), &result,
                                    static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  if (n < 0) throw Error(cat("Unicode normalization failed: ", utf8proc_errmsg(n)));
  out.append(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
}

void Lowercase::normalize(std::string_view text, std::string& out) const {
  size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += static_cast<char>(b >= 'A' && b <= 'Z' ? b + 32 : b);
      ++i;
      continue;
    }
    char32_t lower[hf_unicode::kMaxLowercase];
    int n = hf_unicode::to_lowercase(utf8::decode(text, i), lower);
    for (int k = 0; k < n; ++k) utf8::append(out, lower[k]);
  }
}

void StripAccents::normalize(std::string_view text, std::string& out) const {
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      out += text[i++];
      continue;
    }
    if (hf_unicode::is_combining_mark(utf8::decode(text, i))) continue;
    out.append(text.substr(start, i - start));
  }
}

}  // namespace finetune
