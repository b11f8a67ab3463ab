// Hub dataset splits (see dataset.h). The convention patterns are those of `datasets`
// (src/datasets/data_files.py: SPLIT_PATTERN_SHARDED, SPLIT_KEYWORDS, NON_WORDS_CHARS and the
// keyword-in-directory / keyword-in-filename base patterns, for fsspec >= 2023.9).
#include "hub/dataset.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "hub/client.h"
#include "io/file.h"
#include "io/glob.h"

namespace finetune {
namespace {

const char* const kDataExtensions[] = {".parquet", ".csv", ".tsv", ".jsonl", ".json"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string extension_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return lower(path.substr(dot));
}

bool is_data_file(const std::string& path) {
  const std::string ext = extension_of(path);
  return std::any_of(std::begin(kDataExtensions), std::end(kDataExtensions),
                     [&](const char* e) { return ext == e; });
}

// datasets skips hidden files and folders (".github/", "__pycache__/") unless a pattern names them.
bool is_hidden(const std::string& path) {
  size_t start = 0;
  for (;;) {
    const size_t end = path.find('/', start);
    const std::string part =
        path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if ((part.size() > 1 && part[0] == '.') || part.rfind("__", 0) == 0) return true;
    if (end == std::string::npos) return false;
    start = end + 1;
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& i : items) text += (text.empty() ? "" : ", ") + i;
  return text;
}

// Files matching any of the patterns (each pattern's matches sorted, duplicates dropped), keeping
// the data formats finetune reads, and only the Parquet ones when there are any.
std::vector<std::string> resolve_patterns(const std::vector<std::string>& patterns,
                                          const std::vector<RepoFile>& files) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& raw : patterns) {
    std::string pattern = raw;
    while (pattern.rfind("./", 0) == 0) pattern = pattern.substr(2);
    std::vector<std::string> matched;
    for (const RepoFile& f : files) {
      if (!is_data_file(f.path)) continue;
      if (is_hidden(f.path) && !is_hidden(pattern)) continue;
      // A plain folder name means everything below it, as in datasets.
      if (glob_match(pattern, f.path) ||
          (!has_glob_chars(pattern) && f.path.rfind(pattern + "/", 0) == 0)) {
        matched.push_back(f.path);
      }
    }
    std::sort(matched.begin(), matched.end());
    for (auto& m : matched) {
      if (seen.insert(m).second) out.push_back(std::move(m));
    }
  }
  if (std::any_of(out.begin(), out.end(),
                  [](const std::string& p) { return extension_of(p) == ".parquet"; })) {
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const std::string& p) { return extension_of(p) != ".parquet"; }),
              out.end());
  }
  return out;
}

[[noreturn]] void no_such_split(const std::string& repo, const std::string& where,
                                const std::string& split, const std::vector<std::string>& splits) {
  throw Error(cat("dataset '", repo, "'", where, " has no split '", split, "'",
                  splits.empty() ? std::string() : cat("; its splits: ", join(splits)),
                  " (choose one with --split, or --validation-split for --validation)"));
}

// datasets' split keywords: the names a file or folder may use for each standard split.
const std::vector<std::pair<std::string, std::vector<std::string>>>& split_keywords() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> keywords = {
      {"train", {"train", "training"}},
      {"validation", {"validation", "valid", "dev", "val"}},
      {"test", {"test", "testing", "eval", "evaluation"}},
  };
  return keywords;
}

}  // namespace

SplitFiles split_files_from_card(const std::vector<DatasetCardConfig>& configs,
                                 const std::vector<RepoFile>& files, const std::string& config,
                                 const std::string& split, const std::string& repo) {
  FT_CHECK(!configs.empty(), "no configs");
  std::vector<std::string> names;
  for (const auto& c : configs) names.push_back(c.name);
  const DatasetCardConfig* chosen = nullptr;
  if (!config.empty()) {
    for (const auto& c : configs) {
      if (c.name == config) chosen = &c;
    }
    if (chosen == nullptr) {
      throw Error(cat("dataset '", repo, "' has no configuration '", config,
                      "' (--dataset-config); its README.md "
                      "declares: ",
                      join(names)));
    }
  } else {
    // MetadataConfigs.get_default_config_name: the one marked default, else the only one, else
    // one named "default".
    for (const auto& c : configs) {
      if (c.is_default) chosen = &c;
    }
    if (chosen == nullptr && configs.size() == 1) chosen = &configs[0];
    for (const auto& c : configs) {
      if (chosen == nullptr && c.name == "default") chosen = &c;
    }
    if (chosen == nullptr) {
      throw Error(cat("dataset '", repo, "' has several configurations (", join(names),
                      ") and none is the default: choose one with --dataset-config"));
    }
  }
  const std::string where = cat(" (configuration '", chosen->name, "' of its README.md)");
  SplitFiles result;
  result.config = chosen->name;
  result.rule = "README.md configs";
  if (chosen->data_files.empty()) {
    // Only a data_dir: the conventions apply inside it.
    SplitFiles inner = split_files_by_convention(files, split, repo, chosen->data_dir);
    inner.config = chosen->name;
    inner.rule = "README.md configs (data_dir) and file names";
    return inner;
  }
  const std::string prefix = chosen->data_dir.empty() ? "" : chosen->data_dir + "/";
  for (const auto& [name, patterns] : chosen->data_files) result.splits.push_back(name);
  for (const auto& [name, patterns] : chosen->data_files) {
    if (name != split) continue;
    std::vector<std::string> full;
    for (const auto& p : patterns) full.push_back(prefix + p);
    result.files = resolve_patterns(full, files);
    if (result.files.empty()) {
      throw Error(cat("dataset '", repo, "'", where, ": split '", split,
                      "' matches no data file finetune reads (", join(full),
                      "; formats: Parquet, CSV, TSV, JSON lines)"));
    }
    return result;
  }
  no_such_split(repo, where, split, result.splits);
}

