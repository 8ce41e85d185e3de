// SPDX-License-Identifier: Apache-2.0
// The reference manifest: `bulkhead manifest build` predicts the events and PCR values of the
// default policy from the files themselves, refuses images the policy does not name, and writes
// JSON that crypto-storage's sealing reads; the verifier's input errors are one line, exit 2.
#include "../support/bzimage.hpp"
#include "attest_fixture.hpp"
#include "bh/attest/evidence.hpp"
#include "bh/storage/luks_disk.hpp"
#include "bh/storage/manifest_pcrs.hpp"

using namespace bh::attest_test;
namespace at = bh::attest;

TEST_CASE("manifest build: events and PCRs are the files' digests, replayed", "[attestation][manifest]") {
  bh::harness::Work_dir dir("manifest");
  const std::string policy = compile_default_policy(dir);
  const std::string out = (dir / "m.json").string();
  auto r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(), "-o", out});
  INFO(r.output);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(slurp(out));
  CHECK(j["format"] == "bulkhead-reference-manifest");
  REQUIRE(j["events"].size() == 3);
  const Bytes classified = at::read_file(image_dir() + "/classified.elf", "image");
  const Bytes open = at::read_file(image_dir() + "/open.elf", "image");
  // PCR 8 measures the policy image with each image's SHA-256 zeroed (and the header's content
  // digest recomputed over that), so it names the structure and not the images.
  Bytes policy_bytes = at::read_file(policy, "policy");
  for (const Bytes* image : {&classified, &open}) {
    const Bytes digest = at::hash(at::k_sha256, *image);
    auto at_digest = std::search(policy_bytes.begin() + 56, policy_bytes.end(), digest.begin(), digest.end());
    REQUIRE(at_digest != policy_bytes.end());
    std::fill(at_digest, at_digest + 32, uint8_t(0));
  }
  const Bytes content_digest = at::hash(at::k_sha256, Bytes(policy_bytes.begin() + 56, policy_bytes.end()));
  std::copy(content_digest.begin(), content_digest.end(), policy_bytes.begin() + 24);
  struct Want {
    uint32_t pcr;
    const Bytes* file;
    const char* text;
  } want[] = {{8, &policy_bytes, "bulkhead policy image"},
              {9, &classified, "bulkhead partition classified image classified.elf"},
              {10, &open, "bulkhead partition open image open.elf"}};
  for (size_t i = 0; i < 3; ++i) {
    CHECK(j["events"][i]["pcr"] == want[i].pcr);
    CHECK(j["events"][i]["type"] == "EV_IPL");
    CHECK(j["events"][i]["description"] == want[i].text);
    for (uint16_t bank : {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512}) {
      CHECK(j["events"][i]["digests"][at::bank_name(bank)] == at::to_hex(at::hash(bank, *want[i].file)));
    }
  }
  // Each partition its own PCR: PCR 9 = extend(0, H(classified)), PCR 10 = extend(0, H(open)),
  // per bank; PCRs 11-15 stay as reset.
  for (uint16_t bank : {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512}) {
    Bytes zero(at::bank_size(bank), 0);
    Bytes pcr8 = at::extend(bank, zero, at::hash(bank, policy_bytes).data());
    Bytes pcr9 = at::extend(bank, zero, at::hash(bank, classified).data());
    Bytes pcr10 = at::extend(bank, zero, at::hash(bank, open).data());
    CHECK(j["pcrs"][at::bank_name(bank)]["8"] == at::to_hex(pcr8));
    CHECK(j["pcrs"][at::bank_name(bank)]["9"] == at::to_hex(pcr9));
    CHECK(j["pcrs"][at::bank_name(bank)]["10"] == at::to_hex(pcr10));
    for (const char* unused : {"11", "12", "13", "14", "15"})
      CHECK(j["pcrs"][at::bank_name(bank)][unused] == at::to_hex(zero));
  }
  CHECK(j["quote"]["pcrs"] == nlohmann::json({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  // Without --kernel nothing predicts PCR 4: the disks' PCRs leave the kernel out (disk seal
  // then asks for --unmeasured-kernel).
  CHECK(j["partitions"]["classified"]["disk_pcrs"] == nlohmann::json({8, 9}));
  CHECK(j["partitions"]["open"]["disk_pcrs"] == nlohmann::json({8, 10}));
  CHECK(j["pcr_layout"]["partitions"] == nlohmann::json({{"classified", 9}, {"open", 10}}));
  CHECK(j["pcrs"]["sha256"].count("4") == 0);

  // Crypto-storage seals disks to this manifest: its reader takes the same PCR values.
  auto pcrs = bh::storage::load_manifest_pcrs(out, "classified");
  CHECK(at::to_hex(Bytes(pcrs.values.at(9).begin(), pcrs.values.at(9).end())) == j["pcrs"]["sha256"]["9"]);

  // Building twice gives the same bytes (nothing depends on time or order of a map walk).
  const std::string again = (dir / "m2.json").string();
  REQUIRE(bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(), "-o", again}).status == 0);
  CHECK(slurp(out) == slurp(again));
}

