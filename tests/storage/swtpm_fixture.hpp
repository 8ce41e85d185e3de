// SPDX-License-Identifier: Apache-2.0
// A private swtpm for one test (a stop-gap until bh::harness::Swtpm lands): fresh state in a
// scratch directory, TCP ports chosen free, killed by its own pid at scope exit. wipe() gives a
// new TPM (new owner seed): what a disk sees on another machine or after a TPM clear.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <string>

#include "test_util.hpp"

namespace bh::storage::test {

class Swtpm {
 public:
  explicit Swtpm(const Scratch_dir& dir) : dir_(dir) { wipe(); }
  ~Swtpm() { stop(); }
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  std::string tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

  // Stops the TPM, throws its state away, creates a new one and starts it (PCRs all zero).
  void wipe() {
    stop();
    std::string state = dir_.file("tpm" + std::to_string(++generation_));
    std::string config = dir_.file("swtpm_setup.conf");
    write_file(config, "create_certs_tool = \n");
    auto setup = run("mkdir -p '" + state + "' && swtpm_setup --tpm2 --tpmstate '" + state + "' --config '" +
                     config + "' --overwrite");
    if (setup.status != 0) throw std::runtime_error("swtpm_setup failed: " + setup.output);
    state_ = state;
    restart();
  }

  // Restarts on the same state: PCRs reset, keys and owner seed kept (a reboot).
  void restart() {
    stop();
    port_ = free_port_pair();
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string server = "type=tcp,port=" + std::to_string(port_) + ",bindaddr=127.0.0.1";
      std::string ctrl = "type=tcp,port=" + std::to_string(port_ + 1) + ",bindaddr=127.0.0.1";
      std::string tpmstate = "dir=" + state_;
      ::execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", tpmstate.c_str(), "--server",
               server.c_str(), "--ctrl", ctrl.c_str(), "--flags", "not-need-init,startup-clear",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait (with a deadline) until the command port accepts connections.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts(port_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("swtpm exited at start");
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("swtpm did not start in 10 s");
      ::usleep(10000);  // polling a condition, not synchronising on time
    }
  }

 private:
  static bool bindable(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
  }
  static bool accepts(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
  }
  static int free_port_pair() {
    std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 200; ++attempt) {
      int port = 20000 + int(rng() % 20000) * 2;
      if (bindable(port) && bindable(port + 1)) return port;
    }
    throw std::runtime_error("no free port pair for swtpm");
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  const Scratch_dir& dir_;
  std::string state_;
  int generation_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace bh::storage::test
