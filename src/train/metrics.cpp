// Metrics from predictions and labels, and their text and JSON renderings.
#include "train/metrics.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "io/json.h"

namespace finetune {

ClassificationReport make_report(const std::vector<int32_t>& predictions, const std::vector<int32_t>& labels,
                                 double loss_sum, int K) {
  FT_CHECK(predictions.size() == labels.size(), predictions.size(), " predictions for ", labels.size(), " labels");
  std::vector<std::vector<int64_t>> confusion(K, std::vector<int64_t>(K, 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    FT_CHECK(labels[i] >= 0 && labels[i] < K && predictions[i] >= 0 && predictions[i] < K, "class out of range");
    ++confusion[labels[i]][predictions[i]];
  }
  return make_report(confusion, loss_sum);
}

ClassificationReport make_report(const std::vector<std::vector<int64_t>>& confusion, double loss_sum) {
  const int K = static_cast<int>(confusion.size());
  ClassificationReport r;
  r.confusion = confusion;
  int64_t correct = 0;
  for (int k = 0; k < K; ++k) {
    correct += confusion[k][k];
    for (int j = 0; j < K; ++j) r.examples += confusion[k][j];
  }
  r.per_class.resize(K);
  double f1_sum = 0;
  for (int k = 0; k < K; ++k) {
    int64_t true_positive = confusion[k][k], predicted = 0, actual = 0;
    for (int j = 0; j < K; ++j) {
      predicted += confusion[j][k];
      actual += confusion[k][j];
    }
    ClassMetrics& m = r.per_class[k];
    m.support = actual;
    m.precision = predicted > 0 ? static_cast<double>(true_positive) / predicted : 0.0;
    m.recall = actual > 0 ? static_cast<double>(true_positive) / actual : 0.0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    f1_sum += m.f1;
  }
  r.accuracy = r.examples > 0 ? static_cast<double>(correct) / r.examples : 0.0;
  r.loss = r.examples > 0 ? loss_sum / r.examples : 0.0;
  r.macro_f1 = K > 0 ? f1_sum / K : 0.0;
  return r;
}

std::string format_report(const ClassificationReport& r, const std::vector<std::string>& names) {
  const int K = static_cast<int>(r.per_class.size());
  size_t width = 8;
  for (const auto& n : names) width = std::max(width, n.size());
  char line[512];
  std::string out;
  std::snprintf(line, sizeof line, "examples: %lld   loss: %.4f   accuracy: %.4f   macro-F1: %.4f\n\n",
                static_cast<long long>(r.examples), r.loss, r.accuracy, r.macro_f1);
  out += line;
  std::snprintf(line, sizeof line, "%-*s  precision  recall  f1      support\n", static_cast<int>(width), "label");
  out += line;
  for (int k = 0; k < K; ++k) {
    const ClassMetrics& m = r.per_class[k];
    std::snprintf(line, sizeof line, "%-*s  %9.4f  %6.4f  %6.4f  %7lld\n", static_cast<int>(width), names[k].c_str(),
                  m.precision, m.recall, m.f1, static_cast<long long>(m.support));
    out += line;
  }
  out += "\nconfusion matrix (rows: true label, columns: predicted)\n";
  size_t cell = 6;
  for (const auto& n : names) cell = std::max(cell, n.size());
  out += std::string(width, ' ');
  for (int k = 0; k < K; ++k) {
    std::snprintf(line, sizeof line, "  %*s", static_cast<int>(cell), names[k].c_str());
    out += line;
  }
  out += "\n";
  for (int i = 0; i < K; ++i) {
    std::snprintf(line, sizeof line, "%-*s", static_cast<int>(width), names[i].c_str());
    out += line;
    for (int j = 0; j < K; ++j) {
      std::snprintf(line, sizeof line, "  %*lld", static_cast<int>(cell), static_cast<long long>(r.confusion[i][j]));
      out += line;
    }
    out += "\n";
  }
  return out;
}

std::string report_to_json(const ClassificationReport& r, const std::vector<std::string>& names) {
  Json per_class = Json::object();
  for (size_t k = 0; k < r.per_class.size(); ++k) {
    const ClassMetrics& m = r.per_class[k];
    per_class[names[k]] = {{"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1}, {"support", m.support}};
  }
  Json out = {{"examples", r.examples}, {"loss", r.loss},         {"accuracy", r.accuracy},
              {"macro_f1", r.macro_f1}, {"labels", names},        {"per_class", per_class},
              {"confusion_matrix", r.confusion}};
  return out.dump();
}

}  // namespace finetune
