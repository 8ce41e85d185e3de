# SPDX-License-Identifier: Apache-2.0
"""Every policy up to a size bound as Z3 bit-vectors, the validator's memory, device-window and flow
rules transcribed from sepkernel/core/src/validate*.cpp (each check site a named formula under its
rule ID), and the translation of a policy into the Coq model's grant (proofs/Separation.v) with
the obligations the model's policy hypotheses become. policy_link.py proves and cross-checks them.

Conventions: 64-bit unsigned arithmetic as in C++ (Z3's <, >, <= on bit-vectors are signed, so
only ULT/ULE/UGT are used), counts are uint32, partition and label indices uint16, levels uint8.
"""
import pathlib
import re
from dataclasses import dataclass

from z3 import And, BitVec, BitVecVal, Bool, BoolVal, If, Implies, Not, Or, UGE, UGT, ULE, ULT, ZeroExt

ROOT = pathlib.Path(__file__).resolve().parents[3]

# The bound: every policy with 1..4 partitions, each with its memory and 0..1 MMIO window (two
# memory regions), 0..2 channels and 0..4 labels, every field free over its C++ type (so compiled
# images are covered, not only what the TOML front end can write). I/O ports and IRQs are not
# memory: none. Why one window: every pair of region kinds the rules compare occurs with one
# window per partition, and a second one makes the proof about five times slower.
PARTITIONS, CHANNELS, MMIO_WINDOWS, LABELS = 4, 2, 1, 4
READ, READ_WRITE = 1, 2  # sk::policy::Access
INT64_MAX = (1 << 63) - 1


def read_constants(root=ROOT):
    """The k_ constants of sk/policy.hpp that are plain integer expressions."""
    text = (root / "sepkernel/core/include/sk/policy.hpp").read_text()
    consts = {}
    for name, expr in re.findall(r"inline constexpr \w+ (k_\w+) = ([^;]+);", text):
        expr = re.sub(r"u?int\d+_t\{([^}]*)\}", r"(\1)", expr).strip()
        if re.fullmatch(r"[0-9a-fA-Fx()<+* ]+", expr):
            consts[name] = eval(expr, {"__builtins__": {}})  # digits and operators only
    return consts


def read_reserved_memory(consts, root=ROOT):
    """sk::policy::k_reserved_memory from policy.cpp: [(what, base, size)]."""
    text = (root / "sepkernel/core/src/policy.cpp").read_text()
    block = re.search(r"k_reserved_memory\[\] = \{(.*?)\n\};", text, re.S)
    if block is None:
        raise SystemExit("policy_link: cannot find k_reserved_memory[] in sepkernel/core/src/policy.cpp")
    entries = re.findall(r'\{"([^"]+)",\s*\{([^,{}]+),\s*([^,{}]+)\}\}', block.group(1))
    if not entries or len(entries) != block.group(1).count('{"'):
        raise SystemExit("policy_link: k_reserved_memory[] in policy.cpp has an entry this script cannot read")

    def value(token):
        token = token.strip()
        return consts[token] if token in consts else int(token, 0)

    return [(what, value(base), value(size)) for what, base, size in entries]


CONSTS = read_constants()
PAGE = CONSTS["k_page_size"]
MAP_END = CONSTS["k_kernel_map_end"]
GUEST_END = CONSTS["k_guest_physical_end"]
RESERVED = read_reserved_memory(CONSTS)
for name, bound in (("k_max_partitions", PARTITIONS), ("k_max_channels", CHANNELS),
                    ("k_max_mmio_ranges", MMIO_WINDOWS), ("k_max_labels", LABELS)):
    if CONSTS[name] < bound:  # the bound must stay inside SK-LIM-1, which is not transcribed
        raise SystemExit(f"policy_link: the bound exceeds {name} = {CONSTS[name]}")


def u64(v):
    return BitVecVal(v, 64)


# sk/policy.hpp (used by validate_rules.hpp): end_of saturates, overlaps is false for an empty range.
def end_of(base, size):
    return If(ULT(base + size, base), u64(2**64 - 1), base + size)


