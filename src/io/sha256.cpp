// SHA-256 through OpenSSL's EVP digest interface (EVP_DigestInit_ex / Update / Final_ex with
// EVP_sha256), which picks the CPU's SHA extensions or vector code where they exist. Every
// OpenSSL call is checked; a failure throws Error with OpenSSL's own reason from its error queue.
#include "io/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "io/file.h"

namespace finetune {
namespace {

// Throws Error for a failed OpenSSL call `what`, with the reason OpenSSL queued (if any).
[[noreturn]] void throw_openssl_error(const char* what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();  // the queue is per thread: leave nothing behind for the next caller
  char reason[256] = "no reason given";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  throw Error(cat("SHA-256: OpenSSL ", what, " failed (", reason, ")"));
}

}  // namespace

void Sha256::FreeContext::operator()(evp_md_ctx_st* context) const {
  EVP_MD_CTX_free(context);
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (!context_) throw_openssl_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) {
    throw_openssl_error("EVP_DigestInit_ex");
  }
}

void Sha256::update(const void* data, size_t size) {
  FT_CHECK(context_, "Sha256 used after it was moved from");
  if (EVP_DigestUpdate(context_.get(), data, size) != 1) throw_openssl_error("EVP_DigestUpdate");
}

std::array<uint8_t, 32> Sha256::finish() {
  FT_CHECK(context_, "Sha256 used after it was moved from");
  std::array<uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &length) != 1) {
    throw_openssl_error("EVP_DigestFinal_ex");
  }
  FT_CHECK(length == digest.size(), "SHA-256 digest of ", length, " bytes");
  return digest;
}

std::string Sha256::finish_hex() {
  static const char* kHex = "0123456789abcdef";
  std::string text;
  for (uint8_t byte : finish()) {
    text += kHex[byte >> 4];
    text += kHex[byte & 15];
  }
  return text;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.finish_hex();
}

std::string sha256_file_hex(const std::filesystem::path& path) {
  const MappedFile file(path);  // throws naming the file; unmapped even when hashing throws
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(file.data()), file.size()));
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

}  // namespace finetune
