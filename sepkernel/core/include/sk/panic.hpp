// SPDX-License-Identifier: Apache-2.0
// The assert/panic shim: the one place the core distinguishes hosted from freestanding.
#pragma once

namespace sk {

// Stops the system (kernel: prints the reason on the serial log and halts every CPU;
// hosted: prints to stderr and aborts). Use only where no safe state can be reached.
[[noreturn]] void panic(const char* reason);

}  // namespace sk

#define SK_ASSERT(cond)                                              \
  do {                                                               \
    if (!(cond)) ::sk::panic("assertion failed: " #cond);            \
  } while (0)
