// Whole-directory replacement: a new target, replacing an old one, cleanup of an abandoned
// staging directory, and recovery after an interrupted fallback commit.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "io/file.h"
#include "io/staged_directory.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;

class StagedDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::make_temp_dir("staged"); }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(StagedDirectoryTest, CreatesAndReplacesTheTargetAsAWhole) {
  fs::path target = root_ / "out";
  {
    StagedDirectory staged(target);
    write_file_atomic(staged.path() / "a.txt", "one");
    write_file_atomic(staged.path() / "b.txt", "two");
    EXPECT_FALSE(fs::exists(target));  // nothing visible before commit
    staged.commit();
  }
  EXPECT_EQ(read_file(target / "a.txt"), "one");
  {
    StagedDirectory staged(target);
    write_file_atomic(staged.path() / "a.txt", "three");
    EXPECT_EQ(read_file(target / "a.txt"), "one");  // the old content stays until commit
    staged.commit();
  }
  EXPECT_EQ(read_file(target / "a.txt"), "three");
  EXPECT_FALSE(fs::exists(target / "b.txt"));  // the directory was replaced, not merged
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_)) ++entries;
  EXPECT_EQ(entries, 1) << "no staging or previous directory left behind";
}

TEST_F(StagedDirectoryTest, AbandonedStagingLeavesTargetAlone) {
  fs::path target = root_ / "out";
  fs::create_directories(target);
  write_file_atomic(target / "keep.txt", "kept");
  {
    StagedDirectory staged(target);
    write_file_atomic(staged.path() / "new.txt", "new");
    // no commit: an error happened while writing
  }
  EXPECT_EQ(read_file(target / "keep.txt"), "kept");
  EXPECT_FALSE(fs::exists(root_ / ".out.staging"));
}

TEST_F(StagedDirectoryTest, RecoverRestoresThePreviousCheckpoint) {
  fs::path target = root_ / "out";
  fs::path previous = root_ / "out.previous";
  fs::create_directories(previous);
  write_file_atomic(previous / "model.safetensors", "weights");
  StagedDirectory::recover(target);
  EXPECT_EQ(read_file(target / "model.safetensors"), "weights");
}

TEST_F(StagedDirectoryTest, UnwritableParentIsAnError) {
  fs::path blocker = root_ / "file";
  write_file_atomic(blocker, "not a directory");
  EXPECT_THROW(StagedDirectory(blocker / "out"), Error);
}

}  // namespace
}  // namespace finetune
