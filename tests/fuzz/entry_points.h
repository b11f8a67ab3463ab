// Fuzz entry points: one function per reader of untrusted input, called with arbitrary bytes.
//
// Each function feeds the bytes to a reader through the same entry point the program uses (a
// file for the readers that take paths, a string for those that take text), then uses what came
// back the way the program would (every tensor read, every text encoded, labels mapped), so that
// a reader that accepts a bad file cannot hide the damage from the fuzzer. The contract it checks
// is the error model of DESIGN.md principle 7: bad input may only end in finetune::Error, which
// the entry point catches. Anything else — a crash, a sanitizer report, an InternalError from an
// FT_CHECK, another exception type, a hang, an allocation beyond libFuzzer's limit — escapes and
// is a finding.
//
// The libFuzzer targets (tests/fuzz/fuzz_<name>.cpp) call these; the regression tests
// (tests/robustness/fuzz_regression_test.cpp) replay tests/fuzz/regressions/<name>/* through them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace finetune::fuzz {

using EntryPoint = void (*)(const uint8_t* data, size_t size);

struct Target {
  const char* name;  // the fuzz_<name> executable, corpus/<name>, regressions/<name>
  EntryPoint run;
};

// Every target, in a fixed order.
const std::vector<Target>& all_targets();
// The entry point of one target by name; null for an unknown name.
EntryPoint find_target(std::string_view name);

}  // namespace finetune::fuzz
