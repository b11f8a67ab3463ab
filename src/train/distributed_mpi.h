// The MPI communicator's factory, defined by distributed_mpi.cpp in builds with MPI and by
// distributed_mpi_stub.cpp otherwise (so that no other file needs to know).
#pragma once

#include <memory>

#include "train/distributed.h"

namespace finetune {

std::unique_ptr<Communicator> make_mpi_communicator(const CommunicatorOptions& options);

}  // namespace finetune
