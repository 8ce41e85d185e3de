// SPDX-License-Identifier: Apache-2.0
// Privileged x86-64 instructions as inline functions: the only inline assembly outside .S files.
#pragma once
#include <stdint.h>

namespace sk::arch {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
inline uint16_t inw(uint16_t port) {
  uint16_t v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
inline uint32_t inl(uint16_t port) {
  uint32_t v;
  asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
  asm volatile("wrmsr" ::"c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)));
}
struct Cpuid {
  uint32_t eax, ebx, ecx, edx;
};
inline Cpuid cpuid(uint32_t leaf, uint32_t sub = 0) {
  Cpuid r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
  return r;
}
inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}
// Zeroes [base, base + size) (size a multiple of 8) with REP STOSQ (a partition's memory before
// it is loaded); not privileged, kept with the other inline assembly.
inline void zero_memory(uint64_t base, uint64_t size) {
  uint64_t words = size / 8;
  asm volatile("rep stosq" : "+D"(base), "+c"(words) : "a"(0ull) : "memory");
}
// Spin-wait hint (PAUSE): not privileged, kept here with the other inline assembly.
inline void cpu_relax() { asm volatile("pause" ::: "memory"); }
inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void clgi() { asm volatile("clgi" ::: "memory"); }
inline void stgi() { asm volatile("stgi" ::: "memory"); }
// Enables interrupts for exactly one instruction window, letting a pending one be taken.
inline void take_pending_interrupts() { asm volatile("sti; nop; cli" ::: "memory"); }
// Halts until an interrupt (taken by the host IDT), then returns with interrupts off.
inline void wait_for_interrupt() { asm volatile("sti; hlt; cli" ::: "memory"); }
[[noreturn]] inline void halt_forever() {
  for (;;) asm volatile("cli; hlt");
}
inline uint64_t read_cr0() { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
inline uint64_t read_cr3() { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
inline uint64_t read_cr4() { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }

inline volatile uint32_t& mmio32(uint64_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }
// A 16-bit read of the first 4 KiB of physical memory (the BIOS data area, identity-mapped),
// which GCC would otherwise judge a null-pointer dereference.
inline uint16_t read_low16(uint64_t address) {
  asm("" : "+r"(address));
  return *reinterpret_cast<const volatile uint16_t*>(address);
}

inline constexpr uint32_t k_msr_efer = 0xC0000080;
inline constexpr uint32_t k_msr_vm_hsave_pa = 0xC0010117;
inline constexpr uint32_t k_msr_apic_base = 0x1B;
inline constexpr uint64_t k_efer_svme = 1ull << 12;

}  // namespace sk::arch
