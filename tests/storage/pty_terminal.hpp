// SPDX-License-Identifier: Apache-2.0
// A program run on a pseudo-terminal, as a user at a terminal runs it: its standard input, output
// and error are the terminal; the test reads what it shows, waits for a prompt and types.
#pragma once

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace bh::storage::test {

class Pty_terminal {
 public:
  explicit Pty_terminal(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ < 0) throw std::runtime_error("forkpty failed");
    if (pid_ == 0) {
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Pty_terminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }
  Pty_terminal(const Pty_terminal&) = delete;
  Pty_terminal& operator=(const Pty_terminal&) = delete;

  // Reads what the program shows until `text` has appeared (true), or it closed the terminal or
  // 30 s passed (false). A deadline, not a sleep: it returns as soon as the text is there.
  bool wait_for(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (screen_.find(text) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(int(left.count()))) return false;
    }
    return true;
  }

  void type(const std::string& keys) {
    if (::write(master_, keys.data(), keys.size()) != ssize_t(keys.size()))
      throw std::runtime_error("pty write failed");
  }

  // Whether the terminal echoes what is typed (its termios, as the program left or set it).
  bool echo_on() const {
    termios t{};
    if (::tcgetattr(master_, &t) != 0) throw std::runtime_error("tcgetattr failed");
    return (t.c_lflag & ECHO) != 0;
  }

  void send_signal(int signal_number) { ::kill(pid_, signal_number); }

  // Reads until the program closed the terminal, then its exit status (128 + N if signal N ended it).
  int finish() {
    while (read_some(30000)) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Everything the program showed so far (lines end in "\r\n", as the terminal gives them).
  const std::string& screen() const { return screen_; }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) return true;
    if (ready <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(master_, buffer, sizeof buffer);
    if (n <= 0) return false;  // EIO: the program closed the terminal
    screen_.append(buffer, size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
};

}  // namespace bh::storage::test
