// SPDX-License-Identifier: Apache-2.0
// COM1 (0x3F8) polled serial output: the kernel's log and audit console.
#pragma once
#include <stddef.h>

namespace sk::serial {

void init();
void put(char c);
void write(const char* s);
void write(const char* s, size_t n);

}  // namespace sk::serial
