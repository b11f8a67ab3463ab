// The --log file: JSON lines, one per optimizer step and one per epoch's validation
// (DESIGN.md contract):
//   {"step": k, "epoch": e, "loss": x, "accuracy": a, "lr": x}
//   {"epoch": e, "val_loss": x, "val_accuracy": a}
// Each line is written and flushed as it happens, so `tail -f` follows a run and a crash loses
// at most the line being written. A resumed run appends.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace finetune {

class MetricLog {
 public:
  MetricLog() = default;  // a log that writes nothing (no --log)
  // Opens `path` for appending (append = true, resumed run) or truncating.
  MetricLog(const std::filesystem::path& path, bool append);
  ~MetricLog();
  MetricLog(const MetricLog&) = delete;
  MetricLog& operator=(const MetricLog&) = delete;

  void step(int64_t step, int epoch, double loss, double accuracy, double lr);
  void validation(int epoch, double val_loss, double val_accuracy, double val_macro_f1);

 private:
  void write_line(const std::string& line);
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

}  // namespace finetune
