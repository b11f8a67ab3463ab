// Learning-rate schedule factors (transformers.optimization).
#include "train/schedule.h"

#include <algorithm>

#include "core/error.h"

namespace finetune {

double LearningRateSchedule::lr_at(int64_t step) const {
  if (step < warmup_steps) {
    return base_lr * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  }
  if (kind == ScheduleKind::Constant) return base_lr;
  double remaining = static_cast<double>(total_steps - step);
  double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  return base_lr * std::max(0.0, remaining / span);
}

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "constant") return ScheduleKind::Constant;
  if (name == "linear") return ScheduleKind::Linear;
  throw Error(cat("--schedule: expected constant or linear, got '", name, "'"));
}

const char* schedule_name(ScheduleKind kind) { return kind == ScheduleKind::Constant ? "constant" : "linear"; }

}  // namespace finetune
