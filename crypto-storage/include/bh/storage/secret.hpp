// SPDX-License-Identifier: Apache-2.0
// Secrets on the host side (volume keys, passphrases): memory that Botan zeroes on release.
#pragma once

#include <botan/secmem.h>

#include <cstdint>
#include <string>

namespace bh::storage {

using Secret = Botan::secure_vector<uint8_t>;

// Reads a passphrase file. One trailing newline is dropped (files written by `echo`); an
// empty passphrase is refused. Throws Storage_error naming the file.
Secret read_passphrase_file(const std::string& path);

// A fresh random secret of size bytes from Botan's AutoSeeded_RNG (the system RNG reseeds it).
Secret random_secret(size_t size);

}  // namespace bh::storage
