// SPDX-License-Identifier: Apache-2.0
// A minimal QMP client: greeting, capabilities, commands, and events kept for later waits.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "bh/harness.hpp"

namespace bh::harness {

Qmp::Qmp(const std::filesystem::path& socket_path, Millis deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket_path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
    ::close(fd_);
    fd_ = -1;
    if (std::chrono::steady_clock::now() > end) throw Timeout("QMP socket " + socket_path.string() + " not ready");
    std::this_thread::sleep_for(Millis(10));  // polling readiness under a deadline
  }
  auto greeting = read_message(Millis(10000));
  if (!greeting.contains("QMP")) throw Harness_error("QMP: no greeting");
  execute("qmp_capabilities");
}

Qmp::~Qmp() {
  if (fd_ >= 0) ::close(fd_);
}

nlohmann::json Qmp::read_message(Millis deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      return nlohmann::json::parse(line);
    }
    auto left = std::chrono::duration_cast<Millis>(end - std::chrono::steady_clock::now()).count();
    if (left <= 0) throw Timeout("QMP: no answer before the deadline");
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0) throw Harness_error("QMP: poll failed");
    if (r == 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) throw Harness_error("QMP: connection closed (QEMU exited?)");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

nlohmann::json Qmp::execute(const std::string& command, const nlohmann::json& arguments) {
  nlohmann::json request = {{"execute", command}};
  if (!arguments.empty()) request["arguments"] = arguments;
  std::string text = request.dump() + "\n";
  if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw Harness_error("QMP: cannot send " + command);
  }
  for (;;) {
    auto m = read_message(Millis(30000));
    if (m.contains("event")) {
      events_.push_back(m);
      continue;
    }
    if (m.contains("error")) throw Harness_error("QMP " + command + ": " + m["error"].value("desc", m.dump()));
    if (m.contains("return")) return m["return"];
  }
}

nlohmann::json Qmp::wait_for_event(const std::string& name, Millis deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    for (auto it = events_.begin(); it != events_.end(); ++it) {
      if ((*it)["event"] == name) {
        auto e = *it;
        events_.erase(it);
        return e;
      }
    }
    auto left = std::chrono::duration_cast<Millis>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Timeout("QMP: no " + name + " event before the deadline");
    auto m = read_message(left);
    if (m.contains("event")) events_.push_back(m);
  }
}

}  // namespace bh::harness
