// Finding a hub dataset's split files without a network: glob dialects, the dataset card's
// `configs:` YAML, the Parquet export layout and datasets' file-name conventions, each checked
// against the file lists real hub repositories have (emotion, imdb-style, push_to_hub shards).
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "hub/dataset.h"
#include "hub/dataset_card.h"
#include "hub_mirror.h"
#include "io/glob.h"

namespace finetune {
namespace {

std::vector<RepoFile> listing(const std::vector<std::string>& paths) {
  std::vector<RepoFile> files;
  for (const auto& p : paths) files.push_back(RepoFile{p, 1, "", "", -1});
  return files;
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Glob, PathStyleKeepsStarsWithinASegment) {
  EXPECT_TRUE(glob_match("split/train-*", "split/train-00000-of-00001.parquet"));
  EXPECT_FALSE(glob_match("split/train-*", "split/train-a/b.parquet"));
  EXPECT_TRUE(glob_match("**/train/**", "train/0000.parquet"));
  EXPECT_TRUE(glob_match("**/train/**", "default/train/0000.parquet"));
  EXPECT_FALSE(glob_match("**/train/**", "default/training/0000.parquet"));
  EXPECT_TRUE(glob_match("**/train[-._ 0-9]*", "train.csv"));
  EXPECT_TRUE(glob_match("**/train[-._ 0-9]*", "data/train-00000-of-00002.parquet"));
  EXPECT_FALSE(glob_match("**/train[-._ 0-9]*", "data/trainer.csv"));
  EXPECT_TRUE(glob_match("**/*[-._ 0-9]test[-._ 0-9]*", "imdb-test.parquet"));
  EXPECT_TRUE(glob_match("data/*-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*",
                         "data/validation-00000-of-00001.parquet"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "a/c"));
  EXPECT_TRUE(glob_match("[!x]yz", "ayz"));
  EXPECT_FALSE(glob_match("[!x]yz", "xyz"));
  EXPECT_TRUE(glob_match("a[b", "a[b"));  // an unclosed class is a literal
  EXPECT_TRUE(glob_match("**", "any/depth/file.csv"));
}

TEST(Glob, FnmatchStyleLetsStarsCrossSlashes) {
  EXPECT_TRUE(glob_match("*.json", "sub/dir/config.json", GlobStyle::kFnmatch));
  EXPECT_FALSE(glob_match("*.json", "sub/dir/config.json", GlobStyle::kPath));
  EXPECT_TRUE(glob_match("split/*", "split/x/y.parquet", GlobStyle::kFnmatch));
}

TEST(Glob, FnmatchStyleAgreesWithPythonsFnmatch) {
  // Each expectation is what Python 3.11's fnmatch.fnmatchcase(path, pattern) returns (what
  // huggingface_hub's allow_patterns call on POSIX): stars that cross '/', classes with '!',
  // ranges, ']' and '-' as members, unclosed classes, backslashes, and characters outside ASCII.
  // The `[^x]` rows and the non-ASCII rows are where POSIX fnmatch(3) answers otherwise.
  struct Case {
    const char* pattern;
    const char* path;
    bool match;
  };
  const Case cases[] = {
      {"*.json", "config.json", true},
      {"*.json", "sub/dir/config.json", true},
      {"*", "a/b", true},
      {"split/*", "split/x/y.parquet", true},
      {"a?c", "abc", true},
      {"a?c", "a/c", true},
      {"a?c", "aéc", true},
      {"[!x]yz", "ayz", true},
      {"[!x]yz", "xyz", false},
      {"[!x]yz", "/yz", true},
      {"[^x]yz", "xyz", true},
      {"[^x]yz", "ayz", false},
      {"[^x]yz", "^yz", true},
      {"a[b", "a[b", true},
      {"a[]", "a[]", true},
      {"[]]", "]", true},
      {"[!]]", "a", true},
      {"[!]]", "]", false},
      {"[]a]", "a", true},
      {"[a-]", "-", true},
      {"[a-]", "a", true},
      {"[z-a]", "m", false},
      {"[!]", "[!]", true},
      {"[]", "[]", true},
      {"a\\b", "a\\b", true},
      {"a\\*", "a\\x", true},
      {"a\\*", "a*", false},
      {"[\\]", "\\", true},
      {"[a\\]]", "a]", true},
      {"*.[!p]*", "x.safetensors", true},
      {"*.[!p]*", "x.pt", false},
      {".*", ".gitattributes", true},
      {"*", ".hidden", true},
      {"*/.git*", "a/.gitignore", true},
      {"*.bin", "pytorch_model.bin", true},
      {"*[0-9]", "file9", true},
      {"[[]", "[", true},
      {"[a-c-e]", "d", false},
      {"[a-c-e]", "-", true},
      {"[a-c-e]", "e", true},
      {"[--0]", "/", true},
      {"[!/]", "/", false},
      {"[/]", "/", true},
      {"a*/b", "a/x/y/b", true},
      {"*[!é]", "é", false},
      {"*[!é]", "aé", false},
      {"[é]", "é", true},
      {"[a-z]", "é", false},
      {"[à-ü]", "é", true},
      {"[à-ü]", "z", false},
      {"?", "é", true},
      {"??", "é", false},
      {"*?", "é", true},
      {"data/*/?.json", "data/ü/ñ.json", true},
      {"*ñ*", "año.txt", true},
      {"[!a]", "ß", true},
      {"a*[!x]", "a€", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(glob_match(c.pattern, c.path, GlobStyle::kFnmatch), c.match)
        << "pattern '" << c.pattern << "', path '" << c.path << "'";
  }
}

TEST(Glob, PathStyleMatchesCharactersNotBytes) {
  // fsspec's glob is a Python regular expression too: `?` and classes take one character.
  EXPECT_TRUE(glob_match("data/?.csv", "data/ü.csv"));
  EXPECT_FALSE(glob_match("data/??.csv", "data/ü.csv"));
  EXPECT_TRUE(glob_match("data/[à-ü]*", "data/été.csv"));
  EXPECT_FALSE(glob_match("*[!é]", "é"));  // a star never stops inside a character
  EXPECT_TRUE(glob_match("[^x]", "^"));    // '^' is a member, not a negation
  EXPECT_FALSE(glob_match("[^x]", "a"));
  EXPECT_FALSE(glob_match("a?c", "a/c"));  // and still nothing crosses a '/'
}

TEST(DatasetCard, ReadsTheConfigsOfTheEmotionCard) {
  auto configs = parse_dataset_card_configs(testing::emotion_readme(), "README.md");
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].name, "split");
  EXPECT_TRUE(configs[0].is_default);
  ASSERT_EQ(configs[0].data_files.size(), 2u);
  EXPECT_EQ(configs[0].data_files[0].first, "train");
  EXPECT_EQ(configs[0].data_files[0].second, std::vector<std::string>{"split/train-*"});
  EXPECT_EQ(configs[0].data_files[1].first, "validation");
  EXPECT_EQ(configs[1].name, "unsplit");
  EXPECT_FALSE(configs[1].is_default);
}

TEST(DatasetCard, ReadsEveryDataFilesShape) {
  const std::string card = R"(---
license: mit
configs:
  - config_name: one   # a comment
    data_files: "data/*.csv"
  - config_name: list
    data_files:
      - a.csv
      - 'b.csv'
  - config_name: map
    data_files: {train: tr.jsonl, test: [te1.jsonl, te2.jsonl]}
  - config_name: entries
    data_dir: sub
    data_files:
    - split: train
      path:
      - x-*.parquet
      - y-*.parquet
    - split: "dev"
      path: "dev.parquet"
  - config_name: dir_only
    data_dir: only
dataset_info:
  features: [{name: text}]
---
text with --- dashes
)";
  auto configs = parse_dataset_card_configs(card, "README.md");
  ASSERT_EQ(configs.size(), 5u);
  EXPECT_EQ(
      configs[0].data_files,
      (std::vector<std::pair<std::string, std::vector<std::string>>>{{"train", {"data/*.csv"}}}));
  EXPECT_EQ(configs[1].data_files[0].second, (std::vector<std::string>{"a.csv", "b.csv"}));
  EXPECT_EQ(configs[2].data_files,
            (std::vector<std::pair<std::string, std::vector<std::string>>>{
                {"train", {"tr.jsonl"}}, {"test", {"te1.jsonl", "te2.jsonl"}}}));
  EXPECT_EQ(configs[3].data_dir, "sub");
  EXPECT_EQ(configs[3].data_files,
            (std::vector<std::pair<std::string, std::vector<std::string>>>{
                {"train", {"x-*.parquet", "y-*.parquet"}}, {"dev", {"dev.parquet"}}}));
  EXPECT_EQ(configs[4].data_dir, "only");
  EXPECT_TRUE(configs[4].data_files.empty());
}

