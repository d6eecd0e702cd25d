#!/usr/bin/env python3
"""Test runner for hedge: cases are .hedge files whose '#?' lines say what must hold.

Usage: tests/run.py [--hedge PATH] [--batch PATH] [--jobs N] [--timeout S] [--xfail FILE]...
                    [FILE_OR_DIR...]

The hedge binary is --hedge, else $HEDGE, else ./hedge at the repository root; every
command runs in the case's directory with the case's file name as its argument.
With no FILE_OR_DIR it runs tests/lang and tests/errors.  Directories are searched
recursively for *.hedge; files and directories whose name starts with '_' or '.' are
not cases (put imported helpers there).

Directives, one per '#?' line (the first group is the conformance format of
/work/shared/conformance/run.py, understood the same way):

  #? flags: --rule x               extra flags for every `hedge check` of the case
  #? allow: --allow-ffi            flags for every hedge command of the case
  #? env: NAME=VALUE               environment for every hedge command of the case;
                                   {dir} in VALUE is the case's directory
  #? exit: N                       exit code of `hedge check --format json FILE`
                                   (ours: N|M accepts either); stdout must be JSON
  #? rule NAME STATUS              status in the JSON report: pass | fail | error
  #? rule NAME fail: a=X,b=Y | a=Z the exact set of counterexample bindings
  #? summary: passed=N failed=N    fields of the JSON summary
  #? check-error: TEXT ~ TEXT      `hedge check FILE` exits 2, stderr has each TEXT
  #? eval true: EXPR               `hedge eval EXPR FILE` prints true (last line)
  #? eval-error: EXPR ~ TEXT       `hedge eval EXPR FILE` exits 2, stderr has each TEXT
  #? test-line: N passed, M failed `hedge test FILE` prints that line

and ours:

  #? eval: EXPR => TEXT            `hedge eval EXPR FILE` exits 0, last stdout line == TEXT
  #? run-out: TEXT                 `hedge run FILE` exits 0 and stdout has a line == TEXT;
                                   repeatable, the lines must appear in this order
  #? run-error: TEXT ~ TEXT        `hedge run FILE` exits 2, stderr has each TEXT
  #? check-out: TEXT               stdout of `hedge check FILE` (text, NO_COLOR=1) has TEXT
  #? check-exit: N[|N...]          exit code of `hedge check FILE` (text) is one of these
  #? error-at: [FILE:]LINE[:COL]   `hedge check FILE` exits 2; its first diagnostic line
                                   reads `[DIR/]FILE:LINE:COL: error: ...` (FILE defaults
                                   to the case), followed by the quoted source line and a
                                   caret line whose '^' sits under column COL
  #? command: ARGS => N ~ TEXT      `hedge ARGS` (the case's file replaces {file}, else it
                                   is appended) exits N, and stdout or stderr has each
                                   TEXT (after ~, any number); ARGS split like a shell's
  #? json: PYEXPR                  PYEXPR is truthy; names: r (the parsed JSON report of
                                   `hedge check --format json`), rules (r's rules by name),
                                   approx(a, b, rel=1e-9), re, math

A file without any directive still runs `hedge check FILE` for the checks below; if it
is blank (empty or whitespace only) that must exit 0.

Every hedge command runs with stdin from /dev/null, NO_COLOR=1, a timeout (--timeout,
default 20 s), and must not crash: a signal, an exit code other than 0/1/2, a timeout,
or a sanitizer report on stderr ("AddressSanitizer", "LeakSanitizer", "runtime error:")
fails the case whatever its directives say.  When a case runs `hedge check` in both the
text and the JSON format, both must exit with the same code.

Batching (--batch PATH, the tests/tools/eval_batch.c tool built against the same
library as --hedge): a case's `eval` directives (eval:, eval true:, eval-error:) all
evaluate in the world of the same file with the same flags and environment, so they run
in one eval_batch process that loads the file once and writes each expression's stdout,
stderr and exit code as `hedge eval EXPR FILE` would.  To keep the CLI path tested, the
case's first expression also runs through `hedge eval` itself and both must agree to the
byte.  If the batch process does not finish cleanly (an exit code other than 0, a
signal, a timeout, output after the last expression such as a sanitizer report), every
expression runs through `hedge eval` one by one, so a problem is reported against the
expression that causes it; a batch that fails while every single run is clean fails the
case too (a bug that only shows when expressions share a state, as in the REPL).
Without --batch every command is its own process.

Expected failures: tests/lang/XFAIL (and an XFAIL file in any case directory) and every
--xfail FILE list cases, one per line ('#' starts a comment).  An entry with a '/' is a
path relative to the list's directory (or to the current directory); an entry without
one matches every case of that file name.  A listed case that fails prints 'xfail' and
is not counted; one that passes prints 'XPASS' and counts as passed.

Prints 'ok', 'FAIL' (with the problems), 'xfail' or 'XPASS' per case, then the single
line 'N passed, M failed'; exits 1 if any case failed.
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "MemorySanitizer",
                   "ThreadSanitizer", "runtime error:")


# ---------------------------------------------------------------- running hedge

class Outcome:
    """The result of one hedge command: exit code (None if it never finished)."""

    def __init__(self, argv, rc, out, err, note=None):
        self.argv, self.rc, self.out, self.err, self.note = argv, rc, out, err, note
        self.broken = rc is None or rc not in (0, 1, 2)  # already reported by Case.health

    def show(self):
        return "`" + " ".join(shlex.quote(a) for a in ["hedge", *self.argv[1:]]) + "`"


def signal_name(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


def decode(b):
    return b.decode("utf-8", errors="replace") if b else ""


class Case:
    def __init__(self, path, opts):
        self.path = os.path.abspath(path)
        self.dir, self.name = os.path.split(self.path)
        self.opts = opts
        self.problems = []
        self.cache = {}
        self.env = dict(os.environ)
        self.env["NO_COLOR"] = "1"
        self.allow, self.flags = [], []
        with open(self.path, "rb") as f:
            self.raw = f.read()
        text = decode(self.raw)
        if text.startswith("\ufeff"):
            text = text[1:]
        self.src_lines = [l.rstrip("\r") for l in text.split("\n")]
        self.directives = [l[2:].strip() for l in self.src_lines if l.startswith("#?")]

    def fail(self, msg):
        self.problems.append(msg)

    def hedge(self, *args):
        """Run `hedge ARGS...` in the case's directory, once per distinct command."""
        argv = (self.opts.hedge,) + args
        if argv in self.cache:
            return self.cache[argv]
        try:
            p = subprocess.run(list(argv), cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=self.opts.timeout)
            o = Outcome(argv, p.returncode, decode(p.stdout), decode(p.stderr))
        except subprocess.TimeoutExpired as e:
            o = Outcome(argv, None, decode(e.stdout), decode(e.stderr),
                        f"timed out after {self.opts.timeout:g} s")
        except OSError as e:
            o = Outcome(argv, None, "", "", f"could not run: {e}")
        self.cache[argv] = o
        self.health(o)
        return o

    def health(self, o):
        """Checks that hold for every command, whatever the directives ask."""
        if o.note:
            self.fail(f"{o.show()} {o.note}")
        elif o.rc < 0:
            self.fail(f"{o.show()} crashed with {signal_name(-o.rc)}; stderr {tail(o.err)!r}")
        elif o.rc > 128:
            self.fail(f"{o.show()} exited {o.rc} ({signal_name(o.rc - 128)}?); stderr {tail(o.err)!r}")
        elif o.rc not in (0, 1, 2):
            self.fail(f"{o.show()} exited {o.rc}, hedge only exits 0, 1 or 2; stderr {tail(o.err)!r}")
        for line in o.err.splitlines():
            if any(m in line for m in SANITIZER_MARKS):
                self.fail(f"{o.show()}: sanitizer report on stderr: {line.strip()[:300]!r}")
                break

    def prefetch_evals(self):
        """Runs the case's eval directives in one eval_batch process (see the docstring)
        and files each result under the argv of the `hedge eval` command it stands for."""
        if not self.opts.batch or any(a not in ("--allow-ffi", "--allow-io") for a in self.allow):
            return
        exprs = []
        for d in self.directives:
            for prefix in ("eval true:", "eval-error:", "eval:"):
                if d.startswith(prefix):
                    arg = d[len(prefix):].strip()
                    expr = (arg.partition(" => ")[0] if prefix == "eval:" else
                            arg.split("~")[0] if prefix == "eval-error:" else arg).strip()
                    if expr and not expr.startswith("--") and expr not in exprs:
                        exprs.append(expr)
                    break
        if len(exprs) < 2:
            return
        argv = [self.opts.batch, *self.allow, self.name]
        data = "".join(e + "\n" for e in exprs).encode()
        limit = self.opts.timeout + 2 * len(exprs)
        results, trouble, severe = None, None, False
        try:
            p = subprocess.run(argv, cwd=self.dir, env=self.env, input=data,
                               capture_output=True, timeout=limit)
            out, err = decode(p.stdout), decode(p.stderr)
            outs, errs = BATCH_MARK.split(out), BATCH_MARK.split(err)
            severe = p.returncode not in (0, 2) or any(m in err for m in SANITIZER_MARKS)
            # split() gives [text, n, rc, text, n, rc, ..., trailing text]
            if p.returncode != 0:
                trouble = f"exited {p.returncode}" if p.returncode > 0 else f"crashed with {signal_name(-p.returncode)}"
                trouble += f"; stderr {tail(err)!r}"
            elif len(outs) != 3 * len(exprs) + 1 or len(errs) != len(outs):
                trouble = f"wrote {len(outs) // 3} of {len(exprs)} results; stderr {tail(err)!r}"
            elif outs[-1] or errs[-1]:
                trouble = f"wrote after its last result: {tail(outs[-1] + errs[-1])!r}"
            else:
                results = [(int(outs[3 * i + 2]), outs[3 * i], errs[3 * i]) for i in range(len(exprs))]
        except subprocess.TimeoutExpired:
            trouble, severe = f"timed out after {limit:g} s", True
        except OSError as e:
            trouble = f"could not run: {e}"
        if results is None:
            # one `hedge eval` per expression: problems are reported where they are
            before = len(self.problems)
            for e in exprs:
                self.eval(e)
            if len(self.problems) == before and severe:
                self.fail(f"eval_batch of {len(exprs)} expressions in one state {trouble}, "
                          f"though each expression alone runs clean")
            return
        for e, (rc, out, err) in zip(exprs, results):
            o = Outcome((self.opts.hedge, "eval", *self.allow, e, self.name), rc, out, err)
            self.cache[o.argv] = o
            self.health(o)
        # the CLI path itself, for the first expression: the same bytes
        key = (self.opts.hedge, "eval", *self.allow, exprs[0], self.name)
        batched = self.cache.pop(key)
        real = self.eval(exprs[0])
        if not real.broken and (real.rc, real.out, real.err) != (batched.rc, batched.out, batched.err):
            self.fail(f"{real.show()} gives exit {real.rc}, stdout {real.out!r}, stderr {tail(real.err)!r}; "
                      f"eval_batch gives exit {batched.rc}, stdout {batched.out!r}, stderr {tail(batched.err)!r}")

    # the commands the directives use
    def check_json(self):
        return self.hedge("check", "--format", "json", *self.allow, *self.flags, self.name)

    def check_text(self):
        return self.hedge("check", *self.allow, *self.flags, self.name)

    def eval(self, expr):
        return self.hedge("eval", *self.allow, expr, self.name)

    def run(self):
        return self.hedge("run", *self.allow, self.name)

    def test(self):
        return self.hedge("test", *self.allow, self.name)

    def report(self):
        """The parsed JSON report, or None (with a problem noted once)."""
        if "report" not in self.cache:
            o = self.check_json()
            try:
                rep = json.loads(o.out)
                if not isinstance(rep, dict):
                    raise ValueError("not an object")
            except ValueError:
                rep = None
                if not o.broken:
                    self.fail(f"{o.show()} output is not a JSON object (exit {o.rc}): "
                              f"{(o.out or o.err)[:200]!r}")
            self.cache["report"] = rep
        return self.cache["report"]


