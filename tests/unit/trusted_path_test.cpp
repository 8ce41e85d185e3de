// SPDX-License-Identifier: Apache-2.0
// The trusted path's kernel-side pieces: the indicator row cannot be written by a guest; keys
// reach only the focused console; the secure attention key reaches none and is the only way
// to move the focus; no key stays stuck down across a switch; the virtual i8042 answers.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sk/tp/compositor.hpp"
#include "sk/tp/keyboard.hpp"
#include "sk/tp/virtual_i8042.hpp"

using namespace sk::tp;

namespace {

std::string row_text(const uint16_t* row) {
  std::string s;
  for (uint32_t i = 0; i < k_columns; ++i) s += static_cast<char>(row[i] & 0xFF);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Records what each console receives, and plays a guest keyboard driver: which keys it
// believes are down.
struct Recorder final : Keyboard_sink {
  std::vector<std::vector<uint8_t>> bytes = std::vector<std::vector<uint8_t>>(k_max_consoles);
  std::vector<std::set<uint32_t>> down = std::vector<std::set<uint32_t>>(k_max_consoles);
  std::vector<std::pair<uint32_t, uint32_t>> switches;
  bool extended[k_max_consoles] = {};
  bool byte_after_switch_before_redraw = false;
  void deliver(uint32_t c, uint8_t b) override {
    bytes[c].push_back(b);
    if (b == 0xE0) {
      extended[c] = true;
      return;
    }
    uint32_t key = (b & 0x7F) | (extended[c] ? 0x80 : 0);
    extended[c] = false;
    if (b & 0x80) {
      CHECK(down[c].count(key) == 1);  // never a break for a key this console did not see go down
      down[c].erase(key);
    } else {
      down[c].insert(key);
    }
  }
  void on_focus_changed(uint32_t from, uint32_t to) override {
    switches.push_back({from, to});
    CHECK(down[from].empty());  // the old owner has every key released
  }
  // Letters typed, from make codes (a..z only).
  std::string letters(uint32_t c) const {
    static const std::map<uint8_t, char> k = {{0x1E, 'a'}, {0x30, 'b'}, {0x2E, 'c'}, {0x20, 'd'}, {0x12, 'e'},
                                              {0x21, 'f'}, {0x22, 'g'}, {0x23, 'h'}, {0x17, 'i'}, {0x24, 'j'},
                                              {0x25, 'k'}, {0x26, 'l'}, {0x32, 'm'}, {0x31, 'n'}, {0x18, 'o'},
                                              {0x19, 'p'}, {0x10, 'q'}, {0x13, 'r'}, {0x1F, 's'}, {0x14, 't'},
                                              {0x16, 'u'}, {0x2F, 'v'}, {0x11, 'w'}, {0x2D, 'x'}, {0x15, 'y'},
                                              {0x2C, 'z'}};
    std::string s;
    for (uint8_t b : bytes[c]) {
      auto it = k.find(b);
      if (it != k.end()) s += it->second;
    }
    return s;
  }
};

const std::map<char, uint8_t> k_make = {{'a', 0x1E}, {'b', 0x30}, {'m', 0x32}, {'c', 0x2E}, {'d', 0x20}, {'e', 0x12}, {'f', 0x21}, {'i', 0x17},
                                        {'l', 0x26}, {'n', 0x31}, {'o', 0x18}, {'p', 0x19}, {'r', 0x13}, {'s', 0x1F},
                                        {'t', 0x14}, {'u', 0x16}};

void type(Keyboard_router& k, Recorder& r, const std::string& word) {
  for (char c : word) {
    k.feed(k_make.at(c), r);
    k.feed(static_cast<uint8_t>(k_make.at(c) | 0x80), r);
  }
}

void sak(Keyboard_router& k, Recorder& r, int digit) {  // digit 0: cycle
  k.feed(0x1D, r);               // Ctrl down
  k.feed(0x38, r);               // Alt down
  k.feed(0xE0, r), k.feed(0x53, r);  // Del down
  k.feed(0xE0, r), k.feed(0xD3, r);  // Del up
  if (digit > 0) {
    k.feed(static_cast<uint8_t>(0x01 + digit), r);
    k.feed(static_cast<uint8_t>(0x81 + digit), r);
  }
  k.feed(0xB8, r);               // Alt up
  k.feed(0x9D, r);               // Ctrl up
}

}  // namespace

TEST_CASE("no guest byte ever reaches the indicator row", "[trusted-path][property]") {
  std::mt19937 rng(4);
  Indicator ind{1, "classified", "classified", 15, 4, Domain_state::running, nullptr};
  uint16_t expected_row[k_columns];
  draw_indicator(ind, expected_row);
  for (int round = 0; round < 500; ++round) {
    std::vector<uint16_t> guest(k_cells), screen(k_cells);
    for (auto& c : guest) c = static_cast<uint16_t>(rng());
    // A spoofing guest copies the real indicator into its own first rows.
    for (uint32_t i = 0; i < k_columns; ++i) guest[i] = guest[k_columns + i] = expected_row[i] ^ (round & 1);
    compose(guest.data(), ind, screen.data());
    REQUIRE(std::equal(screen.begin(), screen.begin() + k_columns, expected_row));
    REQUIRE(std::equal(screen.begin() + k_columns, screen.end(), guest.begin() + k_columns));
  }
}

TEST_CASE("the indicator names the domain, its label and state in the policy's colours", "[trusted-path]") {
  uint16_t row[k_columns];
  draw_indicator({1, "classified", "classified", 15, 4, Domain_state::running, nullptr}, row);
  CHECK(row_text(row) == " [1] classified | classified | RUNNING");
  CHECK((row[0] >> 8) == 0x4F);   // white on red
  CHECK((row[79] >> 8) == 0x4F);  // the whole row
  draw_indicator({2, "open", "open", 0, 2, Domain_state::locked, "disk key did not unseal"}, row);
  CHECK(row_text(row) == " [2] open | open | LOCKED: disk key did not unseal");
  CHECK((row[5] >> 8) == 0x20);   // black on green
  draw_indicator({2, "open", "open", 0, 2, Domain_state::stopped, "npf_violation"}, row);
  CHECK(row_text(row) == " [2] open | open | STOPPED: npf_violation");
}

TEST_CASE("the longest names and labels are shown whole; a reason that does not fit is shown whole below",
          "[trusted-path]") {
  const std::string name(31, 'n'), label(31, 'l');  // SK-NAME-1's longest
  const char* reason = "measured boot differs from the sealed one";
  Indicator ind{8, name.c_str(), label.c_str(), 15, 1, Domain_state::locked, reason};
  std::vector<uint16_t> guest(k_cells, 0x0741), screen(k_cells);
  compose(guest.data(), ind, screen.data());
  CHECK(row_text(screen.data()) == " [8] " + name + " | " + label + " | LOCKED");
  CHECK(row_text(screen.data() + k_columns) == std::string(" LOCKED: ") + reason);
  CHECK((screen[k_columns] >> 8) == 0x1F);  // in the indicator's colours
  CHECK(std::equal(screen.begin() + 2 * k_columns, screen.end(), guest.begin() + 2 * k_columns));
  for (Domain_state state : {Domain_state::running, Domain_state::stopped}) {
    ind.state = state;
    uint16_t row[k_columns];
    draw_indicator(ind, row);
    CHECK(row_text(row).size() <= k_columns);
    CHECK(row_text(row).find(name + " | " + label + " | ") == 5);
  }
  // A reason longer than a row wraps onto row 2, never cut.
  const std::string long_reason(100, 'r');
  ind.reason = long_reason.c_str();
  compose(guest.data(), ind, screen.data());
  CHECK(row_text(screen.data() + k_columns) + row_text(screen.data() + 2 * k_columns) ==
        " STOPPED: " + long_reason);
  // Short names keep the reason in the row and the guest's rows untouched.
  Indicator short_one{2, "open", "open", 0, 2, Domain_state::locked, reason};
  compose(guest.data(), short_one, screen.data());
  CHECK(row_text(screen.data()) == std::string(" [2] open | open | LOCKED: ") + reason);
  CHECK(std::equal(screen.begin() + k_columns, screen.end(), guest.begin() + k_columns));
}

TEST_CASE("typed words reach only the focused domain; the SAK reaches none", "[trusted-path]") {
  Keyboard_router k(2);
  Recorder r;
  type(k, r, "secret");
  sak(k, r, 0);  // cycle to console 1
  CHECK(k.focus() == 1);
  type(k, r, "public");
  sak(k, r, 1);  // choose console 1 (index 0)
  CHECK(k.focus() == 0);
  type(k, r, "more");
  CHECK(r.letters(0) == "secretmore");
  CHECK(r.letters(1) == "public");
  for (uint32_t c = 0; c < 2; ++c) {
    for (size_t i = 0; i + 1 < r.bytes[c].size(); ++i) {
      CHECK_FALSE((r.bytes[c][i] == 0xE0 && (r.bytes[c][i + 1] & 0x7F) == 0x53));  // no Delete
    }
    // Nor the digit that chose the console: neither the old owner nor the new one sees it.
    for (uint8_t b : r.bytes[c]) {
      CHECK_FALSE(((b & 0x7F) >= 0x02 && (b & 0x7F) <= 0x09));
    }
    CHECK(r.down[c].empty());
  }
  CHECK(r.switches == std::vector<std::pair<uint32_t, uint32_t>>{{0, 1}, {1, 0}});
}

TEST_CASE("random keys: focus moves only on the SAK and nothing stays stuck", "[trusted-path][property]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    Keyboard_router k(3);
    Recorder r;
    uint32_t expected_focus = 0;
    for (int step = 0; step < 200; ++step) {
      if (rng() % 10 == 0) {
        int digit = static_cast<int>(rng() % 5);  // 0 cycles; 4 names no console: no change
        sak(k, r, digit);
        expected_focus = digit == 0 ? (expected_focus + 1) % 3 : (digit <= 3 ? digit - 1 : expected_focus);
        REQUIRE(k.focus() == expected_focus);
        continue;
      }
      // Any other key, often held across later keys and switches. Ctrl and Alt are left to the
      // SAK sequences (a SAK ends only when Ctrl or Alt goes up), Delete never comes alone.
      uint8_t key = static_cast<uint8_t>(0x02 + rng() % 0x50);
      bool ext = rng() % 4 == 0;
      if (key == 0x1D || key == 0x38) key = 0x2A;  // Shift instead
      if (ext && (key == 0x53)) key = 0x52;
      if (ext) k.feed(0xE0, r);
      k.feed(key, r);
      if (rng() % 3) {
        if (ext) k.feed(0xE0, r);
        k.feed(static_cast<uint8_t>(key | 0x80), r);
      }
      REQUIRE(k.focus() == expected_focus);
    }
  }
}

