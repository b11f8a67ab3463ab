// The test hub mirror (see hub_mirror.h): POSIX sockets, one thread per connection, one
// response per connection ("Connection: close"), state behind one mutex.
#include "hub_mirror.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "io/file.h"
#include "io/sha256.h"
#include "test_paths.h"

namespace finetune::testing {

namespace fs = std::filesystem;

namespace {

std::string percent_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Stand-in for a git blob id (git hashes "blob <size>\0<content>" with SHA-1): the same input
// hashed with SHA-256, cut to 40 hex digits. Clients treat it as an opaque name.
std::string blob_id(const std::string& content) {
  return sha256_hex("blob " + std::to_string(content.size()) + std::string(1, '\0') + content)
      .substr(0, 40);
}

std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::vector<MirrorFile> mirror_files_from_directory(const fs::path& dir,
                                                    const std::string& prefix) {
  std::vector<MirrorFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    MirrorFile f;
    f.path = prefix + entry.path().lexically_relative(dir).generic_string();
    f.content = read_file(entry.path());
    const std::string ext = entry.path().extension().string();
    f.lfs = ext == ".safetensors" || ext == ".bin" || ext == ".parquet" || ext == ".pt";
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const MirrorFile& a, const MirrorFile& b) { return a.path < b.path; });
  return files;
}

HubMirror::HubMirror() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("hub mirror: socket() failed");
  int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("hub mirror: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { serve(); });
}

HubMirror::~HubMirror() {
  stop_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.join();
}

void HubMirror::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;  // wake up regularly to notice stop_
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.emplace_back([this, fd] { handle(fd); });
  }
}

std::string HubMirror::add_commit(bool dataset, const std::string& repo,
                                  const std::vector<MirrorFile>& files,
                                  const std::vector<std::string>& refs) {
  std::lock_guard<std::mutex> lock(mutex_);
  Repo& r = repos_[(dataset ? "datasets/" : "models/") + repo];
  std::string seed = repo + "#" + std::to_string(++commit_counter_);
  for (const auto& f : files) seed += "|" + f.path + ":" + blob_id(f.content);
  Commit c;
  c.id = sha256_hex(seed).substr(0, 40);
  c.files = files;
  for (const auto& f : files) {
    if (f.lfs) blobs_[sha256_hex(f.content)] = f.content;
  }
  for (const auto& ref : refs) r.refs[ref] = c.id;
  const std::string id = c.id;
  r.commits[id] = std::move(c);
  return id;
}

void HubMirror::set_private(bool dataset, const std::string& repo, const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  repos_[(dataset ? "datasets/" : "models/") + repo].token = token;
}

void HubMirror::set_gated(bool dataset, const std::string& repo) {
  std::lock_guard<std::mutex> lock(mutex_);
  repos_[(dataset ? "datasets/" : "models/") + repo].gated = true;
}

void HubMirror::fail(const std::string& path_part, int status, int times) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.push_back(Fault{path_part, Fault::kStatus, status, 0, times});
}

void HubMirror::drop(const std::string& path_part, size_t after_bytes, int times) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.push_back(Fault{path_part, Fault::kDrop, 0, after_bytes, times});
}

void HubMirror::corrupt(const std::string& path_part, int times) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.push_back(Fault{path_part, Fault::kCorrupt, 0, 0, times});
}

void HubMirror::clear_faults() {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.clear();
}

std::vector<HubMirror::Request> HubMirror::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t HubMirror::request_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.size();
}

size_t HubMirror::count(const std::string& path_part) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<size_t>(
      std::count_if(requests_.begin(), requests_.end(),
                    [&](const Request& r) { return r.path.find(path_part) != std::string::npos; }));
}

void HubMirror::clear_requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
}

