// SPDX-License-Identifier: Apache-2.0
// Application processor start-up. Not yet implemented: a policy naming a second CPU boots,
// but that CPU's plan does not run (said on serial and in the audit log).
#include "kernel/smp.hpp"

#include "kernel/kernel.hpp"

namespace sk::smp {

void start_application_processors(uint32_t count) {
  if (count > 1) {
    kernel::audit(audit::k_kernel, audit::Event::boot, "cpus=%u but only cpu 0 runs (AP start-up not implemented)",
                  count);
  }
}

}  // namespace sk::smp
