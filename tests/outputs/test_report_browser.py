#!/usr/bin/env python3
"""The HTML report in a real browser: Debian's headless Chromium (issue 17).

`hedge report` writes the Pakistan report (the base world, and --compare double_shock)
under build/report/; Chromium loads each file, and the test reads what it rendered:

  - the DOM after loading (`chromium --headless --dump-dom`): the verdict table has a
    row per rule with its status; a bar chart (svg.chart) per rule with shares, each
    with its limit line and a bar per binding, the failing bars marked; the texts
    (26.77%, "limit <= 25%"); before and after bars in the comparison; the trade
    network's nodes, labels and weighted edges;
  - screenshots, light and dark (prefers-color-scheme), kept as build artifacts in
    build/report/*.png, decoded here to see that the page was painted (many colours,
    the theme's background);
  - a PDF through the print stylesheet (build/report/pakistan.pdf).

make test-browser installs the chromium package when it is missing (make test runs it).
Usage: test_report_browser.py [--hedge PATH] [--chromium PATH]. Prints 'ok NAME' or
'FAIL NAME: why', then 'N passed, M failed'; exits 1 on a failure.
"""
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PAK = os.path.join(ROOT, "examples", "pakistan")
OUT = os.path.join(ROOT, "build", "report")

passed = failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}"[:1500])


class Dom(html.parser.HTMLParser):
    """The elements of a page: tag, attributes, own text, and the ids of its ancestors."""

    def __init__(self):
        super().__init__()
        self.elements, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": [e for e in self.stack]}
        el["cls"] = set((el["attrs"].get("class") or "").split())
        self.elements.append(el)
        if tag not in ("meta", "br", "link", "input", "img", "hr"):
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1]["tag"] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["text"] += data

    def find(self, tag=None, cls=None, within=None):
        out = []
        for e in self.elements:
            if tag and e["tag"] != tag:
                continue
            if cls and cls not in e["cls"]:
                continue
            if within is not None and not any(p is within for p in e["parents"]):
                continue
            out.append(e)
        return out


