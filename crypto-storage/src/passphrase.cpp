// SPDX-License-Identifier: Apache-2.0
// Reading a recovery passphrase from a file, standard input or a terminal prompt without echo.
#include "bh/storage/passphrase.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>

namespace bh::storage {

namespace {

// Reads fd to its end, at most k_max_key_file_size bytes; `subject` names it in messages.
Secret read_to_end(int fd, const std::string& subject) {
  Secret out;
  uint8_t buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Input_error(subject + " cannot be read: " + std::strerror(errno));
    if (n == 0) break;
    out.insert(out.end(), buffer, buffer + n);
    if (out.size() > k_max_key_file_size) {
      throw Input_error(subject + " is larger than 8 MiB, the most cryptsetup reads from a key file");
    }
  }
  std::memset(buffer, 0, sizeof buffer);
  if (out.empty()) throw Input_error(subject + " is empty (an empty passphrase is refused)");
  return out;
}

// Echo off on the terminal while a passphrase is typed. A signal that ends the program (Ctrl-C at
// the prompt) restores the settings before it does, or the shell would be left without echo.
struct termios g_saved;
volatile sig_atomic_t g_echo_off = 0;
constexpr int k_fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

extern "C" void restore_and_reraise(int signal_number) {
  if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

class Echo_off {
 public:
  Echo_off() {
    if (::tcgetattr(STDIN_FILENO, &g_saved) != 0) {
      throw Input_error(std::string("the terminal: cannot read its settings: ") + std::strerror(errno));
    }
    struct sigaction action {};
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(k_fatal_signals); ++i)
      ::sigaction(k_fatal_signals[i], &action, &previous_[i]);
    struct termios quiet = g_saved;
    quiet.c_lflag &= ~tcflag_t(ECHO);
    g_echo_off = 1;
    // TCSAFLUSH: anything typed before the prompt appeared is discarded, not taken as the passphrase.
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
      const int error = errno;
      restore();
      throw Input_error(std::string("the terminal: cannot turn echo off: ") + std::strerror(error));
    }
  }
  ~Echo_off() { restore(); }
  Echo_off(const Echo_off&) = delete;
  Echo_off& operator=(const Echo_off&) = delete;

 private:
  void restore() {
    if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
    g_echo_off = 0;
    for (size_t i = 0; i < std::size(k_fatal_signals); ++i)
      ::sigaction(k_fatal_signals[i], &previous_[i], nullptr);
  }
  struct sigaction previous_[std::size(k_fatal_signals)]{};
};

void say(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += size_t(n);
  }
}

// One line typed without echo: the passphrase without its newline.
Secret read_typed_line(const std::string& prompt) {
  Secret line;
  bool too_long = false, ended = false;
  {
    Echo_off quiet;
    say(prompt);
    for (;;) {
      char c = 0;
      ssize_t n = ::read(STDIN_FILENO, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ended = true;
        break;
      }
      if (c == '\n') break;
      if (line.size() < k_max_typed_passphrase) {
        line.push_back(uint8_t(c));
      } else {
        too_long = true;  // read on to the end of the line, so nothing is left for the shell
      }
    }
  }
  say("\n");  // the newline the terminal did not echo
  if (too_long) {
    throw Input_error("the passphrase typed is longer than " + std::to_string(k_max_typed_passphrase) +
                      " characters, the most cryptsetup's prompt takes");
  }
  if (line.empty()) {
    throw Input_error(ended ? "no passphrase typed (end of input)"
                            : "no passphrase typed (an empty passphrase is refused)");
  }
  return line;
}

}  // namespace

Passphrase read_passphrase_file(const std::string& path) {
  const std::string subject = "'" + path + "'";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Input_error(subject + " cannot be read: " + std::strerror(errno));
  Passphrase p;
  try {
    p.text = read_to_end(fd, subject);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  p.origin = subject;
  Secret older = p.text;
  if (!older.empty() && older.back() == '\n') older.pop_back();
  if (!older.empty() && older.back() == '\r') older.pop_back();
  if (older != p.text && !older.empty()) p.without_final_newline = std::move(older);
  return p;
}

Passphrase_source passphrase_file(const std::string& path) {
  return [path] { return read_passphrase_file(path); };
}

Passphrase read_passphrase_stdin() {
  Passphrase p;
  p.text = read_to_end(STDIN_FILENO, "standard input");
  p.origin = "standard input";
  return p;
}

bool stdin_is_terminal() {
  return ::isatty(STDIN_FILENO) == 1;
}

Passphrase prompt_passphrase(const std::string& prompt, bool confirm) {
  Passphrase p;
  p.origin = "the terminal";
  p.text = read_typed_line(prompt);
  if (confirm && read_typed_line("Repeat the passphrase: ") != p.text)
    throw Input_error("the two passphrases typed differ");
  return p;
}

Passphrase read_passphrase_option(const std::string& option, const std::string& value,
                                  const std::string& prompt, bool confirm) {
  try {
    if (value != "-") return read_passphrase_file(value);
    return stdin_is_terminal() ? prompt_passphrase(prompt, confirm) : read_passphrase_stdin();
  } catch (const Input_error& e) {
    throw Input_error(option + ": " + e.what());
  }
}

}  // namespace bh::storage
