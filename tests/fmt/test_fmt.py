#!/usr/bin/env python3
"""Tests of `hedge fmt` (interp/fmt.c, interp/cli_fmt.c).

Usage: tests/fmt/test_fmt.py [--hedge PATH] [--jobs N] [--quick]

1. Every .hedge file of examples/ is formatted (`hedge fmt --check`).
2. Every .hedge file under tests/, examples/, docs/ (and ../shared/conformance
   when present) that parses is formatted twice, through standard input: the
   second run must change nothing (idempotence); the syntax tree of the result
   (`hedge fmt --tree`, no positions) must equal the original's; and what
   `hedge check --format json`, `hedge run` and `hedge test --format json`
   report must be the same before and after, once line and column numbers are
   taken out. The formatted copy is written beside the original (as a hidden
   .fmt-test-*.hedge file, removed afterwards) so that imports and CSV paths
   resolve the same way.
3. Cases on small inputs: comments stay where they were, tables and records
   align, a file that does not parse is left untouched with the error and
   exit 2, --check exits 1, --diff prints a unified diff, writing is atomic
   (the file's mode is kept, no temporary file is left behind).

Prints one line per failure and 'N passed, M failed'; exits 1 on any failure.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ENV = dict(os.environ, NO_COLOR="1", HEDGE_LOAD_THREADS="1")
TIMEOUT = 20

sys.path.insert(0, os.path.dirname(HERE))   # tests/: the shared tally
from harness import ok, finish  # noqa: E402


def run(hedge, args, cwd=None, stdin=None):
    try:
        p = subprocess.run([hedge] + args, cwd=cwd, input=stdin if stdin is not None else b"",
                           capture_output=True, env=ENV, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout", b"", b""
    return p.returncode, p.stdout, p.stderr


def strip_positions(obj):
    """The JSON report without line/col numbers (and file names normalised)."""
    if isinstance(obj, dict):
        # an error message quotes its source line (layout): keep the message
        return {k: strip_positions(v.split("\n")[0] if k == "error" and isinstance(v, str) else v)
                for k, v in obj.items() if k not in ("line", "col")}
    if isinstance(obj, list):
        return [strip_positions(v) for v in obj]
    if isinstance(obj, str):
        # reports quote expressions as written: layout inside them is not meaning
        obj = re.sub(r"\s+", " ", obj)
        return re.sub(r"\.fmt-test-", "", re.sub(r":\d+:\d+", "", obj))
    return obj


def normalise_text(b, name, copy):
    """Output text with the copy's name replaced and positions taken out.
    Quoted source lines of error messages (indented) differ by layout: they
    are dropped, the message lines kept."""
    s = b.decode("utf-8", "replace").replace(copy, name)
    s = re.sub(r":\d+:\d+", "", s)
    s = re.sub(r"(?m)^\s*\^~*\s*$", "", s)
    return [ln for ln in s.splitlines() if ln and not ln.startswith("  ")]


def flags_for(path):
    """#? allow: flags of the case (--allow-ffi / --allow-io) go to every command."""
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return []
    flags = []
    for m in re.finditer(r"(?m)^#\?\s*allow:\s*(.*)$", text):
        flags += m.group(1).split()
    return flags


def one_file(hedge, path, run_reports=True):
    """Formats one file twice and compares; returns a list of problems."""
    problems = []
    src = open(path, "rb").read()
    rc, tree0, err = run(hedge, ["fmt", "--tree", "-"], stdin=src)
    if rc != 0:
        return None   # does not parse: not a case for this test
    rc, once, err = run(hedge, ["fmt", "-"], stdin=src)
    if rc != 0:
        return ["fmt failed on a file that parses: " + err.decode("utf-8", "replace")[:300]]
    rc, twice, err = run(hedge, ["fmt", "-"], stdin=once)
    if rc != 0 or twice != once:
        problems.append("not idempotent (the second run changed the text)")
    rc, tree1, err = run(hedge, ["fmt", "--tree", "-"], stdin=once)
    if tree1 != tree0:
        problems.append("the syntax tree changed")
    if once == src or not run_reports:
        return problems
    d = os.path.dirname(path)
    copy = os.path.join(d, ".fmt-test-" + os.path.basename(path))
    with open(copy, "wb") as f:
        f.write(once)
    try:
        flags = flags_for(path)
        before = reports_with(hedge, path, flags)
        after = reports_with(hedge, copy, flags)
        for k in before:
            if before[k] != after[k]:
                problems.append("`hedge %s` reports differently after formatting:\n    before %r\n    after  %r"
                                % (k, before[k], after[k]))
    finally:
        os.unlink(copy)
    return problems