TEST(DatasetCard, NoFrontMatterOrNoConfigsMeansNoConfigs) {
  EXPECT_TRUE(parse_dataset_card_configs("# Just a title\n", "README.md").empty());
  EXPECT_TRUE(parse_dataset_card_configs("---\nlicense: mit\n---\n", "README.md").empty());
  EXPECT_TRUE(parse_dataset_card_configs("---\nconfigs:\n---\n", "README.md").empty());
  EXPECT_FALSE(dataset_card_front_matter("---\nunterminated: yes\n").has_value());
}

TEST(DatasetCard, MalformedConfigsAreErrorsWithTheLine) {
  const std::string bad = "---\nconfigs:\n- config_name: a\n  data_files: [a.csv\n---\n";
  EXPECT_NE(error_of([&] {
              parse_dataset_card_configs(bad, "org/x/README.md");
            }).find("org/x/README.md:4"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_dataset_card_configs("---\nconfigs: 3\n---\n", "R");
            }).find("list of configurations"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_dataset_card_configs("---\nconfigs:\n- config_name: a\n- config_name: a\n---\n",
                                         "R");
            }).find("declared twice"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_dataset_card_configs("---\nconfigs:\n- config_name: 'a\n---\n", "R");
            }).find("unterminated quote"),
            std::string::npos);
}

