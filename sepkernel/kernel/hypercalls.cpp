// SPDX-License-Identifier: Apache-2.0
// The VMMCALL ABI (docs/hypercalls.md, sk/hypercall_abi.hpp). Every argument is checked; a
// bad call gets an error code in EAX and an audit record, never a kernel fault.
#include "kernel/attest.hpp"
#include "kernel/block.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"
#include "sk/hypercall_abi.hpp"

namespace sk::kernel {
namespace {

namespace svm = arch::svm;
using hypercall::Number;

Work_cost g_quote_cost{500};  // sending a TPM2_Quote or reading its response; raised to the worst seen

void set_result(uint16_t part, Error e) { vmcb(part).at<uint64_t>(svm::k_rax) = uint32_t(e); }

// The call does not fit in the caller's own time left: it runs again at its next frame.
bool defer(uint16_t part) {
  vmcb(part).at<uint64_t>(svm::k_rip) = partition(part).call_rip;
  return false;
}

// Refuses the call: error in EAX, counted and audited. The partition continues.
bool refuse(uint16_t part, uint32_t number, Error e, const char* why) {
  ++partition(part).refused_hypercalls;
  audit(part, audit::Event::hypercall_refused, "number=%u error=%s %s", number, error_name(e), why);
  set_result(part, e);
  return true;
}

bool debug_log(uint16_t part, uint32_t gpa, uint32_t length) {
  const policy::Partition& p = policy().partitions[part];
  if (!p.debug_log) return refuse(part, 4, Error::denied, "debug_log not granted");
  if (length == 0 || length > hypercall::k_max_log) return refuse(part, 4, Error::bad_argument, "length");
  char text[hypercall::k_max_log + 1];
  if (!read_guest(part, gpa, text, length, true)) return refuse(part, 4, Error::denied, "buffer outside own memory");
  // Printable ASCII only: a partition cannot forge kernel lines or control the console.
  uint32_t n = length;
  while (n && (text[n - 1] == '\n' || text[n - 1] == '\0')) --n;
  for (uint32_t i = 0; i < n; ++i) {
    if (text[i] < 0x20 || text[i] > 0x7E) text[i] = '.';
  }
  text[n] = '\0';
  char name[policy::k_name_len + 1];
  for (uint32_t i = 0; i < policy::k_name_len; ++i) name[i] = p.name.text[i];
  name[policy::k_name_len] = '\0';
  log::print("[%s] %s\n", name, text);
  set_result(part, Error::none);
  return true;
}

}  // namespace

bool handle_hypercall(uint16_t part) {
  Partition_runtime& rt = partition(part);
  svm::Vmcb& v = vmcb(part);
  const policy::Policy& p = policy();
  uint32_t number = uint32_t(v.at<uint64_t>(svm::k_rax));
  uint32_t a0 = uint32_t(rt.regs.rbx), a1 = uint32_t(rt.regs.rcx);
  // The interface is the partition's operating system's: its user programs get none of it.
  if (v.at<uint8_t>(svm::k_cpl) != 0) return refuse(part, number, Error::denied, "from user mode (CPL 3)");
  switch (static_cast<Number>(number)) {
    case Number::yield:
      set_result(part, Error::none);
      return false;
    case Number::read_time: {
      uint64_t t = timer::now_us();
      rt.regs.rbx = uint32_t(t);
      rt.regs.rcx = uint32_t(t >> 32);
      set_result(part, Error::none);
      return true;
    }
    case Number::channel_signal: {
      if (a0 >= p.channel_count) return refuse(part, number, Error::bad_argument, "no such channel");
      if (p.channels[a0].writer != part) return refuse(part, number, Error::denied, "not the channel's writer");
      Channel_runtime& ch = channel(uint16_t(a0));
      uint32_t events = ch.events + 1;
      ch.events = events;
      rt.regs.rbx = events;
      set_result(part, Error::none);
      return true;
    }
    case Number::channel_wait: {
      if (a0 >= p.channel_count) return refuse(part, number, Error::bad_argument, "no such channel");
      if (p.channels[a0].reader != part) return refuse(part, number, Error::denied, "not the channel's reader");
      uint32_t events = channel(uint16_t(a0)).events;
      set_result(part, Error::none);
      rt.regs.rbx = events;
      if (events != a1) return true;
      rt.state = Run_state::waiting;  // the scheduler wakes it in one of its own frames
      rt.wait_channel = uint16_t(a0);
      rt.wait_seen = a1;
      return false;
    }
    case Number::debug_log:
      return debug_log(part, a0, a1);
    case Number::read_status:
      rt.regs.rbx = part;
      rt.regs.rcx = uint32_t(rt.refused_hypercalls);
      rt.regs.rdx = uint32_t(rt.exits);
      set_result(part, Error::none);
      return true;
    case Number::block_info:
    case Number::block_doorbell: {
      bool deferred = false;
      Error e = number == uint32_t(Number::block_info) ? block::info(part, a0) : block::doorbell(part, deferred);
      if (deferred) return defer(part);
      if (e != Error::none) return refuse(part, number, e, "block device call refused");
      set_result(part, Error::none);
      return true;
    }
    case Number::tpm_quote:
    case Number::event_log_read: {
      if (number == uint32_t(Number::tpm_quote) && !g_quote_cost.fits()) return defer(part);
      const uint64_t t0 = timer::now_us();
      bool pending = false;
      Error e = number == uint32_t(Number::tpm_quote) ? attest::quote(part, a0, a1, pending)
                                                      : attest::read_log(part, a0, a1, uint32_t(rt.regs.rdx));
      if (number == uint32_t(Number::tpm_quote)) g_quote_cost.record(timer::now_us() - t0);
      // The TPM works on the quote while partitions run; the caller asks again in its next frame.
      if (pending) return defer(part);
      if (e != Error::none) return refuse(part, number, e, "attestation call refused");
      set_result(part, Error::none);
      return true;
    }
    default:
      return refuse(part, number, Error::bad_argument, "unknown hypercall number");
  }
}

}  // namespace sk::kernel
