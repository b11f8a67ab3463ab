// SHA-256, for verifying files downloaded from the Hugging Face hub.
//
// The hub names every Git LFS file (weights, Parquet shards) by the SHA-256 of its content: the
// X-Linked-Etag header of a resolve request and the blob's file name in the cache are that hash in
// hex. A download is accepted only when the bytes received hash to it. The digest is computed
// while the bytes arrive (`update` per chunk), and again over a partial file when a download
// resumes, so no file is read twice. The hashing itself is OpenSSL's libcrypto (its EVP digest
// API), the implementation Debian keeps correct and fast on every CPU; this header keeps
// OpenSSL's types out of its callers. Checked against the FIPS 180-4 / NIST CAVP test vectors in
// tests/hub/sha256_test.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace finetune {

// One running digest. Movable (a download that starts over assigns a fresh one), not copyable:
// it owns an OpenSSL context. Any OpenSSL failure throws Error.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // The digest of everything passed to update; the object must not be used afterwards.
  std::array<uint8_t, 32> finish();
  // finish() as 64 lowercase hex digits, the spelling the hub uses.
  std::string finish_hex();

 private:
  struct FreeContext {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, FreeContext> context_;
};

// The hex SHA-256 of a string or of a whole file (read through a memory map; throws Error naming
// the file).
std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& path);

// True for 64 lowercase-or-uppercase hex digits: the shape of an LFS object id.
bool is_sha256_hex(std::string_view text);

}  // namespace finetune
