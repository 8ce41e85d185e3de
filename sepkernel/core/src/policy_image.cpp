// SPDX-License-Identifier: Apache-2.0
// The compiled policy image (layout in policy_image.hpp): explicit little-endian encoding,
// field by field, so the format does not depend on the compiler's struct layout.
//
// Content, in order (counts first, then exactly `count` entries of each table):
//   platform: ram_size u64, kernel_reserved.base u64, kernel_reserved.size u64, cpu_count u8
//   label_count u32; per label: name[32], level u8, colour_fg u8, colour_bg u8
//   partition_count u32; per partition: name[32], label u16, cpu u8,
//     on_violation u8, console u8, attestation_agent u8, debug_log u8, virtual_pc u8,
//     memory (base u64, size u64),
//     kind u8, image[64], image_sha256[32], initramfs[64], initramfs_sha256[32], cmdline[512],
//     disk[64], io_count u32, io (first u16, count u16) * io_count,
//     mmio_count u32, mmio (base u64, size u64) * mmio_count, irq_count u32, irq u8 * irq_count
//   channel_count u32; per channel: name[32], writer u16, reader u16, memory (u64, u64), guest u64
//   cpu_count plans; per plan: major_frame_us u32, frame_count u32,
//     per frame: partition u16, duration_us u32
// Strings are stored whole: NUL-terminated inside the field and zero after the NUL, so a
// policy has exactly one image.
#include "sk/policy_image.hpp"

#include "sk/sha256.hpp"

namespace sk::policy {

namespace {

class Writer {
 public:
  Writer(uint8_t* out, size_t capacity) : out_(out), capacity_(capacity) {}
  void u8(uint8_t v) {
    if (pos_ < capacity_) out_[pos_] = v;
    ++pos_;  // counts on past the capacity, so the caller learns the size it would need
  }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void bytes(const void* data, size_t n) {
    for (size_t i = 0; i < n; ++i) u8(static_cast<const uint8_t*>(data)[i]);
  }
  // Writes a fixed-size string field: the text up to its NUL, then zeros (canonical form).
  void string(const char* text, size_t n) {
    bool ended = false;
    for (size_t i = 0; i < n; ++i) {
      if (text[i] == '\0' || i + 1 == n) ended = true;
      u8(ended ? 0 : static_cast<uint8_t>(text[i]));
    }
  }
  void range(const Range& r) { u64(r.base); u64(r.size); }
  size_t pos() const { return pos_; }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  uint8_t* out_;
  size_t capacity_;
  size_t pos_ = 0;
};

class Reader {
 public:
  Reader(const uint8_t* in, size_t size) : in_(in), size_(size) {}
  // Every getter records the first error and returns zero from then on.
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  bool flag() {
    uint8_t v = u8();
    if (v > 1) fail(Error::out_of_range);
    return v == 1;
  }
  uint32_t count(uint32_t max) {
    uint32_t n = u32();
    if (n > max) {
      fail(Error::out_of_range);
      return 0;
    }
    return n;
  }
  template <size_t N>
  void string(char (&out)[N]) {
    bool ended = false;
    for (size_t i = 0; i < N; ++i) {
      char c = static_cast<char>(u8());
      if (ended && c != '\0') fail(Error::out_of_range);  // bytes after the NUL must be zero
      if (c == '\0') ended = true;
      out[i] = c;
    }
    if (!ended) fail(Error::out_of_range);  // not terminated inside its field
  }
  Range range() {
    Range r{};
    r.base = u64();
    r.size = u64();
    return r;
  }
  void fail(Error e) {
    if (error_ == Error::none) error_ = e;
  }
  Error error() const { return error_; }
  bool at_end() const { return pos_ == size_; }

