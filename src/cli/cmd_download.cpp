// `finetune download`: fetch a Hugging Face hub repository (or the files of it matching
// --include) into the shared hub cache, as `huggingface-cli download` does, and print the
// snapshot directory. Models and datasets downloaded this way are then used by name (--model,
// --train, --data) with no further download, also with HF_HUB_OFFLINE=1.
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/log.h"
#include "hub/client.h"
#include "io/glob.h"

namespace finetune::cli {
namespace {

const std::vector<OptionSpec> kOptions = {
    {"REPO", "REPO", "the repository: org/name (or a canonical name)", "", true},
    {"--revision", "REV", "branch, tag or commit", "main"},
    {"--dataset", "", "REPO is a dataset repository (default: a model)", ""},
    {"--include", "GLOBS",
     "only files matching one of these comma-separated patterns (* matches across /)", ""},
};

std::vector<std::string> split_patterns(const std::string& text) {
  std::vector<std::string> patterns;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    std::string p =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    // huggingface_hub: a pattern ending in "/" means everything below that folder.
    if (!p.empty() && p.back() == '/') p += "*";
    if (!p.empty()) patterns.push_back(p);
    if (comma == std::string::npos) return patterns;
    start = comma + 1;
  }
}

int run_download(const ParsedOptions& options) {
  const RepoId repo{options.has("--dataset") ? RepoType::kDataset : RepoType::kModel,
                    options.get_string("REPO")};
  if (!is_valid_repo_id(repo.id)) {
    throw UsageError(cat("'", repo.id, "' is not a hub repository id (org/name or name)"));
  }
  const std::vector<std::string> patterns = split_patterns(options.get("--include").value_or(""));
  if (options.has("--include") && patterns.empty()) throw UsageError("--include: no pattern given");

  HubClient& hub = hub_client();
  const std::string revision = options.get_string("--revision");
  const std::string commit = hub.resolve_commit(repo, revision);
  std::vector<std::string> wanted;
  for (const RepoFile& f : hub.list_files(repo, commit)) {
    bool match = patterns.empty();
    for (const auto& p : patterns) match = match || glob_match(p, f.path, GlobStyle::kFnmatch);
    if (match) wanted.push_back(f.path);
  }
  if (wanted.empty()) {
    throw Error(cat(repo.describe(), " at ", revision, " has no file matching --include ",
                    options.get_string("--include")));
  }
  uintmax_t bytes = 0;
  for (const auto& file : wanted) {
    std::error_code ec;
    bytes += std::filesystem::file_size(hub.fetch_file(repo, commit, file), ec);
  }
  const std::filesystem::path snapshot = hub.snapshot_dir(repo, commit);
  log_info(cat(repo.describe(), " at ", revision, " (commit ", commit, "): ", wanted.size(),
               " file(s), ", bytes, " bytes in the hub cache"));
  std::printf("%s\n", snapshot.string().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

const Command& download_command() {
  static const Command command{
      "download", "download a Hugging Face hub model or dataset into the hub cache",
      "Downloads REPO (a model, or a dataset with --dataset) at --revision from the Hugging Face "
      "hub\n"
      "($HF_ENDPOINT) into the hub cache that huggingface_hub uses ($HF_HUB_CACHE, else "
      "$HF_HOME/hub,\n"
      "else ~/.cache/huggingface/hub), verifying every file, and prints the snapshot directory.\n"
      "Files already in the cache are not downloaded again. HF_TOKEN authorises private and gated\n"
      "repositories; with HF_HUB_OFFLINE=1 it only checks that the cache has the files.",
      &kOptions, run_download};
  return command;
}

}  // namespace finetune::cli