void HubMirror::handle(int fd) {
  // Read the request head (no request here has a body).
  std::string head;
  char buffer[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    head.append(buffer, static_cast<size_t>(n));
  }
  const size_t line_end = head.find("\r\n");
  if (line_end == std::string::npos) {
    ::close(fd);
    return;
  }
  const std::string request_line = head.substr(0, line_end);
  const size_t sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
  const std::string method = request_line.substr(0, sp1);
  const std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::map<std::string, std::string> headers;
  for (size_t at = line_end + 2; at < head.size();) {
    const size_t end = head.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    const std::string line = head.substr(at, end - at);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      headers[lower(line.substr(0, colon))] = line.substr(v);
    }
    at = end + 2;
  }
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);

  Response response = route(method, path, query, headers);

  // Faults: the first one matching this path, if any is left.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Fault& f : faults_) {
      if (f.times <= 0 || path.find(f.path_part) == std::string::npos) continue;
      --f.times;
      if (f.kind == Fault::kStatus) {
        response = Response{};
        response.status = f.status;
        response.body = "injected failure";
      } else if (f.kind == Fault::kDrop) {
        response.drop_after = f.after;
      } else if (!response.body.empty()) {
        response.body[response.body.size() / 2] ^= 0x5A;
      }
      break;
    }
    Request r;
    r.method = method;
    r.path = path;
    r.host = headers.count("host") ? headers["host"] : "";
    r.range = headers.count("range") ? headers["range"] : "";
    r.authorization = headers.count("authorization") > 0;
    if (r.authorization && headers["authorization"].rfind("Bearer ", 0) == 0)
      r.token = headers["authorization"].substr(7);
    r.status = response.status;
    requests_.push_back(r);
  }

  const char* reason = response.status == 200   ? "OK"
                       : response.status == 206 ? "Partial Content"
                       : response.status == 302 ? "Found"
                       : response.status == 404 ? "Not Found"
                                                : "Status";
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    out += name + ": " + value + "\r\n";
    has_length = has_length || lower(name) == "content-length";
  }
  if (!has_length) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  bool ok = send_all(fd, out.data(), out.size());
  if (ok && method != "HEAD") {
    const size_t n = std::min(response.body.size(), response.drop_after);
    ok = send_all(fd, response.body.data(), n);
  }
  if (response.drop_after != SIZE_MAX) {
    // An abortive close (RST), like a connection reset by a middlebox.
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  } else {
    ::shutdown(fd, SHUT_WR);
  }
  ::close(fd);
}

HubMirror::Response HubMirror::route(const std::string& method, const std::string& path,
                                     const std::string& query,
                                     const std::map<std::string, std::string>& headers) {
  if (path.rfind("/cdn/", 0) == 0) {
    std::string content;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = blobs_.find(path.substr(5));
      if (it == blobs_.end()) return Response{404, {}, "no such object"};
      content = it->second;
    }
    return serve_bytes(method, content, headers);
  }
  if (path.rfind("/api/", 0) == 0) return api(path, query, headers);
  const size_t resolve_at = path.find("/resolve/");
  if (resolve_at == std::string::npos) return Response{404, {}, "not a hub URL"};
  const bool dataset = path.rfind("/datasets/", 0) == 0;
  const std::string repo = path.substr(dataset ? 10 : 1, resolve_at - (dataset ? 10 : 1));
  return resolve(dataset, method, repo + "\n" + path.substr(resolve_at + 9), headers);
}

const HubMirror::Commit* HubMirror::find(bool dataset, const std::string& id,
                                         const std::string& rev,
                                         const std::map<std::string, std::string>& headers,
                                         Response& error) {
  auto it = repos_.find((dataset ? "datasets/" : "models/") + id);
  const std::string kind = dataset ? "Dataset" : "Repository";
  if (it == repos_.end()) {
    error = Response{404,
                     {{"X-Error-Code", "RepoNotFound"}, {"X-Error-Message", kind + " Not Found"}},
                     "Not Found"};
    return nullptr;
  }
  Repo& repo = it->second;
  if (!repo.token.empty()) {
    auto auth = headers.find("authorization");
    if (auth == headers.end() || auth->second != "Bearer " + repo.token) {
      error = Response{
          401,
          {{"X-Error-Code", "RepoNotFound"}, {"X-Error-Message", "Invalid username or password."}},
          "Unauthorized"};
      return nullptr;
    }
  }
  if (repo.gated) {
    error = Response{403,
                     {{"X-Error-Code", "GatedRepo"},
                      {"X-Error-Message", "Access to " + id +
                                              " is restricted. You must have access to it and be "
                                              "authenticated to access it."}},
                     "Forbidden"};
    return nullptr;
  }
  std::string commit = rev;
  if (auto ref = repo.refs.find(rev); ref != repo.refs.end()) commit = ref->second;
  auto c = repo.commits.find(commit);
  if (c == repo.commits.end()) {
    error = Response{
        404,
        {{"X-Error-Code", "RevisionNotFound"}, {"X-Error-Message", "Invalid rev id: " + rev}},
        "Not Found"};
    return nullptr;
  }
  return &c->second;
}

