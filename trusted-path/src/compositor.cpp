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

namespace {

uint32_t length(const char* s) {
  uint32_t n = 0;
  while (s != nullptr && s[n] != '\0') ++n;
  return n;
}
const char* state_word(Domain_state state) {
  return state == Domain_state::locked ? "LOCKED" : state == Domain_state::stopped ? "STOPPED" : "RUNNING";
}
// " [N] name | label | " before the state.
uint32_t prefix_length(const Indicator& ind) { return 5 + length(ind.name) + 3 + length(ind.label) + 3; }

}  // namespace

bool reason_in_row(const Indicator& ind) {
  if (ind.state == Domain_state::running || ind.reason == nullptr) return true;
  return prefix_length(ind) + length(state_word(ind.state)) + 2 + length(ind.reason) <= k_columns;
}

void draw_indicator(const Indicator& ind, uint16_t* row) {
  Row_writer w{row, static_cast<uint16_t>(((ind.colour_bg & 0x0F) << 4 | (ind.colour_fg & 0x0F)) << 8)};
  w.text(" [");
  w.put(static_cast<char>('0' + (ind.number % 10)));
  w.text("] ");
  w.text(ind.name);
  w.text(" | ");
  w.text(ind.label);
  w.text(" | ");
  w.text(state_word(ind.state));
  if (ind.state != Domain_state::running && ind.reason != nullptr && reason_in_row(ind)) {
    w.text(": ");
    w.text(ind.reason);
  }
  while (w.column < k_columns) w.put(' ');
}

void compose(const uint16_t* guest, const Indicator& indicator, uint16_t* screen) {
  draw_indicator(indicator, screen);
  for (uint32_t i = k_columns; i < k_cells; ++i) screen[i] = guest[i];
  if (reason_in_row(indicator)) return;
  // The reason did not fit in the row: whole, from row 1 on, in the indicator's colours.
  Row_writer w{screen + k_columns,
               static_cast<uint16_t>(((indicator.colour_bg & 0x0F) << 4 | (indicator.colour_fg & 0x0F)) << 8)};
  w.text(" ");
  w.text(state_word(indicator.state));
  w.text(": ");
  const char* r = indicator.reason;
  for (uint32_t i = 0; r[i] != '\0' && w.column < 2 * k_columns - 1; ++i) {
    if (w.column == k_columns) {  // wrap onto row 2
      w.row += k_columns;
      w.column = 0;
    }
    w.put(r[i]);
  }
  while (w.column < k_columns) w.put(' ');
}

}  // namespace sk::tp