BATCH_MARK = re.compile(r"\x1eEND (\d+) (\d+)\n")


def tail(s, n=300):
    s = s.strip()
    return s if len(s) <= n else "..." + s[-n:]


def last_line(out):
    s = out.strip()
    return s.splitlines()[-1] if s else ""


def binding_text(v):
    """A binding value as case files write it: 3 for 3.0, names as they are."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "nil"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def bindings_set(text):
    out = set()
    for alt in text.split("|"):
        alt = alt.strip()
        if alt:
            out.add(frozenset(tuple(x.strip() for x in kv.split("=", 1)) for kv in alt.split(",")))
    return out


def approx(a, b, rel=1e-9, abs_tol=0.0):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def texts(s):
    return [t.strip() for t in s.split("~") if t.strip()]


# ---------------------------------------------------------------- directives

def d_exit(c, arg):
    want = [w.strip() for w in arg.split("|")]
    o = c.check_json()
    c.report()
    if not o.broken and str(o.rc) not in want:
        c.fail(f"{o.show()} exit {o.rc}, expected {arg}; stderr {tail(o.err, 200)!r}")


def d_rule(c, arg):
    head, _, bind = arg.partition(":")
    words = head.split()
    if len(words) != 2:
        c.fail(f"bad directive 'rule {arg}': want 'rule NAME STATUS[: bindings]'")
        return
    rname, status = words
    rep = c.report()
    if rep is None:
        return
    rules = {r.get("name"): r for r in rep.get("rules", []) if isinstance(r, dict)}
    r = rules.get(rname)
    if r is None:
        c.fail(f"rule {rname} missing from the report (rules: {sorted(map(str, rules))})")
        return
    if r.get("status") != status:
        c.fail(f"rule {rname}: status {r.get('status')}, expected {status}; error {r.get('error')!r}")
    if bind.strip():
        got = {frozenset((str(k), binding_text(v)) for k, v in (x.get("bindings") or {}).items())
               for x in r.get("counterexamples") or []}
        want = bindings_set(bind)
        if got != want:
            fmt = lambda s: sorted(",".join(f"{k}={v}" for k, v in sorted(b)) for b in s)
            c.fail(f"rule {rname}: counterexamples {fmt(got)}, expected {fmt(want)}")


def d_summary(c, arg):
    rep = c.report()
    if rep is None:
        return
    got = rep.get("summary") or {}
    for kv in arg.split():
        k, _, v = kv.partition("=")
        if str(got.get(k)) != v:
            c.fail(f"summary {k}={got.get(k)}, expected {v}")


def d_check_error(c, arg):
    o = c.check_text()
    if o.broken:
        return
    if o.rc != 2:
        c.fail(f"{o.show()} exit {o.rc}, expected 2; stderr {tail(o.err, 200)!r}")
    for t in texts(arg):
        if t not in o.err:
            c.fail(f"{o.show()} stderr lacks {t!r}: {tail(o.err)!r}")


def d_check_out(c, arg):
    o = c.check_text()
    if not o.broken and arg not in o.out:
        c.fail(f"{o.show()} stdout lacks {arg!r}: {tail(o.out)!r}")


def d_check_exit(c, arg):
    o = c.check_text()
    want = [w.strip() for w in arg.split("|")]
    if not o.broken and str(o.rc) not in want:
        c.fail(f"{o.show()} exit {o.rc}, expected {arg}; stderr {tail(o.err, 200)!r}")


def d_error_at(c, arg):
    m = re.fullmatch(r"(?:(.*?\D.*?):)?(\d+)(?::(\d+))?", arg)
    if not m:
        c.fail(f"bad directive 'error-at: {arg}': want [FILE:]LINE[:COL]")
        return
    fname, line, col = m.group(1) or c.name, int(m.group(2)), m.group(3)
    o = c.check_text()
    if o.broken:
        return
    if o.rc != 2:
        c.fail(f"{o.show()} exit {o.rc}, expected 2; stderr {tail(o.err, 200)!r}")
    err = o.err.splitlines()
    first = next((i for i, l in enumerate(err) if ": error: " in l), None)
    if first is None:
        c.fail(f"{o.show()} stderr has no 'FILE:LINE:COL: error: ' line: {tail(o.err)!r}")
        return
    colpat = col if col else r"\d+"
    pat = r"(?:.*[/\\])?" + re.escape(fname) + f":{line}:{colpat}: error: \\S"
    if not re.match(pat, err[first]):
        where = f"{fname}:{line}" + (f":{col}" if col else ":COL")
        c.fail(f"first diagnostic is {err[first][:200]!r}, expected '{where}: error: ...'")
        return
    # the quoted source line and the caret under the column
    path = os.path.join(c.dir, fname)
    try:
        with open(path, "rb") as f:
            src = decode(f.read()).lstrip("\ufeff").split("\n")
    except OSError:
        return
    if line > len(src):
        return
    text = src[line - 1].rstrip("\r")
    if not text.strip() or len(text) > 200 or not all(" " <= ch <= "~" for ch in text):
        return  # empty, very long, tabs, control characters or non-ASCII: not checked here
    rest = err[first + 1:]
    q = next((i for i, l in enumerate(rest) if text.strip() in l), None)
    if q is None:
        c.fail(f"diagnostic does not quote source line {line} {text.strip()!r}: {tail(o.err)!r}")
        return
    if q + 1 >= len(rest) or "^" not in rest[q + 1]:
        c.fail(f"no caret line under the quoted source line: {tail(o.err)!r}")
        return
    if col and text in rest[q]:
        want = rest[q].index(text) + int(col) - 1
        got = rest[q + 1].index("^")
        if got != want:
            c.fail(f"caret at offset {got - rest[q].index(text) + 1} of the source line, expected column {col}:\n"
                   f"      {rest[q]}\n      {rest[q + 1]}")


def d_eval_true(c, arg):
    o = c.eval(arg)
    if not o.broken and (o.rc != 0 or last_line(o.out) != "true"):
        c.fail(f"eval {arg!r}: exit {o.rc}, printed {o.out.strip()[-120:]!r}; stderr {tail(o.err, 200)!r}")


def d_eval(c, arg):
    expr, sep, want = arg.partition(" => ")
    if not sep:
        c.fail(f"bad directive 'eval: {arg}': want 'eval: EXPR => TEXT'")
        return
    expr, want = expr.strip(), want.strip()
    o = c.eval(expr)
    if o.broken:
        return
    got = o.out.splitlines()[-1] if o.out.splitlines() else ""
    if o.rc != 0 or got != want:
        c.fail(f"eval {expr!r}: exit {o.rc}, printed {got!r}, expected {want!r}; stderr {tail(o.err, 200)!r}")


def d_eval_error(c, arg):
    expr, *ts = arg.split("~")
    expr = expr.strip()
    o = c.eval(expr)
    if o.broken:
        return
    if o.rc != 2:
        c.fail(f"eval {expr!r}: exit {o.rc}, expected 2; printed {o.out.strip()[-120:]!r}")
    for t in ts:
        t = t.strip()
        if t and t not in o.err:
            c.fail(f"eval {expr!r}: stderr lacks {t!r}: {tail(o.err)!r}")


def d_test_line(c, arg):
    o = c.test()
    if not o.broken and arg not in o.out.splitlines():
        c.fail(f"{o.show()} output lacks {arg!r}: {tail(o.out + o.err)!r}")


def d_run_error(c, arg):
    o = c.run()
    if o.broken:
        return
    if o.rc != 2:
        c.fail(f"{o.show()} exit {o.rc}, expected 2; stdout {tail(o.out, 200)!r}")
    for t in texts(arg):
        if t not in o.err:
            c.fail(f"{o.show()} stderr lacks {t!r}: {tail(o.err)!r}")


def d_command(c, arg):
    args, sep, rest = arg.partition("=>")
    want, *ts = rest.split("~")
    try:
        argv = shlex.split(args)
    except ValueError as e:
        c.fail(f"bad directive 'command: {arg}': {e}")
        return
    if not sep or not argv or not want.strip():
        c.fail(f"bad directive 'command: {arg}': want 'command: ARGS => N ~ TEXT'")
        return
    argv = [c.name if a == "{file}" else a for a in argv]
    if c.name not in argv:
        argv.append(c.name)
    o = c.hedge(*argv)
    if o.broken:
        return
    if str(o.rc) not in [w.strip() for w in want.split("|")]:
        c.fail(f"{o.show()} exit {o.rc}, expected {want.strip()}; stdout {tail(o.out, 200)!r}; stderr {tail(o.err, 200)!r}")
    for t in ts:
        t = t.strip()
        if t and t not in o.out and t not in o.err:
            c.fail(f"{o.show()} output lacks {t!r}: {tail(o.out + o.err, 600)!r}")


def d_json(c, arg):
    rep = c.report()
    if rep is None:
        return
    rules = {r.get("name"): r for r in rep.get("rules", []) if isinstance(r, dict)}
    names = {"__builtins__": __builtins__, "r": rep, "rules": rules, "approx": approx,
             "re": re, "math": math}
    try:
        ok = eval(arg, names)  # globals, so that comprehensions in PYEXPR see the names
    except Exception as e:  # a KeyError etc. means the report lacks what the case wants
        c.fail(f"json {arg!r} raised {type(e).__name__}: {e}")
        return
    if not ok:
        c.fail(f"json {arg!r} is false; report {json.dumps(rep)[:400]}")


DIRECTIVES = [  # (prefix, handler); longer prefixes first where one is a prefix of another
    ("exit:", d_exit), ("rule ", d_rule), ("summary:", d_summary),
    ("check-error:", d_check_error), ("check-out:", d_check_out), ("check-exit:", d_check_exit),
    ("error-at:", d_error_at), ("eval true:", d_eval_true), ("eval-error:", d_eval_error),
    ("eval:", d_eval), ("test-line:", d_test_line), ("run-error:", d_run_error), ("json:", d_json),
    ("command:", d_command),
]
SETTINGS = ("flags:", "allow:", "env:", "run-out:")


def check_case(case):
    c = case
    try:
        for d in c.directives:
            if d.startswith("allow:"):
                c.allow += d[6:].split()
            elif d.startswith("flags:"):
                c.flags += d[6:].split()
            elif d.startswith("env:"):
                k, sep, v = d[4:].strip().partition("=")
                if not sep or not k:
                    c.fail(f"bad directive {d!r}: want 'env: NAME=VALUE'")
                else:
                    c.env[k.strip()] = v.strip().replace("{dir}", c.dir)
        c.prefetch_evals()
        run_out = []
        for d in c.directives:
            if d.startswith(SETTINGS):
                if d.startswith("run-out:"):
                    run_out.append(d[8:].strip())
                continue
            for prefix, fn in DIRECTIVES:
                if d.startswith(prefix):
                    fn(c, d[len(prefix):].strip())
                    break
            else:
                c.fail(f"unknown directive '#? {d}'")
        if not c.directives:
            # A blank file must check clean; any other file without directives (an
            # example, say) is only run through `hedge check` for the health checks.
            o = c.check_text()
            if not o.broken and o.rc != 0 and not c.raw.strip():
                c.fail(f"{o.show()} exit {o.rc}, expected 0 for a blank file; "
                       f"stderr {tail(o.err, 200)!r}")
        if run_out:
            o = c.run()
            if not o.broken:
                if o.rc != 0:
                    c.fail(f"{o.show()} exit {o.rc}, expected 0; stderr {tail(o.err, 200)!r}")
                lines, i = o.out.splitlines(), 0
                for want in run_out:
                    while i < len(lines) and lines[i] != want:
                        i += 1
                    if i == len(lines):
                        c.fail(f"{o.show()} stdout lacks the line {want!r} (in order): {tail(o.out)!r}")
                        break
                    i += 1
        j = c.cache.get((c.opts.hedge, "check", "--format", "json", *c.allow, *c.flags, c.name))
        t = c.cache.get((c.opts.hedge, "check", *c.allow, *c.flags, c.name))
        if j and t and not j.broken and not t.broken and j.rc != t.rc:
            c.fail(f"`hedge check` exits {t.rc} in text format but {j.rc} in JSON format")
    except Exception as e:  # a bug in a case or in this runner must not stop the others
        c.fail(f"runner error: {type(e).__name__}: {e}")
    return c


# ---------------------------------------------------------------- cases, lists, main

def collect(args):
    cases, missing = [], []
    for a in args:
        if os.path.isdir(a):
            for dp, dns, fns in os.walk(a):
                dns[:] = sorted(d for d in dns if not d.startswith(("_", ".")))
                cases += [os.path.join(dp, f) for f in sorted(fns)
                          if f.endswith(".hedge") and not f.startswith(("_", "."))]
        elif os.path.isfile(a):
            cases.append(a)
        else:
            missing.append(a)
    return cases, missing


def read_xfail(path, paths, names):
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = line.split("#", 1)[0].strip()
            if not e:
                continue
            if "/" in e:
                paths.add(os.path.normpath(os.path.join(base, e)))
                paths.add(os.path.abspath(e))
            else:
                names.add(e)


def main():
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `run.py | head` ends quietly
    ap = argparse.ArgumentParser(description="Run hedge test cases (see the module docstring).")
    ap.add_argument("--hedge", default=os.environ.get("HEDGE"))
    ap.add_argument("--batch", metavar="PATH",
                    help="eval_batch tool: a case's evals run in one process (see above)")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--xfail", action="append", default=[], metavar="FILE")
    ap.add_argument("paths", nargs="*")
    opts = ap.parse_args()
    if not opts.hedge:
        opts.hedge = os.path.join(ROOT, "hedge") if os.path.exists(os.path.join(ROOT, "hedge")) else "./hedge"
    opts.hedge = os.path.abspath(opts.hedge) if os.sep in opts.hedge else opts.hedge
    if not (shutil.which(opts.hedge) if os.sep not in opts.hedge else os.access(opts.hedge, os.X_OK)):
        print(f"run.py: no hedge executable at {opts.hedge} (build it, or use --hedge PATH)",
              file=sys.stderr)
        return 2
    if opts.batch:
        opts.batch = os.path.abspath(opts.batch)
        if not os.access(opts.batch, os.X_OK):
            print(f"run.py: no eval_batch executable at {opts.batch}", file=sys.stderr)
            return 2

    cases, missing = collect(opts.paths or [os.path.join(HERE, "lang"), os.path.join(HERE, "errors")])
    for m in missing:
        print(f"FAIL {m}\n  - no such file or directory")
    xpaths, xnames = set(), set()
    lists = list(opts.xfail)
    for d in sorted({os.path.dirname(os.path.abspath(c)) for c in cases} | {os.path.join(HERE, "lang")}):
        if os.path.isfile(os.path.join(d, "XFAIL")):
            lists.append(os.path.join(d, "XFAIL"))
    for l in dict.fromkeys(lists):
        try:
            read_xfail(l, xpaths, xnames)
        except OSError as e:
            print(f"run.py: warning: cannot read xfail list {l}: {e.strerror}", file=sys.stderr)

    passed, failed, nx, nxp = 0, len(missing), 0, 0
    objs = []
    for p in cases:
        try:
            objs.append(Case(p, opts))
        except OSError as e:
            print(f"FAIL {os.path.relpath(p)}\n  - cannot read: {e}")
            failed += 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as ex:
        for c in ex.map(check_case, objs):
            rel = os.path.relpath(c.path)
            expected_fail = c.path in xpaths or c.name in xnames
            if c.problems and expected_fail:
                nx += 1
                print(f"xfail {rel}")
            elif c.problems:
                failed += 1
                print(f"FAIL {rel}")
                for p in c.problems:
                    print(f"  - {p}")
            elif expected_fail:
                nxp += 1
                passed += 1
                print(f"XPASS {rel}")
            else:
                passed += 1
                print(f"ok   {rel}")
            sys.stdout.flush()
    if nx or nxp:
        print(f"({nx} xfail, {nxp} XPASS)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
