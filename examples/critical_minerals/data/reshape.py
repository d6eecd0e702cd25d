#!/usr/bin/env python3
"""Rebuild this folder's CSVs from the shared IEA and country-code tables.

    python3 reshape.py [SOURCE_DIR]     # default: source/ beside this script

Reads iea_cm_supply_by_country_2024_2040.csv and countries_slim.csv; writes
partners.csv, commodities.csv and supply.csv next to this script (see SOURCES.md).
Python 3 standard library only.
"""
import csv, os, sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
MINERALS = ["Copper", "Cobalt", "Lithium", "Graphite"]
STAGES = ["mining", "refining"]
# IEA country names that differ from countries_slim's `name` column.
ALIASES = {"Democratic Republic of Congo": "COD", "United States": "USA"}


def rows(src, name):
    with open(os.path.join(src, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name, header, data):
    with open(os.path.join(HERE, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)


def main(src):
    countries = rows(src, "countries_slim.csv")
    by_name = {r["name"]: r["alpha3"] for r in countries}
    by_code = {r["alpha3"]: r for r in countries}
    iea = [r for r in rows(src, "iea_cm_supply_by_country_2024_2040.csv")
           if r["mineral"] in MINERALS and r["country"] != "World"]

    def code(country):
        if country == "Rest of world":
            return "ROW"
        return ALIASES.get(country) or by_name[country]

    codes = []
    for r in iea:
        c = code(r["country"])
        if c not in codes and c != "ROW":
            codes.append(c)
    partners = [(c, by_code[c]["name"], by_code[c]["sub_region"]) for c in codes]
    partners += [("ROW", "Rest of world (IEA residual)", "World"),
                 ("WLD", "World market (pseudo-importer of supply)", "World")]
    write("partners.csv", ["code", "name", "region"], partners)

    commodities = [(f"{m.lower()}_{s}", f"{m} ({s})", m.lower(), s)
                   for m in MINERALS for s in STAGES]
    write("commodities.csv", ["code", "name", "mineral", "stage"], commodities)

    supply = []
    for r in iea:
        kt = Decimal(r["value_kt"])
        usd = kt * 1000                      # notional 1 USD per tonne
        supply.append((code(r["country"]), "WLD", f"{r['mineral'].lower()}_{r['stage']}",
                       r["year"], r["case"], f"{kt.normalize():f}", f"{usd.normalize():f}"))
    write("supply.csv", ["exporter", "importer", "commodity", "year", "case",
                         "volume_kt", "value_usd"], supply)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    main(sys.argv[1] if len(sys.argv) == 2 else os.path.join(HERE, "source"))