def reports_with(hedge, path, flags):
    name = os.path.basename(path)
    cwd = os.path.dirname(path) or "."
    out = {}
    for key, args in (("check", ["check", "--format", "json"]), ("run", ["run"]),
                      ("test", ["test", "--format", "json"])):
        rc, so, se = run(hedge, args + flags + [name], cwd=cwd)
        try:
            body = strip_positions(json.loads(so)) if so.strip().startswith(b"{") else normalise_text(so, "X", name)
        except ValueError:
            body = normalise_text(so, "X", name)
        out[key] = (rc, body, normalise_text(se, "X", name))
    return out


def corpus():
    files = []
    for d in ("tests", "examples", "docs"):
        files += glob.glob(os.path.join(ROOT, d, "**", "*.hedge"), recursive=True)
    # tests/api holds fixtures of the C API tests (some loop until a host's
    # limit stops them): they are formatted, but not run from the CLI here
    api = os.path.join(ROOT, "tests", "api") + os.sep
    conf = os.path.join(ROOT, "..", "shared", "conformance")
    if os.path.isdir(conf):
        files += glob.glob(os.path.join(conf, "**", "*.hedge"), recursive=True)
    return sorted(f for f in files if "/.fmt-test-" not in f)


def small_cases(hedge):
    tmp = tempfile.mkdtemp(prefix="hedge-fmt-")
    try:
        # layout: spacing, indentation, alignment, comments where they were
        src = ("# head\n"
               "partner A{name:\"a\"},B   # trailing\n"
               "commodity c\n"
               "deal {exporter:A,importer:B,commodity:c,value:5M   USD,date:2025}\n"
               "deal {exporter:B,importer:A,commodity:c,value:10M USD,date:2025-10}\n"
               "\n\n\n"
               "let x=-1+2*(3-4)   # why\n"
               "rule r \"t\":\n"
               "forall p in partners:\n"
               "exports(p)>=0\n"
               "scenario s { drop d in deals where d.exporter==A }\n"
               "partner C {\n"
               "name: \"c\",\n"
               "long_name: \"cc\"\n"
               "}\n")
        want = ("# head\n"
                "partner A { name: \"a\" }, B  # trailing\n"
                "commodity c\n"
                "deal { exporter: A, importer: B, commodity: c, value: 5M USD,  date: 2025 }\n"
                "deal { exporter: B, importer: A, commodity: c, value: 10M USD, date: 2025-10 }\n"
                "\n"
                "let x = -1 + 2 * (3 - 4)  # why\n"
                "rule r \"t\":\n"
                "  forall p in partners:\n"
                "    exports(p) >= 0\n"
                "scenario s {\n"
                "  drop d in deals where d.exporter == A\n"
                "}\n"
                "partner C {\n"
                "  name:      \"c\",\n"
                "  long_name: \"cc\"\n"
                "}\n")
        rc, out, err = run(hedge, ["fmt", "-"], stdin=src.encode())
        ok(rc == 0 and out.decode() == want, "layout case: got\n" + out.decode() + err.decode())

        # a long rule line: the body below its head, then a break before `or`
        long = ("partner A, B\nrule r: exports(A) > 0 and exports(B) > 0 and imports(A) > 0 and imports(B) > 0"
                " or exports(A, to: B) > 0 and exports(B, to: A) > 0\n")
        rc, out, err = run(hedge, ["fmt", "-"], stdin=long.encode())
        lines = out.decode().splitlines()
        ok(rc == 0 and lines == ["partner A, B", "rule r:",
                                 "  exports(A) > 0 and exports(B) > 0 and imports(A) > 0 and imports(B) > 0",
                                 "    or exports(A, to: B) > 0 and exports(B, to: A) > 0"],
           "long line case: got\n" + out.decode())

        # write in place, atomically, keeping the mode
        f = os.path.join(tmp, "a.hedge")
        with open(f, "w") as fh:
            fh.write(src)
        os.chmod(f, 0o640)
        rc, out, err = run(hedge, ["fmt", "--check", f])
        ok(rc == 1 and f.encode() in out, "--check exits 1 and names the file")
        rc, out, err = run(hedge, ["fmt", "--diff", f])
        ok(rc == 1 and out.startswith(b"--- a/") and b"\n+++ b/" in out and b"\n@@ " in out
           and b"-let x=-1+2*(3-4)   # why" in out and b"+let x = -1 + 2 * (3 - 4)  # why" in out,
           "--diff prints a unified diff: " + out.decode()[:400])
        ok(open(f).read() == src, "--check/--diff do not write")
        rc, out, err = run(hedge, ["fmt", f])
        ok(rc == 0 and open(f).read() == want, "fmt rewrites the file")
        ok(stat.S_IMODE(os.stat(f).st_mode) == 0o640, "fmt keeps the file's mode")
        ok(sorted(os.listdir(tmp)) == ["a.hedge"], "no temporary file left: %r" % os.listdir(tmp))
        rc, out, err = run(hedge, ["fmt", "--check", f])
        ok(rc == 0 and out == b"", "--check passes on a formatted file")

        # through a symbolic link: the file it points to is rewritten, the link stays
        g = os.path.join(tmp, "target.hedge")
        with open(g, "w") as fh:
            fh.write("let y=2\n")
        link = os.path.join(tmp, "link.hedge")
        os.symlink("target.hedge", link)
        rc, out, err = run(hedge, ["fmt", link])
        ok(rc == 0 and os.path.islink(link) and open(g).read() == "let y = 2\n", "fmt through a symbolic link")
        os.unlink(link)
        os.unlink(g)

        # a file that does not parse is left untouched, with the error
        bad = os.path.join(tmp, "bad.hedge")
        badsrc = "partner A\nrule r: exports(A >\n"
        with open(bad, "w") as fh:
            fh.write(badsrc)
        rc, out, err = run(hedge, ["fmt", bad, f])
        ok(rc == 2 and b"bad.hedge:2:" in err and b"left untouched" in err and open(bad).read() == badsrc,
           "a file that does not parse is left untouched with its error: " + err.decode())
        ok(sorted(os.listdir(tmp)) == ["a.hedge", "bad.hedge"], "no temporary file after an error")

        # comments: own-line, trailing, inside records and blocks, at the end
        csrc = ("scenario s {\n  # inside\n  drop d in deals   # why\n  # last\n}\n"
                "partner P {\n  # about P\n  name: \"p\" # n\n}\n# end\n")
        rc, out, err = run(hedge, ["fmt", "-"], stdin=csrc.encode())
        got = out.decode()
        ok(rc == 0 and [l.strip() for l in got.splitlines() if "#" in l] ==
           ["# inside", "drop d in deals  # why", "# last", "# about P", "name: \"p\"  # n", "# end"],
           "comments kept where they were: " + got)
        rc, out2, err = run(hedge, ["fmt", "-"], stdin=out)
        ok(out2 == out, "comment case idempotent")
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hedge", default=os.environ.get("HEDGE", os.path.join(ROOT, "hedge")))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true",
                    help="examples/ and the small cases only (make check)")
    a = ap.parse_args()
    hedge = os.path.abspath(a.hedge)

    ex = sorted(glob.glob(os.path.join(ROOT, "examples", "**", "*.hedge"), recursive=True))
    rc, out, err = run(hedge, ["fmt", "--check"] + ex)
    ok(rc == 0 and out == b"", "examples/ not formatted (run `hedge fmt` on them):\n" + out.decode() + err.decode())

    small_cases(hedge)

    files = [] if a.quick else corpus()
    nparsed = 0
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for path, probs in zip(files, pool.map(lambda p: one_file(hedge, p, "/tests/api/" not in p), files)):
            if probs is None:
                continue
            nparsed += 1
            rel = os.path.relpath(path, ROOT)
            ok(not probs, rel + ": " + "; ".join(probs))
    ok(a.quick or nparsed >= 100, "only %d files parsed" % nparsed)
    print("formatted %d files that parse (of %d), twice each" % (nparsed, len(files)))
    finish()


if __name__ == "__main__":
    main()
