// SPDX-License-Identifier: Apache-2.0
// The physical screen, the keyboard router and the virtual consoles (see console.hpp).
// Concurrency: the router, the focus and the physical screen are touched by CPU 0's keyboard
// interrupt and by any CPU that stops a partition (redraw), under g_screen_lock; each virtual
// i8042 by CPU 0 (delivering keys) and by its partition's CPU (I/O exits), under its own lock.
#include "kernel/console.hpp"
#include "kernel/virtual_pc.hpp"

#include "arch/x86_64/cpu.hpp"
#include "drivers/i8042.hpp"
#include "drivers/vga_text.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/spinlock.hpp"
#include "sk/tp/compositor.hpp"
#include "sk/tp/keyboard.hpp"
#include "sk/tp/virtual_i8042.hpp"

namespace sk::kernel::console {
namespace {

namespace svm = arch::svm;

constexpr uint16_t k_none = 0xFFFF;
constexpr uint64_t k_screen_gpa = 0xB8000;        // the virtual screen, in the guest's own RAM
constexpr uint8_t k_guest_keyboard_vector = 0x21;  // IRQ 1 at the conventional PIC remap

struct Virtual_console {
  uint16_t partition = 0;
  tp::Virtual_i8042 i8042;
  uint8_t crtc_index = 0;
  uint8_t crtc[32] = {};    // CRTC registers: kept for the guest, never reach the hardware
  volatile bool irq_pending = false;
  Spinlock lock;
};

uint32_t g_count;
Virtual_console g_consoles[tp::k_max_consoles];
uint16_t g_console_of[policy::k_max_partitions];
tp::Keyboard_router g_router{1};
uint32_t g_focus;
bool g_started;
Spinlock g_screen_lock;
uint16_t g_screen[tp::k_cells];
uint16_t g_blank[tp::k_cells];

const char* name_of(uint32_t console) { return policy().partitions[g_consoles[console].partition].name.text; }

// The focused console's screen as the guest left it, or blank if it has none (not running, or
// too little memory for a page at 0xB8000).
const uint16_t* focused_screen() {
  uint16_t part = g_consoles[g_focus].partition;
  const policy::Partition& p = policy().partitions[part];
  Run_state s = partition(part).state;
  if (s == Run_state::absent || p.memory.size < k_screen_gpa + 4096) return g_blank;
  return reinterpret_cast<const uint16_t*>(p.memory.base + k_screen_gpa);
}

// Caller holds g_screen_lock.
void draw_locked() {
  const policy::Policy& p = policy();
  uint16_t part = g_consoles[g_focus].partition;
  const policy::Partition& pp = p.partitions[part];
  tp::Indicator ind{g_focus + 1, pp.name.text, p.labels[pp.label].name.text, static_cast<uint8_t>(pp.colour_fg),
                    static_cast<uint8_t>(pp.colour_bg), tp::Domain_state::running, nullptr};
  switch (partition(part).state) {
    case Run_state::absent:
      ind.state = tp::Domain_state::locked;
      ind.reason = locked_reason(part) ? locked_reason(part) : "image refused";
      break;
    case Run_state::stopped: ind.state = tp::Domain_state::stopped; ind.reason = "violation (see audit log)"; break;
    default: break;
  }
  tp::compose(focused_screen(), ind, g_screen);
  vga::show(g_screen);
}

class Sink final : public tp::Keyboard_sink {
 public:
  // For the benchmark kernel's figures: the focus moved in this interrupt; a byte reached the
  // focused console (reset at a move: the old owner's releases do not count).
  bool focus_changed = false;
  bool delivered_to_focus = false;
  void deliver(uint32_t console, uint8_t byte) override {
    if (console == g_focus) delivered_to_focus = true;
    Virtual_console& c = g_consoles[console];
    Lock_guard guard(c.lock);
    if (c.i8042.push_scancode(byte)) c.irq_pending = true;
  }
  // The router calls this before any byte reaches the new owner: the indicator is redrawn
  // first (issue 4: redrawn before the new owner receives any key).
  void on_focus_changed(uint32_t from, uint32_t to) override {
    focus_changed = true;
    delivered_to_focus = false;
    g_focus = to;
    draw_locked();
    audit(g_consoles[to].partition, audit::Event::focus_changed, "from=%s to=%s by the secure attention key",
          name_of(from), name_of(to));
  }
};

}  // namespace

void start() {
  const policy::Policy& p = policy();
  for (uint16_t i = 0; i < policy::k_max_partitions; ++i) g_console_of[i] = k_none;
  for (uint16_t i = 0; i < p.partition_count && g_count < tp::k_max_consoles; ++i) {
    if (!p.partitions[i].console) continue;
    g_consoles[g_count].partition = i;
    g_console_of[i] = uint16_t(g_count);
    ++g_count;
  }
  for (auto& c : g_blank) c = 0x0720;  // blank, light grey on black
  if (g_count == 0) return;
  g_router = tp::Keyboard_router(g_count);
  vga::hide_cursor();
  g_focus = 0;
  {
    Lock_guard guard(g_screen_lock);
    draw_locked();
  }
  g_started = true;
  i8042::flush();
  audit(audit::k_kernel, audit::Event::boot, "trusted path: %u consoles, focus on %s, secure attention key Ctrl+Alt+Del",
        g_count, name_of(0));
}

void tick() {
  if (!g_started) return;
  const uint64_t t0 = arch::rdtsc();
  Lock_guard guard(g_screen_lock);
  Sink sink;
  uint8_t byte;
  while (i8042::read_keyboard_byte(byte)) g_router.feed(byte, sink);
  draw_locked();
#ifdef SK_BENCH_FLOOR
  // Benchmark kernel only: the kernel cycles of a focus switch, i.e. the poll that moved the
  // focus (router, redraw, audit) plus the one that delivered the new owner's first key.
  static uint64_t switch_cycles;
  static bool awaiting_first_key;
  const uint64_t cycles = arch::rdtsc() - t0;
  if (sink.focus_changed) {
    switch_cycles = cycles;
    awaiting_first_key = true;
  } else if (awaiting_first_key && sink.delivered_to_focus) {
    awaiting_first_key = false;
    log::print("bench: sak switch %lu cycles (focus change and redraw %lu, first key %lu)\n",
               switch_cycles + cycles, switch_cycles, cycles);
  }
#else
  (void)t0;
#endif
}

bool emulate_io(uint16_t part, uint64_t info1, uint64_t next_rip) {
  if (part >= policy::k_max_partitions || g_console_of[part] == k_none) return false;
  const bool in = info1 & 1, string = info1 & 4, one_byte = info1 & 0x10;
  const uint16_t port = uint16_t(info1 >> 16);
  if (string || !one_byte) return false;  // only the plain byte forms are emulated
  if (port != 0x60 && port != 0x64 && port != 0x3D4 && port != 0x3D5) return false;
  Virtual_console& c = g_consoles[g_console_of[part]];
  svm::Vmcb& v = vmcb(part);
  uint64_t& rax = v.at<uint64_t>(svm::k_rax);
  const uint8_t out = uint8_t(rax);
  uint8_t result = 0xFF;
  bool refused = false, raise_irq1 = false;
  {
    Lock_guard guard(c.lock);
    switch (port) {
      case 0x60:
        if (in) result = c.i8042.read_data(); else c.i8042.write_data(out);
        break;
      case 0x64:
        if (in) result = c.i8042.read_status(); else refused = !c.i8042.write_command(out);
        break;
      case 0x3D4:
        if (in) result = c.crtc_index; else c.crtc_index = out & 0x1F;
        break;
      default:
        if (in) result = c.crtc[c.crtc_index]; else c.crtc[c.crtc_index] = out;
        break;
    }
    // A virtual PC's driver waits for IRQ 1 for each byte in the output buffer, replies to its
    // commands included (the demo guests poll and get no interrupt for those).
    raise_irq1 = policy().partitions[part].virtual_pc && (port == 0x60 || !in) &&
                 (c.i8042.read_status() & tp::Virtual_i8042::k_status_output_full) && (c.i8042.command_byte() & 1);
  }
  if (refused) audit(part, audit::Event::device_refused, "i8042 command 0x%x has no effect on a virtual keyboard", out);
  if (raise_irq1) pc::raise(part, 1);
  if (in) rax = (rax & ~0xFFull) | result;
  v.at<uint64_t>(svm::k_rip) = next_rip;  // EXITINFO2: no NRIP save needed for I/O exits
  return true;
}

void before_vmrun(uint16_t part) {
  if (part >= policy::k_max_partitions || g_console_of[part] == k_none) return;
  Virtual_console& c = g_consoles[g_console_of[part]];
  if (!c.irq_pending) return;
  Lock_guard guard(c.lock);
  c.irq_pending = false;
  if (policy().partitions[part].virtual_pc) {  // a PC: IRQ 1 through its own virtual PIC
    pc::raise(part, 1);
    return;
  }
  svm::Vmcb& v = vmcb(part);
  // V_IRQ with priority 15, ignoring V_TPR; taken when the guest's IF allows (V_INTR_MASKING
  // keeps host interrupts apart). QEMU clears V_IRQ when the guest takes it.
  v.at<uint32_t>(svm::k_vintr) |= (1u << 8) | (0xFu << 16) | (1u << 20);
  v.at<uint8_t>(svm::k_vintr + 4) = k_guest_keyboard_vector;
}

}  // namespace sk::kernel::console
