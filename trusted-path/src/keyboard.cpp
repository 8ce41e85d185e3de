// SPDX-License-Identifier: Apache-2.0
// Keyboard routing and the secure attention key (see keyboard.hpp).
#include "sk/tp/keyboard.hpp"

namespace sk::tp {

namespace {
constexpr uint32_t k_ctrl = 0x1D;         // left Ctrl; right Ctrl is E0 1D
constexpr uint32_t k_alt = 0x38;          // left Alt; right Alt is E0 38
constexpr uint32_t k_del = 0x80 | 0x53;   // Delete (E0 53)
constexpr uint32_t k_digit_1 = 0x02;      // 1 .. 8 are 0x02 .. 0x09
constexpr uint32_t k_digit_8 = 0x09;
}  // namespace

bool Keyboard_router::pressed(uint32_t console, uint32_t key) const {
  return (pressed_[console][key / 32] >> (key % 32)) & 1;
}

void Keyboard_router::set_pressed(uint32_t console, uint32_t key, bool down) {
  if (down) {
    pressed_[console][key / 32] |= 1u << (key % 32);
  } else {
    pressed_[console][key / 32] &= ~(1u << (key % 32));
  }
}

void Keyboard_router::send(uint32_t console, uint32_t key, bool make, Keyboard_sink& sink) {
  if (key & 0x80) sink.deliver(console, 0xE0);
  sink.deliver(console, static_cast<uint8_t>((key & 0x7F) | (make ? 0 : 0x80)));
  set_pressed(console, key, make);
}

void Keyboard_router::move_focus(uint32_t to, Keyboard_sink& sink) {
  const uint32_t from = focus_;
  // Release, in the old owner, everything it saw go down (modifiers included).
  for (uint32_t key = 0; key < 256; ++key) {
    if (pressed(from, key)) send(from, key, false, sink);
  }
  focus_ = to;
  sink.on_focus_changed(from, to);
}

void Keyboard_router::feed(uint8_t byte, Keyboard_sink& sink) {
  if (byte == 0xE0) {
    extended_ = true;
    return;
  }
  const bool make = (byte & 0x80) == 0;
  const uint32_t key = (byte & 0x7F) | (extended_ ? 0x80 : 0);
  extended_ = false;

  // Physical modifier state, whoever receives the key.
  if ((key & 0x7F) == k_ctrl) ctrl_[key >> 7] = make;
  if ((key & 0x7F) == k_alt) alt_[key >> 7] = make;
  const bool ctrl = ctrl_[0] || ctrl_[1];
  const bool alt = alt_[0] || alt_[1];

  if (key == k_del && make && ctrl && alt) {  // the SAK: never delivered
    sak_held_ = true;
    sak_pending_ = true;
    sak_chosen_ = false;
    return;
  }
  if (key == k_del && !make && sak_held_) {
    sak_held_ = false;
    return;
  }
  if (sak_pending_ && make && key >= k_digit_1 && key <= k_digit_8) {
    const uint32_t target = key - k_digit_1;
    swallow_ = key;
    sak_chosen_ = true;  // a digit that names no console changes nothing
    if (target < count_ && target != focus_) move_focus(target, sink);
    return;
  }
  if (swallow_ != 0 && key == swallow_ && !make) {
    swallow_ = 0;
    return;
  }
  if (sak_pending_ && !(ctrl && alt)) {  // Ctrl or Alt released: end of the SAK sequence
    sak_pending_ = false;
    if (!sak_chosen_) move_focus((focus_ + 1) % count_, sink);
  }
  if (make) {
    send(focus_, key, true, sink);
  } else if (pressed(focus_, key)) {
    send(focus_, key, false, sink);
  }
  // A break for a key the owner never saw go down (pressed before a switch) reaches nobody.
}

}  // namespace sk::tp
