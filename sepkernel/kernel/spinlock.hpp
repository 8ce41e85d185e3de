// SPDX-License-Identifier: Apache-2.0
// A test-and-set spinlock for the little state both CPUs write (serial log, audit ring). The
// kernel runs with interrupts off except at its explicit wait points, and no interrupt handler
// takes a lock, so a holder is never interrupted by a path that wants the same lock.
#pragma once
#include "arch/x86_64/cpu.hpp"

namespace sk::kernel {

class Spinlock {
 public:
  void lock() {
    while (__atomic_test_and_set(&held_, __ATOMIC_ACQUIRE)) {
      while (__atomic_load_n(&held_, __ATOMIC_RELAXED)) arch::cpu_relax();
    }
  }
  // Bounded attempt, for the panic path: a CPU stopped by NMI may still hold the lock.
  bool try_lock(uint32_t spins) {
    for (uint32_t i = 0; i < spins; ++i) {
      if (!__atomic_test_and_set(&held_, __ATOMIC_ACQUIRE)) return true;
      arch::cpu_relax();
    }
    return false;
  }
  void unlock() { __atomic_clear(&held_, __ATOMIC_RELEASE); }

 private:
  bool held_ = false;
};

class Lock_guard {
 public:
  explicit Lock_guard(Spinlock& l) : lock_(l) { lock_.lock(); }
  ~Lock_guard() { lock_.unlock(); }
  Lock_guard(const Lock_guard&) = delete;
  Lock_guard& operator=(const Lock_guard&) = delete;

 private:
  Spinlock& lock_;
};

}  // namespace sk::kernel