def overlaps(a_base, a_size, b_base, b_size):
    return And(a_size != 0, b_size != 0, ULT(a_base, end_of(b_base, b_size)), ULT(b_base, end_of(a_base, a_size)))


def page_aligned(v):
    return v & (PAGE - 1) == 0


class Partition:
    def __init__(self, i):
        n = f"partition{i}"
        self.base, self.size = BitVec(f"{n}.memory.base", 64), BitVec(f"{n}.memory.size", 64)
        self.label = BitVec(f"{n}.label", 16)
        self.mmio_count = BitVec(f"{n}.mmio_count", 32)
        self.mmio = [(BitVec(f"{n}.mmio{k}.base", 64), BitVec(f"{n}.mmio{k}.size", 64)) for k in range(MMIO_WINDOWS)]
        # The model's level of a partition whose label does not exist: anything (adversarial).
        self.level_unknown = BitVec(f"{n}.level_if_no_label", 8)

    def has_mmio(self, k):
        return ULT(BitVecVal(k, 32), self.mmio_count)


class Channel:
    def __init__(self, c):
        n = f"channel{c}"
        self.writer, self.reader = BitVec(f"{n}.writer", 16), BitVec(f"{n}.reader", 16)
        self.base, self.size = BitVec(f"{n}.memory.base", 64), BitVec(f"{n}.memory.size", 64)
        self.guest = BitVec(f"{n}.guest_address", 64)
        # The level of an endpoint that names no partition: anything (adversarial).
        self.writer_level_unknown = BitVec(f"{n}.writer_level_if_none", 8)
        self.reader_level_unknown = BitVec(f"{n}.reader_level_if_none", 8)


class Policy:
    """One symbolic policy: every field a variable, objects past a count present but unused."""

    def __init__(self):
        self.ram = BitVec("platform.ram_size", 64)
        self.kr_base, self.kr_size = BitVec("platform.kernel_reserved.base", 64), BitVec("platform.kernel_reserved.size", 64)
        self.partition_count = BitVec("partition_count", 32)
        self.channel_count = BitVec("channel_count", 32)
        self.label_count = BitVec("label_count", 32)
        self.levels = [BitVec(f"label{l}.level", 8) for l in range(LABELS)]
        self.parts = [Partition(i) for i in range(PARTITIONS)]
        self.chans = [Channel(c) for c in range(CHANNELS)]

    def bound(self):
        """The size bound (also keeps SK-LIM-1 satisfied)."""
        one = BitVecVal(1, 32)
        return And(ULE(one, self.partition_count), ULE(self.partition_count, PARTITIONS),
                   ULE(self.channel_count, CHANNELS), ULE(self.label_count, LABELS),
                   *[ULE(p.mmio_count, MMIO_WINDOWS) for p in self.parts])

    def has_partition(self, i):
        return ULT(BitVecVal(i, 32), self.partition_count)

    def has_channel(self, c):
        return ULT(BitVecVal(c, 32), self.channel_count)

    def names_partition(self, index16):  # partition_exists() for a uint16 index
        return ULT(ZeroExt(16, index16), self.partition_count)

    def label_exists(self, index16):
        return ULT(ZeroExt(16, index16), self.label_count)

    def partition_field(self, index16, get, otherwise):
        """get(partition index16), or otherwise when index16 names no partition slot."""
        out = otherwise
        for i in reversed(range(PARTITIONS)):
            out = If(index16 == i, get(self.parts[i]), out)
        return out

    def level_of_label(self, index16):
        out = self.levels[-1]
        for l in reversed(range(LABELS - 1)):
            out = If(index16 == l, self.levels[l], out)
        return out

    def level(self, index16, unknown):
        """The model's level of partition index16: its label's level if both exist, else `unknown`."""
        label = self.partition_field(index16, lambda p: p.label, BitVecVal(0xFFFF, 16))
        return If(And(self.names_partition(index16), self.label_exists(label)), self.level_of_label(label), unknown)

    def host_fields(self):
        """Every host-physical address and size in the policy (not guest addresses)."""
        out = [self.ram, self.kr_base, self.kr_size]
        for p in self.parts:
            out += [p.base, p.size] + [v for window in p.mmio for v in window]
        return out + [v for ch in self.chans for v in (ch.base, ch.size)]

    def toml_expressible(self):
        """What the TOML front end can write: integers up to INT64_MAX, labels at their order
        index, references resolved or unresolved (0xFFFE, tools/policy/src/parse.cpp)."""
        cs = [ULE(v, INT64_MAX) for v in self.host_fields() + [ch.guest for ch in self.chans]]
        cs += [self.levels[l] == l for l in range(LABELS)]
        cs += [Or(self.label_exists(p.label), p.label == 0xFFFE) for p in self.parts]
        for ch in self.chans:
            cs += [Or(self.names_partition(x), x == 0xFFFE) for x in (ch.writer, ch.reader)]
        return And(cs)


