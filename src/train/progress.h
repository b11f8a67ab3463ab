// The per-epoch progress line Keras users know:
//   Epoch 2/5  1234/2000 [=================>............] - 3m 12s 96ms/step - loss: 0.4123 - accuracy: 0.8571
// On a terminal it redraws in place (carriage return, at most ~10 times a second); in a log
// (stdout not a terminal) it prints a line every `log_interval_seconds` and always the last
// one, so a run's output stays readable and bounded. The final line of an epoch carries the
// validation metrics. Loss and accuracy are running means over the epoch so far.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/timer.h"

namespace finetune {

class ProgressLine {
 public:
  ProgressLine(std::FILE* out, bool interactive, double log_interval_seconds = 30.0);

  void start_epoch(int epoch, int epochs, int64_t steps_in_epoch, int64_t first_step = 0);
  void update(int64_t steps_done, double mean_loss, double mean_accuracy);
  // Prints the epoch's final line with `suffix` appended (e.g. " - val_loss: ...").
  void finish_epoch(int64_t steps_done, double mean_loss, double mean_accuracy, const std::string& suffix);

  // Text of the line (without newline), exposed for tests.
  std::string render(int64_t steps_done, double mean_loss, double mean_accuracy, bool final) const;

 private:
  std::FILE* out_;
  bool interactive_;
  double log_interval_;
  int epoch_ = 0, epochs_ = 0;
  int64_t steps_in_epoch_ = 0;
  int64_t first_step_ = 0;  // steps already done before this process resumed the epoch
  Timer timer_;
  double last_draw_ = -1e9;
};

// "3m 12s", "45s", "1h 02m"
std::string format_duration(double seconds);

}  // namespace finetune
