// SPDX-License-Identifier: Apache-2.0
// Composes the physical 80x25 VGA text screen: row 0 is the kernel's indicator (the focused
// domain's number, name, classification label and state, in its policy colours); rows 1..24 are
// rows 1..24 of the focused console's virtual screen. A console's row 0 is never shown: no byte a
// guest writes can reach the indicator row. Pure functions over buffers; freestanding.
#pragma once

#include <stdint.h>

namespace sk::tp {

inline constexpr uint32_t k_columns = 80;
inline constexpr uint32_t k_rows = 25;
inline constexpr uint32_t k_cells = k_columns * k_rows;

enum class Domain_state : uint8_t { running, locked, stopped };

struct Indicator {
  uint32_t number;        // 1-based console number (the SAK digit that selects it)
  const char* name;       // partition name
  const char* label;      // classification label name
  uint8_t colour_fg;      // VGA colours 0..15 from the policy
  uint8_t colour_bg;
  Domain_state state;
  const char* reason;     // for locked / stopped: why, else null
};

// Writes the 80 cells of the indicator row (character | attribute << 8): " [N] name | label |
// STATE", then ": reason" for a locked or stopped domain if the whole reason fits in the row.
// Names and labels of at most 31 characters (SK-NAME-1) always fit whole with the state.
void draw_indicator(const Indicator& indicator, uint16_t* row);

// True if the indicator row holds the domain's whole reason (or it has none).
bool reason_in_row(const Indicator& indicator);

// screen = indicator row + rows 1..24 of guest. guest and screen: k_cells cells each. A reason
// that does not fit in the indicator row is written whole from row 1 on (" LOCKED: reason", in
// the indicator's colours, wrapped onto row 2 if longer than a row), over the guest's rows.
void compose(const uint16_t* guest, const Indicator& indicator, uint16_t* screen);

}  // namespace sk::tp
