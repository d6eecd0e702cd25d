#!/usr/bin/env python3
"""Indexes built in one fused pass, predicted from the rules, against the lazy path.

Before a check, hedge reads the calls of the standard queries in the rules
(and in the lets and user functions they read) and builds every dense index
they will query in one pass over the deals (interp/stdfast.c
stdfast_prepare, interp/index.c index_prepare); HEDGE_FUSED=0 turns that off
and each index is built at its first query. The two must give the same
reports byte for byte: each cell sums its deals in row order either way.

Generates (in a temporary folder) a world of 300 partners, 3 commodities,
6 years and 6,000 deals (importers skewed towards PAK, some deals without a
date), large enough that the finest queries have no dense index of their
own and are answered from a coarser one sub-ordered by the missing field,
with rules that need several indexes, their rows and a sub-ordering, a let
and a user function that query deals, and scenarios that drop deals (the
fused pass then skips dropped rows) or change values. Runs `check --format
json`, `--explain`, `--scenario` and `--compare` both ways and requires
identical output; checks the counterexamples of one rule against the same
figures computed here from the CSV, in cents, so that the comparison is not
between two empty reports. Ends with 'N passed, M failed'.
Usage: test_fused.py [--hedge PATH]
"""
import json
import os, random, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # tests/
from harness import ok, finish  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PROGRAM = '''load partners from "partners.csv" {}
commodity oil, ore, tea
load deals from "deals.csv" { value: value USD, date: year }

let F = PAK
let Y = max(d in deals: d.year)
let Z = imports(F, year: Y)
fn dep(p) = imports(F, from: p, year: Y) / Z

rule R1: forall p in partners where p != F: trade(F, p, year: Y) > 0
rule R2: forall c in commodities where imports(F, commodity: c, year: Y) > 0:
  forall p in partners: import_share(F, p, commodity: c, year: Y) <= 40%
rule R3: forall c in commodities where imports(F, commodity: c, year: Y) > 0:
  import_hhi(F, commodity: c, year: Y) < 2500
rule R5: forall c in commodities where world_exports(commodity: c, year: Y) > 0:
  forall e in partners: world_share(e, commodity: c, year: Y) <= 70%
rule R6: forall p in partners: exports(p, to: F, commodity: oil) < 4000 USD
rule R7: forall p in partners where p != F: export_share(p, F, year: Y) <= 90%
rule R8: forall c in commodities: world_hhi(commodity: c) < 300
rule R9: forall p in partners where p != F: dep(p) <= 5%
rule R10: forall p in partners where p != F: balance(F, p) > -20000 USD
rule big: forall p in partners: imports(F, from: p, commodity: oil, year: 2024) < LIMIT

scenario cut "P001 and P002 stop exporting" {
  drop d in deals where d.exporter == P001 or d.exporter == P002
}
scenario bump "PAK's 2024 imports double" {
  update d in deals where d.importer == PAK and d.year == 2024 { value: d.value * 2 }
}
'''


def run(hedge, cwd, args, fused):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("HEDGE_FUSED", None)
    if not fused:
        env["HEDGE_FUSED"] = "0"
    p = subprocess.run([hedge] + args, cwd=cwd, env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    return p.returncode, p.stdout, p.stderr


def main(argv):
    hedge = os.path.join(ROOT, "hedge")
    if argv[:1] == ["--hedge"]:
        hedge = argv[1]
    hedge = os.path.abspath(hedge)
    rng = random.Random(11)
    partners = ["PAK"] + ["P%03d" % i for i in range(1, 300)]
    comms = ["oil", "ore", "tea"]
    deals = []
    for _ in range(6000):
        imp = "PAK" if rng.random() < 0.5 else rng.choice(partners)
        exp = rng.choice(partners[:60])
        while exp == imp:
            exp = rng.choice(partners[:60])
        year = None if rng.random() < 0.04 else rng.randint(2020, 2025)
        deals.append((exp, imp, rng.choice(comms), year, rng.randint(1, 10**6)))
    d = tempfile.mkdtemp(prefix="hedge-fused-")
    with open(os.path.join(d, "partners.csv"), "w") as f:
        f.write("code\n" + "".join(p + "\n" for p in partners))
    with open(os.path.join(d, "deals.csv"), "w") as f:
        f.write("exporter,importer,commodity,year,value\n")
        for e, i, c, y, v in deals:
            f.write("%s,%s,%s,%s,%d.%02d\n" % (e, i, c, "" if y is None else y, v // 100, v % 100))
    # rule big: the partners whose oil sold to PAK in 2024 reaches LIMIT (in cents)
    by = {}
    for e, i, c, y, v in deals:
        if i == "PAK" and c == "oil" and y == 2024:
            by[e] = by.get(e, 0) + v
    limit = sorted(by.values())[len(by) // 2]
    with open(os.path.join(d, "w.hedge"), "w") as f:
        f.write(PROGRAM.replace("LIMIT", "%d.%02d USD" % (limit // 100, limit % 100)))

    commands = [
        ["check", "--format", "json", "w.hedge"],
        ["check", "--explain", "w.hedge"],
        ["check", "--format", "json", "--scenario", "cut", "w.hedge"],
        ["check", "--format", "json", "--scenario", "bump", "w.hedge"],
        ["check", "--format", "json", "--compare", "cut", "w.hedge"],
        ["check", "--compare", "bump", "w.hedge"],
        ["check", "--format", "json", "--rule", "R2", "w.hedge"],
    ]
    for args in commands:
        a, b = run(hedge, d, args, True), run(hedge, d, args, False)
        ok(a == b, "`hedge %s` differs between the fused build and HEDGE_FUSED=0:\n  fused %r\n  lazy  %r"
              % (" ".join(args), a[:3], b[:3]) if a != b else "")
        ok(a[0] in (0, 1) and a[1], "`hedge %s` gave no report (exit %s): %s" % (" ".join(args), a[0], a[2][:300]))

    code, out, err = run(hedge, d, ["check", "--format", "json", "w.hedge"], True)
    report = json.loads(out) if out else {"rules": []}
    rules = {r["name"]: r for r in report["rules"]}
    ok(len(rules) == 10 and all(r["status"] in ("pass", "fail") for r in rules.values()),
          "every rule checked without an error: %s" % {n: (r["status"], r.get("error")) for n, r in rules.items()})
    big = rules.get("big", {})
    got = {cx["bindings"]["p"]: round(cx["values"][0]["value"] * 100) for cx in big.get("counterexamples", [])}
    want = {p: v for p, v in by.items() if v >= limit}
    ok(got == want, "rule big's counterexamples: got %d partners, want %d (%s)"
          % (len(got), len(want), sorted(set(got) ^ set(want))[:5]))

    shutil.rmtree(d, ignore_errors=True)
    finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
