// Ctrl-C and SIGTERM during training: the first signal asks the trainer to stop after the
// current optimizer step and save a resumable state; a second SIGINT ends the process at once
// (the default action), for a user who does not want to wait. The handler only sets a flag.
#pragma once

namespace finetune {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers and clears the flag
  ~InterruptGuard();  // restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  static bool requested();
  static int signal_number();  // the signal that asked to stop (0 if none)
};

}  // namespace finetune
