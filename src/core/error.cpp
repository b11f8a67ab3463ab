// Out-of-line part of FT_CHECK, kept out of the header so each check site stays small.
#include "core/error.h"

namespace finetune {

void fail_check(const char* file, int line, const char* condition, const std::string& message) {
  std::string text = cat("internal error at ", file, ":", line, ": check failed: ", condition);
  if (!message.empty()) text += cat(" (", message, ")");
  throw InternalError(text);
}

}  // namespace finetune
