#!/usr/bin/env python3
"""Tests of the documents hedge writes for other programs (issue 17).

  table   `hedge table` of every Pakistan rule, base world and each scenario, read
          with Python's csv module: one row per binding, and the failing rows carry
          exactly the figures of `hedge check --format json` (same numbers, every digit);
          the JSON table has the same cells
  junit   `hedge check --format junit` and `hedge test --format junit` validate against
          tests/outputs/junit.xsd (xmllint) and say what the reports say: a failing rule
          is a <failure>, a failing warn passes with <system-out>, an error is <error>,
          a vacuous rule is <skipped>
  batch   `hedge batch` over every Pakistan scenario (and the base world, a scenario
          given as text, bad lines) answers each line, in order, with the very report
          `hedge check --format json --scenario NAME` prints
  stdout  with --format json/junit, table and batch, stdout holds only the document
          (the Pakistan files print figures: they go to stderr)
  html    `hedge report` writes one self-contained file: no script, nothing to fetch

Usage: test_outputs.py [--hedge PATH]. Prints 'ok NAME' or 'FAIL NAME: why' per check,
then 'N passed, M failed'; exits 1 on a failure.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PAK = os.path.join(ROOT, "examples", "pakistan")
XSD = os.path.join(HERE, "junit.xsd")

passed = failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {why}"[:2000])


def hedge(*args, stdin=None, cwd=PAK, ok=(0, 1)):
    env = dict(os.environ, NO_COLOR="1")
    p = subprocess.run([HEDGE, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if mark in p.stderr:
            raise SystemExit(f"sanitizer report from hedge {' '.join(args)}:\n{p.stderr}")
    if p.returncode not in ok:
        raise RuntimeError(f"hedge {' '.join(args)} exited {p.returncode}: {p.stderr[:500]}")
    return p


def norm(expr):
    return re.sub(r"\s+", " ", expr).strip()


def rules_of(report):
    return {r["name"]: r for r in report["rules"]}


# ---------------------------------------------------------------- table

def column_name(header):
    """'exports(F, to: p) [USD]' -> ('exports(F, to: p)', 'USD')"""
    m = re.match(r"^(.*) \[([^\]]+)\]$", header)
    return (m.group(1), m.group(2)) if m else (header, None)


def test_table(scenario=None):
    flags = ["--scenario", scenario] if scenario else []
    where = f" ({scenario})" if scenario else ""
    report = json.loads(hedge("check", "--format", "json", *flags, "scenarios.hedge").stdout)
    for rule in report["rules"]:
        name = rule["name"]
        out = hedge("table", *flags, "scenarios.hedge", name, ok=(0,)).stdout
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        header = next(csv.reader(io.StringIO(out, newline="")))
        cols = {column_name(h)[0]: h for h in header}
        units = {column_name(h)[0]: column_name(h)[1] for h in header}
        failing = [r for r in rows if r["holds"] == "false"]
        problems = []
        if rule["status"] == "fail" and len(failing) != len(rule["counterexamples"]):
            problems.append(f"{len(failing)} failing rows, {len(rule['counterexamples'])} counterexamples")
        if rule["status"] == "pass" and failing:
            problems.append(f"a passing rule has failing rows {failing[:2]}")
        for cx in rule["counterexamples"]:
            match = [r for r in failing if all(str(r.get(k)) == str(v) for k, v in cx["bindings"].items())]
            if len(match) != 1:
                problems.append(f"no single row for bindings {cx['bindings']}: {len(match)}")
                continue
            r = match[0]
            for v in cx["values"]:
                key = norm(v["expr"])
                if key not in cols:
                    if not re.match(r"^[-\d.e+%]+$", key):   # a literal is not a column
                        problems.append(f"no column for {key!r} in {header}")
                    continue
                cell = r[cols[key]]
                if v["value"] is None or isinstance(v["value"], (int, float)):
                    if float(cell) != v["value"]:
                        problems.append(f"{key}: table {cell} json {v['value']}")
                    if units[key] != v["unit"]:
                        problems.append(f"{key}: unit {units[key]} json {v['unit']}")
                elif str(v["value"]) != cell:
                    problems.append(f"{key}: table {cell!r} json {v['value']!r}")
        # the JSON table has the same rows and cells
        jt = json.loads(hedge("table", "--format", "json", *flags, "scenarios.hedge", name, ok=(0,)).stdout)
        if len(jt["rows"]) != len(rows):
            problems.append(f"json table has {len(jt['rows'])} rows, csv {len(rows)}")
        else:
            for jr, cr in zip(jt["rows"], rows):
                for col in jt["columns"]:
                    jv = jr[col["name"]]
                    cv = cr[cols[col["name"]]]
                    if isinstance(jv, bool):
                        same = cv == ("true" if jv else "false")
                    elif isinstance(jv, (int, float)):
                        same = float(cv) == jv
                    else:
                        same = cv == ("" if jv is None else str(jv))
                    if not same:
                        problems.append(f"json cell {col['name']}={jv!r}, csv {cv!r}")
                        break
        check(f"table {name}{where}: csv rows = bindings, figures = JSON report", not problems, "; ".join(problems[:5]))


def test_table_misc():
    out = hedge("table", "pakistan.hedge", "forall p in majors: exports(F, to: p, year: FY)", ok=(0,)).stdout
    rows = list(csv.reader(io.StringIO(out, newline="")))
    check("table of an expression: a column per variable and figure, unit in the header",
          rows[0] == ["p", "exports(F, to: p, year: FY) [USD]"] and len(rows) == 9 and rows[1] == ["USA", "6028193000"],
          repr(rows[:3]))
    p = hedge("table", "pakistan.hedge", "no_dominant_markt", ok=(2,))
    check("table of an unknown rule: an error with the near name",
          "unknown rule 'no_dominant_markt'" in p.stderr and "no_dominant_market" in p.stderr and not p.stdout, p.stderr)
    p = hedge("table", "pakistan.hedge", "forall p in partners: 1 / 0 > 1", ok=(0,))
    rows = list(csv.DictReader(io.StringIO(p.stdout, newline="")))
    check("table: a figure that fails to evaluate says so in its cell",
          rows and rows[0]["1 / 0"].startswith("error:") and "division by zero" in rows[0]["1 / 0"], p.stdout[:300])
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "t.csv")
        p = hedge("table", "pakistan.hedge", "no_dominant_creditor", "-o", out, ok=(0,))
        want = hedge("table", "pakistan.hedge", "no_dominant_creditor", ok=(0,)).stdout
        check("table -o FILE writes the table there, nothing on stdout",
              not p.stdout and open(out).read() == want and want.startswith("l,"), p.stdout[:200])


# ---------------------------------------------------------------- junit

def xmllint(text):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run(["xmllint", "--noout", "--schema", XSD, f.name], capture_output=True, text=True)
        return p.returncode == 0, p.stderr
    finally:
        os.unlink(f.name)


def test_junit():
    if not shutil.which("xmllint"):
        check("junit: xmllint is installed (make deps: libxml2-utils)", False, "xmllint not found")
        return
    for flags in ([], ["--scenario", "double_shock"]):
        p = hedge("check", "--format", "junit", *flags, "scenarios.hedge")
        valid, why = xmllint(p.stdout)
        check(f"check --format junit {' '.join(flags)}: valid against junit.xsd", valid, why)
        report = json.loads(hedge("check", "--format", "json", *flags, "scenarios.hedge").stdout)
        root = ET.fromstring(p.stdout)
        cases = {c.get("name"): c for c in root.iter("testcase")}
        problems = []
        if list(cases) != [r["name"] for r in report["rules"]]:
            problems.append(f"test cases {list(cases)}")
        for r in report["rules"]:
            c = cases.get(r["name"])
            if c is None:
                continue
            kids = [k.tag for k in c]
            want = {"pass": [], "error": ["error"], "vacuous": ["skipped"]}.get(r["status"])
            if r["status"] == "fail":
                want = ["system-out"] if r["severity"] == "warning" else ["failure"]
            if kids != want:
                problems.append(f"{r['name']} ({r['status']}, {r['severity']}): {kids}, expected {want}")
            if r["status"] == "fail":
                body = c.find(want[0]).text
                for cx in r["counterexamples"]:
                    for k, v in cx["bindings"].items():
                        if f"{k} = {v}" not in body:
                            problems.append(f"{r['name']}: {k} = {v} not in {body!r}")
        suite = root.find("testsuite")
        s = report["summary"]
        if (int(suite.get("tests")), int(suite.get("failures")), int(suite.get("errors"))) != (len(report["rules"]), s["failed"], s["errors"]):
            problems.append(f"suite counts {suite.attrib} vs {s}")
        check(f"check --format junit {' '.join(flags)}: a case per rule, warn passes with system-out", not problems, "; ".join(problems))
    # errors and vacuous rules, on a small world
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "w.hedge")
        open(src, "w").write('partner PAK, USA\ncommodity oil\n'
                             'deal { exporter: USA, importer: PAK, commodity: oil, value: 5M USD, date: 2025 }\n'
                             'rule fine: imports(PAK) > 0\n'
                             'rule broken: 1 / 0 > 1\n'
                             'rule strict "quoted <&> title": forall p in partners: import_share(PAK, p) <= 40%\n'
                             'warn soft: imports(PAK) > 1B USD\n'
                             'rule nothing: forall p in partners where p == PAK and p == USA: imports(p) > 0\n')
        p = hedge("check", "--format", "junit", "w.hedge", cwd=d, ok=(0, 1, 2))
        valid, why = xmllint(p.stdout)
        root = ET.fromstring(p.stdout) if valid else None
        cases = {c.get("name"): [k.tag for k in c] for c in root.iter("testcase")} if root is not None else {}
        js = rules_of(json.loads(hedge("check", "--format", "json", "w.hedge", cwd=d, ok=(0, 1, 2)).stdout))
        want_nothing = ["skipped"] if js["nothing"]["status"] == "vacuous" else []
        check("check --format junit: error -> <error>, vacuous -> <skipped>, escapes, valid",
              valid and cases == {"fine": [], "broken": ["error"], "strict": ["failure"], "soft": ["system-out"],
                                  "nothing": want_nothing},
              f"{why} {cases}")
        open(os.path.join(d, "bad.hedge"), "w").write("rule r: nope > 1\n")
        p = hedge("check", "--format", "junit", "bad.hedge", cwd=d, ok=(2,))
        valid, why = xmllint(p.stdout)
        check("check --format junit: a file that does not load is a valid document with one <error>",
              valid and 'errors="1"' in p.stdout and "nope" in p.stdout, why + p.stdout)
    p = hedge("test", "--format", "junit", "tests.hedge")
    valid, why = xmllint(p.stdout)
    text = hedge("test", "tests.hedge").stdout
    n_ok = len(re.findall(r"^ok ", text, re.M))
    check("test --format junit: valid, a case per test block", valid and p.stdout.count("<testcase ") == n_ok and n_ok > 0,
          f"{why} {p.stdout.count('<testcase ')} cases, {n_ok} ok lines")
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "t.hedge"), "w").write(
            'partner PAK\nlet x = 2\ntest "two is two" { expect x == 2 }\ntest "two is three" { expect x == 3 }\n')
        p = hedge("test", "--format", "junit", "t.hedge", cwd=d, ok=(1,))
        valid, why = xmllint(p.stdout)
        root = ET.fromstring(p.stdout) if valid else None
        fails = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None] if root is not None else []
        check("test --format junit: a failing test is a <failure> with the expectation", valid and fails == ["two is three"]
              and "x == 3" in p.stdout, why + p.stdout)


# ---------------------------------------------------------------- batch

def scenario_names():
    names = []
    for f in ("scenarios.hedge", "pakistan.hedge"):
        names += re.findall(r"^scenario\s+(\w+)", open(os.path.join(PAK, f)).read(), re.M)
    return names


def test_batch():
    names = scenario_names()
    lines = [{"id": 0, "scenario": None}] + [{"id": i + 1, "scenario": n} for i, n in enumerate(names)]
    lines += [{"id": "text", "text": "scenario no_wbg { drop l in loans where l.lender == WBG }"},
              {"id": "unknown", "scenario": "no_such"},
              {"id": {"nested": [1, 2]}, "scenario": names[0]}]
    raw = "\n".join(json.dumps(l) for l in lines) + "\nnot json\n\n" + json.dumps({"id": 99, "scenario": None}) + "\n"
    p = hedge("batch", "scenarios.hedge", stdin=raw, ok=(0,))
    out = p.stdout.splitlines()
    check("batch: one line out per input line, blank lines skipped", len(out) == len(lines) + 2, f"{len(out)} lines for {len(lines) + 2}")
    got = [json.loads(l) for l in out]
    ids = [g["id"] for g in got]
    check("batch: ids in input order, any JSON id echoed", ids == [l["id"] for l in lines] + [None, 99], repr(ids))
    problems = []
    for l, g in zip(lines, got):
        if l["id"] in ("text", "unknown"):
            continue
        flags = ["--scenario", l["scenario"]] if l["scenario"] else []
        want = json.loads(hedge("check", "--format", "json", *flags, "scenarios.hedge").stdout)
        if g.get("report") != want:
            problems.append(f"{l}: differs from hedge check --format json {' '.join(flags)}")
    check(f"batch: every report equals `hedge check --format json --scenario` ({len(names)} scenarios and the base)",
          not problems and len(names) >= 4, "; ".join(problems))
    # a scenario given as text equals the same scenario in a file
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "s.hedge")
        open(f, "w").write(f'import "{os.path.join(PAK, "scenarios.hedge")}"\n'
                           "scenario no_wbg { drop l in loans where l.lender == WBG }\n")
        want = json.loads(hedge("check", "--format", "json", "--scenario", "no_wbg", "scenarios.hedge", f).stdout)
        g = got[len(names) + 1]
        check("batch: a scenario given as text gives the report of the same scenario in a file",
              g.get("report") == want, json.dumps(g)[:300])
    g = got[len(names) + 2]
    check("batch: an unknown scenario is an error line naming the known ones, and the batch goes on",
          "unknown scenario 'no_such'" in g.get("error", "") and "us_tariff" in g["error"] and "report" in got[-1], json.dumps(g))
    check("batch: a line that is not JSON is an error line", "error" in got[-2] and got[-2]["id"] is None, json.dumps(got[-2]))
    # the text's scenario does not stay: the same name again, and the base world unchanged after it
    raw = "\n".join(json.dumps(l) for l in [
        {"id": 1, "text": "scenario t { drop l in loans where l.lender == CHN }"},
        {"id": 2, "text": "scenario t { drop l in loans where l.lender == WBG }"},
        {"id": 3, "scenario": None}, {"id": 4, "scenario": "t"}]) + "\n"
    got = [json.loads(l) for l in hedge("batch", "scenarios.hedge", stdin=raw).stdout.splitlines()]
    base = json.loads(hedge("check", "--format", "json", "scenarios.hedge").stdout)
    cre = lambda g: [cx["bindings"] for cx in rules_of(g["report"])["no_dominant_creditor"]["counterexamples"]]
    check("batch: every line starts from the same world (a text's scenario and its changes are gone)",
          cre(got[0]) == [{"l": "WBG"}] and cre(got[1]) == [{"l": "CHN"}] and got[2]["report"] == base
          and "unknown scenario 't'" in got[3].get("error", ""), json.dumps(got)[:600])
    for bad, why in [('{"id": 1}', 'needs "scenario"'), ('{"id": 1, "scenario": "a", "text": "b"}', "not both"),
                     ('{"id": 1, "scenario": "us_tariff", "extra": 2}', 'unknown key "extra"'),
                     ('{"id": 1, "text": "let x = 1"}', "declares no scenario"),
                     ('{"id": 1, "text": "scenario {"}', "error"), ('[1, 2]', "JSON object")]:
        g = json.loads(hedge("batch", "scenarios.hedge", stdin=bad + "\n").stdout)
        check(f"batch: {bad} -> error '{why}'", why in g.get("error", ""), json.dumps(g))


# ---------------------------------------------------------------- stdout and html

def test_stdout_and_html():
    # pakistan.hedge prints figures; with these formats they go to stderr
    for args, parse in [(["check", "--format", "json", "pakistan.hedge"], json.loads),
                        (["check", "--format", "junit", "pakistan.hedge"], ET.fromstring),
                        (["test", "--format", "junit", "tests.hedge"], ET.fromstring),
                        (["table", "pakistan.hedge", "no_dominant_market"], lambda s: list(csv.reader(io.StringIO(s)))),
                        (["batch", "pakistan.hedge"], lambda s: [json.loads(l) for l in s.splitlines()])]:
        stdin = '{"id": 1, "scenario": null}\n' if args[0] == "batch" else None
        p = hedge(*args, stdin=stdin)
        try:
            parse(p.stdout)
            good = "US share of covered exports" in p.stderr
        except Exception as e:  # noqa: BLE001
            good = False
            p = p.__class__(p.args, p.returncode, p.stdout + f"\n[{e}]", p.stderr)
        check(f"{' '.join(args[:3])}: stdout is only the document, print output on stderr", good, p.stdout[:300])
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.html")
        p = hedge("report", "scenarios.hedge", "--compare", "double_shock", "-o", out)
        html = open(out, encoding="utf-8").read()
        external = re.findall(r"""(?:src|href)\s*=\s*["'](?!#)[^"']*|@import|url\((?!#)|<script|<link|<iframe|<img""", html, re.I)
        check("report: one self-contained file (no script, no link, nothing fetched)", not external and html.startswith("<!DOCTYPE html>"),
              repr(external[:5]))
        check("report: exit code of the check shown (1: a rule fails under the scenario)", p.returncode == 1, str(p.returncode))
        check("report: print stylesheet and dark theme", "@media print" in html and "prefers-color-scheme:dark" in html, "")
        p = hedge("report", "pakistan.hedge", ok=(2,))
        check("report without -o: a usage error", "needs an output file" in p.stderr, p.stderr)
        p = hedge("report", "scenarios.hedge", "--scenario", "nope", "-o", out, ok=(2,))
        check("report --scenario unknown: an error naming the scenarios", "unknown scenario 'nope'" in p.stderr, p.stderr)


def test_eval_json():
    p = hedge("eval", "--format", "json", "debt_share(PAK, CHN, year: 2023)", "pakistan.hedge", ok=(0,))
    check("eval --format json: every digit, the unit apart, the text people read; prints on stderr",
          json.loads(p.stdout) == {"value": 28786 / 130602.5, "unit": None, "text": "22.04%"}
          and "US share" in p.stderr, p.stdout)
    p = hedge("eval", "--format", "json", "exports(PAK, to: USA, year: 2025)", "pakistan.hedge", ok=(0,))
    check("eval --format json: a quantity in its base unit",
          json.loads(p.stdout) == {"value": 6028193000, "unit": "USD", "text": "6.03B USD"}, p.stdout)


def main(argv):
    global HEDGE
    HEDGE = os.path.join(ROOT, "hedge")
    if argv[:1] == ["--hedge"]:
        HEDGE = argv[1]
    HEDGE = os.path.abspath(HEDGE)
    test_table()
    test_table("double_shock")
    test_table("no_chinese_credit")
    test_table_misc()
    test_eval_json()
    test_junit()
    test_batch()
    test_stdout_and_html()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
