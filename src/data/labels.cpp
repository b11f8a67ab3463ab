// Label name resolution and label-to-id mapping (the rule is in labels.h).
#include "data/labels.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace finetune {
namespace {

// More labels than this from integer ids alone is a mistake (an id column that is not a label),
// and would otherwise allocate a name per id up to the largest one.
constexpr int64_t kMaxDefaultLabels = 1'000'000;

void check_unique(const std::vector<std::string>& names, const std::string& source) {
  if (names.empty()) throw Error(cat("no label names in ", source));
  std::unordered_set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second) throw Error(cat(source, " names label '", name, "' twice"));
  }
}

// The known names for an error message; long lists are cut after 20.
std::string known_names(const LabelNames& labels) {
  std::string list;
  const size_t shown = std::min<size_t>(labels.names.size(), 20);
  for (size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + labels.names[i];
  if (shown < labels.names.size()) list += cat(", ... (", labels.names.size(), " in all)");
  return list;
}

}  // namespace

std::vector<std::string> default_label_names(size_t count) {
  std::vector<std::string> names;
  names.reserve(count);
  for (size_t i = 0; i < count; ++i) names.push_back(cat("LABEL_", i));
  return names;
}

LabelNames resolve_label_names(const Dataset& train,
                               const std::vector<std::string>* config_labels) {
  LabelNames labels;
  if (config_labels != nullptr) {
    labels.names = *config_labels;
    labels.source = "config.json id2label";
  } else if (train.class_names) {
    labels.names = *train.class_names;
    labels.source = cat("the ClassLabel names of ", train.path.string());
  } else if (train.label_kind == LabelKind::kNames) {
    labels.names = train.label_names;
    std::sort(labels.names.begin(), labels.names.end());
    labels.names.erase(std::unique(labels.names.begin(), labels.names.end()), labels.names.end());
    labels.source = cat("the sorted label names of ", train.path.string());
  } else {
    int64_t largest = -1;
    for (size_t i = 0; i < train.label_ids.size(); ++i) {
      const int64_t id = train.label_ids[i];
      if (id < 0) throw Error(cat(train.where(i), ": label id ", id, " is negative"));
      if (id >= kMaxDefaultLabels) {
        throw Error(cat(train.where(i), ": label id ", id,
                        " is too large (integer labels are ids "
                        "0..K-1; at most ",
                        kMaxDefaultLabels, " labels)"));
      }
      largest = std::max(largest, id);
    }
    labels.names = default_label_names(static_cast<size_t>(largest + 1));
    labels.source = cat("the integer labels of ", train.path.string(), " (no names)");
  }
  check_unique(labels.names, labels.source);
  return labels;
}

std::vector<int32_t> map_labels(const Dataset& dataset, const LabelNames& labels) {
  std::unordered_map<std::string, int32_t> ids;
  ids.reserve(labels.names.size());
  for (size_t i = 0; i < labels.names.size(); ++i) {
    ids.emplace(labels.names[i], static_cast<int32_t>(i));
  }
  std::vector<int32_t> out;
  out.reserve(dataset.size());
  if (dataset.label_kind == LabelKind::kNames) {
    for (size_t i = 0; i < dataset.size(); ++i) {
      auto it = ids.find(dataset.label_names[i]);
      if (it == ids.end()) {
        throw Error(cat(dataset.where(i), ": unknown label '", dataset.label_names[i],
                        "'; known labels (from ", labels.source, "): ", known_names(labels)));
      }
      out.push_back(it->second);
    }
    return out;
  }
  // Integer ids. Translate through the file's own ClassLabel names when they differ from the
  // resolved names but are all among them (labels.h explains why).
  const auto& own = dataset.class_names;
  const bool translate =
      own && *own != labels.names &&
      std::all_of(own->begin(), own->end(), [&](const std::string& n) { return ids.count(n); });
  const auto count = static_cast<int64_t>(translate ? own->size() : labels.names.size());
  for (size_t i = 0; i < dataset.size(); ++i) {
    const int64_t id = dataset.label_ids[i];
    if (id < 0 || id >= count) {
      if (translate) {
        throw Error(cat(dataset.where(i), ": label id ", id,
                        " is out of range: the file's "
                        "ClassLabel has ",
                        count, " names"));
      }
      throw Error(cat(dataset.where(i), ": label id ", id, " is out of range: there are ", count,
                      " labels (from ", labels.source, "): ", known_names(labels)));
    }
    out.push_back(translate ? ids.at((*own)[static_cast<size_t>(id)]) : static_cast<int32_t>(id));
  }
  return out;
}

}  // namespace finetune
