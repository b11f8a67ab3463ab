// The single-process communicator, launcher detection and the factory.
#include "train/distributed.h"

#include <cstdlib>

#include "core/error.h"
#include "train/distributed_mpi.h"

namespace finetune {
namespace {

// A group of one: sums over one process are the values themselves.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  void allreduce_sum(const Exec&, const Tensor&) override {}
  void allreduce_sum(std::vector<double>&) override {}
  bool any(bool value) override { return value; }
  std::string describe() const override { return "single process"; }
};

bool has_env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

}  // namespace

bool launched_by_mpi() {
  // Open MPI's mpirun, MPICH/Hydra and Slurm's srun with PMI or PMIx set these for their ranks.
  return has_env("OMPI_COMM_WORLD_SIZE") || has_env("PMI_SIZE") || has_env("PMIX_RANK") ||
         (has_env("SLURM_PROCID") && has_env("SLURM_NTASKS") && std::atoi(std::getenv("SLURM_NTASKS")) > 1);
}

std::unique_ptr<Communicator> make_communicator(const CommunicatorOptions& options) {
  if (!launched_by_mpi()) return std::make_unique<SingleProcess>();
  if (!built_with_mpi()) {
    throw Error("this process was started by an MPI launcher (mpirun/srun), but this build of finetune "
                "has no MPI support; install libopenmpi-dev and rebuild");
  }
  return make_mpi_communicator(options);
}

int device_for_local_rank(int local_rank, int device_count) {
  if (device_count <= 0) throw Error("no CUDA device is available for this process");
  return local_rank % device_count;
}

}  // namespace finetune
