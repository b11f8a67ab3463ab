// Embedding ops: id validation (bad input) and dispatch for kernels/embedding.h.
#include "kernels/embedding.h"

#include "ops/checks.h"
#include "ops/ops.h"

namespace finetune::ops {

using namespace detail;
namespace k = finetune::kernels;

namespace {

struct EmbeddingShape {
  int B, T, C;
};

EmbeddingShape check_embedding(const Exec& ex, const char* op, const Tensor& activations,
                               const Tensor& input_ids, const Tensor& token_type_ids,
                               const Tensor& position_ids, const Tensor& word,
                               const Tensor& position, const Tensor& token_type) {
  FT_CHECK(input_ids.ndim == 2 && input_ids.dtype == DType::I32, op, ": input_ids ",
           input_ids.shape_str());
  const int64_t B = input_ids.dim(0), T = input_ids.dim(1), C = word.dim(1);
  FT_CHECK(activations.ndim == 3 && activations.dim(0) == B && activations.dim(1) == T &&
               activations.dim(2) == C,
           op, ": activations ", activations.shape_str(), " vs input_ids ", input_ids.shape_str());
  // An empty position table: a family without absolute positions (rotary, ModernBERT).
  FT_CHECK(position.empty() || position.dim(1) == C, op, ": position ", position.shape_str());
  FT_CHECK(!(position.empty() && !position_ids.empty()), op, ": position ids without a table");
  FT_CHECK(token_type_ids.empty() == token_type.empty(), op,
           ": token_type_ids and the token type table come together");
  FT_CHECK(token_type_ids.empty() || token_type_ids.same_shape(input_ids), op, ": token_type_ids ",
           token_type_ids.shape_str());
  FT_CHECK(position_ids.empty() ||
               (position_ids.same_shape(input_ids) && position_ids.dtype == DType::I32),
           op, ": position_ids ", position_ids.shape_str());
  // Position ids, when given, were checked against the table by position_ids_from_input_ids.
  if (!position.empty() && position_ids.empty() && T > position.dim(0)) {
    throw Error(cat("a sequence of ", T, " tokens is longer than the model's ", position.dim(0),
                    " positions (max_position_embeddings); use --max-length ", position.dim(0),
                    " or less"));
  }
  check_devices(ex, op, activations, input_ids, token_type_ids, position_ids, word, position,
                token_type);
  return {static_cast<int>(B), static_cast<int>(T), static_cast<int>(C)};
}

}  // namespace

void position_ids_from_input_ids(const Exec& ex, const Tensor& position_ids,
                                 const Tensor& input_ids, int pad, int64_t table_rows) {
  FT_CHECK(input_ids.ndim == 2 && input_ids.dtype == DType::I32, "position_ids: input_ids ",
           input_ids.shape_str());
  FT_CHECK(position_ids.same_shape(input_ids) && position_ids.dtype == DType::I32,
           "position_ids: ", position_ids.shape_str(), " vs input_ids ", input_ids.shape_str());
  check_devices(ex, "position_ids", position_ids, input_ids);
  const int B = static_cast<int>(input_ids.dim(0)), T = static_cast<int>(input_ids.dim(1));
  // The largest id is pad + T (a sequence with no padding), so T + pad + 1 rows are needed.
  const int64_t usable = table_rows - pad - 1;
  if (T > usable) {
    throw Error(cat("a sequence of ", T, " tokens is longer than the model's ", usable,
                    " usable positions (max_position_embeddings ", table_rows,
                    " minus pad_token_id ", pad,
                    " + 1, as RoBERTa counts positions); use --max-length ", usable, " or less"));
  }
  switch (ex.device) {
    case Device::CPU:
      k::cpu::position_ids_from_input_ids(ex, position_ids.i32(), input_ids.i32(), pad, B, T);
      return;
    case Device::CUDA:
      k::cuda::position_ids_from_input_ids(ex, position_ids.i32(), input_ids.i32(), pad, B, T);
      return;
  }
}

void embedding(const Exec& ex, const Tensor& out, const Tensor& input_ids,
               const Tensor& token_type_ids, const Tensor& position_ids, const Tensor& word,
               const Tensor& position, const Tensor& token_type) {
  auto [B, T, C] = check_embedding(ex, "embedding", out, input_ids, token_type_ids, position_ids,
                                   word, position, token_type);
  // Ids come from the tokenizer, whose vocabulary may be larger than the model's table: that is
  // bad input (a mismatched tokenizer), reported with the offending id. Checked where the ids
  // are readable (host memory); the CUDA path checks them when the dataset is uploaded.
  if (input_ids.device == Device::CPU) {
    const int32_t* ids = input_ids.i32();
    for (int64_t i = 0; i < int64_t{B} * T; ++i) {
      if (ids[i] < 0 || ids[i] >= word.dim(0)) {
        throw Error(cat("token id ", ids[i], " is outside the model's vocabulary of ", word.dim(0),
                        " (vocab_size): the tokenizer does not belong to this model"));
      }
    }
    if (!token_type_ids.empty()) {
      const int32_t* types = token_type_ids.i32();
      for (int64_t i = 0; i < int64_t{B} * T; ++i) {
        if (types[i] < 0 || types[i] >= token_type.dim(0)) {
          throw Error(cat("token type id ", types[i], " is outside the model's ", token_type.dim(0),
                          " token types (type_vocab_size)"));
        }
      }
    }
  }
  switch (ex.device) {
    case Device::CPU:
      k::cpu::embedding_forward(ex, out.f32(), input_ids.i32(), i32_or_null(token_type_ids),
                                i32_or_null(position_ids), word.f32(), f32_or_null(position),
                                f32_or_null(token_type), B, T, C);
      return;
    case Device::CUDA:
      k::cuda::embedding_forward(ex, out.f32(), input_ids.i32(), i32_or_null(token_type_ids),
                                 i32_or_null(position_ids), word.f32(), f32_or_null(position),
                                 f32_or_null(token_type), B, T, C);
      return;
  }
}

void embedding_backward(const Exec& ex, const Tensor& dword, const Tensor& dposition,
                        const Tensor& dtoken_type, const Tensor& dout, const Tensor& input_ids,
                        const Tensor& token_type_ids, const Tensor& position_ids) {
  // Ids were validated by the forward pass over the same batch.
  auto [B, T, C] = check_embedding(ex, "embedding_backward", dout, input_ids, token_type_ids,
                                   position_ids, dword, dposition, dtoken_type);
  switch (ex.device) {
    case Device::CPU:
      k::cpu::embedding_backward(ex, dword.f32(), f32_or_null(dposition), f32_or_null(dtoken_type),
                                 dout.f32(), input_ids.i32(), i32_or_null(token_type_ids),
                                 i32_or_null(position_ids), B, T, C);
      return;
    case Device::CUDA:
      k::cuda::embedding_backward(ex, dword.f32(), f32_or_null(dposition), f32_or_null(dtoken_type),
                                  dout.f32(), input_ids.i32(), i32_or_null(token_type_ids),
                                  i32_or_null(position_ids), B, T, C);
      return;
  }
}

}  // namespace finetune::ops
