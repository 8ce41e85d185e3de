// SPDX-License-Identifier: Apache-2.0
// Paints the composed 80x25 screen (compose's cells: character | attribute << 8) on a linear
// framebuffer, as VGA text mode would show it: 8x16 glyphs of code page 437 (k_font_8x16, built
// from Debian's console-data by scripts/psf-to-cpp.py), the 16 text-mode colours (attribute bits
// 0-3 foreground, 4-7 background, no blink), the 640x400 text area at the top left, the rest
// black. Only cells that changed since they were last painted are painted; the indicator row
// first and whole, the guest rows then in a round-robin order within a cell budget, so that the
// caller bounds the time a call takes. Pure; freestanding.
#pragma once

#include <stdint.h>

#include "sk/tp/compositor.hpp"

namespace sk::tp {

inline constexpr uint32_t k_glyph_width = 8;
inline constexpr uint32_t k_glyph_height = 16;
inline constexpr uint32_t k_text_width = k_columns * k_glyph_width;   // 640 pixels
inline constexpr uint32_t k_text_height = k_rows * k_glyph_height;    // 400 pixels

// 256 glyphs of 16 rows, one byte per row, most significant bit leftmost.
extern const uint8_t k_font_8x16[256 * 16];

// The text-mode colour c (0..15) as 0xRRGGBB (the VGA palette: 0xAA and 0x55 levels).
uint32_t palette_rgb(uint8_t colour);

// A 32-bit-per-pixel linear framebuffer with 8-bit colour channels at the given bit positions.
struct Framebuffer {
  uint32_t* pixels;        // pixel (x, y) is pixels[y * stride + x]
  uint32_t width, height;  // in pixels
  uint32_t stride;         // pixels per scan line (>= width)
  uint8_t red_shift, green_shift, blue_shift;
};

// Why a framebuffer cannot hold the trusted path's screen, or nullptr if it can.
const char* unusable(const Framebuffer& fb);

class Screen_painter {
 public:
  Screen_painter() = default;
  // fb must be usable (unusable(fb) == nullptr).
  explicit Screen_painter(const Framebuffer& fb);
  // Paints every pixel black and forgets what was painted (every cell is changed).
  void clear();
  // Paints the indicator row's changed cells (all of them at most: k_columns).
  void paint_indicator(const uint16_t* cells);
  // Paints at most max_cells changed cells of rows 1..24, going on from where the last call
  // stopped; returns true if none remains unpainted.
  bool paint_guest_rows(const uint16_t* cells, uint32_t max_cells);
  // The framebuffer colour of text-mode colour c.
  uint32_t pixel(uint8_t colour) const { return pixel_[colour & 0x0F]; }

 private:
  void paint_cell(uint32_t index, uint16_t cell);
  bool changed(uint32_t index, uint16_t cell) const { return !painted_[index] || shown_[index] != cell; }

  Framebuffer fb_{};
  uint32_t pixel_[16] = {};
  uint16_t shown_[k_cells] = {};
  bool painted_[k_cells] = {};
  uint32_t next_ = k_columns;  // the guest cell the next paint_guest_rows starts at
};

}  // namespace sk::tp
