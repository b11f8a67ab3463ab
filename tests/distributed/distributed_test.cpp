// Data-parallel training under `mpirun` (docs/distributed.md), run through the real executable on
// this machine's loopback: two processes of batch 4 take the same steps as one process of batch 8
// (each run's losses, accuracies, validation and final weights within the fp32 rounding bounds of
// the exact run, docs/numerics.md), a checkpoint of a two-process run resumes in one process, and
// when one process dies or stalls the other stops with a clear message in bounded time instead of
// hanging.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "error_bounds.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "test_paths.h"

namespace finetune {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// mpirun as root (containers, CI) and with more processes than cores (this 2-core machine).
std::string mpirun(int processes) {
  return std::string(FINETUNE_MPIEXEC) + " --allow-run-as-root --oversubscribe -np " +
         std::to_string(processes) + " ";
}

std::vector<Json> log_lines(const fs::path& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

std::map<std::string, std::vector<float>> weights(const fs::path& file) {
  SafetensorsFile st(file);
  std::map<std::string, std::vector<float>> out;
  for (const auto& info : st.tensors()) {
    std::vector<float> t(static_cast<size_t>(info.numel()));
    st.read_as_f32(info, t.data(), info.numel());
    out[info.name] = std::move(t);
  }
  return out;
}

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("distributed"); }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // tiny-bert on 44 emotion tweets, no dropout: 44 is not a multiple of 8, so the last step of
  // each epoch has 4 examples and the second process gets none of them. In file order, so that
  // tools/make_error_bounds.py can run the same steps exactly (its run D).
  std::string train_args(int batch, const std::string& name, const std::string& extra = "",
                         const std::string& dropout = "0") {
    const fs::path shared = testing::shared_dir() / "data/emotion";
    return cat_args(testing::shell_quote(testing::finetune_binary()), " train --model ",
                    testing::shell_quote(testing::fixtures_dir() / "tiny-bert"), " --train ",
                    testing::shell_quote(shared / "train.txt"), " --validation ",
                    testing::shell_quote(shared / "validation.txt"),
                    " --limit 44 --epochs 2 --lr 1e-3 --seed 7 --threads 1 --no-shuffle",
                    " --max-length 32 --dropout ", dropout, " --batch-size ", std::to_string(batch),
                    " --output ", testing::shell_quote(dir_ / name), " --log ",
                    testing::shell_quote(dir_ / (name + ".jsonl")), " ", extra);
  }
  template <typename... Parts>
  static std::string cat_args(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
  }

  // One run's losses, accuracies, validation and final weights, each within the fp32 rounding
  // bound of the exact (float64) run D of tools/make_error_bounds.py (error_bounds.h).
  void expect_within_bounds(const std::string& name) {
    const testing::ErrorBounds bounds("train_traj_D");
    std::vector<double> loss, accuracy, val_loss, val_accuracy;
    for (const Json& line : log_lines(dir_ / (name + ".jsonl"))) {
      if (line.contains("loss")) {
        loss.push_back(line["loss"].get<double>());
        accuracy.push_back(line["accuracy"].get<double>());
      } else {
        val_loss.push_back(line["val_loss"].get<double>());
        val_accuracy.push_back(line["val_accuracy"].get<double>());
      }
    }
    for (const auto& [tensor, values] :
         {std::pair{"loss", &loss}, std::pair{"accuracy", &accuracy},
          std::pair{"val_loss", &val_loss}, std::pair{"val_accuracy", &val_accuracy}}) {
      ASSERT_EQ(values->size(), bounds.exact(tensor).size()) << name << " " << tensor;
      testing::BoundCheck c = bounds.check(tensor, values->data(), values->size());
      EXPECT_TRUE(c.passed()) << name << ": " << c.describe(tensor);
    }
    testing::FileCheck final_weights =
        bounds.check_file("final.", dir_ / name / "model.safetensors");
    for (const std::string& failure : final_weights.failures)
      ADD_FAILURE() << name << ": " << failure;
    std::printf("%s: final weights at %.3g of their bound\n", name.c_str(),
                final_weights.worst_ratio);
  }

  // Two runs of the same steps: the same step numbers and learning rates, and each within the
  // bounds of the exact run.
  void expect_same_run(const std::string& a, const std::string& b) {
    const std::vector<Json> la = log_lines(dir_ / (a + ".jsonl")),
                            lb = log_lines(dir_ / (b + ".jsonl"));
    ASSERT_EQ(la.size(), lb.size());
    ASSERT_GE(la.size(), 12u);
    for (size_t i = 0; i < la.size(); ++i) {
      ASSERT_EQ(la[i].contains("loss"), lb[i].contains("loss")) << i;
      if (la[i].contains("loss")) {
        EXPECT_EQ(la[i]["step"], lb[i]["step"]);
        EXPECT_NEAR(la[i]["lr"].get<double>(), lb[i]["lr"].get<double>(), 1e-12) << "line " << i;
      }
    }
    expect_within_bounds(a);
    expect_within_bounds(b);
  }

