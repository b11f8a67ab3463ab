// Shape/dtype/device checks and device dispatch for every op in ops.h.
#include "ops/ops.h"

#include "core/error.h"
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/linear.h"
#include "kernels/pooling.h"
#include "kernels/softmax.h"

namespace finetune::ops {
namespace {

namespace k = finetune::kernels;

// Every tensor of an op lives where the op runs.
void check_device(const Exec& ex, const Tensor& t, const char* op, const char* name) {
  FT_CHECK(t.empty() || t.device == ex.device, op, ": ", name, " is on ", device_name(t.device),
           " but the op runs on ", device_name(ex.device));
}

void check_f32(const Tensor& t, const char* op, const char* name) {
  FT_CHECK(t.dtype == DType::F32, op, ": ", name, " must be F32, is ", dtype_name(t.dtype));
}

// Rows of a tensor whose last dimension is `width` (all leading dimensions flattened).
int64_t rows_of(const Tensor& t, int64_t width, const char* op, const char* name) {
  FT_CHECK(t.ndim >= 1 && t.dim(-1) == width, op, ": ", name, " ", t.shape_str(),
           " must end in ", width);
  return t.numel() / width;
}

}  // namespace

void linear(const Exec& ex, const Tensor& out, const Tensor& in, const Tensor& weight,
            const Tensor& bias) {
  const char* op = "linear";
  FT_CHECK(weight.ndim == 2, op, ": weight must be 2-d, is ", weight.shape_str());
  int64_t OC = weight.dim(0), IC = weight.dim(1);
  int64_t N = rows_of(in, IC, op, "in");
  FT_CHECK(rows_of(out, OC, op, "out") == N, op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(bias.empty() || (bias.ndim == 1 && bias.dim(0) == OC), op, ": bias ", bias.shape_str());
  for (const Tensor* t : {&out, &in, &weight, &bias}) {
    check_device(ex, *t, op, "an argument");
    if (!t->empty()) check_f32(*t, op, "an argument");
  }
  const float* b = bias.empty() ? nullptr : bias.f32();
  int n = static_cast<int>(N), ic = static_cast<int>(IC), oc = static_cast<int>(OC);
  switch (ex.device) {
    case Device::CPU: k::cpu::linear_forward(ex, out.f32(), in.f32(), weight.f32(), b, n, ic, oc); return;
    case Device::CUDA: k::cuda::linear_forward(ex, out.f32(), in.f32(), weight.f32(), b, n, ic, oc); return;
  }
}

void embedding(const Exec& ex, const Tensor& out, const Tensor& input_ids,
               const Tensor& token_type_ids, const Tensor& word, const Tensor& position,
               const Tensor& token_type) {
  const char* op = "embedding";
  FT_CHECK(input_ids.ndim == 2 && input_ids.dtype == DType::I32, op, ": input_ids ", input_ids.shape_str());
  int64_t B = input_ids.dim(0), T = input_ids.dim(1), C = word.dim(1);
  FT_CHECK(out.ndim == 3 && out.dim(0) == B && out.dim(1) == T && out.dim(2) == C, op, ": out ",
           out.shape_str());
  FT_CHECK(position.dim(1) == C, op, ": position ", position.shape_str());
  FT_CHECK(token_type_ids.empty() == token_type.empty(), op,
           ": token_type_ids and the token type table come together");
  FT_CHECK(token_type_ids.empty() || token_type_ids.same_shape(input_ids), op, ": token_type_ids ",
           token_type_ids.shape_str());
  if (T > position.dim(0)) {
    throw Error(cat("a sequence of ", T, " tokens is longer than the model's ", position.dim(0),
                    " positions (max_position_embeddings); use --max-length ", position.dim(0),
                    " or less"));
  }
  for (const Tensor* t : {&out, &input_ids, &token_type_ids, &word, &position, &token_type})
    check_device(ex, *t, op, "an argument");
  // Ids come from the tokenizer, whose vocabulary may be larger than the model's table: that is
  // bad input (a mismatched tokenizer), reported with the offending id. Only checkable on host.
  if (ex.device == Device::CPU) {
    const int32_t* ids = input_ids.i32();
    for (int64_t i = 0; i < B * T; ++i) {
      if (ids[i] < 0 || ids[i] >= word.dim(0)) {
        throw Error(cat("token id ", ids[i], " is outside the model's vocabulary of ", word.dim(0),
                        " (vocab_size): the tokenizer does not belong to this model"));
      }
    }
    if (!token_type_ids.empty()) {
      const int32_t* types = token_type_ids.i32();
      for (int64_t i = 0; i < B * T; ++i) {
        if (types[i] < 0 || types[i] >= token_type.dim(0)) {
          throw Error(cat("token type id ", types[i], " is outside the model's ", token_type.dim(0),
                          " token types (type_vocab_size)"));
        }
      }
    }
  }
  const int32_t* types = token_type_ids.empty() ? nullptr : token_type_ids.i32();
  const float* type_table = token_type.empty() ? nullptr : token_type.f32();
  int b = static_cast<int>(B), t = static_cast<int>(T), c = static_cast<int>(C);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::embedding_forward(ex, out.f32(), input_ids.i32(), types, word.f32(), position.f32(),
                                type_table, b, t, c);
      return;
    case Device::CUDA:
      k::cuda::embedding_forward(ex, out.f32(), input_ids.i32(), types, word.f32(), position.f32(),
                                 type_table, b, t, c);
      return;
  }
}

void layernorm(const Exec& ex, const Tensor& out, const Tensor& mean, const Tensor& rstd,
               const Tensor& in, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "layernorm";
  int64_t C = weight.dim(0);
  int64_t N = rows_of(in, C, op, "in");
  FT_CHECK(out.same_shape(in), op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  FT_CHECK(bias.same_shape(weight), op, ": bias ", bias.shape_str());
  FT_CHECK(mean.empty() || mean.numel() == N, op, ": mean ", mean.shape_str());
  FT_CHECK(rstd.empty() || rstd.numel() == N, op, ": rstd ", rstd.shape_str());
  for (const Tensor* t : {&out, &mean, &rstd, &in, &weight, &bias}) check_device(ex, *t, op, "an argument");
  float* m = mean.empty() ? nullptr : mean.f32();
  float* r = rstd.empty() ? nullptr : rstd.f32();
  int n = static_cast<int>(N), c = static_cast<int>(C);
  float e = static_cast<float>(eps);
  switch (ex.device) {
    case Device::CPU: k::cpu::layernorm_forward(ex, out.f32(), m, r, in.f32(), weight.f32(), bias.f32(), n, c, e); return;
    case Device::CUDA: k::cuda::layernorm_forward(ex, out.f32(), m, r, in.f32(), weight.f32(), bias.f32(), n, c, e); return;
  }
}

void add_layernorm(const Exec& ex, const Tensor& out, const Tensor& sum, const Tensor& mean,
                   const Tensor& rstd, const Tensor& a, const Tensor& b, const Tensor& weight,
                   const Tensor& bias, double eps) {
  const char* op = "add_layernorm";
  int64_t C = weight.dim(0);
  int64_t N = rows_of(a, C, op, "a");
  FT_CHECK(b.same_shape(a) && out.same_shape(a), op, ": a ", a.shape_str(), ", b ", b.shape_str(),
           ", out ", out.shape_str());
  FT_CHECK(sum.empty() || sum.same_shape(a), op, ": sum ", sum.shape_str());
  FT_CHECK(bias.same_shape(weight), op, ": bias ", bias.shape_str());
  FT_CHECK(mean.empty() || mean.numel() == N, op, ": mean ", mean.shape_str());
  FT_CHECK(rstd.empty() || rstd.numel() == N, op, ": rstd ", rstd.shape_str());
  for (const Tensor* t : {&out, &sum, &mean, &rstd, &a, &b, &weight, &bias}) check_device(ex, *t, op, "an argument");
  float* s = sum.empty() ? nullptr : sum.f32();
  float* m = mean.empty() ? nullptr : mean.f32();
  float* r = rstd.empty() ? nullptr : rstd.f32();
  int n = static_cast<int>(N), c = static_cast<int>(C);
  float e = static_cast<float>(eps);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::add_layernorm_forward(ex, out.f32(), s, m, r, a.f32(), b.f32(), weight.f32(), bias.f32(), n, c, e);
      return;
    case Device::CUDA:
      k::cuda::add_layernorm_forward(ex, out.f32(), s, m, r, a.f32(), b.f32(), weight.f32(), bias.f32(), n, c, e);
      return;
  }
}

void activation(const Exec& ex, const Tensor& out, const Tensor& in, kernels::Activation kind) {
  const char* op = "activation";
  FT_CHECK(out.numel() == in.numel(), op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_device(ex, out, op, "out");
  check_device(ex, in, op, "in");
  switch (ex.device) {
    case Device::CPU: k::cpu::activation_forward(ex, out.f32(), in.f32(), in.numel(), kind); return;
    case Device::CUDA: k::cuda::activation_forward(ex, out.f32(), in.f32(), in.numel(), kind); return;
  }
}

void attention(const Exec& ex, const Tensor& out, const Tensor& probs, const Tensor& qkv,
               const Tensor& mask, int NH) {
  const char* op = "attention";
  FT_CHECK(qkv.ndim == 3 && qkv.dim(2) % 3 == 0, op, ": qkv ", qkv.shape_str());
  int64_t B = qkv.dim(0), T = qkv.dim(1), C = qkv.dim(2) / 3;
  FT_CHECK(NH > 0 && C % NH == 0, op, ": ", C, " features do not split into ", NH, " heads");
  FT_CHECK(out.ndim == 3 && out.dim(0) == B && out.dim(1) == T && out.dim(2) == C, op, ": out ",
           out.shape_str());
  FT_CHECK(probs.numel() == B * NH * T * T, op, ": probs ", probs.shape_str());
  FT_CHECK(mask.dtype == DType::I32 && mask.numel() == B * T, op, ": mask ", mask.shape_str());
  for (const Tensor* t : {&out, &probs, &qkv, &mask}) check_device(ex, *t, op, "an argument");
  int b = static_cast<int>(B), t = static_cast<int>(T), c = static_cast<int>(C);
  switch (ex.device) {
    case Device::CPU: k::cpu::attention_forward(ex, out.f32(), probs.f32(), qkv.f32(), mask.i32(), b, t, c, NH); return;
    case Device::CUDA: k::cuda::attention_forward(ex, out.f32(), probs.f32(), qkv.f32(), mask.i32(), b, t, c, NH); return;
  }
}

void first_token(const Exec& ex, const Tensor& out, const Tensor& in) {
  const char* op = "first_token";
  FT_CHECK(in.ndim == 3 && out.ndim == 2 && out.dim(0) == in.dim(0) && out.dim(1) == in.dim(2), op,
           ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_device(ex, out, op, "out");
  check_device(ex, in, op, "in");
  int b = static_cast<int>(in.dim(0)), t = static_cast<int>(in.dim(1)), c = static_cast<int>(in.dim(2));
  switch (ex.device) {
    case Device::CPU: k::cpu::first_token_forward(ex, out.f32(), in.f32(), b, t, c); return;
    case Device::CUDA: k::cuda::first_token_forward(ex, out.f32(), in.f32(), b, t, c); return;
  }
}

void softmax(const Exec& ex, const Tensor& out, const Tensor& in) {
  const char* op = "softmax";
  FT_CHECK(out.same_shape(in) && in.ndim == 2, op, ": out ", out.shape_str(), " vs in ", in.shape_str());
  check_device(ex, out, op, "out");
  check_device(ex, in, op, "in");
  int n = static_cast<int>(in.dim(0)), kk = static_cast<int>(in.dim(1));
  switch (ex.device) {
    case Device::CPU: k::cpu::softmax_forward(ex, out.f32(), in.f32(), n, kk); return;
    case Device::CUDA: k::cuda::softmax_forward(ex, out.f32(), in.f32(), n, kk); return;
  }
}

}  // namespace finetune::ops
