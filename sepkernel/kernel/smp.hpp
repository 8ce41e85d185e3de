// SPDX-License-Identifier: Apache-2.0
// Application processors: started with INIT-SIPI-SIPI, each runs its own CPU plan.
#pragma once
#include <stdint.h>

namespace sk::smp {
// Starts CPUs 1..count-1 and returns once each has its descriptors, timer and SVM and waits
// for release. Panics (boot refused) if one does not come up within 3 s.
void start_application_processors(uint32_t count);
// Lets the waiting CPUs enter their schedules (after boot-only code is gone).
void release_application_processors();
// Panic path: marks the system as stopping and sends an NMI to every other started CPU, whose
// NMI handler halts it.
void stop_other_cpus();
bool panicking();
uint32_t started_cpus();
}  // namespace sk::smp

namespace sk::kernel {
void start_cpu_svm(uint32_t cpu);
}
