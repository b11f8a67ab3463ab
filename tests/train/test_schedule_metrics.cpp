// Learning-rate schedules (transformers' formulas), classification metrics (scikit-learn's
// definitions) and the progress line format, against values worked out by hand.
#include <gtest/gtest.h>

#include "io/json.h"
#include "core/error.h"
#include "train/metrics.h"
#include "train/progress.h"
#include "train/schedule.h"

namespace finetune {
namespace {

TEST(Schedule, LinearWithWarmupMatchesTransformers) {
  // get_linear_schedule_with_warmup(opt, 3, 16): factor(k) = k/3 for k < 3, else (16-k)/13.
  LearningRateSchedule s{ScheduleKind::Linear, 1e-3, 3, 16};
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.lr_at(1), 1e-3 / 3);
  EXPECT_DOUBLE_EQ(s.lr_at(2), 2e-3 / 3);
  EXPECT_DOUBLE_EQ(s.lr_at(3), 1e-3);
  EXPECT_DOUBLE_EQ(s.lr_at(4), 1e-3 * 12 / 13);
  EXPECT_DOUBLE_EQ(s.lr_at(15), 1e-3 / 13);
  EXPECT_DOUBLE_EQ(s.lr_at(16), 0.0);
  // Without warmup the first step runs at the full rate.
  LearningRateSchedule no_warmup{ScheduleKind::Linear, 2e-5, 0, 10};
  EXPECT_DOUBLE_EQ(no_warmup.lr_at(0), 2e-5);
  EXPECT_DOUBLE_EQ(no_warmup.lr_at(5), 1e-5);
}

TEST(Schedule, ConstantWithWarmup) {
  LearningRateSchedule s{ScheduleKind::Constant, 5e-4, 2, 100};
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.lr_at(1), 2.5e-4);
  EXPECT_DOUBLE_EQ(s.lr_at(2), 5e-4);
  EXPECT_DOUBLE_EQ(s.lr_at(99), 5e-4);
  EXPECT_EQ(parse_schedule("linear"), ScheduleKind::Linear);
  EXPECT_THROW(parse_schedule("cosine"), Error);
}

TEST(Metrics, MatchScikitLearnOnAWorkedExample) {
  // y_true = [0 0 0 1 1 2], y_pred = [0 0 1 1 2 2]:
  //   class 0: P = 2/2, R = 2/3; class 1: P = 1/2, R = 1/2; class 2: P = 1/2, R = 1/1.
  ClassificationReport r = make_report({0, 0, 1, 1, 2, 2}, {0, 0, 0, 1, 1, 2}, 3.0, 3);
  EXPECT_EQ(r.examples, 6);
  EXPECT_DOUBLE_EQ(r.accuracy, 4.0 / 6);
  EXPECT_DOUBLE_EQ(r.loss, 0.5);
  EXPECT_DOUBLE_EQ(r.per_class[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(r.per_class[0].recall, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.per_class[0].f1, 0.8);
  EXPECT_DOUBLE_EQ(r.per_class[1].f1, 0.5);
  EXPECT_DOUBLE_EQ(r.per_class[2].f1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.macro_f1, (0.8 + 0.5 + 2.0 / 3) / 3);
  EXPECT_EQ(r.per_class[0].support, 3);
  EXPECT_EQ(r.confusion[0], (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(r.confusion[1], (std::vector<int64_t>{0, 1, 1}));
  // A class never predicted and never present scores 0, as sklearn's zero_division=0.
  ClassificationReport empty_class = make_report({0, 1}, {0, 1}, 0, 3);
  EXPECT_DOUBLE_EQ(empty_class.per_class[2].f1, 0.0);
  EXPECT_DOUBLE_EQ(empty_class.macro_f1, 2.0 / 3);
}

TEST(Metrics, TextAndJsonCarryLabelNames) {
  ClassificationReport r = make_report({0, 1, 1}, {0, 1, 0}, 1.5, 2);
  std::string text = format_report(r, {"sadness", "joy"});
  EXPECT_NE(text.find("sadness"), std::string::npos);
  EXPECT_NE(text.find("confusion matrix"), std::string::npos);
  Json json = Json::parse(report_to_json(r, {"sadness", "joy"}));
  EXPECT_EQ(json["per_class"]["joy"]["support"], 1);
  EXPECT_EQ(json["confusion_matrix"][0][1], 1);
  EXPECT_DOUBLE_EQ(json["accuracy"].get<double>(), 2.0 / 3);
}

TEST(Progress, KerasStyleLine) {
  ProgressLine line(stdout, false);
  line.start_epoch(2, 5, 2000);
  std::string text = line.render(1234, 0.41234, 0.857142, false);
  EXPECT_EQ(text.rfind("Epoch 2/5  1234/2000 [", 0), 0u) << text;
  EXPECT_NE(text.find("=>"), std::string::npos) << text;
  EXPECT_NE(text.find("ms/step - loss: 0.4123 - accuracy: 0.8571"), std::string::npos) << text;
  std::string done = line.render(2000, 0.4, 0.9, true);
  EXPECT_NE(done.find("[==============================]"), std::string::npos) << done;
  EXPECT_EQ(format_duration(192), "3m 12s");
  EXPECT_EQ(format_duration(45), "45s");
  EXPECT_EQ(format_duration(3720), "1h 02m");
}

}  // namespace
}  // namespace finetune
