// SPDX-License-Identifier: Apache-2.0
// Quote and event-log hypercalls (see attest.hpp, docs/hypercalls.md).
#include "kernel/attest.hpp"

#include "drivers/tpm_tis.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/measure.hpp"
#include "kernel/spinlock.hpp"
#include "kernel/timer.hpp"
#include "sk/tpm_marshal.hpp"

namespace sk::kernel::attest {
namespace {

constexpr uint32_t k_ak_handle = 0x81010020;  // bulkhead tpm provision (docs/attestation.md)
constexpr uint32_t k_quote_pcrs = 0xFFFF;     // PCRs 0-15, in every bank (the TPM empties unallocated ones)

Spinlock g_tpm_lock;  // one command at a time, whichever CPU the agent runs on
uint8_t g_command[256];
// The quote the TPM is working on: its caller and nonce, and when it was sent. A call that
// finds it busy for the same caller and nonce collects it; any other cancels it and starts its own.
struct Job {
  bool busy;
  uint16_t owner;
  uint8_t nonce[4 + 64];
  uint64_t started_us;
  uint32_t retries;
} g_job;
constexpr uint64_t k_quote_deadline_us = 30000000;  // as the TIS driver allows any command
uint8_t g_response[2048];
uint8_t g_out[2048];

void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}

}  // namespace

Error quote(uint16_t part, uint32_t gpa, uint32_t capacity, bool& pending) {
  pending = false;
  if (!policy().partitions[part].attestation_agent) return Error::denied;  // SK-CAP-1
  if (!drivers::tis::present()) return Error::not_found;
  uint8_t request[4 + 64];
  if (capacity < sizeof request) return Error::no_space;
  if (!read_guest(part, gpa, request, sizeof request, true)) return Error::denied;
  uint32_t nonce_size = uint32_t(request[0]) | uint32_t(request[1]) << 8 | uint32_t(request[2]) << 16 |
                        uint32_t(request[3]) << 24;
  if (nonce_size == 0 || nonce_size > 64) return Error::bad_argument;

  Lock_guard guard(g_tpm_lock);
  bool same = g_job.busy && g_job.owner == part;
  for (size_t i = 0; same && i < sizeof request; ++i) same = g_job.nonce[i] == request[i];
  if (g_job.busy && !same) {
    drivers::tis::cancel();
    g_job.busy = false;
  }
  // Builds the quote of the caller's nonce and sends it; the TPM works on while partitions run.
  auto send = [&]() -> Status {
    Result<size_t> n = tpm::build_quote(g_command, sizeof g_command, k_ak_handle, request + 4, uint16_t(nonce_size),
                                        tpm::k_quote_banks, 4, k_quote_pcrs);
    if (!n) return n.error();
    return drivers::tis::start(g_command, n.value());
  };
  if (!g_job.busy) {
    if (Status st = send(); !st) return st.error();
    g_job = {true, part, {}, timer::now_us(), 0};
    for (size_t i = 0; i < sizeof request; ++i) g_job.nonce[i] = request[i];
    pending = true;
    return Error::none;
  }
  if (!drivers::tis::done()) {
    if (timer::now_us() - g_job.started_us > k_quote_deadline_us) {
      drivers::tis::cancel();
      g_job.busy = false;
      return Error::denied;
    }
    pending = true;
    return Error::none;
  }
  g_job.busy = false;
  Result<size_t> got = drivers::tis::finish(g_response, sizeof g_response);
  if (!got) return got.error();
  if (drivers::tis::is_busy_code(g_response, got.value()) && g_job.retries < 100) {  // RETRY, YIELDED, TESTING
    if (Status st = send(); !st) return st.error();
    g_job.busy = true;
    g_job.started_us = timer::now_us();
    ++g_job.retries;
    pending = true;
    return Error::none;
  }
  tpm::Span attest{}, signature{};
  if (Status s = tpm::parse_quote(g_response, got.value(), attest, signature); !s) {
    tpm::Response r{};
    if (tpm::parse_response(g_response, got.value(), r) && r.code != 0) {
      audit(part, audit::Event::hypercall_refused, "number=6 the TPM refused the quote (response code 0x%x)", r.code);
    }
    return s.error();
  }
  const size_t total = 8 + attest.size + signature.size;
  if (total > capacity || total > sizeof g_out) return Error::no_space;
  put32(g_out, uint32_t(attest.size));
  for (size_t i = 0; i < attest.size; ++i) g_out[4 + i] = attest.bytes[i];
  put32(g_out + 4 + attest.size, uint32_t(signature.size));
  for (size_t i = 0; i < signature.size; ++i) g_out[8 + attest.size + i] = signature.bytes[i];
  if (!write_guest(part, gpa, g_out, total)) return Error::denied;
  partition(part).regs.rbx = uint32_t(total);
  return Error::none;
}

Error read_log(uint16_t part, uint32_t offset, uint32_t gpa, uint32_t length) {
  if (!policy().partitions[part].attestation_agent) return Error::denied;  // SK-CAP-1
  const size_t size = measure::log_size();
  if (offset > size) return Error::bad_argument;
  size_t n = size - offset;
  if (n > length) n = length;
  if (!write_guest(part, gpa, measure::log_data() + offset, n)) return Error::denied;
  partition(part).regs.rbx = uint32_t(n);
  partition(part).regs.rcx = uint32_t(size);
  return Error::none;
}

}  // namespace sk::kernel::attest
