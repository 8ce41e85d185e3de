// SPDX-License-Identifier: Apache-2.0
// Application processors: started with INIT-SIPI-SIPI, each runs its own CPU plan.
#pragma once
#include <stdint.h>

namespace sk::smp {
// Starts CPUs 1..count-1 and returns once each has SVM enabled and waits for the schedule.
void start_application_processors(uint32_t count);
}  // namespace sk::smp

namespace sk::kernel {
void start_cpu_svm(uint32_t cpu);
}
