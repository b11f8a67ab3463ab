// Reference optimizer step and sum of squares: the float oracle for cpu:: and cuda::, thin
// wrappers over ref/optimizer_math.h, where PyTorch's fp32 Adam/AdamW operation sequence (the
// source of truth, torch/optim/adam.py) is written out line by line.
//
// Dimension legend: N parameters.
#include "kernels/optimizer.h"

#include "kernels/ref/optimizer_math.h"

namespace finetune::kernels::ref {

void adam_step(const Exec& ex,
               float* params,       // [N]
               float* m,            // [N] first moment
               float* v,            // [N] second moment
               const float* grads,  // [N]
               long N, AdamParams hp) {
  math::adam_step(params, m, v, grads, N, hp);
}

void adam_step_rows(const Exec& ex,
                    float* params,        // [rows, row_length]
                    float* m,             // [rows, row_length]
                    float* v,             // [rows, row_length]
                    const float* grads,   // [rows, row_length]
                    uint8_t* row_active,  // [rows]
                    long rows, long row_length, AdamParams hp) {
  math::adam_step_rows(params, m, v, grads, row_active, rows, row_length, hp);
}

void sum_of_squares(const Exec& ex,
                    double* out,     // [1], host memory
                    const float* x,  // [N]
                    long N) {
  *out = math::sum_of_squares(x, N);
}

}  // namespace finetune::kernels::ref
