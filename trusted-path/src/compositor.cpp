// SPDX-License-Identifier: Apache-2.0
// The indicator row and the composition of the physical screen (see compositor.hpp).
#include "sk/tp/compositor.hpp"

namespace sk::tp {

namespace {
struct Row_writer {
  uint16_t* row;
  uint16_t attribute;
  uint32_t column = 0;
  void put(char c) {
    if (column < k_columns) row[column++] = static_cast<uint16_t>(static_cast<uint8_t>(c) | attribute);
  }
  void text(const char* s) {
    for (uint32_t i = 0; s != nullptr && s[i] != '\0'; ++i) put(s[i]);
  }
};
}  // namespace

void draw_indicator(const Indicator& ind, uint16_t* row) {
  Row_writer w{row, static_cast<uint16_t>(((ind.colour_bg & 0x0F) << 4 | (ind.colour_fg & 0x0F)) << 8)};
  w.text(" [");
  w.put(static_cast<char>('0' + (ind.number % 10)));
  w.text("] ");
  w.text(ind.name);
  w.text(" | ");
  w.text(ind.label);
  w.text(" | ");
  switch (ind.state) {
    case Domain_state::running: w.text("RUNNING"); break;
    case Domain_state::locked: w.text("LOCKED: "); w.text(ind.reason); break;
    case Domain_state::stopped: w.text("STOPPED: "); w.text(ind.reason); break;
  }
  while (w.column < k_columns) w.put(' ');
}

void compose(const uint16_t* guest, const Indicator& indicator, uint16_t* screen) {
  draw_indicator(indicator, screen);
  for (uint32_t i = k_columns; i < k_cells; ++i) screen[i] = guest[i];
}

}  // namespace sk::tp
