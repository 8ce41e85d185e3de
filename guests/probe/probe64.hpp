// SPDX-License-Identifier: Apache-2.0
// The 64-bit state-probe pair (tests/integration/kernel_state_test.cpp, docs/kernel.md "The world
// switch"): the state only a 64-bit guest reaches. Each probe enters long mode itself (own page
// tables identity-mapping 4 GiB, own GDT, EFER.LME through WRMSR, CR0.PG), goes on in 32-bit
// compatibility mode, and far-calls two 64-bit routines: set() writes R8-R15, XMM8-15, the MSRs
// VMLOAD/VMSAVE switch (FS.base, GS.base, KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK,
// SYSENTER_CS/ESP/EIP), CR8 and EFER.SCE from one base value; get() reads them all back.
#pragma once
#include <stdint.h>

#include "guest.hpp"

namespace probe64 {

inline constexpr uint32_t k_values = 28;  // R8-R15, XMM8-15 (low halves), 10 MSRs, CR8, EFER
inline constexpr const char* k_names[k_values] = {
    "R8",     "R9",     "R10",    "R11",    "R12",   "R13",   "R14",   "R15",          "XMM8",         "XMM9",
    "XMM10",  "XMM11",  "XMM12",  "XMM13",  "XMM14", "XMM15", "FS.base", "GS.base",    "KERNEL_GS_BASE", "LSTAR",
    "CSTAR",  "SYSENTER_ESP", "SYSENTER_EIP", "STAR", "SFMASK", "SYSENTER_CS", "CR8", "EFER"};

// What set(base, sce) leaves in each slot, as get() reads it back.
inline void expected(uint64_t base, bool sce, uint64_t out[k_values]) {
  for (uint32_t i = 0; i < 26; ++i) out[i] = base + i;
  out[24] &= 0xFFFFFFFFu;  // SFMASK: 32 bits
  out[25] &= 0xFFFFu;      // SYSENTER_CS: 16 bits
  out[26] = (base + 26) & 0xF;                // CR8: the task priority, 4 bits
  out[27] = 0x500 | (sce ? 1 : 0);            // EFER: LME, LMA (the CPU's), SCE
}

namespace detail {
alignas(4096) inline uint64_t pml4[512], pdpt[512], pd[4][512];
alignas(8) inline uint64_t gdt[4] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00AF9A000000FFFFull};
}  // namespace detail

// Long mode, staying in the 32-bit code segment (0x08): compatibility mode.
inline void enter_long_mode() {
  using namespace detail;
  for (uint32_t i = 0; i < 4; ++i) {
    pdpt[i] = uint64_t(reinterpret_cast<uintptr_t>(pd[i])) | 3;
    for (uint32_t j = 0; j < 512; ++j) pd[i][j] = (uint64_t(i) << 30) + (uint64_t(j) << 21) + 0x83;  // 2 MiB, RW
  }
  pml4[0] = uint64_t(reinterpret_cast<uintptr_t>(pdpt)) | 3;
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } gdtr{sizeof gdt - 1, uint32_t(reinterpret_cast<uintptr_t>(gdt))};
  asm volatile("lgdt %0" ::"m"(gdtr));
  uint32_t cr4;
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  asm volatile("mov %0, %%cr4" ::"r"(cr4 | (1u << 5)));  // PAE
  asm volatile("mov %0, %%cr3" ::"r"(uint32_t(reinterpret_cast<uintptr_t>(pml4))) : "memory");
  asm volatile("wrmsr" ::"c"(0xC0000080u), "a"(0x100u), "d"(0u));  // EFER.LME
  uint32_t cr0;
  asm volatile("mov %%cr0, %0" : "=r"(cr0));
  asm volatile("mov %0, %%cr0" ::"r"(cr0 | 0x80000000u) : "memory");  // PG: long mode is active
}

inline uint64_t efer() {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080u));
  return (uint64_t(hi) << 32) | lo;
}

}  // namespace probe64

extern "C" void probe64_set();  // EDX:EAX = base, ECX = SCE (0 or 1); 64-bit code, far-called
extern "C" void probe64_get();  // EAX = address of uint64_t[k_values]

namespace probe64 {

inline void set(uint64_t base, bool sce) {
  uint32_t lo = uint32_t(base), hi = uint32_t(base >> 32), c = sce ? 1u : 0u;
  asm volatile("lcall $0x18, $probe64_set" : "+a"(lo), "+d"(hi), "+c"(c) : : "esi", "edi", "memory");
}

inline void get(uint64_t out[k_values]) {
  uint32_t a = uint32_t(reinterpret_cast<uintptr_t>(out)), c, d;
  asm volatile("lcall $0x18, $probe64_get" : "+a"(a), "=c"(c), "=d"(d) : : "edi", "memory");
}

}  // namespace probe64
