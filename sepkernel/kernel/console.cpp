// SPDX-License-Identifier: Apache-2.0
// The physical screen, the keyboard router and the virtual consoles (see console.hpp).
// Concurrency: the router, the focus and the physical screen are touched by CPU 0's keyboard
// interrupt and by any CPU that stops a partition (redraw), under g_screen_lock; each virtual
// i8042 by CPU 0 (delivering keys) and by its partition's CPU (I/O exits), under its own lock.
#include "kernel/console.hpp"
#include "kernel/virtual_pc.hpp"

#include "arch/x86_64/cpu.hpp"
#include "drivers/i8042.hpp"
#include "drivers/pci_display.hpp"
#include "drivers/vga_text.hpp"
#include "kernel/init.hpp"
#include "kernel/kernel.hpp"
#include "kernel/log.hpp"
#include "kernel/spinlock.hpp"
#include "kernel/timer.hpp"
#include "sk/tp/compositor.hpp"
#include "sk/tp/framebuffer.hpp"
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
// The physical screen: VGA text mode (the multiboot path), or the firmware's framebuffer (the
// UEFI path), on which the kernel paints the same cells with its font.
bool g_on_framebuffer;
tp::Screen_painter g_painter;
constexpr uint32_t k_cells_per_step = 32;  // between two looks at the clock while painting

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
  // The colours are the label's (SK-TP-1, SK-TP-2); the number is the partition's in policy order,
  // as every console precedes every other partition (SK-TP-3).
  const policy::Label& label = p.labels[pp.label];
  tp::Indicator ind{g_focus + 1, pp.name.text, label.name.text, static_cast<uint8_t>(label.colour_fg),
                    static_cast<uint8_t>(label.colour_bg), tp::Domain_state::running, nullptr};
  switch (partition(part).state) {
    case Run_state::absent:
      ind.state = tp::Domain_state::locked;
      ind.reason = locked_reason(part) ? locked_reason(part) : "image refused";
      break;
    case Run_state::stopped: ind.state = tp::Domain_state::stopped; ind.reason = "violation (see audit log)"; break;
    default: break;
  }
  tp::compose(focused_screen(), ind, g_screen);
  if (g_on_framebuffer) {
    g_painter.paint_indicator(g_screen);  // whole, now: the guest rows follow in tick()
  } else {
    vga::show(g_screen);
  }
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

SK_INIT void claim_framebuffer(const multiboot::Framebuffer& fb) {
  if (!fb.present) return;
  tp::Framebuffer f{reinterpret_cast<uint32_t*>(fb.address), fb.width, fb.height, fb.pitch / 4,
                    fb.red_shift, fb.green_shift, fb.blue_shift};
  const char* why = tp::unusable(f);
  if (!why && (fb.bits_per_pixel != 32 || fb.red_size != 8 || fb.green_size != 8 || fb.blue_size != 8 ||
               fb.pitch % 4 != 0)) {
    why = "not 8-bit colour channels in 32-bit pixels";
  }
  const uint64_t end = fb.address + uint64_t(fb.pitch) * fb.height;
  if (!why && (end > (1ull << 32) || end <= fb.address)) why = "outside the kernel's identity map (4 GiB)";
  if (why) {
    audit(audit::k_kernel, audit::Event::boot, "trusted path: the framebuffer (%ux%u at 0x%lx) is unusable: %s; "
          "no screen", fb.width, fb.height, fb.address, why);
    return;
  }
  // SK-DEV-2: the display adapter is the kernel's. Its memory BARs (the framebuffer, the
  // registers that set the mode) are found on the PCI bus; a partition granted any of them is
  // refused, as one granted the framebuffer itself would be.
  drivers::pci_display::Bar bars[drivers::pci_display::k_max_bars];
  uint32_t count = drivers::pci_display::memory_bars(bars, drivers::pci_display::k_max_bars);
  if (count < drivers::pci_display::k_max_bars) bars[count++] = {fb.address, end - fb.address};
  const policy::Policy& p = policy();
  auto overlaps = [&](const policy::Range& r) {
    for (uint32_t b = 0; b < count; ++b) {
      if (policy::overlaps(r, {bars[b].base, bars[b].size})) return true;
    }
    return false;
  };
  static const char k_reason[] = "granted the kernel's display adapter (framebuffer or its registers)";
  for (uint16_t i = 0; i < p.partition_count; ++i) {
    bool hit = overlaps(p.partitions[i].memory);
    for (uint32_t m = 0; m < p.partitions[i].mmio_count; ++m) hit = hit || overlaps(p.partitions[i].mmio[m]);
    for (uint32_t c = 0; c < p.channel_count; ++c) {
      const policy::Channel& ch = p.channels[c];
      hit = hit || ((ch.writer == i || ch.reader == i) && overlaps(ch.memory));
    }
    if (hit) {
      lock_partition(i, k_reason);
      audit(i, audit::Event::partition_refused, "%s", k_reason);
    }
  }
  g_painter = tp::Screen_painter(f);
  g_on_framebuffer = true;
  log::print("trusted path: framebuffer %ux%u at 0x%lx (%u display BARs the kernel's)\n", fb.width, fb.height,
             fb.address, count);
}

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
  if (g_on_framebuffer) {
    g_painter.clear();
  } else {
    vga::hide_cursor();
  }
  g_focus = 0;
  {
    Lock_guard guard(g_screen_lock);
    const uint64_t t0 = timer::now_us();
    draw_locked();
    if (g_on_framebuffer) (void)g_painter.paint_guest_rows(g_screen, tp::k_cells);  // every cell: one call
    if (g_on_framebuffer) log::print("trusted path: the whole screen painted in %lu us\n", timer::now_us() - t0);
  }
  g_started = true;
  i8042::flush();
  audit(audit::k_kernel, audit::Event::boot, "trusted path: %u consoles, focus on %s, secure attention key Ctrl+Alt+Del",
        g_count, name_of(0));
}

void tick(uint64_t paint_until_us) {
  if (!g_started) return;
  const uint64_t t0 = arch::rdtsc();
  Lock_guard guard(g_screen_lock);
  Sink sink;
  uint8_t byte;
  while (i8042::read_keyboard_byte(byte)) g_router.feed(byte, sink);
  draw_locked();
  // The framebuffer's guest rows: what changed, a few cells at a time until the deadline; the
  // rest in the next window (the painter goes on where it stopped).
  while (g_on_framebuffer && timer::now_us() < paint_until_us &&
         !g_painter.paint_guest_rows(g_screen, k_cells_per_step)) {
  }
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
