#!/usr/bin/env python3
"""Turn bench/run.sh's result files into the markdown section of
bench/RESULTS.md and the goal checks.

Usage: summarize.py RESULTS_DIR RESULTS_MD LABEL...      (LABEL: 100k, 1m, ...)

Reads from RESULTS_DIR (all written by run.sh / startup.sh):
  meta.txt                       "key: value" lines (date, machine, versions, runs)
  info-LABEL.txt                 "deals_bytes N"
  bench-PEER-LABEL.txt           timecmd.py reports ("A wall s MIN MEDIAN MAX", "A peak MiB ...")
  check-PEER-LABEL.txt           identical | DIFFERS ... | skipped: why | ERROR ...
  check-hedge-edge.txt           the same, for the hand-made edge case
  bench-decls.txt, check-decls.txt, info-decls.txt
  bench-startup-{eval,repl,sh}.txt, check-startup-{eval,repl}.txt
Prints the section to stdout, rewrites RESULTS_MD between the markers
<!-- results:begin --> and <!-- results:end --> (adding them at the end when
absent), and writes RESULTS_DIR/goals.txt: one "PASS|FAIL|n/a goal" a line.
"""
import os, re, sys

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
PEERS = [  # name, label in the table
    ("hedge", "**hedge** (`hedge check --format json`)"),
    ("hedge-packed", "**hedge, packed world** (`... --pack w1.hpk`)"),
    ("c", "C11 baseline `w1.c` (gcc -O2)"),
    ("lua5.4", "Lua 5.4 `w1.lua`"),
    ("luajit", "LuaJIT `w1.lua`"),
    ("python3", "Python 3 `w1.py`"),
    ("sqlite3", "SQLite CLI `w1-sqlite.sh`"),
    ("duckdb", "DuckDB (Node client) `duckdb/w1.js`"),
    ("cat", "*floor: `cat deals.csv`*"),
]
OTHER = ["lua5.4", "luajit", "python3", "sqlite3", "duckdb"]   # "every other peer"
PRETTY = {"100k": "100K", "1m": "1M", "10k": "10K", "10m": "10M"}


def read(res, name):
    p = os.path.join(res, name)
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8", errors="replace") as f:
        return f.read().strip()


def median(text, row):
    if not text:
        return None
    m = re.search(r"^A %s\s+(\S+)\s+(\S+)\s+(\S+)" % re.escape(row), text, re.M)
    return float(m.group(2)) if m else None


def runs_of(text):
    m = re.search(r"^A exit (\S+) \((\d+) runs\)", text or "", re.M)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def fmt_wall(x):
    return "-" if x is None else ("%.3f" % x if x < 1 else "%.2f" % x)


