// The `finetune` command line: subcommands, help, and the one place where errors become exit
// statuses. `run` never throws: bad input prints one "finetune: error: ..." line on stderr and
// returns 1, a usage mistake returns 2 (with a pointer to --help), a bug returns 70.
#pragma once

namespace finetune::cli {

int run(int argc, char** argv);

}  // namespace finetune::cli
