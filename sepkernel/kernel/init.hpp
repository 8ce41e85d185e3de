// SPDX-License-Identifier: Apache-2.0
// Marks boot-only code: placed in .init.text, poisoned (int3) once the schedule starts.
#pragma once

#define SK_INIT __attribute__((section(".init.text"), noinline))

namespace sk::kernel {
// Overwrites the .init sections with int3 so boot-only code cannot be reached again.
void drop_init_sections();
}  // namespace sk::kernel