namespace {

// policies/default.toml with classified a Linux partition (a synthetic bzImage, an initramfs and
// cmdline), compiled in dir; returns the manifest `manifest build` predicts for it.
nlohmann::json linux_manifest(const bh::harness::Work_dir& dir, const std::string& cmdline, const std::string& initrd) {
  for (const char* f : {"classified.elf", "open.elf"}) fs::copy_file(image_dir() + "/" + f, dir / f, fs::copy_options::overwrite_existing);
  auto bz = bh::test::make_bzimage();
  at::write_file((dir / "vmlinuz").string(), Bytes(bz.begin(), bz.end()));
  at::write_text((dir / "initrd.cpio").string(), initrd);
  std::string text = slurp(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
  const std::string image = "image = \"classified.elf\"";
  text.replace(text.find(image), image.size(),
               "linux = { kernel = \"vmlinuz\", initramfs = \"initrd.cpio\", cmdline = \"" + cmdline + "\" }");
  at::write_text((dir / "policy.toml").string(), text);
  const std::string policy = (dir / "policy.img").string(), out = (dir / "m.json").string();
  auto r = bulkhead({"policy", "compile", (dir / "policy.toml").string(), "-o", policy, "--image-dir", dir.path().string()});
  INFO(r.output);
  REQUIRE(r.status == 0);
  r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", dir.path().string(), "-o", out});
  INFO(r.output);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(slurp(out));
}

}  // namespace

TEST_CASE(
    "manifest build: a Linux partition's kernel, initramfs and command line are three events in its PCR 9",
    "[attestation][manifest][linux]") {
  bh::harness::Work_dir dir("manifest-linux");
  const auto j = linux_manifest(dir, "console=ttyS0 quiet", "initramfs one");
  REQUIRE(j["events"].size() == 5);
  const Bytes bz = at::read_file((dir / "vmlinuz").string(), "kernel");
  const std::string cmdline = "console=ttyS0 quiet";
  struct Want {
    Bytes measured;
    const char* text;
  } want[] = {{bz, "bulkhead partition classified linux vmlinuz"},
              {Bytes{'i', 'n', 'i', 't', 'r', 'a', 'm', 'f', 's', ' ', 'o', 'n', 'e'}, "bulkhead partition classified initramfs initrd.cpio"},
              {Bytes(cmdline.begin(), cmdline.end()), "bulkhead partition classified cmdline"},
              {at::read_file(image_dir() + "/open.elf", "image"), "bulkhead partition open image open.elf"}};
  for (size_t i = 0; i < 4; ++i) {
    INFO("event " << i + 1);
    CHECK(j["events"][i + 1]["pcr"] == (i < 3 ? 9 : 10));
    CHECK(j["events"][i + 1]["description"] == want[i].text);
    for (uint16_t bank : {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512}) {
      CHECK(j["events"][i + 1]["digests"][at::bank_name(bank)] == at::to_hex(at::hash(bank, want[i].measured)));
    }
  }
  // The command line and the initramfs each change PCR 9; the command line changes PCR 8 too
  // (the policy's structure holds it), the initramfs does not (its digest is zeroed in PCR 8's
  // form); open's PCR 10 and the kernel's event stay.
  bh::harness::Work_dir other_cmdline("manifest-linux-cmdline"), other_initrd("manifest-linux-initrd");
  const auto c = linux_manifest(other_cmdline, "console=ttyS0 init=/bin/sh", "initramfs one");
  const auto d = linux_manifest(other_initrd, "console=ttyS0 quiet", "initramfs two");
  for (const auto& changed : {c, d}) {
    CHECK(changed["pcrs"]["sha256"]["9"] != j["pcrs"]["sha256"]["9"]);
    CHECK(changed["pcrs"]["sha256"]["10"] == j["pcrs"]["sha256"]["10"]);
    CHECK(changed["events"][1] == j["events"][1]);
  }
  CHECK(c["pcrs"]["sha256"]["8"] != j["pcrs"]["sha256"]["8"]);
  CHECK(d["pcrs"]["sha256"]["8"] == j["pcrs"]["sha256"]["8"]);
  CHECK(c["events"][3] != j["events"][3]);
  CHECK(c["events"][2] == j["events"][2]);
  CHECK(d["events"][2] != j["events"][2]);
  CHECK(d["events"][3] == j["events"][3]);
}

TEST_CASE("manifest build refuses inputs the kernel would refuse, naming the file", "[attestation][manifest]") {
  bh::harness::Work_dir dir("manifest-bad");
  const std::string policy = compile_default_policy(dir);
  fs::create_directories(dir / "images");
  for (const char* f : {"classified.elf", "open.elf"}) fs::copy_file(image_dir() + "/" + f, dir / "images" / f);
  Bytes open = at::read_file((dir / "images/open.elf").string(), "image");
  open[0] ^= 1;
  at::write_file((dir / "images/open.elf").string(), open);
  const std::string out = (dir / "m.json").string();
  auto r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", (dir / "images").string(), "-o", out});
  CHECK(r.status == 2);
  CHECK(r.output == "bulkhead: " + (dir / "images/open.elf").string() + ": SHA-256 differs from the image_sha256 of partition 2 (open) in " +
                        policy + " (recompile the policy)\n");
  Bytes image = at::read_file(policy, "policy");
  image[9] ^= 1;  // the revision field
  at::write_file(policy, image);
  r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(), "-o", out});
  CHECK(r.status == 2);
  CHECK(r.output.rfind("bulkhead: " + policy + ": not a valid policy image (", 0) == 0);
  CHECK(!fs::exists(out));
}