@dataclass
class Site:
    """One check of the validator: `holds` is true iff that check reports nothing."""
    rule: str
    name: str
    holds: object


def region(P, base, size):
    """check_region (validate_memory.cpp) for partition or channel memory: which check reports."""
    bad1 = Or(size == 0, Not(page_aligned(base)), Not(page_aligned(size)))
    outside = And(Not(bad1), Or(UGT(end_of(base, size), P.ram), ULT(base + size, base)))
    past_map = And(Not(bad1), Not(outside), UGT(end_of(base, size), MAP_END))
    ok = And(Not(bad1), Not(outside), Not(past_map))
    kernel = [("kernel_reserved", And(ok, overlaps(base, size, P.kr_base, P.kr_size)))]
    kernel += [(what, And(ok, overlaps(base, size, u64(b), u64(s)))) for what, b, s in RESERVED]
    return bad1, outside, past_map, ok, kernel


def mmio_checks(P, base, size):
    """check_wellformed (validate_devices.cpp) for one MMIO window: the else-if chain."""
    empty = size == 0
    unaligned = And(Not(empty), Or(Not(page_aligned(base)), Not(page_aligned(size))))
    wraps = And(Not(empty), Not(unaligned), ULT(base + size, base))
    in_ram = And(Not(empty), Not(unaligned), Not(wraps), overlaps(base, size, u64(0), P.ram))
    past_map = And(Not(empty), Not(unaligned), Not(wraps), Not(in_ram), UGT(base + size, MAP_END))
    ok = Not(Or(empty, unaligned, wraps, in_ram, past_map))
    return [("empty", empty), ("unaligned", unaligned), ("wraps", wraps), ("inside RAM", in_ram),
            ("past the kernel map", past_map)], ok


