// SPDX-License-Identifier: Apache-2.0
// Subcommand groups of the `bulkhead` tool. Each group lives in one file and registers itself
// on the application from main.cpp with one call.
#pragma once

#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace bh::cli {

// Ends a command with an exit status after its one-line message has been printed.
struct Exit {
  int code;
};

void add_policy_commands(CLI::App& app);
void add_eventlog_commands(CLI::App& app);
void add_tpm_commands(CLI::App& app);
void add_attest_commands(CLI::App& app);
void add_manifest_commands(CLI::App& app);
void add_image_commands(CLI::App& app);

// The check the `disk` commands run on a policy file (images looked up in image_dir, empty: the
// policy's folder): throws bh::storage::Storage_error with one line
// if the policy is invalid or declares no partition `partition` with a disk.
void check_policy_for_disk(const std::string& policy_path, const std::string& image_dir, const std::string& partition);

}  // namespace bh::cli
