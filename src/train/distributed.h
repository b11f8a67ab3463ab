// Data parallelism across processes (DESIGN.md: "Multi-process"): every process holds the whole
// model, trains on its own shard of each global batch, and the processes sum their gradients
// with one all-reduce per optimizer step, so all of them apply the same update.
//
// A Communicator is the group of processes. Launched by `mpirun` or Slurm's `srun` (detected from
// the environment they set), it is MPI's COMM_WORLD: gradients of a CPU run are summed with
// MPI_Allreduce, those of a GPU run with NCCL (its unique id broadcast over MPI) when the build
// has NCCL, else through host memory. Run directly, it is a group of one and every operation is
// a no-op. No MPI or NCCL type appears here; the implementations live in distributed_mpi.cpp and
// kernels/collective.h.
//
// Every collective waits at most `timeout_seconds`: a rank that died or stalls makes the others
// stop with a clear message within that time instead of hanging (MPI has no timeouts of its own;
// collectives are started non-blocking and polled).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/exec.h"
#include "core/tensor.h"

namespace finetune {

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // rank among the processes of this machine
  bool is_root() const { return rank() == 0; }

  // Sums a flat F32 tensor over all processes, in place (gradients; host or device memory).
  virtual void allreduce_sum(const Exec& ex, const Tensor& values) = 0;
  // Sums small host values over all processes, in place (metrics).
  virtual void allreduce_sum(std::vector<double>& values) = 0;
  // Does any process say yes? (agreeing on when to stop after an interrupt)
  virtual bool any(bool value) = 0;

  // For a GPU run, once the process's CUDA context exists: sets up NCCL for allreduce_sum.
  virtual void use_device(const Exec& ex) {}

  // "MPI, 2 processes on 1 machine" / "single process".
  virtual std::string describe() const = 0;
};

struct CommunicatorOptions {
  double timeout_seconds = 300;  // how long a collective may wait for the other processes
};

// True when this process was started by an MPI launcher (mpirun/mpiexec, srun with PMI/PMIx).
bool launched_by_mpi();
bool built_with_mpi();

// The communicator for this process: MPI when launched by an MPI launcher (Error if the build has
// no MPI support), otherwise a single process. Create it before the CUDA context: the GPU of a
// process follows from its local rank (device_for_local_rank); then call use_device.
std::unique_ptr<Communicator> make_communicator(const CommunicatorOptions& options);

// The GPU a process of a multi-process run should use: its local rank among the visible devices.
int device_for_local_rank(int local_rank, int device_count);

}  // namespace finetune
