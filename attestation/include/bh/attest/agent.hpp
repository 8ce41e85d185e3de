// SPDX-License-Identifier: Apache-2.0
// The verifier's side of the agent protocol (guests/agent, docs/attestation.md): one
// "NONCE <hex>" line out; "QUOTE <attest hex> <signature hex>", "LOG <hex>", "END" (or
// "ERROR <code> <what>") back.
#pragma once
#include <chrono>
#include <string>

#include "bh/attest/common.hpp"
#include "bh/attest/evidence.hpp"

namespace bh::attest {

// Parses the agent's answer into evidence for nonce. Throws Input_error naming the line at fault
// (or the agent's own ERROR line).
Evidence evidence_from_agent(const std::string& answer, const Bytes& nonce);

// Connects to `unix:PATH`, sends the nonce and returns the answer up to and including the END or
// ERROR line. Throws Input_error for a bad address, an unreachable agent, a closed connection or
// the deadline.
std::string ask_agent(const std::string& address, const Bytes& nonce, std::chrono::milliseconds deadline);

}  // namespace bh::attest
