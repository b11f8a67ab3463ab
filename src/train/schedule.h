// Learning-rate schedules, as transformers defines them (optimization.py):
//   constant: lr(k) = base * (k < W ? k / W : 1)                 get_constant_schedule_with_warmup
//   linear:   lr(k) = base * (k < W ? k / W : max(0, (S - k) / (S - W)))
//                                                                get_linear_schedule_with_warmup
// where k is the 0-based optimizer step, W the warmup steps and S the total number of steps.
// These are LambdaLR factors: optimizer step k runs with lr(k), and the first step of a linear
// schedule without warmup runs at the full base rate.
#pragma once

#include <cstdint>
#include <string>

namespace finetune {

enum class ScheduleKind { Constant, Linear };

struct LearningRateSchedule {
  ScheduleKind kind = ScheduleKind::Linear;
  double base_lr = 5e-5;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;

  double lr_at(int64_t step) const;
};

// "constant" or "linear"; anything else is an Error naming the flag.
ScheduleKind parse_schedule(const std::string& name);
const char* schedule_name(ScheduleKind kind);

}  // namespace finetune
