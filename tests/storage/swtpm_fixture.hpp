// SPDX-License-Identifier: Apache-2.0
// The storage tests' TPM: bh::harness::Swtpm (socket mode) plus the two life events sealing
// cares about. reboot(): power-cycle through swtpm's control channel and TPM2_Startup(CLEAR),
// so PCRs reset while the owner seed and keys stay. wipe(): a new TPM with a new owner seed
// (another machine, or a cleared TPM).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <botan/hash.h>

#include "bh/harness.hpp"
#include "bh/storage/policy_digest.hpp"
#include "test_util.hpp"

namespace bh::storage::test {

// SHA-256 of text: the event digests the TPM tests extend and predict.
inline Digest sha256(const std::string& text) {
  auto h = Botan::HashFunction::create_or_throw("SHA-256");
  h->update(text);
  Digest d;
  h->final(d.data());
  return d;
}

class Swtpm {
 public:
  explicit Swtpm(const Scratch_dir&) { wipe(); }

  std::string tcti() const { return tpm_->tcti(); }

  void wipe() {
    tpm_.reset();  // stops the old swtpm (by PID) before its state is replaced
    work_ = std::make_unique<bh::harness::Work_dir>("storage-tpm");
    tpm_ = bh::harness::Swtpm::start_socket(*work_);
  }

  void reboot() {
    std::string tcti = tpm_->tcti();
    int port = std::stoi(tcti.substr(tcti.rfind('=') + 1));
    auto init = bh::harness::run_command({"swtpm_ioctl", "--tcp", "127.0.0.1:" + std::to_string(port + 1), "-i"},
                                         bh::harness::Millis(10000));
    if (init.status != 0) throw std::runtime_error("swtpm_ioctl -i failed: " + init.output);
    auto startup = run("TSS2_LOG=all+none TPM2TOOLS_TCTI='" + tcti + "' tpm2_startup -c");
    if (startup.status != 0) throw std::runtime_error("tpm2_startup failed: " + startup.output);
  }

 private:
  std::unique_ptr<bh::harness::Work_dir> work_;
  std::unique_ptr<bh::harness::Swtpm> tpm_;
};

}  // namespace bh::storage::test
