// The registry of subcommands. Each command lives in its own cmd_<name>.cpp with its option
// list, summary and body; cli.cpp only dispatches.
#pragma once

#include <string>
#include <vector>

#include "cli/options.h"

namespace finetune::cli {

struct Command {
  std::string name;
  std::string summary;                 // one line, for `finetune --help`
  std::string description;             // paragraph, for `finetune <name> --help`
  const std::vector<OptionSpec>* options;
  int (*run)(const ParsedOptions& options);
};

const Command& tokenize_command();
const Command& predict_command();
const Command& train_command();
const Command& eval_command();
const Command& download_command();

// All commands in the order `finetune --help` lists them.
std::vector<const Command*> all_commands();

}  // namespace finetune::cli