SplitFiles split_files_from_parquet_export(const std::vector<RepoFile>& files,
                                           const std::string& config, const std::string& split,
                                           const std::string& repo) {
  // <config>/<split>/NNNN.parquet (<config>/partial-<split>/ when the export was cut short).
  std::vector<std::string> configs;
  for (const RepoFile& f : files) {
    const size_t slash = f.path.find('/');
    if (slash == std::string::npos || extension_of(f.path) != ".parquet") continue;
    const std::string c = f.path.substr(0, slash);
    if (std::find(configs.begin(), configs.end(), c) == configs.end()) configs.push_back(c);
  }
  std::sort(configs.begin(), configs.end());
  std::string chosen = config;
  if (chosen.empty()) {
    if (std::find(configs.begin(), configs.end(), "default") != configs.end()) {
      chosen = "default";
    } else if (configs.size() == 1) {
      chosen = configs[0];
    } else {
      throw Error(cat("dataset '", repo, "' has several configurations in its Parquet export (",
                      join(configs), "): choose one with --dataset-config"));
    }
  } else if (std::find(configs.begin(), configs.end(), chosen) == configs.end()) {
    throw Error(cat("dataset '", repo, "' has no configuration '", chosen,
                    "' (--dataset-config) in its Parquet export; it has: ", join(configs)));
  }
  SplitFiles result;
  result.config = chosen;
  result.rule = "the Parquet export (refs/convert/parquet)";
  std::set<std::string> splits;
  for (const RepoFile& f : files) {
    if (f.path.rfind(chosen + "/", 0) != 0 || extension_of(f.path) != ".parquet") continue;
    const std::string rest = f.path.substr(chosen.size() + 1);
    const size_t slash = rest.find('/');
    if (slash != std::string::npos) {
      std::string s = rest.substr(0, slash);
      if (s.rfind("partial-", 0) == 0) s = s.substr(8);
      splits.insert(s);
    }
  }
  result.splits.assign(splits.begin(), splits.end());
  const std::vector<std::string> patterns = {
      chosen + "/" + split + "/*.parquet",
      chosen + "/partial-" + split + "/*.parquet",
      chosen + "/*-" + split + ".parquet",
      chosen + "/*-" + split + "-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9].parquet",
  };
  for (const auto& pattern : patterns) {
    result.files = resolve_patterns({pattern}, files);
    if (!result.files.empty()) return result;
  }
  no_such_split(repo, cat(" (configuration '", chosen, "' of its Parquet export)"), split,
                result.splits);
}

