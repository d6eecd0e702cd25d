#!/usr/bin/env python3
"""Rebuild this folder's CSVs from the shared source tables.

    python3 reshape.py [SOURCE_DIR]     # default: source/ beside this script

Reads pak_exports_by_partner_fy2025.csv, pak_external_debt_by_creditor_end2023.csv,
usgs_mcs2025_rare_earths_world.csv and countries_slim.csv; writes partners.csv,
deals.csv, rare_earths_mine.csv and loans.csv next to this script. Every reshaping
step is described in SOURCES.md. Python 3 standard library only.
"""
import csv, os, sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))

# Creditors that are not countries: our code, name, creditor_type as in the source.
INSTITUTIONS = {
    "World Bank (IBRD+IDA)": "WBG",
    "Asian Development Bank": "ADB",
    "Other multilateral": "OML",
    "Other bilateral": "OBL",
    "Bondholders": "BND",
    "IMF credit and allocations": "IMF",
}
COUNTRY_CREDITORS = {"China": "CHN", "Saudi Arabia": "SAU"}

# Loan terms and rates are not in the source: assumptions, stated in SOURCES.md.
ASSUMED = {  # code: (rate as a fraction, remaining term in years)
    "CHN": ("0.045", 10), "WBG": ("0.02", 25), "ADB": ("0.025", 20),
    "SAU": ("0.04", 3), "OML": ("0.04", 15), "OBL": ("0.02", 15),
    "BND": ("0.075", 7), "IMF": ("0.05", 4),
}
TOTAL_DEBT_BUSD = Decimal("130.85")
MAJOR_NON_EXPORT = ["IND"]          # tracked although absent from the export table


def rows(src, name):
    with open(os.path.join(src, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name, header, data):
    with open(os.path.join(HERE, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)


def main(src):
    countries = {r["alpha3"]: r for r in rows(src, "countries_slim.csv")}
    exports = rows(src, "pak_exports_by_partner_fy2025.csv")
    debt = rows(src, "pak_external_debt_by_creditor_end2023.csv")
    usgs = [r for r in rows(src, "usgs_mcs2025_rare_earths_world.csv")
            if r["iso3"] != "WLD"
            and (r["mine_production_2023_t_reo"] != "0" or r["mine_production_2024_t_reo"] != "0")]

    # partners.csv: PAK, export destinations, India, rare-earth producers,
    # institutional creditors, then the two pseudo-partners.
    codes = ["PAK"] + [r["iso3"] for r in exports] + MAJOR_NON_EXPORT
    codes += [r["iso3"] for r in usgs if r["iso3"] and r["iso3"] not in codes]
    partners = [(c, countries[c]["name"], countries[c]["sub_region"]) for c in codes]
    partners += [(code, name, "International") for name, code in INSTITUTIONS.items()]
    partners += [("OTH", "Other producers (USGS residual)", "World"),
                 ("WLD", "World market (pseudo-importer of mine output)", "World")]
    write("partners.csv", ["code", "name", "region"], partners)

    # deals.csv: PAK's goods exports by destination, FY2024-25 filed as 2025 and
    # FY2023-24 as 2024; USD million -> USD.
    deals = []
    for col, year in (("exports_fy2025_musd", 2025), ("exports_fy2024_musd", 2024)):
        for r in exports:
            usd = Decimal(r[col]) * 1_000_000
            deals.append(("PAK", r["iso3"], "goods", year, f"{usd:f}".split(".")[0]))
    write("deals.csv", ["exporter", "importer", "commodity", "year", "value_usd"], deals)

    # rare_earths_mine.csv: USGS mine production as deals producer -> WLD, commodity
    # reo_mined, notional value 1 USD per tonne (so value shares = tonnage shares).
    mine = []
    for year in (2023, 2024):
        for r in usgs:
            t = r[f"mine_production_{year}_t_reo"]
            mine.append((r["iso3"] or "OTH", "WLD", "reo_mined", year, t, t))
    write("rare_earths_mine.csv",
          ["exporter", "importer", "commodity", "year", "volume_t", "value_usd"], mine)

    # loans.csv: one loan per creditor for the end-2023 stock, borrower PAK,
    # start 2023; a missing amount is share_pct x the USD 130.85 bn total.
    loans = []
    for r in debt:
        code = COUNTRY_CREDITORS.get(r["creditor"]) or INSTITUTIONS[r["creditor"]]
        busd = Decimal(r["amount_busd"]) if r["amount_busd"] else \
            (Decimal(r["share_pct"]) / 100 * TOTAL_DEBT_BUSD).quantize(Decimal("0.0001"))
        usd = (busd * 1_000_000_000).quantize(Decimal("1"))
        rate, term = ASSUMED[code]
        loans.append((code, "PAK", f"{usd:f}", rate, 2023, term, r["creditor_type"]))
    write("loans.csv", ["lender", "borrower", "principal_usd", "rate", "start_year",
                        "term_years", "creditor_type"], loans)


if __name__ == "__main__":
    if len(sys.argv) > 2:
        sys.exit(__doc__)
    main(sys.argv[1] if len(sys.argv) == 2 else os.path.join(HERE, "source"))
