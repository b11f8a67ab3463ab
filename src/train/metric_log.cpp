// JSON-lines metric log. Keys keep the contract's order (ordered_json), which JSON does not
// require but people reading the file expect.
#include "train/metric_log.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "io/json.h"

namespace finetune {

MetricLog::MetricLog(const std::filesystem::path& path, bool append) : path_(path) {
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (file_ == nullptr) throw Error(cat("--log ", path.string(), ": cannot open for writing: ", std::strerror(errno)));
}

MetricLog::~MetricLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void MetricLog::write_line(const std::string& line) {
  if (file_ == nullptr) return;
  if (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) < 0 || std::fflush(file_) != 0) {
    throw Error(cat("--log ", path_.string(), ": write failed: ", std::strerror(errno)));
  }
}

void MetricLog::step(int64_t step, int epoch, double loss, double accuracy, double lr) {
  write_line(nlohmann::ordered_json{{"step", step}, {"epoch", epoch}, {"loss", loss}, {"accuracy", accuracy}, {"lr", lr}}
                 .dump());
}

void MetricLog::validation(int epoch, double val_loss, double val_accuracy, double val_macro_f1) {
  write_line(nlohmann::ordered_json{
      {"epoch", epoch}, {"val_loss", val_loss}, {"val_accuracy", val_accuracy}, {"val_macro_f1", val_macro_f1}}
                 .dump());
}

}  // namespace finetune
