#!/usr/bin/env python3
"""A stand-in for ./hedge, only to test the bench harness before hedge exists.
It is NOT hedge: it recognises bench/w1/w1.hedge (any file that loads the four
W1 CSVs) and bench/decls' generated file, and computes W1 the way hedge's
SPEC says it should: values as USD doubles, compensated sums, tolerant
comparisons (2^-44), HHI over partners in declaration order. It therefore
also shows whether that float semantics reproduces W1's expected text.

    HEDGE=bench/selftest/fake_hedge.py bench/run.sh 100000
Commands: check [--format json|text] FILE | eval EXPR [FILE] | (no args: piped REPL)
"""
import csv, json, math, os, re, sys

F = "PAK"
TOL = 2.0 ** -44


def eq(a, b):
    return abs(a - b) <= TOL * max(abs(a), abs(b))


def gt(a, b):
    return a > b and not eq(a, b)


def rows(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        yield from r


def w1(d):
    partners = [r[0] for r in rows(os.path.join(d, "partners.csv"))]
    commodities = [r[0] for r in rows(os.path.join(d, "commodities.csv"))]
    deals = [(r[1], r[2], r[3], int(r[4]), float(r[6])) for r in rows(os.path.join(d, "deals.csv"))]
    loans = [(r[1], r[2], float(r[3]), int(r[5]), int(r[6])) for r in rows(os.path.join(d, "loans.csv"))]
    Y = max(x[3] for x in deals)
    ys = [x for x in deals if x[3] == Y]
    trade, imp, world = {}, {}, {}
    for e, i, c, _, v in ys:
        if e == F:
            trade.setdefault(i, []).append(v)
        if i == F:
            trade.setdefault(e, []).append(v)
            imp.setdefault(c, {}).setdefault(e, []).append(v)
        world.setdefault(c, {}).setdefault(e, []).append(v)
    out = []

    def rule(name, cexs):
        out.append({"name": name, "title": None, "severity": "error",
                    "status": "fail" if cexs else "pass", "file": "w1.hedge",
                    "line": 0, "col": 1, "counterexamples": cexs, "error": None})

    def cx(b, expr, v, lim):
        return {"bindings": b, "values": [{"expr": expr, "value": v, "unit": None},
                                          {"expr": repr(lim), "value": lim, "unit": None}]}

    rule("R1", [{"bindings": {"p": p}, "values": [
        {"expr": "trade(F, p, year: Y)", "value": 0, "unit": "USD"},
        {"expr": "0", "value": 0, "unit": None}]}
        for p in partners if p != F and not gt(math.fsum(trade.get(p, [])), 0)])
    r2, r3 = [], []
    for c in commodities:
        by = imp.get(c, {})
        I = math.fsum(v for vs in by.values() for v in vs)
        if not gt(I, 0):
            continue
        hhi = 0.0
        for p in partners:
            s = math.fsum(by.get(p, [])) / I
            hhi += (100.0 * s) ** 2
            if gt(s, 0.4):
                r2.append(cx({"c": c, "p": p}, "import_share(F, p, commodity: c, year: Y)", s, 0.4))
        if not (hhi < 2500 and not eq(hhi, 2500)):
            r3.append(cx({"c": c}, "import_hhi(F, commodity: c, year: Y)", hhi, 2500))
    rule("R2", r2)
    rule("R3", r3)
    debt = {}
    for l, b, pr, st, term in loans:
        if b == F and st <= Y < st + term:
            debt.setdefault(l, []).append(pr)
    D = math.fsum(v for vs in debt.values() for v in vs)
    r4 = []
    if gt(D, 0):
        for l in partners:
            s = math.fsum(debt.get(l, [])) / D
            if gt(s, 0.5):
                r4.append(cx({"l": l}, "debt_share(F, l, year: Y)", s, 0.5))
    rule("R4", r4)
    r5 = []
    for c in commodities:
        by = world.get(c, {})
        W = math.fsum(v for vs in by.values() for v in vs)
        if not gt(W, 0):
            continue
        for e in partners:
            s = math.fsum(by.get(e, [])) / W
            if gt(s, 0.7):
                r5.append(cx({"c": c, "e": e}, "world_share(e, commodity: c, year: Y)", s, 0.7))
    rule("R5", r5)
    return out


def decls(path):
    n = bad = 0
    for line in open(path, encoding="utf-8"):
        if line.startswith("deal"):
            n += 1
            m = re.search(r"value: ([0-9.]+)", line)
            if not m or float(m.group(1)) <= 0:
                bad += 1
    return [{"name": "positive", "title": None, "severity": "error",
             "status": "fail" if bad else "pass", "file": os.path.basename(path),
             "line": 0, "col": 1, "counterexamples": [], "error": None}]


def check(args):
    fmt, files = "text", []
    it = iter(args)
    for a in it:
        if a == "--format":
            fmt = next(it)
        else:
            files.append(a)
    rules = []
    for f in files:
        src = open(f, encoding="utf-8").read()
        rules += w1(os.path.dirname(os.path.abspath(f))) if "load deals" in src else decls(f)
    failed = sum(r["status"] == "fail" for r in rules)
    summary = {"passed": len(rules) - failed, "failed": failed, "warnings": 0, "errors": 0}
    if fmt == "json":
        json.dump({"hedge": "fake", "scenario": None, "rules": rules, "summary": summary}, sys.stdout)
        print()
    else:
        for r in rules:
            print(r["status"].upper(), r["name"])
        print("%d rules: %d passed, %d failed" % (len(rules), summary["passed"], failed))
    return 1 if failed else 0


def main(argv):
    if argv[:1] == ["check"]:
        return check(argv[1:])
    if argv[:1] == ["eval"]:
        print(argv[1])
        return 0
    if not argv:
        for line in sys.stdin:
            if line.strip() == ":quit":
                break
        return 0
    sys.stderr.write("fake_hedge: unsupported: %s\n" % " ".join(argv))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