def transcribe(P):
    """The validator's rules over P, as check sites. Order and guards follow the C++."""
    sites = []

    def site(rule, name, bads):  # the site holds iff none of its (guarded) violations occurs
        sites.append(Site(rule, name, Not(Or(bads)) if bads else BoolVal(True)))

    # check_platform
    kr_wf = And(P.kr_size != 0, page_aligned(P.kr_base), page_aligned(P.kr_size))
    kr_outside = Or(UGT(end_of(P.kr_base, P.kr_size), P.ram), ULT(P.kr_base + P.kr_size, P.kr_base))
    site("SK-MEM-1", "platform ram", [Or(P.ram == 0, Not(page_aligned(P.ram)))])
    site("SK-MEM-1", "platform kernel_reserved", [Not(kr_wf)])
    site("SK-MEM-2", "kernel_reserved outside RAM", [And(kr_wf, kr_outside)])
    site("SK-MEM-2", "kernel_reserved past the kernel map",
         [And(kr_wf, Not(kr_outside), UGT(end_of(P.kr_base, P.kr_size), MAP_END))])

    # Partition memory: SK-MEM-1, -2, -4 per region, SK-MEM-3 pairwise on the regions that passed.
    parts = [region(P, p.base, p.size) for p in P.parts]
    ex = [P.has_partition(i) for i in range(PARTITIONS)]
    site("SK-MEM-1", "partition memory", [And(ex[i], parts[i][0]) for i in range(PARTITIONS)])
    site("SK-MEM-2", "partition memory outside RAM", [And(ex[i], parts[i][1]) for i in range(PARTITIONS)])
    site("SK-MEM-2", "partition memory past the kernel map", [And(ex[i], parts[i][2]) for i in range(PARTITIONS)])
    for k, (what, _) in enumerate(parts[0][4]):
        site("SK-MEM-4", f"partition memory over {what}", [And(ex[i], parts[i][4][k][1]) for i in range(PARTITIONS)])
    site("SK-MEM-3", "partition memory pairs",
         [And(ex[j], parts[i][3], parts[j][3], overlaps(P.parts[i].base, P.parts[i].size, P.parts[j].base, P.parts[j].size))
          for j in range(PARTITIONS) for i in range(j)])

    # Channels: region checks, guest_address, then (if all passed) SK-MEM-5 and SK-MEM-6.
    chans = [region(P, ch.base, ch.size) for ch in P.chans]
    cx = [P.has_channel(c) for c in range(CHANNELS)]
    g_unaligned = [Not(page_aligned(ch.guest)) for ch in P.chans]
    g_wraps = [And(page_aligned(ch.guest), ULT(ch.guest + ch.size, ch.guest)) for ch in P.chans]
    g_past = [And(page_aligned(ch.guest), Not(ULT(ch.guest + ch.size, ch.guest)), UGT(ch.guest + ch.size, GUEST_END))
              for ch in P.chans]
    chan_ok = [And(chans[c][3], Not(g_unaligned[c]), Not(g_wraps[c]), Not(g_past[c])) for c in range(CHANNELS)]
    site("SK-MEM-1", "channel memory", [And(cx[c], chans[c][0]) for c in range(CHANNELS)])
    site("SK-MEM-2", "channel memory outside RAM", [And(cx[c], chans[c][1]) for c in range(CHANNELS)])
    site("SK-MEM-2", "channel memory past the kernel map", [And(cx[c], chans[c][2]) for c in range(CHANNELS)])
    for k, (what, _) in enumerate(chans[0][4]):
        site("SK-MEM-4", f"channel memory over {what}", [And(cx[c], chans[c][4][k][1]) for c in range(CHANNELS)])
    site("SK-MEM-1", "channel guest_address", [And(cx[c], g_unaligned[c]) for c in range(CHANNELS)])
    site("SK-MEM-6", "channel guest window wraps", [And(cx[c], g_wraps[c]) for c in range(CHANNELS)])
    site("SK-MEM-6", "channel guest window past nested paging", [And(cx[c], g_past[c]) for c in range(CHANNELS)])
    site("SK-MEM-5", "channel memory over partition memory",
         [And(cx[c], chan_ok[c], ex[i], parts[i][3], overlaps(ch.base, ch.size, P.parts[i].base, P.parts[i].size))
          for c, ch in enumerate(P.chans) for i in range(PARTITIONS)])
    site("SK-MEM-5", "channel memory pairs",
         [And(cx[c], chan_ok[c], chan_ok[d], overlaps(P.chans[c].base, P.chans[c].size, P.chans[d].base, P.chans[d].size))
          for c in range(CHANNELS) for d in range(c)])
    # SK-MEM-6 in each existing endpoint q of channel c (check_guest_window).
    over_ram, over_mmio, over_window = [], [], []
    for c, ch in enumerate(P.chans):
        for q, part in enumerate(P.parts):
            endpoint = And(cx[c], chan_ok[c], ex[q], Or(ch.writer == q, ch.reader == q))
            over_ram.append(And(endpoint, overlaps(ch.guest, ch.size, u64(0), part.size)))
            over_mmio += [And(endpoint, part.has_mmio(k), overlaps(ch.guest, ch.size, b, s)) for k, (b, s) in enumerate(part.mmio)]
            over_window += [And(endpoint, Or(o.writer == q, o.reader == q), overlaps(ch.guest, ch.size, o.guest, o.size))
                            for o in P.chans[:c]]
    site("SK-MEM-6", "channel guest window over guest RAM", over_ram)
    site("SK-MEM-6", "channel guest window over an MMIO window", over_mmio)
    site("SK-MEM-6", "channel guest window over another channel's", over_window)

    # MMIO windows: SK-DEV-3 (well-formed), SK-DEV-2 (nothing of the kernel's), SK-DEV-1 (one owner).
    windows = []  # (partition, k, checks, ok)
    for i, part in enumerate(P.parts):
        for k, (b, s) in enumerate(part.mmio):
            checks, ok = mmio_checks(P, b, s)
            windows.append((i, k, checks, And(ex[i], part.has_mmio(k), ok)))
    for n, (what, _) in enumerate(windows[0][2]):
        site("SK-DEV-3", f"mmio {what}", [And(ex[i], P.parts[i].has_mmio(k), checks[n][1]) for i, k, checks, _ in windows])
    for what, rb, rs in RESERVED:
        site("SK-DEV-2", f"mmio over {what}", [And(ok, overlaps(*P.parts[i].mmio[k], u64(rb), u64(rs))) for i, k, _, ok in windows])
    site("SK-DEV-1", "mmio shared",
         [And(ok_a, ok_b, overlaps(*P.parts[i].mmio[k], *P.parts[j].mmio[l]))
          for i, k, _, ok_a in windows for j, l, _, ok_b in windows if i < j])

    # check_labels, check_flows
    site("SK-LABEL-1", "partition label", [And(ex[i], Not(P.label_exists(p.label))) for i, p in enumerate(P.parts)])
    both = [And(cx[c], P.names_partition(ch.writer), P.names_partition(ch.reader)) for c, ch in enumerate(P.chans)]
    site("SK-FLOW-2", "writer names no partition", [And(cx[c], Not(P.names_partition(ch.writer))) for c, ch in enumerate(P.chans)])
    site("SK-FLOW-2", "reader names no partition", [And(cx[c], Not(P.names_partition(ch.reader))) for c, ch in enumerate(P.chans)])
    site("SK-FLOW-2", "writer is reader", [And(both[c], ch.writer == ch.reader) for c, ch in enumerate(P.chans)])
    down = []
    for c, ch in enumerate(P.chans):
        wl = P.partition_field(ch.writer, lambda p: p.label, BitVecVal(0xFFFF, 16))
        rl = P.partition_field(ch.reader, lambda p: p.label, BitVecVal(0xFFFF, 16))
        down.append(And(both[c], ch.writer != ch.reader, P.label_exists(wl), P.label_exists(rl),
                        UGT(P.level_of_label(wl), P.level_of_label(rl))))
    site("SK-FLOW-1", "channel flows down", down)
    return sites


