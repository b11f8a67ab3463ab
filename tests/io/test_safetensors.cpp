// safetensors reader/writer: round trips, dtype widening, and every header validation rule
// (length, JSON, dtype, shape vs offsets, bounds, overlap) on deliberately broken files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/half.h"
#include "io/safetensors.h"
#include "safetensors_test_util.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;


class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("safetensors"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTripsTensorsAndMetadata) {
  std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 1e-20f, -7.0f};
  std::vector<uint16_t> b = {float_to_bf16(1.0f), float_to_bf16(-0.5f), float_to_bf16(3.0f)};
  fs::path path = dir_ / "model.safetensors";
  write_safetensors(path,
                    {{"layer.weight", StDType::F32, {2, 3}, a.data()},
                     {"layer.bias", StDType::BF16, {3}, b.data()}},
                    {{"format", "pt"}});
  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  ASSERT_EQ(file.tensors().size(), 2u);
  const StTensorInfo* w = file.find("layer.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  std::vector<float> got(6);
  file.read_as_f32(*w, got.data(), 6);
  EXPECT_EQ(got, a);
  const StTensorInfo* bias = file.find("layer.bias");
  ASSERT_NE(bias, nullptr);
  std::vector<float> widened(3);
  file.read_as_f32(*bias, widened.data(), 3);
  EXPECT_EQ(widened, (std::vector<float>{1.0f, -0.5f, 3.0f}));
  // The reference implementation aligns the data buffer to 8 bytes.
  std::ifstream in(path, std::ios::binary);
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), 8);
  EXPECT_EQ(header_len % 8, 0u);
}

TEST_F(SafetensorsTest, WidensF16IncludingSubnormalsAndSpecials) {
  // 0x3c00 = 1, 0xc000 = -2, 0x0001 = smallest subnormal 2^-24, 0x7c00 = inf, 0x8000 = -0.
  std::vector<uint16_t> h = {0x3c00, 0xc000, 0x0001, 0x7c00, 0x8000, 0x7bff};
  fs::path path = dir_ / "f16.safetensors";
  write_safetensors(path, {{"t", StDType::F16, {6}, h.data()}}, {});
  SafetensorsFile file(path);
  std::vector<float> got(6);
  file.read_as_f32(*file.find("t"), got.data(), 6);
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_EQ(got[1], -2.0f);
  EXPECT_EQ(got[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(got[3]));
  EXPECT_TRUE(std::signbit(got[4]));
  EXPECT_EQ(got[5], 65504.0f);
}

TEST_F(SafetensorsTest, RefusesIntegerTensorsAsParameters) {
  std::vector<int64_t> ids = {0, 1, 2};
  fs::path path = dir_ / "ids.safetensors";
  write_safetensors(path, {{"position_ids", StDType::I64, {1, 3}, ids.data()}}, {});
  SafetensorsFile file(path);
  std::vector<float> out(3);
  try {
    file.read_as_f32(*file.find("position_ids"), out.data(), 3);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("position_ids"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("I64"), std::string::npos) << e.what();
  }
}

TEST_F(SafetensorsTest, RejectsFileTooShortForTheLength) {
  fs::path path = dir_ / "short.safetensors";
  std::ofstream(path, std::ios::binary) << "abc";
  EXPECT_NE(testing::safetensors_error(path).find("too short"), std::string::npos) << testing::safetensors_error(path);
}

TEST_F(SafetensorsTest, RejectsHeaderLongerThanTheFile) {
  fs::path path = dir_ / "truncated.safetensors";
  std::string header = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  testing::write_raw_safetensors(path, header, "\0\0\0\0");
  // Cut the file in the middle of the header.
  fs::resize_file(path, 20);
  std::string message = testing::safetensors_error(path);
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
}

TEST_F(SafetensorsTest, RejectsHugeDeclaredHeaderLength) {
  fs::path path = dir_ / "huge.safetensors";
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>(0xff));  // 2^64 - 1
  out << "{}";
  out.close();
  EXPECT_NE(testing::safetensors_error(path).find("corrupt safetensors header"), std::string::npos) << testing::safetensors_error(path);
}

TEST_F(SafetensorsTest, RejectsInvalidJson) {
  fs::path path = dir_ / "json.safetensors";
  testing::write_raw_safetensors(path, R"({"t": {"dtype": "F32", "shape": [1], )", "");
  std::string message = testing::safetensors_error(path);
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
}

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  fs::path path = dir_ / "dtype.safetensors";
  testing::write_raw_safetensors(path, R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})", std::string(16, '\0'));
  std::string message = testing::safetensors_error(path);
  EXPECT_NE(message.find("'w'"), std::string::npos) << message;
  EXPECT_NE(message.find("F128"), std::string::npos) << message;
}

TEST_F(SafetensorsTest, RejectsShapeThatDisagreesWithOffsets) {
  fs::path path = dir_ / "shape.safetensors";
  testing::write_raw_safetensors(path, R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(12, '\0'));
  std::string message = testing::safetensors_error(path);
  EXPECT_NE(message.find("needs 16 bytes"), std::string::npos) << message;
}

TEST_F(SafetensorsTest, RejectsOffsetsOutsideTheBuffer) {
  fs::path path = dir_ / "bounds.safetensors";
  testing::write_raw_safetensors(path, R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0'));
  std::string message = testing::safetensors_error(path);
  EXPECT_NE(message.find("outside the data buffer"), std::string::npos) << message;
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  fs::path path = dir_ / "overlap.safetensors";
  testing::write_raw_safetensors(path,
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            std::string(12, '\0'));
  std::string message = testing::safetensors_error(path);
  EXPECT_NE(message.find("overlap"), std::string::npos) << message;
}

TEST_F(SafetensorsTest, RejectsNegativeAndNonIntegerShapes) {
  fs::path path = dir_ / "negative.safetensors";
  testing::write_raw_safetensors(path, R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'));
  EXPECT_NE(testing::safetensors_error(path).find("non-negative"), std::string::npos) << testing::safetensors_error(path);
  testing::write_raw_safetensors(path, R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", std::string(4, '\0'));
  EXPECT_NE(testing::safetensors_error(path).find("non-negative"), std::string::npos) << testing::safetensors_error(path);
}

TEST_F(SafetensorsTest, RejectsOverflowingShape) {
  fs::path path = dir_ / "overflow.safetensors";
  testing::write_raw_safetensors(path,
            R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})",
            std::string(4, '\0'));
  EXPECT_NE(testing::safetensors_error(path).find("too large"), std::string::npos) << testing::safetensors_error(path);
}

TEST_F(SafetensorsTest, RejectsNonStringMetadata) {
  fs::path path = dir_ / "meta.safetensors";
  testing::write_raw_safetensors(path, R"({"__metadata__":{"format":3}})", "");
  EXPECT_NE(testing::safetensors_error(path).find("__metadata__"), std::string::npos) << testing::safetensors_error(path);
}

TEST_F(SafetensorsTest, MissingFileNamesThePath) {
  std::string message = testing::safetensors_error(dir_ / "absent.safetensors");
  EXPECT_NE(message.find("absent.safetensors"), std::string::npos) << message;
}

TEST_F(SafetensorsTest, AtomicWriteLeavesNoTemporaryFiles) {
  std::vector<float> a = {1, 2};
  fs::path path = dir_ / "m.safetensors";
  write_safetensors(path, {{"a", StDType::F32, {2}, a.data()}}, {});
  write_safetensors(path, {{"a", StDType::F32, {2}, a.data()}}, {});
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace finetune
