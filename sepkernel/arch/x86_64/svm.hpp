// SPDX-License-Identifier: Apache-2.0
// AMD SVM: the VMCB (as offsets into its page, APM vol. 2 appendix B), enabling SVM on a CPU,
// and the world switch. Kept behind this header so a VMX backend could sit beside it.
#pragma once
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::arch::svm {

// Control area.
inline constexpr uint32_t k_intercept_cr = 0x000, k_intercept_exceptions = 0x008;
inline constexpr uint32_t k_intercept_misc1 = 0x00C, k_intercept_misc2 = 0x010;
inline constexpr uint32_t k_iopm_pa = 0x040, k_msrpm_pa = 0x048, k_asid = 0x058, k_tlb_control = 0x05C;
inline constexpr uint32_t k_vintr = 0x060, k_exit_code = 0x070, k_exit_info1 = 0x078, k_exit_info2 = 0x080;
inline constexpr uint32_t k_exit_int_info = 0x088, k_np_enable = 0x090, k_event_inject = 0x0A8, k_n_cr3 = 0x0B0;
// State save area.
inline constexpr uint32_t k_es = 0x400, k_cs = 0x410, k_ss = 0x420, k_ds = 0x430, k_fs = 0x440, k_gs = 0x450;
inline constexpr uint32_t k_gdtr = 0x460, k_ldtr = 0x470, k_idtr = 0x480, k_tr = 0x490;
inline constexpr uint32_t k_cpl = 0x4CB, k_efer = 0x4D0, k_cr4 = 0x548, k_cr3 = 0x550, k_cr0 = 0x558;
inline constexpr uint32_t k_cr2 = 0x640, k_dr7 = 0x560, k_dr6 = 0x568, k_rflags = 0x570, k_rip = 0x578, k_rsp = 0x5D8;
inline constexpr uint32_t k_rax = 0x5F8, k_g_pat = 0x668;

// Intercept bits (misc1 at 0x00C, misc2 at 0x010).
inline constexpr uint32_t k_i1_intr = 1u << 0, k_i1_nmi = 1u << 1, k_i1_cpuid = 1u << 18, k_i1_hlt = 1u << 24;
inline constexpr uint32_t k_i1_rdpmc = 1u << 15, k_i1_invd = 1u << 22, k_i1_invlpga = 1u << 26;
inline constexpr uint32_t k_i1_ioio = 1u << 27, k_i1_msr = 1u << 28;
inline constexpr uint32_t k_i1_task_switch = 1u << 29, k_i1_shutdown = 1u << 31;
inline constexpr uint32_t k_i2_vmrun = 1u << 0, k_i2_vmmcall = 1u << 1, k_i2_vmload = 1u << 2;
inline constexpr uint32_t k_i2_vmsave = 1u << 3, k_i2_stgi = 1u << 4, k_i2_clgi = 1u << 5, k_i2_skinit = 1u << 6;
inline constexpr uint32_t k_i2_wbinvd = 1u << 9, k_i2_monitor = 1u << 10, k_i2_mwait = 1u << 11;
inline constexpr uint32_t k_i2_mwait_armed = 1u << 12, k_i2_xsetbv = 1u << 13, k_i2_rdpru = 1u << 14;

// Exit codes.
inline constexpr uint64_t k_exit_exception_base = 0x40, k_exit_intr = 0x60, k_exit_nmi = 0x61;
inline constexpr uint64_t k_exit_cpuid = 0x72, k_exit_hlt = 0x78, k_exit_ioio = 0x7B, k_exit_msr = 0x7C;
inline constexpr uint64_t k_exit_shutdown = 0x7F, k_exit_vmrun = 0x80, k_exit_vmmcall = 0x81;
inline constexpr uint64_t k_exit_wbinvd = 0x89, k_exit_xsetbv = 0x8D;
inline constexpr uint64_t k_exit_npf = 0x400, k_exit_invalid = 0xFFFFFFFFull;

struct alignas(4096) Vmcb {
  uint8_t bytes[4096];
  template <typename T>
  T& at(uint32_t offset) {
    return *reinterpret_cast<T*>(bytes + offset);
  }
  void segment(uint32_t offset, uint16_t selector, uint16_t attributes, uint32_t limit, uint64_t base) {
    at<uint16_t>(offset) = selector;
    at<uint16_t>(offset + 2) = attributes;
    at<uint32_t>(offset + 4) = limit;
    at<uint64_t>(offset + 8) = base;
  }
};
static_assert(sizeof(Vmcb) == 4096);

// General-purpose registers VMRUN does not save (RAX and RSP live in the VMCB).
struct Guest_registers {
  uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

// Checks CPUID for SVM and nested paging, sets EFER.SVME and VM_HSAVE_PA on this CPU.
// Errors: not_found (no SVM / no NPT), denied (SVM disabled by firmware).
[[nodiscard]] Status enable(uint64_t host_save_pa);
// Number of ASIDs this CPU offers (ASID 0 is the host's).
uint32_t asid_count();

// Sets up a guest in 32-bit protected mode, flat segments, paging off, interrupts off.
void init_guest_flat32(Vmcb& vmcb, uint32_t entry, uint32_t stack_top);
// The same state as Linux's 32-bit boot protocol entry wants it: CS = code_selector, DS, ES,
// SS, FS, GS = data_selector (flat 4 GiB), GDTR = [gdt_base, +gdt_limit] (the guest's own GDT,
// holding those descriptors), paging and interrupts off. The caller sets ESI (the zero page).
void init_guest_boot32(Vmcb& vmcb, uint32_t entry, uint16_t code_selector, uint16_t data_selector, uint32_t gdt_base,
                       uint16_t gdt_limit);

}  // namespace sk::arch::svm

// The world switch: VMSAVE host extras, VMLOAD + VMRUN the guest, VMSAVE the guest, VMLOAD
// the host back. Interrupts are enabled only inside the guest (GIF stays clear around it).
extern "C" void sk_svm_run(uint64_t vmcb_pa, sk::arch::svm::Guest_registers* regs, uint64_t host_vmsave_pa);
