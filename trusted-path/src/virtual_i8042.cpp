// SPDX-License-Identifier: Apache-2.0
// The virtual i8042 (see virtual_i8042.hpp).
#include "sk/tp/virtual_i8042.hpp"

namespace sk::tp {

void Virtual_i8042::reply(uint8_t byte) {
  if (count_ == k_fifo) return;
  fifo_[(head_ + count_) % k_fifo] = byte;
  ++count_;
}

bool Virtual_i8042::push_scancode(uint8_t byte) {
  if (keyboard_disabled_ || count_ == k_fifo) return false;
  reply(byte);
  return (command_byte_ & 0x01) != 0;
}

uint8_t Virtual_i8042::read_data() {
  if (count_ == 0) return 0;
  uint8_t b = fifo_[head_];
  head_ = (head_ + 1) % k_fifo;
  --count_;
  return b;
}

uint8_t Virtual_i8042::read_status() const {
  return static_cast<uint8_t>((count_ > 0 ? k_status_output_full : 0) | k_status_system |
                              (last_was_command_ ? k_status_command : 0));
}

bool Virtual_i8042::write_command(uint8_t byte) {
  last_was_command_ = true;
  pending_ = 0;
  switch (byte) {
    case 0x20: reply(command_byte_); break;     // read command byte
    case 0x60: pending_ = 0x60; break;          // write command byte: data follows on 0x60
    case 0xAA: reply(0x55); break;              // controller self test passed
    case 0xAB: reply(0x00); break;              // keyboard interface test passed
    case 0xAD: keyboard_disabled_ = true; break;
    case 0xAE: keyboard_disabled_ = false; break;
    case 0xA7: case 0xA8: break;                // no auxiliary device: accepted, no effect
    case 0xA9: reply(0xFF); break;              // auxiliary interface test: absent
    case 0xD1: case 0xD2: case 0xD3: case 0xD4:
      pending_ = byte;                          // its data byte is swallowed
      return false;
    default: return false;                      // anything else (e.g. 0xFE reset) is ignored
  }
  return true;
}

void Virtual_i8042::write_data(uint8_t byte) {
  last_was_command_ = false;
  if (pending_ == 0x60) {
    pending_ = 0;
    command_byte_ = static_cast<uint8_t>(byte & 0x67);  // no aux bits beyond what exists
    return;
  }
  if (pending_ != 0) {  // the data byte of a refused 0xD1..0xD4: goes nowhere
    pending_ = 0;
    return;
  }
  if (expect_led_) {
    expect_led_ = false;
    reply(0xFA);
    return;
  }
  switch (byte) {
    case 0xFF: reply(0xFA); reply(0xAA); break;  // reset: ack, self test passed
    case 0xF4: keyboard_disabled_ = false; reply(0xFA); break;
    case 0xF5: keyboard_disabled_ = true; reply(0xFA); break;
    case 0xED: expect_led_ = true; reply(0xFA); break;
    case 0xF2: reply(0xFA); reply(0xAB); reply(0x83); break;  // identify: MF2 keyboard
    case 0xEE: reply(0xEE); break;               // echo
    default: reply(0xFA); break;                 // other commands: acknowledged
  }
}

}  // namespace sk::tp
