// SPDX-License-Identifier: Apache-2.0
// Reads Bulkhead's framebuffer text screen back from a screendump (see harness.hpp).
#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <map>

#include "bh/harness.hpp"

namespace bh::harness {

namespace {

// 256 glyphs of 16 rows from a PSF 1 font (what scripts/console-font.sh fetches).
std::vector<std::array<uint8_t, 16>> load_font(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (d.size() < 4 + 256 * 16 || d[0] != 0x36 || d[1] != 0x04 || d[3] != 16) {
    throw Harness_error("font " + path.string() + ": not a PSF 1 font of 8x16 glyphs");
  }
  std::vector<std::array<uint8_t, 16>> glyphs(256);
  for (size_t g = 0; g < 256; ++g) std::copy_n(d.begin() + 4 + long(g) * 16, 16, glyphs[g].begin());
  return glyphs;
}

}  // namespace

std::vector<std::vector<Pixel_cell>> read_pixel_text(const Qemu::Picture& picture,
                                                     const std::filesystem::path& font_path, unsigned rows,
                                                     unsigned columns) {
  const auto glyphs = load_font(font_path);
  std::map<std::array<uint8_t, 16>, char> by_bitmap;  // printable ASCII first: glyphs drawn alike
  for (unsigned n = 0; n < 256; ++n) by_bitmap.emplace(glyphs[(n + 0x20) % 256], char((n + 0x20) % 256));
  if (picture.width < columns * 8 || picture.height < rows * 16) {
    throw Harness_error("screendump of " + std::to_string(picture.width) + "x" + std::to_string(picture.height) +
                        " holds no " + std::to_string(columns) + "x" + std::to_string(rows) + " text screen of 8x16 cells");
  }
  auto rgb = [&](unsigned x, unsigned y) {
    const uint8_t* p = picture.rgb.data() + (size_t(y) * picture.width + x) * 3;
    return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
  };
  std::vector<std::vector<Pixel_cell>> out(rows, std::vector<Pixel_cell>(columns));
  for (unsigned r = 0; r < rows; ++r) {
    for (unsigned c = 0; c < columns; ++c) {
      Pixel_cell cell{'?', 0xFFFFFFFF, 0xFFFFFFFF};
      std::vector<uint32_t> colours;
      for (unsigned y = 0; y < 16 && colours.size() <= 2; ++y) {
        for (unsigned x = 0; x < 8; ++x) {
          uint32_t v = rgb(c * 8 + x, r * 16 + y);
          if (std::find(colours.begin(), colours.end(), v) == colours.end()) colours.push_back(v);
        }
      }
      if (colours.size() == 1) {
        cell = {' ', colours[0], colours[0]};
      } else if (colours.size() == 2) {
        for (int swap = 0; swap < 2 && cell.ch == '?'; ++swap) {
          const uint32_t fg = colours[1 - swap], bg = colours[swap];  // the top left is mostly background
          std::array<uint8_t, 16> bitmap{};
          for (unsigned y = 0; y < 16; ++y) {
            for (unsigned x = 0; x < 8; ++x) {
              if (rgb(c * 8 + x, r * 16 + y) == fg) bitmap[y] |= uint8_t(0x80u >> x);
            }
          }
          auto found = by_bitmap.find(bitmap);
          if (found != by_bitmap.end()) cell = {found->second, fg, bg};
        }
      }
      out[r][c] = cell;
    }
  }
  return out;
}

std::string pixel_row_text(const std::vector<Pixel_cell>& row) {
  std::string s;
  for (const Pixel_cell& c : row) s += c.ch;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace bh::harness
