// SPDX-License-Identifier: Apache-2.0
// #VMEXIT handling: filtered CPUID, HLT, VMMCALL, interrupts, and every violation (NPF outside
// the grants, denied port or MSR, SVM instructions, shutdown) -> audit + stop or inject #GP.
#include "arch/x86_64/cpu.hpp"
#include "kernel/console.hpp"
#include "kernel/guest_memory.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "drivers/ata.hpp"
#include "kernel/virtual_disk.hpp"
#include "kernel/virtual_pc.hpp"
#include "kernel/virtual_uart.hpp"
#include "kernel/timer.hpp"
#include "sk/guest_paging.hpp"
#include "sk/insn_length.hpp"

namespace sk::kernel {
namespace {

namespace svm = arch::svm;

// Advances the guest's RIP past the instruction at RIP, after checking that it is `what`
// (no NRIP save under TCG). Returns false if the bytes are not that instruction.
bool skip(uint16_t part, insn::Skipped what) {
  svm::Vmcb& v = vmcb(part);
  const uint64_t rip = v.at<uint64_t>(svm::k_rip);
  const insn::Code_segment cs{v.at<uint64_t>(svm::k_cs + 8), v.at<uint16_t>(svm::k_cs + 2)};
  const bool long_mode = v.at<uint64_t>(svm::k_efer) & (1u << 10);  // EFER.LMA
  const paging::Guest_mode mode{v.at<uint64_t>(svm::k_cr0), v.at<uint64_t>(svm::k_cr3), v.at<uint64_t>(svm::k_cr4),
                                v.at<uint64_t>(svm::k_efer)};
  auto read_entry = [part](uint64_t gpa, uint32_t size, uint64_t& out) {
    out = 0;
    return bool(read_guest(part, gpa, &out, size, false));
  };
  uint8_t bytes[insn::k_max_length];
  size_t n = 0;
  while (n < sizeof bytes) {
    // As the CPU fetches: EIP wraps at 4 GiB, IP at 64 KiB, and the bytes go through the guest's
    // own page tables (an instruction may cross a page). One walk and one read per run of
    // consecutive linear addresses inside one page.
    const uint64_t linear = insn::linear_rip(cs, long_mode, insn::advance_rip(cs, long_mode, rip, uint8_t(n)));
    Result<uint64_t> gpa = paging::translate(mode, linear, read_entry);
    if (!gpa) break;
    size_t run = 1;
    while (n + run < sizeof bytes && ((linear + run) & 0xFFF) != 0 &&
           insn::linear_rip(cs, long_mode, insn::advance_rip(cs, long_mode, rip, uint8_t(n + run))) == linear + run) {
      ++run;
    }
    if (!read_guest(part, gpa.value(), &bytes[n], run, false)) break;
    n += run;
  }
  Result<uint8_t> length = insn::decode_length(bytes, n, what);
  if (!length) return false;
  v.at<uint64_t>(svm::k_rip) = insn::advance_rip(cs, long_mode, rip, length.value());
  return true;
}

// #GP(0) for an instruction the CPU itself would fault (RIP stays on it): emulation, not a violation.
bool inject_gp(uint16_t part) {
  vmcb(part).at<uint64_t>(svm::k_event_inject) = 13u | (3u << 8) | (1u << 11) | (1u << 31);
  return true;
}

// A violation: audit, then inject #GP or stop, as the policy says. Returns true if the
// partition continues.
bool violation(uint16_t part, audit::Event event, bool can_inject, const char* detail) {
  audit(part, event, "%s", detail);
  if (can_inject && policy().partitions[part].on_violation == policy::On_violation::inject_fault) {
    // #GP(0): vector 13, type 3 (exception), error code valid, valid.
    inject_gp(part);
    audit(part, audit::Event::fault_injected, "#GP(0) at rip=0x%lx", vmcb(part).at<uint64_t>(svm::k_rip));
    return true;
  }
  stop(part, audit::event_name(event));
  return false;
}

// XSETBV is intercepted so that XCR0 is the partition's own (cpu_context().xcr0) and always one
// this CPU accepts; the world switch loads it with the rest of the partition's state.
bool emulate_xsetbv(uint16_t part) {
  svm::Vmcb& v = vmcb(part);
  Partition_runtime& rt = partition(part);
  const uint64_t value = (uint64_t(uint32_t(rt.regs.rdx)) << 32) | uint32_t(v.at<uint64_t>(svm::k_rax));
  if (v.at<uint8_t>(svm::k_cpl) != 0 || uint32_t(rt.regs.rcx) != 0 || !arch::context::xcr0_valid(value)) {
    return inject_gp(part);
  }
  if (!skip(part, insn::Skipped::xsetbv)) return violation(part, audit::Event::instruction_violation, false, "xsetbv not decodable");
  cpu_context(part).xcr0 = value;
  arch::context::set_xcr0(value);
  return true;
}

// EFER (SK-CPU-1): the partition's own, in its VMCB. A write may set only SCE, LME and NXE (what
// the CPUID a partition sees offers; SVME and the rest are reserved to it), and may not change
// LME while paging is on, as the CPU requires; anything else is an MSR violation. LMA stays the
// CPU's (a write's LMA bit is ignored), SVME the kernel's (set for VMRUN, never shown). Returns
// as handle_exit does.
bool emulate_efer(uint16_t part, bool write) {
  constexpr uint64_t k_sce = 1u << 0, k_lme = 1u << 8, k_lma = 1u << 10, k_nxe = 1u << 11, k_svme = 1u << 12;
  svm::Vmcb& v = vmcb(part);
  Partition_runtime& rt = partition(part);
  const uint64_t current = v.at<uint64_t>(svm::k_efer);
  if (!write) {
    if (!skip(part, insn::Skipped::rdmsr)) return violation(part, audit::Event::instruction_violation, false, "rdmsr not decodable");
    const uint64_t shown = current & ~k_svme;
    v.at<uint64_t>(svm::k_rax) = uint32_t(shown);
    rt.regs.rdx = uint32_t(shown >> 32);
    return true;
  }
  const uint64_t value = (uint64_t(uint32_t(rt.regs.rdx)) << 32) | uint32_t(v.at<uint64_t>(svm::k_rax));
  const bool paging = v.at<uint64_t>(svm::k_cr0) & (1u << 31);
  // LMA is the CPU's: what a write says of it is ignored.
  if ((value & ~(k_sce | k_lme | k_nxe | k_lma)) != 0 || (paging && (value & k_lme) != (current & k_lme))) {
    char detail[96];
    log::format(detail, sizeof detail, "msr=0x%x write value=0x%lx (EFER: SCE, LME, NXE only)", 0xC0000080u, value);
    return violation(part, audit::Event::msr_violation, true, detail);
  }
  if (!skip(part, insn::Skipped::wrmsr)) return violation(part, audit::Event::instruction_violation, false, "wrmsr not decodable");
  v.at<uint64_t>(svm::k_efer) = (value & ~k_lma) | (current & k_lma) | k_svme;
  return true;
}

// A partition with `virtual_pc` sees a PC whose ports it does not own are empty, as on a real
// board: a read returns all ones (a floating bus), a write goes nowhere. That is what a PC
// operating system's probes expect (PCI configuration at 0xCF8, the RTC, port 0x80, ...), and
// no other partition's or the kernel's device is behind any of them. String I/O stays a violation.
bool absent_port(uint16_t part, uint64_t info1, uint64_t next_rip) {
  if (!policy().partitions[part].virtual_pc || (info1 & 4)) return false;
  // The kernel's own disk controllers are not absent: reaching for them is a violation (audited).
  if (drivers::ata::is_port(uint16_t(info1 >> 16))) return false;
  svm::Vmcb& v = vmcb(part);
  if (info1 & 1) {
    const uint64_t ones = (info1 & 0x10) ? 0xFF : (info1 & 0x20) ? 0xFFFF : 0xFFFFFFFF;  // SZ8, SZ16, SZ32
    uint64_t& rax = v.at<uint64_t>(svm::k_rax);
    rax = ones == 0xFFFFFFFF ? ones : (rax & ~ones) | ones;  // IN EAX clears RAX's upper half
  }
  v.at<uint64_t>(svm::k_rip) = next_rip;
  return true;
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
    // Features that would reach shared or kernel-owned state are hidden (and intercepted).
    if (leaf == 1) {
      r.ecx |= 1u << 31;                          // hypervisor present
      r.ecx &= ~((1u << 3) | (1u << 5) | (1u << 15) | (1u << 21) | (1u << 24));  // MONITOR, VMX, PDCM, x2APIC, TSC-deadline
      r.edx &= ~(1u << 9);                        // no local APIC: the LAPIC is the kernel's
      r.edx &= ~((1u << 7) | (1u << 12) | (1u << 14));  // MCE, MTRR, MCA: the machine's banks and ranges are the kernel's
      r.ecx &= ~(1u << 27);                       // OSXSAVE mirrors the partition's own CR4
      if (v.at<uint64_t>(svm::k_cr4) & (1u << 18)) r.ecx |= 1u << 27;
    }
    if (leaf == 6 || leaf == 0xA) r = {0, 0, 0, 0};  // power and performance monitoring
    if (leaf == 0x80000001) r.ecx &= ~((1u << 2) | (1u << 23) | (1u << 24) | (1u << 28));  // SVM, perf counters
    if (leaf == 0x80000008) r.ebx &= ~(1u << 4);  // RDPRU (APERF/MPERF count across partitions)
    if (leaf == 0x8000000A) r = {0, 0, 0, 0};
  }
  v.at<uint64_t>(svm::k_rax) = r.eax;
  rt.regs.rbx = r.ebx;
  rt.regs.rcx = r.ecx;
  rt.regs.rdx = r.edx;
}

}  // namespace

