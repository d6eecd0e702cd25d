#!/usr/bin/env python3
"""Write a hedge program with many declared deals, to time the parser and the
declaration path (no CSV): `hedge check` on it must take well under a second
at 100,000 deals.

    python3 gen_decls.py [--deals 100000] [--partners 50] [--commodities 20]
                         [--seed 1] --out FILE

The file declares the partners P1..Pn and commodities c1..cm first, then one
`deal { exporter: Pa, importer: Pb, commodity: cK, value: X USD, date: 2025-MM }`
per line (exporter != importer, every value > 0), then the rule
`rule positive: forall d in deals: d.value > 0`, which passes (exit 0).
Python 3 stdlib only; the same arguments give the same bytes.
"""
import argparse, os, random

KINDS = ["critical_mineral", "energy", "food", "manufactured"]
REGIONS = ["south_asia", "east_asia", "europe", "africa", "north_america"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--deals", type=int, default=100000)
    ap.add_argument("--partners", type=int, default=50)
    ap.add_argument("--commodities", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.partners < 2 or a.commodities < 1 or a.deals < 1:
        ap.error("need at least 2 partners, 1 commodity and 1 deal")
    rng = random.Random(a.seed)
    out = []
    w = out.append
    w("# %d declared deals over %d partners and %d commodities (bench/decls/gen_decls.py,"
      " seed %d)" % (a.deals, a.partners, a.commodities, a.seed))
    for i in range(1, a.partners + 1):
        w('partner P%d { name: "Partner %d", region: "%s" }' % (i, i, REGIONS[i % len(REGIONS)]))
    for k in range(1, a.commodities + 1):
        w('commodity c%d { kind: "%s" }' % (k, KINDS[k % len(KINDS)]))
    for _ in range(a.deals):
        e = rng.randrange(1, a.partners + 1)
        m = rng.randrange(1, a.partners)
        if m >= e:
            m += 1                                   # importer != exporter
        k = rng.randrange(1, a.commodities + 1)
        cents = rng.randrange(1, 5_000_000_000)      # 0.01 .. 50M USD
        w("deal { exporter: P%d, importer: P%d, commodity: c%d, value: %d.%02d USD, date: 2025-%02d }"
          % (e, m, k, cents // 100, cents % 100, rng.randrange(1, 13)))
    w("")
    w("rule positive: forall d in deals: d.value > 0")
    tmp = a.out + ".tmp"
    d = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(d, exist_ok=True)
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
