// Thread count of the CPU backend: OpenMP (our loops) and OpenBLAS (sgemm) together.
//
// The build links OpenBLAS's OpenMP flavour, so BLAS and the cpu:: loops share one OpenMP thread
// pool; the two counts are still set separately by their libraries, and setting only one leaves
// the other at its default (all cores). set_num_threads keeps them equal, which is what the
// performance plan of DESIGN.md assumes (threads = cores unless the user asks otherwise).
#pragma once

#include <cstdint>

namespace finetune::kernels::cpu {

// Sets the OpenMP and OpenBLAS thread counts to n; n <= 0 means one thread per core.
void set_num_threads(int n);

// The thread count the next parallel region (and sgemm) will use.
int num_threads();

// Loops with less work than this (elements touched) run on the calling thread: forking the
// OpenMP team costs a few microseconds, more than e.g. a [8, 6] softmax or a [8, 768] copy.
inline constexpr int64_t kMinParallelWork = int64_t{1} << 15;

}  // namespace finetune::kernels::cpu
