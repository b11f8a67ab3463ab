// Ops: the tensor-level entry points the model calls. Each op checks shapes, dtypes and devices
// of its Tensor arguments (a mismatch is a bug, so FT_CHECK with both shapes), then switches on
// the device to the backend kernel (src/kernels/<op>.h). No arithmetic happens here.
//
// Dimension legend: N rows, B batch, T tokens, C hidden, NH heads, K classes, V vocab.
#pragma once

#include "core/exec.h"
#include "core/tensor.h"
#include "kernels/activation.h"

namespace finetune::ops {

// out[N,OC] = in[N,IC] @ weight[OC,IC]^T + bias[OC]; `in` and `out` may have any leading shape
// whose product is N. `bias` may be empty.
void linear(const Exec& ex, const Tensor& out, const Tensor& in, const Tensor& weight,
            const Tensor& bias);

// out[B,T,C] = word[ids] + position[0..T-1] (+ token_type[type_ids]); token_type_ids and
// token_type may be empty (DistilBERT). Ids outside the tables are an Error (bad input).
void embedding(const Exec& ex, const Tensor& out, const Tensor& input_ids,
               const Tensor& token_type_ids, const Tensor& word, const Tensor& position,
               const Tensor& token_type);

// out = LayerNorm(in); mean/rstd may be empty.
void layernorm(const Exec& ex, const Tensor& out, const Tensor& mean, const Tensor& rstd,
               const Tensor& in, const Tensor& weight, const Tensor& bias, double eps);

// sum = a + b, out = LayerNorm(sum); sum, mean and rstd may be empty.
void add_layernorm(const Exec& ex, const Tensor& out, const Tensor& sum, const Tensor& mean,
                   const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight,
                   const Tensor& bias, double eps);

void activation(const Exec& ex, const Tensor& out, const Tensor& in, kernels::Activation kind);

// out[B,T,C], probs[B,NH,T,T] from qkv[B,T,3C] and mask[B,T].
void attention(const Exec& ex, const Tensor& out, const Tensor& probs, const Tensor& qkv,
               const Tensor& mask, int NH);

// out[B,C] = in[B,0,:]
void first_token(const Exec& ex, const Tensor& out, const Tensor& in);

// out[N,K] = softmax(in[N,K]) over K.
void softmax(const Exec& ex, const Tensor& out, const Tensor& in);

}  // namespace finetune::ops
