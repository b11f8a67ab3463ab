// Numerical health of a training step: is the gradient finite, and if not, where does it first
// go wrong (by Hugging Face parameter name), so a diverging run stops with a message that names
// the step and the parameter instead of saving NaN weights.
//
// Cost: gradients_finite() is one pass over the flat gradient buffer (ops::sum_of_squares, which
// accumulates in double: a float's square cannot overflow a double and 67M of them cannot either,
// so the sum is finite exactly when every value is). On the CPU the trainer runs it every step
// (docs/robustness.md has the measured cost); on a GPU it would cost a device-to-host wait per
// step, so there it runs only where the norm is needed anyway (--max-grad-norm); otherwise the
// Adam kernel records the first non-finite gradient's index as it reads the gradients
// (kernels::AdamParams::non_finite_flag), and locate_flat_index names it when the step is
// reported. The slow locating scan runs only after something was found non-finite.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/exec.h"
#include "model/config.h"
#include "model/params.h"

namespace finetune {

// Whether every value of `flat` (F32, host or device) is finite.
bool gradients_finite(const Exec& ex, const Tensor& flat);

// Index of the first non-finite value of host data[0, n), or -1.
int64_t first_non_finite(const float* data, int64_t n);

struct NonFiniteValue {
  std::string parameter;  // Hugging Face key, e.g. "bert.embeddings.word_embeddings.weight"
  int64_t element = 0;    // index within that parameter (row-major)
  float value = 0;        // nan, inf or -inf
};

// The first non-finite value of `grads` in layout order (the flat buffer's order), named by its
// parameter; nullopt when all are finite. A device buffer is copied to the host first.
std::optional<NonFiniteValue> find_non_finite(const Exec& ex, const ModelConfig& config,
                                              ParameterStore& grads);

// "bert.embeddings.word_embeddings.weight (element 1234 is nan)"
std::string describe(const NonFiniteValue& value);

// The parameter and element at offset `index` of the flat gradient buffer of `grads`, with
// `value` as given (the GPU's Adam kernel reports where, not what: kernels::AdamParams).
NonFiniteValue locate_flat_index(const ModelConfig& config, ParameterStore& grads, int64_t index,
                                 float value);

// The flat index an Adam kernel's non-finite counter holds, or -1 for none (0).
inline int64_t decode_non_finite_flag(unsigned long long flag) {
  return flag == 0 ? -1 : static_cast<int64_t>(~0ull - flag);
}

}  // namespace finetune
