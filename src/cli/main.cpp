// Entry point of the `finetune` executable: hands the arguments to the CLI library, which owns
// parsing, subcommands and error reporting (so tests can drive it in-process too).
#include "cli/cli.h"

int main(int argc, char** argv) { return finetune::cli::run(argc, argv); }
