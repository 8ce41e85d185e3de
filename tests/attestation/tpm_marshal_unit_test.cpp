// SPDX-License-Identifier: Apache-2.0
// The kernel's TPM command builders and response parsers without a TPM: exact sizes, every
// too-small buffer refused, bad arguments refused, response header checks.
#include <catch2/catch.hpp>

#include "sk/tpm_marshal.hpp"

namespace mt = sk::tpm;

TEST_CASE("tpm marshal: builders refuse small buffers and bad arguments", "[attestation][tpm-marshal]") {
  uint8_t cmd[256];
  const uint8_t d[32] = {};
  const mt::Bank_digest digest{mt::k_alg_sha256, d};
  auto full = mt::build_pcr_extend(cmd, sizeof cmd, 8, &digest, 1);
  REQUIRE(full.ok());
  CHECK(full.value() == 10 + 4 + 4 + 9 + 4 + 2 + 32);
  for (size_t cap = 0; cap < full.value(); ++cap) {
    CHECK(mt::build_pcr_extend(cmd, cap, 8, &digest, 1).error() == sk::Error::no_space);
  }
  CHECK(mt::build_pcr_extend(cmd, sizeof cmd, 24, &digest, 1).error() == sk::Error::bad_argument);
  const mt::Bank_digest unknown{0x0099, d};
  CHECK(mt::build_pcr_extend(cmd, sizeof cmd, 8, &unknown, 1).error() == sk::Error::bad_argument);
  CHECK(mt::build_quote(cmd, sizeof cmd, 0x81010020, d, 65, mt::k_quote_banks, 1, 1).error() == sk::Error::bad_argument);
  CHECK(mt::build_quote(cmd, sizeof cmd, 0x81010020, d, 8, mt::k_quote_banks, 1, 1u << 24).error() ==
        sk::Error::bad_argument);
  CHECK(mt::build_quote(cmd, sizeof cmd, 0x81010020, d, 8, mt::k_quote_banks, 0, 1).error() == sk::Error::bad_argument);
  CHECK(mt::build_quote(cmd, sizeof cmd, 0x81010020, d, 8, mt::k_quote_banks, 5, 1).error() == sk::Error::bad_argument);
  const uint16_t unknown_bank[] = {0x000B, 0x0099};
  CHECK(mt::build_quote(cmd, sizeof cmd, 0x81010020, d, 8, unknown_bank, 2, 1).error() == sk::Error::bad_argument);
  CHECK(mt::build_start_policy_session(cmd, sizeof cmd, d, 15).error() == sk::Error::bad_argument);
  const uint8_t ok_response[10] = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0};
  CHECK(mt::parse_empty(ok_response, 10).ok());
  const uint8_t refused[10] = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x09, 0x02};
  CHECK(mt::parse_empty(refused, 10).error() == sk::Error::denied);
  CHECK(mt::parse_empty(ok_response, 9).error() == sk::Error::truncated);
}
