// The hub client against the local mirror (support/hub_mirror.h): the cache it writes (layout,
// symlinks, refs, tree listings), requests it makes and does not make (a second run, offline),
// where the token goes, and every injected fault: a connection dropped mid-file (resumed, in the
// same run and in the next), 5xx (retried, then a clear error), a wrong checksum (rejected,
// nothing cached), Range ignored, 404s of each kind, 401 and 403.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/log.h"
#include "hub/client.h"
#include "hub_mirror.h"
#include "io/file.h"
#include "io/sha256.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using testing::HubMirror;

const RepoId kModel{RepoType::kModel, "org/tiny-distilbert"};
const RepoId kDataset{RepoType::kDataset, "org/emotion"};

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

class HubClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::add_standard_repos(mirror_);
    cache_ = testing::make_temp_dir("hub-cache");
    previous_sink_ = set_log_sink([this](LogLevel, const std::string& m) { log_ += m + "\n"; });
  }
  void TearDown() override {
    set_log_sink(previous_sink_);
    fs::remove_all(cache_);
  }

  HubSettings settings() const {
    HubSettings s;
    s.endpoint = mirror_.endpoint();
    s.cache = cache_;
    s.progress = false;
    s.max_attempts = 3;
    s.retry_delay = std::chrono::milliseconds(1);
    return s;
  }
  HubClient client() const { return HubClient(settings()); }

  HubMirror mirror_;
  fs::path cache_;
  std::string log_;
  LogSink previous_sink_;
};

TEST_F(HubClientTest, DownloadsIntoHuggingfaceHubsCacheLayout) {
  HubClient hub = client();
  const std::string commit = hub.resolve_commit(kModel, "main");
  ASSERT_TRUE(is_commit_hash(commit));
  const fs::path repo = cache_ / "models--org--tiny-distilbert";
  EXPECT_EQ(read_file(repo / "refs" / "main"), commit);  // the bare id, no newline

  const fs::path config = hub.fetch_file(kModel, commit, "config.json");
  const fs::path weights = hub.fetch_file(kModel, commit, "model.safetensors");
  EXPECT_EQ(config, repo / "snapshots" / commit / "config.json");
  ASSERT_TRUE(fs::is_symlink(weights));
  const std::string sha =
      sha256_file_hex(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors");
  EXPECT_EQ(fs::read_symlink(weights),
            fs::path("../../blobs/" + sha));  // relative, named by SHA-256
  EXPECT_EQ(read_file(weights),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
  EXPECT_EQ(read_file(config),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "config.json"));
  EXPECT_TRUE(fs::exists(cache_ / "CACHEDIR.TAG"));
  EXPECT_TRUE(fs::exists(cache_ / ".locks" / "models--org--tiny-distilbert" / (sha + ".lock")));
  for (const auto& entry : fs::directory_iterator(repo / "blobs")) {
    EXPECT_EQ(entry.path().extension(), "") << "left behind: " << entry.path();
  }
  // Nested paths link with one more "..".
  const std::string dcommit = hub.resolve_commit(kDataset, "main");
  const fs::path shard =
      hub.fetch_file(kDataset, dcommit, "split/validation-00000-of-00001.parquet");
  EXPECT_EQ(fs::read_symlink(shard).string().substr(0, 15), "../../../blobs/");
  EXPECT_EQ(read_file(shard),
            read_file(testing::shared_dir() / "data" / "emotion" / "validation.parquet"));
}

TEST_F(HubClientTest, TheTokenStaysOnTheHubAndOffTheCdn) {
  HubSettings s = settings();
  s.token = "hf_secret_token_value";
  HubClient hub(s);
  const std::string commit = hub.resolve_commit(kModel, "main");
  hub.fetch_file(kModel, commit, "model.safetensors");
  int cdn = 0, hub_requests = 0;
  for (const auto& r : mirror_.requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) {
      ++cdn;
      EXPECT_FALSE(r.authorization) << "token sent to the CDN";
      EXPECT_EQ(r.host.rfind("localhost:", 0), 0u);
    } else {
      ++hub_requests;
      EXPECT_EQ(r.token, s.token) << r.path;
    }
  }
  EXPECT_EQ(cdn, 1);
  EXPECT_EQ(hub_requests, 2);  // the revision, the HEAD of the file
}

