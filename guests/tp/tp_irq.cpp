// SPDX-License-Identifier: Apache-2.0
// A guest keyboard driver that works the way an unmodified one does: it installs its own GDT and
// IDT, enables interrupts and halts; the keyboard interrupt (IRQ 1, vector 0x21) reads the byte
// from port 0x60 and logs it as `irq scancode 0xNN`. It never polls.
#include "console.hpp"
#include "guest.hpp"

namespace {

struct [[gnu::packed]] Table_pointer {
  uint16_t limit;
  uint32_t base;
};

alignas(8) uint64_t g_gdt[3] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull};
alignas(8) uint64_t g_idt[256];

}  // namespace

extern "C" void keyboard_interrupt() {
  uint8_t b = guest::inb(0x60);
  guest::log("irq scancode 0x%x", b);
}

// The interrupt entry: save the caller's registers around the C handler, return with IRET.
asm(R"(
  .text
  .global keyboard_entry
keyboard_entry:
  pusha
  cld
  call keyboard_interrupt
  popa
  iret
)");
extern "C" void keyboard_entry();

extern "C" void guest_main() {
  Table_pointer gdtr{sizeof g_gdt - 1, uint32_t(reinterpret_cast<uintptr_t>(g_gdt))};
  asm volatile("lgdt %0" ::"m"(gdtr));
  uint32_t handler = uint32_t(reinterpret_cast<uintptr_t>(&keyboard_entry));
  g_idt[0x21] = (handler & 0xFFFF) | (uint64_t(0x08) << 16) | (uint64_t(0x8E) << 40) |
                (uint64_t(handler >> 16) << 48);
  Table_pointer idtr{sizeof g_idt - 1, uint32_t(reinterpret_cast<uintptr_t>(g_idt))};
  asm volatile("lidt %0" ::"m"(idtr));
  guest::log("waiting for keyboard interrupts");
  for (;;) asm volatile("sti; hlt" ::: "memory");
}
