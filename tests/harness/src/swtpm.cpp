// SPDX-License-Identifier: Apache-2.0
// swtpm with a fresh TPM 2.0 state per test, in socket mode (host tools) or for QEMU's tpm-tis.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "bh/harness.hpp"

namespace bh::harness {

namespace fs = std::filesystem;

namespace {

// Creates the state with an EK, using config files inside the work directory only. pcr_banks
// empty: swtpm_setup's default allocation (sha256 alone in 0.7). ca_dir not empty: EK and platform
// certificates issued by swtpm_localca with its CA kept in ca_dir (made there on first use).
fs::path manufacture(const Work_dir& dir, bool keep_state, const std::string& pcr_banks = "",
                     const fs::path& ca_dir = {}) {
  fs::path state = dir / "tpm-state";
  if (keep_state && fs::exists(state / "tpm2-00.permall")) return state;
  fs::create_directories(state);
  if (ca_dir.empty()) {
    std::ofstream(dir / "swtpm_setup.conf") << "# bulkhead test TPM: no certificates\n";
  } else {
    fs::create_directories(ca_dir);
    std::ofstream(ca_dir / "localca.conf") << "statedir = " << ca_dir.string() << "\nsigningkey = "
                                            << (ca_dir / "signkey.pem").string() << "\nissuercert = "
                                            << (ca_dir / "issuercert.pem").string() << "\ncertserial = "
                                            << (ca_dir / "certserial").string() << "\n";
    std::ofstream(ca_dir / "localca.options") << "--platform-manufacturer Bulkhead --platform-version 2.1 "
                                                 "--platform-model QEMU\n";
    std::ofstream(dir / "swtpm_setup.conf") << "create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = "
                                            << (ca_dir / "localca.conf").string() << "\ncreate_certs_tool_options = "
                                            << (ca_dir / "localca.options").string() << "\n";
  }
  std::vector<std::string> argv = {"swtpm_setup", "--tpm2", "--tpmstate", state.string(), "--config",
                                   (dir / "swtpm_setup.conf").string(), "--createek", "--overwrite"};
  if (!pcr_banks.empty()) argv.insert(argv.end(), {"--pcr-banks", pcr_banks});
  if (!ca_dir.empty()) argv.insert(argv.end(), {"--create-ek-cert", "--create-platform-cert"});
  auto r = run_command(argv, Millis(60000));
  if (r.status != 0) throw Harness_error("swtpm_setup failed: " + r.output);
  return state;
}

uint16_t free_port_pair() {
  // Ask the kernel for a free port P and check that P + 1 is free as well.
  for (int attempt = 0; attempt < 50; ++attempt) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    uint16_t port = ntohs(a.sin_port);
    close(s);
    if (port >= 65535) continue;
    int t = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in b = a;
    b.sin_port = htons(port + 1);
    bool ok = bind(t, reinterpret_cast<sockaddr*>(&b), sizeof b) == 0;
    close(t);
    if (ok) return port;
  }
  throw Harness_error("no free loopback port pair for swtpm");
}

bool tcp_connects(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

void wait_until(const std::function<bool()>& ready, Process& p, const std::string& what) {
  auto end = std::chrono::steady_clock::now() + Millis(20000);
  while (!ready()) {
    if (!p.running()) throw Harness_error("swtpm exited before " + what + " was ready");
    if (std::chrono::steady_clock::now() > end) throw Timeout("swtpm: " + what + " not ready within 20 s");
    std::this_thread::sleep_for(Millis(10));  // polling readiness under a deadline
  }
}

}  // namespace

std::unique_ptr<Swtpm> Swtpm::start_socket(const Work_dir& dir, bool keep_state, const std::string& pcr_banks,
                                           const std::filesystem::path& ek_ca_dir) {
  auto t = std::unique_ptr<Swtpm>(new Swtpm);
  t->state_ = manufacture(dir, keep_state, pcr_banks, ek_ca_dir);
  uint16_t port = free_port_pair();
  t->process_ = std::make_unique<Process>(
      std::vector<std::string>{"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + t->state_.string(), "--server",
                               "type=tcp,port=" + std::to_string(port) + ",bindaddr=127.0.0.1", "--ctrl",
                               "type=tcp,port=" + std::to_string(port + 1) + ",bindaddr=127.0.0.1", "--flags",
                               "not-need-init,startup-clear"},
      dir / "swtpm.out", dir / "swtpm.err");
  wait_until([port] { return tcp_connects(port); }, *t->process_, "the TPM socket");
  t->tcti_ = "swtpm:host=127.0.0.1,port=" + std::to_string(port);
  return t;
}

std::unique_ptr<Swtpm> Swtpm::start_for_qemu(const Work_dir& dir, bool keep_state, const fs::path& traffic_log) {
  auto t = std::unique_ptr<Swtpm>(new Swtpm);
  t->state_ = manufacture(dir, keep_state);
  t->ctrl_socket_ = dir / "swtpm.sock";
  std::error_code ignored;
  fs::remove(t->ctrl_socket_, ignored);
  std::vector<std::string> argv = {"swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + t->state_.string(), "--ctrl",
                                   "type=unixio,path=" + t->ctrl_socket_.string()};
  if (!traffic_log.empty()) argv.insert(argv.end(), {"--log", "file=" + traffic_log.string() + ",level=20"});
  t->process_ = std::make_unique<Process>(argv, dir / "swtpm.out", dir / "swtpm.err");
  fs::path sock = t->ctrl_socket_;
  wait_until([sock] { return fs::exists(sock); }, *t->process_, "the control socket");
  return t;
}

std::vector<Tpm_message> read_tpm_traffic(const fs::path& traffic_log) {
  // swtpm 0.7 at log level 20: " SWTPM_IO_Read: length N" (a command) or " SWTPM_IO_Write:
  // length N" (a response), then N bytes as hex pairs, 16 a line; other entries (control
  // channel) are skipped.
  std::ifstream in(traffic_log);
  if (!in) throw Harness_error("no TPM traffic log at " + traffic_log.string());
  std::vector<Tpm_message> out;
  size_t expected = 0;
  bool inside = false;
  std::string line;
  while (std::getline(in, line)) {
    const bool read = line.find("SWTPM_IO_Read: length ") != std::string::npos;
    const bool write = line.find("SWTPM_IO_Write: length ") != std::string::npos;
    if (read || write) {
      if (inside && out.back().bytes.size() != expected) throw Harness_error("TPM traffic log: short message");
      out.push_back({read, {}});
      expected = std::stoul(line.substr(line.find("length ") + 7));
      inside = true;
      continue;
    }
    if (!inside) continue;
    std::istringstream hex(line);
    std::string pair;
    bool any = false;
    while (hex >> pair) {
      if (pair.size() != 2 || !std::isxdigit(uint8_t(pair[0])) || !std::isxdigit(uint8_t(pair[1]))) {
        any = false;
        break;
      }
      out.back().bytes.push_back(uint8_t(std::stoul(pair, nullptr, 16)));
      any = true;
    }
    if (!any || out.back().bytes.size() >= expected) {
      if (out.back().bytes.size() != expected) throw Harness_error("TPM traffic log: message of the wrong length");
      inside = false;
    }
  }
  if (inside && out.back().bytes.size() != expected) throw Harness_error("TPM traffic log: truncated");
  return out;
}

std::vector<std::string> Swtpm::qemu_args() const {
  return {"-chardev", "socket,id=chrtpm,path=" + ctrl_socket_.string(), "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
          "-device", "tpm-tis,tpmdev=tpm0"};
}

}  // namespace bh::harness
