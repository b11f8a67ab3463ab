// The hub cache layout (see cache.h), written the way huggingface_hub writes it: refs and
// tree listings atomically (temporary file + rename), snapshot entries as relative symlinks.
#include "hub/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "io/file.h"
#include "io/json.h"

namespace finetune {

namespace fs = std::filesystem;

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// An ETag becomes a blob file name: hex digits (git sha1 or sha256) and nothing that could
// climb out of blobs/.
void check_etag(const std::string& etag) {
  const bool ok = !etag.empty() && etag.size() <= 128 &&
                  std::all_of(etag.begin(), etag.end(), [](char c) { return is_name_char(c); }) &&
                  etag.find("..") == std::string::npos && etag[0] != '.';
  if (!ok) throw Error(cat("the hub sent an unusable ETag '", etag.substr(0, 80), "'"));
}

// expanduser for a leading "~/" (what os.path.expanduser does for the variables' values).
fs::path expand_user(const std::string& text) {
  if (text == "~" || text.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && *home) return fs::path(home) / text.substr(text.size() > 1 ? 2 : 1);
  }
  return fs::path(text);
}

std::string getenv_string(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::string RepoId::describe() const {
  return cat(type == RepoType::kModel ? "model '" : "dataset '", id, "'");
}

bool is_valid_repo_id(const std::string& id) {
  if (id.empty() || id.size() > 200 || id.find("--") != std::string::npos ||
      id.find("..") != std::string::npos) {
    return false;
  }
  const auto parts = split(id, '/');
  if (parts.size() > 2) return false;
  for (const auto& part : parts) {
    if (part.empty() || part.size() > 96) return false;
    if (!std::all_of(part.begin(), part.end(), is_name_char)) return false;
    // The hub requires names to start and end with a letter or digit (\b in its regex).
    if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.')
      return false;
  }
  return true;
}

bool is_commit_hash(const std::string& revision) {
  return revision.size() == 40 && std::all_of(revision.begin(), revision.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

void check_revision(const std::string& revision) {
  bool ok = !revision.empty() && revision.size() <= 256 &&
            revision.find('\0') == std::string::npos && revision.find('\\') == std::string::npos;
  if (ok) {
    for (const auto& part : split(revision, '/'))
      ok = ok && !part.empty() && part != "." && part != "..";
  }
  if (!ok) throw Error(cat("revision '", revision, "' is not a branch, tag or commit name"));
}

void check_repo_path(const std::string& path, const std::string& context) {
  bool ok = !path.empty() && path.size() <= 4096 && path.find('\0') == std::string::npos &&
            path.find('\\') == std::string::npos && path[0] != '/';
  if (ok) {
    for (const auto& part : split(path, '/'))
      ok = ok && !part.empty() && part != "." && part != "..";
  }
  if (!ok)
    throw Error(
        cat(context, ": file path '", path.substr(0, 200), "' is not a plain relative path"));
}

fs::path default_hub_cache() {
  // huggingface_hub/constants.py: HF_HUB_CACHE, else the legacy HUGGINGFACE_HUB_CACHE, else
  // HF_HOME/hub with HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface.
  if (std::string v = getenv_string("HF_HUB_CACHE"); !v.empty()) return expand_user(v);
  if (std::string v = getenv_string("HUGGINGFACE_HUB_CACHE"); !v.empty()) return expand_user(v);
  if (std::string v = getenv_string("HF_HOME"); !v.empty()) return expand_user(v) / "hub";
  if (std::string v = getenv_string("XDG_CACHE_HOME"); !v.empty())
    return expand_user(v) / "huggingface" / "hub";
  return expand_user("~/.cache") / "huggingface" / "hub";
}

std::string HubCache::folder_name(const RepoId& repo) {
  std::string name = repo.plural();
  for (const auto& part : split(repo.id, '/')) name += "--" + part;
  return name;
}

fs::path HubCache::snapshot_dir(const RepoId& repo, const std::string& commit) const {
  FT_CHECK(is_commit_hash(commit), "not a commit: ", commit);
  return repo_dir(repo) / "snapshots" / commit;
}

fs::path HubCache::blob_path(const RepoId& repo, const std::string& etag) const {
  check_etag(etag);
  return repo_dir(repo) / "blobs" / etag;
}

fs::path HubCache::pointer_path(const RepoId& repo, const std::string& commit,
                                const std::string& file) const {
  check_repo_path(file, repo.describe());
  return snapshot_dir(repo, commit) / file;
}

fs::path HubCache::lock_path(const RepoId& repo, const std::string& etag) const {
  check_etag(etag);
  return root_ / ".locks" / folder_name(repo) / (etag + ".lock");
}

std::optional<std::string> HubCache::read_ref(const RepoId& repo,
                                              const std::string& revision) const {
  check_revision(revision);
  const fs::path path = repo_dir(repo) / "refs" / revision;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::string commit = read_file(path);
  while (!commit.empty() && (commit.back() == '\n' || commit.back() == ' ')) commit.pop_back();
  if (!is_commit_hash(commit)) {
    throw Error(
        cat(path.string(), ": does not hold a commit id (the cache is damaged; delete this file)"));
  }
  return commit;
}

void HubCache::write_ref(const RepoId& repo, const std::string& revision,
                         const std::string& commit) const {
  check_revision(revision);
  FT_CHECK(is_commit_hash(commit), "not a commit: ", commit);
  if (revision == commit) return;
  if (read_ref(repo, revision) == commit) return;
  const fs::path path = repo_dir(repo) / "refs" / revision;
  fs::create_directories(path.parent_path());
  write_file_atomic(path, commit);  // no newline: huggingface_hub writes the bare id
}

std::optional<std::vector<RepoFile>> HubCache::read_tree(const RepoId& repo,
                                                         const std::string& commit) const {
  const fs::path path = repo_dir(repo) / "trees" / (commit + ".json");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  try {
    Json doc = parse_json_file(path);
    if (!doc.is_object() || doc.value("format_version", 0) != 1 || !doc["files"].is_object())
      return std::nullopt;
    std::vector<RepoFile> files;
    for (auto it = doc["files"].begin(); it != doc["files"].end(); ++it) {
      const Json& info = it.value();
      RepoFile f;
      f.path = it.key();
      check_repo_path(f.path, path.string());
      f.size = info.at("size").get<int64_t>();
      f.blob_id = info.at("blob_id").get<std::string>();
      if (info.contains("lfs_sha256") && info["lfs_sha256"].is_string()) {
        f.lfs_sha256 = info["lfs_sha256"].get<std::string>();
        f.lfs_size = info.value("lfs_size", f.size);
      }
      files.push_back(std::move(f));
    }
    return files;
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable: list again (huggingface_hub ignores a corrupted tree too)
  }
}

void HubCache::write_tree(const RepoId& repo, const std::string& commit,
                          const std::vector<RepoFile>& files) const {
  Json doc = Json::object();
  doc["format_version"] = 1;
  Json entries = Json::object();
  for (const RepoFile& f : files) {
    Json info = {{"size", f.size}, {"blob_id", f.blob_id}};
    if (!f.lfs_sha256.empty()) {
      info["lfs_sha256"] = f.lfs_sha256;
      info["lfs_size"] = f.lfs_size;
    }
    entries[f.path] = info;
  }
  doc["files"] = entries;
  const fs::path path = repo_dir(repo) / "trees" / (commit + ".json");
  fs::create_directories(path.parent_path());
  write_file_atomic(path, doc.dump(1) + "\n");
}

std::vector<RepoFile> HubCache::list_snapshot(const RepoId& repo, const std::string& commit) const {
  std::vector<RepoFile> files;
  const fs::path dir = snapshot_dir(repo, commit);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (!fs::is_regular_file(it->path(), type_ec)) continue;  // follows the symlink to its blob
    RepoFile f;
    f.path = it->path().lexically_relative(dir).generic_string();
    f.size = static_cast<int64_t>(fs::file_size(it->path(), type_ec));
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const RepoFile& a, const RepoFile& b) { return a.path < b.path; });
  return files;
}

bool HubCache::is_known_missing(const RepoId& repo, const std::string& commit,
                                const std::string& file) const {
  check_repo_path(file, repo.describe());
  std::error_code ec;
  return fs::is_regular_file(repo_dir(repo) / ".no_exist" / commit / file, ec);
}

void HubCache::mark_missing(const RepoId& repo, const std::string& commit,
                            const std::string& file) const {
  check_repo_path(file, repo.describe());
  const fs::path path = repo_dir(repo) / ".no_exist" / commit / file;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (!ec) write_file_atomic(path, "");
}

void HubCache::link_snapshot_file(const RepoId& repo, const std::string& commit,
                                  const std::string& file, const std::string& etag) const {
  const fs::path pointer = pointer_path(repo, commit, file);
  fs::create_directories(pointer.parent_path());
  // snapshots/<commit>/<a>/<b>  ->  ../../../blobs/<etag>: one ".." per path component, plus
  // one for <commit>, so the link survives moving the cache (huggingface_hub's _create_symlink).
  std::string target;
  const size_t depth = static_cast<size_t>(std::count(file.begin(), file.end(), '/')) + 2;
  for (size_t i = 0; i < depth; ++i) target += "../";
  target += "blobs/" + etag;
  std::error_code ec;
  fs::remove(pointer, ec);
  fs::create_symlink(target, pointer, ec);
  if (ec && ec != std::errc::file_exists) {
    throw Error(cat("cannot create ", pointer.string(), " -> ", target, ": ", ec.message()));
  }
}

void HubCache::ensure_root() const {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec)
    throw Error(cat("cannot create the hub cache ", root_.string(), ": ", ec.message(),
                    " (set HF_HUB_CACHE)"));
  const fs::path tag = root_ / "CACHEDIR.TAG";
  if (!fs::exists(tag, ec)) {
    // The signature line of the Cache Directory Tagging Specification; a failure is harmless.
    try {
      write_file_atomic(tag,
                        "Signature: 8a477f597d28d172789f06886806bc55\n"
                        "# This file is a cache directory tag (the Hugging Face hub cache).\n"
                        "# For information about cache directory tags, see:\n"
                        "#\thttps://bford.info/cachedir/\n");
    } catch (const Error&) {
    }
  }
}

FileLock::FileLock(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error(cat("cannot open the lock file ", path.string(), ": ", std::strerror(errno)));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int saved = errno;
    ::close(fd_);
    throw Error(cat("cannot lock ", path.string(), ": ", std::strerror(saved)));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace finetune
