#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The policy image's field codecs and header as a proof (issue 15, item 6): Z3 proves, for all
values, that each codec of sepkernel/core/src/policy_image.cpp (transcribed below) is a bijection
between the values a canonical policy holds and the bytes the reader accepts: little-endian
u16/u32/u64, the fixed-size string fields (32 and 64 bytes; 512 with IMAGE_PROOF_CMDLINE=1),
flags, colours, on_violation, the image kind, every table count and cpu_count; and that
read_image's header checks accept exactly the header write_image writes for content of that size
(SHA-256 as an uninterpreted digest of the content).
That the fields follow each other in the same order on both sides (the composition) is tested,
not proved: tests/unit/policy_image_roundtrip_test.cpp. Broken variants must each be refuted.
Usage: image_proof.py   (/usr/bin/python3: Debian's python3-z3)
"""
import os
import pathlib
import re
import sys
import time

try:
    from z3 import (And, BitVec, BitVecVal, BoolVal, Concat, Extract, If, Not, Or, Solver, UGT, ULE, ULT, ZeroExt,
                    sat, unsat)
except ImportError:
    sys.exit("image_proof: no Z3 module for this Python: run it with /usr/bin/python3 after "
             "`apt-get install python3-z3` (scripts/bootstrap.sh)")

ROOT = pathlib.Path(__file__).resolve().parents[3]


def read_constants():
    """k_ constants of policy.hpp and policy_image.hpp that are plain integers."""
    consts = {}
    for header in ("policy.hpp", "policy_image.hpp"):
        text = (ROOT / "sepkernel/core/include/sk" / header).read_text()
        for name, expr in re.findall(r"inline constexpr \w+ (k_\w+) = ([0-9x* ]+);", text):
            consts[name] = eval(expr, {"__builtins__": {}})  # digits and * only
    return consts


C = read_constants()
HEADER = C["k_image_header_size"]
MAX_SIZE = C["k_image_max_size"]
REVISION = C["k_image_revision"]
MAGIC = b"BKPOLICY"  # policy_image.hpp: k_image_magic
WHITE, INJECT_FAULT, LINUX_BZIMAGE = 15, 1, 1  # policy.hpp: Colour::white, On_violation::inject_fault, Image_kind
COUNTS = {"label_count": C["k_max_labels"], "partition_count": C["k_max_partitions"],
          "channel_count": C["k_max_channels"], "io_count": C["k_max_io_ranges"],
          "mmio_count": C["k_max_mmio_ranges"], "irq_count": C["k_max_irqs"],
          "frame_count": C["k_max_frames_per_cpu"]}


# ------------------------------------------------------------------------------------------------
# The transcription (policy_image.cpp). Each codec: write(value) -> bytes, read(bytes) -> (ok, value).

def le_write(v, n):
    """Writer::le (policy_image.cpp:52-54): byte i is v >> 8i."""
    return [Extract(8 * i + 7, 8 * i, v) for i in range(n)]


def le_read(b, variant=None):
    """Reader::le (:105-116): v |= in[i] << 8i, once the bytes are there (the size check is the
    composition's, tested)."""
    n = len(b)
    v = BitVecVal(0, 8 * n)
    for i, byte in enumerate(b):
        shift = 8 * i if variant != "le reads big-endian" else 8 * (n - 1 - i)
        v = v | (ZeroExt(8 * n - 8, byte) << shift)
    return BoolVal(True), v


def string_write(text, variant=None):
    """Writer::string (:41-47): the text up to its NUL (or the field's last byte), then zeros."""
    out, ended = [], BoolVal(False)
    for i, c in enumerate(text):
        last = len(text) - (2 if variant == "string writer ends a byte early" else 1)
        ended = Or(ended, c == 0, BoolVal(i == last))
        out.append(If(ended, BitVecVal(0, 8), c))
    return out


def string_read(b, variant=None):
    """Reader::string (:81-92): fails on a non-zero byte after the NUL, or no NUL in the field."""
    ok, ended, out = BoolVal(True), BoolVal(False), []
    for c in b:
        if variant != "string reader ignores bytes after the NUL":
            ok = And(ok, Not(And(ended, c != 0)))
        ended = Or(ended, c == 0)
        out.append(c)
    return And(ok, ended), out


def flag_read(b, variant=None):
    """Reader::flag (:68-72): fails above 1; true iff 1."""
    limit = 1 if variant != "flag accepts 2" else 2
    return ULE(b, limit), b == 1


def flag_write(v):
    """w.u8(x ? 1 : 0) (write_content)"""
    return If(v, BitVecVal(1, 8), BitVecVal(0, 8))


def count_read(b, limit, variant=None):
    """Reader::count (:73-80): a u32, failing above max (and returning 0)."""
    ok, n = le_read(b)
    bad = UGT(n, limit) if variant != "count allows max + 1" else UGT(n, limit + 1)
    return Not(bad), If(bad, BitVecVal(0, 32), n)


def colour_read(b):
    """read_content (:191-197): a label's colours; fails above Colour::white; stores fg & 0xF."""
    return ULE(b, WHITE), b & 0xF


def on_violation_read(b):
    """read_content (:205-207): fails above inject_fault; inject_fault iff 1, else stop."""
    return ULE(b, INJECT_FAULT), If(b == 1, BitVecVal(1, 8), BitVecVal(0, 8))


def kind_read(b):
    """read_content (:213-215): fails above Image_kind::linux_bzimage; linux_bzimage iff 1, else elf32."""
    return ULE(b, LINUX_BZIMAGE), If(b == 1, BitVecVal(1, 8), BitVecVal(0, 8))


def cpu_count_read(b):
    """read_content (:185-186): cpu_count fails above k_max_cpus."""
    return ULE(b, C["k_max_cpus"]), b


def header_write(total, digest):
    """write_image (:263-275): magic, revision, header size, total, reserved 0, digest."""
    out = [BitVecVal(x, 8) for x in MAGIC]
    for v in (BitVecVal(REVISION, 32), BitVecVal(HEADER, 32), Extract(31, 0, total), BitVecVal(0, 32)):
        out += le_write(v, 4)
    return out + digest


def header_read(h, size, digest, variant=None):
    """read_image (:278-293) up to the content: True iff every header check passes. h: the 56 header
    bytes, size: the image size (size_t), digest: SHA-256 of image[56..size)."""
    get = lambda at: le_read(h[at:at + 4])[1]
    ok = Not(ULT(size, HEADER))  # :280
    ok = And(ok, *[h[i] == MAGIC[i] for i in range(8)])  # :281-283
    ok = And(ok, get(8) == REVISION, get(12) == HEADER)  # :284-285
    total = ZeroExt(32, get(16))
    ok = And(ok, total == size, ULE(total, MAX_SIZE))  # :286-287
    if variant != "reserved word not checked":
        ok = And(ok, get(20) == 0)  # :288
    return And(ok, *[h[24 + i] == digest[i] for i in range(32)])  # :289-293


# ------------------------------------------------------------------------------------------------
# The claims: for each codec, (1) every value a canonical policy holds comes back, (2) the
# reader accepts exactly the bytes the writer writes for some value: for every byte string,
# accepted iff it is the encoding of what it decodes to.

# The string fields: Reader::string and Writer::string are one template for every length; the
# 512-byte command line takes about a minute more, so CI proves the 32- and 64-byte instances
# and IMAGE_PROOF_CMDLINE=1 adds the 512-byte one (the property test covers it in CI).
STRING_FIELDS = [(C["k_name_len"], "name"), (C["k_path_len"], "path")]
if os.environ.get("IMAGE_PROOF_CMDLINE") == "1":
    STRING_FIELDS.append((C["k_cmdline_len"], "cmdline"))


def bytes_(name, n):
    return [BitVec(f"{name}{i}", 8) for i in range(n)]


def same(a, b):
    return And([x == y for x, y in zip(a, b)])


def claims(variant=None):
    out = []
    for n in (2, 4, 8):
        v, b = BitVec(f"u{8 * n}", 8 * n), bytes_("b", n)
        ok, back = le_read(le_write(v, n), variant)
        out.append((f"u{8 * n}: read(write(v)) == v", Not(And(ok, back == v))))
        ok, w = le_read(b, variant)
        out.append((f"u{8 * n}: write(read(b)) == b", Not(same(le_write(w, n), b))))
    for n, what in STRING_FIELDS:
        text, b = bytes_("text", n), bytes_("b", n)
        # Canonical: a NUL inside the field, and every byte after a NUL is zero (linear in n).
        after_nul, tail = BoolVal(False), []
        for c in text:
            tail.append(Not(And(after_nul, c != 0)))
            after_nul = Or(after_nul, c == 0)
        canonical = And(after_nul, *tail)
        ok, back = string_read(string_write(text, variant), variant)
        out.append((f"{what}[{n}]: a canonical string comes back", Not(Or(Not(canonical), And(ok, same(back, text))))))
        out.append((f"{what}[{n}]: any other string does not", And(Not(canonical), ok, same(back, text))))
        ok, back = string_read(b, variant)
        out.append((f"{what}[{n}]: accepted bytes are the encoding of what they decode to",
                    And(ok, Not(same(string_write(back, variant), b)))))
        out.append((f"{what}[{n}]: the bytes of every canonical string are accepted",
                    And(Not(ok), same(string_write(b, variant), b))))
    b, x = BitVec("b", 8), BitVec("bool", 1) == 1
    ok, back = flag_read(flag_write(x), variant)
    out.append(("flag: read(write(x)) == x", Not(And(ok, back == x))))
    ok, back = flag_read(b, variant)
    out.append(("flag: accepted iff the encoding of what it decodes to", ok != (flag_write(back) == b)))
    for name, reader, top in (("colour", colour_read, WHITE), ("on_violation", on_violation_read, INJECT_FAULT),
                              ("kind", kind_read, LINUX_BZIMAGE),
                              ("cpu_count", cpu_count_read, C["k_max_cpus"])):
        v = BitVec(f"{name}", 8)
        ok, back = reader(v)  # written as the u8 of its value
        out.append((f"{name}: values 0..{top} come back", Not(Or(UGT(v, top), And(ok, back == v)))))
        out.append((f"{name}: accepted iff at most {top} and the encoding of what it decodes to",
                    ok != And(ULE(v, top), back == v)))
    for name, limit in COUNTS.items():
        v, b = BitVec(name, 32), bytes_("b", 4)
        ok, back = count_read(le_write(v, 4), limit, variant)
        out.append((f"{name}: 0..{limit} come back", Not(Or(UGT(v, limit), And(ok, back == v)))))
        ok, back = count_read(b, limit, variant)
        out.append((f"{name}: accepted iff at most {limit} and the encoding of what it decodes to",
                    ok != And(ULE(back, limit), same(le_write(back, 4), b))))
    h, size, digest = bytes_("h", HEADER), BitVec("size", 64), bytes_("sha", 32)
    accepted = header_read(h, size, digest, variant)
    written = And(ULE(HEADER, size), ULE(size, MAX_SIZE), same(header_write(size, digest), h))
    out.append(("header: read accepts exactly the header write writes for that size and content",
                accepted != written))
    return out


VARIANTS = {"le reads big-endian": "u16: read(write(v)) == v",
            "string writer ends a byte early": "name[32]: a canonical string comes back",
            "string reader ignores bytes after the NUL": "name[32]: accepted bytes are the encoding of what they decode to",
            "flag accepts 2": "flag: accepted iff the encoding of what it decodes to",
            "count allows max + 1": "label_count: accepted iff at most 8 and the encoding of what it decodes to",
            "reserved word not checked": "header: read accepts exactly the header write writes for that size and content"}


def main():
    start, failures = time.monotonic(), []

    def fail(line):
        failures.append(line)
        print(f"image_proof: FAIL: {line}", flush=True)

    print(f"image_proof: every field codec of policy_image.cpp over all values; the header for every 56 bytes, "
          f"every size_t size and every content digest (k_image_revision {REVISION}, max size {MAX_SIZE})")
    t = time.monotonic()
    for title, negation in claims():
        s = Solver()
        s.add(negation)
        result = s.check()
        if result == unsat:
            print(f"  proved  {title}")
        else:
            fail(f"{title}: Z3 answers {result}" + (f": {s.model()}" if result == sat else ""))
    print(f"  ({time.monotonic() - t:.1f} s)")
    print("broken variants:")
    t = time.monotonic()
    for variant, claim in VARIANTS.items():
        negation = dict(claims(variant)).get(claim)
        if negation is None:
            fail(f"no claim '{claim}' for the variant '{variant}'")
            continue
        s = Solver()
        s.add(negation)
        if s.check() != sat:
            fail(f"the variant '{variant}' is not refuted at '{claim}'")
            continue
        m = s.model()
        shown = ", ".join(f"{d.name()}={m[d]}" for d in sorted(m.decls(), key=lambda d: d.name())[:12])
        print(f"  refuted '{variant}' at '{claim}': {shown}")
    print(f"  ({len(VARIANTS)} variants, {time.monotonic() - t:.1f} s)")
    for line in failures:
        print(f"image_proof: FAIL: {line}")
    print(f"image_proof: {len(failures)} failures; {time.monotonic() - start:.1f} s" if failures
          else f"image_proof: every codec is a bijection and the header exact; {time.monotonic() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
