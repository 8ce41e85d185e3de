// SPDX-License-Identifier: Apache-2.0
// The trusted path on a framebuffer (sk::tp::Screen_painter): the painted pixels read back as
// the composed screen (characters through the font, colours through the palette), so no guest
// byte reaches the indicator's pixels; nothing outside the text area is touched; only changed
// cells are painted; a cell budget bounds a call, and every guest cell is painted in the end
// even while other rows keep changing.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sk/tp/compositor.hpp"
#include "sk/tp/framebuffer.hpp"

using namespace sk::tp;

namespace {

constexpr uint32_t k_width = 800, k_height = 600;
uint32_t k_stride = 832;  // pixels per line; odd in one case (the painter's one-pixel stores)
constexpr uint32_t k_sentinel = 0x12345678;

struct Screen {
  std::vector<uint32_t> pixels = std::vector<uint32_t>(size_t(k_stride) * k_height, k_sentinel);
  // BGRX, as QEMU's standard VGA under OVMF: red in bits 16-23.
  Framebuffer fb{pixels.data(), k_width, k_height, k_stride, 16, 8, 0};
  uint32_t at(uint32_t x, uint32_t y) const { return pixels[size_t(y) * k_stride + x]; }
};

// Reads cell i back from the pixels: the character whose glyph matches the cell's two colours,
// the foreground and background colours (0..15); of glyphs drawn alike, the first from ' ' on.
// Returns false if no glyph matches.
bool read_cell(const Screen& s, const Screen_painter& painter, uint32_t i, uint16_t& cell) {
  const uint32_t x0 = i % k_columns * k_glyph_width, y0 = i / k_columns * k_glyph_height;
  for (uint32_t n = 0; n < 256; ++n) {
    const uint32_t ch = (n + 0x20) % 256;  // printable ASCII first: a blank and a full block are alike
    for (uint32_t attr = 0; attr < 256; ++attr) {
      const uint32_t fg = painter.pixel(attr & 0x0F), bg = painter.pixel(attr >> 4);
      bool match = true;
      for (uint32_t y = 0; y < k_glyph_height && match; ++y) {
        const uint8_t bits = k_font_8x16[ch * 16 + y];
        for (uint32_t x = 0; x < k_glyph_width && match; ++x) {
          match = s.at(x0 + x, y0 + y) == (bits & (0x80u >> x) ? fg : bg);
        }
      }
      if (match) {
        cell = uint16_t(ch | attr << 8);
        return true;
      }
    }
  }
  return false;
}

std::string row_text(const Screen& s, const Screen_painter& painter, uint32_t row, uint8_t* attr0 = nullptr) {
  std::string text;
  for (uint32_t c = 0; c < k_columns; ++c) {
    uint16_t cell = 0;
    if (!read_cell(s, painter, row * k_columns + c, cell)) return "<unreadable>";
    if (c == 0 && attr0) *attr0 = uint8_t(cell >> 8);
    text += char(cell & 0xFF);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("the text-mode palette is the VGA one", "[framebuffer]") {
  CHECK(palette_rgb(0) == 0x000000);
  CHECK(palette_rgb(1) == 0x0000AA);
  CHECK(palette_rgb(2) == 0x00AA00);
  CHECK(palette_rgb(4) == 0xAA0000);
  CHECK(palette_rgb(6) == 0xAA5500);
  CHECK(palette_rgb(7) == 0xAAAAAA);
  CHECK(palette_rgb(8) == 0x555555);
  CHECK(palette_rgb(14) == 0xFFFF55);
  CHECK(palette_rgb(15) == 0xFFFFFF);
}

TEST_CASE("a framebuffer that cannot hold the text screen is refused with its reason", "[framebuffer]") {
  Screen s;
  CHECK(unusable(s.fb) == nullptr);
  Framebuffer small = s.fb;
  small.width = 639;
  CHECK(std::string(unusable(small)) == "smaller than the 640x400 text screen");
  Framebuffer odd = s.fb;
  odd.green_shift = 16;
  CHECK(std::string(unusable(odd)) == "not 8-bit colour channels in 32-bit pixels");
  Framebuffer none = s.fb;
  none.pixels = nullptr;
  CHECK(std::string(unusable(none)) == "no framebuffer");
}

TEST_CASE("the painted screen reads back as the composed one; no guest byte in the indicator's pixels",
          "[framebuffer]") {
  k_stride = GENERATE(832u, 801u);
  Screen s;
  Screen_painter painter(s.fb);
  painter.clear();
  // A guest that fills its whole screen, row 0 included, with a forged indicator.
  std::vector<uint16_t> guest(k_cells);
  const std::string forged = " [1] classified | classified | RUNNING";
  for (uint32_t i = 0; i < k_cells; ++i) guest[i] = uint16_t(0x4F00 | 'X');
  for (uint32_t c = 0; c < forged.size(); ++c) guest[c] = uint16_t(0x4F00 | uint8_t(forged[c]));
  for (uint32_t c = 0; c < 5; ++c) guest[3 * k_columns + c] = uint16_t(0x1E00 | uint8_t("hello"[c]));
  const Indicator ind{2, "open", "open", 0 /* black */, 2 /* green */, Domain_state::running, nullptr};
  std::vector<uint16_t> screen(k_cells);
  compose(guest.data(), ind, screen.data());
  painter.paint_indicator(screen.data());
  while (!painter.paint_guest_rows(screen.data(), 64)) {
  }
  uint8_t attr = 0;
  CHECK(row_text(s, painter, 0, &attr) == " [2] open | open | RUNNING");
  CHECK(attr == 0x20);  // black on green: the policy's colours, not the guest's
  CHECK(row_text(s, painter, 3).substr(0, 5) == "hello");
  uint16_t cell = 0;
  REQUIRE(read_cell(s, painter, 3 * k_columns, cell));
  CHECK(cell == uint16_t(0x1E00 | 'h'));
  REQUIRE(read_cell(s, painter, 24 * k_columns + 79, cell));
  CHECK(cell == uint16_t(0x4F00 | 'X'));
  // The rest of the framebuffer is black, and the pixels beyond each line's width untouched.
  CHECK(s.at(640, 0) == 0);
  CHECK(s.at(799, 599) == 0);
  CHECK(s.at(0, 400) == 0);
  CHECK(s.at(800, 10) == k_sentinel);
  k_stride = 832;
}

TEST_CASE("only changed cells are painted, and nothing outside the text area", "[framebuffer]") {
  Screen s;
  Screen_painter painter(s.fb);  // no clear: the sentinel shows every pixel written
  std::vector<uint16_t> screen(k_cells, 0x0720);
  painter.paint_indicator(screen.data());
  REQUIRE(painter.paint_guest_rows(screen.data(), k_cells));
  for (uint32_t y = 0; y < k_height; ++y) {
    for (uint32_t x = 0; x < k_stride; ++x) {
      const bool text = x < k_text_width && y < k_text_height;
      if ((s.at(x, y) == k_sentinel) == text) FAIL("pixel " << x << "," << y << (text ? " unpainted" : " painted"));
    }
  }
  // Mark one pixel of cell (5, 7) and of cell (6, 7); change only the second cell.
  const uint32_t a = 7 * k_columns + 5, b = a + 1;
  s.pixels[size_t(7 * 16) * k_stride + 5 * 8] = k_sentinel;
  s.pixels[size_t(7 * 16) * k_stride + 6 * 8] = k_sentinel;
  screen[b] = 0x0741;
  REQUIRE(painter.paint_guest_rows(screen.data(), k_cells));
  CHECK(s.at(5 * 8, 7 * 16) == k_sentinel);  // unchanged cell: not repainted
  uint16_t cell = 0;
  REQUIRE(read_cell(s, painter, b, cell));
  CHECK(cell == 0x0741);
  (void)a;
  // The indicator row repaints only what changed too, and only in row 0.
  s.pixels[5] = k_sentinel;
  painter.paint_indicator(screen.data());
  CHECK(s.at(5, 0) == k_sentinel);
  screen[0] = 0x2F41;
  painter.paint_indicator(screen.data());
  REQUIRE(read_cell(s, painter, 0, cell));
  CHECK(cell == 0x2F41);
}

TEST_CASE("a cell budget bounds each call, and every guest cell is painted while others keep changing",
          "[framebuffer]") {
  Screen s;
  Screen_painter painter(s.fb);
  painter.clear();
  std::vector<uint16_t> screen(k_cells, 0x0720);
  constexpr uint32_t k_budget = 100;
  const uint32_t guest_cells = k_cells - k_columns;
  uint32_t calls = 0;
  bool done = false;
  uint32_t generation = 0;
  while (!done) {
    REQUIRE(calls < guest_cells / k_budget + 3);
    // Row 1 changes before every call (a guest that keeps writing its top line).
    ++generation;
    for (uint32_t c = 0; c < k_columns; ++c) screen[k_columns + c] = uint16_t(0x0700 | ('a' + generation % 26));
    // Row 24 is set once: it must be painted though row 1 never settles.
    if (calls == 0) {
      for (uint32_t c = 0; c < k_columns; ++c) screen[24 * k_columns + c] = uint16_t(0x0E00 | 'z');
    }
    done = painter.paint_guest_rows(screen.data(), k_budget);
    ++calls;
    uint16_t cell = 0;
    if (calls * k_budget >= guest_cells + k_columns) {
      REQUIRE(read_cell(s, painter, 24 * k_columns + 79, cell));
      CHECK(cell == uint16_t(0x0E00 | 'z'));
    }
    if (calls > guest_cells / k_budget + 1) break;  // row 1 changes forever: stop once it went round
  }
  uint16_t cell = 0;
  REQUIRE(read_cell(s, painter, 24 * k_columns, cell));
  CHECK(cell == uint16_t(0x0E00 | 'z'));
}
