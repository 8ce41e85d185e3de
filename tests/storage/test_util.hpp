// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the storage tests: a scratch directory, running a command, hashing a file.
#pragma once

#include <botan/hash.h>
#include <botan/hex.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace bh::storage::test {

// A fresh directory under $TMPDIR, removed with everything in it at scope exit.
class Scratch_dir {
 public:
  Scratch_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bh-storage-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~Scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct Command_result {
  int status;
  std::string output;  // stdout and stderr together
};

inline Command_result run(const std::string& command) {
  Command_result r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) r.output.append(buffer, n);
  int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  std::vector<uint8_t> out(size_t(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), std::streamsize(out.size()));
  return out;
}

// stdout and stderr separately: errors must be exactly one line on stderr.
struct Split_result {
  int status;
  std::string out, err;
};

// Runs a shell command line with its stderr kept in a file of dir, apart from its stdout.
inline Split_result run_split(const Scratch_dir& dir, const std::string& command) {
  auto r = run("{ " + command + " 2>'" + dir.file("stderr") + "'; }");
  auto err = read_file(dir.file("stderr"));
  return {r.status, r.output, std::string(err.begin(), err.end())};
}

inline size_t lines(const std::string& s) {
  return size_t(std::count(s.begin(), s.end(), '\n'));
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string sha256_of_file(const std::string& path) {
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  auto bytes = read_file(path);
  h->update(bytes);
  return Botan::hex_encode(h->final());
}

// A valid policy (the default one, with a disk for each partition) and its partition images
// in dir; returns the policy file's path. BH_SOURCE_DIR is the source tree.
inline std::string write_disk_policy(const std::string& dir_path) {
  auto text_bytes = read_file(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
  std::string text(text_bytes.begin(), text_bytes.end());
  for (std::string name : {"open", "classified"}) {
    std::string image = "image = \"" + name + ".elf\"";
    auto at = text.find(image);
    if (at != std::string::npos) text.insert(at + image.size(), "\ndisk = \"" + name + ".img\"");
    write_file(dir_path + "/" + name + ".elf", "partition image " + name);
  }
  write_file(dir_path + "/policy.toml", text);
  return dir_path + "/policy.toml";
}

// The volume key as `cryptsetup luksDump --dump-volume-key` prints it (hex, spaces removed).
inline std::string dumped_volume_key(const std::string& disk, const std::string& passphrase_file) {
  auto r =
      run("cryptsetup luksDump --dump-volume-key -q --key-file '" + passphrase_file + "' '" + disk + "'");
  if (r.status != 0) return {};
  auto at = r.output.find("MK dump:");
  if (at == std::string::npos) return {};
  std::string hex;
  for (char c : r.output.substr(at + 8)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) hex += char(std::toupper(c));
  }
  return hex;
}

}  // namespace bh::storage::test
