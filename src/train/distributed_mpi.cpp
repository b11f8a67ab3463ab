// The MPI communicator (train/distributed.h), compiled in builds with MPI.
//
// MPI is initialised here, once, when a launcher started this process, with thread support
// "funneled" (only the main thread calls MPI; OpenMP threads never do). Collectives are started
// non-blocking (MPI_Iallreduce) and polled until done or until the timeout, so that a dead or
// stalled rank turns into an Error on the others instead of a hang; the erroring process then
// exits non-zero and the launcher ends the job.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <thread>

#include "core/error.h"
#include "kernels/collective.h"
#include "ops/memory.h"
#include "train/distributed_mpi.h"

namespace finetune {
namespace {

namespace cuda = kernels::cuda;

void check_mpi(int status, const char* call) {
  if (status != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    throw Error(
        cat("MPI call ", call, " failed: ", std::string(text, static_cast<size_t>(length))));
  }
}

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(const CommunicatorOptions& options) : timeout_(options.timeout_seconds) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      // Open MPI picks a binomial non-blocking all-reduce for 2 processes, which takes twice as
      // long as the blocking MPI_Allreduce on the 91 MB of MiniLM's gradients (110 vs 50 ms
      // here); Rabenseifner's reduce-scatter + all-gather matches the blocking call. A default
      // only: a value in the environment wins, and other MPI libraries ignore the variable.
      setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "3", /*overwrite=*/0);
      int provided = 0;
      check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided),
                "MPI_Init_thread");
      owns_mpi_ = true;
    }
    // Errors come back as return codes (checked), not as an abort inside MPI.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm node;
    check_mpi(
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
    check_mpi(MPI_Comm_rank(node, &local_rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(node, &local_size_), "MPI_Comm_size");
    MPI_Comm_free(&node);
  }

  void use_device(const Exec& ex) override {
    if (ex.device == Device::CUDA && cuda::built_with_nccl() && size_ > 1 && nccl_ == nullptr) {
      std::vector<uint8_t> id = rank_ == 0 ? cuda::nccl_unique_id() : std::vector<uint8_t>();
      int bytes = static_cast<int>(id.size());
      check_mpi(MPI_Bcast(&bytes, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
      id.resize(static_cast<size_t>(bytes));
      check_mpi(MPI_Bcast(id.data(), bytes, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
      nccl_ = cuda::nccl_init(ex, id, rank_, size_);
    }
  }

  ~MpiCommunicator() override {
    cuda::nccl_destroy(nccl_);
    // MPI_Finalize waits for every process. After an error (a collective timed out, or this
    // process's input was bad) the others may never arrive, so the process leaves without it:
    // the launcher sees a process end without finalizing and stops the rest of the job.
    if (failed_ || std::uncaught_exceptions() > 0) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_mpi_ && !finalized) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }

  void allreduce_sum(const Exec& ex, const Tensor& values) override {
    if (size_ == 1) return;
    FT_CHECK(values.dtype == DType::F32, "allreduce of ", dtype_name(values.dtype));
    const int64_t n = values.numel();
    if (values.device == Device::CUDA) {
      if (nccl_ != nullptr) {
        cuda::nccl_allreduce_sum(ex, nccl_, values.f32(), static_cast<size_t>(n));
        return;
      }
      // No NCCL: through host memory (correct, slower).
      host_.resize(static_cast<size_t>(n));
      Tensor host(host_.data(), DType::F32, {n});
      ops::copy(ex, host, values);
      ops::synchronize(ex);
      sum_floats(host_.data(), n);
      ops::copy(ex, values, host);
      return;
    }
    sum_floats(values.f32(), n);
  }

  void allreduce_sum(std::vector<double>& values) override {
    if (size_ == 1 || values.empty()) return;
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                             MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request),
              "MPI_Iallreduce");
    wait(request, "summing metrics");
  }

  bool any(bool value) override {
    if (size_ == 1) return value;
    int flag = value ? 1 : 0;
    MPI_Request request;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, &flag, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &request),
              "MPI_Iallreduce");
    wait(request, "agreeing on whether to stop");
    return flag != 0;
  }

  std::string describe() const override {
    return cat("MPI, ", size_, " processes (", local_size_, " on this machine)",
               nccl_ != nullptr ? ", gradients summed with NCCL" : "");
  }

 private:
  // Sums floats in place in chunks (MPI counts are int).
  void sum_floats(float* data, int64_t n) {
    constexpr int64_t kChunk = int64_t{1} << 30;
    for (int64_t begin = 0; begin < n; begin += kChunk) {
      const int count = static_cast<int>(std::min(kChunk, n - begin));
      MPI_Request request;
      check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data + begin, count, MPI_FLOAT, MPI_SUM,
                               MPI_COMM_WORLD, &request),
                "MPI_Iallreduce");
      wait(request, "summing gradients");
    }
  }

  // Polls a non-blocking collective until it completes or the timeout passes. Open MPI moves a
  // non-blocking collective forward only inside MPI calls (no progress thread), and a large one
  // (the gradients) is many pipelined pieces, so the first second is a busy loop of MPI_Test:
  // sleeping between tests there made a 91 MB all-reduce several times slower. Only a wait that
  // has already lasted a second (a slow or dead peer) backs off to a test per millisecond.
  void wait(MPI_Request& request, const char* what) {
    const auto start = std::chrono::steady_clock::now();
    bool slow = false;  // waited over a second: test once a millisecond
    for (uint64_t polls = 0;; ++polls) {
      int done = 0;
      check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
      if (done) return;
      if (!slow && polls % 1024 != 0) continue;  // while busy, read the clock now and then
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > timeout_) {
        failed_ = true;
        throw Error(cat("process ", rank_, " of ", size_,
                        ": no answer from the other processes after ", timeout_, " s while ", what,
                        " (a process died or stalled); stopping"));
      }
      if (waited > 1.0) {
        slow = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }

  double timeout_;
  bool owns_mpi_ = false;
  bool failed_ = false;  // a collective timed out: never finalize
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  cuda::NcclHandle* nccl_ = nullptr;
  std::vector<float> host_;
};

}  // namespace

bool built_with_mpi() {
  return true;
}

std::unique_ptr<Communicator> make_mpi_communicator(const CommunicatorOptions& options) {
  return std::make_unique<MpiCommunicator>(options);
}

}  // namespace finetune
