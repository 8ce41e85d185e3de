// SPDX-License-Identifier: Apache-2.0
// Link probe: allocates with operator new (the pointer escapes, so the call cannot be elided).
// Linking it with the kernel's objects must fail: the kernel defines no allocator.
struct Probe {
  int value;
};
Probe* volatile g_probe_sink;
void sk_probe_allocation() { g_probe_sink = new Probe{42}; }
