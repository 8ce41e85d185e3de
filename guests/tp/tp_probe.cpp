// SPDX-License-Identifier: Apache-2.0
// Spoofing guest: probes the keyboard controller and VGA ports. Through its virtual i8042 it
// asks for a machine reset (0xFE), writes the controller's output port (0xD1), reads status
// and CRTC registers; then it touches a VGA port that is not emulated (0x3DA), which is a
// violation.
#include "console.hpp"
#include "guest.hpp"

extern "C" void guest_main() {
  guest::outb(0x64, 0xFE);  // pulse the reset line
  guest::outb(0x64, 0xD1);  // write output port ...
  guest::outb(0x60, 0x00);  // ... with reset asserted and A20 off
  uint8_t status = guest::inb(0x64);
  guest::outb(0x3D4, 0x0E);
  uint8_t cursor = guest::inb(0x3D5);
  guest::log("probed i8042 status 0x%x, crtc 0x%x; machine still running", status, cursor);
  uint8_t v = guest::inb(0x3DA);
  guest::log("ESCAPED (port 0x3da read 0x%x)", v);
  for (;;) guest::yield();
}
