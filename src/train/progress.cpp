// Keras-style progress line rendering and throttling.
#include "train/progress.h"

#include <algorithm>
#include <cmath>

namespace finetune {

std::string format_duration(double seconds) {
  long long s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lldh %02lldm", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof text, "%lldm %02llds", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%llds", s);
  }
  return text;
}

ProgressLine::ProgressLine(std::FILE* out, bool interactive, double log_interval_seconds)
    : out_(out), interactive_(interactive), log_interval_(log_interval_seconds) {}

void ProgressLine::start_epoch(int epoch, int epochs, int64_t steps_in_epoch, int64_t first_step) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_in_epoch_ = steps_in_epoch;
  first_step_ = first_step;
  timer_.restart();
  last_draw_ = -1e9;
}

std::string ProgressLine::render(int64_t steps_done, double mean_loss, double mean_accuracy, bool final) const {
  constexpr int kWidth = 30;
  const int64_t total = std::max<int64_t>(1, steps_in_epoch_);
  const int filled = static_cast<int>(kWidth * std::min<int64_t>(steps_done, total) / total);
  std::string bar(filled, '=');
  if (filled < kWidth) {
    bar += steps_done > 0 ? '>' : '.';  // the head of the bar, as Keras draws it
    bar += std::string(kWidth - filled - 1, '.');
  }
  const double elapsed = timer_.seconds();
  const int64_t timed_steps = steps_done - first_step_;
  const double per_step = timed_steps > 0 ? elapsed / timed_steps : 0.0;
  char head[96];
  std::snprintf(head, sizeof head, "Epoch %d/%d  %lld/%lld [", epoch_, epochs_, static_cast<long long>(steps_done),
                static_cast<long long>(steps_in_epoch_));
  std::string text = head + bar + "] - ";
  if (final || steps_done >= steps_in_epoch_) {
    text += format_duration(elapsed);
  } else {
    text += "ETA " + format_duration(per_step * static_cast<double>(steps_in_epoch_ - steps_done));
  }
  char tail[128];
  std::snprintf(tail, sizeof tail, " %.0fms/step - loss: %.4f - accuracy: %.4f", per_step * 1000.0, mean_loss,
                mean_accuracy);
  return text + tail;
}

void ProgressLine::update(int64_t steps_done, double mean_loss, double mean_accuracy) {
  const double now = timer_.seconds();
  const double interval = interactive_ ? 0.1 : log_interval_;
  if (now - last_draw_ < interval) return;
  last_draw_ = now;
  std::string text = render(steps_done, mean_loss, mean_accuracy, false);
  if (interactive_) {
    std::fprintf(out_, "\r%s\033[K", text.c_str());  // \033[K clears what a longer line left
  } else {
    std::fprintf(out_, "%s\n", text.c_str());
  }
  std::fflush(out_);
}

void ProgressLine::finish_epoch(int64_t steps_done, double mean_loss, double mean_accuracy,
                                const std::string& suffix) {
  std::string text = render(steps_done, mean_loss, mean_accuracy, true) + suffix;
  std::fprintf(out_, interactive_ ? "\r%s\033[K\n" : "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace finetune
