// SPDX-License-Identifier: Apache-2.0
// Enabling SVM on a CPU and the initial guest state (see svm.hpp).
#include "arch/x86_64/svm.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::arch::svm {

Status enable(uint64_t host_save_pa) {
  if ((cpuid(0x80000000).eax < 0x8000000A) || !(cpuid(0x80000001).ecx & (1u << 2))) return Error::not_found;
  if (!(cpuid(0x8000000A).edx & 1u)) return Error::not_found;  // nested paging
  constexpr uint32_t k_msr_vm_cr = 0xC0010114;
  if (rdmsr(k_msr_vm_cr) & (1u << 4)) return Error::denied;   // SVMDIS
  wrmsr(k_msr_efer, rdmsr(k_msr_efer) | k_efer_svme);
  wrmsr(k_msr_vm_hsave_pa, host_save_pa);
  return {};
}

uint32_t asid_count() { return cpuid(0x8000000A).ebx; }

void init_guest_flat32(Vmcb& v, uint32_t entry, uint32_t stack_top) {
  v.segment(k_cs, 0x08, 0xC9B, 0xFFFFFFFF, 0);
  const uint32_t data_segments[] = {k_ds, k_es, k_ss, k_fs, k_gs};
  for (uint32_t s : data_segments) v.segment(s, 0x10, 0xC93, 0xFFFFFFFF, 0);
  v.segment(k_gdtr, 0, 0, 0, 0);
  v.segment(k_idtr, 0, 0, 0, 0);  // no IDT: an exception the guest cannot take is a shutdown
  v.segment(k_ldtr, 0, 0x82, 0, 0);
  v.segment(k_tr, 0, 0x8B, 0x67, 0);
  v.at<uint8_t>(k_cpl) = 0;
  v.at<uint64_t>(k_efer) = k_efer_svme;  // required by VMRUN; invisible to the guest's own view
  v.at<uint64_t>(k_cr0) = 0x11;           // PE, ET: protected mode, paging off
  v.at<uint64_t>(k_cr3) = 0;
  v.at<uint64_t>(k_cr4) = 0;
  v.at<uint64_t>(k_dr6) = 0xFFFF0FF0;
  v.at<uint64_t>(k_dr7) = 0x400;
  v.at<uint64_t>(k_rflags) = 0x2;
  v.at<uint64_t>(k_rip) = entry;
  v.at<uint64_t>(k_rsp) = stack_top;
  v.at<uint64_t>(k_rax) = 0;
  v.at<uint64_t>(k_g_pat) = 0x0007040600070406ull;
}

void init_guest_boot32(Vmcb& v, uint32_t entry, uint16_t code_selector, uint16_t data_selector, uint32_t gdt_base,
                       uint16_t gdt_limit) {
  init_guest_flat32(v, entry, 0);
  v.segment(k_cs, code_selector, 0xC9B, 0xFFFFFFFF, 0);
  const uint32_t data_segments[] = {k_ds, k_es, k_ss, k_fs, k_gs};
  for (uint32_t s : data_segments) v.segment(s, data_selector, 0xC93, 0xFFFFFFFF, 0);
  v.segment(k_gdtr, 0, 0, gdt_limit, gdt_base);
}

}  // namespace sk::arch::svm