TEST_CASE("the virtual i8042 answers a guest driver's commands and raises IRQ 1", "[trusted-path]") {
  Virtual_i8042 kbd;
  kbd.write_command(0xAA);
  CHECK(kbd.read_status() & Virtual_i8042::k_status_output_full);
  CHECK(kbd.read_data() == 0x55);
  kbd.write_command(0xAB);
  CHECK(kbd.read_data() == 0x00);
  kbd.write_command(0x20);
  CHECK(kbd.read_data() == 0x45);
  kbd.write_data(0xFF);
  CHECK(kbd.read_data() == 0xFA);
  CHECK(kbd.read_data() == 0xAA);
  kbd.write_data(0xF2);
  CHECK(kbd.read_data() == 0xFA);
  CHECK(kbd.read_data() == 0xAB);
  CHECK(kbd.read_data() == 0x83);
  kbd.write_data(0xED);
  kbd.write_data(0x07);
  CHECK(kbd.read_data() == 0xFA);
  CHECK(kbd.read_data() == 0xFA);
  CHECK_FALSE(kbd.read_status() & Virtual_i8042::k_status_output_full);
  CHECK(kbd.push_scancode(0x1E));
  CHECK(kbd.read_data() == 0x1E);
  kbd.write_command(0x60);
  kbd.write_data(0x44);  // interrupts off
  CHECK_FALSE(kbd.push_scancode(0x1E));
  kbd.write_command(0xAD);  // keyboard disabled: nothing queued
  CHECK_FALSE(kbd.push_scancode(0x30));
  CHECK(kbd.read_data() == 0x1E);
  CHECK_FALSE(kbd.read_status() & Virtual_i8042::k_status_output_full);
}

TEST_CASE("the virtual i8042 refuses commands that would reach beyond it, and swallows their data", "[trusted-path]") {
  Virtual_i8042 kbd;
  CHECK(kbd.write_command(0xAA));
  CHECK(kbd.read_data() == 0x55);
  // 0xD2 "write keyboard output buffer" would fake a keystroke on real hardware.
  CHECK_FALSE(kbd.write_command(0xD2));
  kbd.write_data(0x1E);
  CHECK_FALSE(kbd.read_status() & Virtual_i8042::k_status_output_full);  // no fake key, no ack
  for (uint8_t cmd : {uint8_t(0xD1), uint8_t(0xD3), uint8_t(0xD4)}) {
    CHECK_FALSE(kbd.write_command(cmd));
    kbd.write_data(0x00);
    CHECK_FALSE(kbd.read_status() & Virtual_i8042::k_status_output_full);
  }
  CHECK_FALSE(kbd.write_command(0xFE));  // reset pulse
  // After a refused command the next data byte is a keyboard command again.
  kbd.write_data(0xF2);
  CHECK(kbd.read_data() == 0xFA);
}
