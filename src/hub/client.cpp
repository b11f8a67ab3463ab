// The hub protocol (see client.h), after huggingface_hub's file_download.py (hf_hub_download,
// get_hf_file_metadata, http_get) and hf_api.py (repo_info, list_repo_tree), with the behaviour
// on errors made explicit: which failures are retried, which fall back to the cache, and what the
// user is told.
#include "hub/client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/log.h"
#include "core/timer.h"
#include "hub/http.h"
#include "io/file.h"
#include "io/json.h"
#include "io/sha256.h"

namespace finetune {

namespace fs = std::filesystem;

namespace {

std::string getenv_string(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// huggingface_hub's _is_true: 1, ON, YES, TRUE in any case.
bool env_true(const char* name) {
  std::string v = getenv_string(name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

// ETag: "abc" or W/"abc" -> abc (huggingface_hub's _normalize_etag).
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  while (!etag.empty() && etag.front() == '"') etag.erase(etag.begin());
  while (!etag.empty() && etag.back() == '"') etag.pop_back();
  return etag;
}

bool transient_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

std::string human_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

// Download progress on stderr: on a terminal, one line redrawn at most 10 times a second
// (name, percent, bar, size, speed, ETA); otherwise a line every 10 seconds and one at the end,
// so logs show that something is happening without a line per chunk.
class Progress {
 public:
  Progress(bool enabled, std::string name, int64_t total, int64_t start)
      : enabled_(enabled),
        tty_(::isatty(STDERR_FILENO) == 1),
        name_(std::move(name)),
        total_(total),
        start_bytes_(start),
        done_(start) {}

  void update(int64_t done) {
    done_ = done;
    if (!enabled_) return;
    const double now = timer_.seconds();
    if (tty_ ? now - last_draw_ < 0.1 : now - last_draw_ < 10.0) return;
    last_draw_ = now;
    draw(false);
  }

  void finish() {
    if (!enabled_) return;
    draw(true);
  }

 private:
  void draw(bool final) {
    const double elapsed = std::max(timer_.seconds(), 1e-6);
    const double speed = static_cast<double>(done_ - start_bytes_) / elapsed;
    std::string line;
    if (final) {
      line = cat("downloaded ", name_, ": ", human_bytes(static_cast<double>(done_)), " in ",
                 human_duration(elapsed), " (", human_bytes(speed), "/s)");
    } else if (total_ > 0) {
      const double fraction =
          std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
      const double eta = speed > 0 ? static_cast<double>(total_ - done_) / speed : -1;
      std::string bar;
      if (tty_) {
        const int width = 24, filled = static_cast<int>(fraction * width);
        bar = "|" + std::string(static_cast<size_t>(filled), '#') +
              std::string(static_cast<size_t>(width - filled), ' ') + "| ";
      }
      char pct[16];
      std::snprintf(pct, sizeof pct, "%3.0f%% ", fraction * 100);
      line = cat(name_, " ", pct, bar, human_bytes(static_cast<double>(done_)), "/",
                 human_bytes(static_cast<double>(total_)), ", ", human_bytes(speed), "/s, ETA ",
                 human_duration(eta));
    } else {
      line =
          cat(name_, " ", human_bytes(static_cast<double>(done_)), ", ", human_bytes(speed), "/s");
    }
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }

  bool enabled_, tty_;
  std::string name_;
  int64_t total_, start_bytes_, done_;
  Timer timer_;
  double last_draw_ = 0;
};

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, const char* data, size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(cat("cannot write ", path.string(), ": ", std::strerror(errno)));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

HubSettings HubSettings::from_environment() {
  HubSettings s;
  std::string endpoint = getenv_string("HF_ENDPOINT");
  if (!endpoint.empty()) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
      throw Error(cat("HF_ENDPOINT '", endpoint, "' is not an http:// or https:// URL"));
    }
    s.endpoint = endpoint;
  }
  s.cache = default_hub_cache();
  s.offline = env_true("HF_HUB_OFFLINE") || env_true("TRANSFORMERS_OFFLINE");
  s.token = trim(getenv_string("HF_TOKEN"));
  if (s.token.empty()) s.token = trim(getenv_string("HUGGING_FACE_HUB_TOKEN"));
  if (s.token.empty()) {
    // The file `hf auth login` writes (huggingface_hub constants.HF_TOKEN_PATH).
    fs::path token_path = getenv_string("HF_TOKEN_PATH");
    if (token_path.empty()) {
      const std::string home = getenv_string("HF_HOME");
      token_path =
          !home.empty() ? fs::path(home) / "token" : default_hub_cache().parent_path() / "token";
    }
    std::error_code ec;
    if (fs::is_regular_file(token_path, ec)) {
      try {
        s.token = trim(read_file(token_path));
      } catch (const Error&) {
      }
    }
  }
  s.progress = !env_true("HF_HUB_DISABLE_PROGRESS_BARS");
  return s;
}

HubClient::HubClient(HubSettings settings)
    : settings_(std::move(settings)), cache_(settings_.cache) {}

std::vector<std::string> HubClient::auth_headers() const {
  if (settings_.token.empty()) return {};
  return {"Authorization: Bearer " + settings_.token};
}

std::string HubClient::repo_url_prefix(const RepoId& repo) const {
  return settings_.endpoint + (repo.type == RepoType::kDataset ? "/datasets/" : "/") + repo.id;
}

void HubClient::offline_miss(const RepoId& repo, const std::string& what) const {
  throw Error(cat(repo.describe(), ": ", what, " is not in the hub cache ",
                  settings_.cache.string(),
                  ", and HF_HUB_OFFLINE is set; run once without HF_HUB_OFFLINE to download it"));
}

void HubClient::back_off(int attempt, const std::string& reason) const {
  const auto delay = settings_.retry_delay * (1 << std::min(attempt - 1, 4));
  log_notice(cat(reason, "; retrying in ", std::chrono::duration<double>(delay).count(),
                 " s (attempt ", attempt + 1, " of ", settings_.max_attempts, ")"));
  std::this_thread::sleep_for(delay);
}

namespace {

// The message for an HTTP error from the hub. Text the server sends is shown (it explains gated
// repos) but the token is masked in it, in case a server echoes what it was sent.
[[noreturn]] void throw_hub_error(const HttpResponse& r, const HubSettings& settings,
                                  const RepoId& repo, const std::string& what) {
  const std::string code = r.header("x-error-code");
  std::string server_text = r.header("x-error-message");
  if (!settings.token.empty()) {
    for (size_t at; (at = server_text.find(settings.token)) != std::string::npos;) {
      server_text.replace(at, settings.token.size(), "***");
    }
  }
  if (server_text.size() > 300) server_text = server_text.substr(0, 300) + "...";
  const std::string said = server_text.empty() ? "" : cat(" (the hub says: ", server_text, ")");
  const std::string where = settings.endpoint;
  std::string message;
  if (r.status == 401) {
    message = settings.token.empty()
                  ? cat(repo.describe(), " was not found on ", where,
                        ", or it is private or gated and needs a token: "
                        "set HF_TOKEN to an access token (https://huggingface.co/settings/tokens)",
                        said)
                  : cat(where, " refused the token in HF_TOKEN for ", repo.describe(),
                        " (401): check that the token is valid and can read this repository", said);
  } else if (r.status == 403) {
    message =
        cat("access to ", repo.describe(), " is forbidden (403)",
            code == "GatedRepo"
                ? ": it is a gated repository; accept its conditions on its hub page with the "
                  "account whose token is in HF_TOKEN"
                : ": the token in HF_TOKEN lacks permission",
            said);
  } else if (r.status == 404 && code == "RevisionNotFound") {
    message = cat(repo.describe(), " has no ", what, " on ", where, said);
  } else if (r.status == 404 && code == "EntryNotFound") {
    message = cat(repo.describe(), " has no ", what, said);
  } else if (r.status == 404) {
    message = cat(repo.describe(), " was not found on ", where,
                  " (check the name; a private repository also needs HF_TOKEN)", said);
  } else if (transient_status(r.status)) {
    message = cat(where, " answered HTTP ", r.status, " for ", repo.describe(), " (", what, ") ",
                  settings.max_attempts, " times; try again later", said);
  } else {
    message = cat("unexpected HTTP ", r.status, " from ", url_for_messages(r.url), " for ",
                  repo.describe(), said);
  }
  throw HubHttpError(message, r.status, code);
}

}  // namespace

std::optional<std::string> HubClient::find_commit(const RepoId& repo, const std::string& revision) {
  if (!is_valid_repo_id(repo.id))
    throw Error(cat("'", repo.id, "' is not a valid hub repository id"));
  check_revision(revision);
  if (is_commit_hash(revision)) return revision;
  if (settings_.offline) return cache_.read_ref(repo, revision);
  const std::string memo_key = cat(repo.plural(), "/", repo.id, "@", revision);
  if (auto it = resolved_.find(memo_key); it != resolved_.end()) return it->second;

  HttpRequest request;
  request.url = cat(settings_.endpoint, "/api/", repo.plural(), "/", repo.id, "/revision/",
                    url_encode(revision, false));
  request.headers = auth_headers();
  request.follow_redirects = true;  // a renamed repo redirects on the same host
  for (int attempt = 1;; ++attempt) {
    std::string failure;
    try {
      HttpResponse r = http_request(request);
      if (r.status == 200) {
        Json info = parse_json_text(r.body, url_for_messages(request.url));
        const std::string sha = info.is_object() && info.contains("sha") && info["sha"].is_string()
                                    ? info["sha"].get<std::string>()
                                    : "";
        if (!is_commit_hash(sha)) {
          throw Error(cat(url_for_messages(request.url),
                          ": the answer has no commit id (\"sha\"); is HF_ENDPOINT ",
                          settings_.endpoint, " a Hugging Face hub?"));
        }
        // Best effort, as in huggingface_hub: a read-only cache still serves what it holds.
        try {
          cache_.ensure_root();
          cache_.write_ref(repo, revision, sha);
        } catch (const Error& e) {
          log_notice(cat("could not record ", repo.describe(), " ", revision, " = ", sha,
                         " in the cache: ", e.what()));
        }
        resolved_[memo_key] = sha;
        return sha;
      }
      if (r.status == 404 && r.header("x-error-code") == "RevisionNotFound") return std::nullopt;
      if (!transient_status(r.status) || attempt >= settings_.max_attempts) {
        throw_hub_error(r, settings_, repo, cat("revision '", revision, "'"));
      }
      failure = cat(settings_.endpoint, " answered HTTP ", r.status);
    } catch (const HttpTransportError& e) {
      failure = e.what();
      if (attempt >= settings_.max_attempts) {
        throw Error(cat("cannot reach the hub for ", repo.describe(), ": ", failure, " (", attempt,
                        " attempts; set HF_HUB_OFFLINE=1 to use only the cache)"));
      }
    }
    // Like huggingface_hub: an unreachable hub is not fatal when the cache knows the revision.
    if (attempt == 1) {
      if (auto cached = cache_.read_ref(repo, revision)) {
        log_notice(cat("cannot reach the hub (", failure, "); using the cached ", repo.describe(),
                       " at ", revision, " = ", *cached));
        return cached;
      }
    }
    back_off(attempt, failure);
  }
}

std::string HubClient::resolve_commit(const RepoId& repo, const std::string& revision) {
  std::optional<std::string> commit = find_commit(repo, revision);
  if (commit) return *commit;
  if (settings_.offline) offline_miss(repo, cat("revision '", revision, "'"));
  throw HubHttpError(
      cat(repo.describe(), " has no revision '", revision, "' on ", settings_.endpoint,
          " (check --revision: a branch, tag or full commit id)"),
      404, "RevisionNotFound");
}

std::vector<RepoFile> HubClient::list_files(const RepoId& repo, const std::string& commit) {
  FT_CHECK(is_commit_hash(commit), "list_files needs a commit: ", commit);
  if (auto cached = cache_.read_tree(repo, commit)) return *cached;
  if (settings_.offline) {
    std::vector<RepoFile> files = cache_.list_snapshot(repo, commit);
    if (files.empty()) offline_miss(repo, cat("commit ", commit));
    return files;
  }
  std::vector<RepoFile> files;
  std::string url = cat(settings_.endpoint, "/api/", repo.plural(), "/", repo.id, "/tree/", commit,
                        "?recursive=true&expand=false");
  const std::string origin = url_origin(settings_.endpoint);
  for (int page = 0; !url.empty(); ++page) {
    if (page > 100000) throw Error(cat(repo.describe(), ": the file listing does not end"));
    HttpRequest request;
    request.url = url;
    request.headers = auth_headers();
    request.follow_redirects = true;
    HttpResponse r;
    for (int attempt = 1;; ++attempt) {
      std::string failure;
      try {
        r = http_request(request);
        if (r.status == 200) break;
        if (!transient_status(r.status) || attempt >= settings_.max_attempts) {
          throw_hub_error(r, settings_, repo, cat("commit ", commit));
        }
        failure = cat(settings_.endpoint, " answered HTTP ", r.status);
      } catch (const HttpTransportError& e) {
        if (attempt >= settings_.max_attempts)
          throw Error(cat("cannot list ", repo.describe(), ": ", e.what()));
        failure = e.what();
      }
      back_off(attempt, failure);
    }
    const std::string where = url_for_messages(url);
    Json listing = parse_json_text(r.body, where);
    if (!listing.is_array()) throw Error(cat(where, ": expected a JSON list of files"));
    for (const Json& entry : listing) {
      if (!entry.is_object() || entry.value("type", "") != "file") continue;  // directories
      RepoFile f;
      try {
        f.path = entry.at("path").get<std::string>();
        f.size = entry.at("size").get<int64_t>();
        f.blob_id = entry.value("oid", "");
        if (entry.contains("lfs") && entry["lfs"].is_object()) {
          f.lfs_sha256 = entry["lfs"].at("oid").get<std::string>();
          f.lfs_size = entry["lfs"].value("size", f.size);
        }
      } catch (const Json::exception&) {
        throw Error(cat(where, ": a file entry lacks path, size or lfs.oid"));
      }
      check_repo_path(f.path, where);
      files.push_back(std::move(f));
    }
    // Next page: `Link: <url>; rel="next"`, followed only on the endpoint's own origin (the
    // request carries the token).
    url.clear();
    const std::string link = r.header("link");
    const size_t next = link.find("rel=\"next\"");
    if (next != std::string::npos) {
      const size_t open = link.rfind('<', next), close = link.rfind('>', next);
      if (open != std::string::npos && close != std::string::npos && open < close) {
        url = resolve_url(request.url, link.substr(open + 1, close - open - 1));
        if (url_origin(url) != origin)
          throw Error(cat(where, ": the next page of the listing is on another host"));
      }
    }
  }
  std::sort(files.begin(), files.end(),
            [](const RepoFile& a, const RepoFile& b) { return a.path < b.path; });
  try {
    cache_.ensure_root();
    cache_.write_tree(repo, commit, files);
  } catch (const Error&) {
    // Only an optimisation (the next run lists again); huggingface_hub ignores this failure too.
  }
  return files;
}

HubClient::Metadata HubClient::file_metadata(const RepoId& repo, const std::string& commit,
                                             const std::string& file) {
  std::string url = cat(repo_url_prefix(repo), "/resolve/", commit, "/", url_encode(file, true));
  const std::string what = cat("file '", file, "' at ", commit);
  for (int attempt = 1;; ++attempt) {
    std::string failure;
    try {
      // Redirects on the hub's own origin (a renamed repository) are followed; one to another
      // origin (the CDN for LFS files) ends here: its response carries the metadata, and its
      // Location is what to download, without the token.
      // The metadata headers come from the last response that carries X-Repo-Commit (a
      // same-origin redirect of a renamed repository may not).
      std::string current = url;
      HttpResponse r, described;
      bool cross_origin = false;
      for (int hop = 0;; ++hop) {
        HttpRequest request;
        request.method = "HEAD";
        request.url = current;
        request.headers = auth_headers();
        request.headers.push_back(
            "Accept-Encoding: identity");  // the real size, not a compressed one
        r = http_request(request);
        if (!r.header("x-repo-commit").empty()) described = r;
        if (!r.is_redirect()) break;
        const std::string target = resolve_url(current, r.header("location"));
        if (url_origin(target) != url_origin(current)) {
          current = target;
          cross_origin = true;
          break;
        }
        if (hop >= 10) throw Error(cat(url_for_messages(url), ": too many redirects"));
        current = target;
      }
      if (r.status == 200 || cross_origin) {
        const HttpResponse& d = described.status != 0 ? described : r;
        Metadata m;
        m.commit = d.header("x-repo-commit");
        m.etag = normalize_etag(!d.header("x-linked-etag").empty() ? d.header("x-linked-etag")
                                                                   : d.header("etag"));
        m.url = current;
        m.cross_origin = cross_origin;
        const std::string size = !d.header("x-linked-size").empty() ? d.header("x-linked-size")
                                 : cross_origin                     ? ""
                                                                    : r.header("content-length");
        if (!size.empty()) {
          char* end = nullptr;
          const long long v = std::strtoll(size.c_str(), &end, 10);
          if (end != nullptr && *end == '\0' && v >= 0) m.size = v;
        }
        if (!is_commit_hash(m.commit)) {
          throw Error(
              cat(url_for_messages(url), ": the answer has no X-Repo-Commit header, so ",
                  settings_.endpoint,
                  " does not look like a Hugging Face hub (check HF_ENDPOINT and any proxy)"));
        }
        if (m.etag.empty()) throw Error(cat(url_for_messages(url), ": the answer has no ETag"));
        return m;
      }
      if (r.status == 404 && r.header("x-error-code") == "EntryNotFound") {
        try {
          cache_.mark_missing(repo, commit, file);  // as huggingface_hub records it in .no_exist/
        } catch (const Error&) {
        }
      }
      if (!transient_status(r.status) || attempt >= settings_.max_attempts)
        throw_hub_error(r, settings_, repo, what);
      failure = cat(settings_.endpoint, " answered HTTP ", r.status, " for ", file);
    } catch (const HttpTransportError& e) {
      if (attempt >= settings_.max_attempts) {
        throw Error(cat("cannot reach the hub for ", repo.describe(), ": ", e.what(), " (", attempt,
                        " attempts)"));
      }
      failure = e.what();
    }
    back_off(attempt, failure);
  }
}

fs::path HubClient::fetch_file(const RepoId& repo, const std::string& commit,
                               const std::string& file) {
  FT_CHECK(is_commit_hash(commit), "fetch_file needs a commit: ", commit);
  const fs::path pointer = cache_.pointer_path(repo, commit, file);
  std::error_code ec;
  if (fs::exists(pointer, ec)) return pointer;  // follows the link: a dangling one is fetched again
  if (cache_.is_known_missing(repo, commit, file)) {
    throw HubHttpError(cat(repo.describe(), " has no file '", file, "' at ", commit), 404,
                       "EntryNotFound");
  }
  if (settings_.offline) offline_miss(repo, cat("file '", file, "' at ", commit));

  Metadata meta = file_metadata(repo, commit, file);
  if (meta.commit != commit) {
    throw Error(cat(repo.describe(), ": asked for '", file, "' at ", commit,
                    " and the hub answered for commit ", meta.commit));
  }
  cache_.ensure_root();
  const fs::path blob = cache_.blob_path(repo, meta.etag);
  {
    // The lock huggingface_hub takes for the same blob, so concurrent downloads (ours or
    // Python's) never write one file together.
    FileLock lock(cache_.lock_path(repo, meta.etag));
    if (!fs::exists(blob, ec)) download_blob(repo, file, meta, blob);
    cache_.link_snapshot_file(repo, commit, file, meta.etag);
  }
  return pointer;
}

void HubClient::download_blob(const RepoId& repo, const std::string& file, const Metadata& meta,
                              const fs::path& blob) {
  fs::create_directories(blob.parent_path());
  // `<etag>.incomplete`: what a previous attempt (in this run or an earlier one) received. It is
  // resumed with a Range request; its bytes are hashed first so the digest covers the whole file.
  fs::path partial = blob;
  partial += ".incomplete";
  const bool lfs = is_sha256_hex(meta.etag);
  Sha256 hash;
  int64_t have = 0;
  std::error_code ec;
  if (fs::exists(partial, ec)) {
    const auto size = static_cast<int64_t>(fs::file_size(partial, ec));
    if (!ec && (meta.size < 0 || size <= meta.size)) {
      MappedFile existing(partial);
      hash.update(existing.data(), existing.size());
      have = size;
    } else {
      fs::remove(partial, ec);
    }
  }
  Fd out;
  out.fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out.fd < 0) throw Error(cat("cannot write ", partial.string(), ": ", std::strerror(errno)));

