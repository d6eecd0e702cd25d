#!/usr/bin/env python3
"""Writes a BACI-layout data set and the same rows in hedge's own layout.

    python3 bench/baci/gen.py DIR [ROWS]      (default 1,000,000 rows, seed 1)

DIR gets:
  BACI_HS17_Y2022_V202401.csv   t,i,j,k,v,q: year, exporter and importer numeric
                                codes, HS6 product as an integer (leading zeros
                                lost, as in BACI), value in thousands of USD with
                                three decimals, quantity in tonnes or "NA" (about
                                5 %, some padded with spaces, as in BACI)
  country_codes_V202401.csv     country_code,country_name,country_iso2,country_iso3
  partners.csv, commodities.csv the same countries and products for hedge's own layout
  deals.csv                     exporter,importer,commodity,value,volume,year: the
                                same rows, codes already mapped, value in USD
                                (volume empty where q is NA)
  baci.hedge, own.hedge         the two programs the benchmark times (each loads its
                                files and prints the number of deals)
Deterministic (random.Random(1)); Python standard library only.
"""
import os, random, sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(1)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    countries = []   # (numeric, iso3, iso2, name)
    for k in range(220):
        iso3 = letters[k // 26 % 26] + letters[k % 26] + letters[(k * 7) % 26]
        countries.append((4 + 4 * k, iso3, iso3[:2], "Country %d" % k))
    seen, uniq = set(), []
    for c in countries:
        if c[1] not in seen:
            seen.add(c[1]); uniq.append(c)
    countries = uniq
    products = sorted({rnd.randrange(10100, 999999) for _ in range(5000)})
    with open(os.path.join(out, "country_codes_V202401.csv"), "w") as f:
        f.write("country_code,country_name,country_iso2,country_iso3\n")
        for num, iso3, iso2, name in countries:
            f.write("%d,%s,%s,%s\n" % (num, name, iso2, iso3))
    with open(os.path.join(out, "partners.csv"), "w") as f:
        f.write("code,name\n")
        for num, iso3, iso2, name in countries:
            f.write("%s,%s\n" % (iso3, name))
    with open(os.path.join(out, "commodities.csv"), "w") as f:
        f.write("code\n")
        for k in products:
            f.write("%06d\n" % k)
    with open(os.path.join(out, "BACI_HS17_Y2022_V202401.csv"), "w") as fb, \
         open(os.path.join(out, "deals.csv"), "w") as fo:
        fb.write("t,i,j,k,v,q\n")
        fo.write("exporter,importer,commodity,value,volume,year\n")
        nc = len(countries)
        for _ in range(n):
            a = rnd.randrange(nc)
            b = rnd.randrange(nc - 1)
            if b >= a:
                b += 1
            k = products[rnd.randrange(len(products))]
            v = rnd.randrange(1, 50_000_000) / 1000
            r = rnd.random()
            if r < 0.04:
                q, vol = "NA", ""
            elif r < 0.05:
                q, vol = "          NA", ""
            else:
                qq = rnd.randrange(1, 9_000_000) / 1000
                q = vol = "%.3f" % qq
            ca, cb = countries[a], countries[b]
            fb.write("2022,%d,%d,%d,%.3f,%s\n" % (ca[0], cb[0], k, v, q))
            fo.write("%s,%s,%06d,%.0f,%s,2022\n" % (ca[1], cb[1], k, v * 1000, vol))
    with open(os.path.join(out, "baci.hedge"), "w") as f:
        f.write('load deals from "BACI_HS17_Y2022_V202401.csv" as baci { countries: "country_codes_V202401.csv" }\n')
        f.write("print count(deals)\n")
    with open(os.path.join(out, "own.hedge"), "w") as f:
        f.write('load partners from "partners.csv"\nload commodities from "commodities.csv"\n')
        f.write('load deals from "deals.csv" { volume: volume t, date: year }\n')
        f.write("print count(deals)\n")


if __name__ == "__main__":
    main()