RULES = ["SK-MEM-1", "SK-MEM-2", "SK-MEM-3", "SK-MEM-4", "SK-MEM-5", "SK-MEM-6",
         "SK-DEV-1", "SK-DEV-2", "SK-DEV-3", "SK-LABEL-1", "SK-FLOW-1", "SK-FLOW-2"]


# ------------------------------------------------------------------------------------------------
# The translation into the model: sk::policy::guest_page, then the owners of the bytes reached.
# The model's store has a cell per partition memory (its MMIO windows are modelled as more of the
# partition's own, private state) and per channel; the kernel's memory and devices are not in it.

@dataclass
class Source:
    """One region of guest_regions() (access.cpp) for partition p: memory, channels, MMIO."""
    name: str
    present: object
    guest: object
    host: object
    size: object
    access: object
    cell: tuple


@dataclass
class Owner:
    """A host range whose bytes a guest page may reach, and the model cell (or kernel) it is."""
    name: str
    exists: object
    base: object
    size: object
    cell: tuple


def sources(P, p):
    me, rw, ro = P.parts[p], BitVecVal(READ_WRITE, 8), BitVecVal(READ, 8)
    out = [Source("its memory", BoolVal(True), u64(0), me.base, me.size, rw, ("memory", p))]
    for c, ch in enumerate(P.chans):  # the writer maps it read-write, else the reader read-only
        out.append(Source(f"channel{c}", And(P.has_channel(c), Or(ch.writer == p, ch.reader == p)), ch.guest,
                          ch.base, ch.size, If(ch.writer == p, rw, ro), ("channel", c)))
    for k, (b, s) in enumerate(me.mmio):
        out.append(Source(f"mmio{k}", me.has_mmio(k), b, b, s, rw, ("memory", p)))
    return out