  const std::string display = cat(repo.id, "/", file);
  Progress progress(settings_.progress, display, meta.size, have);
  int attempt = 1;
  while (meta.size < 0 || have < meta.size || have == 0) {
    HttpRequest request;
    request.url = meta.url;
    request.follow_redirects = true;
    if (!meta.cross_origin) request.headers = auth_headers();
    if (have > 0) request.headers.push_back(cat("Range: bytes=", have, "-"));
    const int64_t before = have;
    bool first_chunk_seen = false;
    std::string failure;
    try {
      HttpResponse r =
          http_request(request, [&](const HttpResponse& head, const char* data, size_t size) {
            if (!first_chunk_seen && have > 0 && head.status == 200) {
              // The server ignored the Range: start over from byte 0.
              if (::ftruncate(out.fd, 0) != 0)
                throw Error(cat("cannot truncate ", partial.string()));
              hash = Sha256();
              have = 0;
            }
            if (!first_chunk_seen && head.status == 206) {
              const std::string range =
                  head.header("content-range");  // "bytes <first>-<last>/<total>"
              if (range.rfind(cat("bytes ", have, "-"), 0) != 0) {
                throw Error(cat(url_for_messages(meta.url), ": asked for bytes from ", have,
                                " and got '", range, "'"));
              }
            }
            first_chunk_seen = true;
            if (meta.size >= 0 && have + static_cast<int64_t>(size) > meta.size) {
              std::error_code ignored;
              fs::remove(partial, ignored);  // it no longer matches anything that could be resumed
              throw Error(cat(display, ": the server sent more than the ", meta.size,
                              " bytes the hub announced; nothing was cached"));
            }
            write_all(out.fd, data, size, partial);
            hash.update(data, size);
            have += static_cast<int64_t>(size);
            progress.update(have);
            return true;
          });
      if (r.status == 200 || r.status == 206) {
        if (meta.size < 0 || have >= meta.size) break;
        failure = cat(url_for_messages(meta.url), ": the body ended after ", have, " of ",
                      meta.size, " bytes");
      } else if (r.status == 416 && meta.size >= 0 && have == meta.size) {
        break;  // nothing left to send: the partial file was already complete
      } else if (transient_status(r.status)) {
        failure = cat("HTTP ", r.status, " while downloading ", display);
      } else {
        throw_hub_error(r, settings_, repo, cat("file '", file, "'"));
      }
    } catch (const HttpTransportError& e) {
      failure = e.what();
    }
    // huggingface_hub's http_get: progress resets the retry budget; only attempts that bring
    // nothing new count.
    if (have > before) attempt = 1;
    if (attempt >= settings_.max_attempts) {
      throw Error(cat("downloading ", display, " failed: ", failure, " (", have, " bytes kept in ",
                      partial.string(), "; running the command again resumes)"));
    }
    back_off(attempt++, failure);
  }

  // Verify before anything is visible in blobs/: the size the hub announced, and for LFS files
  // the SHA-256 that names the blob. A mismatch deletes the partial file (it cannot be resumed).
  if (meta.size >= 0 && have != meta.size) {
    fs::remove(partial, ec);
    throw Error(cat(display, ": received ", have, " bytes but the hub announced ", meta.size,
                    "; nothing was cached"));
  }
  if (lfs) {
    std::string digest = hash.finish_hex();
    std::string expected = meta.etag;
    std::transform(expected.begin(), expected.end(), expected.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (digest != expected) {
      fs::remove(partial, ec);
      throw Error(cat(display, ": checksum mismatch: the downloaded bytes have SHA-256 ", digest,
                      " but the hub names ", expected,
                      "; the download was discarded and nothing was cached (try again)"));
    }
  }
  if (::fsync(out.fd) != 0)
    throw Error(cat("cannot write ", partial.string(), ": ", std::strerror(errno)));
  ::close(out.fd);
  out.fd = -1;
  fs::rename(partial, blob, ec);
  if (ec)
    throw Error(cat("cannot move ", partial.string(), " to ", blob.string(), ": ", ec.message()));
  progress.finish();
}

}  // namespace finetune