 private:
  uint64_t le(int n) {
    if (error_ != Error::none) return 0;
    if (size_ - pos_ < static_cast<size_t>(n)) {
      fail(Error::truncated);
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  const uint8_t* in_;
  size_t size_;
  size_t pos_ = 0;
  Error error_ = Error::none;
};

// digests: false writes every image_sha256 and initramfs_sha256 as zeros (the measured form).
void write_content(const Policy& p, Writer& w, bool digests) {
  const uint8_t zero[32] = {};
  w.u64(p.platform.ram_size);
  w.range(p.platform.kernel_reserved);
  w.u8(p.platform.cpu_count);
  w.u32(p.label_count);
  for (uint32_t i = 0; i < p.label_count && i < k_max_labels; ++i) {
    w.string(p.labels[i].name.text, k_name_len);
    w.u8(p.labels[i].level);
    w.u8(static_cast<uint8_t>(p.labels[i].colour_fg));
    w.u8(static_cast<uint8_t>(p.labels[i].colour_bg));
  }
  w.u32(p.partition_count);
  for (uint32_t i = 0; i < p.partition_count && i < k_max_partitions; ++i) {
    const Partition& q = p.partitions[i];
    w.string(q.name.text, k_name_len);
    w.u16(q.label);
    w.u8(q.cpu);
    w.u8(static_cast<uint8_t>(q.on_violation));
    w.u8(q.console ? 1 : 0);
    w.u8(q.attestation_agent ? 1 : 0);
    w.u8(q.debug_log ? 1 : 0);
    w.u8(q.virtual_pc ? 1 : 0);
    w.range(q.memory);
    w.u8(static_cast<uint8_t>(q.kind));
    w.string(q.image.text, k_path_len);
    w.bytes(digests ? q.image_sha256 : zero, sizeof q.image_sha256);
    w.string(q.initramfs.text, k_path_len);
    w.bytes(digests ? q.initramfs_sha256 : zero, sizeof q.initramfs_sha256);
    w.string(q.cmdline.text, k_cmdline_len);
    w.string(q.disk.text, k_path_len);
    w.u32(q.io_count);
    for (uint32_t k = 0; k < q.io_count && k < k_max_io_ranges; ++k) {
      w.u16(q.io[k].first);
      w.u16(q.io[k].count);
    }
    w.u32(q.mmio_count);
    for (uint32_t k = 0; k < q.mmio_count && k < k_max_mmio_ranges; ++k) w.range(q.mmio[k]);
    w.u32(q.irq_count);
    for (uint32_t k = 0; k < q.irq_count && k < k_max_irqs; ++k) w.u8(q.irqs[k]);
  }
  w.u32(p.channel_count);
  for (uint32_t i = 0; i < p.channel_count && i < k_max_channels; ++i) {
    const Channel& c = p.channels[i];
    w.string(c.name.text, k_name_len);
    w.u16(c.writer);
    w.u16(c.reader);
    w.range(c.memory);
    w.u64(c.guest_address);
  }
  for (uint32_t c = 0; c < p.platform.cpu_count && c < k_max_cpus; ++c) {
    const Cpu_plan& plan = p.cpus[c];
    w.u32(plan.major_frame_us);
    w.u32(plan.frame_count);
    for (uint32_t f = 0; f < plan.frame_count && f < k_max_frames_per_cpu; ++f) {
      w.u16(plan.frames[f].partition);
      w.u32(plan.frames[f].duration_us);
    }
  }
}

void read_content(Reader& r, Policy& p) {
  p.platform.ram_size = r.u64();
  p.platform.kernel_reserved = r.range();
  p.platform.cpu_count = r.u8();
  if (p.platform.cpu_count > k_max_cpus) r.fail(Error::out_of_range);
  p.label_count = r.count(k_max_labels);
  for (uint32_t i = 0; i < p.label_count; ++i) {
    r.string(p.labels[i].name.text);
    p.labels[i].level = r.u8();
    const uint8_t fg = r.u8();
    const uint8_t bg = r.u8();
    if (fg > static_cast<uint8_t>(Colour::white) || bg > static_cast<uint8_t>(Colour::white)) {
      r.fail(Error::out_of_range);
    }
    p.labels[i].colour_fg = static_cast<Colour>(fg & 0xF);
    p.labels[i].colour_bg = static_cast<Colour>(bg & 0xF);
  }
  p.partition_count = r.count(k_max_partitions);
  for (uint32_t i = 0; i < p.partition_count; ++i) {
    Partition& q = p.partitions[i];
    r.string(q.name.text);
    q.label = r.u16();
    q.cpu = r.u8();
    uint8_t on = r.u8();
    if (on > static_cast<uint8_t>(On_violation::inject_fault)) r.fail(Error::out_of_range);
    q.on_violation = on == 1 ? On_violation::inject_fault : On_violation::stop;
    q.console = r.flag();
    q.attestation_agent = r.flag();
    q.debug_log = r.flag();
    q.virtual_pc = r.flag();
    q.memory = r.range();
    const uint8_t kind = r.u8();
    if (kind > static_cast<uint8_t>(Image_kind::linux_bzimage)) r.fail(Error::out_of_range);
    q.kind = kind == 1 ? Image_kind::linux_bzimage : Image_kind::elf32;
    r.string(q.image.text);
    for (auto& b : q.image_sha256) b = r.u8();
    r.string(q.initramfs.text);
    for (auto& b : q.initramfs_sha256) b = r.u8();
    r.string(q.cmdline.text);
    r.string(q.disk.text);
    q.io_count = r.count(k_max_io_ranges);
    for (uint32_t k = 0; k < q.io_count; ++k) {
      q.io[k].first = r.u16();
      q.io[k].count = r.u16();
    }
    q.mmio_count = r.count(k_max_mmio_ranges);
    for (uint32_t k = 0; k < q.mmio_count; ++k) q.mmio[k] = r.range();
    q.irq_count = r.count(k_max_irqs);
    for (uint32_t k = 0; k < q.irq_count; ++k) q.irqs[k] = r.u8();
  }
  p.channel_count = r.count(k_max_channels);
  for (uint32_t i = 0; i < p.channel_count; ++i) {
    Channel& c = p.channels[i];
    r.string(c.name.text);
    c.writer = r.u16();
    c.reader = r.u16();
    c.memory = r.range();
    c.guest_address = r.u64();
  }
  for (uint32_t c = 0; c < p.platform.cpu_count && c < k_max_cpus; ++c) {
    Cpu_plan& plan = p.cpus[c];
    plan.major_frame_us = r.u32();
    plan.frame_count = r.count(k_max_frames_per_cpu);
    for (uint32_t f = 0; f < plan.frame_count; ++f) {
      plan.frames[f].partition = r.u16();
      plan.frames[f].duration_us = r.u32();
    }
  }
}

void put_u32(uint8_t* at, uint32_t v) {
  for (int i = 0; i < 4; ++i) at[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{at[i]} << (8 * i);
  return v;
}

}  // namespace

namespace {

Result<size_t> write(const Policy& p, uint8_t* out, size_t capacity, bool digests) {
  if (capacity < k_image_header_size) return Error::no_space;
  Writer w(out + k_image_header_size, capacity - k_image_header_size);
  write_content(p, w, digests);
  size_t total = k_image_header_size + w.pos();
  if (total > capacity || total > k_image_max_size) return Error::no_space;
  for (size_t i = 0; i < sizeof k_image_magic; ++i) out[i] = k_image_magic[i];
  put_u32(out + 8, k_image_revision);
  put_u32(out + 12, k_image_header_size);
  put_u32(out + 16, static_cast<uint32_t>(total));
  put_u32(out + 20, 0);
  Sha256::digest(out + k_image_header_size, w.pos(), out + 24);
  return total;
}

}  // namespace

Result<size_t> write_image(const Policy& p, uint8_t* out, size_t capacity) {
  return write(p, out, capacity, true);
}

Result<size_t> write_measured_form(const Policy& p, uint8_t* out, size_t capacity) {
  return write(p, out, capacity, false);
}

Status read_image(const uint8_t* image, size_t size, Policy& out) {
  out = Policy{};
  if (size < k_image_header_size) return Error::truncated;
  for (size_t i = 0; i < sizeof k_image_magic; ++i) {
    if (image[i] != k_image_magic[i]) return Error::bad_magic;
  }
  if (get_u32(image + 8) != k_image_revision) return Error::bad_revision;
  if (get_u32(image + 12) != k_image_header_size) return Error::bad_size;
  uint32_t total = get_u32(image + 16);
  if (total != size || total > k_image_max_size) return Error::bad_size;
  if (get_u32(image + 20) != 0) return Error::out_of_range;
  uint8_t digest[Sha256::k_digest_size];
  Sha256::digest(image + k_image_header_size, size - k_image_header_size, digest);
  uint8_t diff = 0;
  for (size_t i = 0; i < sizeof digest; ++i) diff |= static_cast<uint8_t>(digest[i] ^ image[24 + i]);
  if (diff != 0) return Error::bad_digest;

  Reader r(image + k_image_header_size, size - k_image_header_size);
  read_content(r, out);
  if (r.error() == Error::none && !r.at_end()) r.fail(Error::bad_size);  // bytes after the content
  if (r.error() != Error::none) {
    Error e = r.error();
    out = Policy{};  // never leave a half-decoded policy behind
    return e;
  }
  return Status{};
}

}  // namespace sk::policy
