#!/usr/bin/env python3
"""The index planner against an independent computation.

Generates (in a temporary folder) a world with 300 partners, 3 commodities,
6 years and 4,000 deals whose importers are skewed (most deals go to PAK)
and some of which have no date, so that the fine queries of the standard
library cannot have a dense index of their own and are answered from a
coarser one, by binary search in cells sub-ordered by the missing field
(interp/index.c). Every figure hedge prints for a sample of queries
(imports/exports/trade with from:/to:, commodity:, year:, shares, HHI) must
equal the same figure computed here in Python from the CSV, in cents.
Ends with 'N passed, M failed'.
Usage: test_planner.py [--hedge PATH]
"""
import json
import os, random, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv):
    hedge = os.path.join(ROOT, "hedge")
    if argv[:1] == ["--hedge"]:
        hedge = argv[1]
    hedge = os.path.abspath(hedge)
    rng = random.Random(7)
    partners = ["PAK"] + ["P%03d" % i for i in range(1, 300)]
    comms = ["oil", "ore", "tea"]
    deals = []
    for _ in range(4000):
        imp = "PAK" if rng.random() < 0.6 else rng.choice(partners)
        exp = rng.choice(partners[:40])
        while exp == imp:
            exp = rng.choice(partners[:40])
        year = None if rng.random() < 0.05 else rng.randint(2020, 2025)
        cents = rng.randint(1, 10**7)
        deals.append((exp, imp, rng.choice(comms), year, cents))
    d = tempfile.mkdtemp(prefix="hedge-planner-")
    with open(os.path.join(d, "partners.csv"), "w") as f:
        f.write("code\n" + "".join(p + "\n" for p in partners))
    with open(os.path.join(d, "deals.csv"), "w") as f:
        f.write("exporter,importer,commodity,year,value\n")
        for e, i, c, y, v in deals:
            f.write("%s,%s,%s,%s,%d.%02d\n" % (e, i, c, "" if y is None else y, v // 100, v % 100))
    with open(os.path.join(d, "w.hedge"), "w") as f:
        f.write('load partners from "partners.csv" {}\ncommodity oil, ore, tea\n'
                'load deals from "deals.csv" { value: value USD, date: year }\n')

    def total(**k):
        return sum(v for e, i, c, y, v in deals
                   if all({"exp": e, "imp": i, "com": c, "year": y}[n] == want for n, want in k.items()))

    queries = []   # (hedge expression, expected cents or ratio, kind)
    for _ in range(60):
        p = rng.choice(partners[:40])
        c = rng.choice(comms)
        y = rng.randint(2020, 2026)
        queries.append((f"imports(PAK, from: {p}, commodity: {c}, year: {y})", total(exp=p, imp="PAK", com=c, year=y), "usd"))
        queries.append((f"imports(PAK, from: {p})", total(exp=p, imp="PAK"), "usd"))
        queries.append((f"imports(PAK, from: {p}, year: {y})", total(exp=p, imp="PAK", year=y), "usd"))
        queries.append((f"exports({p}, to: PAK, commodity: {c})", total(exp=p, imp="PAK", com=c), "usd"))
        q = rng.choice(partners)
        queries.append((f"trade({p}, {q}, year: {y})", total(exp=p, imp=q, year=y) + total(exp=q, imp=p, year=y), "usd"))
        part, whole = total(exp=p, imp="PAK", com=c, year=y), total(imp="PAK", com=c, year=y)
        queries.append((f"import_share(PAK, {p}, commodity: {c}, year: {y})", (part, whole), "share"))
    passed = failed = 0
    for expr, want, kind in queries:
        text = f"({expr}) / (1 USD)" if kind == "usd" else expr
        # --format json: the value with every digit (hedge eval prints for people)
        p = subprocess.run([hedge, "eval", "--format", "json", text, "w.hedge"], cwd=d, capture_output=True, text=True)
        out = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        ok = False
        if p.returncode == 0:
            try:
                got = json.loads(out)["value"]
            except (ValueError, KeyError, TypeError):
                got = None
            if kind == "usd":
                ok = isinstance(got, (int, float)) and round(got * 100) == want
            else:
                part, whole = want
                ok = isinstance(got, (int, float)) and (abs(got - part / whole) <= 1e-12 if whole else got == 0)
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {expr}: want {want}, hedge printed {out!r} (exit {p.returncode}) {p.stderr[:200]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
