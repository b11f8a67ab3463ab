// Label maps (src/data/labels.h): the DESIGN.md rule in each of its branches, the ClassLabel
// translation, and the error texts for unknown labels and out-of-range ids.
#include <gtest/gtest.h>

#include "data/labels.h"
#include "data_test_util.h"

namespace finetune::testing {
namespace {

using Strings = std::vector<std::string>;
using Ids = std::vector<int32_t>;

Dataset names_dataset(const Strings& labels, const std::string& path = "train.txt") {
  Dataset d;
  d.path = path;
  d.label_kind = LabelKind::kNames;
  d.label_names = labels;
  for (size_t i = 0; i < labels.size(); ++i) {
    d.texts.push_back("t");
    d.positions.push_back(static_cast<int64_t>(i) + 1);
  }
  return d;
}

Dataset ids_dataset(const std::vector<int64_t>& labels, const std::string& path = "train.parquet",
                    std::optional<Strings> class_names = std::nullopt) {
  Dataset d;
  d.path = path;
  d.label_kind = LabelKind::kIds;
  d.label_ids = labels;
  d.positions_are_rows = true;
  d.class_names = std::move(class_names);
  for (size_t i = 0; i < labels.size(); ++i) {
    d.texts.push_back("t");
    d.positions.push_back(static_cast<int64_t>(i));
  }
  return d;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Labels, ConfigLabelsComeFirst) {
  const Strings config = {"sadness", "joy", "love"};
  Dataset train = names_dataset({"joy", "love", "joy", "sadness"});
  LabelNames labels = resolve_label_names(train, &config);
  EXPECT_EQ(labels.names, config);
  EXPECT_EQ(labels.source, "config.json id2label");
  EXPECT_EQ(map_labels(train, labels), (Ids{1, 2, 1, 0}));
  // Even over the file's own ClassLabel names.
  Dataset parquet = ids_dataset({0, 1}, "t.parquet", Strings{"a", "b"});
  EXPECT_EQ(resolve_label_names(parquet, &config).names, config);
}

TEST(Labels, ClassLabelNamesBeforeSortedNames) {
  Dataset train = ids_dataset({2, 0, 1}, "train.parquet", Strings{"neg", "neu", "pos"});
  LabelNames labels = resolve_label_names(train, nullptr);
  EXPECT_EQ(labels.names, (Strings{"neg", "neu", "pos"}));
  EXPECT_TRUE(contains(labels.source, "ClassLabel names of train.parquet"));
  EXPECT_EQ(map_labels(train, labels), (Ids{2, 0, 1}));
}

TEST(Labels, SortedUniqueNamesOtherwise) {
  Dataset train = names_dataset({"surprise", "anger", "joy", "anger", "Zed", "joy"});
  LabelNames labels = resolve_label_names(train, nullptr);
  EXPECT_EQ(labels.names, (Strings{"Zed", "anger", "joy", "surprise"}));  // byte order
  EXPECT_EQ(map_labels(train, labels), (Ids{3, 1, 2, 1, 0, 2}));
}

TEST(Labels, IntegerLabelsWithoutNamesGetTransformersDefaults) {
  Dataset train = ids_dataset({0, 4, 2});
  LabelNames labels = resolve_label_names(train, nullptr);
  EXPECT_EQ(labels.names, (Strings{"LABEL_0", "LABEL_1", "LABEL_2", "LABEL_3", "LABEL_4"}));
  EXPECT_EQ(map_labels(train, labels), (Ids{0, 4, 2}));
  EXPECT_EQ(default_label_names(2), (Strings{"LABEL_0", "LABEL_1"}));
}

TEST(Labels, IntegerLabelsAreIdsUnderConfigNames) {
  // A model with generic names (or names unrelated to the file's): ids are used as they are.
  const Strings config = {"LABEL_0", "LABEL_1", "LABEL_2"};
  Dataset data = ids_dataset({2, 0}, "v.parquet", Strings{"neg", "neu", "pos"});
  LabelNames labels = resolve_label_names(data, &config);
  EXPECT_EQ(map_labels(data, labels), (Ids{2, 0}));
}

TEST(Labels, ClassLabelIdsTranslateThroughTheirNames) {
  // Train from text (sorted names), validate on Parquet whose ClassLabel order differs: each id
  // means its ClassLabel name, so "pos" (id 2 in the file) maps to "pos" (id 1 here).
  Dataset train = names_dataset({"pos", "neg"});
  LabelNames labels = resolve_label_names(train, nullptr);
  ASSERT_EQ(labels.names, (Strings{"neg", "pos"}));
  Dataset validation = ids_dataset({2, 0, 2}, "v.parquet", Strings{"neg", "neutral", "pos"});
  // "neutral" is not among the resolved names, so no translation: ids as they are, 2 out of range.
  std::string message = error_of([&] { map_labels(validation, labels); });
  EXPECT_TRUE(contains(message,
                       "v.parquet: row 0: label id 2 is out of range: there are 2 "
                       "labels (from the sorted label names of train.txt): neg, pos"))
      << message;
  Dataset same_names = ids_dataset({1, 0, 1}, "v.parquet", Strings{"pos", "neg"});
  EXPECT_EQ(map_labels(same_names, labels), (Ids{0, 1, 0}));
  Dataset out_of_range = ids_dataset({0, 2}, "v.parquet", Strings{"pos", "neg"});
  message = error_of([&] { map_labels(out_of_range, labels); });
  EXPECT_TRUE(contains(message,
                       "v.parquet: row 1: label id 2 is out of range: the file's "
                       "ClassLabel has 2 names"))
      << message;
}

TEST(Labels, UnknownLabelErrorNamesFileLineLabelAndKnownNames) {
  const Strings config = {"sadness", "joy"};
  Dataset train = names_dataset({"joy", "happy"}, "data/train.txt");
  LabelNames labels = resolve_label_names(train, &config);
  std::string message = error_of([&] { map_labels(train, labels); });
  EXPECT_EQ(message,
            "data/train.txt:2: unknown label 'happy'; known labels (from config.json id2label): "
            "sadness, joy");
  // Validation labels unseen in training.
  LabelNames from_train = resolve_label_names(names_dataset({"a", "b"}), nullptr);
  message = error_of([&] { map_labels(names_dataset({"a", "c"}, "val.csv"), from_train); });
  EXPECT_TRUE(contains(message,
                       "val.csv:2: unknown label 'c'; known labels (from the sorted "
                       "label names of train.txt): a, b"))
      << message;
  // Long name lists are cut.
  Strings many;
  for (int i = 0; i < 30; ++i) many.push_back(cat("n", 100 + i));
  LabelNames lots = resolve_label_names(names_dataset(many), nullptr);
  message = error_of([&] { map_labels(names_dataset({"zzz"}), lots); });
  EXPECT_TRUE(contains(message, "n119, ... (30 in all)")) << message;
}

TEST(Labels, OutOfRangeAndNegativeIds) {
  const Strings config = {"a", "b", "c"};
  Dataset data = ids_dataset({0, 3});
  std::string message = error_of([&] { map_labels(data, resolve_label_names(data, &config)); });
  EXPECT_TRUE(contains(message,
                       "train.parquet: row 1: label id 3 is out of range: there are 3 "
                       "labels (from config.json id2label): a, b, c"))
      << message;
  message = error_of([&] { resolve_label_names(ids_dataset({0, -1}), nullptr); });
  EXPECT_TRUE(contains(message, "train.parquet: row 1: label id -1 is negative")) << message;
  message = error_of([&] { resolve_label_names(ids_dataset({int64_t{1} << 40}), nullptr); });
  EXPECT_TRUE(contains(message, "is too large")) << message;
}

TEST(Labels, DuplicateOrEmptyNamesAreErrors) {
  const Strings duplicated = {"a", "b", "a"};
  std::string message = error_of([&] { resolve_label_names(names_dataset({"a"}), &duplicated); });
  EXPECT_TRUE(contains(message, "config.json id2label names label 'a' twice")) << message;
  const Strings empty;
  EXPECT_TRUE(contains(error_of([&] { resolve_label_names(names_dataset({"a"}), &empty); }),
                       "no label names"));
  Dataset dup_class = ids_dataset({0}, "x.parquet", Strings{"p", "p"});
  EXPECT_TRUE(contains(error_of([&] { resolve_label_names(dup_class, nullptr); }), "twice"));
}

}  // namespace
}  // namespace finetune::testing
