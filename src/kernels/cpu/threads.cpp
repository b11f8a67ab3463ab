// Thread count of the CPU backend (see threads.h): keeps OpenMP and OpenBLAS in step.
#include "kernels/cpu/threads.h"

#include <cblas.h>  // OpenBLAS's cblas.h also declares openblas_set_num_threads
#include <omp.h>

namespace finetune::kernels::cpu {

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() {
  return omp_get_max_threads();
}

}  // namespace finetune::kernels::cpu
