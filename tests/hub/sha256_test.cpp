// SHA-256 against the FIPS 180-2 appendix B / NIST CAVP example vectors, the padding boundaries
// (message lengths around 55/56/64 bytes, values from Python's hashlib), and streaming in
// arbitrary chunk sizes; a digest replaced by a fresh one. CRC-32 against its standard check value.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "io/sha256.h"
#include "io/zip_archive.h"
#include "test_paths.h"

namespace finetune {
namespace {

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(
      sha256_hex(
          "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopq"
          "rlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  const std::pair<size_t, const char*> cases[] = {
      {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
      {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
      {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
      {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
      {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
      {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
      {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
  };
  for (const auto& [n, hex] : cases) EXPECT_EQ(sha256_hex(std::string(n, 'a')), hex) << n;
}

TEST(Sha256, StreamingInAnyChunkSizeGivesTheSameDigest) {
  std::string data;
  for (int r = 0; r < 40; ++r) {
    for (int b = 0; b < 256; ++b) data += static_cast<char>(b);
  }
  const std::string expected = "e96760a87768717bcebcfd25ddc7d46b4dbc95a4b0014def080c08539f7d90d0";
  ASSERT_EQ(sha256_hex(data), expected);
  for (size_t chunk : {1u, 3u, 63u, 64u, 65u, 1000u, 4095u}) {
    Sha256 hash;
    for (size_t at = 0; at < data.size(); at += chunk)
      hash.update(data.data() + at, std::min(chunk, data.size() - at));
    EXPECT_EQ(hash.finish_hex(), expected) << "chunk " << chunk;
  }
  auto path = testing::make_temp_dir("sha") / "blob";
  std::ofstream(path, std::ios::binary) << data;
  EXPECT_EQ(sha256_file_hex(path), expected);
  std::filesystem::remove_all(path.parent_path());
}

TEST(Sha256, AFreshDigestAssignedOverAnOldOneStartsOver) {
  // What a download does when the server ignores its Range request and sends the whole file.
  Sha256 hash;
  hash.update("bytes of a partial download");
  hash = Sha256();
  hash.update("abc");
  EXPECT_EQ(hash.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, RecognisesLfsObjectIds) {
  EXPECT_TRUE(is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_FALSE(is_sha256_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4"));  // a git sha1
  EXPECT_FALSE(is_sha256_hex("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

TEST(Crc32, CheckValue) {
  // The CRC catalogue's check value for CRC-32/ISO-HDLC: crc("123456789").
  EXPECT_EQ(crc32_update(0, "123456789", 9), 0xCBF43926u);
  EXPECT_EQ(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

}  // namespace
}  // namespace finetune
