#!/usr/bin/env python3
"""A skewed, BACI-like variant of W1's data (bench/run.sh, "skewed 1M").

Writes partners.csv, commodities.csv, deals.csv and loans.csv in W1's layout
into --out DIR, but the importers are popular ones, as in real bilateral
trade tables: the importer of a deal is drawn with weight 1/rank**2 over
the partners (the focus, PAK, first), so a few importers hold most of the
rows and the average cell of an index says little about the cells that
queries touch. Same --seed and sizes give the same bytes.
"""
import argparse, bisect, itertools, os, random


def zipf(rng, items, s):
    cum = list(itertools.accumulate((k ** -s for k in range(1, len(items) + 1))))
    total = cum[-1]
    return lambda: items[bisect.bisect(cum, rng.random() * total)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deals", type=int, default=1000000)
    ap.add_argument("--partners", type=int, default=200)
    ap.add_argument("--commodities", type=int, default=1000)
    ap.add_argument("--years", type=int, default=1, help="years from 2025 back (BACI: one file a year)")
    ap.add_argument("--uniform", action="store_true",
                    help="the same shape with importers drawn uniformly (the baseline of the skew goal)")
    ap.add_argument("--loans", type=int, default=5000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    partners = ["PAK", "CHN", "USA", "DEU", "JPN"] + ["X%03d" % i for i in range(6, a.partners + 1)]
    commodities = ["c%03d" % i for i in range(1, a.commodities + 1)]
    with open(os.path.join(a.out, "partners.csv"), "w") as f:
        f.write("code,name,region\n")
        f.writelines("%s,%s,r%d\n" % (p, p, i % 9) for i, p in enumerate(partners))
    with open(os.path.join(a.out, "commodities.csv"), "w") as f:
        f.write("code,name,kind\n")
        f.writelines("%s,%s,k%d\n" % (c, c, i % 4) for i, c in enumerate(commodities))
    # skewed: PAK imports about 60% of all rows; uniform: every partner alike
    importer = (lambda: rng.choice(partners)) if a.uniform else zipf(rng, partners, 2.0)
    exporter = zipf(rng, partners[::-1], 0.8)
    with open(os.path.join(a.out, "deals.csv"), "w") as f:
        f.write("id,exporter,importer,commodity,year,volume_t,value_usd\n")
        for i in range(1, a.deals + 1):
            imp = importer()
            exp = exporter()
            while exp == imp:
                exp = exporter()
            value = rng.lognormvariate(13.0, 1.5)
            f.write("%d,%s,%s,%s,%d,%.3f,%.2f\n" % (i, exp, imp, rng.choice(commodities),
                                                    rng.randint(2026 - a.years, 2025), value / 700.0, max(0.01, value)))
    with open(os.path.join(a.out, "loans.csv"), "w") as f:
        f.write("id,lender,borrower,principal_usd,rate,start_year,term_years\n")
        for i in range(1, a.loans + 1):
            lender = rng.choice(partners[1:])
            borrower = "PAK" if rng.random() < 0.3 else rng.choice(partners[1:])
            while borrower == lender:
                borrower = rng.choice(partners)
            f.write("%d,%s,%s,%.2f,%.2f,%d,%d\n" % (i, lender, borrower, rng.lognormvariate(18.0, 1.0),
                                                    rng.uniform(0.5, 8.0), rng.randint(2005, 2025),
                                                    rng.randint(5, 30)))


if __name__ == "__main__":
    main()
