// SPDX-License-Identifier: Apache-2.0
// Talking to a running system's attestation agent over its serial line (see agent.hpp).
#include "bh/attest/agent.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace bh::attest {

namespace {

constexpr size_t k_max_answer = 1 << 20;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// True once a whole END or ERROR line has arrived.
bool complete(const std::string& answer) {
  std::istringstream in(answer);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) return false;  // the last line has no newline yet
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "END" || line.rfind("ERROR ", 0) == 0) return true;
  }
  return false;
}

}  // namespace

Evidence evidence_from_agent(const std::string& answer, const Bytes& nonce) {
  Evidence ev;
  ev.nonce = nonce;
  bool have_quote = false, have_log = false, ended = false;
  std::istringstream in(answer);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = "agent line " + std::to_string(number);
    if (line.rfind("ERROR ", 0) == 0) throw Input_error("the agent refused: " + line.substr(6));
    if (line.rfind("QUOTE ", 0) == 0) {
      size_t space = line.find(' ', 6);
      if (space == std::string::npos) throw Input_error(where + ": QUOTE needs <attest hex> <signature hex>");
      ev.attest = from_hex(line.substr(6, space - 6), where + " (attest)");
      ev.signature = from_hex(line.substr(space + 1), where + " (signature)");
      if (ev.attest.empty() || ev.signature.empty()) throw Input_error(where + ": empty quote");
      have_quote = true;
    } else if (line.rfind("LOG ", 0) == 0 || line == "LOG") {
      ev.event_log = from_hex(line.size() > 4 ? line.substr(4) : "", where + " (event log)");
      have_log = true;
    } else if (line == "END") {
      ended = true;
      break;
    } else {
      throw Input_error(where + ": unexpected \"" + line.substr(0, 40) + "\"");
    }
  }
  if (!ended) throw Input_error("agent answer: truncated (no END line)");
  if (!have_quote) throw Input_error("agent answer: no QUOTE line");
  if (!have_log) throw Input_error("agent answer: no LOG line");
  return ev;
}

std::string ask_agent(const std::string& address, const Bytes& nonce, std::chrono::milliseconds deadline) {
  if (address.rfind("unix:", 0) != 0) throw Input_error(address + ": only unix:PATH agent addresses are supported");
  const std::string path = address.substr(5);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path) throw Input_error(address + ": bad socket path");
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  Socket s(socket(AF_UNIX, SOCK_STREAM, 0));
  if (s.fd() < 0 || connect(s.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    throw Input_error(address + ": cannot connect to the agent (" + std::strerror(errno) + ")");
  }
  const std::string request = "NONCE " + to_hex(nonce) + "\n";
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(s.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw Input_error(address + ": connection closed while sending the nonce");
    sent += size_t(n);
  }
  std::string answer;
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (complete(answer)) return answer;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Input_error(address + ": no complete answer from the agent within " +
                                             std::to_string(deadline.count()) + " ms");
    pollfd p{s.fd(), POLLIN, 0};
    if (poll(&p, 1, int(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(s.fd(), buf, sizeof buf, 0);
    if (n <= 0) throw Input_error(address + ": the agent closed the connection before END");
    answer.append(buf, size_t(n));
    if (answer.size() > k_max_answer) throw Input_error(address + ": answer larger than 1 MiB");
  }
}

}  // namespace bh::attest
