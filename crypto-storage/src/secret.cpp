// SPDX-License-Identifier: Apache-2.0
// Random secrets.
#include "bh/storage/secret.hpp"

#include <botan/auto_rng.h>

namespace bh::storage {

Secret random_secret(size_t size) {
  Botan::AutoSeeded_RNG rng;
  return rng.random_vec(size);
}

}  // namespace bh::storage
