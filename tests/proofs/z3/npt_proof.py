#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The nested page table as a proof (issue 15, item 6): Z3 proves that walking the table
sk::npt::build makes (sepkernel/core/include/sk/npt_builder.hpp) gives, for every 64-bit guest
address, what sk::policy::guest_page (sepkernel/core/src/access.cpp) grants: the access and host
page of the first region that contains the address, or nothing. The bound (BOUNDS below): a
partition's region list of up to 4 one-page regions or up to 2 regions of up to 2 pages, every
other field free over its C++ type, any initial memory, allocation failing anywhere or nowhere.
Broken variants of the builder and walker must each give a counterexample, and the transcription
is run beside the C++ (tests/proofs/bitlevel_helper.cpp) on random concrete policies.
Usage: npt_proof.py [--helper PATH]   (/usr/bin/python3: Debian's python3-z3)
"""
import argparse
import os
import random
import subprocess
import sys
import time

try:
    import z3
    from z3 import BitVecSort, Distinct, Implies, sat, unsat
except ImportError:
    sys.exit("npt_proof: no Z3 module for this Python: run it with /usr/bin/python3 after "
             "`apt-get install python3-z3` (scripts/bootstrap.sh)")

# npt_builder.hpp:15-21, policy.hpp (k_page_size), access.hpp (Access)
PRESENT, WRITABLE, USER = 1 << 0, 1 << 1, 1 << 2
ADDRESS_MASK = 0x000FFFFFFFFFF000
GUEST_LIMIT = 1 << 48
PAGE = 4096
NONE, READ, READ_WRITE = 0, 1, 2
# The bound: a region list of up to 4 regions (REGIONS: 1 + k_max_channels + k_max_mmio_ranges would be
# 21; the policy link's bound of two channels and one MMIO window per partition gives 4) of one
# page each, and of up to 2 regions of up to 2 pages each; every field free over its C++ type. Two
# regions are every pair that can share a table or overlap; two pages of one region, at a free
# address, straddle any table boundary; a third region or page makes the proof several times
# slower. The broken variants are refuted at the smallest bound that shows them.
BOUNDS = [(4, 1), (2, 2)]
VARIANT_BOUND = (2, 1)
CROSS_CHECK_BOUND = (4, 3)  # the random concrete policies: 4 regions of up to 3 pages
# Allocated pages: one variable per call site (any allocator keeping the contract) makes the proof
# ten times slower; by default they are distinct constants (see README: the builder treats a
# page address only as a value to store, mask and look up, so any other distinct pages give
# the same table up to renaming). NPT_SYMBOLIC_PAGES=1 runs the symbolic form.
SYMBOLIC_PAGES = os.environ.get("NPT_SYMBOLIC_PAGES") == "1"
U64, INDEX = BitVecSort(64), BitVecSort(9)


# The transcription runs two ways: over Z3 terms (the proof) and over Python integers (the
# cross-check with the C++, thousands of cases in a second). These names switch with CONCRETE.
CONCRETE = False
MASK64 = 2**64 - 1


class W64(int):
    """A uint64_t: arithmetic wraps modulo 2^64 as in C++."""

    def __new__(cls, v):
        return int.__new__(cls, int(v) & MASK64)

    def _op(f):
        def op(a, b):
            return NotImplemented if isinstance(b, z3.ExprRef) else W64(f(int(a), int(b)))
        return op
    __add__ = __radd__ = _op(lambda a, b: a + b)
    __sub__ = _op(lambda a, b: a - b)
    __rsub__ = _op(lambda a, b: b - a)
    __mul__ = __rmul__ = _op(lambda a, b: a * b)
    __and__ = __rand__ = _op(lambda a, b: a & b)
    __or__ = __ror__ = _op(lambda a, b: a | b)
    __invert__ = lambda a: W64(~int(a))
    __hash__ = int.__hash__


def u64(v):
    return W64(v) if CONCRETE else z3.BitVecVal(v, 64)


def BitVecVal(v, bits):
    return W64(v) if CONCRETE else z3.BitVecVal(v, bits)


def BoolVal(b):
    return b if CONCRETE else z3.BoolVal(b)


def BitVec(name, bits):
    return z3.BitVec(name, bits)


def Bool(name):
    return False if CONCRETE else z3.Bool(name)  # concretely: allocation never fails


def And(*xs):
    return all(xs) if CONCRETE else z3.And(*xs)


def Or(*xs):
    return any(xs) if CONCRETE else z3.Or(*xs)


def Not(x):
    return (not x) if CONCRETE else z3.Not(x)


def If(c, a, b):
    return (a if c else b) if CONCRETE else z3.If(c, a, b)


def ULT(a, b):
    return int(a) < int(b) if CONCRETE else z3.ULT(a, b)


def ULE(a, b):
    return int(a) <= int(b) if CONCRETE else z3.ULE(a, b)


def UGE(a, b):
    return int(a) >= int(b) if CONCRETE else z3.UGE(a, b)


def UGT32(a, b):
    return int(a) > b if CONCRETE else z3.UGT(a, z3.BitVecVal(b, 32))


def LShR(a, n):
    return W64(int(a) >> n) if CONCRETE else z3.LShR(a, n)


def Extract(high, low, a):
    return W64((int(a) >> low) & ((1 << (high - low + 1)) - 1)) if CONCRETE else z3.Extract(high, low, a)


# ------------------------------------------------------------------------------------------------
# The transcription. Each function names the C++ it follows; `variant` switches on one break.

class Table_state:
    """The builder's effects: the page-table memory, the pages allocate() handed out, and
    whether build() has failed so far. Memory is the initial contents (any: an uninterpreted
    function of page and index) under a log of effects, each under the condition that it
    happened: a page zeroed by allocate(), or one entry written. Reading an entry is the
    newest effect that covers it (pure bit-vector terms: no array theory)."""

    def __init__(self, tag):
        self.tag = tag
        self.initial = (lambda table, i: W64(0)) if CONCRETE else z3.Function(f"{tag}.initial_memory", U64, INDEX, U64)
        self.log = []  # ("zero", page, when) | ("write", table, index, value, when)
        self.ok = BoolVal(True)
        self.pages = []  # allocated page addresses, one per call site

    def fail_if(self, cond):
        self.ok = And(self.ok, Not(cond))

    def allocate(self, when):
        """Memory::allocate() (npt_builder.hpp:23-25): may fail (no_space); otherwise a zeroed 4 KiB
        page at a page-aligned address the entries can hold, distinct from every page handed out
        before (the contract; contract() states it). One variable per call site: every allocator
        that keeps the contract is one assignment of them. Returns (page, allocated)."""
        n = len(self.pages)
        page = BitVec(f"{self.tag}.allocation{n}", 64) if SYMBOLIC_PAGES and not CONCRETE else u64(0x10000000 + n * PAGE)
        fails = Bool(f"{self.tag}.allocation{n}.fails")
        self.fail_if(And(when, fails))
        allocated = And(when, Not(fails))
        self.log.append(("zero", page, allocated))
        self.pages.append(page)
        return page, allocated

    def read(self, table, i, log=None):
        """memory.table(table)[i]"""
        value = self.initial(table, i)
        for effect in (self.log if log is None else log):
            if effect[0] == "zero":
                _, page, when = effect
                value = If(And(when, table == page), u64(0), value)
            else:
                _, t, k, v, when = effect
                value = If(And(when, table == t, i == k), v, value)
        return value

    def write(self, table, i, value, when):
        """memory.table(table)[i] = value, if `when`."""
        self.log.append(("write", table, i, value, when))

    def contract(self):
        return And(Distinct(*self.pages) if len(self.pages) > 1 else BoolVal(True),
                   *[p & ~u64(ADDRESS_MASK) == 0 for p in self.pages])


def index(gpa, level, variant=None):
    """(gpa >> (12 + 9 * level)) & 0x1FF: npt_builder.hpp:31, :43 and :75."""
    shift = 12 + 9 * level - (1 if variant == "walker index off by one bit" and level == 2 else 0)
    return Extract(8, 0, LShR(gpa, shift))


def map_page(st, root, gpa, hpa, writable, when, variant=None):
    """npt_builder.hpp:26-46, map_page(), executed iff `when`."""
    limit = u64(GUEST_LIMIT)
    bad = Or(UGE(gpa, limit), gpa & 0xFFF != 0, hpa & ~u64(ADDRESS_MASK) != 0)  # :28
    if variant == "no address check":
        bad = BoolVal(False)
    st.fail_if(And(when, bad))
    live = And(when, Not(bad))
    table = root  # :29
    for level in (3, 2, 1):  # :30
        i = index(gpa, level)  # :31-32
        e = st.read(table, i)
        absent = e & PRESENT == 0  # :33
        page, allocated = st.allocate(And(live, absent))  # :34-35
        live = And(live, Or(Not(absent), allocated))  # :35 (no_space returns)
        flags = PRESENT | USER | (0 if variant == "tables not writable" else WRITABLE)
        st.write(table, i, page | flags, And(live, absent))  # :36
        table = If(absent, page | flags, e) & ADDRESS_MASK  # :38
    i = index(gpa, 0)  # :40
    leaf = st.read(table, i)
    if variant != "overlap not refused":
        st.fail_if(And(live, leaf & PRESENT != 0))  # :41
        live = And(live, leaf & PRESENT == 0)
    user = 0 if variant == "leaf without the user bit" else USER
    value = hpa | PRESENT | user | If(writable, u64(WRITABLE), u64(0))  # :42
    st.write(table, i, value, live)


class Region:
    """policy::Guest_region (access.hpp:32-37)."""

    def __init__(self, name):
        self.guest, self.host, self.size = (BitVec(f"{name}.{f}", 64) for f in ("guest_address", "host_address", "size"))
        self.access = BitVec(f"{name}.access", 8)


def build(regions, count, pages, variant=None, tag="build"):
    """npt_builder.hpp:50-67, build(), from guest_regions()' output `regions[:count]`.
    Returns (state, root); the build succeeded iff state.ok."""
    st = Table_state(tag)
    st.fail_if(Or(count == 0, UGT32(count, len(regions))))  # :53
    root, _ = st.allocate(BoolVal(True))  # :54-55
    for i, r in enumerate(regions):  # :56
        present = And(ULT(BitVecVal(i, 32), count), r.access != NONE)  # :58
        for k in range(pages):  # :59, unrolled: ULE(size, pages * PAGE) is the bound
            off = u64(k * PAGE)
            writable = r.access == READ_WRITE
            if variant == "read-only regions writable":
                writable = r.access != NONE
            map_page(st, root, r.guest + off, r.host + off, writable, And(st.ok, present, ULT(off, r.size)), variant)
    return st, root


def translate(read, root, gpa, variant=None):
    """npt_builder.hpp:70-82, translate(): the hardware's walk. Returns (access, host)."""
    absent = UGE(gpa, u64(GUEST_LIMIT)) if variant != "walker takes any address" else BoolVal(False)  # :71
    table, writable = root, BoolVal(True)  # :72-73
    for level in (3, 2, 1, 0):  # :74
        e = read(table, index(gpa, level, variant))  # :75
        user_missing = e & USER == 0 if variant != "walker ignores the user bit" else BoolVal(False)
        absent = Or(absent, e & PRESENT == 0, user_missing)  # :76
        if variant != "walker ignores the writable bit":
            writable = And(writable, e & WRITABLE != 0)  # :77
        table = e & ADDRESS_MASK  # :78
    return (If(absent, BitVecVal(NONE, 8), If(writable, BitVecVal(READ_WRITE, 8), BitVecVal(READ, 8))),
            If(absent, u64(0), table))  # :80


def guest_page(regions, count, gpa):
    """access.cpp:36-50, guest_page() over guest_regions()' output: the first region containing
    the page (inside(): x >= base && x - base < size), else {none, 0}."""
    page = gpa & ~u64(PAGE - 1)  # :41
    access, host = BitVecVal(NONE, 8), u64(0)
    for i, r in reversed(list(enumerate(regions))):  # :44-48, first match wins
        hit = And(ULT(BitVecVal(i, 32), count), UGE(page, r.guest), ULT(page - r.guest, r.size))
        access = If(hit, r.access, access)
        host = If(hit, r.host + (page - r.guest), host)
    return access, host


def guest_regions(policy, part):
    """access.cpp:12-33, guest_regions() of a concrete policy (for the cross-check): memory at 0,
    channels in order (read-write for the writer, else read for the reader), MMIO at itself."""
    out = [(0, policy["memory"][0], policy["memory"][1], READ_WRITE)]
    for writer, reader, base, size, guest in policy["channels"]:
        if writer == part:
            out.append((guest, base, size, READ_WRITE))
        elif reader == part:
            out.append((guest, base, size, READ))
    out += [(base, base, size, READ_WRITE) for base, size in policy["mmio"]]
    return out


# ------------------------------------------------------------------------------------------------
# The proof.

class Problem:
    def __init__(self, bound, variant=None):
        self.regions_max, self.pages = bound
        self.regions = [Region(f"region{i}") for i in range(self.regions_max)]
        self.count = BitVec("count", 32)
        self.gpa = BitVec("gpa", 64)
        self.st, self.root = build(self.regions, self.count, self.pages, variant)
        self.walk = translate(self.st.read, self.root, self.gpa, variant)
        self.grant = guest_page(self.regions, self.count, self.gpa)
        # What guest_regions() can return (access.cpp:19-31) inside the bound.
        self.bound = And(ULE(1, self.count), ULE(self.count, self.regions_max),
                         *[And(Or(r.access == READ, r.access == READ_WRITE), ULE(r.size, self.pages * PAGE))
                           for r in self.regions])

    def agrees(self):
        return And(self.walk[0] == self.grant[0], self.walk[1] == self.grant[1])

    def builds(self):
        """What makes build() succeed when the pool does not run out: each present region
        page-aligned inside [0, 2^48) and host-mappable, no two overlapping."""
        live = [ULT(BitVecVal(i, 32), self.count) for i in range(self.regions_max)]
        ok = []
        for i, r in enumerate(self.regions):
            ok.append(Implies(And(live[i], r.size != 0), And(
                r.guest & 0xFFF == 0, r.host & 0xFFF == 0,
                ULE(r.guest + r.size, GUEST_LIMIT), ULT(r.guest, GUEST_LIMIT),
                ULE(r.host + r.size, 1 << 52), ULT(r.host, 1 << 52))))
            for j in range(i):
                q = self.regions[j]
                ok.append(Not(And(live[i], live[j], r.size != 0, q.size != 0,
                                  ULT(r.guest, q.guest + q.size), ULT(q.guest, r.guest + r.size))))
        return And(ok)


def check(assertions):
    s = z3.Then("simplify", "propagate-values", "solve-eqs", "elim-uncnstr", "qfufbv").solver()
    s.add(*assertions)
    return s, s.check()


def prove(fail):
    for bound in BOUNDS:
        t = time.monotonic()
        P = Problem(bound)
        s, result = check([P.bound, P.st.contract(), P.st.ok, Not(P.agrees())])
        if result == unsat:
            print(f"  proved  translate(build(regions), gpa) == guest_page(regions, gpa) for every 64-bit gpa, "
                  f"{bound[0]} regions of {bound[1]} pages ({time.monotonic() - t:.1f} s)")
        else:
            fail(f"Z3 cannot prove that the walk agrees with guest_page for {bound[0]} regions of {bound[1]} pages ({result})")
            if result == sat:
                print(explain(P, s.model()))
    t = time.monotonic()
    P = Problem(BOUNDS[-1])
    no_fail = And([Not(Bool(f"build.allocation{n}.fails")) for n in range(len(P.st.pages))])
    s, result = check([P.bound, P.st.contract(), no_fail, P.builds(), Not(P.st.ok)])
    if result == unsat:
        print(f"  proved  build succeeds when the pool lasts and the regions are aligned, below 2^48 (guest) and "
              f"2^52 (host) and disjoint, {BOUNDS[-1][0]} regions of {BOUNDS[-1][1]} pages ({time.monotonic() - t:.1f} s)")
    else:
        fail(f"Z3 cannot prove that build succeeds on well-formed regions ({result})")


def well_formed(regions_present):
    """builds()' condition for [(present, guest, host, size)]: what the proof above shows makes
    build() succeed, with sizes unbounded."""
    ok = []
    for n, (live, guest, host, size) in enumerate(regions_present):
        ok.append(z3.Implies(z3.And(live, size != 0), z3.And(
            guest & 0xFFF == 0, host & 0xFFF == 0, z3.ULE(guest, guest + size), z3.ULE(guest + size, GUEST_LIMIT),
            z3.ULE(host, host + size), z3.ULE(host + size, 1 << 52))))
        for live2, guest2, _, size2 in regions_present[:n]:
            ok.append(z3.Not(z3.And(live, live2, size != 0, size2 != 0,
                                    z3.ULT(guest, guest2 + size2), z3.ULT(guest2, guest + size))))
    return z3.And(ok)


def validator_link(fail):
    """The validator's rules as policy_link transcribes them (policy_model.py) imply, for every
    policy of the policy link's bound and every partition, builds()' condition on its regions
    (any sizes): a validated policy's tables build. Each SK-MEM-6 check of the guest window is
    needed: without it Z3 finds a validated policy whose table cannot be built."""
    sys.dont_write_bytecode = True
    import policy_model as pm
    t = time.monotonic()
    P = pm.Policy()
    sites = pm.transcribe(P)

    def unbuildable(keep):
        rules = z3.And([site.holds for site in sites if keep(site)])
        cases = []
        for p in range(pm.PARTITIONS):
            regions = [(src.present, src.guest, src.host, src.size) for src in pm.sources(P, p)]
            cases.append(z3.And(P.has_partition(p), z3.Not(well_formed(regions))))
        s = z3.SolverFor("QF_BV")
        s.add(P.bound(), rules, z3.Or(cases))
        return s, s.check()

    _, result = unbuildable(lambda site: True)
    if result == unsat:
        print(f"  proved  the validator's rules imply that every partition's regions build, for every policy of up to "
              f"{pm.PARTITIONS} partitions, {pm.CHANNELS} channels, {pm.MMIO_WINDOWS} MMIO window each "
              f"({time.monotonic() - t:.1f} s)")
    else:
        fail(f"Z3 cannot prove that the validator's rules imply a buildable table ({result})")
    for name in ("channel guest window past nested paging", "channel guest window wraps"):
        s, result = unbuildable(lambda site: site.name != name)
        if result != sat:
            fail(f"SK-MEM-6 '{name}' is not needed for a buildable table ({result})")
            continue
        m = s.model()
        v = lambda x: m.eval(x, model_completion=True).as_long()
        shown = [f"c{c}: guest {v(ch.guest):#x} size {v(ch.size):#x}" for c, ch in enumerate(P.chans[:v(P.channel_count)])]
        print(f"  needed  SK-MEM-6 '{name}': without it a validated policy has {'; '.join(shown)}")


# Each variant breaks one line of the builder or walker; Z3 must find a region list and a guest
# address on which the walk and guest_page disagree (or, for the address check, a build that
# succeeds and disagrees).
VARIANTS = ["leaf without the user bit", "tables not writable", "read-only regions writable",
            "overlap not refused", "no address check", "walker index off by one bit",
            "walker ignores the writable bit", "walker takes any address"]


def broken_variants(fail):
    t = time.monotonic()
    for variant in VARIANTS:
        P = Problem(VARIANT_BOUND, variant)
        s, result = check([P.bound, P.st.contract(), P.st.ok, Not(P.agrees())])
        if result != sat:
            fail(f"the variant '{variant}' is not refuted ({result})")
            continue
        print(f"  refuted '{variant}':")
        print(explain(P, s.model()))
    print(f"  ({len(VARIANTS)} variants, {time.monotonic() - t:.1f} s)")


def explain(P, m):
    v = lambda x: m.eval(x, model_completion=True).as_long()
    names = {NONE: "none", READ: "read", READ_WRITE: "read-write"}
    out = [f"    gpa {v(P.gpa):#x}: walk {names.get(v(P.walk[0]), '?')} {v(P.walk[1]):#x}, "
           f"guest_page {names.get(v(P.grant[0]), '?')} {v(P.grant[1]):#x}"]
    for i, r in enumerate(P.regions[:v(P.count)]):
        out.append(f"      region{i}: guest {v(r.guest):#x} host {v(r.host):#x} size {v(r.size):#x} "
                   f"{names.get(v(r.access), '?')}")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# The transcription against the C++ (bitlevel_helper npt): random concrete policies, the same
# build and walk evaluated by Z3 on concrete values, compared with sk::npt::build + translate and
# with sk::policy::guest_page at every interesting guest address.

def random_policy(rng):
    pick = lambda *xs: rng.choice(xs)
    # Addresses near the boundaries the code draws: table levels, 2^48, 2^52, 2^64; a page or so
    # apart, usually aligned, sometimes not; sizes of 0..3 pages and a few bytes.
    bases = [0, 1 << 21, 1 << 30, 1 << 39, GUEST_LIMIT, 1 << 52, 1 << 63, 2**64]

    def address():
        a = (rng.choice(bases) + rng.randint(-3, 3) * PAGE) % 2**64
        return a + (rng.choice([0, 0, 0, 0, 8, 0x800]) if rng.random() < 0.2 else 0)

    def size():
        pages = CROSS_CHECK_BOUND[1]
        return min(rng.randint(0, pages) * PAGE + (rng.choice([1, 0x7FF]) if rng.random() < 0.2 else 0), pages * PAGE)

    part = rng.randint(0, 1)
    policy = {"memory": (address(), size()), "channels": [], "mmio": []}
    for _ in range(rng.randint(0, 2)):
        policy["channels"].append((pick(0, 1, 2), pick(0, 1, 2), address(), size(), address()))
    for _ in range(rng.randint(0, 1)):
        policy["mmio"].append((address(), size()))
    regions = guest_regions(policy, part)
    gpas = set()
    for guest, _, sz, _ in regions:
        for d in range(-1, CROSS_CHECK_BOUND[1] + 2):
            gpas.add((guest + d * PAGE + rng.choice([0, 5, 0xFFF])) % 2**64)
        gpas.add((guest + sz) % 2**64)
    gpas |= {rng.getrandbits(64) for _ in range(3)} | {GUEST_LIMIT - PAGE, GUEST_LIMIT}
    return part, policy, regions, sorted(gpas)


class Concrete_region:
    def __init__(self, guest, host, size, access):
        self.guest, self.host, self.size, self.access = W64(guest), W64(host), W64(size), W64(access)


def run_concrete(regions, gpas):
    """build() and translate() of the transcription on concrete values: (built, [(access, host)])."""
    global CONCRETE
    CONCRETE = True
    try:
        st, root = build([Concrete_region(*r) for r in regions], W64(len(regions)), CROSS_CHECK_BOUND[1])
        walks = [tuple(int(x) for x in translate(st.read, root, W64(g))) for g in gpas] if st.ok else []
        return bool(st.ok), walks
    finally:
        CONCRETE = False


def cross_check(helper, fail, cases):
    t = time.monotonic()
    rng = random.Random(0x4E5054)
    lines, expect = [], []
    for _ in range(cases):
        part, policy, regions, gpas = random_policy(rng)
        if len(regions) > CROSS_CHECK_BOUND[0]:
            raise SystemExit("npt_proof: a generated policy exceeds CROSS_CHECK_BOUND")
        ok, walks = run_concrete(regions, gpas)
        fields = [part, *policy["memory"], len(policy["channels"])]
        for ch in policy["channels"]:
            fields += list(ch)
        fields.append(len(policy["mmio"]))
        for w in policy["mmio"]:
            fields += list(w)
        lines.append("npt " + " ".join(f"{x:#x}" for x in fields) + " | " + " ".join(f"{g:#x}" for g in gpas))
        expect.append((ok, walks, regions, gpas))
    r = subprocess.run([helper], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120)
    answers = r.stdout.splitlines()
    if r.returncode != 0 or len(answers) != len(lines):
        fail(f"bitlevel_helper npt: exit {r.returncode}, {len(answers)} answers to {len(lines)} cases: {r.stderr.strip()}")
        return
    built = agreed = 0
    for line, answer, (ok, walks, regions, gpas) in zip(lines, answers, expect):
        words = answer.split()
        cpp_ok = words[0] == "ok"
        if cpp_ok != ok:
            fail(f"build: the transcription says {'ok' if ok else 'error'}, the C++ {words[0]}: {line}")
            continue
        if not ok:
            continue
        built += 1
        triples = [tuple(int(x, 16) for x in w.split(",")) for w in words[1:]]  # access,host,grant access,grant host
        for gpa, (access, host), (c_access, c_host, g_access, g_host) in zip(gpas, walks, triples):
            if (access, host) != (c_access, c_host):
                fail(f"translate({gpa:#x}): the transcription gives {access},{host:#x}, the C++ {c_access},{c_host:#x}: {line}")
            elif (c_access, c_host) != (g_access, g_host):
                fail(f"translate({gpa:#x}) = {c_access},{c_host:#x} but guest_page = {g_access},{g_host:#x} in the C++: {line}")
            else:
                agreed += 1
    print(f"  {cases} random policies ({built} build, the rest are refused by both), {agreed} guest addresses: "
          f"the transcription, sk::npt::translate and sk::policy::guest_page agree ({time.monotonic() - t:.1f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--helper", help="bitlevel_helper (omit to skip the comparison with the C++)")
    ap.add_argument("--cases", type=int, default=2000)
    args = ap.parse_args()
    start, failures = time.monotonic(), []

    def fail(line):
        failures.append(line)
        print(f"npt_proof: FAIL: {line}", flush=True)

    bounds = " and ".join(f"1..{r} regions of at most {p} pages" for r, p in BOUNDS)
    print(f"npt_proof: every region list of {bounds} (fields free over their C++ types), every initial memory, "
          f"every 64-bit guest address; allocated pages {'symbolic' if SYMBOLIC_PAGES else 'distinct constants'}")
    print("the walk agrees with guest_page:")
    prove(fail)
    print("the validator's rules make it buildable:")
    validator_link(fail)
    print("broken variants:")
    broken_variants(fail)
    if args.helper:
        print("the transcription against the C++:")
        cross_check(args.helper, fail, args.cases)
    for line in failures:
        print(f"npt_proof: FAIL: {line}")
    print(f"npt_proof: {len(failures)} failures; {time.monotonic() - start:.1f} s" if failures
          else f"npt_proof: the table agrees with guest_page; {time.monotonic() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
