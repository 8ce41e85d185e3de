// SPDX-License-Identifier: Apache-2.0
// Routes the physical keyboard (PS/2 scancode set 1, as the i8042 translates it) to the console
// partition that has the focus, and handles the secure attention key (SAK), which no partition
// ever receives. Freestanding; the kernel feeds it bytes from the physical i8042.
//
// The SAK is Ctrl+Alt+Del (either Ctrl, either Alt). While Ctrl and Alt are still held after it,
// a digit 1..8 gives the focus to the console with that number (a number with no console changes
// nothing); releasing Ctrl or Alt without a digit gives it to the next console in policy order. Promises (proofs/Separation.v states them
// for the model; tests/unit/trusted_path_test.cpp checks them here):
//  - every byte delivered goes to the console that had the focus when the key went down;
//  - the focus changes only through the SAK; the SAK's own bytes (and a selecting digit) reach
//    no console;
//  - before the focus moves, the old owner receives the break code of every key it saw go down
//    and not up; the new owner never receives a break for a key it did not see go down;
//  - on_focus_changed() runs before the first byte is delivered to the new owner, so the kernel
//    redraws the indicator before the new owner can receive a key.
#pragma once

#include <stdint.h>

namespace sk::tp {

inline constexpr uint32_t k_max_consoles = 8;

class Keyboard_sink {
 public:
  // One scancode byte for console index `console` (0 .. console_count - 1).
  virtual void deliver(uint32_t console, uint8_t byte) = 0;
  // The focus moved; called before any byte reaches the new owner.
  virtual void on_focus_changed(uint32_t from, uint32_t to) = 0;

 protected:
  ~Keyboard_sink() = default;
};

class Keyboard_router {
 public:
  // console_count: 1 .. k_max_consoles. The focus starts on console 0.
  // constexpr: the kernel holds one in static storage and runs no global constructors.
  explicit constexpr Keyboard_router(uint32_t console_count)
      : count_(console_count == 0 ? 1 : (console_count > k_max_consoles ? k_max_consoles : console_count)) {}
  void feed(uint8_t byte, Keyboard_sink& sink);
  uint32_t focus() const { return focus_; }

 private:
  // A key is its make code plus 0x80 if it came after an 0xE0 prefix (0 .. 255).
  bool pressed(uint32_t console, uint32_t key) const;
  void set_pressed(uint32_t console, uint32_t key, bool down);
  void move_focus(uint32_t to, Keyboard_sink& sink);
  void send(uint32_t console, uint32_t key, bool make, Keyboard_sink& sink);

  uint32_t count_;
  uint32_t focus_ = 0;
  bool extended_ = false;  // the previous byte was 0xE0
  bool ctrl_[2] = {};      // left, right (physical state)
  bool alt_[2] = {};
  bool sak_held_ = false;  // Del of a SAK is down: its break is swallowed
  bool sak_pending_ = false;
  bool sak_chosen_ = false;
  uint32_t swallow_ = 0;   // a selecting digit's key, whose break is swallowed (0: none)
  uint32_t pressed_[k_max_consoles][8] = {};  // 256-bit set of keys down, per console
};

}  // namespace sk::tp