TEST(SplitResolution, CardConfigsChooseTheDefaultAndTheSplit) {
  auto configs = parse_dataset_card_configs(testing::emotion_readme(), "README.md");
  auto files = listing(
      {"README.md", "split/train-00000-of-00001.parquet", "split/validation-00000-of-00001.parquet",
       "split/test-00000-of-00001.parquet", "unsplit/train-00000-of-00001.parquet"});
  SplitFiles train = split_files_from_card(configs, files, "", "train", "dair-ai/emotion");
  EXPECT_EQ(train.config, "split");
  EXPECT_EQ(train.files, std::vector<std::string>{"split/train-00000-of-00001.parquet"});
  EXPECT_EQ(split_files_from_card(configs, files, "unsplit", "train", "e").files,
            std::vector<std::string>{"unsplit/train-00000-of-00001.parquet"});
  EXPECT_NE(error_of([&] {
              split_files_from_card(configs, files, "", "test", "dair-ai/emotion");
            }).find("has no split 'test'; its splits: train, validation"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] {
        split_files_from_card(configs, files, "nope", "train", "e");
      }).find("no configuration 'nope' (--dataset-config); its README.md declares: split, unsplit"),
      std::string::npos);
  // Two configs, none default and none named "default": the user must choose.
  configs[0].is_default = false;
  EXPECT_NE(error_of([&] {
              split_files_from_card(configs, files, "", "train", "e");
            }).find("--dataset-config"),
            std::string::npos);
}

TEST(SplitResolution, CardPatternsResolveInOrderAndKeepOnlyReadableFormats) {
  auto configs = parse_dataset_card_configs(
      "---\nconfigs:\n- config_name: c\n  data_dir: d\n  data_files:\n  - split: train\n    path: "
      "[b-*, a-*]\n---\n",
      "R");
  auto files = listing({"d/a-1.csv", "d/b-2.csv", "d/b-1.csv", "d/b-0.txt", "d/a-0.csv",
                        "d/.hidden/a-9.csv", "x/a-1.csv"});
  EXPECT_EQ(split_files_from_card(configs, files, "", "train", "r").files,
            (std::vector<std::string>{"d/b-1.csv", "d/b-2.csv", "d/a-0.csv", "d/a-1.csv"}));
  // With Parquet among them, only the Parquet files.
  files.push_back(RepoFile{"d/a-5.parquet", 1, "", "", -1});
  EXPECT_EQ(split_files_from_card(configs, files, "", "train", "r").files,
            std::vector<std::string>{"d/a-5.parquet"});
}

