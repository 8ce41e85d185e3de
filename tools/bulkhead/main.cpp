// SPDX-License-Identifier: Apache-2.0
// `bulkhead`: the administrator's and tester's command-line tool. Exit codes: 0 success,
// 1 the input was read and is refused (invalid policy, failed check), 2 unreadable input or
// usage error.
#include <CLI/CLI.hpp>
#include <list>
#include <string>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "bh/storage/disk_cli.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  // TPM2-TSS logs its own errors to stderr line by line; every failure here is reported as one
  // line of ours instead. TSS2_LOG set by the user still wins (for debugging).
  setenv("TSS2_LOG", "all+none", 0);
  // Every command names its output -o/--output; `--out`, the older name some of them had, is still
  // accepted (not listed in --help) so that existing scripts keep working.
  std::list<std::string> renamed;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--out") == 0 || std::strncmp(argv[i], "--out=", 6) == 0) {
      argv[i] = renamed.emplace_back("--output" + std::string(argv[i] + 5)).data();
    }
  }
  CLI::App app{"bulkhead: separation-kernel policy, image, TPM and disk tool"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("bulkhead ") + BH_VERSION);
  bh::cli::add_policy_commands(app);
  bh::storage::add_disk_commands(app, bh::cli::check_policy_for_disk);
  bh::cli::add_eventlog_commands(app);
  bh::cli::add_tpm_commands(app);
  bh::cli::add_attest_commands(app);
  bh::cli::add_manifest_commands(app);
  bh::cli::add_image_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ValidationError& e) {  // an input missing or a directory: one line
    std::fprintf(stderr, "bulkhead: %s\n", e.what());
    return 2;
  } catch (const CLI::ParseError& e) {  // a usage error: one line, and where the usage is
    std::string command = "bulkhead";
    for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
      a = a->get_subcommands().front();
      command += " " + a->get_name();
    }
    std::fprintf(stderr, "bulkhead: %s (%s --help)\n", e.what(), command.c_str());
    return 2;
  } catch (const bh::cli::Exit& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bulkhead: %s\n", e.what());
    return 1;
  }
  return 0;
}
