#!/usr/bin/env python3
"""BACI sample: hedge's shares and totals against an independent computation.

    python3 tests/load/test_baci.py [--hedge PATH]

Loads each year of ../examples/data_as_it_comes/data/baci_sample with the one-line
`as baci` load and compares, for every importer and supplier, import_share (by
value and by volume), imports, world_share and world_hhi with the same figures
computed here from the CSV files with Python's csv module (codes mapped through
the country file, values in thousands of USD, "NA" quantities left out).
Prints "N passed, M failed" and exits 1 on any difference.
"""
import argparse, csv, os, subprocess, sys, tempfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "examples", "data_as_it_comes", "data", "baci_sample")


def expected(flows):
    codes = {r["country_code"]: r["country_iso3"]
             for r in csv.DictReader(open(os.path.join(DATA, "country_codes_V202401.csv"), newline=""))}
    val = defaultdict(float)    # (importer, exporter) -> USD
    vol = defaultdict(float)    # (importer, exporter) -> t, flows with a quantity only
    exp = defaultdict(float)    # exporter -> USD
    for r in csv.DictReader(open(os.path.join(DATA, flows), newline="")):
        i, j = codes[r["i"]], codes[r["j"]]
        v = float(r["v"]) * 1000
        val[(j, i)] += v
        exp[i] += v
        if r["q"].strip() != "NA":
            vol[(j, i)] += float(r["q"])
    return val, vol, exp


def close(a, b):
    # hedge prints 13 significant digits: agreement to 1e-11 of the larger
    return abs(a - b) <= 1e-11 * max(abs(a), abs(b)) or abs(a - b) <= 1e-12


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hedge", default=os.path.join(ROOT, "hedge"))
    args = ap.parse_args()
    passed = failed = 0
    for flows in ("BACI_HS17_Y2021_V202401.csv", "BACI_HS17_Y2022_V202401.csv"):
        val, vol, exp = expected(flows)
        importers = sorted({j for j, _ in val})
        exporters = sorted({i for _, i in val})
        with tempfile.TemporaryDirectory() as tmp:
            prog = os.path.join(tmp, "baci.hedge")
            with open(prog, "w") as f:
                f.write('load deals from "%s" as baci { countries: "country_codes_V202401.csv" }\n'
                        % os.path.join(DATA, flows))
                # one line per figure: name|value (13 significant digits, in USD or t)
                for j in importers:
                    f.write('print "imports %s|" + fmt(imports(%s) / 1 USD, \"0.000000000000E\")\n' % (j, j))
                    for i in exporters:
                        if i == j:
                            continue
                        f.write('print "share %s %s|" + fmt(import_share(%s, %s), \"0.000000000000E\")\n' % (j, i, j, i))
                        f.write('print "vshare %s %s|" + fmt(import_share(%s, %s, by: volume), \"0.000000000000E\")\n' % (j, i, j, i))
                for i in exporters:
                    f.write('print "world %s|" + fmt(world_share(%s), \"0.000000000000E\")\n' % (i, i))
                f.write('print "hhi|" + fmt(world_hhi(), \"0.000000000000E\")\n')
            out = subprocess.run([args.hedge, "run", prog], capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                print("FAIL %s: hedge exited %d: %s" % (flows, out.returncode, out.stderr.strip()))
                failed += 1
                continue
            got = dict(line.split("|", 1) for line in out.stdout.splitlines() if "|" in line)
        world = sum(exp.values())
        want = {"hhi": sum((100 * x / world) ** 2 for x in exp.values())}
        for j in importers:
            tot = sum(v for (jj, _), v in val.items() if jj == j)
            vtot = sum(v for (jj, _), v in vol.items() if jj == j)
            want["imports %s" % j] = tot
            for i in exporters:
                if i == j:
                    continue
                want["share %s %s" % (j, i)] = val[(j, i)] / tot if tot else 0.0
                want["vshare %s %s" % (j, i)] = vol[(j, i)] / vtot if vtot else 0.0
        for i in exporters:
            want["world %s" % i] = exp[i] / world
        bad = [k for k in want if k not in got or not close(float(got[k]), want[k])]
        for k in bad[:10]:
            print("FAIL %s: %s: hedge %s, Python %r" % (flows, k, got.get(k), want[k]))
        if bad:
            failed += 1
        else:
            print("ok   %s: %d figures agree" % (flows, len(want)))
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