SplitFiles split_files_by_convention(const std::vector<RepoFile>& all_files,
                                     const std::string& split, const std::string& repo,
                                     const std::string& data_dir) {
  // Work relative to data_dir, so the patterns are datasets' own.
  std::vector<RepoFile> files;
  const std::string prefix = data_dir.empty() ? "" : data_dir + "/";
  for (const RepoFile& f : all_files) {
    if (!prefix.empty() && f.path.rfind(prefix, 0) != 0) continue;
    RepoFile g = f;
    g.path = f.path.substr(prefix.size());
    files.push_back(std::move(g));
  }
  auto with_prefix = [&](SplitFiles r) {
    for (auto& f : r.files) f = prefix + f;
    return r;
  };
  SplitFiles result;
  result.rule = "file names";

  // 1. data/<split>-NNNNN-of-NNNNN.<ext>: any split name (what push_to_hub writes).
  {
    const std::string sharded = "data/*-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*";
    std::set<std::string> splits;
    for (const RepoFile& f : files) {
      if (!is_data_file(f.path) || !glob_match(sharded, f.path)) continue;
      const std::string name = f.path.substr(5);
      const size_t cut = name.rfind('-', name.rfind("-of-") - 1);
      splits.insert(name.substr(0, cut));
    }
    if (!splits.empty()) {
      result.splits.assign(splits.begin(), splits.end());
      result.files = resolve_patterns(
          {"data/" + split + "-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*"}, files);
      if (result.files.empty())
        no_such_split(repo, " (data/<split>-NNNNN-of-NNNNN files)", split, result.splits);
      return with_prefix(result);
    }
  }

  // 2. and 3. Split keywords in folder names, then in file names. A requested split outside the
  // three standard ones matches its own name as a keyword.
  const std::string sep = "[-._ 0-9]";
  const std::vector<std::string> dir_patterns = {"**/{k}/**", "**/{k}" + sep + "*/**",
                                                 "**/*" + sep + "{k}/**",
                                                 "**/*" + sep + "{k}" + sep + "*/**"};
  const std::vector<std::string> file_patterns = {"**/{k}" + sep + "*",
                                                  "**/*" + sep + "{k}" + sep + "*"};
  auto keywords_for = [&](const std::string& s) {
    for (const auto& [name, words] : split_keywords()) {
      if (name == s) return words;
    }
    return std::vector<std::string>{s};
  };
  std::vector<std::string> split_names;
  for (const auto& [name, words] : split_keywords()) split_names.push_back(name);
  if (std::find(split_names.begin(), split_names.end(), split) == split_names.end())
    split_names.push_back(split);
  for (const auto* bases : {&dir_patterns, &file_patterns}) {
    std::vector<std::string> found;
    std::vector<std::string> wanted;
    for (const std::string& name : split_names) {
      std::vector<std::string> patterns;
      for (const std::string& k : keywords_for(name)) {
        for (std::string p : *bases) {
          for (size_t at; (at = p.find("{k}")) != std::string::npos;) p.replace(at, 3, k);
          patterns.push_back(p);
        }
      }
      std::vector<std::string> matched = resolve_patterns(patterns, files);
      if (!matched.empty()) found.push_back(name);
      if (name == split) wanted = std::move(matched);
    }
    if (!found.empty()) {
      result.splits = found;
      result.files = std::move(wanted);
      if (result.files.empty()) no_such_split(repo, " (by its file names)", split, result.splits);
      return with_prefix(result);
    }
  }

  // 4. No keyword anywhere: all data files are the train split.
  result.splits = {"train"};
  result.files = resolve_patterns({"**"}, files);
  if (result.files.empty()) {
    throw Error(cat("dataset '", repo,
                    "' has no data files finetune reads (Parquet, CSV, TSV, JSON lines)",
                    data_dir.empty() ? std::string() : cat(" under ", data_dir)));
  }
  if (split != "train")
    no_such_split(repo, " (by its file names, all data files form the train split)", split,
                  result.splits);
  return with_prefix(result);
}

Dataset read_hub_dataset(HubClient& hub, const HubDatasetSpec& spec,
                         const DatasetOptions& options) {
  const RepoId repo{RepoType::kDataset, spec.repo};
  std::string commit = hub.resolve_commit(repo, spec.revision);
  std::vector<RepoFile> files = hub.list_files(repo, commit);

  std::vector<DatasetCardConfig> configs;
  const bool has_readme = std::any_of(files.begin(), files.end(),
                                      [](const RepoFile& f) { return f.path == "README.md"; });
  if (has_readme) {
    const std::filesystem::path readme = hub.fetch_file(repo, commit, "README.md");
    configs = parse_dataset_card_configs(read_file(readme), cat(spec.repo, "/README.md"));
  }
  SplitFiles split;
  if (!configs.empty()) {
    split = split_files_from_card(configs, files, spec.config, spec.split, spec.repo);
  } else {
    // The Parquet export describes the default branch; a pinned revision keeps its own files.
    std::optional<std::string> parquet;
    if (spec.revision == "main") parquet = hub.find_commit(repo, "refs/convert/parquet");
    if (parquet) {
      commit = *parquet;
      split = split_files_from_parquet_export(hub.list_files(repo, commit), spec.config, spec.split,
                                              spec.repo);
    } else {
      if (!spec.config.empty()) {
        throw Error(cat("dataset '", spec.repo,
                        "' declares no configurations (README.md has no `configs:`), so ",
                        "--dataset-config ", spec.config, " names nothing"));
      }
      split = split_files_by_convention(files, spec.split, spec.repo);
    }
  }

  log_info(cat("dataset ", spec.repo, ", ", spec.split, " split: ", split.files.size(),
               " file(s) from ", split.rule,
               split.config.empty() ? std::string() : cat(", configuration '", split.config, "'")));

  // Read the split's files in order, downloading each only when it is needed (--limit may stop
  // before the last one).
  Dataset dataset;
  bool first = true;
  for (const std::string& file : split.files) {
    DatasetOptions part_options = options;
    if (options.limit) {
      if (!first && dataset.size() >= *options.limit) break;
      part_options.limit = *options.limit - (first ? 0 : dataset.size());
    }
    const std::filesystem::path local = hub.fetch_file(repo, commit, file);
    Dataset part = read_dataset(local, part_options);
    if (first) {
      dataset = std::move(part);
      first = false;
    } else {
      append_dataset(dataset, std::move(part));
    }
  }
  if (dataset.parts.empty())
    dataset.parts.push_back(Dataset::Part{dataset.path, 0, dataset.positions_are_rows});
  dataset.path = cat(spec.repo, " (", spec.split, " split",
                     split.config.empty() ? "" : ", config " + split.config, ")");
  return dataset;
}

}  // namespace finetune