def chromium(browser, *args, timeout=120):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(OUT, "chromium-profile"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def png_rows(path, nrows):
    """The first nrows rows of an 8-bit RGB/RGBA PNG as lists of (r, g, b)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), f"PNG depth {depth} colour type {ctype}"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompressobj().decompress(idat, (width * bpp + 1) * nrows)
    stride, prev, rows = width * bpp, bytearray(width * bpp), []
    for y in range(nrows):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return rows


def main(argv):
    hedge = os.path.join(ROOT, "hedge")
    browser = shutil.which("chromium") or "chromium"
    while argv:
        if argv[0] == "--hedge": hedge, argv = argv[1], argv[2:]
        elif argv[0] == "--chromium": browser, argv = argv[1], argv[2:]
        else: raise SystemExit(f"unknown argument {argv[0]}")
    hedge = os.path.abspath(hedge)
    if not shutil.which(browser):
        check("chromium is installed (make test-browser installs it)", False, browser)
        print(f"{passed} passed, {failed} failed")
        return 1
    os.makedirs(OUT, exist_ok=True)
    base, comp = os.path.join(OUT, "pakistan.html"), os.path.join(OUT, "pakistan-compare.html")
    env = dict(os.environ, NO_COLOR="1")
    for args in (["pakistan.hedge", "-o", base], ["scenarios.hedge", "--compare", "double_shock", "-o", comp]):
        p = subprocess.run([hedge, "report", *args], cwd=PAK, capture_output=True, text=True, env=env, timeout=120)
        check(f"hedge report {' '.join(args)}", p.returncode == 1 and os.path.getsize(args[-1]) > 10000, p.stderr[-500:])

    # ---- the base world, as Chromium built it
    p = chromium(browser, "--dump-dom", "file://" + base)
    dom = Dom()
    dom.feed(p.stdout)
    check("chromium renders the report (dump-dom)", p.returncode == 0 and "<svg" in p.stdout, p.stderr[-500:])
    rows = [e for e in dom.find("tr") if e["attrs"].get("id", "").startswith("rule-")]
    badges = {r["attrs"]["id"][5:]: [b["text"] for b in dom.find("span", "badge", within=r)] for r in rows}
    check("verdict table: a row per rule with its status",
          badges == {"trade_with_everyone": ["FAIL"], "no_dominant_market": ["FAIL"], "export_concentration": ["PASS"],
                     "eu_bloc": ["PASS"], "both_doors_open": ["WARN"], "no_dominant_creditor": ["FAIL"],
                     "multilateral_lenders": ["WARN"], "balance_is_power": ["PASS"], "rare_earth_supply": ["WARN"]},
          repr(badges))
    findings = " ".join(e["text"] for e in dom.find("td", "findings"))
    check("verdict table: the findings with numbers for people",
          "p = USA    export_share(...) = 26.77%, expected <= 25%" in findings and "l = CHN    debt_share(...) = 22.04%" in findings, findings[:400])
    charts = {e["parents"][-1]["attrs"].get("id"): e for e in dom.find("svg", "chart")}
    check("a bar chart per rule with shares",
          sorted(charts) == ["chart-eu_bloc", "chart-multilateral_lenders", "chart-no_dominant_creditor",
                             "chart-no_dominant_market", "chart-rare_earth_supply"], repr(sorted(charts)))
    problems = []
    for cid, svg in charts.items():
        limits, bars = dom.find("line", "limit", within=svg), dom.find("rect", "bar", within=svg)
        if len(limits) != 1 or not bars:
            problems.append(f"{cid}: {len(limits)} limit lines, {len(bars)} bars")
        for b in bars:
            if float(b["attrs"]["width"]) <= 0 or float(b["attrs"]["height"]) <= 0:
                problems.append(f"{cid}: an empty bar {b['attrs']}")
    check("each chart: a limit line and a bar per binding", not problems, "; ".join(problems))
    m = charts.get("chart-no_dominant_market")
    texts = [t["text"] for t in dom.find("text", within=m)] if m else []
    broken = [b for b in dom.find("rect", "broken", within=m)] if m else []
    check("no_dominant_market: USA's bar breaks the limit (26.77%, limit <= 25%), 14 markets drawn, the zeros counted",
          "26.77%" in texts and "limit <= 25%" in texts and len(broken) == 1 and "USA: 26.77%" in "".join(t["text"] for t in dom.find("title", within=broken[0]))
          and len(dom.find("rect", "bar", within=m)) == 14 and any(re.match(r"and \d+ at 0", t) for t in texts), repr(texts[:40]))
    cre = charts.get("chart-no_dominant_creditor")
    xs = {t["text"]: t for t in dom.find("text", within=cre)} if cre else {}
    check("no_dominant_creditor: the creditors by share, China first",
          [t["text"] for t in dom.find("text", within=cre)][:2] == ["CHN", "22.04%"] and "limit <= 20%" in xs, repr(list(xs)[:12]))
    net = dom.find("svg", "network")
    nodes = dom.find("circle", "node", within=net[0]) if net else []
    labels = {t["text"] for t in dom.find("text", "nodelabel", within=net[0])} if net else set()
    edges = dom.find("path", "edge", within=net[0]) if net else []
    widths = sorted(float(e["attrs"]["stroke-width"]) for e in edges)
    check("trade network: partners as nodes, flows as weighted edges",
          len(nodes) >= 20 and {"PAK", "USA", "CHN", "GBR"} <= labels and len(edges) >= 20 and widths[-1] > 3 * widths[0],
          f"{len(nodes)} nodes, {len(edges)} edges, labels {sorted(labels)[:10]}")
    titles = [t["text"] for t in dom.find("title", within=net[0])] if net else []
    check("trade network: each flow says its value", "PAK → USA: 11.47B USD" in titles, repr(titles[:5]))

    # ---- the comparison
    p = chromium(browser, "--dump-dom", "file://" + comp)
    dom2 = Dom()
    dom2.feed(p.stdout)
    rows = {e["attrs"]["id"][5:]: [b["text"] for b in dom2.find("span", "badge", within=e)]
            for e in dom2.find("tr") if e["attrs"].get("id", "").startswith("rule-")}
    check("compare: the statuses before and after",
          rows.get("no_dominant_market") == ["FAIL", "PASS"] and rows.get("eu_bloc") == ["PASS", "WARN"], repr(rows))
    charts2 = {e["parents"][-1]["attrs"].get("id"): e for e in dom2.find("svg", "chart")}
    m = charts2.get("chart-no_dominant_market")
    before = dom2.find("rect", "before", within=m) if m else []
    after = dom2.find("rect", "after", within=m) if m else []
    texts = [t["text"] for t in dom2.find("text", within=m)] if m else []
    check("compare: before and after bars, USA from 26.77% to 19.59%",
          len(before) == 14 and len(after) == 14 and texts[:3] == ["USA", "26.77%", "19.59%"], repr(texts[:9]))
    c = charts2.get("chart-no_dominant_creditor")
    ct = [t["text"] for t in dom2.find("text", within=c)] if c else []
    check("compare: China's claims gone in the scenario (a base bar only), the World Bank's share over the limit",
          ct[:2] == ["CHN", "22.04%"] and "WBG" in ct and ct[ct.index("WBG") + 2] == "23.13%"
          and len(dom2.find("rect", "after", within=c)) == len(dom2.find("rect", "before", within=c)) - 1, repr(ct[:12]))

    # ---- pictures: screenshots light and dark, a PDF through the print stylesheet
    shots = [("pakistan.png", base, []), ("pakistan-dark.png", base, ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]),
             ("pakistan-compare.png", comp, [])]
    for name, page, extra in shots:
        png = os.path.join(OUT, name)
        if os.path.exists(png):
            os.unlink(png)
        p = chromium(browser, *extra, "--window-size=1000,2400", "--screenshot=" + png, "file://" + page)
        ok = os.path.exists(png) and os.path.getsize(png) > 20000
        check(f"screenshot build/report/{name}", ok, p.stderr[-400:])
        if not ok:
            continue
        top = png_rows(png, 420)
        colours = {px for row in top[::3] for px in row[::3]}
        bg = top[2][2]
        dark = "dark" in name
        check(f"{name}: painted (many colours), {'dark' if dark else 'light'} background",
              len(colours) > 50 and (sum(bg) < 150 if dark else sum(bg) > 650), f"{len(colours)} colours, background {bg}")
    pdf = os.path.join(OUT, "pakistan.pdf")
    if os.path.exists(pdf):
        os.unlink(pdf)
    p = chromium(browser, "--no-pdf-header-footer", "--print-to-pdf=" + pdf, "file://" + base)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", open(pdf, "rb").read())) if os.path.exists(pdf) else 0
    check("printed to PDF through the print stylesheet (build/report/pakistan.pdf)", 1 <= pages <= 12, f"{pages} pages; {p.stderr[-300:]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
