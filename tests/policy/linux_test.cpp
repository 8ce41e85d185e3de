// SPDX-License-Identifier: Apache-2.0
// Linux partitions in the policy: `linux = { kernel, initramfs, cmdline }` through the real CLI.
// With the files present, `policy check` refuses what the kernel would refuse at boot (a missing
// initramfs, a kernel that is no bzImage, too little memory for its init_size and initramfs:
// SK-IMG-1, SK-LINUX-2) with one line each; `image build` refuses a compiled image that would
// not boot (made behind the compiler's back); a valid one compiles and shows its pieces.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "../support/bzimage.hpp"
#include "sk/policy_image.hpp"
#include "sk/sha256.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

// A scratch directory with a synthetic bzImage (init_size 8 MiB), an initramfs of 1 MiB and
// open.elf; removed at the end of the test.
struct Scratch {
  fs::path dir;
  Scratch() {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("bh-linux-policy-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::create_directories(dir);
    auto bz = bh::test::make_bzimage();
    std::ofstream(dir / "vmlinuz", std::ios::binary)
        .write(reinterpret_cast<const char*>(bz.data()), std::streamsize(bz.size()));
    std::ofstream(dir / "initrd.cpio", std::ios::binary) << std::string(1024 * 1024, 'r');
    fs::copy(std::string(BH_SOURCE_DIR) + "/tests/policy/fixtures/images/open.elf", dir / "open.elf");
  }
  ~Scratch() { fs::remove_all(dir); }
  // policies/default.toml with the classified partition's `image` line replaced by linux_line
  // and its memory size by memory; returns the policy's path.
  fs::path policy(const std::string& linux_line, const std::string& memory = "0x1000000") const {
    std::string text = bh::test::read_file(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
    const std::string image = "image = \"classified.elf\"";
    text.replace(text.find(image), image.size(), linux_line);
    const std::string mem = "memory = { base = 0x2000000, size = 0x1000000 }";
    text.replace(text.find(mem), mem.size(), "memory = { base = 0x2000000, size = " + memory + " }");
    fs::path out = dir / "policy.toml";
    std::ofstream(out) << text;
    return out;
  }
  bh::test::Run check(const fs::path& policy) const {
    return bh::test::bulkhead("policy check " + policy.string() + " --image-dir " + dir.string());
  }
};

const std::string k_linux =
    "linux = { kernel = \"vmlinuz\", initramfs = \"initrd.cpio\", cmdline = \"console=ttyS0\" }";

// The one stderr line, with the policy path (which differs per run) cut off.
std::string only_line(const bh::test::Run& r) {
  auto l = bh::test::lines(r.err);
  REQUIRE(l.size() == 1);
  const auto at = l[0].find(": SK-");
  return at == std::string::npos ? l[0] : l[0].substr(at + 2);
}

}  // namespace

TEST_CASE("linux policy: a valid Linux partition checks, compiles and shows its pieces", "[policy][linux]") {
  Scratch s;
  auto ok = s.check(s.policy(k_linux));
  INFO(ok.err);
  CHECK(ok.status == 0);
  CHECK(ok.err.empty());
  const fs::path image = s.dir / "policy.img";
  auto compiled = bh::test::bulkhead("policy compile " + s.policy(k_linux).string() + " -o " +
                                     image.string() + " --image-dir " + s.dir.string());
  REQUIRE(compiled.status == 0);
  auto shown = bh::test::bulkhead("policy show " + image.string());
  REQUIRE(shown.status == 0);
  CHECK(shown.out.find("      linux kernel vmlinuz sha256 ") != std::string::npos);
  CHECK(shown.out.find("      linux initramfs initrd.cpio sha256 ") != std::string::npos);
  CHECK(shown.out.find("      linux cmdline \"console=ttyS0\"") != std::string::npos);
  // The image carries the kind, both digests and the command line.
  const std::string bytes = bh::test::read_file(image.string());
  sk::policy::Policy p{};
  REQUIRE(sk::policy::read_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), p).ok());
  CHECK(p.partitions[0].kind == sk::policy::Image_kind::linux_bzimage);
  CHECK(std::string(p.partitions[0].image.text) == "vmlinuz");
  CHECK(std::string(p.partitions[0].initramfs.text) == "initrd.cpio");
  CHECK(std::string(p.partitions[0].cmdline.text) == "console=ttyS0");
  const std::string rd = bh::test::read_file((s.dir / "initrd.cpio").string());
  uint8_t digest[32];
  sk::Sha256::digest(rd.data(), rd.size(), digest);
  CHECK(std::equal(digest, digest + 32, p.partitions[0].initramfs_sha256));
  CHECK(p.partitions[1].kind == sk::policy::Image_kind::elf32);
}