TEST_F(HubClientTest, ASecondRunMakesNoDownloadAndAPinnedCommitNoRequestAtAll) {
  HubClient hub = client();
  const std::string commit = hub.resolve_commit(kModel, "main");
  hub.list_files(kModel, commit);
  hub.fetch_file(kModel, commit, "config.json");
  hub.fetch_file(kModel, commit, "model.safetensors");
  mirror_.clear_requests();

  HubClient again = client();
  EXPECT_EQ(again.resolve_commit(kModel, commit), commit);
  again.list_files(kModel, commit);  // from trees/<commit>.json
  again.fetch_file(kModel, commit, "config.json");
  again.fetch_file(kModel, commit, "model.safetensors");
  EXPECT_EQ(mirror_.request_count(), 0u);
  // A branch still asks the hub where it points (one request), and downloads nothing.
  EXPECT_EQ(again.resolve_commit(kModel, "main"), commit);
  EXPECT_EQ(mirror_.request_count(), 1u);
}

TEST_F(HubClientTest, OfflineServesEverythingFromTheCacheWithoutARequest) {
  {
    HubClient hub = client();
    const std::string commit = hub.resolve_commit(kDataset, "main");
    hub.list_files(kDataset, commit);
    hub.fetch_file(kDataset, commit, "README.md");
  }
  mirror_.clear_requests();
  HubSettings s = settings();
  s.offline = true;
  HubClient offline(s);
  const std::string commit = offline.resolve_commit(kDataset, "main");
  EXPECT_EQ(offline.list_files(kDataset, commit).size(), 4u);  // the cached listing: all files
  EXPECT_TRUE(fs::exists(offline.fetch_file(kDataset, commit, "README.md")));
  EXPECT_NE(error_of([&] {
              offline.fetch_file(kDataset, commit, "split/train-00000-of-00001.parquet");
            }).find("HF_HUB_OFFLINE"),
            std::string::npos);
  EXPECT_NE(error_of([&] { offline.resolve_commit(kModel, "main"); }).find("not in the hub cache"),
            std::string::npos);
  EXPECT_EQ(mirror_.request_count(), 0u);
}

TEST_F(HubClientTest, ReadsASnapshotLaidOutByPythonWithoutATreeListing) {
  // What hf_hub_download leaves: refs/main, a blob, a relative link; no trees/ file.
  const std::string commit(40, 'a');
  const fs::path repo = cache_ / "models--someone--bert";
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "snapshots" / commit / "sub");
  std::ofstream(repo / "refs" / "main") << commit;
  std::ofstream(repo / "blobs" / "0123abcd") << "{\"model_type\": \"bert\"}";
  fs::create_symlink("../../blobs/0123abcd", repo / "snapshots" / commit / "config.json");
  fs::create_symlink("../../../blobs/0123abcd", repo / "snapshots" / commit / "sub" / "copy.json");
  fs::create_symlink("../../blobs/missing", repo / "snapshots" / commit / "dangling.bin");
  HubSettings s = settings();
  s.offline = true;
  HubClient hub(s);
  const RepoId id{RepoType::kModel, "someone/bert"};
  EXPECT_EQ(hub.resolve_commit(id, "main"), commit);
  std::vector<RepoFile> files = hub.list_files(id, commit);
  ASSERT_EQ(files.size(), 2u);  // the dangling link is not a file
  EXPECT_EQ(files[0].path, "config.json");
  EXPECT_EQ(files[1].path, "sub/copy.json");
  EXPECT_EQ(read_file(hub.fetch_file(id, commit, "sub/copy.json")), "{\"model_type\": \"bert\"}");
}

