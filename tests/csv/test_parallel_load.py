#!/usr/bin/env python3
"""The parallel CSV loader (interp/load.c) against the serial one.

A deals file of 8 MiB or more with no quotes is read by two threads, each
filling its half of the rows. These checks build such files (plain, with
blank lines and CRLF, without a final newline, with a text column, with a bad
row in either half) and compare what hedge makes of them with
HEDGE_LOAD_THREADS=1 (one thread): the same figures, the same errors at the
same FILE:LINE. Usage: test_parallel_load.py --hedge PATH [--batch PATH].
With --batch (tests/tools/eval_batch.c, built against the same library) the
expressions of one file and one thread setting are evaluated in one process
that loads the file once; without it, each is its own `hedge eval`. Ends
with 'N passed, M failed'.
"""
import argparse, os, random, re, subprocess, sys, tempfile

PARTNERS = ["P%03d" % i for i in range(60)]
COMMODITIES = ["c%02d" % i for i in range(30)]
MIN_BYTES = 8 * 1024 * 1024 + 4096

def write_world(d):
    with open(os.path.join(d, "partners.csv"), "w") as f:
        f.write("code,name\n" + "".join("%s,Name %s\n" % (p, p) for p in PARTNERS))
    with open(os.path.join(d, "commodities.csv"), "w") as f:
        f.write("code,kind\n" + "".join("%s,k\n" % c for c in COMMODITIES))

def deal_rows(rng, n, note=False):
    rows = []
    for i in range(n):
        e, m = rng.sample(PARTNERS, 2)
        rows.append("%d,%s,%s,%s,%d,%d.%02d,%d.%02d%s" % (
            i + 1, e, m, rng.choice(COMMODITIES), rng.choice([2023, 2024, 2025]),
            rng.randrange(1000), rng.randrange(100), rng.randrange(10 ** 6), rng.randrange(100),
            (",note%d" % (i % 7)) if note else ""))
    return rows

def make_file(d, name, rng, note=False, crlf=False, blanks=False, final_newline=True, bad_at=None):
    header = "id,exporter,importer,commodity,year,volume_t,value_usd" + (",note" if note else "")
    rows, size = [], 0
    while size < MIN_BYTES:
        chunk = deal_rows(rng, 20000, note)
        rows += chunk
        size += sum(len(r) + 1 for r in chunk)
    if bad_at is not None:
        i = int(len(rows) * bad_at)
        parts = rows[i].split(",")
        parts[1], parts[2] = "P000", "QQQ"   # an importer no one declared
        rows[i] = ",".join(parts)
    nl = "\r\n" if crlf else "\n"
    out = [header]
    for k, r in enumerate(rows):
        out.append(r)
        if blanks and k % 5000 == 17:
            out.append("")
    text = nl.join(out) + (nl if final_newline else "")
    with open(os.path.join(d, name), "w", newline="") as f:
        f.write(text)
    # the physical line of the bad row, for the expectation
    if bad_at is not None:
        for ln, line in enumerate(text.split(nl), start=1):
            if ",QQQ," in line:
                return ln
    return None

PROGRAM = """load partners from "partners.csv" { name: name }
load commodities from "commodities.csv" { kind: kind }
load deals from "%s" { value: value_usd USD, volume: volume_t t, date: year }
"""

EXPRS = ["count(deals)", "sum(d in deals: d.value)", "imports(P001, year: 2024)",
         "exports(P002, commodity: c03)", "deals[0].id", "deals[count(deals) - 1].id",
         "sum(d in deals: d.volume)", "max(d in deals: d.year)", "deals[12345].exporter"]

def run(hedge, d, prog, expr, threads):
    env = dict(os.environ)
    if threads:
        env["HEDGE_LOAD_THREADS"] = threads
    else:
        env.pop("HEDGE_LOAD_THREADS", None)
    p = subprocess.run([hedge, "eval", expr, prog], cwd=d, capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout.strip(), p.stderr

MARK = re.compile(r"\x1eEND (\d+) (\d+)\n")

def run_all(hedge, batch, d, prog, exprs, threads):
    """[(rc, stdout, stderr)] of `hedge eval E PROG` for each E, from one
    eval_batch process when there is one (every expression alone otherwise,
    or when the batch does not finish cleanly)."""
    if batch:
        env = dict(os.environ)
        if threads:
            env["HEDGE_LOAD_THREADS"] = threads
        else:
            env.pop("HEDGE_LOAD_THREADS", None)
        p = subprocess.run([batch, prog], cwd=d, capture_output=True, text=True, env=env, timeout=240,
                           input="".join(e + "\n" for e in exprs))
        outs, errs = MARK.split(p.stdout), MARK.split(p.stderr)
        if p.returncode == 0 and len(outs) == len(errs) == 3 * len(exprs) + 1 and not outs[-1] + errs[-1]:
            return [(int(outs[3 * i + 2]), outs[3 * i].strip(), errs[3 * i]) for i in range(len(exprs))]
    return [run(hedge, d, prog, e, threads) for e in exprs]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hedge", required=True)
    ap.add_argument("--batch")
    args = ap.parse_args()
    hedge = os.path.abspath(args.hedge)
    batch = os.path.abspath(args.batch) if args.batch else None
    passed = failed = 0
    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL", what)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="hedge-par-") as d:
        write_world(d)
        cases = [("plain.csv", {}), ("crlf_blank.csv", {"crlf": True, "blanks": True}),
                 ("no_final_nl.csv", {"final_newline": False}), ("text_col.csv", {"note": True})]
        for name, kw in cases:
            make_file(d, name, rng, **kw)
            prog = os.path.join(d, name + ".hedge")
            with open(prog, "w") as f:
                f.write(PROGRAM % name)
            exprs = EXPRS + (['deals[5].note', 'count(d in deals where d.note == "note3")'] if kw.get("note") else [])
            ones = run_all(hedge, batch, d, prog, exprs, "1")
            twos = run_all(hedge, batch, d, prog, exprs, None)
            for e, one, two in zip(exprs, ones, twos):
                check(one[0] == 0 and two[0] == 0 and one[1] == two[1],
                      "%s: %s: one thread %r, two threads %r %s" % (name, e, one[:2], two[:2], two[2][:300]))
                for r in (one, two):
                    check("Sanitizer" not in r[2] and "runtime error:" not in r[2], "%s: %s: sanitizer report" % (name, e))
        for frac, label in ((0.2, "first half"), (0.8, "second half")):
            name = "bad_%d.csv" % int(frac * 100)
            line = make_file(d, name, rng, blanks=True, bad_at=frac)
            prog = os.path.join(d, name + ".hedge")
            with open(prog, "w") as f:
                f.write(PROGRAM % name)
            want = "%s:%d: error: unknown partner 'QQQ'" % (name, line)
            for threads in ("1", None):
                rc, out, err = run(hedge, d, prog, "count(deals)", threads)
                check(rc == 2 and want in err, "bad row in the %s (threads %s): want %r, got %r" % (label, threads or "2", want, err[:300]))
                check("nothing from it was loaded" in err, "bad row in the %s: note" % label)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
