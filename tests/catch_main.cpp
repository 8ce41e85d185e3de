// SPDX-License-Identifier: Apache-2.0
// The single Catch2 main for every test binary.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
