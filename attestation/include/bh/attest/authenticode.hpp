// SPDX-License-Identifier: Apache-2.0
// The Authenticode digest of a PE/COFF image: what UEFI firmware extends into PCR 4 when it starts
// a boot application (EV_EFI_BOOT_SERVICES_APPLICATION), so the manifest can predict it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bh/attest/common.hpp"

namespace bh::attest {

// The image hash of the Microsoft PE/COFF specification ("Calculating the PE Image Hash"), as
// EDK II computes it for a measured image: the headers without the CheckSum field and the
// certificate table's directory entry, then each section's raw data in file order, then any
// bytes after the last section other than the certificate table. One digest per bank. Throws
// Input_error naming `where` for anything that is not a PE32 or PE32+ image whose headers and
// sections lie inside the file.
std::map<uint16_t, Bytes> authenticode_digests(const Bytes& image, const std::vector<uint16_t>& banks,
                                               const std::string& where);

}  // namespace bh::attest
