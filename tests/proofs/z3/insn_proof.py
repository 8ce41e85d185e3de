#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The instruction-length decoder as a proof (issue 15, item 6): Z3 proves that
sk::insn::decode_length (sepkernel/core/src/insn_length.cpp), transcribed below, returns for every
string of 15 bytes, every `available` (any size_t) and every `expected` (any uint8_t, inside the
enum or not) exactly what the manuals' encodings say: the instruction's length if the bytes are
legacy prefixes then that instruction's opcode, at most 15 bytes and all available; otherwise an
error, `truncated` exactly when the available bytes are fewer than 15 and could still begin such
an instruction. The table of encodings and prefixes is read from tests/unit/insn_length_test.cpp,
where the hosted test runs the real decoder against it. Broken variants of the decoder must each
give a counterexample, and the transcription is run beside the C++ (bitlevel_helper insn).
Usage: insn_proof.py [--helper PATH]   (/usr/bin/python3: Debian's python3-z3)
"""
import argparse
import pathlib
import random
import re
import subprocess
import sys
import time

try:
    from z3 import And, BitVec, BitVecVal, BoolVal, Concat, If, Not, Or, Solver, ULT, UGE, sat, simplify, substitute, unsat
except ImportError:
    sys.exit("insn_proof: no Z3 module for this Python: run it with /usr/bin/python3 after "
             "`apt-get install python3-z3` (scripts/bootstrap.sh)")

ROOT = pathlib.Path(__file__).resolve().parents[3]
MAX_LENGTH = 15  # insn_length.hpp: k_max_length
OK, TRUNCATED, BAD_ARGUMENT = 0, 1, 2  # the outcomes compared (sk::Error::truncated, bad_argument)


def read_table(root=ROOT):
    """The kinds in enum order (insn_length.hpp), the encodings and prefixes (insn_length_test.cpp)."""
    header = (root / "sepkernel/core/include/sk/insn_length.hpp").read_text()
    kinds = re.search(r"enum class Skipped : uint8_t \{([^}]*)\}", header).group(1).replace(" ", "").split(",")
    test = (root / "tests/unit/insn_length_test.cpp").read_text()
    block = test[test.index("// BEGIN ENCODINGS"):test.index("// END ENCODINGS")]
    encodings = {}
    for kind, opcode, length in re.findall(r"\{Skipped::(\w+), \{([^}]*)\}, (\d)", block):
        encodings[kinds.index(kind)] = [int(b, 16) for b in opcode.split(",")][:int(length)]
    prefixes = [int(b, 16) for b in re.search(r"k_legacy_prefixes\[\] = \{([^}]*)\}", block).group(1).split(",")]
    if sorted(encodings) != list(range(len(kinds))):
        raise SystemExit("insn_proof: tests/unit/insn_length_test.cpp has no encoding for every Skipped kind")
    return kinds, encodings, prefixes


KINDS, ENCODINGS, PREFIXES = read_table()


# ------------------------------------------------------------------------------------------------
# The transcription of insn_length.cpp; `variant` switches on one break.

def is_legacy_prefix(b, variant=None):
    """insn_length.cpp:8-16"""
    prefixes = [0x66, 0x67, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0xF0, 0xF2, 0xF3]
    if variant == "0x67 not a prefix":
        prefixes.remove(0x67)
    return Or([b == p for p in prefixes])


def opcode_of(kind, variant=None):
    """insn_length.cpp:23-34: {bytes, length} per kind, {0, 0} outside the enum."""
    table = {0: ([0x0F, 0x01, 0xD9], 3), 1: ([0x0F, 0xA2, 0], 2), 2: ([0xF4, 0, 0], 1), 3: ([0x0F, 0x32, 0], 2),
             4: ([0x0F, 0x30, 0], 2), 5: ([0x0F, 0x01, 0xD1], 3), 6: ([0x0F, 0x09, 0], 2)}
    if variant == "xsetbv one byte short":
        table[5] = ([0x0F, 0x01, 0xD1], 2)
    if variant == "wrmsr decoded as rdmsr":
        table[4] = ([0x0F, 0x32, 0], 2)
    out_bytes, out_length = [BitVecVal(0, 8)] * 3, BitVecVal(0, 8)
    for k, (bytes_, length) in table.items():
        hit = kind == k
        out_bytes = [If(hit, BitVecVal(b, 8), o) for b, o in zip(bytes_, out_bytes)]
        out_length = If(hit, BitVecVal(length, 8), out_length)
    return out_bytes, out_length


def decode_length(b, available, kind, variant=None):
    """insn_length.cpp:38-49. b: 16 byte terms (the 16th is past the kernel's 15-byte buffer),
    available: 64-bit, kind: 8-bit. Returns (outcome, length, read past min(available, 15))."""
    limit = MAX_LENGTH + (1 if variant == "sixteen prefixes" else 0)
    past = lambda n: Or(UGE(n, MAX_LENGTH), UGE(n, available))
    # :39-40, while (i < available && i < k_max_length && is_legacy_prefix(bytes[i])) ++i; unrolled:
    # position n is read iff the loop got there and n < available, n < k_max_length.
    i, going, oob = BitVecVal(0, 64), BoolVal(True), BoolVal(False)
    for n in range(limit):
        reads = And(going, ULT(BitVecVal(n, 64), available))
        oob = Or(oob, And(reads, past(BitVecVal(n, 64))))
        going = And(reads, is_legacy_prefix(b[n], variant))
        i = If(going, BitVecVal(n + 1, 64), i)
    op, length = opcode_of(kind, variant)  # :41
    done = length == 0  # :42
    outcome = If(done, BitVecVal(BAD_ARGUMENT, 8), BitVecVal(OK, 8))
    for k in range(3):  # :43-47, k < op.length
        at = i + k
        active = And(Not(done), ULT(BitVecVal(k, 8), length))
        too_long = UGE(at, MAX_LENGTH) if variant != "no length limit" else BoolVal(False)  # :44
        short = UGE(at, available) if variant != "available off by one" else UGE(at, available + 1)  # :45
        for cond, result in ((too_long, BAD_ARGUMENT), (short, TRUNCATED)):
            hit = And(active, cond)
            outcome = If(hit, BitVecVal(result, 8), outcome)
            done = Or(done, hit)
            active = And(active, Not(cond))
        oob = Or(oob, And(active, past(at)))  # :46 reads bytes[i + k]
        hit = And(active, byte_at(b, at) != op[k])
        outcome = If(hit, BitVecVal(BAD_ARGUMENT, 8), outcome)
        done = Or(done, hit)
    return outcome, If(outcome == OK, i + z3_zext(length), BitVecVal(0, 64)), oob


def byte_at(b, at):
    """bytes[at] (an index past the 16 modelled is flagged by the caller's oob before it matters)."""
    out = BitVecVal(0x90, 8)
    for n in reversed(range(len(b))):
        out = If(at == n, b[n], out)
    return out


def z3_zext(x):
    from z3 import ZeroExt
    return ZeroExt(56, x)


# ------------------------------------------------------------------------------------------------
# The specification: the manuals' rule over the table, written independently of the decoder.

def spec(b, available, kind):
    """Returns (outcome, length): OK and n + len(opcode) if bytes[0..n) are legacy prefixes,
    bytes[n..] the opcode of `kind`, n + len <= 15 and <= available; TRUNCATED if fewer than 15
    bytes are available and they are legacy prefixes then the opcode's first bytes (the rest of
    the instruction would follow); otherwise BAD_ARGUMENT (another instruction, too long, a kind
    outside the enum)."""
    prefix = [Or([x == p for p in PREFIXES]) for x in b]
    outcome, length = BitVecVal(BAD_ARGUMENT, 8), BitVecVal(0, 64)
    for k, opcode in ENCODINGS.items():
        for n in range(MAX_LENGTH - len(opcode) + 1):
            shape = And(*prefix[:n], *[b[n + j] == c for j, c in enumerate(opcode)])
            fits = UGE(available, n + len(opcode))
            hit = And(kind == k, shape, fits)
            outcome = If(hit, BitVecVal(OK, 8), outcome)
            length = If(hit, BitVecVal(n + len(opcode), 64), length)
        # Truncated: m < 15 bytes available, all of them prefixes then a proper beginning of the opcode.
        for m in range(MAX_LENGTH):
            begins = Or([And(*prefix[:n], *[b[n + j] == opcode[j] for j in range(m - n)])
                         for n in range(max(0, m - len(opcode) + 1), m + 1)])
            outcome = If(And(kind == k, available == m, begins), BitVecVal(TRUNCATED, 8), outcome)
    return outcome, length


# ------------------------------------------------------------------------------------------------

NAMES = {OK: "ok", TRUNCATED: "truncated", BAD_ARGUMENT: "bad_argument"}
VARIANTS = ["xsetbv one byte short", "wrmsr decoded as rdmsr", "0x67 not a prefix", "sixteen prefixes",
            "no length limit", "available off by one"]


class Problem:
    def __init__(self, variant=None):
        self.b = [BitVec(f"byte{n}", 8) for n in range(MAX_LENGTH + 1)]
        self.available, self.kind = BitVec("available", 64), BitVec("expected", 8)
        self.decoded = decode_length(self.b, self.available, self.kind, variant)
        self.wanted = spec(self.b[:MAX_LENGTH], self.available, self.kind)

    def differ(self):
        """The decoder's answer is not the manuals', or it read a byte it may not."""
        return Or(self.decoded[0] != self.wanted[0], self.decoded[1] != self.wanted[1], self.decoded[2])

    def explain(self, m):
        v = lambda x: m.eval(x, model_completion=True).as_long()
        avail = v(self.available)
        shown = "".join(f"{v(x):02x}" for x in self.b[:min(avail, MAX_LENGTH)])
        kind = v(self.kind)
        return (f"    {KINDS[kind] if kind < len(KINDS) else kind} at bytes {shown or '(none)'} (available {avail}): "
                f"decoder {NAMES[v(self.decoded[0])]} {v(self.decoded[1])}, manuals "
                f"{NAMES[v(self.wanted[0])]} {v(self.wanted[1])}"
                + (", and it reads past min(available, 15)" if m.eval(self.decoded[2], model_completion=True) else ""))


def prove(fail):
    t = time.monotonic()
    P = Problem()
    s = Solver()
    s.add(P.differ())
    result = s.check()
    if result == unsat:
        print(f"  proved  decode_length == the manuals' encodings for every 15 bytes, every available and every "
              f"expected kind, reading no byte past min(available, 15) ({time.monotonic() - t:.1f} s)")
    else:
        fail(f"Z3 cannot prove the decoder against the table ({result})")
        if result == sat:
            print(P.explain(s.model()))


def broken_variants(fail):
    t = time.monotonic()
    for variant in VARIANTS:
        P = Problem(variant)
        s = Solver()
        s.add(P.differ())
        if s.check() != sat:
            fail(f"the variant '{variant}' is not refuted")
            continue
        print(f"  refuted '{variant}':")
        print(P.explain(s.model()))
    print(f"  ({len(VARIANTS)} variants, {time.monotonic() - t:.1f} s)")


def cross_check(helper, fail, cases):
    """Random byte strings shaped like the table's encodings (prefixes, an opcode, one byte
    changed or not, cut or not) and some of any bytes: the transcription and the C++ must agree."""
    t = time.monotonic()
    rng = random.Random(0x15)
    P = Problem()
    outcome = Concat(P.decoded[0], P.decoded[1])
    lines, expect = [], []
    for _ in range(cases):
        kind = rng.choice(list(ENCODINGS) + [len(KINDS), 255])
        opcode = ENCODINGS[rng.choice(list(ENCODINGS))] if rng.random() < 0.3 else ENCODINGS.get(kind, [0xF4])
        data = [rng.choice(PREFIXES) for _ in range(rng.choice([0, 0, 1, 2, 12, 13, 14, 15]))] + opcode
        if rng.random() < 0.3:
            data[rng.randrange(len(data))] = rng.choice([rng.randrange(256), 0x0F, 0x01, 0x90, 0x48])
        if rng.random() < 0.1:
            data = [rng.randrange(256) for _ in range(rng.randrange(16))]
        data = data[:MAX_LENGTH]
        available = rng.choice([len(data), len(data), rng.randrange(MAX_LENGTH + 2), 2**64 - 1])
        padded = data + [0xCC] * (MAX_LENGTH + 1 - len(data))  # the helper pads with 0xCC too
        subst = [(x, BitVecVal(y, 8)) for x, y in zip(P.b, padded)]
        subst += [(P.available, BitVecVal(available, 64)), (P.kind, BitVecVal(kind, 8))]
        value = simplify(substitute(outcome, *subst)).as_long()
        expect.append((value >> 64, value & (2**64 - 1)))
        lines.append(f"insn {kind} {available} " + "".join(f"{x:02x}" for x in data))
    r = subprocess.run([helper], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
    answers = r.stdout.splitlines()
    if r.returncode != 0 or len(answers) != len(lines):
        fail(f"bitlevel_helper insn: exit {r.returncode}, {len(answers)} answers to {len(lines)} cases: {r.stderr.strip()}")
        return
    seen = {OK: 0, TRUNCATED: 0, BAD_ARGUMENT: 0}
    for line, answer, (want, length) in zip(lines, answers, expect):
        if answer.startswith("ok "):
            got = (OK, int(answer.split()[1]))
        else:
            got = (TRUNCATED if answer == f"error {TRUNCATED_NAME}" else BAD_ARGUMENT, 0)
        if got != (want, length):
            fail(f"{line}: the transcription says {NAMES[want]} {length}, the C++ '{answer}'")
        seen[want] += 1
    print(f"  {cases} byte strings ({seen[OK]} ok, {seen[TRUNCATED]} truncated, {seen[BAD_ARGUMENT]} refused): the "
          f"transcription and sk::insn::decode_length agree ({time.monotonic() - t:.1f} s)")


TRUNCATED_NAME = None  # sk::error_name(Error::truncated), read from result.cpp by main()


def error_name(root, error):
    text = (root / "sepkernel/core/src").glob("*.cpp")
    for f in text:
        m = re.search(rf"case Error::{error}:\s*return \"([^\"]+)\"", f.read_text())
        if m:
            return m.group(1)
    raise SystemExit(f"insn_proof: cannot find error_name(Error::{error})")


def main():
    global TRUNCATED_NAME
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--helper", help="bitlevel_helper (omit to skip the comparison with the C++)")
    ap.add_argument("--cases", type=int, default=2000)
    args = ap.parse_args()
    TRUNCATED_NAME = error_name(ROOT, "truncated")
    start, failures = time.monotonic(), []

    def fail(line):
        failures.append(line)
        print(f"insn_proof: FAIL: {line}", flush=True)

    print(f"insn_proof: {len(ENCODINGS)} encodings and {len(PREFIXES)} legacy prefixes from tests/unit/insn_length_test.cpp; "
          f"every 15-byte string, every size_t available, every uint8_t expected kind")
    print("the decoder against the manuals:")
    prove(fail)
    print("broken variants:")
    broken_variants(fail)
    if args.helper:
        print("the transcription against the C++:")
        cross_check(args.helper, fail, args.cases)
    for line in failures:
        print(f"insn_proof: FAIL: {line}")
    print(f"insn_proof: {len(failures)} failures; {time.monotonic() - start:.1f} s" if failures
          else f"insn_proof: the decoder decodes exactly the table; {time.monotonic() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
