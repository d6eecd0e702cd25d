#!/usr/bin/env python3
"""The benchmark's report (bench/summarize.py) on made-up timer results:
goals judged from the medians, and under every goal missed a gap report
with the profile of that run and the cause and next step of
bench/next_steps.md. Also: every goal key summarize.py can report has a
section in bench/next_steps.md, so a missed goal never goes unexplained.

Usage: test_summarize.py            (prints "N passed, M failed"; tests/harness.py)
"""
import os, re, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
summ = os.path.join(root, "bench", "summarize.py")
sys.path.insert(0, os.path.dirname(here))   # tests/: the shared tally
from harness import ok, finish  # noqa: E402


def timer(d, name, median, peak=50.0):
    with open(os.path.join(d, name), "w") as f:
        f.write("A exit 1 (5 runs)\nA wall s %.3f %.3f %.3f\nA peak MiB %.1f %.1f %.1f\n"
                % (median * 0.9, median, median * 1.1, peak, peak, peak))


def put(d, name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


with tempfile.TemporaryDirectory() as d:
    put(d, "meta.txt", "date: 2026-01-01 00:00 UTC\nnproc: 2\nruns: 5\n")
    put(d, "info-1m.txt", "deals_bytes 44630806\n")
    put(d, "info-10m.txt", "deals_bytes 456300000\n")
    for l in ("1m", "10m"):
        put(d, "check-hedge-%s.txt" % l, "identical\n")
    timer(d, "bench-c-1m.txt", 0.100)
    timer(d, "bench-hedge-1m.txt", 0.350)      # 3.5x: missed
    timer(d, "bench-c-10m.txt", 1.000)
    timer(d, "bench-hedge-10m.txt", 1.900)     # 1.9x: met
    timer(d, "bench-python3-1m.txt", 1.500)
    put(d, "phases-hedge-1m.txt", "phase load 0.250 s\nphase check 0.090 s\n" * 2 +
        "phase load 0.300 s\nphase check 0.080 s\n")
    put(d, "self-hedge.txt", "1000000000 PROGRAM\n400000000 interp/csv.c:csv_next\n"
        "100000000 interp/index.c:ensure\n")
    put(d, "instr-hedge-cmp-base.txt", "1000000000\n")
    put(d, "instr-hedge-cmp.txt", "1100000000\n")    # 1.10x: met
    put(d, "instr-hedge.txt", "1000000000\n")
    md = os.path.join(d, "RESULTS.md")
    put(d, "RESULTS.md", "# results\n\nkept text\n")
    r = subprocess.run([sys.executable, summ, d, md, "1m", "10m"], capture_output=True, text=True)
    ok(r.returncode == 0, "summarize.py exits 0 (%s)" % r.stderr[-300:])
    out = r.stdout
    goals = open(os.path.join(d, "goals.txt")).read()
    ok(re.search(r"^FAIL 1M: hedge wall <= 2x C .*3\.5x", goals, re.M), "1M at 3.5x is a FAIL")
    ok(re.search(r"^PASS 10M: hedge wall <= 2x C .*1\.9x", goals, re.M), "10M at 1.9x is a PASS")
    ok(re.search(r"^PASS --compare .*instructions 1\.10x", goals, re.M), "compare judged on instructions")
    ok("**Remaining gaps**" in out, "a gap report follows the goals")
    gap = out.split("**Remaining gaps**", 1)[-1]
    ok("1M: hedge wall <= 2x C** (csv-1m)" in gap, "the 1M goal has a gap entry")
    ok("10M: hedge wall" not in gap, "a goal met has no gap entry")
    ok("load 0.250 s" in gap, "phases: the median of the runs (0.250, not 0.300)")
    ok("`csv.c:csv_next` 40%" in gap, "the callgrind self costs, as shares of the total, named file:function")
    steps = open(os.path.join(root, "bench", "next_steps.md")).read()
    first = re.search(r"^## csv-1m\n(.*?)\n", steps, re.M | re.S)
    ok(first and first.group(1).strip()[:40] in gap, "the cause of next_steps.md is quoted")
    res = open(md).read()
    ok(res.startswith("# results\n\nkept text\n") and "<!-- results:begin -->" in res
       and "Remaining gaps" in res, "RESULTS.md: text kept, results between the markers")

src = open(summ).read()
keys = set(re.findall(r'"(csv-1m|csv-10m|packed|compare|decls|rss|scaling|skew|startup|repair)"\)', src))
ok(len(keys) >= 9, "summarize.py names its goal keys (%d found)" % len(keys))
steps = open(os.path.join(root, "bench", "next_steps.md")).read()
have = set(re.findall(r"^## (\S+)", steps, re.M))
for k in sorted(keys):
    ok(k in have,
       "bench/next_steps.md has a section for the goal key %s" % k)
finish()
