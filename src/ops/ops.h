// Ops: the tensor-level entry points the model and trainer call. Each op checks shapes, dtypes
// and devices of its Tensor arguments (a mismatch is a bug, so FT_CHECK with both shapes), then
// switches on the device to the backend kernel (src/kernels/<op>.h). No arithmetic happens here.
//
// Backward ops follow DESIGN.md principle 1: activation gradients are assigned, parameter
// gradients accumulate (+=). An empty Tensor stands for "none" wherever a kernel accepts null.
//
// Dimension legend: N rows, B batch, T tokens, C hidden, NH heads, K classes, V vocab.
#pragma once

#include "core/exec.h"
#include "core/tensor.h"
#include "kernels/activation.h"
#include "kernels/dropout.h"
#include "kernels/optimizer.h"

namespace finetune::ops {

using kernels::DropoutSpec;

// --- linear (ops/linear.cpp) -------------------------------------------------------------------
// out[N,OC] = in[N,IC] @ weight[OC,IC]^T + bias[OC]; leading dimensions of in/out flatten to N.
void linear(const Exec& ex, const Tensor& out, const Tensor& in, const Tensor& weight,
            const Tensor& bias);
// din (may be empty) = dout @ weight; dweight += dout^T @ in; dbias (may be empty) += sum(dout).
void linear_backward(const Exec& ex, const Tensor& din, const Tensor& dweight, const Tensor& dbias,
                     const Tensor& dout, const Tensor& in, const Tensor& weight);

// --- embeddings (ops/embedding.cpp) ------------------------------------------------------------
// out[B,T,C] = word[ids] + position[position_ids, or 0..T-1] (+ token_type[type_ids]);
// token_type_ids and token_type may be empty (DistilBERT), position_ids too (absolute
// positions). Ids outside the tables are an Error (bad input).
void embedding(const Exec& ex, const Tensor& out, const Tensor& input_ids,
               const Tensor& token_type_ids, const Tensor& position_ids, const Tensor& word,
               const Tensor& position, const Tensor& token_type);
void embedding_backward(const Exec& ex, const Tensor& dword, const Tensor& dposition,
                        const Tensor& dtoken_type, const Tensor& dout, const Tensor& input_ids,
                        const Tensor& token_type_ids, const Tensor& position_ids);
// position_ids[B,T] (I32) counted from `pad` as RoBERTa does (kernels/embedding.h); a sequence
// longer than the table's usable rows (table_rows - pad - 1) is an Error naming --max-length.
void position_ids_from_input_ids(const Exec& ex, const Tensor& position_ids,
                                 const Tensor& input_ids, int pad, int64_t table_rows);

// --- LayerNorm (ops/normalization.cpp) ---------------------------------------------------------
// out = LayerNorm(in); mean/rstd may be empty.
void layernorm(const Exec& ex, const Tensor& out, const Tensor& mean, const Tensor& rstd,
               const Tensor& in, const Tensor& weight, const Tensor& bias, double eps);
// sum = a + b, out = LayerNorm(sum); sum, mean and rstd may be empty.
void add_layernorm(const Exec& ex, const Tensor& out, const Tensor& sum, const Tensor& mean,
                   const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight,
                   const Tensor& bias, double eps);
// din = d LayerNorm(in) / d in applied to dout; dweight, dbias accumulate.
void layernorm_backward(const Exec& ex, const Tensor& din, const Tensor& dweight,
                        const Tensor& dbias, const Tensor& dout, const Tensor& in,
                        const Tensor& weight, const Tensor& mean, const Tensor& rstd);

// --- attention (ops/attention.cpp) -------------------------------------------------------------
// out[B,T,C], probs[B,NH,T,T] from qkv[B,T,3C] and mask[B,T]; dropout on the probabilities;
// window > 0: query i sees only keys with |i - j| <= window (kernels/attention.h).
void attention(const Exec& ex, const Tensor& out, const Tensor& probs, const Tensor& qkv,
               const Tensor& mask, int NH, DropoutSpec dropout, int window = 0);
void attention_backward(const Exec& ex, const Tensor& dqkv, const Tensor& dprobs,
                        const Tensor& dout, const Tensor& qkv, const Tensor& probs,
                        const Tensor& mask, int NH, DropoutSpec dropout, int window = 0);
// Rotary position embedding of q and k in qkv[B,T,3C], in place (kernels/rotary.h); `inverse`
// applies the transpose rotation (the backward pass, on dqkv).
void rotary(const Exec& ex, const Tensor& qkv, int NH, double theta, bool inverse = false);

// --- elementwise (ops/elementwise.cpp) ---------------------------------------------------------
void activation(const Exec& ex, const Tensor& out, const Tensor& in, kernels::Activation kind);
void activation_backward(const Exec& ex, const Tensor& din, const Tensor& dout, const Tensor& in,
                         kernels::Activation kind);
// out = dropout(in) (inverted; identity copy when the spec is inactive). out may alias in.
void dropout(const Exec& ex, const Tensor& out, const Tensor& in, DropoutSpec spec);
void dropout_backward(const Exec& ex, const Tensor& din, const Tensor& dout, DropoutSpec spec);
// out = a + b (out may alias a or b).
void add(const Exec& ex, const Tensor& out, const Tensor& a, const Tensor& b);
// out[..., F] = act(in[..., :F]) * in[..., F:] (GeGLU, kernels/activation.h); din assigned.
void geglu(const Exec& ex, const Tensor& out, const Tensor& in, kernels::Activation kind);
void geglu_backward(const Exec& ex, const Tensor& din, const Tensor& dout, const Tensor& in,
                    kernels::Activation kind);
// out[B,C] = mean of in[B,T,C] over the real tokens of mask[B,T]; backward assigns din.
void mean_pool(const Exec& ex, const Tensor& out, const Tensor& in, const Tensor& mask);
void mean_pool_backward(const Exec& ex, const Tensor& din, const Tensor& dout, const Tensor& mask);
// out[B,C] = in[B,0,:]; backward writes din[B,T,C] (zero except t = 0).
void first_token(const Exec& ex, const Tensor& out, const Tensor& in);
void first_token_backward(const Exec& ex, const Tensor& din, const Tensor& dout);
// out[N,K] = softmax(in[N,K]) over K.
void softmax(const Exec& ex, const Tensor& out, const Tensor& in);

// --- loss (ops/loss.cpp) -----------------------------------------------------------------------
// losses[B] = cross-entropy of logits[B,K] against labels[B] (I32, checked in [0, K));
// dlogits (may be empty) = scale * (softmax - onehot).
void cross_entropy(const Exec& ex, const Tensor& losses, const Tensor& dlogits,
                   const Tensor& logits, const Tensor& labels, float scale);

// --- optimizer (ops/optimizer.cpp) -------------------------------------------------------------
// One Adam/AdamW step over flat 1-d tensors of equal length.
void adam_step(const Exec& ex, const Tensor& params, const Tensor& m, const Tensor& v,
               const Tensor& grads, const kernels::AdamParams& hp);
// adam_step over the rows of 2-d tensors [rows, row_length], skipping exactly the rows it cannot
// change (kernels/optimizer.h): `row_active` is [rows] bytes on ex.device. Needs no weight decay,
// eps > 0 and a finite grad_scale.
void adam_step_rows(const Exec& ex, const Tensor& params, const Tensor& m, const Tensor& v,
                    const Tensor& grads, uint8_t* row_active, const kernels::AdamParams& hp);
// Sum of squares of a flat tensor, accumulated in double.
double sum_of_squares(const Exec& ex, const Tensor& x);

}  // namespace finetune::ops