  fs::path dir_;
};

TEST_F(DistributedTest, TwoProcessesOfBatch4TrainLikeOneProcessOfBatch8) {
  auto one = testing::run_command(train_args(8, "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = testing::run_command(mpirun(2) + train_args(4, "two"));
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_NE(two.out.find("global batch 8 (2 processes x 4)"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("processes: MPI, 2 processes"), std::string::npos) << two.out;
  // One voice: the progress and the summary come from process 0 only.
  EXPECT_EQ(two.out.find("done after 12 steps"), two.out.rfind("done after 12 steps")) << two.out;
  expect_same_run("one", "two");
}

// The RoBERTa, ELECTRA and ModernBERT (mean pooling) trajectories of tools/make_family_fixtures.py
// and make_family_fixtures_ii.py (16 AdamW steps) in two
// processes of half the batch each: the same global steps, so the same losses and final
// weights within the exact run's fp32 rounding bounds, as test_parity.cpp holds one process to.
TEST_F(DistributedTest, NewFamiliesTrainTheirReferenceTrajectoryInTwoProcesses) {
  for (const std::string run : {"tiny-roberta", "tiny-electra", "tiny-modernbert-mean"}) {
    SCOPED_TRACE(run);
    Json ref =
        parse_json_file(testing::fixtures_dir() / "reference" / ("train_traj_" + run + ".json"));
    std::string args;
    int global_batch = 0;
    bool batch_next = false;
    for (const auto& arg : ref["finetune_train_args"]) {
      std::string a = arg.get<std::string>();
      if (batch_next) {
        global_batch = std::stoi(a);
        ASSERT_EQ(global_batch % 2, 0);
        a = std::to_string(global_batch / 2);
      }
      batch_next = a == "--batch-size";
      args += " " + testing::shell_quote(a);
    }
    const fs::path out = dir_ / run, log = dir_ / (run + ".jsonl");
    auto r =
        testing::run_command("cd " + testing::shell_quote(testing::repo_root()) + " && " +
                             mpirun(2) + testing::shell_quote(testing::finetune_binary()) +
                             " train" + args + " --threads 1 --output " +
                             testing::shell_quote(out) + " --log " + testing::shell_quote(log));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(
        r.out.find(cat("global batch ", global_batch, " (2 processes x ", global_batch / 2, ")")),
        std::string::npos)
        << r.out;
    const testing::ErrorBounds bounds("train_traj_" + run);
    std::vector<double> losses;
    for (const Json& line : log_lines(log)) {
      if (line.contains("loss")) losses.push_back(line["loss"].get<double>());
    }
    ASSERT_EQ(losses.size(), bounds.exact("loss").size());
    testing::BoundCheck loss = bounds.check("loss", losses.data(), losses.size());
    EXPECT_TRUE(loss.passed()) << loss.describe("loss");
    testing::FileCheck final_weights = bounds.check_file("final.", out / "model.safetensors");
    for (const std::string& failure : final_weights.failures) ADD_FAILURE() << failure;
  }
}

TEST_F(DistributedTest, AccumulationAndProcessesCombineIntoTheSameStep) {
  // 2 processes x batch 2 x 2 accumulation steps = 8 examples per step, as one process of 8.
  auto one = testing::run_command(train_args(8, "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two =
      testing::run_command(mpirun(2) + train_args(2, "two", "--gradient-accumulation-steps 2"));
  ASSERT_EQ(two.exit_code, 0) << two.out << two.err;
  expect_same_run("one", "two");
}

TEST_F(DistributedTest, DropoutRunsAreReproducibleAndDifferFromOneProcess) {
  // Each process draws its own dropout masks from the seed mixed with its rank: two runs with
  // the same seed are identical; one process of batch 8 draws other masks for the rows that
  // process 1 holds in the two-process run, so its losses differ.
  for (const char* name : {"first", "second"}) {
    auto run = testing::run_command(mpirun(2) + train_args(4, name, "", "0.1"));
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  auto one = testing::run_command(train_args(8, "one", "", "0.1"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const std::vector<Json> first = log_lines(dir_ / "first.jsonl"),
                          second = log_lines(dir_ / "second.jsonl"),
                          single = log_lines(dir_ / "one.jsonl");
  ASSERT_EQ(first.size(), second.size());
  ASSERT_EQ(first.size(), single.size());
  EXPECT_EQ(first, second);
  EXPECT_NE(first[0]["loss"], single[0]["loss"]);
  EXPECT_EQ(weights(dir_ / "first" / "model.safetensors"),
            weights(dir_ / "second" / "model.safetensors"));
}

TEST_F(DistributedTest, ATwoProcessCheckpointResumesInOneProcess) {
  auto whole = testing::run_command(train_args(8, "whole"));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  // Stop the two-process run mid-epoch, then continue it in one process with the same
  // examples per step.
  auto first = testing::run_command(mpirun(2) + train_args(4, "split", "--stop-after-steps 4"));
  ASSERT_EQ(first.exit_code, 130) << first.out << first.err;
  EXPECT_TRUE(fs::exists(dir_ / "split" / "trainer_state.json"));
  // A different number of examples per step would be another run: refused, by name.
  auto wrong = testing::run_command(
      train_args(4, "split", "--resume " + testing::shell_quote(dir_ / "split")));
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("examples-per-step was '8' in the interrupted run and is '4' now"),
            std::string::npos)
      << wrong.err;
  auto rest = testing::run_command(
      train_args(8, "split", "--resume " + testing::shell_quote(dir_ / "split")));
  ASSERT_EQ(rest.exit_code, 0) << rest.out << rest.err;
  expect_same_run("whole", "split");
}

// A background `mpirun` job in its own process group, output to a file.
class Job {
 public:
  Job(const std::string& command, const fs::path& output) {
    pid_ = fork();
    if (pid_ == 0) {
      setsid();
      execl("/bin/sh", "sh", "-c",
            (command + " > " + testing::shell_quote(output) + " 2>&1").c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Job() {
    if (pid_ > 0 && !finished_) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Waits up to `limit`; the exit status, or nullopt if still running.
  std::optional<int> wait_for(std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        finished_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
  bool finished_ = false;
};

// The process of `rank` in the job tagged `tag` (mpirun exports the tag to its processes).
pid_t find_rank(const std::string& tag, int rank) {
  const std::string want_tag = "FINETUNE_TEST_TAG=" + tag,
                    want_rank = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bool tagged = false, ranked = false;
    for (size_t begin = 0; begin < env.size();) {
      size_t end = env.find('\0', begin);
      if (end == std::string::npos) end = env.size();
      const std::string_view var(env.data() + begin, end - begin);
      tagged |= var == want_tag;
      ranked |= var == want_rank;
      begin = end + 1;
    }
    if (tagged && ranked) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

// Starts a long two-process run and waits until it is training (process 0 logged 3 steps).
// Returns the job and the pid of its process 1 (-1 if it never got that far).
std::pair<std::unique_ptr<Job>, pid_t> start_long_run(const fs::path& dir,
                                                      const std::string& extra) {
  const fs::path shared = testing::shared_dir() / "data/emotion";
  const std::string tag = dir.filename().string();
  const std::string command = mpirun(2) + "-x FINETUNE_TEST_TAG=" + tag + " " +
                              testing::shell_quote(testing::finetune_binary()) + " train --model " +
                              testing::shell_quote(testing::fixtures_dir() / "tiny-bert") +
                              " --train " + testing::shell_quote(shared / "train.txt") +
                              " --epochs 100 --batch-size 4 --threads 1 --log " +
                              testing::shell_quote(dir / "run.jsonl") + " " + extra;
  auto job = std::make_unique<Job>(command, dir / "mpirun.out");
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    if (log_lines(dir / "run.jsonl").size() >= 3) {
      const pid_t pid = find_rank(tag, 1);
      if (pid > 0) return {std::move(job), pid};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {std::move(job), -1};
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(DistributedTest, WhenAProcessDiesTheOthersStopInBoundedTime) {
  auto [job, victim] = start_long_run(dir_, "");
  ASSERT_GT(victim, 0) << read_all(dir_ / "mpirun.out");
  const auto killed = Clock::now();
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  const std::optional<int> status = job->wait_for(std::chrono::seconds(60));
  ASSERT_TRUE(status.has_value()) << "the job still runs 60 s after one of its processes died";
  EXPECT_NE(*status, 0) << read_all(dir_ / "mpirun.out");
  std::printf("job ended %.1f s after process 1 was killed, status %d\n",
              std::chrono::duration<double>(Clock::now() - killed).count(), *status);
}

TEST_F(DistributedTest, WhenAProcessStallsTheOthersStopAfterTheCollectiveTimeout) {
  auto [job, victim] = start_long_run(dir_, "--collective-timeout 3");
  ASSERT_GT(victim, 0) << read_all(dir_ / "mpirun.out");
  const auto stopped = Clock::now();
  ASSERT_EQ(kill(victim, SIGSTOP), 0);
  const std::optional<int> status = job->wait_for(std::chrono::seconds(60));
  kill(victim, SIGCONT);
  ASSERT_TRUE(status.has_value()) << "the job still runs 60 s after one of its processes stalled";
  EXPECT_NE(*status, 0);
  const double seconds = std::chrono::duration<double>(Clock::now() - stopped).count();
  EXPECT_GE(seconds, 2.5);  // not before the timeout: a slow step is not a fault
  const std::string output = read_all(dir_ / "mpirun.out");
  EXPECT_NE(output.find("no answer from the other processes after 3 s"), std::string::npos)
      << output;
  std::printf("job ended %.1f s after process 1 stalled, status %d\n", seconds, *status);
}

}  // namespace
}  // namespace finetune
