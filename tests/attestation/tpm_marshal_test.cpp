// SPDX-License-Identifier: Apache-2.0
// The kernel's TPM command marshalling, sent as raw bytes to swtpm's TCP socket (what the TIS
// driver will put in the FIFO): PCR_Extend changes the PCR as ESAPI reads it; a Quote verifies
// with the provisioned AK; StartAuthSession + PolicyPCR + Unseal opens an object sealed to the
// current PCR and not after the PCR moves, and no session is left behind; damaged responses are
// refused without reading past their end.
#include <arpa/inet.h>
#include <botan/pk_keys.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "attest_fixture.hpp"
#include "bh/attest/quote.hpp"
#include "bh/tpm/keys.hpp"
#include "sk/sealed_key.hpp"
#include "sk/tpm_marshal.hpp"
#include "sk/tpm_session.hpp"

using namespace bh::attest_test;
namespace at = bh::attest;
namespace mt = sk::tpm;

namespace {

// One TCP connection to swtpm's command port: raw TPM commands, no framing.
class Raw_tpm {
 public:
  explicit Raw_tpm(const std::string& tcti) {
    const uint16_t port = uint16_t(std::stoi(tcti.substr(tcti.find("port=") + 5)));
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{10, 0};  // a TPM that does not answer fails the test instead of hanging it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Raw_tpm() { close(fd_); }
  Bytes send(sk::Result<size_t> built, const uint8_t* cmd) {
    REQUIRE(built.ok());
    REQUIRE(::send(fd_, cmd, built.value(), 0) == ssize_t(built.value()));
    Bytes out(10);
    read_exact(out.data(), 10);
    const uint32_t size = uint32_t(out[2]) << 24 | uint32_t(out[3]) << 16 | uint32_t(out[4]) << 8 | out[5];
    REQUIRE(size >= 10);
    REQUIRE(size <= 4096);
    out.resize(size);
    read_exact(out.data() + 10, size - 10);
    return out;
  }

 private:
  void read_exact(uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t got = recv(fd_, p, n, 0);
      REQUIRE(got > 0);
      p += got;
      n -= size_t(got);
    }
  }
  int fd_ = -1;
};

uint32_t code_of(const Bytes& response) {
  mt::Response r{};
  REQUIRE(mt::parse_response(response.data(), response.size(), r).ok());
  return r.code;
}

}  // namespace