TEST(SplitResolution, TheParquetExportLayouts) {
  auto files =
      listing({"split/train/0000.parquet", "split/train/0001.parquet",
               "split/validation/0000.parquet", "unsplit/partial-train/0000.parquet",
               "legacy/emotion-test.parquet", "legacy/emotion-train-00000-of-00002.parquet",
               "legacy/emotion-train-00001-of-00002.parquet"});
  EXPECT_EQ(split_files_from_parquet_export(files, "split", "train", "e").files,
            (std::vector<std::string>{"split/train/0000.parquet", "split/train/0001.parquet"}));
  EXPECT_EQ(split_files_from_parquet_export(files, "unsplit", "train", "e").files,
            std::vector<std::string>{"unsplit/partial-train/0000.parquet"});
  EXPECT_EQ(split_files_from_parquet_export(files, "legacy", "test", "e").files,
            std::vector<std::string>{"legacy/emotion-test.parquet"});
  EXPECT_EQ(split_files_from_parquet_export(files, "legacy", "train", "e").files.size(), 2u);
  EXPECT_NE(error_of([&] {
              split_files_from_parquet_export(files, "", "train", "e");
            }).find("several configurations"),
            std::string::npos);
  auto single = listing({"default/train/0000.parquet", "default/test/0000.parquet"});
  EXPECT_EQ(split_files_from_parquet_export(single, "", "test", "e").config, "default");
  EXPECT_NE(error_of([&] {
              split_files_from_parquet_export(single, "", "validation", "e");
            }).find("its splits: test, train"),
            std::string::npos);
}

TEST(SplitResolution, FileNameConventionsOfTheDatasetsLibrary) {
  // push_to_hub's shards: any split name.
  auto shards =
      listing({"README.md", "data/train-00000-of-00002.parquet",
               "data/train-00001-of-00002.parquet", "data/holdout-00000-of-00001.parquet"});
  EXPECT_EQ(split_files_by_convention(shards, "train", "r").files,
            (std::vector<std::string>{"data/train-00000-of-00002.parquet",
                                      "data/train-00001-of-00002.parquet"}));
  EXPECT_EQ(split_files_by_convention(shards, "holdout", "r").files.size(), 1u);
  EXPECT_NE(error_of([&] {
              split_files_by_convention(shards, "test", "r");
            }).find("its splits: holdout, train"),
            std::string::npos);
  // Folders named after the split win over file names.
  auto dirs = listing({"train/a.csv", "train/b.csv", "dev/x.csv", "test.csv"});
  EXPECT_EQ(split_files_by_convention(dirs, "train", "r").files,
            (std::vector<std::string>{"train/a.csv", "train/b.csv"}));
  EXPECT_EQ(split_files_by_convention(dirs, "validation", "r").files,
            std::vector<std::string>{"dev/x.csv"});
  // Split keywords in file names, with synonyms.
  auto names = listing({"imdb_train.jsonl", "imdb_valid.jsonl", "eval.jsonl", "LICENSE"});
  EXPECT_EQ(split_files_by_convention(names, "train", "r").files,
            std::vector<std::string>{"imdb_train.jsonl"});
  EXPECT_EQ(split_files_by_convention(names, "validation", "r").files,
            std::vector<std::string>{"imdb_valid.jsonl"});
  EXPECT_EQ(split_files_by_convention(names, "test", "r").files,
            std::vector<std::string>{"eval.jsonl"});
  // No keyword: everything is train.
  auto plain = listing({"tweets.csv", "more.csv"});
  EXPECT_EQ(split_files_by_convention(plain, "train", "r").files,
            (std::vector<std::string>{"more.csv", "tweets.csv"}));
  EXPECT_NE(error_of([&] {
              split_files_by_convention(plain, "validation", "r");
            }).find("has no split 'validation'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              split_files_by_convention(listing({"README.md", "script.py"}), "train", "r");
            }).find("no data files"),
            std::string::npos);
}

TEST(DatasetCard, MutatedCardsAreReadOrRefusedNeverCrash) {
  const std::string card = testing::emotion_readme();
  std::mt19937 rng(7);
  const char pieces[] = {' ', '-', ':', '\n', '[', ']', '{', '}', '\'', '"', '#', 'a', '|'};
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = card;
    for (int k = 0; k < 1 + trial % 5; ++k) bad[rng() % bad.size()] = pieces[rng() % sizeof pieces];
    try {
      parse_dataset_card_configs(bad, "README.md");
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace finetune
