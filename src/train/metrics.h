// Classification metrics: accuracy, loss, per-class precision/recall/F1, macro-F1 and the
// confusion matrix, as scikit-learn's classification_report computes them (a class with no
// predictions has precision 0; with no examples, recall 0; F1 is 0 when P + R = 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace finetune {

struct ClassMetrics {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  int64_t support = 0;  // examples whose true label is this class
};

struct ClassificationReport {
  int64_t examples = 0;
  double loss = 0;  // mean cross-entropy
  double accuracy = 0;
  double macro_f1 = 0;
  std::vector<ClassMetrics> per_class;         // [K]
  std::vector<std::vector<int64_t>> confusion;  // [K][K]: row = true label, column = predicted
};

// `predictions` and `labels` are class ids in [0, K); `loss_sum` is the sum of per-example losses.
ClassificationReport make_report(const std::vector<int32_t>& predictions, const std::vector<int32_t>& labels,
                                 double loss_sum, int K);
// The same from a confusion matrix (row = true label, column = predicted), e.g. summed over the
// processes of a data-parallel run.
ClassificationReport make_report(const std::vector<std::vector<int64_t>>& confusion, double loss_sum);

// Human-readable report with label names (per-class table and confusion matrix).
std::string format_report(const ClassificationReport& report, const std::vector<std::string>& label_names);
// One JSON object with every number and the label names.
std::string report_to_json(const ClassificationReport& report, const std::vector<std::string>& label_names);

}  // namespace finetune
