// SPDX-License-Identifier: Apache-2.0
// The i8042 keyboard controller a console partition sees behind its intercepted ports 0x60
// (data) and 0x64 (status / command). It has no path to the physical controller (SK-DEV-2):
// scancodes come only from the keyboard router, and commands are answered here. Freestanding.
#pragma once

#include <stdint.h>

namespace sk::tp {

class Virtual_i8042 {
 public:
  static constexpr uint32_t k_fifo = 16;
  static constexpr uint8_t k_status_output_full = 0x01;
  static constexpr uint8_t k_status_system = 0x04;
  static constexpr uint8_t k_status_command = 0x08;

  // A scancode from the router. Returns true if IRQ 1 should be injected (interrupts enabled
  // in the command byte and the keyboard not disabled). A full FIFO drops the byte.
  bool push_scancode(uint8_t byte);
  uint8_t read_data();           // IN 0x60
  uint8_t read_status() const;   // IN 0x64
  void write_data(uint8_t byte); // OUT 0x60
  // OUT 0x64. Returns false for a command that on real hardware would reach beyond this
  // controller (output port 0xD1, fake keyboard/auxiliary input 0xD2/0xD3, auxiliary device
  // 0xD4, pulsing the reset line 0xF0-0xFF, ...): it has no effect here, and the kernel audits it.
  bool write_command(uint8_t byte);
  uint8_t command_byte() const { return command_byte_; }

 private:
  void reply(uint8_t byte);
  uint8_t fifo_[k_fifo] = {};
  uint32_t head_ = 0, count_ = 0;
  uint8_t command_byte_ = 0x45;  // keyboard interrupt on, system flag, translation on
  uint8_t pending_ = 0;          // controller command waiting for its data byte (0x60)
  bool keyboard_disabled_ = false;
  bool expect_led_ = false;      // keyboard command 0xED waits for its argument
  bool last_was_command_ = false;
};

}  // namespace sk::tp
