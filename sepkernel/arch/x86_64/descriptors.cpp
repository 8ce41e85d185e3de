// SPDX-License-Identifier: Apache-2.0
// GDT/TSS/IDT setup and the interrupt entry: the timer's vector and every CPU exception in the
// kernel go to the kernel's hooks (hooks.hpp; an exception there has no safe continuation).
#include "arch/x86_64/descriptors.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/hooks.hpp"
#include "arch/x86_64/pic.hpp"
#include "sk/panic.hpp"
#include "sk/policy.hpp"

extern "C" const uint64_t sk_isr_table[36];

namespace sk::arch {
namespace {

struct [[gnu::packed]] Tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};

struct [[gnu::packed]] Table_pointer {
  uint16_t limit;
  uint64_t base;
};

struct Idt_entry {
  uint16_t offset_low, selector;
  uint8_t ist, type;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
};

constexpr uint32_t k_cpus = policy::k_max_cpus;
alignas(16) uint64_t g_gdt[k_cpus][5];
alignas(16) Tss g_tss[k_cpus];
alignas(16) uint8_t g_fault_stack[k_cpus][8192];
alignas(16) Idt_entry g_idt[256];

void set_gate(uint8_t vector, uint64_t handler, uint8_t ist) {
  g_idt[vector] = {uint16_t(handler), 0x08, ist, 0x8E, uint16_t(handler >> 16), uint32_t(handler >> 32), 0};
}

}  // namespace

void load_descriptors(uint32_t cpu) {
  if (cpu >= k_cpus) panic("descriptors: CPU index out of range");
  Tss& tss = g_tss[cpu];
  tss.ist[0] = reinterpret_cast<uint64_t>(&g_fault_stack[cpu][sizeof g_fault_stack[cpu]]);
  tss.iomap_base = sizeof(Tss);
  uint64_t base = reinterpret_cast<uint64_t>(&tss);
  uint64_t limit = sizeof(Tss) - 1;
  uint64_t* gdt = g_gdt[cpu];
  gdt[0] = 0;
  gdt[1] = 0x00AF9A000000FFFFull;  // 0x08 code, 64-bit
  gdt[2] = 0x00CF92000000FFFFull;  // 0x10 data
  gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
           (((base >> 24) & 0xFF) << 56);
  gdt[4] = base >> 32;
  if (cpu == 0) {
    for (int v = 0; v < 32; ++v) set_gate(uint8_t(v), sk_isr_table[v], (v == 2 || v == 8) ? 1 : 0);
    set_gate(k_timer_vector, sk_isr_table[32], 0);
    set_gate(k_spurious_vector, sk_isr_table[33], 0);
    set_gate(pic::k_keyboard_vector, sk_isr_table[34], 0);
    set_gate(pic::k_spurious_master, sk_isr_table[35], 0);
  }
  Table_pointer gdtr{sizeof(g_gdt[cpu]) - 1, reinterpret_cast<uint64_t>(gdt)};
  Table_pointer idtr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
  asm volatile(
      "lgdt %0\n"
      "pushq $0x08\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "mov $0x10, %%ax\n"
      "mov %%ax, %%ds\n"
      "mov %%ax, %%es\n"
      "mov %%ax, %%ss\n"
      "ltr %w1\n"
      "lidt %2\n" ::"m"(gdtr),
      "r"(uint16_t(0x18)), "m"(idtr)
      : "rax", "memory");
}

}  // namespace sk::arch

extern "C" void sk_interrupt(sk::arch::Interrupt_frame* f) {
  if (f->vector == sk::arch::k_timer_vector) {
    sk::arch::hooks::timer_interrupt();
    return;
  }
  if (f->vector == sk::arch::k_spurious_vector || f->vector == sk::arch::pic::k_spurious_master) return;
  uint64_t cr2;
  asm volatile("mov %%cr2, %0" : "=r"(cr2));
  sk::arch::hooks::unexpected_interrupt(*f, cr2);
}
