// SPDX-License-Identifier: Apache-2.0
// Child processes and work directories of the harness: every child is killed and reaped by PID.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bh/harness.hpp"

namespace bh::harness {

namespace fs = std::filesystem;

Work_dir::Work_dir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/bh-" + tag + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw Harness_error("cannot create a work directory " + pattern);
  path_ = pattern;
}

Work_dir::~Work_dir() {
  if (keep_ || std::uncaught_exceptions() > 0 || std::getenv("BH_KEEP_WORK") != nullptr) {
    std::cerr << "harness: work directory kept: " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

Process::Process(const std::vector<std::string>& argv, const fs::path& stdout_file, const fs::path& stderr_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out = ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) throw Harness_error("cannot create output files for " + argv.at(0));
  pid_ = fork();
  if (pid_ == 0) {
    // Own process group, so a stop reaches grandchildren too (timeout -> qemu).
    setpgid(0, 0);
    dup2(out, 1);
    dup2(err, 2);
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) dup2(in, 0);
    execvp(args[0], args.data());
    _exit(127);
  }
  ::close(out);
  ::close(err);
  if (pid_ < 0) throw Harness_error("cannot start " + argv.at(0));
  setpgid(pid_, pid_);
}

bool Process::running() { return !exit_status().has_value(); }

std::optional<int> Process::exit_status() {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  int raw = 0;
  pid_t r = waitpid(pid_, &raw, WNOHANG);
  if (r == pid_) status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return status_;
}

void Process::stop() {
  if (pid_ <= 0 || !running()) return;
  kill(-pid_, SIGTERM);
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(Millis(10));  // polling for exit under a deadline
  }
  if (running()) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int raw = 0;
    waitpid(pid_, &raw, 0);
    status_ = 128 + SIGKILL;
  }
}

Process::~Process() { stop(); }

Command_result run_command(const std::vector<std::string>& argv, Millis deadline) {
  Work_dir dir("cmd");
  Command_result result{-1, {}};
  {
    Process p(argv, dir / "out", dir / "out.err");
    auto end = std::chrono::steady_clock::now() + deadline;
    while (p.running() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(Millis(5));
    if (p.running()) {
      p.stop();
      result.status = -1;
    } else {
      result.status = *p.exit_status();
    }
  }
  for (const char* name : {"out", "out.err"}) {
    std::ifstream in(dir / name);
    std::ostringstream s;
    s << in.rdbuf();
    result.output += s.str();
  }
  return result;
}

fs::path build_path(const std::string& relative) { return fs::path(BH_BUILD_DIR) / relative; }
fs::path source_path(const std::string& relative) { return fs::path(BH_SOURCE_DIR) / relative; }

}  // namespace bh::harness
