#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The policy link as a proof (issue 15, item 5): Z3 proves, for every policy up to the bound of
policy_model.py, that the validator's rules as transcribed there imply every policy hypothesis of
proofs/Separation.v for the policy's translation into the model's grant; shows for each rule the
hypotheses it is needed for (a policy that breaks only that rule and breaks the hypothesis);
requires Separation.v to cite those rules; and checks the transcription against the C++
validator: a policy that breaks only one check site's rule must be refused by `bulkhead policy
check` citing exactly that rule, policies that keep every rule must be accepted.
Usage: policy_link.py [--bulkhead PATH] [--keep]   (/usr/bin/python3: Debian's python3-z3)
"""
import argparse
import contextlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

try:
    from z3 import ULE, And, BitVec, Bool, Implies, Not, Or, Solver, SolverFor, sat, unsat
except ImportError:
    sys.exit("policy_link: no Z3 module for this Python: run it with /usr/bin/python3 after "
             "`apt-get install python3-z3` (scripts/bootstrap.sh)")

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import policy_model as pm  # noqa: E402 (after the check above)

# The rules each obligation needs: for each rule listed, some policy of the search configuration
# (3 partitions with one MMIO window each, 2 channels, 2 labels) keeps every other rule and breaks
# the obligation. The test finds each such policy and fails if it cannot. Separation.v must cite
# every rule listed at the obligation's statement. A transcribed rule listed nowhere must be
# proved unneeded for every obligation.
NEEDED = {
    "grant_own_memory": ["SK-MEM-1", "SK-MEM-2", "SK-MEM-3", "SK-MEM-5", "SK-MEM-6", "SK-DEV-1", "SK-DEV-3"],
    "grant_channel_endpoint": ["SK-MEM-1", "SK-MEM-2", "SK-MEM-5", "SK-MEM-6", "SK-DEV-3"],
    "grant_channel_writer": ["SK-MEM-1", "SK-MEM-2", "SK-MEM-5", "SK-MEM-6", "SK-DEV-3"],
    "grant_not_kernel": ["SK-MEM-1", "SK-MEM-2", "SK-MEM-4", "SK-DEV-2", "SK-DEV-3"],
    "grant_one_cell": ["SK-MEM-1", "SK-MEM-2", "SK-MEM-3", "SK-MEM-5", "SK-MEM-6", "SK-DEV-1", "SK-DEV-3"],
    "channel_endpoints_differ": ["SK-FLOW-2"],
    "channel_flows_up": ["SK-LABEL-1", "SK-FLOW-1", "SK-FLOW-2"],
}
# Where Separation.v states each obligation: its hypotheses, and `Variable grant` for the two
# the translation needs to be a function into the store.
STATED_AT = {n: f"Hypothesis {n} " for n in NEEDED}
STATED_AT.update(grant_not_kernel="Variable grant ", grant_one_cell="Variable grant ")
# Rules whose counterexamples are not looked for in TOML nor run through the C++: SK-MEM-6
# matters to isolation only through a guest window that wraps past 2^64 (the C++ then skips
# SK-MEM-5 for that channel), and TOML integers stop at 2^63 - 1.
NOT_IN_TOML = {"SK-MEM-6"}
# Check sites no TOML policy can break while keeping every other rule: (reason, any policy can).
UNREACHABLE = {
    "SK-MEM-6: channel guest window wraps": ("base + size of TOML integers never wraps", True),
    "SK-DEV-3: mmio wraps": ("base + size of TOML integers never wraps", True),
    "SK-DEV-2: mmio over BIOS data area": ("RAM starts at 0, so SK-DEV-3 refuses such a window first", False),
}


class Link:
    def __init__(self, bulkhead, work):
        self.bulkhead, self.work = bulkhead, work
        self.P = P = pm.Policy()
        self.sites = pm.transcribe(P)
        self.rules = {r: And([s.holds for s in self.sites if s.rule == r]) for r in pm.RULES}
        self.failures, self.files, self.prefix = [], 0, "counterexample"
        # The exact translation, for counterexamples: partition p's guest page `page`.
        self.page = BitVec("guest_page", 64)
        self.per_page = [pm.page_obligations(P, p, self.page) for p in range(pm.PARTITIONS)]
        self.globals = pm.global_obligations(P)
        # One incremental solver for every satisfiable question, steered by selector literals.
        self.select = {self.key(s): Bool(f"holds {self.key(s)}") for s in self.sites}
        self.breaks = {n: Bool(f"breaks {n}") for n in NEEDED}
        self.toml, self.search = Bool("toml expressible"), Bool("search configuration")
        self.largest, self.smallest = Bool("largest"), Bool("smallest")
        self.readable = Bool("readable")  # host addresses and sizes below 2^33, for the reader's sake
        self.tight = Bool("tight")  # a valid policy on the boundary of as many checks as can be
        self.sat = Solver()
        self.sat.add(P.bound(), Implies(self.toml, P.toml_expressible()),
                     Implies(self.search, And(P.partition_count == 3, P.channel_count == 2, P.label_count == 2,
                                              *[p.mmio_count == 1 for p in P.parts])),
                     Implies(self.largest, And(P.partition_count == pm.PARTITIONS, P.channel_count == pm.CHANNELS,
                                               P.label_count == pm.LABELS, *[p.mmio_count == pm.MMIO_WINDOWS for p in P.parts])),
                     Implies(self.readable, And([ULE(x, 1 << 33) for x in P.host_fields()])),
                     Implies(self.tight, tight(P)),
                     Implies(self.smallest, And(P.partition_count == 1, P.channel_count == 0, P.label_count == 1)),
                     *[self.select[self.key(s)] == s.holds for s in self.sites],
                     *[Implies(self.breaks[n], self.broken(n)) for n in NEEDED])

    @staticmethod
    def key(site):
        return f"{site.rule}: {site.name}"

    def keep(self, rules):
        return [self.select[self.key(s)] for s in self.sites if s.rule in rules]

    def broken(self, name):
        """Some partition's guest page, or some channel, breaks the obligation (exact translation)."""
        cases = [And(self.P.has_partition(p), Not(self.per_page[p][name])) for p in range(pm.PARTITIONS) if name in self.per_page[p]]
        cases += [Not(self.globals[name])] if name in self.globals else []
        return And(pm.page_aligned(self.page), Or(cases))

    def fail(self, line):
        self.failures.append(line)
        print(f"policy_link: FAIL: {line}", flush=True)

    # -- 1. the rules imply every obligation --------------------------------------------------
    def prove(self, rules=None, quiet=False):
        """Proves every obligation from `rules` (default: all), with each "a page of region s
        reaches range o" abstracted by the reach lemma. Returns the obligations not proved."""
        rules = pm.RULES if rules is None else rules
        lemma, per_partition = [], []
        for p in range(pm.PARTITIONS):
            instances, obligations = pm.abstract_page_obligations(self.P, p)
            lemma += instances
            per_partition.append(obligations)
        unproved = []
        for name, meaning in pm.PAGE_OBLIGATIONS + pm.GLOBAL_OBLIGATIONS:
            goal = Or([Not(o[name]) for o in per_partition]) if name in per_partition[0] else Not(self.globals[name])
            s = SolverFor("QF_BV")
            s.add(self.P.bound(), *[self.rules[r] for r in rules], *lemma, goal)
            result = s.check()
            if result == unsat:
                if not quiet:
                    print(f"  proved  {name}: {meaning}")
                continue
            unproved.append(name)
            if quiet:
                continue
            self.fail(f"Z3 cannot prove {name} from the transcribed rules ({result})")
            for config in ([self.search], []):  # a concrete counterexample, if there is one
                if self.sat.check(self.breaks[name], *config, *self.keep(pm.RULES)) == sat:
                    print(self.explain(self.sat.model(), name))
                    break
            else:
                print("    no concrete counterexample either: the reach lemma's premises may be too weak")
        return unproved

    def reach_lemma(self):
        for title, negation in pm.reach_lemma():
            s = SolverFor("QF_BV")
            s.add(negation)
            result = s.check()
            if result == unsat:
                print(f"  proved  {title}")
            else:
                self.fail(f"the reach lemma: {title}: Z3 answers {result}")

    # -- 2. the rules each obligation needs ------------------------------------------------------
    def needed(self):
        found = checked = 0
        for rule in pm.RULES:
            names = [n for n, rules in NEEDED.items() if rule in rules]
            if not names:
                unproved = self.prove([r for r in pm.RULES if r != rule], quiet=True)
                if unproved:
                    self.fail(f"{rule} is needed by no obligation in NEEDED, yet {', '.join(unproved)} do not follow without it")
                else:
                    print(f"  {rule}: needed by no obligation (all proved without it)")
                continue
            others = self.keep([r for r in pm.RULES if r != rule])
            print(f"  {rule} is needed for {', '.join(names)}:")
            for name in names:
                expressible = rule not in NOT_IN_TOML
                config = [self.search] + ([self.toml] if expressible else [])
                result = self.sat.check(self.breaks[name], self.readable, *config, *others)
                if result != sat:
                    result = self.sat.check(self.breaks[name], *config, *others)
                if result != sat:
                    self.fail(f"{rule} is listed as needed for {name}, but Z3 finds no policy that keeps every other "
                              f"rule and breaks it ({result})")
                    continue
                m = self.sat.model()
                print(self.explain(m, name))
                found += 1
                if expressible:  # the C++ must refuse it, citing exactly this rule
                    checked += 1
                    self.cross_check(m, rule, f"a policy without {rule} that breaks {name}")
        print(f"  {found} counterexamples; the {checked} TOML can express were run through the C++ validator, "
              f"which must cite exactly the rule each one breaks")

    def citations(self, separation):
        """Separation.v cites, at each obligation's statement, every rule it needs."""
        before = len(self.failures)
        lines = separation.read_text().splitlines()
        stated = {l.split()[1] for l in lines if l.startswith("Hypothesis ")}
        for extra in sorted(stated - set(STATED_AT)):
            self.fail(f"proofs/Separation.v assumes {extra}, which policy_link.py does not prove")
        for name, rules in NEEDED.items():
            at = [i for i, l in enumerate(lines) if l.startswith(STATED_AT[name])]
            if len(at) != 1:
                self.fail(f"proofs/Separation.v: no single line starts with '{STATED_AT[name].strip()}'")
                continue
            start = end = at[0]
            while start > 0 and lines[start - 1].strip() and not re.match(r"[A-Z][a-z]+ ", lines[start - 1]):
                start -= 1  # the comment lines just above the statement
            while not re.search(r"\.\s*(\(\*.*\*\))?\s*$", lines[end]):
                end += 1  # the statement's own lines, with a trailing comment
            cited = set(re.findall(r"SK-[A-Z]+-\d+", "\n".join(lines[start:end + 1])))
            missing = [r for r in rules if r not in cited]
            if missing:
                self.fail(f"proofs/Separation.v:{at[0] + 1}: {name} needs {', '.join(missing)}, not cited there")
        if len(self.failures) == before:
            print(f"  every rule each obligation needs is cited at its statement in {separation.name}")

    # -- 3. the transcription against the C++ validator -----------------------------------------
    def witnesses(self):
        for title, config in (("largest", self.largest), ("smallest", self.smallest), ("tight", self.tight)):
            if self.sat.check(self.toml, config, *self.keep(pm.RULES)) != sat:
                why = ("a transcribed check is stricter than the boundary the C++ draws" if config is self.tight
                       else "the transcribed rules contradict each other")
                self.fail(f"no {title} policy keeps every transcribed rule ({why})")
                continue
            self.cross_check(self.sat.model(), None, f"the {title} policy keeping every rule")
        reached, unreachable = 0, []
        for site in self.sites:
            key = self.key(site)
            others = self.keep([r for r in pm.RULES if r != site.rule])
            same = [self.select[self.key(t)] for t in self.sites if t.rule == site.rule and t is not site]
            result = self.sat.check(self.toml, Not(self.select[key]), *others, *same)
            if result == unsat:  # the rule's other sites may have to break with it
                result = self.sat.check(self.toml, Not(self.select[key]), *others)
            if result == sat:
                reached += 1
                if key in UNREACHABLE:
                    self.fail(f"{key} is listed as unreachable from TOML but a policy breaks it alone")
                self.cross_check(self.sat.model(), site.rule, f"a policy breaking only {key}")
                continue
            anywhere = self.sat.check(Not(self.select[key]), *others) == sat
            unreachable.append(f"{key} ({'not in TOML' if anywhere else 'by no policy'})")
            if key not in UNREACHABLE or UNREACHABLE[key][1] != anywhere:
                self.fail(f"{key}: {'no TOML' if anywhere else 'no'} policy breaks it alone (UNREACHABLE says otherwise)")
        print(f"  {reached} of {len(self.sites)} check sites: a policy breaking that site alone is refused by the C++ "
              f"citing exactly its rule; unreachable: {', '.join(unreachable) or 'none'}")

    def cross_check(self, model, rule, what):
        """Writes the model's policy as TOML and requires the C++ validator's verdict to be `rule`."""
        self.files += 1
        path = self.work / f"{self.prefix}-{self.files:03d}.toml"
        path.write_text(to_toml(model, self.P, f"{what}: expect {rule or 'valid'}"))
        r = subprocess.run([self.bulkhead, "policy", "check", str(path)], capture_output=True, text=True, timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        found = [re.match(rf"^{re.escape(str(path))}:\d+: (SK-[A-Z0-9]+-\d+): ", l) for l in lines]
        ids = sorted({m.group(1) for m in found if m})
        ok = (r.returncode == 0 and not lines) if rule is None else (r.returncode == 1 and all(found) and ids == [rule])
        if not ok:
            said = ", ".join(ids) or (lines[0] if lines else f"exit {r.returncode}, nothing")
            self.fail(f"{what}: the C++ validator should {'accept it' if rule is None else 'cite exactly ' + rule}, "
                      f"it says {said} ({path.name})")

    def explain(self, m, name):
        """Where the counterexample breaks the obligation, then its policy, one line per object."""
        value = lambda x: m.eval(x, model_completion=True).as_long()
        holds = lambda x: bool(m.eval(x, model_completion=True))
        P, out = self.P, []
        for p in range(pm.PARTITIONS):
            if name not in self.per_page[p] or not holds(And(P.has_partition(p), Not(self.per_page[p][name]))):
                continue
            _, access, host, came = pm.guest_page(P, p, self.page)
            owned = [o.name for o in pm.owner_ranges(P) if holds(And(o.exists, pm.touches(host, o.base, o.size)))]
            out.append(f"    breaks {name}: p{p}'s guest page {value(self.page):#x} "
                       f"({pm.sources(P, p)[value(came)].name}, {'read-write' if value(access) == pm.READ_WRITE else 'read'}) "
                       f"reaches host [{value(host):#x}, +{pm.PAGE:#x}): {', '.join(owned)}")
            break
        for c, ch in enumerate(P.chans):
            if name in self.globals and not holds(pm.channel_obligations(P, c)[name]):
                level = lambda x, unknown: value(P.level(x, unknown)) if holds(
                    And(P.names_partition(x), P.label_exists(P.partition_field(x, lambda q: q.label, x)))) else "none"
                out.append(f"    breaks {name}: channel c{c} from p{value(ch.writer)} (level "
                           f"{level(ch.writer, ch.writer_level_unknown)}) to p{value(ch.reader)} (level "
                           f"{level(ch.reader, ch.reader_level_unknown)})")
        span = lambda b, s: f"[{value(b):#x}, +{value(s):#x})"
        pc, lc = value(P.partition_count), value(P.label_count)
        out.append(f"      platform: ram {value(P.ram):#x}, kernel_reserved {span(P.kr_base, P.kr_size)}, "
                   f"label levels {[value(l) for l in P.levels[:lc]]}")
        for i, part in enumerate(P.parts[:pc]):
            windows = "".join(f", mmio {span(b, s)}" for b, s in part.mmio[:value(part.mmio_count)])
            label = value(part.label)
            out.append(f"      p{i}: label {label if label < lc else 'none'}, memory {span(part.base, part.size)}{windows}")
        for c, ch in enumerate(P.chans[:value(P.channel_count)]):
            ends = [f"p{x}" if x < pc else f"index {x:#x}" for x in (value(ch.writer), value(ch.reader))]
            out.append(f"      c{c}: {ends[0]} -> {ends[1]}, memory {span(ch.base, ch.size)}, guest {value(ch.guest):#x}")
        return "\n".join(out)


def tight(P):
    """A policy whose regions sit exactly on boundaries the checks draw (touching, not overlapping):
    the C++ accepts it, so a transcribed check stricter than the C++ at one of them is found."""
    p0, p1, p2, p3 = P.parts
    c0, c1 = P.chans
    end = lambda base, size: base + size
    reserved = sorted((b, b + size) for _, b, size in pm.RESERVED)
    gap = (reserved[0][1], reserved[1][0])  # between the two lowest reserved ranges
    top = reserved[-1][1]                   # the end of the highest one (the LAPIC today)
    return And(P.partition_count == 4, P.channel_count == 2, P.label_count == 2, ULE(P.ram, 1 << 32),
               p0.mmio_count == 1, p1.mmio_count == 1, p2.mmio_count == 0, p3.mmio_count == 0,
               end(p0.base, p0.size) == P.ram,                      # SK-MEM-2: ends where RAM ends
               end(p1.base, p1.size) == p0.base,                    # SK-MEM-3: partitions touch
               end(c0.base, c0.size) == p1.base,                    # SK-MEM-5: channel touches partition
               end(c1.base, c1.size) == c0.base,                    # SK-MEM-5: channels touch
               end(P.kr_base, P.kr_size) == c1.base,                # SK-MEM-4: touches kernel_reserved
               end(p2.base, p2.size) == P.kr_base,
               p3.base == gap[0], end(p3.base, p3.size) == gap[1],  # SK-MEM-4: between reserved ranges
               p0.mmio[0][0] == P.ram,                              # SK-DEV-3: window starts where RAM ends
               p1.mmio[0][0] == top, end(*p1.mmio[0]) == pm.MAP_END,  # SK-DEV-2/-3: after a device, to 4 GiB
               c1.writer == c0.writer, c0.guest == P.partition_field(c0.writer, lambda p: p.size, pm.u64(0)),
               c1.guest == end(c0.guest, c0.size))                  # SK-MEM-6: windows touch guest RAM, each other


# The indicator's colours of each label: readable (SK-TP-1), no two backgrounds of one hue (SK-TP-2).
LABEL_COLOURS = [("white", "blue"), ("white", "red"), ("black", "green"), ("white", "magenta")]


def to_toml(m, P, title):
    """The model's policy in the language of policies/*.toml, with names, colours, images and a
    schedule that keep every rule that is not transcribed."""
    v = lambda x: m.eval(x, model_completion=True).as_long()
    pc, cc, lc = v(P.partition_count), v(P.channel_count), v(P.label_count)
    levels = [v(l) for l in P.levels[:lc]]
    out = [f"# {title}", "version = 1", "[platform]", f"ram = {v(P.ram):#x}",
           f"kernel_reserved = {{ base = {v(P.kr_base):#x}, size = {v(P.kr_size):#x} }}", "cpus = 1",
           "[labels]", "order = [" + ", ".join(f'"l{l}"' for l in range(lc)) + "]"]
    out += [f'colour.l{l} = {{ fg = "{LABEL_COLOURS[l][0]}", bg = "{LABEL_COLOURS[l][1]}" }}' for l in range(lc)]
    if levels != list(range(lc)):
        out.append(f"# label levels (a compiled image, not TOML): {levels}")
    for i, part in enumerate(P.parts[:pc]):
        label = v(part.label)
        out += ["[[partition]]", f'name = "p{i}"', f'label = "{f"l{label}" if label < lc else "no-such-label"}"',
                "cpu = 0",
                f"memory = {{ base = {v(part.base):#x}, size = {v(part.size):#x} }}", f'image = "p{i}.elf"']
        windows = [f"{{ base = {v(b):#x}, size = {v(s):#x} }}" for b, s in part.mmio[:v(part.mmio_count)]]
        if windows:
            out.append("mmio = [" + ", ".join(windows) + "]")
    for c, ch in enumerate(P.chans[:cc]):
        ends = [f'"p{x}"' if x < pc else '"no-such-partition"' for x in (v(ch.writer), v(ch.reader))]
        out += ["[[channel]]", f'name = "c{c}"', f"writer = {ends[0]}", f"reader = {ends[1]}",
                f"memory = {{ base = {v(ch.base):#x}, size = {v(ch.size):#x} }}", f"guest_address = {v(ch.guest):#x}"]
    frames = ", ".join(f'{{ partition = "p{i}", us = 10000 }}' for i in range(pc))
    out += ["[[schedule.cpu]]", "id = 0", f"major_frame_us = {10000 * pc}", f"frames = [{frames}]", ""]
    return "\n".join(out)


def run_sections(link, sections):
    """Runs the sections in order, each printing into its own text. Returns what the parent needs."""
    texts = {}
    for title, step in sections:
        out, t = io.StringIO(), time.monotonic()
        with contextlib.redirect_stdout(out):
            print(f"{title}:")
            step()
            print(f"  ({time.monotonic() - t:.1f} s)")
        texts[title] = out.getvalue()
    return {"texts": texts, "failures": list(link.failures), "files": link.files}


def in_child(link, sections):
    """run_sections in a forked child, beside the parent (two cores). Returns a join function."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its copy of link, its own solvers and file names; nothing is shared
        os.close(read)
        link.prefix = "witness"
        try:
            result = run_sections(link, sections)
        except BaseException as e:  # the parent reports it as one line
            result = {"texts": {}, "failures": [f"the second process stopped: {e!r}"], "files": 0}
        with os.fdopen(write, "w") as f:
            json.dump(result, f)
        os._exit(0)
    os.close(write)

    def join():
        with os.fdopen(read) as f:
            data = f.read()
        os.waitpid(pid, 0)
        return json.loads(data) if data else {"texts": {}, "failures": ["the second process died"], "files": 0}
    return join


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bulkhead", default=str(pm.ROOT / "build/host/tools/bulkhead/bulkhead"))
    ap.add_argument("--keep", action="store_true", help="keep the generated policies and print their folder")
    args = ap.parse_args()
    if not pathlib.Path(args.bulkhead).is_file():
        print(f"policy_link: {args.bulkhead}: no bulkhead binary there (build it, or pass --bulkhead)")
        return 2
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="policy-link-") as work:
        link = Link(args.bulkhead, pathlib.Path(work))
        for i in range(pm.PARTITIONS):
            (link.work / f"p{i}.elf").write_bytes(b"")
        print(f"policy_link: every policy of 1..{pm.PARTITIONS} partitions (memory and 0..{pm.MMIO_WINDOWS} MMIO "
              f"window each), 0..{pm.CHANNELS} channels and 0..{pm.LABELS} labels, every field free over its C++ type; "
              f"{len(link.sites)} check sites of {len(pm.RULES)} rules; {len(pm.RESERVED)} reserved ranges from policy.cpp",
              flush=True)
        sections = [("the reach lemma, for all 64-bit values", link.reach_lemma),
                    ("the rules imply every obligation", link.prove),
                    ("the rules each obligation needs", link.needed),
                    ("the citations", lambda: link.citations(pm.ROOT / "proofs/Separation.v")),
                    ("the transcription against the C++ validator", link.witnesses)]
        child = in_child(link, [sections[i] for i in (0, 1, 4)])  # about half the work each
        here = run_sections(link, [sections[i] for i in (2, 3)])
        there = child()
        texts = {**there["texts"], **here["texts"]}
        print("".join(texts.get(title, f"{title}: not run\n") for title, _ in sections), end="")
        failures = there["failures"] + here["failures"]
        files = there["files"] + here["files"]
        if args.keep:
            kept = pathlib.Path(tempfile.mkdtemp(prefix="policy-link-kept-"))
            for f in link.work.glob("*.toml"):
                (kept / f.name).write_text(f.read_text())
            print(f"policy_link: the generated policies are kept in {kept}")
    for line in failures:  # each once more at the end, where a reader of the log looks first
        print(f"policy_link: FAIL: {line}")
    verdict = f"{len(failures)} failures" if failures else "the link holds"
    print(f"policy_link: {verdict}; {files} policies run through the C++ validator; {time.monotonic() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
