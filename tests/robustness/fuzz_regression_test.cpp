// Fuzz regressions in every build: each committed reproducer (tests/fuzz/regressions/<target>/*),
// each hand-written seed (tests/fuzz/seeds/<target>/*) and the committed fixture files the seed
// corpora are built from go through the fuzz entry points (tests/fuzz/entry_points.h), the same
// functions the libFuzzer targets call. The contract is the entry points': bad input may only end
// in finetune::Error, which the entry point itself catches. Any exception that escapes fails the
// test, naming the file; a crash or sanitizer report fails the test binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "entry_points.h"
#include "test_paths.h"

namespace finetune::testing {
namespace {

namespace fs = std::filesystem;
using fuzz::EntryPoint;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs one input through an entry point; returns "" when the contract held, else what escaped.
std::string replay(EntryPoint run, const std::string& bytes) {
  try {
    run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  } catch (const std::exception& e) {
    return std::string("an exception escaped the entry point: ") + e.what();
  } catch (...) {
    return "a non-std exception escaped the entry point";
  }
  return "";
}

// The files of `dir` (not recursive, hidden files such as .gitkeep left out), sorted.
std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Committed files the seed corpora are built from (scripts/sanitize-and-fuzz.sh), replayed as
// they are: every file here is a valid input that must load (or be refused) without a finding.
std::vector<fs::path> fixture_inputs(const std::string& target) {
  std::vector<fs::path> files;
  const fs::path fixtures = fixtures_dir();
  auto add_matching = [&](const fs::path& dir, const std::string& suffix) {
    if (!fs::is_directory(dir)) return;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        files.push_back(entry.path());
      }
    }
  };
  if (target == "safetensors" || target == "checkpoint") add_matching(fixtures, ".safetensors");
  if (target == "config") add_matching(fixtures, "config.json");
  if (target == "tokenizer_json") add_matching(fixtures, "tokenizer.json");
  if (target == "torch_checkpoint") add_matching(fixtures, ".bin");
  if (target == "merges_txt") add_matching(fixtures, "merges.txt");
  if (target == "sentencepiece_model") add_matching(fixtures, ".model");
  if (target == "dataset_parquet") add_matching(test_data_dir() / "parquet", ".parquet");
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzRegression : public ::testing::TestWithParam<fuzz::Target> {};

TEST_P(FuzzRegression, ReproducersSeedsAndFixturesKeepTheContract) {
  const fuzz::Target& target = GetParam();
  std::vector<fs::path> inputs = files_in(repo_root() / "tests/fuzz/regressions" / target.name);
  const size_t reproducers = inputs.size();
  for (const fs::path& seed : files_in(repo_root() / "tests/fuzz/seeds" / target.name)) inputs.push_back(seed);
  for (const fs::path& fixture : fixture_inputs(target.name)) inputs.push_back(fixture);
  for (const fs::path& input : inputs) {
    SCOPED_TRACE(input.string());
    const std::string failure = replay(target.run, read_bytes(input));
    EXPECT_EQ(failure, "") << target.name << " on " << input;
  }
  RecordProperty("reproducers", static_cast<int>(reproducers));
  RecordProperty("inputs", static_cast<int>(inputs.size()));
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression, ::testing::ValuesIn(fuzz::all_targets()),
                         [](const ::testing::TestParamInfo<fuzz::Target>& info) {
                           return std::string(info.param.name);
                         });

// Every directory of reproducers and seeds is named after a target that exists, so a misspelt
// directory cannot hold reproducers nothing replays.
TEST(FuzzRegressionLayout, DirectoriesNameExistingTargets) {
  for (const char* kind : {"regressions", "seeds"}) {
    const fs::path root = repo_root() / "tests/fuzz" / kind;
    if (!fs::is_directory(root)) continue;
    for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
      if (!entry.is_directory()) continue;
      EXPECT_NE(fuzz::find_target(entry.path().filename().string()), nullptr)
          << entry.path() << " names no fuzz target (tests/fuzz/entry_points.cpp)";
    }
  }
}

// The replay can fail: an exception other than finetune::Error escaping an entry point is reported.
TEST(FuzzRegressionLayout, AnEscapingExceptionIsReported) {
  const EntryPoint throws = [](const uint8_t*, size_t) { throw std::out_of_range("vector::at"); };
  EXPECT_NE(replay(throws, "x").find("vector::at"), std::string::npos);
  const EntryPoint quiet = [](const uint8_t*, size_t) {};
  EXPECT_EQ(replay(quiet, "x"), "");
}

}  // namespace
}  // namespace finetune::testing
