// SPDX-License-Identifier: Apache-2.0
// `bulkhead disk ...`: the subcommands, registered on the bulkhead CLI11 application by one
// call from tools/bulkhead. Every failure prints one line "bulkhead disk: FILE: reason" and
// ends the command with CLI::RuntimeError(1) (exit status 1, nothing else printed).
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace bh::storage {

// Checks that the policy file is valid (its images looked up in image_dir; empty: the policy's
// folder) and declares a partition `partition` with a disk; throws Storage_error naming the file
// otherwise. Provided by the CLI (it owns the policy front end); empty: the partition name is only
// checked for length.
using Policy_check = std::function<void(const std::string& policy_path, const std::string& image_dir,
                                        const std::string& partition)>;

void add_disk_commands(CLI::App& app, Policy_check policy_check = {});

}  // namespace bh::storage