TEST_CASE("attest verify: unreadable inputs are one line naming the file and field", "[attestation][cli]") {
  bh::harness::Work_dir dir("verify-input");
  const std::string ev = (dir / "e.json").string(), m = (dir / "m.json").string(), ak = (dir / "ak.pem").string();
  at::write_text(ev, R"({"format":"bulkhead-evidence","version":1,"nonce":"00","quote":{"attest":"AA==","signature":"AA=="}})");
  at::write_text(m, "{}");
  at::write_text(ak, "-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n");
  auto r = bulkhead({"attest", "verify", "--evidence", ev, "--manifest", m, "--ak", ak, "--ek", ak, "--nonce", "00"});
  CHECK(r.status == 2);
  CHECK(r.output == "bulkhead: " + ev + ": field \"event_log\" missing or not a string\n");
  at::write_text(ev, R"({"format":"bulkhead-evidence","version":1,"nonce":"00","event_log":"","quote":{"attest":"AA==","signature":"AA=="}})");
  r = bulkhead({"attest", "verify", "--evidence", ev, "--manifest", m, "--ak", ak, "--ek", ak, "--nonce", "00"});
  CHECK(r.output == "bulkhead: " + m + ": field \"format\" missing\n");
  r = bulkhead({"attest", "verify", "--evidence", ev, "--manifest", m, "--ak", ak, "--ek", ak, "--nonce", "0g"});
  CHECK(r.output == "bulkhead: --nonce: not hexadecimal\n");
  CHECK(r.status == 2);
}

