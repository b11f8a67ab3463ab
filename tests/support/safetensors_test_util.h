// Test helpers for safetensors files, shared by the io, cli and train suites: writing a raw file
// from a header string (to build malformed ones), the error a file gives when opened, and every
// tensor of a file read as floats (to rewrite a checkpoint with some values changed).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/safetensors.h"

namespace finetune::testing {

// An 8-byte little-endian header length (`declared_length`, by default the header's real length),
// the header text, then the data bytes.
inline void write_raw_safetensors(const std::filesystem::path& path, const std::string& header,
                                  const std::string& data,
                                  std::optional<uint64_t> declared_length = std::nullopt) {
  const uint64_t length = declared_length.value_or(header.size());
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
  out << header << data;
}

// The message of the finetune::Error that opening `path` throws, or "" when it opens; any other
// exception is a test failure (bad input must give the user-facing error tier).
inline std::string safetensors_error(const std::filesystem::path& path) {
  try {
    SafetensorsFile file(path);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected finetune::Error, got " << e.what();
    return e.what();
  }
  return "";
}

// Every tensor of `file` as floats, in the order of file.tensors().
inline std::vector<std::vector<float>> read_all_f32(const SafetensorsFile& file) {
  std::vector<std::vector<float>> data;
  for (const auto& info : file.tensors()) {
    data.emplace_back(static_cast<size_t>(info.numel()));
    file.read_as_f32(info, data.back().data(), info.numel());
  }
  return data;
}

}  // namespace finetune::testing
