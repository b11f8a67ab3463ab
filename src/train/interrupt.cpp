// Signal handlers that only record the request (async-signal-safe).
#include "train/interrupt.h"

#include <csignal>

namespace finetune {
namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_previous_int {}, g_previous_term {};

void on_signal(int signal) {
  g_signal = signal;
  // A second Ctrl-C falls through to the default action: terminate now.
  if (signal == SIGINT) {
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigaction(SIGINT, &fallback, nullptr);
  }
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

bool InterruptGuard::requested() { return g_signal != 0; }
int InterruptGuard::signal_number() { return g_signal; }

}  // namespace finetune