TEST_CASE("event descriptions: the boot stage's text, bounded by the buffer", "[attestation][event-log]") {
  char text[64];
  size_t n = sk::event_log::describe_partition("open", "open.elf", text, sizeof text);
  CHECK(std::string(text, n) == "bulkhead partition open image open.elf");
  CHECK(sk::event_log::describe_partition("open", "open.elf", text, 10) == 0);
  CHECK(sk::event_log::describe_policy(text, 21) == 21);
  CHECK(sk::event_log::describe_policy(text, 20) == 0);
}

// Issue 14, item 3: with the boot stage and the kernel, `manifest build` predicts PCR 4 as OVMF
// leaves it when the boot stage starts the kernel (its "Calling EFI Application from Boot
// Option" action and separator, the boot stage's Authenticode digest, the kernel ELF), and each
// disk is sealed to PCR 4, PCR 8 and its own partition's PCR. A real OVMF boot opening a disk
// sealed to it: tests/integration/kernel_linux_test.cpp.
#if BH_KERNEL_BUILT  // the kernel and boot stage exist only in a build with the kernel (not asan)
TEST_CASE("manifest build --boot-stage --kernel predicts PCR 4 and seals each disk to 4, 8 and its own PCR",
          "[attestation][manifest]") {
  bh::harness::Work_dir dir("manifest-kernel");
  const std::string policy = compile_default_policy(dir);
  const std::string out = (dir / "m.json").string();
  const std::string stage = bh::harness::build_path("sepkernel/BOOTX64.EFI").string();
  const std::string kernel = bh::harness::build_path("sepkernel/bulkhead.elf").string();
  auto r = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(),
                     "--boot-stage", stage, "--kernel", kernel, "-o", out});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("PCR 4 predicted (boot stage and kernel)") != std::string::npos);
  const auto j = nlohmann::json::parse(slurp(out));
  const std::string calling = "Calling EFI Application from Boot Option";
  for (uint16_t bank : {at::k_sha1, at::k_sha256, at::k_sha384, at::k_sha512}) {
    Bytes pcr4(at::bank_size(bank), 0);
    pcr4 = at::extend(bank, pcr4, at::hash(bank, Bytes(calling.begin(), calling.end())).data());
    pcr4 = at::extend(bank, pcr4, at::hash(bank, Bytes(4, 0)).data());
    pcr4 = at::extend(bank, pcr4,
                      at::from_hex(j["boot_stage"]["authenticode"][at::bank_name(bank)], "a").data());
    pcr4 = at::extend(bank, pcr4, at::hash(bank, at::read_file(kernel, "kernel")).data());
    CHECK(j["pcrs"][at::bank_name(bank)]["4"] == at::to_hex(pcr4));
  }
  CHECK(j["kernel"]["file"] == "bulkhead.elf");
  CHECK(j["partitions"]["classified"]["disk_pcrs"] == nlohmann::json({4, 8, 9}));
  CHECK(j["partitions"]["open"]["disk_pcrs"] == nlohmann::json({4, 8, 10}));
  auto pcrs = bh::storage::load_manifest_pcrs(out, "open");
  CHECK(pcrs.values.count(4) == 1);

  auto alone = bulkhead({"manifest", "build", "--policy-image", policy, "--image-dir", image_dir(),
                         "--kernel", kernel, "-o", (dir / "x.json").string()});
  CHECK(alone.status == 2);
  CHECK(alone.output ==
        "bulkhead: --kernel: needs --boot-stage (PCR 4 holds the boot stage before the kernel)\n");
  CHECK_FALSE(fs::exists(dir / "x.json"));
}
#endif

