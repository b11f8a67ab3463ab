// Replacing a whole directory atomically: a checkpoint is several files (config.json,
// model.safetensors, tokenizer files, training state) that must change together.
//
// Files are written into a staging directory beside the target (same filesystem), each flushed
// to disk; commit() then swaps the staging directory and the target in one step with Linux's
// renameat2(RENAME_EXCHANGE) and removes the old content. A crash before the swap leaves the
// previous target untouched (and a stale staging directory, removed by the next run); a crash
// after it leaves the complete new one. Where the filesystem cannot exchange, the target is
// moved aside and the staging directory renamed into place: a crash between those two renames
// leaves the previous checkpoint complete under "<target>.previous", which recover() restores.
#pragma once

#include <filesystem>

namespace finetune {

class StagedDirectory {
 public:
  // Creates (or empties) "<parent>/.<name>.staging". Throws Error if that is not possible, which
  // also tells early that the target's parent is not writable.
  explicit StagedDirectory(std::filesystem::path target);
  ~StagedDirectory();  // removes the staging directory unless committed
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }

  // Makes the staged files the target's content (see above).
  void commit();

  // Restores "<target>.previous" as the target if a fallback commit was interrupted.
  static void recover(const std::filesystem::path& target);

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

}  // namespace finetune