def owner_ranges(P):
    out = []
    for q, part in enumerate(P.parts):
        out.append(Owner(f"partition{q} memory", P.has_partition(q), part.base, part.size, ("memory", q)))
        out += [Owner(f"partition{q} mmio{k}", And(P.has_partition(q), part.has_mmio(k)), b, s, ("memory", q))
                for k, (b, s) in enumerate(part.mmio)]
    out += [Owner(f"channel{c} memory", P.has_channel(c), ch.base, ch.size, ("channel", c)) for c, ch in enumerate(P.chans)]
    out.append(Owner("the kernel's kernel_reserved", BoolVal(True), P.kr_base, P.kr_size, ("kernel", "kernel_reserved")))
    out += [Owner(f"the kernel's {what}", BoolVal(True), u64(b), u64(s), ("kernel", what)) for what, b, s in RESERVED]
    return out


def guest_page(P, p, page):
    """guest_page for partition p (concrete) and page-aligned gpa `page`: the first region of
    sources() that contains it. Returns (granted, access, host, index of that source)."""
    granted, access, host, came_from = BoolVal(False), BitVecVal(0, 8), u64(0), BitVecVal(0, 8)
    for n, src in reversed(list(enumerate(sources(P, p)))):
        hit = And(src.present, UGE(page, src.guest), ULT(page - src.guest, src.size))
        granted = Or(hit, granted)
        access = If(hit, src.access, access)
        host = If(hit, src.host + (page - src.guest), host)
        came_from = If(hit, BitVecVal(n, 8), came_from)
    return granted, access, host, came_from


def touches(h, base, size):
    """The bytes [h, h + page) a guest page reaches intersect [base, base + size), both taken
    modulo 2^64 (a range that wraps still covers what it wraps onto)."""
    return And(size != 0, Or(ULT(h - base, size), ULT(base - h, PAGE)))


# Obligations: what the model's hypotheses say of the translated grant, and what the translation
# needs to be a function into the model's store.
PAGE_OBLIGATIONS = [
    ("grant_own_memory", "a partition's guest pages reach no other partition's memory or MMIO window"),
    ("grant_channel_endpoint", "a channel's pages are reached only from the channel's writer or reader"),
    ("grant_channel_writer", "only the writer reaches a channel's pages read-write"),
    ("grant_not_kernel", "no guest page reaches kernel-reserved memory or a device or page the kernel uses"),
    ("grant_one_cell", "the bytes a guest page reaches belong to one cell of the model's store"),
]
GLOBAL_OBLIGATIONS = [
    ("channel_endpoints_differ", "a channel's writer and reader are distinct partitions"),
    ("channel_flows_up", "a channel's writer is at most as high as its reader in the label order"),
]


def obligations_on(P, p, reached, access):
    """The page obligations of partition p, given reached(owner) (the page's bytes touch that
    owner's range, which exists) and the page's access. {name: formula that must hold}."""
    out = {n: [] for n, _ in PAGE_OBLIGATIONS}
    for o in owner_ranges(P):
        kind, who = o.cell
        t = reached(o)
        if kind == "memory" and who != p:
            out["grant_own_memory"].append(Not(t))
        if kind == "channel":
            ch = P.chans[who]
            out["grant_channel_endpoint"].append(Implies(t, Or(ch.writer == p, ch.reader == p)))
            out["grant_channel_writer"].append(Implies(And(t, access(o) == READ_WRITE), ch.writer == p))
        if kind == "kernel":
            out["grant_not_kernel"].append(Not(t))
    return {n: And(f) for n, f in out.items()}


