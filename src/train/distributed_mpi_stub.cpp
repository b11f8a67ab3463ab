// Builds without MPI: the factory exists but only explains what is missing.
#include "core/error.h"
#include "train/distributed_mpi.h"

namespace finetune {

bool built_with_mpi() { return false; }

std::unique_ptr<Communicator> make_mpi_communicator(const CommunicatorOptions&) {
  throw Error("this build of finetune has no MPI support; install libopenmpi-dev and rebuild");
}

}  // namespace finetune