TEST_F(HubClientTest, ListsEveryPageAndCachesTheListing) {
  mirror_.set_tree_page_size(2);
  HubClient hub = client();
  const std::string commit = hub.resolve_commit(kModel, "main");
  mirror_.clear_requests();
  std::vector<RepoFile> files = hub.list_files(kModel, commit);
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{".gitattributes", "README.md", "config.json",
                                             "model.safetensors", "tokenizer.json",
                                             "tokenizer_config.json", "vocab.txt"}));
  EXPECT_EQ(mirror_.count("/tree/"), 4u);  // 7 files in pages of 2
  auto weights = std::find_if(files.begin(), files.end(),
                              [](const RepoFile& f) { return f.path == "model.safetensors"; });
  EXPECT_EQ(weights->lfs_sha256,
            sha256_file_hex(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
  EXPECT_TRUE(fs::exists(cache_ / "models--org--tiny-distilbert" / "trees" / (commit + ".json")));
  hub.list_files(kModel, commit);
  EXPECT_EQ(mirror_.count("/tree/"), 4u);
}

TEST_F(HubClientTest, AConnectionDroppedMidFileResumesWithARange) {
  HubClient hub = client();
  const std::string commit = hub.resolve_commit(kModel, "main");
  mirror_.drop("/cdn/", 50000);
  const fs::path weights = hub.fetch_file(kModel, commit, "model.safetensors");
  EXPECT_EQ(read_file(weights),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
  std::vector<std::string> ranges;
  for (const auto& r : mirror_.requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) ranges.push_back(r.range);
  }
  EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=50000-"}));
  EXPECT_NE(log_.find("retrying"), std::string::npos) << log_;
}

TEST_F(HubClientTest, APartialDownloadLeftByAFailedRunResumesInTheNextRun) {
  const std::string commit = client().resolve_commit(kModel, "main");
  mirror_.drop("/cdn/", 40000);
  mirror_.fail("/cdn/", 503, 10);
  std::string error = error_of([&] { client().fetch_file(kModel, commit, "model.safetensors"); });
  EXPECT_NE(error.find("running the command again resumes"), std::string::npos) << error;
  const std::string sha =
      sha256_file_hex(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors");
  const fs::path partial =
      cache_ / "models--org--tiny-distilbert" / "blobs" / (sha + ".incomplete");
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_EQ(fs::file_size(partial), 40000u);
  EXPECT_FALSE(fs::exists(cache_ / "models--org--tiny-distilbert" / "snapshots" / commit /
                          "model.safetensors"));

  mirror_.clear_faults();
  mirror_.clear_requests();
  const fs::path weights = client().fetch_file(kModel, commit, "model.safetensors");
  EXPECT_EQ(read_file(weights),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
  EXPECT_FALSE(fs::exists(partial));
  std::vector<std::string> ranges;
  for (const auto& r : mirror_.requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) ranges.push_back(r.range);
  }
  EXPECT_EQ(ranges, std::vector<std::string>{"bytes=40000-"});
}

TEST_F(HubClientTest, AServerThatIgnoresTheRangeIsDownloadedAgainFromTheStart) {
  const std::string commit = client().resolve_commit(kModel, "main");
  mirror_.drop("/cdn/", 30000);
  mirror_.ignore_range(true);
  const fs::path weights = client().fetch_file(kModel, commit, "model.safetensors");
  EXPECT_EQ(read_file(weights),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
}

TEST_F(HubClientTest, ServerErrorsAreRetriedThenReportedClearly) {
  HubClient hub = client();
  mirror_.fail("/api/models/org/tiny-distilbert/revision/", 503, 2);
  const std::string commit = hub.resolve_commit(kModel, "main");
  mirror_.fail("/resolve/", 502, 1);
  mirror_.fail("/cdn/", 500, 2);
  EXPECT_EQ(read_file(hub.fetch_file(kModel, commit, "model.safetensors")),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
  EXPECT_EQ(mirror_.count("/revision/"), 3u);
  EXPECT_EQ(mirror_.count("/cdn/"), 3u);

  mirror_.fail("/resolve/", 503, 10);
  const std::string error = error_of([&] { hub.fetch_file(kModel, commit, "vocab.txt"); });
  EXPECT_NE(error.find("HTTP 503"), std::string::npos) << error;
  EXPECT_NE(error.find("3 times; try again later"), std::string::npos) << error;
}

TEST_F(HubClientTest, AWrongChecksumIsRejectedAndNothingIsCached) {
  HubClient hub = client();
  const std::string commit = hub.resolve_commit(kModel, "main");
  mirror_.corrupt("/cdn/");
  const std::string error = error_of([&] { hub.fetch_file(kModel, commit, "model.safetensors"); });
  EXPECT_NE(error.find("checksum mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find("nothing was cached"), std::string::npos) << error;
  const fs::path repo = cache_ / "models--org--tiny-distilbert";
  EXPECT_TRUE(fs::is_empty(repo / "blobs"));
  EXPECT_FALSE(fs::exists(repo / "snapshots" / commit / "model.safetensors"));
  // The next attempt downloads it whole and verified.
  EXPECT_EQ(read_file(hub.fetch_file(kModel, commit, "model.safetensors")),
            read_file(testing::fixtures_dir() / "tiny-distilbert" / "model.safetensors"));
}

TEST_F(HubClientTest, NotFoundErrorsSayWhatIsMissing) {
  HubClient hub = client();
  const std::string missing_repo = error_of([&] {
    hub.resolve_commit(RepoId{RepoType::kModel, "org/nope"}, "main");
  });
  EXPECT_NE(missing_repo.find("model 'org/nope' was not found on " + mirror_.endpoint()),
            std::string::npos)
      << missing_repo;
  const std::string missing_rev = error_of([&] { hub.resolve_commit(kModel, "v9"); });
  EXPECT_NE(missing_rev.find("has no revision 'v9'"), std::string::npos) << missing_rev;
  EXPECT_EQ(hub.find_commit(kModel, "refs/convert/parquet"), std::nullopt);

  const std::string commit = hub.resolve_commit(kModel, "main");
  try {
    hub.fetch_file(kModel, commit, "pytorch_model.bin");
    ADD_FAILURE() << "no error";
  } catch (const HubHttpError& e) {
    EXPECT_TRUE(e.not_found());
    EXPECT_EQ(e.error_code(), "EntryNotFound");
    EXPECT_NE(std::string(e.what()).find("has no file 'pytorch_model.bin'"), std::string::npos)
        << e.what();
  }
  // Recorded as huggingface_hub does, so asking again needs no request.
  EXPECT_TRUE(fs::exists(cache_ / "models--org--tiny-distilbert" / ".no_exist" / commit /
                         "pytorch_model.bin"));
  mirror_.clear_requests();
  EXPECT_THROW(hub.fetch_file(kModel, commit, "pytorch_model.bin"), HubHttpError);
  EXPECT_EQ(mirror_.request_count(), 0u);
}

TEST_F(HubClientTest, PrivateAndGatedRepositoriesAskForAToken) {
  mirror_.add_commit(false, "org/private", {{"config.json", "{}", false}});
  mirror_.set_private(false, "org/private", "hf_right_token");
  mirror_.add_commit(false, "org/gated", {{"config.json", "{}", false}});
  mirror_.set_gated(false, "org/gated");
  const RepoId private_repo{RepoType::kModel, "org/private"};

  const std::string no_token = error_of([&] { client().resolve_commit(private_repo, "main"); });
  EXPECT_NE(no_token.find("set HF_TOKEN"), std::string::npos) << no_token;
  HubSettings wrong = settings();
  wrong.token = "hf_wrong_token";
  const std::string refused =
      error_of([&] { HubClient(wrong).resolve_commit(private_repo, "main"); });
  EXPECT_NE(refused.find("refused the token in HF_TOKEN"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("hf_wrong_token"), std::string::npos) << "the token was printed";
  HubSettings right = settings();
  right.token = "hf_right_token";
  HubClient hub(right);
  const std::string commit = hub.resolve_commit(private_repo, "main");
  EXPECT_EQ(read_file(hub.fetch_file(private_repo, commit, "config.json")), "{}");

  const std::string gated = error_of([&] {
    HubClient(right).resolve_commit(RepoId{RepoType::kModel, "org/gated"}, "main");
  });
  EXPECT_NE(gated.find("gated repository"), std::string::npos) << gated;
  EXPECT_NE(gated.find("is restricted"), std::string::npos) << gated;  // the hub's own words
}

TEST_F(HubClientTest, AnUnreachableHubFallsBackToTheCachedRevision) {
  const std::string commit = client().resolve_commit(kModel, "main");
  HubSettings s = settings();
  s.endpoint = "http://127.0.0.1:1";  // nothing listens there
  HubClient down(s);
  EXPECT_EQ(down.resolve_commit(kModel, "main"), commit);
  EXPECT_NE(log_.find("cannot reach the hub"), std::string::npos) << log_;
  const std::string error = error_of([&] { down.resolve_commit(kDataset, "main"); });
  EXPECT_NE(error.find("cannot reach the hub for dataset 'org/emotion'"), std::string::npos)
      << error;
  EXPECT_NE(error.find("3 attempts"), std::string::npos) << error;
}

TEST_F(HubClientTest, HostileNamesNeverBecomePathsOutsideTheCache) {
  mirror_.add_commit(false, "org/evil", {{"../../escape.txt", "x", false}});
  HubClient hub = client();
  const RepoId evil{RepoType::kModel, "org/evil"};
  const std::string commit = hub.resolve_commit(evil, "main");
  EXPECT_NE(error_of([&] { hub.list_files(evil, commit); }).find("not a plain relative path"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              hub.fetch_file(evil, commit, "../../escape.txt");
            }).find("not a plain relative path"),
            std::string::npos);
  EXPECT_NE(error_of([&] { hub.resolve_commit(evil, "../main"); }).find("not a branch"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              hub.resolve_commit(RepoId{RepoType::kModel, "../x"}, "main");
            }).find("not a valid hub"),
            std::string::npos);
  EXPECT_FALSE(is_valid_repo_id("a/b/c"));
  EXPECT_FALSE(is_valid_repo_id("org--x/y"));
  EXPECT_TRUE(is_valid_repo_id("distilbert-base-uncased"));
  EXPECT_TRUE(is_valid_repo_id("sentence-transformers/all-MiniLM-L6-v2"));
}

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (value) {
        ::setenv(name, value, 1);
      } else {
        ::unsetenv(name);
      }
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(HubSettings, FollowTheEnvironmentLikeHuggingfaceHub) {
  const fs::path home = testing::make_temp_dir("hf-home");
  std::ofstream(home / "token") << "hf_from_file\n";
  {
    ScopedEnv env({{"HF_HUB_CACHE", nullptr},
                   {"HUGGINGFACE_HUB_CACHE", nullptr},
                   {"HF_HOME", home.c_str()},
                   {"HF_ENDPOINT", "http://mirror.example:8080/"},
                   {"HF_HUB_OFFLINE", "yes"},
                   {"HF_TOKEN", nullptr},
                   {"HUGGING_FACE_HUB_TOKEN", nullptr},
                   {"HF_TOKEN_PATH", nullptr},
                   {"TRANSFORMERS_OFFLINE", nullptr},
                   {"HF_HUB_DISABLE_PROGRESS_BARS", "1"}});
    HubSettings s = HubSettings::from_environment();
    EXPECT_EQ(s.cache, home / "hub");
    EXPECT_EQ(s.endpoint, "http://mirror.example:8080");
    EXPECT_TRUE(s.offline);
    EXPECT_EQ(s.token, "hf_from_file");
    EXPECT_FALSE(s.progress);
  }
  {
    ScopedEnv env({{"HF_HUB_CACHE", "/tmp/elsewhere"},
                   {"HF_HOME", home.c_str()},
                   {"HF_HUB_OFFLINE", "0"},
                   {"TRANSFORMERS_OFFLINE", nullptr},
                   {"HF_TOKEN", " hf_env "},
                   {"HF_ENDPOINT", nullptr}});
    HubSettings s = HubSettings::from_environment();
    EXPECT_EQ(s.cache, fs::path("/tmp/elsewhere"));
    EXPECT_EQ(s.endpoint, "https://huggingface.co");
    EXPECT_FALSE(s.offline);
    EXPECT_EQ(s.token, "hf_env");
  }
  {
    ScopedEnv env({{"HF_HUB_CACHE", nullptr},
                   {"HUGGINGFACE_HUB_CACHE", nullptr},
                   {"HF_HOME", nullptr},
                   {"XDG_CACHE_HOME", nullptr},
                   {"HOME", "/home/someone"}});
    EXPECT_EQ(default_hub_cache(), fs::path("/home/someone/.cache/huggingface/hub"));
  }
  {
    ScopedEnv env({{"HF_ENDPOINT", "ftp://x"}});
    EXPECT_THROW(HubSettings::from_environment(), Error);
  }
  fs::remove_all(home);
}

}  // namespace
}  // namespace finetune
