// SPDX-License-Identifier: Apache-2.0
// A minimal host for the `disk` subcommands, so the storage tests drive the same command line
// the bulkhead CLI registers (until tools/bulkhead's main exists to run instead).
#include <CLI/CLI.hpp>

#include "bh/storage/disk_cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"bulkhead (disk commands only)"};
  app.require_subcommand(1);
  bh::storage::add_disk_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