void stop(uint16_t part, const char* why) {
  Partition_runtime& rt = partition(part);
  if (rt.state == Run_state::stopped) return;
  rt.state = Run_state::stopped;
  audit(part, audit::Event::partition_stopped, "%s", why);  // the indicator shows it at the next frame end
}

bool handle_exit(uint16_t part) {
  svm::Vmcb& v = vmcb(part);
  Partition_runtime& rt = partition(part);
  v.at<uint8_t>(svm::k_tlb_control) = 0;  // flushed once, on the first VMRUN
  uint64_t code = v.at<uint64_t>(svm::k_exit_code);
  // An event whose delivery the exit interrupted is the partition's own: delivered on its next VMRUN.
  const uint64_t pending = v.at<uint64_t>(svm::k_exit_int_info);
  if (pending & (1ull << 31)) v.at<uint64_t>(svm::k_event_inject) = pending;
  uint64_t info1 = v.at<uint64_t>(svm::k_exit_info1);
  uint64_t info2 = v.at<uint64_t>(svm::k_exit_info2);
  char detail[audit::k_detail_len];
  if (code == svm::k_exit_intr || code == svm::k_exit_nmi) {
    arch::take_pending_interrupts();  // not counted: interrupts belong to the kernel (SK-TIME-2)
    return !timer::fired();
  }
  ++rt.exits;  // only what the partition itself did
  switch (code) {
    case svm::k_exit_cpuid:
      if (!skip(part, insn::Skipped::cpuid)) return violation(part, audit::Event::instruction_violation, false, "cpuid not decodable");
      filtered_cpuid(part);
      return true;
    case svm::k_exit_hlt:
      if (!skip(part, insn::Skipped::hlt)) return violation(part, audit::Event::instruction_violation, false, "hlt not decodable");
      // A virtual PC waits in its own time for its next interrupt; otherwise the rest of the frame idles.
      if (vdisk::busy(part)) return true;  // its disk requests go on first (before the next VMRUN)
      return pc::idle_until(part, timer::now_us() + own_time_left_us());
    case svm::k_exit_vmmcall:
      rt.call_rip = v.at<uint64_t>(svm::k_rip);
      if (!skip(part, insn::Skipped::vmmcall)) return violation(part, audit::Event::instruction_violation, false, "vmmcall not decodable");
      return handle_hypercall(part);
    case svm::k_exit_xsetbv:
      return emulate_xsetbv(part);
    case svm::k_exit_wbinvd:  // a no-op: NPT memory is write-back and coherent; no global flush for a guest
      if (skip(part, insn::Skipped::wbinvd)) return true;
      // QEMU 7.2 reports INVD with this exit code too (hardware uses 0x76): a violation either way.
      log::format(detail, sizeof detail, "exit=0x%lx info1=0x%lx rip=0x%lx (not WBINVD)", code, info1,
                  v.at<uint64_t>(svm::k_rip));
      return violation(part, audit::Event::instruction_violation, true, detail);
    case svm::k_exit_ioio:
      if (console::emulate_io(part, info1, info2)) return true;  // virtual i8042 / CRTC
      if (uart::emulate_io(part, info1, info2)) return true;     // virtual 16550 at 0x3F8
      if (pc::emulate_io(part, info1, info2)) return true;       // virtual PIC and PIT
      if (vdisk::emulate_io(part, info1, info2)) return true;    // virtual PCI bus and virtio-blk disk
      if (absent_port(part, info1, info2)) return true;          // virtual PC: no device there
      log::format(detail, sizeof detail, "port=0x%x %s size=%u", unsigned(info1 >> 16), (info1 & 1) ? "in" : "out",
                  unsigned((info1 >> 4) & 7));  // SZ8/SZ16/SZ32 bits: 1, 2 or 4 bytes
      return violation(part, audit::Event::io_violation, true, detail);
    case svm::k_exit_msr:
      if (uint32_t(rt.regs.rcx) == 0xC0000080u) return emulate_efer(part, info1 != 0);
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
