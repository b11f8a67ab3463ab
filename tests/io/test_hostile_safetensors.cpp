// Hostile safetensors headers beyond tests/io/test_safetensors.cpp (docs/robustness.md): offsets
// near 2^64 and reversed, negative or fractional offsets, a header length just past the file,
// and tensor names that look like paths. Every one is refused with a reason or read as a plain
// name; none crashes or reads outside the file.
#include <gtest/gtest.h>

#include <fstream>

#include "io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;


class HostileSafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("hostile-st"); }
  void TearDown() override { fs::remove_all(dir_); }

  // The error for one tensor entry `entry` (the text after "t":) over `data_bytes` of data.
  std::string error_for(const std::string& entry, size_t data_bytes = 16) {
    const std::string header = "{\"t\":" + entry + "}";
    fs::path path = dir_ / "hostile.safetensors";
    testing::write_raw_safetensors(path, header, std::string(data_bytes, '\0'), header.size());
    return testing::safetensors_error(path);
  }

  fs::path dir_;
};

TEST_F(HostileSafetensorsTest, OffsetsNearTwoToThe64AreRefused) {
  // end - begin equals the shape's bytes, but both lie beyond the file (a naive begin + size
  // check wraps around).
  std::string message =
      error_for(R"({"dtype":"F32","shape":[4],"data_offsets":[18446744073709551600,18446744073709551616]})");
  EXPECT_FALSE(message.empty());
  message = error_for(R"({"dtype":"F32","shape":[4],"data_offsets":[18446744073709551599,18446744073709551615]})");
  EXPECT_NE(message.find("hostile.safetensors"), std::string::npos) << message;
  EXPECT_FALSE(message.empty());
  // A shape whose byte count wraps to a small number.
  message = error_for(R"({"dtype":"F32","shape":[4611686018427387905],"data_offsets":[0,4]})");
  EXPECT_FALSE(message.empty());
  message = error_for(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]})");
  EXPECT_FALSE(message.empty());
}

TEST_F(HostileSafetensorsTest, ReversedNegativeAndFractionalOffsetsAreRefused) {
  EXPECT_FALSE(error_for(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})").empty());
  EXPECT_FALSE(error_for(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})").empty());
  EXPECT_FALSE(error_for(R"({"dtype":"F32","shape":[2],"data_offsets":[0.5,8.5]})").empty());
  EXPECT_FALSE(error_for(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})").empty());
  EXPECT_FALSE(error_for(R"({"dtype":"F32","shape":[2],"data_offsets":"0-8"})").empty());
  EXPECT_FALSE(error_for(R"({"dtype":"F32","shape":[2]})").empty());
  EXPECT_FALSE(error_for(R"("not an object")").empty());
}

TEST_F(HostileSafetensorsTest, HeaderLengthsAroundTheFileSizeAreRefused) {
  const std::string header = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  fs::path path = dir_ / "length.safetensors";
  for (uint64_t declared : {uint64_t{header.size() + 5}, uint64_t{1} << 63, uint64_t{0}, uint64_t{1}}) {
    testing::write_raw_safetensors(path, header, "abcd", declared);
    EXPECT_FALSE(testing::safetensors_error(path).empty()) << "declared header length " << declared;
  }
  // Exactly right still reads.
  testing::write_raw_safetensors(path, header, "abcd", header.size());
  EXPECT_EQ(testing::safetensors_error(path), "");
}

TEST_F(HostileSafetensorsTest, TensorNamesThatLookLikePathsAreOnlyNames) {
  std::vector<float> v = {1, 2};
  const std::vector<std::string> names = {"../../escape.weight", "/etc/passwd", "a/b\\c", "C:\\x", ".."};
  std::vector<StTensorToWrite> tensors;
  for (const std::string& name : names) tensors.push_back({name, StDType::F32, {2}, v.data()});
  const fs::path inner = dir_ / "inner";
  fs::create_directories(inner);
  write_safetensors(inner / "model.safetensors", tensors, {{"format", "pt"}});
  SafetensorsFile file(inner / "model.safetensors");
  for (const std::string& name : names) {
    const StTensorInfo* info = file.find(name);
    ASSERT_NE(info, nullptr) << name;
    std::vector<float> got(2);
    file.read_as_f32(*info, got.data(), 2);
    EXPECT_EQ(got, v) << name;
  }
  // An empty name is refused.
  write_safetensors(dir_ / "empty.safetensors", {{"", StDType::F32, {2}, v.data()}}, {});
  EXPECT_NE(testing::safetensors_error(dir_ / "empty.safetensors").find("a tensor has an empty name"), std::string::npos);
  fs::remove(dir_ / "empty.safetensors");
  // Reading created nothing anywhere: the names never became paths.
  std::vector<std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) entries.push_back(entry.path().string());
  EXPECT_EQ(entries, (std::vector<std::string>{inner.string(), (inner / "model.safetensors").string()}));
}

}  // namespace
}  // namespace finetune