TEST_CASE("tpm marshal: extend, quote, policy unseal against swtpm", "[attestation][tpm-marshal][swtpm]") {
  bh::harness::Work_dir dir("tpm-marshal");
  Provisioned_tpm tpm(dir, "keys");
  // swtpm serves one connection at a time: the raw connection and ESAPI take turns.
  auto raw_tpm = std::make_unique<Raw_tpm>(tpm.tpm->tcti());
  Raw_tpm* raw_ptr = raw_tpm.get();
  auto send = [&](sk::Result<size_t> built, const uint8_t* bytes) { return raw_ptr->send(built, bytes); };
  uint8_t cmd[512];

  // PCR_Extend of PCR 10 in sha256: ESAPI reads extend(0, d).
  const Bytes d = at::hash(at::k_sha256, Bytes{'b', 'h'});
  const mt::Bank_digest digest{mt::k_alg_sha256, d.data()};
  Bytes resp = send(mt::build_pcr_extend(cmd, sizeof cmd, 10, &digest, 1), cmd);
  REQUIRE(mt::parse_empty(resp.data(), resp.size()).ok());
  raw_tpm.reset();
  auto c = std::make_unique<bh::tpm::Context>(tpm.tpm->tcti());
  const Bytes pcr10 = bh::tpm::pcr_read(*c, at::k_sha256, {10}).values.at(0);
  CHECK(pcr10 == at::extend(at::k_sha256, Bytes(32, 0), d.data()));
  c.reset();
  raw_tpm = std::make_unique<Raw_tpm>(tpm.tpm->tcti());
  raw_ptr = raw_tpm.get();

  // Quote over PCRs 0-10 with the AK: the signature verifies over the returned attest bytes,
  // and the nonce is in it.
  const Bytes nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  resp = send(mt::build_quote(cmd, sizeof cmd, bh::tpm::k_ak_handle, nonce.data(), 16, mt::k_quote_banks, 4, 0x7FF),
              cmd);
  mt::Span attest{}, signature{};
  REQUIRE(mt::parse_quote(resp.data(), resp.size(), attest, signature).ok());
  const Bytes attest_bytes(attest.bytes, attest.bytes + attest.size);
  auto ak = at::key_from_tpm2b_public(at::read_file((tpm.keys / "ak.pub").string(), "ak"), "ak");
  CHECK(at::verify_quote_signature(*ak, attest_bytes,
                                   at::parse_signature(Bytes(signature.bytes, signature.bytes + signature.size))));
  CHECK(at::parse_quote(attest_bytes).extra_data == nonce);
  // Every bank asked for comes back; the TPM (sha256 alone allocated) empties the others, under
  // the AK's signature: what the verifier's every-bank rule relies on.
  const auto selections = at::parse_quote(attest_bytes).selections;
  REQUIRE(selections.size() == 4);
  for (const auto& s : selections) {
    INFO("bank " << s.bank);
    CHECK(s.pcrs.size() == (s.bank == at::k_sha256 ? 11u : 0u));
  }

  // Every truncation and a wrong size field or tag of that response are refused.
  for (size_t n = 0; n < resp.size(); ++n) {
    Bytes cut(resp.begin(), resp.begin() + long(n));
    cut.resize(n);
    if (n >= 6) {  // keep the size field consistent so the inner length checks are reached
      cut[2] = uint8_t(n >> 24), cut[3] = uint8_t(n >> 16), cut[4] = uint8_t(n >> 8), cut[5] = uint8_t(n);
    }
    INFO("cut at " << n);
    CHECK(!mt::parse_quote(cut.data(), cut.size(), attest, signature).ok());
  }
  Bytes bad = resp;
  bad[5] ^= 1;
  CHECK(mt::parse_quote(bad.data(), bad.size(), attest, signature).error() == sk::Error::bad_size);
  bad = resp;
  bad[1] = 0xC4;
  CHECK(mt::parse_quote(bad.data(), bad.size(), attest, signature).error() == sk::Error::bad_magic);

  // An object sealed to PolicyPCR(sha256: PCR 10 as it is now), persistent at 0x81000100.
  Bytes policy_input(32, 0);
  for (uint8_t b : {0x00, 0x00, 0x01, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0B, 0x03, 0x00, 0x04, 0x00}) {
    policy_input.push_back(b);  // TPM_CC_PolicyPCR, TPML_PCR_SELECTION {sha256: PCR 10}
  }
  const Bytes pcr_hash = at::hash(at::k_sha256, pcr10);
  policy_input.insert(policy_input.end(), pcr_hash.begin(), pcr_hash.end());
  const Bytes secret = {'k', 'e', 'y'};
  raw_tpm.reset();
  {
    bh::tpm::Context esys(tpm.tpm->tcti());
    bh::tpm::Key srk = bh::tpm::create_storage_primary(esys);
    bh::tpm::Key sealed = bh::tpm::create_sealed(esys, srk, secret, at::hash(at::k_sha256, policy_input));
    bh::tpm::persist(esys, sealed, 0x81000100, true);
  }
  raw_tpm = std::make_unique<Raw_tpm>(tpm.tpm->tcti());
  raw_ptr = raw_tpm.get();
  auto unseal = [&](Bytes& out) -> uint32_t {
    const uint8_t nonce_caller[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    Bytes r = send(mt::build_start_policy_session(cmd, sizeof cmd, nonce_caller, 16), cmd);
    auto session = mt::parse_start_auth_session(r.data(), r.size());
    REQUIRE(session.ok());
    r = send(mt::build_policy_pcr(cmd, sizeof cmd, session.value(), mt::k_alg_sha256, 1u << 10), cmd);
    REQUIRE(mt::parse_empty(r.data(), r.size()).ok());
    r = send(mt::build_unseal(cmd, sizeof cmd, 0x81000100, session.value()), cmd);
    mt::Span data{};
    if (mt::parse_unseal(r.data(), r.size(), data).ok()) {
      out.assign(data.bytes, data.bytes + data.size);
      return 0;
    }
    // A failed policy command does not flush its session: the kernel must.
    Bytes f = send(mt::build_flush_context(cmd, sizeof cmd, session.value()), cmd);
    REQUIRE(mt::parse_empty(f.data(), f.size()).ok());
    return code_of(r);
  };
  Bytes got;
  CHECK(unseal(got) == 0);
  CHECK(got == secret);
  resp = send(mt::build_pcr_extend(cmd, sizeof cmd, 10, &digest, 1), cmd);  // the configuration changes
  REQUIRE(mt::parse_empty(resp.data(), resp.size()).ok());
  got.clear();
  CHECK((unseal(got) & 0xFF) == 0x9d);  // TPM_RC_POLICY_FAIL (session 1)
  CHECK(got.empty());
  // No session is left in the TPM.
  raw_tpm.reset();
  bh::tpm::Context esys(tpm.tpm->tcti());
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* caps = nullptr;
  bh::tpm::check(Esys_GetCapability(esys.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                                    TPM2_LOADED_SESSION_FIRST, 16, &more, &caps),
                 "GetCapability");
  CHECK(caps->data.handles.count == 0);
  Esys_Free(caps);
}

TEST_CASE("tpm marshal: the kernel's unseal sequence opens a disk sealed by bulkhead disk seal, not after PCR 9 moves",
          "[attestation][tpm-marshal][swtpm][storage]") {
  namespace fs = std::filesystem;
  bh::harness::Work_dir dir("tpm-marshal-disk");
  // A policy whose classified partition has a disk, its images beside it.
  std::ifstream src(std::string(BH_SOURCE_DIR) + "/policies/default.toml");
  std::string text((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
  const std::string anchor = "image = \"classified.elf\"\n";
  REQUIRE(text.find(anchor) != std::string::npos);
  text.insert(text.find(anchor) + anchor.size(), "disk = \"classified.disk\"\n");
  std::ofstream(dir / "policy.toml") << text;
  for (const char* g : {"classified.elf", "open.elf"}) fs::copy(bh::harness::build_path(std::string("guests/") + g), dir / g);
  std::ofstream(dir / "pass") << "correct horse battery staple\n";
  const std::string disk = (dir / "classified.disk").string();
  auto run = [&](std::vector<std::string> args) {
    auto r = bulkhead(args);
    INFO(r.output);
    REQUIRE(r.status == 0);
  };
  run({"disk", "create", "--policy", (dir / "policy.toml").string(), "--partition", "classified", "--size", "1M", "-o",
       disk, "--recovery-passphrase-file", (dir / "pass").string()});
  run({"policy", "compile", (dir / "policy.toml").string(), "-o", (dir / "policy.img").string(), "--image-dir",
       dir.path().string()});
  run({"manifest", "build", "--policy-image", (dir / "policy.img").string(), "--image-dir", dir.path().string(), "-o",
       (dir / "manifest.json").string()});
  Provisioned_tpm tpm(dir, "keys");
  run({"disk", "seal", "--unmeasured-kernel", "--disk", disk, "--manifest", (dir / "manifest.json").string(),
       "--partition", "classified", "--tcti", tpm.tpm->tcti(), "--passphrase-file", (dir / "pass").string()});
  run({"disk", "recover", "--disk", disk, "--passphrase-file", (dir / "pass").string(), "--export-key",
       (dir / "volume.key").string()});
  const std::string volume_key = slurp(dir / "volume.key");
  // The measured boot the disk was sealed to.
  const at::Manifest m = at::manifest_from_json(slurp(dir / "manifest.json"), "manifest");
  simulate_boot(tpm.tpm->tcti(), m.events);

  // What the kernel reads from the disk: the LUKS2 header and the sealed-key area.
  std::ifstream image(disk, std::ios::binary);
  Bytes header(16384), area(sk::storage::k_sealed_area_size);
  image.read(reinterpret_cast<char*>(header.data()), std::streamsize(header.size()));
  image.seekg(std::streamoff(sk::storage::k_sealed_area_offset));
  image.read(reinterpret_cast<char*>(area.data()), std::streamsize(area.size()));
  static sk::storage::Sealed_key k;
  REQUIRE(sk::storage::read_sealed_key(area.data(), area.size(), k).ok());
  REQUIRE(sk::storage::check_disk_binding(header.data(), header.size(), k).ok());

  auto raw = std::make_unique<Raw_tpm>(tpm.tpm->tcti());
  uint8_t cmd[4096];
  auto unseal = [&](Bytes& out) -> uint32_t {
    Bytes r = raw->send(mt::build_create_primary_storage(cmd, sizeof cmd), cmd);
    uint32_t primary = 0, object = 0;
    mt::Span name{};
    REQUIRE(mt::parse_object_created(r.data(), r.size(), primary, name).ok());
    // The primary's name is the one the disk was sealed under: same TPM, same owner seed.
    CHECK(Bytes(name.bytes, name.bytes + name.size) == Bytes(k.parent_name.data, k.parent_name.data + k.parent_name.size));
    r = raw->send(mt::build_load(cmd, sizeof cmd, primary, k.sealed_private.data, k.sealed_private.size,
                                 k.sealed_public.data, k.sealed_public.size),
                  cmd);
    REQUIRE(mt::parse_object_created(r.data(), r.size(), object, name).ok());
    const uint8_t nonce_caller[16] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
    r = raw->send(mt::build_start_policy_session(cmd, sizeof cmd, nonce_caller, 16), cmd);
    auto session = mt::parse_start_auth_session(r.data(), r.size());
    REQUIRE(session.ok());
    r = raw->send(mt::build_policy_pcr(cmd, sizeof cmd, session.value(), k.pcr_hash_alg, k.pcr_mask), cmd);
    REQUIRE(mt::parse_empty(r.data(), r.size()).ok());
    r = raw->send(mt::build_unseal(cmd, sizeof cmd, object, session.value()), cmd);
    uint32_t code = code_of(r);
    mt::Span data{};
    if (mt::parse_unseal(r.data(), r.size(), data).ok()) {
      out.assign(data.bytes, data.bytes + data.size);
    } else {
      CHECK(mt::parse_empty(raw->send(mt::build_flush_context(cmd, sizeof cmd, session.value()), cmd).data(), 10).ok());
    }
    for (uint32_t h : {object, primary}) {
      Bytes f = raw->send(mt::build_flush_context(cmd, sizeof cmd, h), cmd);
      CHECK(mt::parse_empty(f.data(), f.size()).ok());
    }
    return code;
  };
  Bytes key;
  REQUIRE(unseal(key) == 0);
  // What the TPM releases: the volume key, then the disk's identity as the kernel computes it.
  REQUIRE(key.size() == sk::storage::k_sealed_secret_size);
  CHECK(std::string(key.begin(), key.begin() + sk::storage::k_volume_key_size) == volume_key);
  uint8_t identity[32];
  sk::storage::disk_identity("classified", header.data() + 168, k.luks_digest, identity);
  CHECK(std::equal(identity, identity + 32, key.begin() + sk::storage::k_volume_key_size));
  CHECK(sk::storage::luks_digest_matches(k.luks_digest, key.data()));

  // The kernel's salted, encrypted session (sk/tpm_session.hpp, docs/storage.md): the storage
  // primary's Name computed from its public area is the one sealed under; the Unseal response
  // carries the key only encrypted; a response altered by one bit is refused; the intact one
  // decrypts to the same key.
  {
    Bytes r = raw->send(mt::build_create_primary_storage(cmd, sizeof cmd), cmd);
    mt::Ecc_primary primary{};
    REQUIRE(mt::parse_create_primary_ecc(r.data(), r.size(), primary).ok());
    CHECK(Bytes(primary.name, primary.name + mt::k_name_size) ==
          Bytes(k.parent_name.data, k.parent_name.data + k.parent_name.size));
    uint8_t item_name[mt::k_name_size];
    REQUIRE(mt::object_name(k.sealed_public.data, k.sealed_public.size, item_name).ok());
    r = raw->send(mt::build_load(cmd, sizeof cmd, primary.handle, k.sealed_private.data, k.sealed_private.size,
                                 k.sealed_public.data, k.sealed_public.size),
                  cmd);
    uint32_t object = 0;
    mt::Span name{};
    REQUIRE(mt::parse_object_created(r.data(), r.size(), object, name).ok());
    CHECK(Bytes(name.bytes, name.bytes + name.size) == Bytes(item_name, item_name + mt::k_name_size));
    uint8_t seed[32], first[32], second[32];
    for (int i = 0; i < 32; ++i) {
      seed[i] = uint8_t(i * 7 + 1);
      first[i] = uint8_t(i * 11 + 2);
      second[i] = uint8_t(i * 13 + 3);
    }
    mt::Session session{};
    r = raw->send(mt::build_start_salted_policy_session(cmd, sizeof cmd, primary, seed, first, session), cmd);
    REQUIRE(mt::parse_start_salted_session(r.data(), r.size(), session).ok());
    r = raw->send(mt::build_policy_pcr(cmd, sizeof cmd, session.handle, k.pcr_hash_alg, k.pcr_mask), cmd);
    REQUIRE(mt::parse_empty(r.data(), r.size()).ok());
    r = raw->send(mt::build_unseal_salted(cmd, sizeof cmd, object, item_name, session, second), cmd);
    REQUIRE(code_of(r) == 0);
    const std::string wire(r.begin(), r.end());
    CHECK(wire.find(volume_key.substr(0, 8)) == std::string::npos);
    CHECK(wire.find(volume_key.substr(56, 8)) == std::string::npos);
    for (size_t at : {size_t(16), size_t(40), r.size() - 1}) {  // sealed data, its middle, the HMAC
      Bytes altered = r;
      altered[at] ^= 0x01;
      mt::Session copy = session;
      mt::Span data{};
      CHECK(mt::parse_unseal_salted(altered.data(), altered.size(), copy, data).error() == sk::Error::bad_digest);
    }
    mt::Span data{};
    REQUIRE(mt::parse_unseal_salted(r.data(), r.size(), session, data).ok());
    CHECK(std::string(data.bytes, data.bytes + sk::storage::k_volume_key_size) == volume_key);
    for (uint32_t h : {object, primary.handle}) {
      Bytes f = raw->send(mt::build_flush_context(cmd, sizeof cmd, h), cmd);
      CHECK(mt::parse_empty(f.data(), f.size()).ok());
    }
  }

  // PCR 9 moves (another image measured): the same sequence is refused by the TPM.
  const uint8_t other[32] = {0xBA, 0xD};
  mt::Bank_digest d{mt::k_alg_sha256, other};
  Bytes r = raw->send(mt::build_pcr_extend(cmd, sizeof cmd, 9, &d, 1), cmd);
  REQUIRE(mt::parse_empty(r.data(), r.size()).ok());
  Bytes none;
  CHECK((unseal(none) & 0xFF) == 0x9d);  // TPM_RC_POLICY_FAIL
  CHECK(none.empty());
}