HubMirror::Response HubMirror::resolve(bool dataset, const std::string& method,
                                       const std::string& rest,
                                       const std::map<std::string, std::string>& headers) {
  const size_t nl = rest.find('\n');
  const std::string id = rest.substr(0, nl);
  const std::string tail = rest.substr(nl + 1);  // "<rev>/<path>"
  const size_t slash = tail.find('/');
  if (slash == std::string::npos) return Response{404, {}, "no file"};
  const std::string rev = percent_decode(tail.substr(0, slash));
  const std::string file = percent_decode(tail.substr(slash + 1));
  std::lock_guard<std::mutex> lock(mutex_);
  Response error;
  const Commit* commit = find(dataset, id, rev, headers, error);
  if (commit == nullptr) return error;
  auto f = std::find_if(commit->files.begin(), commit->files.end(),
                        [&](const MirrorFile& m) { return m.path == file; });
  if (f == commit->files.end()) {
    return Response{404,
                    {{"X-Error-Code", "EntryNotFound"},
                     {"X-Error-Message", "Entry not found"},
                     {"X-Repo-Commit", commit->id}},
                    "Entry not found"};
  }
  if (f->lfs) {
    const std::string sha = sha256_hex(f->content);
    Response r;
    r.status = 302;
    r.headers = {
        {"Location", "http://localhost:" + std::to_string(port_) + "/cdn/" + sha},
        {"X-Repo-Commit", commit->id},
        {"X-Linked-Etag", "\"" + sha + "\""},
        {"X-Linked-Size", std::to_string(f->content.size())},
        {"ETag",
         "\"" + blob_id("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha) + "\""}};
    return r;
  }
  Response r = serve_bytes(method, f->content, headers);
  r.headers.push_back({"X-Repo-Commit", commit->id});
  r.headers.push_back({"ETag", "\"" + blob_id(f->content) + "\""});
  return r;
}

HubMirror::Response HubMirror::serve_bytes(const std::string& method, const std::string& content,
                                           const std::map<std::string, std::string>& headers) {
  Response r;
  r.headers.push_back({"Content-Type", "application/octet-stream"});
  r.headers.push_back({"Accept-Ranges", "bytes"});
  auto range = headers.find("range");
  if (range != headers.end() && !ignore_range_ && range->second.rfind("bytes=", 0) == 0) {
    const size_t start = std::stoull(range->second.substr(6));
    if (start >= content.size()) {
      return Response{416, {{"Content-Range", "bytes */" + std::to_string(content.size())}}, ""};
    }
    r.status = 206;
    r.headers.push_back({"Content-Range", "bytes " + std::to_string(start) + "-" +
                                              std::to_string(content.size() - 1) + "/" +
                                              std::to_string(content.size())});
    r.body = content.substr(start);
  } else {
    r.body = content;
  }
  r.headers.push_back({"Content-Length", std::to_string(r.body.size())});
  if (method == "HEAD") r.body.clear();
  return r;
}

HubMirror::Response HubMirror::api(const std::string& path, const std::string& query,
                                   const std::map<std::string, std::string>& headers) {
  // /api/{models|datasets}/{id}/(revision|tree)/{rev}[/...]
  const bool dataset = path.rfind("/api/datasets/", 0) == 0;
  if (!dataset && path.rfind("/api/models/", 0) != 0) return Response{404, {}, "unknown API"};
  const std::string rest = path.substr(dataset ? 14 : 12);
  size_t at = rest.find("/revision/");
  const bool tree = at == std::string::npos;
  if (tree) at = rest.find("/tree/");
  if (at == std::string::npos) return Response{404, {}, "unknown API"};
  const std::string id = rest.substr(0, at);
  std::string rev = rest.substr(at + (tree ? 6 : 10));
  if (tree) rev = rev.substr(0, rev.find('/'));
  rev = percent_decode(rev);
  std::lock_guard<std::mutex> lock(mutex_);
  Response error;
  const Commit* commit = find(dataset, id, rev, headers, error);
  if (commit == nullptr) return error;
  Response r;
  r.headers.push_back({"Content-Type", "application/json"});
  if (!tree) {
    r.body = "{\"id\": " + json_escape(id) + ", \"sha\": \"" + commit->id + "\", \"siblings\": [";
    for (size_t i = 0; i < commit->files.size(); ++i) {
      r.body += (i ? ", " : "") + std::string("{\"rfilename\": ") +
                json_escape(commit->files[i].path) + "}";
    }
    r.body += "]}";
    return r;
  }
  // The tree: directories first as the hub lists them, then files; paged by `cursor`.
  std::vector<std::string> entries;
  std::vector<std::string> dirs;
  for (const auto& f : commit->files) {
    for (size_t slash = f.path.find('/'); slash != std::string::npos;
         slash = f.path.find('/', slash + 1)) {
      const std::string dir = f.path.substr(0, slash);
      if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    }
  }
  for (const auto& d : dirs) {
    entries.push_back("{\"type\": \"directory\", \"oid\": \"" + blob_id(d) +
                      "\", \"size\": 0, \"path\": " + json_escape(d) + "}");
  }
  for (const auto& f : commit->files) {
    std::string e = "{\"type\": \"file\", \"oid\": \"" + blob_id(f.content) +
                    "\", \"size\": " + std::to_string(f.content.size()) +
                    ", \"path\": " + json_escape(f.path);
    if (f.lfs) {
      e += ", \"lfs\": {\"oid\": \"" + sha256_hex(f.content) +
           "\", \"size\": " + std::to_string(f.content.size()) + ", \"pointerSize\": 134}";
    }
    entries.push_back(e + "}");
  }
  size_t cursor = 0;
  if (const size_t c = query.find("cursor="); c != std::string::npos)
    cursor = std::stoull(query.substr(c + 7));
  const size_t page = tree_page_size_;
  const size_t end = std::min(entries.size(), cursor + page);
  r.body = "[";
  for (size_t i = cursor; i < end; ++i) r.body += (i > cursor ? ", " : "") + entries[i];
  r.body += "]";
  if (end < entries.size()) {
    r.headers.push_back({"Link", "<" + endpoint() + path + "?recursive=true&expand=false&cursor=" +
                                     std::to_string(end) + ">; rel=\"next\""});
  }
  return r;
}

std::string emotion_readme() {
  // The shape of dair-ai/emotion's dataset card: YAML front matter with dataset_info (ClassLabel
  // names) and configs whose data_files point at the Parquet shards, then the card's text.
  return R"(---
language:
- en
license: other
task_categories:
- text-classification
pretty_name: Emotion
dataset_info:
- config_name: split
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': sadness
          '1': joy
          '2': love
          '3': anger
          '4': fear
          '5': surprise
  splits:
  - name: train
    num_bytes: 1741533
    num_examples: 16000
  - name: validation
    num_bytes: 214695
    num_examples: 2000
configs:
- config_name: split
  data_files:
  - split: train
    path: split/train-*
  - split: validation
    path: split/validation-*
  default: true
- config_name: unsplit
  data_files:
  - split: train
    path: unsplit/train-*
train-eval-index:
- config: default
  task: text-classification
---

# Dataset Card for "emotion"

Emotion is a dataset of English Twitter messages with six basic emotions.
)";
}

