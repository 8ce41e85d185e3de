// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the policy tests: running the real CLI and reading files.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bh::test {

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `bulkhead ARGS` from the source root; captures stdout and stderr separately.
inline Run bulkhead(const std::string& args) {
  static int counter = 0;
  const std::string base = "/tmp/bh-policy-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  const std::string cmd = std::string("cd '") + BH_SOURCE_DIR + "' && '" + BULKHEAD_BIN + "' " + args + " >" + base +
                          ".out 2>" + base + ".err";
  int raw = std::system(cmd.c_str());
  Run r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read_file(base + ".out");
  r.err = read_file(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

}  // namespace bh::test
