// SPDX-License-Identifier: Apache-2.0
// XSAVE/XRSTOR, XCR0 and DR0-DR3 switching (see cpu_context.hpp). The only code besides the
// AES-NI sector routine that touches x87/SSE state, and only to save and restore it.
#include "arch/x86_64/cpu_context.hpp"

#include "arch/x86_64/cpu.hpp"

namespace sk::arch::context {
namespace {

bool g_xsave;
uint64_t g_supported = 1;
uint32_t g_area = 512;

constexpr uint32_t k_offset_fcw = 0, k_offset_fsw = 2, k_offset_mxcsr = 24, k_offset_xstate_bv = 512;
// User state components XSAVE may switch: x87, SSE, AVX, MPX (2), AVX-512 (3), PKRU.
constexpr uint64_t k_user_components = 0x2FF;

uint64_t read_dr(int n) {
  uint64_t v = 0;
  switch (n) {
    case 0: asm volatile("mov %%dr0, %0" : "=r"(v)); break;
    case 1: asm volatile("mov %%dr1, %0" : "=r"(v)); break;
    case 2: asm volatile("mov %%dr2, %0" : "=r"(v)); break;
    default: asm volatile("mov %%dr3, %0" : "=r"(v)); break;
  }
  return v;
}

void write_dr(int n, uint64_t v) {
  switch (n) {
    case 0: asm volatile("mov %0, %%dr0" ::"r"(v)); break;
    case 1: asm volatile("mov %0, %%dr1" ::"r"(v)); break;
    case 2: asm volatile("mov %0, %%dr2" ::"r"(v)); break;
    default: asm volatile("mov %0, %%dr3" ::"r"(v)); break;
  }
}

void xsetbv0(uint64_t v) { asm volatile("xsetbv" ::"c"(0), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)) : "memory"); }

template <typename T>
T& field(uint8_t* area, uint32_t offset) {
  return *reinterpret_cast<T*>(area + offset);
}

}  // namespace

Status init_cpu() {
  uint64_t cr4 = read_cr4() | 0x600;  // OSFXSR, OSXMMEXCPT
  g_xsave = cpuid(1).ecx & (1u << 26);
  if (g_xsave) cr4 |= 1u << 18;  // OSXSAVE
  asm volatile("mov %0, %%cr4" ::"r"(cr4));
  uint64_t cr0 = (read_cr0() & ~uint64_t(0xC)) | 0x22;  // EM, TS clear; MP, NE set
  asm volatile("mov %0, %%cr0" ::"r"(cr0));
  if (!g_xsave) return {};
  Cpuid d = cpuid(0xD, 0);
  g_supported = ((uint64_t(d.edx) << 32) | d.eax) & k_user_components;
  xsetbv0(g_supported);
  g_area = cpuid(0xD, 0).ebx;  // size for the components now enabled in XCR0
  if (g_area > k_area_max) return Error::no_space;
  return {};
}

uint64_t supported_xcr0() { return g_supported; }
uint32_t area_size() { return g_area; }

void reset(Extended& c) {
  for (auto& b : c.area) b = 0;
  field<uint16_t>(c.area, k_offset_fcw) = 0x037F;
  field<uint32_t>(c.area, k_offset_mxcsr) = 0x1F80;
  c.xcr0 = 1;
  for (auto& d : c.dr) d = 0;
}

void save(Extended& c) {
  if (g_xsave) {
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    c.xcr0 = (uint64_t(hi) << 32) | lo;  // what the partition runs with, intercepted or not
    xsetbv0(g_supported);
    asm volatile("xsave64 %0" : "=m"(c.area) : "a"(uint32_t(g_supported)), "d"(uint32_t(g_supported >> 32)) : "memory");
  } else {
    asm volatile("fxsave64 %0" : "=m"(c.area)::"memory");
  }
  for (int i = 0; i < 4; ++i) c.dr[i] = read_dr(i);
}

void load(const Extended& c) {
  // AMD saves FIP/FDP/FOP only while an x87 exception is pending: overwrite the live ones with
  // the kernel's own (a load of a constant) so no previous owner's pointers survive.
  if ((field<uint16_t>(const_cast<uint8_t*>(c.area), k_offset_fsw) & 0x80) == 0) {
    static const uint32_t k_zero = 0;
    asm volatile("fnclex; emms; fildl %0; fstp %%st(0)" ::"m"(k_zero) : "memory");
  }
  if (g_xsave) {
    xsetbv0(g_supported);
    asm volatile("xrstor64 %0" ::"m"(c.area), "a"(uint32_t(g_supported)), "d"(uint32_t(g_supported >> 32)) : "memory");
    xsetbv0(c.xcr0);
  } else {
    asm volatile("fxrstor64 %0" ::"m"(c.area) : "memory");
  }
  for (int i = 0; i < 4; ++i) write_dr(i, c.dr[i]);
}

bool xcr0_valid(uint64_t v) {
  if (!(v & 1) || (v & ~g_supported)) return false;
  if ((v & 4) && !(v & 2)) return false;                        // AVX needs SSE
  if (((v >> 3) & 3) != 0 && ((v >> 3) & 3) != 3) return false;  // BNDREGS with BNDCSR
  const uint64_t avx512 = (v >> 5) & 7;
  if (avx512 != 0 && (avx512 != 7 || !(v & 4))) return false;   // all three, and AVX
  return true;
}

void set_xcr0(uint64_t value) {
  if (g_xsave) xsetbv0(value);
}

}  // namespace sk::arch::context
