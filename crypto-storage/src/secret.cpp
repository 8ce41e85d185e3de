// SPDX-License-Identifier: Apache-2.0
// Passphrase files and random secrets.
#include "bh/storage/secret.hpp"

#include <botan/auto_rng.h>

#include <fstream>
#include <iterator>

#include "bh/storage/luks_disk.hpp"

namespace bh::storage {

Secret read_passphrase_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Storage_error(path + ": cannot read passphrase file");
  Secret out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  if (out.empty()) throw Storage_error(path + ": passphrase file is empty");
  return out;
}

Secret random_secret(size_t size) {
  Botan::AutoSeeded_RNG rng;
  return rng.random_vec(size);
}

}  // namespace bh::storage
