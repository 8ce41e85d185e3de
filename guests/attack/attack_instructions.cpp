// SPDX-License-Identifier: Apache-2.0
// Attack (policy on_violation = "inject_fault"): executes each instruction that would reach
// state shared with other partitions or the kernel (RDPMC, INVLPGA, MONITOR, MWAIT, INVD) and
// must get #GP after an audit line; WBINVD must be a harmless no-op; XSETBV with a value the CPU
// refuses must get #GP (as on hardware), a valid one must take effect. A tiny IDT of its own
// turns each fault into a log line and resumes after the instruction.
#include "guest.hpp"

extern "C" {
volatile uint32_t g_skip, g_vector;
void gp_entry();
void ud_entry();
}

asm(R"(
  .text
  .global gp_entry
gp_entry:
  add $4, %esp
  movl $13, g_vector
  jmp 1f
  .global ud_entry
ud_entry:
  movl $6, g_vector
1:
  push %eax
  mov g_skip, %eax
  add %eax, 4(%esp)
  pop %eax
  iret
)");

namespace {

struct __attribute__((packed)) Gate {
  uint16_t offset_low, selector;
  uint8_t zero, type;
  uint16_t offset_high;
};
struct __attribute__((packed)) Pointer {
  uint16_t limit;
  uint32_t base;
};
Gate g_idt[32];
const uint64_t g_gdt[3] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};

void set_gate(uint32_t vector, void (*handler)()) {
  const uint32_t at = uint32_t(reinterpret_cast<uintptr_t>(handler));
  g_idt[vector] = {uint16_t(at), 0x08, 0, 0x8E, uint16_t(at >> 16)};
}

void install() {
  set_gate(6, ud_entry);
  set_gate(13, gp_entry);
  const Pointer gdt{sizeof g_gdt - 1, uint32_t(reinterpret_cast<uintptr_t>(g_gdt))};
  const Pointer idt{sizeof g_idt - 1, uint32_t(reinterpret_cast<uintptr_t>(g_idt))};
  asm volatile("lgdt %0; lidt %1" ::"m"(gdt), "m"(idt));
}

const char* outcome() {
  switch (g_vector) {
    case 0: return "ok";
    case 6: return "#UD";
    case 13: return "#GP";
    default: return "?";
  }
}

}  // namespace

#define TRY(name, length, ...)                         \
  do {                                                 \
    g_vector = 0;                                      \
    g_skip = length;                                   \
    asm volatile(__VA_ARGS__);                         \
    guest::log("instr: %s %s", name, outcome());       \
  } while (0)

extern "C" void guest_main() {
  install();
  uint32_t cr4;
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  asm volatile("mov %0, %%cr4" ::"r"(cr4 | (1u << 18) | 0x600));  // OSXSAVE, OSFXSR
  TRY("rdpmc", 2, "rdpmc" ::"c"(0) : "eax", "edx", "memory");
  TRY("invlpga", 3, "invlpga %%eax, %%ecx" ::"a"(0), "c"(1) : "memory");
  TRY("monitor", 3, "monitor %%eax, %%ecx, %%edx" ::"a"(0x200000), "c"(0), "d"(0) : "memory");
  TRY("mwait", 3, "mwait %%eax, %%ecx" ::"a"(0), "c"(0) : "memory");
  TRY("invd", 2, "invd" ::: "memory");
  TRY("wbinvd", 2, "wbinvd" ::: "memory");
  TRY("xsetbv 0x5", 3, "xsetbv" ::"c"(0), "a"(5), "d"(0) : "memory");  // AVX without SSE: refused
  TRY("xsetbv 0x3", 3, "xsetbv" ::"c"(0), "a"(3), "d"(0) : "memory");
  uint32_t lo, hi;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  guest::log("instr: xgetbv 0x%x; done", lo);
  for (;;) guest::yield();
}
