// SPDX-License-Identifier: Apache-2.0
// The state-probe pair (tests/integration/kernel_state_test.cpp, docs/kernel.md "The world
// switch"): the CPU state a 32-bit partition can write, read back without changing it.
#pragma once
#include <stdint.h>

#include "guest.hpp"

namespace probe {

// Everything the probes compare, read without side effects (no waiting x87 instruction).
struct alignas(64) Snapshot {
  uint8_t xsave[832];  // XSAVE standard format: legacy 512, header 64, YMM_Hi128 256
  uint32_t cr0, cr2, cr3, cr4;
  uint32_t dr[4], dr6, dr7;
  uint64_t xcr0;
  uint8_t gdtr[6], idtr[6];
  uint32_t tsc_aux;
};

inline bool has_xsave() {
  uint32_t a = 1, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return c & (1u << 26);
}
inline bool has_avx() {
  uint32_t a = 1, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return c & (1u << 28);
}
inline bool has_rdtscp() {
  uint32_t a = 0x80000001, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return d & (1u << 27);
}
inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}
inline uint64_t xgetbv() {
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}
inline void xsetbv(uint64_t v) { asm volatile("xsetbv" ::"c"(0), "a"(uint32_t(v)), "d"(uint32_t(v >> 32))); }
inline uint32_t read_cr0() { uint32_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
inline uint32_t read_cr4() { uint32_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
inline void write_cr0(uint32_t v) { asm volatile("mov %0, %%cr0" ::"r"(v)); }
inline void write_cr4(uint32_t v) { asm volatile("mov %0, %%cr4" ::"r"(v)); }

// Own CR4.OSFXSR (SSE) and, if the CPU has it, OSXSAVE; CR0.NE so a pending x87 exception
// would be taken as #MF (without an IDT: a triple fault the kernel reports).
inline void enable_own_fpu() {
  write_cr0((read_cr0() & ~0xCu) | 0x22);
  write_cr4(read_cr4() | 0x600 | (has_xsave() ? (1u << 18) : 0));
}

inline void snapshot(Snapshot& s, uint64_t xsave_mask) {
  for (auto& b : s.xsave) b = 0;
  if (xsave_mask) {
    asm volatile("xsave %0" : "+m"(s.xsave) : "a"(uint32_t(xsave_mask)), "d"(uint32_t(xsave_mask >> 32)) : "memory");
    s.xcr0 = xgetbv();
  } else {
    asm volatile("fxsave %0" : "+m"(s.xsave)::"memory");
    s.xcr0 = 0;
  }
  s.cr0 = read_cr0();
  asm volatile("mov %%cr2, %0" : "=r"(s.cr2));
  asm volatile("mov %%cr3, %0" : "=r"(s.cr3));
  s.cr4 = read_cr4();
  asm volatile("mov %%dr0, %0" : "=r"(s.dr[0]));
  asm volatile("mov %%dr1, %0" : "=r"(s.dr[1]));
  asm volatile("mov %%dr2, %0" : "=r"(s.dr[2]));
  asm volatile("mov %%dr3, %0" : "=r"(s.dr[3]));
  asm volatile("mov %%dr6, %0" : "=r"(s.dr6));
  asm volatile("mov %%dr7, %0" : "=r"(s.dr7));
  asm volatile("sgdt %0" : "=m"(s.gdtr));
  asm volatile("sidt %0" : "=m"(s.idtr));
  s.tsc_aux = 0;
  if (has_rdtscp()) asm volatile("rdtscp" : "=c"(s.tsc_aux)::"eax", "edx");
}

// TSC ticks per millisecond, measured against the kernel's clock over ~20 ms.
inline uint64_t tsc_per_ms() {
  uint64_t t0 = guest::now_us(), c0 = rdtsc();
  while (guest::now_us() < t0 + 20000) {
  }
  uint64_t t1 = guest::now_us(), c1 = rdtsc();
  const uint32_t ms = uint32_t(t1 - t0) / 1000;  // 32-bit arithmetic: the guest has no 64-bit division
  return uint32_t(c1 - c0) / (ms ? ms : 1);
}

// Spins until the partition was descheduled and runs again (a TSC gap of more than 0.5 ms: the
// kernel's 1 ms guard at the end of every frame, also when the partition is alone on its CPU).
inline void wait_next_frame(uint64_t per_ms) {
  uint64_t last = rdtsc();
  for (;;) {
    uint64_t now = rdtsc();
    if (now - last > per_ms / 2) return;
    last = now;
  }
}

}  // namespace probe
