// Dispatch to subcommands and translation of exceptions into messages and exit statuses.
#include "cli/cli.h"

#include <cstdio>
#include <new>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"

namespace finetune::cli {
namespace {

constexpr const char* kVersion = "0.1.0";

std::vector<const Command*> commands() { return all_commands(); }

std::string main_help() {
  std::string text =
      "usage: finetune <command> [options]\n\n"
      "Fine-tune and run Hugging Face transformer encoders (BERT, DistilBERT, MiniLM) for text\n"
      "classification, natively on CPU.\n\ncommands:\n";
  size_t width = 0;
  for (const Command* c : commands()) width = std::max(width, c->name.size());
  for (const Command* c : commands()) {
    text += "  " + c->name + std::string(width - c->name.size() + 2, ' ') + c->summary + "\n";
  }
  text += "\nRun 'finetune <command> --help' for the options of a command.\n";
  return text;
}

int run_command(const Command& command, const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(format_help(command.name, command.description, *command.options).c_str(), stdout);
      return 0;
    }
  }
  ParsedOptions options = parse_options(*command.options, args, command.name);
  return command.run(options);
}

}  // namespace

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command_name = args.empty() ? "" : args[0];
  bool known_command = false;
  for (const Command* c : commands()) known_command = known_command || c->name == command_name;
  try {
    if (args.empty() || command_name == "--help" || command_name == "-h" || command_name == "help") {
      if (args.size() >= 2 && command_name == "help") {
        for (const Command* c : commands()) {
          if (c->name == args[1]) return run_command(*c, {"--help"});
        }
      }
      std::fputs(main_help().c_str(), args.empty() ? stderr : stdout);
      return args.empty() ? 2 : 0;
    }
    if (command_name == "--version") {
      std::printf("finetune %s\n", kVersion);
      return 0;
    }
    for (const Command* c : commands()) {
      if (c->name == command_name) return run_command(*c, {args.begin() + 1, args.end()});
    }
    throw UsageError(cat("unknown command '", command_name, "'"));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "finetune: error: %s\n", e.what());
    std::fprintf(stderr, "Run 'finetune %s--help' for usage.\n",
                 known_command ? (command_name + " ").c_str() : "");
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "finetune: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "finetune: error: out of memory (try a smaller --batch-size or --max-length)\n");
    return 1;
  } catch (const InternalError& e) {
    std::fprintf(stderr, "finetune: %s\nThis is a bug in finetune; please report it.\n", e.what());
    return 70;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finetune: internal error: %s\nThis is a bug in finetune; please report it.\n", e.what());
    return 70;
  }
}

std::vector<const Command*> all_commands() {
  return {&train_command(), &eval_command(), &predict_command(), &tokenize_command(), &download_command()};
}

}  // namespace finetune::cli
