// The Hugging Face hub cache on disk, in exactly the layout of the `huggingface_hub` Python
// library (file_download.py, _tree_cache.py), so that a model Python downloaded is used as it is
// and what finetune downloads Python finds:
//
//   $HF_HUB_CACHE (else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
//                  else ~/.cache/huggingface/hub)
//   ├── CACHEDIR.TAG
//   ├── .locks/models--org--name/<etag>.lock          flock()ed while a blob is written
//   └── models--org--name/        (datasets--org--name/ for datasets)
//       ├── blobs/<etag>            file contents, named by ETag: the SHA-256 of a Git LFS file,
//       │                           the git blob id of a small file
//       ├── refs/<revision>         the commit a branch or tag pointed to (refs/main, and
//       │                           refs/refs/convert/parquet for the Parquet export branch)
//       ├── snapshots/<commit>/<path>   relative symlinks into ../../blobs/
//       ├── trees/<commit>.json     the commit's file listing ({"format_version": 1, "files":
//       │                           {path: {"size", "blob_id", "lfs_sha256"?, "lfs_size"?}}})
//       └── .no_exist/<commit>/<path>   empty files: the hub said this path does not exist
//
// Everything read from the cache or from a server that becomes part of a path (repo ids,
// revisions, commits, ETags, file paths) is validated first, so a hostile listing cannot write
// outside the cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace finetune {

enum class RepoType { kModel, kDataset };

struct RepoId {
  RepoType type = RepoType::kModel;
  std::string id;  // "org/name" or "name"

  // "model 'org/name'" / "dataset 'org/name'", for messages.
  std::string describe() const;
  // "models" / "datasets": the API path segment and the folder prefix.
  std::string plural() const { return type == RepoType::kModel ? "models" : "datasets"; }
};

// True for a string the hub accepts as a repo id: one or two names of letters, digits, '-', '_'
// and '.', separated by '/', without "--" or ".." and at most 96 characters per name.
bool is_valid_repo_id(const std::string& id);
// True for 40 lowercase hex digits (a full git commit id).
bool is_commit_hash(const std::string& revision);
// Throws Error unless `revision` can name a ref file (no "..", no empty or hidden components).
void check_revision(const std::string& revision);
// Throws Error unless `path` is a relative repo path that stays inside a snapshot.
void check_repo_path(const std::string& path, const std::string& context);

// The cache directory the environment selects (see the top of this file).
std::filesystem::path default_hub_cache();

// One entry of a commit's file listing (the hub's tree API, or our tree cache).
struct RepoFile {
  std::string path;
  int64_t size = 0;
  std::string blob_id;     // git blob id
  std::string lfs_sha256;  // empty unless the file is stored in Git LFS
  int64_t lfs_size = -1;
};

class HubCache {
 public:
  explicit HubCache(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  // models--org--name
  static std::string folder_name(const RepoId& repo);
  std::filesystem::path repo_dir(const RepoId& repo) const { return root_ / folder_name(repo); }
  std::filesystem::path snapshot_dir(const RepoId& repo, const std::string& commit) const;
  std::filesystem::path blob_path(const RepoId& repo, const std::string& etag) const;
  std::filesystem::path pointer_path(const RepoId& repo, const std::string& commit,
                                     const std::string& file) const;
  std::filesystem::path lock_path(const RepoId& repo, const std::string& etag) const;

  // refs/<revision>: the cached commit of a branch or tag, if any.
  std::optional<std::string> read_ref(const RepoId& repo, const std::string& revision) const;
  // Writes refs/<revision> atomically (nothing for a commit hash, or when unchanged).
  void write_ref(const RepoId& repo, const std::string& revision, const std::string& commit) const;

  // trees/<commit>.json, if present and readable (a damaged one is ignored, as Python does).
  std::optional<std::vector<RepoFile>> read_tree(const RepoId& repo,
                                                 const std::string& commit) const;
  void write_tree(const RepoId& repo, const std::string& commit,
                  const std::vector<RepoFile>& files) const;
  // The files present in snapshots/<commit>/ (relative paths, sorted): the listing offline when
  // no tree was cached (e.g. a snapshot Python downloaded file by file).
  std::vector<RepoFile> list_snapshot(const RepoId& repo, const std::string& commit) const;

  bool is_known_missing(const RepoId& repo, const std::string& commit,
                        const std::string& file) const;
  void mark_missing(const RepoId& repo, const std::string& commit, const std::string& file) const;

  // Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (replacing any).
  void link_snapshot_file(const RepoId& repo, const std::string& commit, const std::string& file,
                          const std::string& etag) const;
  // Creates the root with its CACHEDIR.TAG (so backup tools skip it), as huggingface_hub does.
  void ensure_root() const;

 private:
  std::filesystem::path root_;
};

// An exclusive flock() on a lock file, the same lock huggingface_hub's FileLock takes, so
// finetune and Python never write the same blob at once. Released when destroyed.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace finetune
