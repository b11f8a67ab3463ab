// Helpers for the data-layer tests: temporary files and catching finetune::Error messages.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "io/file.h"
#include "test_paths.h"

namespace finetune::testing {

// Runs `f`, which must throw finetune::Error; returns its message. Any other outcome (no throw,
// another exception type) fails the test and returns "".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected finetune::Error, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected finetune::Error, nothing was thrown";
  return "";
}

// A temporary directory removed when the object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& label) : path_(make_temp_dir(label)) {}
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to <dir>/<name> and returns the path. (A plain write, not
  // write_file_atomic: the corruption tests write thousands of files and need no fsync.)
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    auto path = path_ / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    return path;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path parquet_fixture(const std::string& name) {
  return test_data_dir() / "parquet" / name;
}

inline std::filesystem::path emotion_dir() {
  return shared_dir() / "data" / "emotion";
}

}  // namespace finetune::testing