def page_obligations(P, p, page):
    """The obligations for partition p's guest page `page`, on the exact translation."""
    granted, access, host, _ = guest_page(P, p, page)
    reached = lambda o: And(granted, o.exists, touches(host, o.base, o.size))
    out = obligations_on(P, p, reached, lambda o: access)
    cells = {}
    for o in owner_ranges(P):
        if o.cell[0] != "kernel":
            cells.setdefault(o.cell, []).append(reached(o))
    hit = [Or(f) for f in cells.values()]
    out["grant_one_cell"] = And([Not(And(hit[a], hit[b])) for a in range(len(hit)) for b in range(a)])
    return out


def no_wrap(base, size):
    return Not(ULT(base + size, base))


def reach_premises(src, o):
    """What the reach lemma needs to conclude that no page of src touches o."""
    return And(page_aligned(src.host), page_aligned(src.size), page_aligned(src.guest), no_wrap(src.host, src.size),
               no_wrap(o.base, o.size), Not(overlaps(src.host, src.size, o.base, o.size)))


def reach_lemma():
    """The reach lemma, as the formulas whose unsatisfiability proves it (for all 64-bit values):
    a page-aligned guest page inside a region's window reaches bytes inside the region's host
    range, so none of a range the validator finds disjoint from it. Two steps, o = page - guest."""
    host, size, guest, page, base, rsize, o = (BitVec(n, 64) for n in ("host", "size", "guest", "page", "base",
                                                                       "range_size", "offset"))
    src, rng = Source("s", BoolVal(True), guest, host, size, None, None), Owner("r", BoolVal(True), base, rsize, None)
    offset = And(page_aligned(page), page_aligned(guest), UGE(page, guest), ULT(page - guest, size),
                 Not(And(page_aligned(page - guest), ULT(page - guest, size))))
    touch = And(reach_premises(src, rng), page_aligned(o), ULT(o, size), touches(host + o, base, rsize))
    return [("the offset page - guest is page-aligned and inside the region", offset),
            ("no page at an aligned offset inside the region touches a disjoint range", touch)]


def abstract_page_obligations(P, p):
    """The obligations for every guest page of partition p at once, with "a page of source s
    touches owner o" a free Boolean constrained only by the reach lemma (sound: the exact
    translation is one of its models). Returns (lemma instances, {name: formula})."""
    lemma, parts = [], {n: [] for n, _ in PAGE_OBLIGATIONS}
    for s in sources(P, p):
        live = And(P.has_partition(p), s.present)
        reach = {}
        for o in owner_ranges(P):
            t = Bool(f"reach.partition{p}.{s.name}.{o.name}")
            lemma.append(Implies(reach_premises(s, o), Not(t)))
            reach[o.name] = And(live, o.exists, t)
        for n, f in obligations_on(P, p, lambda o: reach[o.name], lambda o: s.access).items():
            parts[n].append(f)
        parts["grant_one_cell"] += [Not(reach[o.name]) for o in owner_ranges(P)
                                    if o.cell[0] != "kernel" and o.cell != s.cell]
    return lemma, {n: And(f) for n, f in parts.items()}


def channel_obligations(P, c):
    """The obligations on channel c alone: {name: formula that must hold}."""
    ch = P.chans[c]
    return {
        "channel_endpoints_differ": Implies(P.has_channel(c), ch.writer != ch.reader),
        "channel_flows_up": Implies(P.has_channel(c), ULE(P.level(ch.writer, ch.writer_level_unknown),
                                                          P.level(ch.reader, ch.reader_level_unknown))),
    }


def global_obligations(P):
    per_channel = [channel_obligations(P, c) for c in range(CHANNELS)]
    return {n: And([o[n] for o in per_channel]) for n, _ in GLOBAL_OBLIGATIONS}