def main(res, md_path, labels):
    meta = {}
    for line in (read(res, "meta.txt") or "").splitlines():
        k, _, v = line.partition(":")
        meta[k.strip()] = v.strip()
    out = []
    w = out.append

    def wall(peer, l):
        return median(read(res, "bench-%s-%s.txt" % (peer, l)), "wall s")

    def peak(peer, l):
        return median(read(res, "bench-%s-%s.txt" % (peer, l)), "peak MiB")

    def check(peer, l):
        return read(res, "check-%s-%s.txt" % (peer, l))

    w("### Run of %s" % meta.get("date", "?"))
    w("")
    w("- **Machine:** %s; %s cores (`nproc`), %s; %s, kernel %s; load average at the start %s "
      "(wall times scale with it; instruction counts below do not)." % (
        meta.get("cpu", "?"), meta.get("nproc", "?"), meta.get("memory", "?"),
        meta.get("os", "?"), meta.get("kernel", "?"), meta.get("load", "?")))
    w("- **Versions:** %s." % meta.get("versions", "?"))
    w("- **Data:** %s." % "; ".join(
        "%s deals.csv %.1f MB" % (PRETTY.get(l, l), int(read(res, "info-%s.txt" % l).split()[1]) / 1e6)
        for l in labels if read(res, "info-%s.txt" % l)))
    w("")
    w("**Method.** Data from `bench/w1/gen.py --seed 1 --deals N` (200 partners, "
      "100 commodities, 5000 loans), in the page cache. Each implementation first runs once "
      "and its output is compared byte for byte with `expected/seed1-<N>.txt` (hedge's JSON "
      "report through `bench/w1/to_canonical.py`); then `timecmd.py` times the whole process "
      "(start, CSV load, check, print) from outside: 1 uncounted warm-up and %s runs%s, "
      "median wall time, and the median "
      "of the peak resident memory (the child's `ru_maxrss`; the timer's own fork means it never "
      "reads below about 11 to 15 MiB). hedge runs `hedge check --format json w1.hedge` inside "
      "the data directory with stdout to /dev/null; the peers are the unchanged programs of "
      "`bench/w1`. x C is the median wall time over the C baseline's at the same N. "
      "All commands ran one after another in the same `bench/run.sh` run." % (meta.get("runs", "5"),
                    " (3 for a command whose checked run took 10 s or more)"
                    if int(meta.get("runs", "5")) > 3 else ""))
    w("")
    if meta.get("reference"):
        w("**Reference outputs:** %s" % meta["reference"])
        w("")
    w("| peer | N | median wall s | x C | peak MiB | output identical? |")
    w("|---|---|---:|---:|---:|---|")
    notes = []
    for l in labels:
        c = wall("c", l)
        for peer, label in PEERS:
            ck = check(peer, l)
            t = wall(peer, l)
            if t is None and ck is None:
                continue
            if t is None:
                if ck and ck.startswith("skipped") and peer != "hedge":
                    notes.append("%s at %s: %s" % (peer, PRETTY.get(l, l), ck))
                w("| %s | %s | - | - | - | %s |" % (label, PRETTY.get(l, l), ck or "-"))
                continue
            p = peak(peer, l)
            ratio = "%.1f" % (t / c) if c else "-"
            code, n = runs_of(read(res, "bench-%s-%s.txt" % (peer, l)))
            extra = "" if n in (None, int(meta.get("runs", "5"))) else " (%d runs)" % n
            w("| %s | %s | %s%s | %s | %s | %s |" % (
                label, PRETTY.get(l, l), fmt_wall(t), extra, ratio,
                "-" if p is None else "%.1f" % p, ck or "(I/O floor)"))
    w("")
    edge = read(res, "check-hedge-edge.txt")
    if edge:
        w("hedge on the hand-made boundary case `bench/w1/edge`: **%s**." % edge)
        w("")
    for n in notes:
        w("- %s" % n)
    if notes:
        w("")

    # The packed world.
    pk = []
    for l in labels:
        info = read(res, "info-pack-%s.txt" % l)
        t, c = wall("hedge-packed", l), wall("c", l)
        if not info or t is None:
            continue
        f = info.split()
        ph = ", ".join("%s %.3f s" % kv for kv in phase_medians(read(res, "phases-packed-%s.txt" % l)))
        pk.append("at %s: `hedge pack` %s s once (pack %.1f MB), then %s s a check (%.2fx C; %s)" % (
            PRETTY.get(l, l), f[1], int(f[3]) / 1e6, fmt_wall(t), t / c if c else 0, ph or "phases not recorded"))
    if pk:
        w("**Packed world** (docs/pack.md; `hedge pack w1.hedge -o w1.hpk` once, then `hedge check "
          "--format json w1.hedge --pack w1.hpk`, which maps the pack, checksums every byte of the "
          "sources again, checks the pack's structure and contents, and takes the loaded rows and the "
          "indexes from it): %s. The \"load\" phase is mostly the sources' checksums (all the CSV "
          "bytes, read and hashed in a second thread) and the checks of the mapped arrays." % "; ".join(pk))
        w("")

    # Declarations and start-up.
    dw = median(read(res, "bench-decls.txt"), "wall s")
    dinfo = read(res, "info-decls.txt") or ""
    w("**Declarations** (`bench/decls/gen_decls.py`: %s): `hedge check decls.hedge`, median "
      "of %s runs: **%s s**, peak %s MiB; %s." % (
          dinfo or "100,000 `deal { ... }` lines", meta.get("runs", "5"), fmt_wall(dw),
          "-" if dw is None else "%.1f" % median(read(res, "bench-decls.txt"), "peak MiB"),
          read(res, "check-decls.txt") or "not run"))
    w("")
    sb = median(read(res, "bench-scen-base.txt"), "wall s")
    st = median(read(res, "bench-scen-ten.txt"), "wall s")
    if sb is not None and st is not None:
        w("**Scenario** (`bench/w1/w1s.hedge` at %s deals: `update` of ten deals): base check "
          "%s s, under the scenario %s s, median of %s runs each (%.2fx): the scenario is an "
          "overlay, not a copy of the world." % (
              (read(res, "info-scen.txt") or "?").strip(), fmt_wall(sb), fmt_wall(st),
              meta.get("runs", "5"), st / sb if sb else 0))
        w("")
    rb = median(read(res, "bench-repair-base.txt"), "wall s")
    rr = median(read(res, "bench-repair.txt"), "wall s")
    if rb is not None and rr is not None:
        w("**Repairs** (`check --repair`, docs/repair.md, W1 at %s deals; %s): plain check %s s, "
          "with `--repair` %s s, median of %s runs each (%.2fx): the repairs of shares, sums and "
          "HHIs are closed forms over the indexes." % (
              (read(res, "info-repair.txt") or "?").strip(), (read(res, "check-repair.txt") or "?").strip(),
              fmt_wall(rb), fmt_wall(rr), meta.get("runs", "5"), rr / rb if rb else 0))
        w("")
    cb = median(read(res, "bench-cmp-base.txt"), "wall s")
    ct = median(read(res, "bench-cmp-ten.txt"), "wall s")
    if cb is not None and ct is not None:
        w("**Compare** (`bench/w1/w1s.hedge` at %s deals): base check %s s, `--compare ten` %s s "
          "(%.2fx), median of %s runs each." % ((read(res, "info-cmp.txt") or "?").strip(), fmt_wall(cb),
                                              fmt_wall(ct), ct / cb if cb else 0, meta.get("runs", "5")))
        w("")
    hs, hu = wall("hedge", "skew"), wall("hedge", "uniform")
    cs, cu = wall("c", "skew"), wall("c", "uniform")
    if hs is not None and hu is not None:
        w("**Skewed data** (`bench/skew/gen_skew.py`, 1M rows, 1000 commodities, one year): popular "
          "importers (PAK about 60%% of the rows) %s s against uniform importers %s s (%.2fx); the C "
          "peer %s s and %s s; outputs %s and %s." % (
              fmt_wall(hs), fmt_wall(hu), hs / hu if hu else 0, fmt_wall(cs), fmt_wall(cu),
              check("hedge", "skew") or "?", check("hedge", "uniform") or "?"))
        w("")
    ic, ih, ihc = (read(res, "instr-%s.txt" % n) for n in ("c", "hedge", "hedge-cmp"))
    num = lambda x: int(x) if x and x.strip().isdigit() else None
    ic, ih, ihc = num(ic), num(ih), num(ihc)
    # --compare is judged against the plain check of the same program (w1s.hedge)
    ihb = num(read(res, "instr-hedge-cmp-base.txt")) or ih
    if ic and ih:
        w("**Instructions at 1M** (callgrind; the same on a busy machine): C peer %.2fG, hedge %.2fG "
          "(%.1fx)%s." % (ic / 1e9, ih / 1e9, ih / ic,
                          "" if not ihc else ", hedge `--compare ten` %.2fG (%.2fx its plain check, %.2fG)" % (ihc / 1e9, ihc / ihb, ihb / 1e9)))
        ph = read(res, "instr-phases.txt")
        if ph:
            w("")
            w("Where hedge's instructions go (inclusive, callgrind):")
            w("")
            w("```")
            w(ph.rstrip("\n"))
            w("```")
        w("")
    se = median(read(res, "bench-startup-eval.txt"), "wall s")
    sr = median(read(res, "bench-startup-repl.txt"), "wall s")
    ss = median(read(res, "bench-startup-sh.txt"), "wall s")
    snet = None if sr is None or ss is None else max(sr - ss, 0.0)
    ms = lambda x: "-" if x is None else "%.1f ms" % (x * 1000)
    if se is not None or sr is not None:
        w("**Start-up** (standard library loaded; median of %s runs, `bench/startup.sh`): "
          "`hedge eval 1` %s (peak %s MiB; %s); `printf ':quit\\n' | hedge` %s net of the "
          "shell pipeline (%s raw, the same pipeline around `true`: %s; %s)." % (
              meta.get("startup_runs", "20"), ms(se),
              "%.1f" % (median(read(res, "bench-startup-eval.txt"), "peak MiB") or 0),
              read(res, "check-startup-eval.txt") or "?", ms(snet), ms(sr), ms(ss),
              read(res, "check-startup-repl.txt") or "?"))
    else:
        w("**Start-up:** not measured (%s)." % (read(res, "check-startup-eval.txt") or "not run"))
    w("")

    # Goals.
    goals = []

    def goal(ok, text, key=None):
        goals.append(("n/a" if ok is None else "PASS" if ok else "FAIL", text, key))

    for l in ["edge"] + labels:
        ck = check("hedge", l)
        goal(None if ck is None or ck.startswith("skipped") else ck == "identical",
             "hedge's output is byte-identical to the reference on %s (%s)" % (
                 PRETTY.get(l, l), ck or "not run"))
        ckp = check("hedge-packed", l)
        if ckp is not None:
            goal(ckp == "identical", "hedge on a packed world: output byte-identical to the reference "
                 "and to the CSV run on %s (%s)" % (PRETTY.get(l, l), ckp))
    h1, c1, h100 = wall("hedge", "1m"), wall("c", "1m"), wall("hedge", "100k")
    goal(None if h1 is None or c1 is None else h1 <= 2 * c1,
         "1M: hedge wall <= 2x C (%s s vs 2 x %s s%s)" % (
             fmt_wall(h1), fmt_wall(c1), "" if not (h1 and c1) else "; %.1fx" % (h1 / c1)), "csv-1m")
    others = [(wall(p, "1m"), p) for p in OTHER if wall(p, "1m") is not None]
    if h1 is None or not others:
        goal(None, "1M: hedge faster than every other peer (not measured)")
    else:
        best = min(others)
        goal(all(h1 < t for t, _ in others),
             "1M: hedge faster than every other peer (%s s; fastest other: %s %s s; peers: %s)" % (
                 fmt_wall(h1), best[1], fmt_wall(best[0]), ", ".join(p for _, p in sorted(others))), "csv-1m")
    hp = peak("hedge", "1m")
    info = read(res, "info-1m.txt")
    size = int(info.split()[1]) if info else None
    goal(None if hp is None or size is None else hp * 1048576 <= 2 * size,
         "1M: hedge peak RSS <= 2x deals.csv (%s MiB; limit %s MiB = 2 x %s MB)" % (
             "-" if hp is None else "%.1f" % hp,
             "-" if size is None else "%.1f" % (2 * size / 1048576),
             "-" if size is None else "%.1f" % (size / 1e6)), "rss")
    goal(None if h1 is None or h100 is None else h1 <= 12 * h100,
         "hedge 1M time <= 12x its 100K time (%s s vs 12 x %s s%s)" % (
             fmt_wall(h1), fmt_wall(h100), "" if not (h1 and h100) else "; %.1fx" % (h1 / h100)), "scaling")
    dck = read(res, "check-decls.txt") or ""
    goal(None if dw is None else dw <= 0.5 and dck.startswith("ok"),
         "100,000 declared deals checked well under a second (read as <= 0.5 s): %s s%s" % (
             fmt_wall(dw), "" if not dck or dck.startswith("ok") else " (" + dck + ")"), "decls")
    for what, x, ckname in (("hedge eval 1", se, "eval"), ("piped REPL, net", snet, "repl")):
        ck = read(res, "check-startup-%s.txt" % ckname) or ""
        goal(None if x is None else x < 0.020 and ck.startswith("ok"),
             "start-up under 20 ms, %s: %s%s" % (what, ms(x),
                                                 "" if not ck or ck.startswith("ok") else " (" + ck + ")"), "startup")
    rck = read(res, "check-repair.txt") or ""
    goal(None if rb is None or rr is None else rr <= 2 * rb and rck.startswith("ok"),
         "--repair on W1 at %s deals <= 2x a plain check (%s s vs 2 x %s s%s)" % (
             (read(res, "info-repair.txt") or "100k").strip(), fmt_wall(rr), fmt_wall(rb),
             "" if not (rr and rb) else "; %.2fx" % (rr / rb)), "repair")
    # The speed issue's goals (cold CSV, 1M and 10M; packed world; RSS at
    # 10M; skew; --compare; start-up against Lua).
    h10, c10 = wall("hedge", "10m"), wall("c", "10m")
    goal(None if h10 is None or c10 is None else h10 <= 2 * c10,
         "10M: hedge wall <= 2x C (%s s vs 2 x %s s%s)" % (
             fmt_wall(h10), fmt_wall(c10), "" if not (h10 and c10) else "; %.1fx" % (h10 / c10)), "csv-10m")
    k1, k10 = wall("hedge-packed", "1m"), wall("hedge-packed", "10m")
    parts, oks = [], []
    for name, k, c in (("1M", k1, c1), ("10M", k10, c10)):
        if k is None or c is None:
            parts.append("%s not measured" % name)
            oks.append(None)
        else:
            parts.append("%s %s s vs 0.5 x %s s; %.2fx" % (name, fmt_wall(k), fmt_wall(c), k / c))
            oks.append(k <= 0.5 * c)
    goal(None if None in oks else all(oks),
         "packed world (check --pack) <= 0.5x C at 1M and 10M (%s)" % "; ".join(parts), "packed")
    hp10 = peak("hedge", "10m")
    info10 = read(res, "info-10m.txt")
    size10 = int(info10.split()[1]) if info10 else None
    goal(None if hp10 is None or size10 is None else hp10 * 1048576 <= 1.5 * size10,
         "10M: hedge peak RSS <= 1.5x deals.csv (%s MiB; limit %s MiB)" % (
             "-" if hp10 is None else "%.1f" % hp10, "-" if size10 is None else "%.1f" % (1.5 * size10 / 1048576)), "rss")
    goal(None if hs is None or hu is None else hs <= 2 * hu,
         "skewed 1M <= 2x uniform 1M (%s s vs %s s%s)" % (
             fmt_wall(hs), fmt_wall(hu), "" if not (hs and hu) else "; %.2fx" % (hs / hu)), "skew")
    # judged on instructions where callgrind ran (wall times on a loaded
    # machine drift by more than the 20% the goal allows), else on wall time
    goal((ihc <= 1.2 * ihb) if (ihb and ihc) else (None if cb is None or ct is None else ct <= 1.2 * cb),
         "--compare with ten deals updated <= 1.2x a plain check (%s s vs %s s%s%s)" % (
             fmt_wall(ct), fmt_wall(cb), "" if not (cb and ct) else "; %.2fx" % (ct / cb),
             "" if not (ihb and ihc) else "; instructions %.2fx" % (ihc / ihb)), "compare")
    sl = median(read(res, "bench-startup-lua.txt"), "wall s")
    goal(None if se is None or sl is None else se <= 3 * sl,
         "start-up: hedge eval 1 <= 3x lua5.4 -e '' (%s vs %s%s)" % (
             ms(se), ms(sl), "" if not (se and sl) else "; %.1fx" % (se / sl)), "startup")
    w("**Goals** (from the performance issues):")
    w("")
    for st, text, _ in goals:
        w("- %s %s" % ({"PASS": "PASS:", "FAIL": "**FAIL:**", "n/a": "n/a:"}[st], text))
    with open(os.path.join(res, "goals.txt"), "w") as f:
        f.write("".join("%s %s\n" % g[:2] for g in goals))
    gap_report(res, w, goals, wall, ih)

    section = "\n".join(out).rstrip("\n") + "\n"
    sys.stdout.write(section)
    if md_path and md_path != "-":
        old = open(md_path, encoding="utf-8").read() if os.path.exists(md_path) else ""
        if BEGIN in old and END in old and old.index(BEGIN) < old.index(END):
            head, rest = old.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
        else:
            head, tail = (old.rstrip("\n") + "\n\n" if old else ""), "\n"
        with open(md_path + ".tmp", "w", encoding="utf-8") as f:
            f.write(head + BEGIN + "\n" + section + END + tail)
        os.replace(md_path + ".tmp", md_path)
    return 0