TEST_CASE("linux policy: a missing initramfs is one SK-IMG-1 line", "[policy][linux]") {
  Scratch s;
  fs::remove(s.dir / "initrd.cpio");
  auto r = s.check(s.policy(k_linux));
  CHECK(r.status == 1);
  CHECK(only_line(r) ==
        "SK-IMG-1: partition \"classified\" linux.initramfs \"initrd.cpio\" is not present in " +
            s.dir.string());
}

TEST_CASE("linux policy: too little memory for init_size and the initramfs is one SK-LINUX-2 line",
          "[policy][linux]") {
  Scratch s;
  // 2 MiB (first aligned address) + 8 MiB init_size + 1 MiB initramfs = 11 MiB; 10 MiB is short.
  CHECK(s.check(s.policy(k_linux, "\"11M\"")).status == 0);
  auto r = s.check(s.policy(k_linux, "\"10M\""));
  CHECK(r.status == 1);
  CHECK(only_line(r) ==
        "SK-LINUX-2: partition \"classified\": linux.kernel \"vmlinuz\" and its initramfs need 11 MiB "
        "of memory (init_size 8388608 bytes, initramfs 1048576 bytes); memory.size is 10 MiB");
}

TEST_CASE("linux policy: a kernel that is no bzImage, or a damaged one, is one SK-LINUX-2 line",
          "[policy][linux]") {
  Scratch s;
  auto elf =
      s.check(s.policy("linux = { kernel = \"open.elf\", initramfs = \"initrd.cpio\", cmdline = \"\" }"));
  CHECK(elf.status == 1);
  CHECK(only_line(elf) ==
        "SK-LINUX-2: partition \"classified\": linux.kernel \"open.elf\" cannot be booted: not a "
        "bzImage (too short)");
  bh::test::Bzimage_fields old;
  old.protocol = 0x0209;
  auto bz = bh::test::make_bzimage(old);
  std::ofstream(s.dir / "vmlinuz", std::ios::binary)
      .write(reinterpret_cast<const char*>(bz.data()), std::streamsize(bz.size()));
  auto r = s.check(s.policy(k_linux));
  CHECK(r.status == 1);
  CHECK(only_line(r) ==
        "SK-LINUX-2: partition \"classified\": linux.kernel \"vmlinuz\" cannot be booted: boot protocol "
        "older than 2.12");
}

TEST_CASE("linux policy: image or linux, not both; a long command line; pieces required", "[policy][linux]") {
  Scratch s;
  auto both = s.check(s.policy(k_linux + "\nimage = \"open.elf\""));
  CHECK(both.status == 1);
  CHECK(only_line(both).find(
            "SK-SYN-3: partition \"classified\": give either \"image\" or \"linux\", not both") !=
        std::string::npos);
  auto long_line =
      s.check(s.policy("linux = { kernel = \"vmlinuz\", initramfs = \"initrd.cpio\", cmdline = \"" +
                       std::string(512, 'x') + "\" }"));
  CHECK(long_line.status == 1);
  CHECK(only_line(long_line) ==
        "SK-LINUX-1: partition \"classified\": linux.cmdline has 512 characters; at most 511");
  auto no_rd = s.check(s.policy("linux = { kernel = \"vmlinuz\", cmdline = \"\" }"));
  CHECK(no_rd.status == 1);
  CHECK(only_line(no_rd).find(
            "SK-SYN-3: partition \"classified\": missing required field \"linux.initramfs\"") !=
        std::string::npos);
}

TEST_CASE("linux policy: image build refuses a compiled image whose Linux would not boot",
          "[policy][linux]") {
  Scratch s;
  const fs::path image = s.dir / "policy.img";
  REQUIRE(bh::test::bulkhead("policy compile " + s.policy(k_linux).string() + " -o " + image.string() +
                             " --image-dir " + s.dir.string())
              .status == 0);
  // The same image with the partition's memory cut to 8 MiB behind the compiler's back.
  std::string bytes = bh::test::read_file(image.string());
  sk::policy::Policy p{};
  REQUIRE(sk::policy::read_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), p).ok());
  p.partitions[0].memory.size = 8 * 1024 * 1024;
  std::vector<uint8_t> out(sk::policy::k_image_max_size);
  auto size = sk::policy::write_image(p, out.data(), out.size());
  REQUIRE(size.ok());
  std::ofstream(image, std::ios::binary)
      .write(reinterpret_cast<const char*>(out.data()), std::streamsize(size.value()));
  const std::string dummy = (s.dir / "open.elf").string();
  auto r = bh::test::bulkhead("image build --policy-image " + image.string() + " --image-dir " +
                              s.dir.string() + " --kernel " + dummy + " --boot-stage " + dummy + " -o " +
                              (s.dir / "esp.img").string());
  CHECK(r.status == 1);
  CHECK(bh::test::lines(r.err) ==
        std::vector<std::string>{
            "bulkhead: " + (s.dir / "vmlinuz").string() +
            ": partition \"classified\" cannot boot this Linux kernel: memory too small for its "
            "init_size and initramfs (SK-LINUX-2)"});
  CHECK(!fs::exists(s.dir / "esp.img"));
}
