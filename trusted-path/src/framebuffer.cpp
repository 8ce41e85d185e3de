// SPDX-License-Identifier: Apache-2.0
// The trusted path's screen on a linear framebuffer (see framebuffer.hpp).
#include "sk/tp/framebuffer.hpp"

namespace sk::tp {

uint32_t palette_rgb(uint8_t colour) {
  // The CGA/VGA text palette: bit 0 blue, 1 green, 2 red at 0xAA, bit 3 adds 0x55; colour 6 is
  // brown (green at 0x55), as every PC shows it.
  colour &= 0x0F;
  const uint32_t high = colour & 8 ? 0x55 : 0;
  uint32_t r = (colour & 4 ? 0xAA : 0) + high, g = (colour & 2 ? 0xAA : 0) + high, b = (colour & 1 ? 0xAA : 0) + high;
  if (colour == 6) g = 0x55;
  return r << 16 | g << 8 | b;
}

const char* unusable(const Framebuffer& fb) {
  if (fb.pixels == nullptr) return "no framebuffer";
  if (fb.width < k_text_width || fb.height < k_text_height) return "smaller than the 640x400 text screen";
  if (fb.stride < fb.width) return "scan line shorter than its width";
  auto channel_ok = [](uint8_t shift) { return shift % 8 == 0 && shift <= 24; };
  if (!channel_ok(fb.red_shift) || !channel_ok(fb.green_shift) || !channel_ok(fb.blue_shift) ||
      fb.red_shift == fb.green_shift || fb.red_shift == fb.blue_shift || fb.green_shift == fb.blue_shift) {
    return "not 8-bit colour channels in 32-bit pixels";
  }
  return nullptr;
}

Screen_painter::Screen_painter(const Framebuffer& fb) : fb_(fb) {
  for (uint8_t c = 0; c < 16; ++c) {
    const uint32_t rgb = palette_rgb(c);
    pixel_[c] = (rgb >> 16 & 0xFF) << fb.red_shift | (rgb >> 8 & 0xFF) << fb.green_shift | (rgb & 0xFF) << fb.blue_shift;
  }
}

void Screen_painter::clear() {
  for (uint32_t y = 0; y < fb_.height; ++y) {
    uint32_t* line = fb_.pixels + uint64_t(y) * fb_.stride;
    for (uint32_t x = 0; x < fb_.width; ++x) line[x] = pixel_[0];
  }
  for (bool& p : painted_) p = false;
  next_ = k_columns;
}

void Screen_painter::paint_cell(uint32_t index, uint16_t cell) {
  const uint8_t* glyph = k_font_8x16 + uint32_t(cell & 0xFF) * k_glyph_height;
  const uint32_t fg = pixel_[cell >> 8 & 0x0F], bg = pixel_[cell >> 12 & 0x0F];
  const uint32_t x0 = index % k_columns * k_glyph_width, y0 = index / k_columns * k_glyph_height;
  // Two pixels per 64-bit store where the scan lines keep them aligned (the cost under
  // emulation is per store); the pair for each two bits of a glyph row.
  const uint64_t pairs[4] = {uint64_t(bg) | uint64_t(bg) << 32, uint64_t(fg) | uint64_t(bg) << 32,
                             uint64_t(bg) | uint64_t(fg) << 32, uint64_t(fg) | uint64_t(fg) << 32};
  const bool wide = fb_.stride % 2 == 0 && reinterpret_cast<uintptr_t>(fb_.pixels) % 8 == 0;
  for (uint32_t y = 0; y < k_glyph_height; ++y) {
    uint32_t* p = fb_.pixels + uint64_t(y0 + y) * fb_.stride + x0;
    const uint8_t bits = glyph[y];
    if (wide) {
      for (uint32_t x = 0; x < k_glyph_width / 2; ++x) {
        // Leftmost pixel at the lower address: bit 7 -> pixel 0 (the pair's low half).
        const uint32_t two = bits >> (6 - 2 * x) & 3;
        __builtin_memcpy(p + 2 * x, &pairs[(two >> 1) | (two & 1) << 1], 8);  // one 64-bit store
      }
    } else {
      for (uint32_t x = 0; x < k_glyph_width; ++x) p[x] = bits & (0x80u >> x) ? fg : bg;
    }
  }
  shown_[index] = cell;
  painted_[index] = true;
}

void Screen_painter::paint_indicator(const uint16_t* cells) {
  for (uint32_t i = 0; i < k_columns; ++i) {
    if (changed(i, cells[i])) paint_cell(i, cells[i]);
  }
}

bool Screen_painter::paint_guest_rows(const uint16_t* cells, uint32_t max_cells) {
  auto after = [](uint32_t i) { return i + 1 == k_cells ? k_columns : i + 1; };
  constexpr uint32_t k_guest_cells = k_cells - k_columns;
  uint32_t i = next_, painted = 0, scanned = 0;
  for (; scanned < k_guest_cells && painted < max_cells; ++scanned, i = after(i)) {
    if (changed(i, cells[i])) {
      paint_cell(i, cells[i]);
      ++painted;
    }
  }
  next_ = i;
  for (; scanned < k_guest_cells; ++scanned, i = after(i)) {  // anything left for the next call?
    if (changed(i, cells[i])) return false;
  }
  return true;
}

}  // namespace sk::tp
