// CPU elementwise sum out = a + b (spec in ref/elementwise_math.h), chunks in parallel, the loop
// vectorised. One float addition per element: the correctly rounded sum, bit-identical to ref::.
//
// Dimension legend: N elements. `out` may alias `a` or `b`.
#include "kernels/elementwise.h"
#include "kernels/cpu/threads.h"

namespace finetune::kernels::cpu {

void add_forward(const Exec& ex,
                 float* out,      // [N]
                 const float* a,  // [N]
                 const float* b,  // [N]
                 long N) {
#pragma omp parallel for simd schedule(static) if (N >= kMinParallelWork)
  for (long i = 0; i < N; ++i) out[i] = a[i] + b[i];
}

}  // namespace finetune::kernels::cpu
