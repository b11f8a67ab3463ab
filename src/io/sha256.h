// SHA-256 (FIPS 180-4), for verifying files downloaded from the Hugging Face hub.
//
// The hub names every Git LFS file (weights, Parquet shards) by the SHA-256 of its content: the
// X-Linked-Etag header of a resolve request and the blob's file name in the cache are that hash in
// hex. A download is accepted only when the bytes received hash to it. The digest is computed
// while the bytes arrive (`update` per chunk), and again over a partial file when a download
// resumes, so no file is read twice. Checked against the FIPS 180-4 / NIST CAVP test vectors in
// tests/hub/sha256_test.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace finetune {

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
  void compress(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// The hex SHA-256 of a string or of a whole file (streamed; throws Error naming the file).
std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& path);

// True for 64 lowercase-or-uppercase hex digits: the shape of an LFS object id.
bool is_sha256_hex(std::string_view text);

}  // namespace finetune
