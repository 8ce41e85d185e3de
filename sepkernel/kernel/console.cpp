// SPDX-License-Identifier: Apache-2.0
// Draws the physical screen from the policy and the partitions' states (see console.hpp).
#include "kernel/console.hpp"

#include "drivers/vga_text.hpp"
#include "kernel/kernel.hpp"
#include "sk/tp/compositor.hpp"

namespace sk::kernel::console {

namespace {
constexpr uint16_t k_none = 0xFFFF;
uint16_t g_focus = k_none;
uint16_t g_blank[tp::k_cells];   // the focused console's screen until virtual screens exist
uint16_t g_screen[tp::k_cells];
}  // namespace

void start() {
  const policy::Policy& p = policy();
  for (uint16_t i = 0; i < p.partition_count && g_focus == k_none; ++i) {
    if (p.partitions[i].console) g_focus = i;
  }
  for (auto& c : g_blank) c = 0x0720;  // blank, light grey on black
  redraw();
}

void redraw() {
  if (g_focus == k_none) return;
  const policy::Policy& p = policy();
  const policy::Partition& part = p.partitions[g_focus];
  uint32_t number = 0;
  for (uint16_t i = 0; i <= g_focus; ++i) number += p.partitions[i].console ? 1 : 0;
  tp::Indicator ind{number, part.name.text, p.labels[part.label].name.text, static_cast<uint8_t>(part.colour_fg),
                    static_cast<uint8_t>(part.colour_bg), tp::Domain_state::running, nullptr};
  switch (partition(g_focus).state) {
    case Run_state::absent: ind.state = tp::Domain_state::locked; ind.reason = "image refused"; break;
    case Run_state::stopped: ind.state = tp::Domain_state::stopped; ind.reason = "violation (see audit log)"; break;
    default: break;
  }
  tp::compose(g_blank, ind, g_screen);
  vga::show(g_screen);
}

}  // namespace sk::kernel::console
