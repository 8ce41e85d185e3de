// SPDX-License-Identifier: Apache-2.0
// One convention for every `bulkhead` command: an input that is missing or is a directory is a
// usage error (one line naming the option and the path, exit status 2) before any command runs,
// never a parse error about its contents.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

namespace bh::cli {

// Empty if path names a file that exists, else what is wrong with it.
inline std::string input_file_problem(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) return "'" + path + "' does not exist";
  if (std::filesystem::is_directory(st)) return "'" + path + "' is a directory, not a file";
  return "";
}

inline CLI::Validator input_file() {
  return CLI::Validator([](std::string& path) { return input_file_problem(path); }, "FILE", "input_file");
}

// A passphrase input: a file as input_file() checks it, or `-` (standard input).
inline CLI::Validator passphrase_input() {
  return CLI::Validator(
      [](std::string& path) { return path == "-" ? std::string() : input_file_problem(path); }, "FILE|-",
      "passphrase_input");
}

// Where a command looks up the partition images and disks a policy names: --image-dir if given,
// else the folder of the policy file (source or compiled image) it reads; the same in every command.
inline std::string image_dir_of(const std::string& policy_path, const std::string& image_dir) {
  if (!image_dir.empty()) return image_dir;
  const auto folder = std::filesystem::path(policy_path).parent_path();
  return folder.empty() ? std::string(".") : folder.string();
}

inline CLI::Validator input_directory() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        std::error_code ec;
        const auto st = std::filesystem::status(path, ec);
        if (ec || !std::filesystem::exists(st)) return "'" + path + "' does not exist";
        if (!std::filesystem::is_directory(st)) return "'" + path + "' is not a directory";
        return "";
      },
      "DIR", "input_directory");
}

}  // namespace bh::cli