# ---- the gap report: for each goal missed, its profile, cause and next step ----

NEXT_STEPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "next_steps.md")


def next_steps():
    """bench/next_steps.md: "## key" sections (csv-1m, csv-10m, packed, compare,
    decls, ...), each the cause as the developers read the profile, and the next
    step. Kept by hand beside the code; printed under a goal that is missed."""
    out, key = {}, None
    if not os.path.exists(NEXT_STEPS):
        return out
    for line in open(NEXT_STEPS, encoding="utf-8"):
        m = re.match(r"^## (\S+)", line)
        if m:
            key = m.group(1)
            out[key] = []
        elif key:
            out[key].append(line.rstrip("\n"))
    return {k: "\n".join(v).strip() for k, v in out.items()}


def phase_medians(text):
    """Median wall time of each phase over the runs in a phases-*.txt file."""
    by = {}
    for m in re.finditer(r"^phase (\w+) (\S+) s", text or "", re.M):
        by.setdefault(m.group(1), []).append(float(m.group(2)))
    return [(k, sorted(v)[len(v) // 2]) for k, v in by.items()]


def self_costs(res, name):
    """(instructions, function) by self cost from self-NAME.txt, total first."""
    rows = []
    for line in (read(res, "self-%s.txt" % name) or "").splitlines():
        n, _, fn = line.partition(" ")
        if n.isdigit():
            rows.append((int(n), fn))
    return rows


def fmt_phases(ph):
    total = sum(t for _, t in ph)
    return ", ".join("%s %.3f s (%.0f%%)" % (k, t, 100 * t / total if total else 0) for k, t in ph)


def short(fn):
    """interp/load.c:scan_rows -> load.c:scan_rows; libc's long paths to the function."""
    f, _, name = fn.rpartition(":")
    return "%s:%s" % (os.path.basename(f), name) if f.startswith("interp/") else (name or fn)


def fmt_top(rows, total, n=8):
    return ", ".join("`%s` %.0f%%" % (short(fn), 100 * c / total) for c, fn in rows[:n])


def gap_report(res, w, goals, wall, ih):
    missed = [(text, key) for st, text, key in goals if st == "FAIL"]
    if not missed:
        return
    steps = next_steps()
    w("")
    w("**Remaining gaps** (each goal missed above: its measured profile in this run, then the "
      "cause and the next step as `bench/next_steps.md` gives them):")
    seen = set()
    for text, key in missed:
        if key in seen:
            continue
        seen.add(key)
        w("")
        w("- **%s** (%s)" % (text.split(" (")[0], key or "no key"))
        prof = []
        if key in ("csv-1m", "csv-10m", "scaling", "rss"):
            l = "10m" if key == "csv-10m" else "1m"
            ph = phase_medians(read(res, "phases-hedge-%s.txt" % l))
            if ph:
                prof.append("phases at %s (`HEDGE_PHASES=1`, medians of 3): %s" % (PRETTY[l], fmt_phases(ph)))
            rows = self_costs(res, "hedge")
            if rows:
                total = next((c for c, fn in rows if fn == "PROGRAM"), rows[0][0])
                body = [r for r in rows if r[1] != "PROGRAM"]
                prof.append("instructions at 1M (callgrind%s): %.2fG; by self cost: %s" % (
                    "; 10M is not run under callgrind, its profile per row is this one's"
                    if key == "csv-10m" else "", total / 1e9, fmt_top(body, total)))
        elif key == "packed":
            for l in ("1m", "10m"):
                ph = phase_medians(read(res, "phases-packed-%s.txt" % l))
                if ph:
                    prof.append("phases at %s: %s" % (PRETTY[l], fmt_phases(ph)))
            rows = self_costs(res, "hedge-packed")
            if rows:
                total = next((c for c, fn in rows if fn == "PROGRAM"), rows[0][0])
                prof.append("instructions at 1M (callgrind): %.3fG; by self cost: %s" % (
                    total / 1e9, fmt_top([r for r in rows if r[1] != "PROGRAM"], total)))
        elif key == "compare":
            a, b = self_costs(res, "hedge-cmp-base"), self_costs(res, "hedge-cmp")
            if a and b:
                ta = next((c for c, fn in a if fn == "PROGRAM"), 0)
                tb = next((c for c, fn in b if fn == "PROGRAM"), 0)
                da = {fn: c for c, fn in a}
                diff = sorted(((c - da.get(fn, 0), fn) for c, fn in b if fn != "PROGRAM"), reverse=True)
                prof.append("instructions (callgrind, 1M): plain %.3fG, `--compare ten` %.3fG (%.2fx); "
                            "the extra %.3fG is mostly in: %s" % (
                                ta / 1e9, tb / 1e9, tb / ta if ta else 0, (tb - ta) / 1e9,
                                ", ".join("`%s` +%.0fM" % (short(fn), d / 1e6)
                                          for d, fn in diff[:6] if d > 0)))
            for nm in ("cmp-base", "cmp-ten"):
                ph = phase_medians(read(res, "phases-%s.txt" % nm))
                if ph:
                    prof.append("phases, %s: %s" % ("plain" if nm == "cmp-base" else "--compare ten",
                                                    fmt_phases(ph)))
        elif key == "decls":
            ph = phase_medians(read(res, "phases-decls.txt"))
            if ph:
                prof.append("phases (medians of 3): %s" % fmt_phases(ph))
            rows = self_costs(res, "decls")
            if rows:
                total = next((c for c, fn in rows if fn == "PROGRAM"), rows[0][0])
                prof.append("instructions (callgrind): %.3fG; by self cost: %s" % (
                    total / 1e9, fmt_top([r for r in rows if r[1] != "PROGRAM"], total)))
        elif key == "skew":
            for l in ("skew", "uniform"):
                ph = phase_medians(read(res, "phases-hedge-%s.txt" % l))
                if ph:
                    prof.append("phases, %s: %s" % (l, fmt_phases(ph)))
        w("  - Profile: %s." % ("; ".join(prof) if prof else "none recorded in this run (run the "
                                "whole bench with valgrind installed)"))
        st = steps.get(key)
        w("  - %s" % (st.replace("\n", "\n    ") if st else
                      "**No cause or next step recorded** in bench/next_steps.md for `%s`." % key))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
