// SPDX-License-Identifier: Apache-2.0
// The TPM's TIS (FIFO) interface at locality 0, MMIO 0xFED40000, driven by the kernel alone: no
// partition maps it (SK-DEV-2). Transport only; commands are built and responses checked by the
// core's sk/tpm_marshal.hpp.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sk/result.hpp"

namespace sk::drivers::tis {

// Requests locality 0 and checks that a TPM answers. not_found: no TPM at the address (all-ones
// registers); timeout-like failures are reported as denied.
[[nodiscard]] Status init();
// True after a successful init().
bool present();
// Sends one command and reads its response into rsp. Every wait has a deadline; the response's
// size field is checked against what was read and against rsp_capacity (no_space). On any error
// the TPM is told to abort (commandReady) and an error is returned.
[[nodiscard]] Result<size_t> transact(const uint8_t* cmd, size_t cmd_len, uint8_t* rsp, size_t rsp_capacity);
// The same in steps, so that the kernel never waits out a command's execution (milliseconds on
// swtpm, up to hundreds on a discrete TPM) inside a partition's frame (SK-TIME-1): start() sends
// the command and sets tpmGo; done() reads the status once (true: the response is ready);
// finish() reads the response as transact() does; cancel() tells the TPM to drop the command.
[[nodiscard]] Status start(const uint8_t* cmd, size_t cmd_len);
bool done();
[[nodiscard]] Result<size_t> finish(uint8_t* rsp, size_t rsp_capacity);
void cancel();
// True if the response code is TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING.
bool is_busy_code(const uint8_t* rsp, size_t size);
// transact(), repeated (up to 100 times) while the TPM answers TPM_RC_RETRY, TPM_RC_YIELDED or
// TPM_RC_TESTING (warnings meaning "not now", e.g. while it tests itself after start-up).
[[nodiscard]] Result<size_t> transact_retrying(const uint8_t* cmd, size_t cmd_len, uint8_t* rsp,
                                               size_t rsp_capacity);
// The DID_VID register read by init() (vendor in the low 16 bits).
uint32_t did_vid();

}  // namespace sk::drivers::tis
