// The Hugging Face hub client: revisions to commits, file listings, and file downloads into the
// shared cache (cache.h), speaking the same HTTP protocol as `huggingface_hub`:
//
//   GET  {endpoint}/api/{models|datasets}/{repo}/revision/{revision}   -> {"sha": commit, ...}
//   GET  {endpoint}/api/{models|datasets}/{repo}/tree/{commit}?recursive=true&expand=false
//        -> [{"type": "file", "path", "size", "oid", "lfs": {"oid": sha256, "size"}}], paged
//        with a `Link: <url>; rel="next"` header
//   HEAD {endpoint}/[datasets/]{repo}/resolve/{commit}/{path}
//        -> X-Repo-Commit, ETag or X-Linked-Etag (the blob name; the SHA-256 of an LFS file),
//        X-Linked-Size; LFS files answer 302 to a CDN URL, which is then downloaded without the
//        Authorization header (it never leaves the hub's own origin)
//   GET  that URL, with `Range: bytes=N-` to resume a partial `blobs/<etag>.incomplete`
//
// A download is verified (size; SHA-256 for LFS files) before it is renamed into blobs/ and
// linked from snapshots/, so a damaged transfer never enters the cache. Transient failures
// (connection refused/reset, timeouts, 429, 5xx) are retried with exponential backoff; a
// download cut mid-file resumes where it stopped. 401/403/404 become one clear Error (a gated or
// private repo asks for HF_TOKEN). The token is sent only to the endpoint's origin and is never
// part of a message. With HF_HUB_OFFLINE=1 nothing is requested: revisions come from refs/,
// listings from trees/ or the snapshot, files from snapshots/.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "hub/cache.h"

namespace finetune {

struct HubSettings {
  std::string endpoint = "https://huggingface.co";  // no trailing slash
  std::filesystem::path cache;                      // the hub cache root
  bool offline = false;
  std::string token;     // sent as "Authorization: Bearer <token>"; never printed
  bool progress = true;  // progress on stderr (a bar on a terminal, lines otherwise)
  int max_attempts = 5;  // per request, for transient failures
  std::chrono::milliseconds retry_delay{1000};  // doubled after each failed attempt, up to 16x

  // HF_ENDPOINT, HF_HUB_CACHE/HF_HOME, HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE), HF_TOKEN (else
  // the token file huggingface-cli login writes: $HF_TOKEN_PATH or $HF_HOME/token), and
  // HF_HUB_DISABLE_PROGRESS_BARS.
  static HubSettings from_environment();
};

// The hub answered with an HTTP error (after retries, for 429/5xx). `what()` is the message
// for the user; `status` and `error_code` (the X-Error-Code header: RepoNotFound,
// RevisionNotFound, EntryNotFound, GatedRepo) let callers treat an absent optional file or
// branch as absent.
class HubHttpError : public Error {
 public:
  HubHttpError(const std::string& message, long status, std::string error_code)
      : Error(message), status_(status), error_code_(std::move(error_code)) {}
  long status() const { return status_; }
  const std::string& error_code() const { return error_code_; }
  bool not_found() const { return status_ == 404; }

 private:
  long status_;
  std::string error_code_;
};

class HubClient {
 public:
  explicit HubClient(HubSettings settings);

  const HubSettings& settings() const { return settings_; }
  const HubCache& cache() const { return cache_; }

  // The commit a revision (branch, tag or commit) names. A 40-hex commit is returned without a
  // request. Otherwise the hub is asked and refs/<revision> updated; offline, or when the hub
  // cannot be reached but the ref is cached, refs/<revision> answers (with a notice).
  std::string resolve_commit(const RepoId& repo, const std::string& revision);
  // As resolve_commit, but nullopt when the hub (or, offline, the cache) has no such revision.
  std::optional<std::string> find_commit(const RepoId& repo, const std::string& revision);

  // Every file of the repo at `commit` (sorted by path): the cached listing
  // (trees/<commit>.json), else the tree API (then cached); offline without a cached listing,
  // the files present in the snapshot.
  std::vector<RepoFile> list_files(const RepoId& repo, const std::string& commit);

  // The snapshot path of one file at `commit`, downloading it into the cache when missing.
  // Throws HubHttpError (404 EntryNotFound) when the repo has no such file.
  std::filesystem::path fetch_file(const RepoId& repo, const std::string& commit,
                                   const std::string& file);

  std::filesystem::path snapshot_dir(const RepoId& repo, const std::string& commit) const {
    return cache_.snapshot_dir(repo, commit);
  }

 private:
  struct Metadata {
    std::string commit, etag, url;
    int64_t size = -1;
    bool cross_origin = false;  // the download URL is on another origin (a CDN): no token
  };
  Metadata file_metadata(const RepoId& repo, const std::string& commit, const std::string& file);
  void download_blob(const RepoId& repo, const std::string& file, const Metadata& meta,
                     const std::filesystem::path& blob);
  std::vector<std::string> auth_headers() const;
  std::string repo_url_prefix(const RepoId& repo) const;  // {endpoint}[/datasets]/{id}
  [[noreturn]] void offline_miss(const RepoId& repo, const std::string& what) const;
  // Sleeps before retry `attempt` (1-based), telling the user why.
  void back_off(int attempt, const std::string& reason) const;

  HubSettings settings_;
  HubCache cache_;
  // Revisions this client already resolved: a branch is asked once per client (per command),
  // even when several flags name the same repository.
  std::map<std::string, std::string> resolved_;
};

}  // namespace finetune