void add_standard_repos(HubMirror& mirror) {
  const fs::path fixtures = fixtures_dir();
  std::vector<MirrorFile> distilbert = mirror_files_from_directory(fixtures / "tiny-distilbert");
  distilbert.push_back(
      {".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n", false});
  distilbert.push_back({"README.md", "# tiny-distilbert\n\nA random test checkpoint.\n", false});
  mirror.add_commit(false, "org/tiny-distilbert", distilbert);
  mirror.add_commit(false, "org/tiny-bert-bin",
                    mirror_files_from_directory(fixtures / "tiny-bert-bin"));
  // Tokenizers from legacy files only: vocab.json + merges.txt, a SentencePiece model.
  std::vector<MirrorFile> roberta = mirror_files_from_directory(fixtures / "tiny-roberta");
  roberta.erase(std::remove_if(roberta.begin(), roberta.end(),
                               [](const MirrorFile& f) { return f.path == "tokenizer.json"; }),
                roberta.end());
  mirror.add_commit(false, "org/tiny-roberta", roberta);
  mirror.add_commit(false, "org/tiny-camembert",
                    mirror_files_from_directory(fixtures / "tiny-camembert"));
  const fs::path emotion = shared_dir() / "data" / "emotion";
  mirror.add_commit(
      true, "org/emotion",
      {{".gitattributes", "*.parquet filter=lfs diff=lfs merge=lfs -text\n", false},
       {"README.md", emotion_readme(), false},
       {"split/train-00000-of-00001.parquet", read_file(emotion / "train.parquet"), true},
       {"split/validation-00000-of-00001.parquet", read_file(emotion / "validation.parquet"),
        true}});
}

}  // namespace finetune::testing
