// SPDX-License-Identifier: Apache-2.0
// #VMEXIT handling: filtered CPUID, HLT, VMMCALL, interrupts, and every violation (NPF outside
// the grants, denied port or MSR, SVM instructions, shutdown) -> audit + stop or inject #GP.
#include "arch/x86_64/cpu.hpp"
#include "kernel/console.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/timer.hpp"
#include "sk/insn_length.hpp"

namespace sk::kernel {
namespace {

namespace svm = arch::svm;

// Advances the guest's RIP past the instruction at RIP, after checking that it is `what`
// (no NRIP save under TCG). Returns false if the bytes are not that instruction.
bool skip(uint16_t part, insn::Skipped what) {
  svm::Vmcb& v = vmcb(part);
  uint64_t rip = v.at<uint64_t>(svm::k_rip);
  uint64_t linear = v.at<uint64_t>(svm::k_cs + 8) + rip;  // paging off: linear = guest-physical
  uint8_t bytes[insn::k_max_length];
  size_t n = 0;
  for (; n < sizeof bytes; ++n) {
    if (!read_guest(part, linear + n, &bytes[n], 1, false)) break;
  }
  Result<uint8_t> length = insn::decode_length(bytes, n, what);
  if (!length) return false;
  v.at<uint64_t>(svm::k_rip) = uint32_t(rip + length.value());  // 32-bit guest: EIP wraps
  return true;
}

// A violation: audit, then inject #GP or stop, as the policy says. Returns true if the
// partition continues.
bool violation(uint16_t part, audit::Event event, bool can_inject, const char* detail) {
  audit(part, event, "%s", detail);
  if (can_inject && policy().partitions[part].on_violation == policy::On_violation::inject_fault) {
    // #GP(0): vector 13, type 3 (exception), error code valid, valid.
    vmcb(part).at<uint64_t>(svm::k_event_inject) = 13u | (3u << 8) | (1u << 11) | (1u << 31);
    audit(part, audit::Event::fault_injected, "#GP(0) at rip=0x%lx", vmcb(part).at<uint64_t>(svm::k_rip));
    return true;
  }
  stop(part, audit::event_name(event));
  return false;
}

void filtered_cpuid(uint16_t part) {
  svm::Vmcb& v = vmcb(part);
  Partition_runtime& rt = partition(part);
  uint32_t leaf = uint32_t(v.at<uint64_t>(svm::k_rax));
  uint32_t sub = uint32_t(rt.regs.rcx);
  arch::Cpuid r{0, 0, 0, 0};
  if (leaf == 0x40000000) {
    r = {0x40000000, 0x6B6C7542 /* "Bulk" */, 0x64616568 /* "head" */, 0x00004B53 /* "SK" */};
  } else if (leaf >> 28 != 4) {
    r = arch::cpuid(leaf, sub);
    if (leaf == 1) {
      r.ecx |= 1u << 31;      // hypervisor present
      r.ecx &= ~(1u << 5);    // no VMX
    }
    if (leaf == 0x80000001) r.ecx &= ~(1u << 2);  // no SVM: partitions cannot nest
    if (leaf == 0x8000000A) r = {0, 0, 0, 0};
  }
  v.at<uint64_t>(svm::k_rax) = r.eax;
  rt.regs.rbx = r.ebx;
  rt.regs.rcx = r.ecx;
  rt.regs.rdx = r.edx;
}

}  // namespace

bool handle_exit(uint16_t part) {
  svm::Vmcb& v = vmcb(part);
  Partition_runtime& rt = partition(part);
  v.at<uint8_t>(svm::k_tlb_control) = 0;  // flushed once, on the first VMRUN
  ++rt.exits;
  uint64_t code = v.at<uint64_t>(svm::k_exit_code);
  uint64_t info1 = v.at<uint64_t>(svm::k_exit_info1);
  uint64_t info2 = v.at<uint64_t>(svm::k_exit_info2);
  char detail[audit::k_detail_len];
  switch (code) {
    case svm::k_exit_intr:
    case svm::k_exit_nmi:
      arch::take_pending_interrupts();
      return !timer::fired();
    case svm::k_exit_cpuid:
      if (!skip(part, insn::Skipped::cpuid)) return violation(part, audit::Event::instruction_violation, false, "cpuid not decodable");
      filtered_cpuid(part);
      return true;
    case svm::k_exit_hlt:
      if (!skip(part, insn::Skipped::hlt)) return violation(part, audit::Event::instruction_violation, false, "hlt not decodable");
      return false;  // the rest of the frame idles
    case svm::k_exit_vmmcall:
      if (!skip(part, insn::Skipped::vmmcall)) return violation(part, audit::Event::instruction_violation, false, "vmmcall not decodable");
      return handle_hypercall(part);
    case svm::k_exit_ioio:
      if (console::emulate_io(part, info1, info2)) return true;  // virtual i8042 / CRTC
      log::format(detail, sizeof detail, "port=0x%x %s size=%u", unsigned(info1 >> 16), (info1 & 1) ? "in" : "out",
                  unsigned((info1 >> 4) & 7));  // SZ8/SZ16/SZ32 bits: 1, 2 or 4 bytes
      return violation(part, audit::Event::io_violation, true, detail);
    case svm::k_exit_msr:
      log::format(detail, sizeof detail, "msr=0x%x %s", unsigned(rt.regs.rcx), info1 ? "write" : "read");
      return violation(part, audit::Event::msr_violation, true, detail);
    case svm::k_exit_npf:
      log::format(detail, sizeof detail, "gpa=0x%lx %s%s", info2, (info1 & 2) ? "write" : "read",
                  (info1 & 0x10) ? " fetch" : "");
      return violation(part, audit::Event::npf_violation, true, detail);
    case svm::k_exit_shutdown:
      return violation(part, audit::Event::shutdown, false, "triple fault");
    case svm::k_exit_invalid:
      return violation(part, audit::Event::invalid_state, false, "VMRUN refused the guest state");
    default:
      log::format(detail, sizeof detail, "exit=0x%lx info1=0x%lx rip=0x%lx", code, info1, v.at<uint64_t>(svm::k_rip));
      return violation(part, audit::Event::instruction_violation, true, detail);
  }
}

}  // namespace sk::kernel
