// A Hugging Face hub mirror for tests: a small HTTP/1.1 server on 127.0.0.1 that serves the
// hub's URL layout and headers from files held in memory, with faults a test can inject.
//
// It answers what huggingface_hub (and finetune's client) ask:
//   GET  /api/{models|datasets}/{repo}/revision/{rev}      {"id", "sha", "siblings"}
//   GET  /api/{models|datasets}/{repo}/tree/{rev}?...      the file list, paged (Link: rel="next")
//   HEAD/GET /[datasets/]{repo}/resolve/{rev}/{path}       small files: 200 with ETag and
//        X-Repo-Commit; LFS files: 302 to http://localhost:PORT/cdn/{sha256} (another origin, as
//        the hub's CDN is) with X-Linked-Etag, X-Linked-Size and X-Repo-Commit
//   HEAD/GET /cdn/{sha256}                                 the bytes, with Range support
// Errors look like the hub's: 404 with X-Error-Code RepoNotFound / RevisionNotFound /
// EntryNotFound, 401 for a private repo without the right token, 403 GatedRepo.
// Faults apply to the next N requests whose path contains a given text: an HTTP status (5xx), a
// connection dropped after K body bytes, a flipped byte (a wrong checksum), or Range ignored.
// Every request is recorded (method, path, Host, whether Authorization was sent) so tests can
// count requests and check where the token went. Each connection is served by its own thread
// and closed after one response.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace finetune::testing {

struct MirrorFile {
  std::string path;
  std::string content;
  bool lfs = false;  // stored in Git LFS on the hub: served through the CDN redirect
};

// Files of a directory (recursively), LFS for weights and Parquet as the hub stores them.
std::vector<MirrorFile> mirror_files_from_directory(const std::filesystem::path& dir,
                                                    const std::string& prefix = "");

class HubMirror {
 public:
  HubMirror();  // binds 127.0.0.1 on a free port and starts serving
  ~HubMirror();
  HubMirror(const HubMirror&) = delete;
  HubMirror& operator=(const HubMirror&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Adds a commit holding `files` and points each ref (branch or tag) at it; returns its id.
  std::string add_commit(bool dataset, const std::string& repo,
                         const std::vector<MirrorFile>& files,
                         const std::vector<std::string>& refs = {"main"});
  void set_private(bool dataset, const std::string& repo, const std::string& token);
  void set_gated(bool dataset, const std::string& repo);

  // Faults for the next `times` requests whose path contains `path_part`.
  void fail(const std::string& path_part, int status, int times = 1);
  void drop(const std::string& path_part, size_t after_bytes, int times = 1);
  void corrupt(const std::string& path_part, int times = 1);
  void clear_faults();
  void ignore_range(bool ignore) { ignore_range_ = ignore; }
  void set_tree_page_size(size_t n) { tree_page_size_ = n; }

  struct Request {
    std::string method, path, host, range;
    bool authorization = false;
    std::string token;  // the bearer token sent, if any
    int status = 0;
  };
  std::vector<Request> requests() const;
  size_t request_count() const;
  // Requests whose path contains `path_part`.
  size_t count(const std::string& path_part) const;
  void clear_requests();

 private:
  struct Commit {
    std::string id;
    std::vector<MirrorFile> files;
  };
  struct Repo {
    std::map<std::string, std::string> refs;  // ref -> commit
    std::map<std::string, Commit> commits;
    std::string token;  // non-empty: private
    bool gated = false;
  };
  struct Fault {
    std::string path_part;
    enum Kind { kStatus, kDrop, kCorrupt } kind;
    int status = 0;
    size_t after = 0;
    int times = 0;
  };
  struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    size_t drop_after = SIZE_MAX;  // close the connection after this many body bytes
  };

  void serve();
  void handle(int fd);
  Response route(const std::string& method, const std::string& path, const std::string& query,
                 const std::map<std::string, std::string>& headers);
  Response resolve(bool dataset, const std::string& method, const std::string& rest,
                   const std::map<std::string, std::string>& headers);
  Response api(const std::string& path, const std::string& query,
               const std::map<std::string, std::string>& headers);
  Response serve_bytes(const std::string& method, const std::string& content,
                       const std::map<std::string, std::string>& headers);
  // The repo and commit for (dataset, id, rev), or an error response in `error`.
  const Commit* find(bool dataset, const std::string& id, const std::string& rev,
                     const std::map<std::string, std::string>& headers, Response& error);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::map<std::string, Repo> repos_;         // "models/org/x" or "datasets/org/x"
  std::map<std::string, std::string> blobs_;  // sha256 -> content
  std::vector<Fault> faults_;
  std::vector<Request> requests_;
  std::atomic<bool> ignore_range_{false};
  std::atomic<size_t> tree_page_size_{1000};
  int commit_counter_ = 0;
};

// The repositories the hub tests and tools/check_hub_cache.py use, built from committed
// fixtures and ../shared:
//   model org/tiny-distilbert   tests/fixtures/tiny-distilbert (model.safetensors)
//   model org/tiny-bert-bin     tests/fixtures/tiny-bert-bin (pytorch_model.bin)
//   dataset org/emotion         the emotion train/validation Parquet files under split/, with a
//                               README whose YAML `configs:` declares them (as dair-ai/emotion's)
void add_standard_repos(HubMirror& mirror);

// The README.md of the org/emotion mirror: a dataset card with YAML front matter.
std::string emotion_readme();

}  // namespace finetune::testing
