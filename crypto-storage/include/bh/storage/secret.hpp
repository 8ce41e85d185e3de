// SPDX-License-Identifier: Apache-2.0
// Secrets on the host side (volume keys, passphrases): memory that Botan zeroes on release.
// Reading passphrases: bh/storage/passphrase.hpp.
#pragma once

#include <botan/secmem.h>

#include <cstdint>
#include <string>

namespace bh::storage {

using Secret = Botan::secure_vector<uint8_t>;

// A fresh random secret of size bytes from Botan's AutoSeeded_RNG (the system RNG reseeds it).
Secret random_secret(size_t size);

}  // namespace bh::storage
