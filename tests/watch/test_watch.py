#!/usr/bin/env python3
"""Tests of `--watch` for `hedge check` and `hedge test` (interp/watch.c).

Usage: tests/watch/test_watch.py [--hedge PATH]

A temporary project: main.hedge imports b.hedge, uses the Lua extension ext.lua
and loads partners from p.csv. `hedge check --watch main.hedge` runs with its
output on a pipe; the test waits for each run's report, then changes one file
(the CSV, the imported source, the Lua extension, the main file itself) and
checks that a new run starts and reports the new result: every file the program
read is watched and everything is reloaded. A file that stops loading (a syntax
error) gives its error, and the run after the fix passes again. Then the same on
a pseudo-terminal: the screen is cleared before each run. `hedge test --watch`
re-runs test blocks. `--watch` with another command is a usage error (exit 2).

Prints one line per failure and 'N passed, M failed'; exits 1 on any failure.
"""
import argparse
import os
import pty
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 30

sys.path.insert(0, os.path.dirname(HERE))   # tests/: the shared tally
from harness import ok, finish, read_available  # noqa: E402


def write(path, text):
    # a different size each time, so even a coarse clock sees the change
    with open(path, "w") as f:
        f.write(text)


class Watcher:
    """A running `hedge ... --watch`, its output (stdout and stderr merged) read
    as it comes."""

    def __init__(self, hedge, args, cwd, use_pty=False):
        env = dict(os.environ, HEDGE_LOAD_THREADS="1")
        env.pop("NO_COLOR", None)
        if use_pty:
            self.master, slave = pty.openpty()
            env["TERM"] = "xterm"
            self.p = subprocess.Popen([hedge] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=slave,
                                      stderr=slave, env=env, start_new_session=True)
            os.close(slave)
            self.fd = self.master
        else:
            env["NO_COLOR"] = "1"
            self.p = subprocess.Popen([hedge] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, env=env, start_new_session=True)
            self.fd = self.p.stdout.fileno()
        self.out = b""

    def wait_for(self, text, runs):
        """Waits until the output holds `runs` run-end lines and `text` after the
        previous one; returns the output of that run."""
        deadline = time.time() + TIMEOUT
        marker = b"hedge --watch: run %d exited" % runs
        while marker not in self.out and time.time() < deadline:
            chunk = read_available(self.fd, 0.2)
            if chunk is None:
                break
            self.out += chunk
        prev = b"hedge --watch: run %d exited" % (runs - 1)
        start = self.out.find(prev) if runs > 1 else 0
        end = self.out.find(marker)
        run = self.out[max(start, 0):end if end >= 0 else len(self.out)]
        ok(end >= 0 and text.encode() in run,
           "run %d: expected %r in:\n%s" % (runs, text, run.decode("utf-8", "replace")))
        return run

    def stop(self):
        try:
            os.killpg(self.p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.p.wait(timeout=10)
        if self.fd != getattr(self, "master", None):
            self.p.stdout.close()
        else:
            os.close(self.master)


def project(d):
    write(os.path.join(d, "main.hedge"),
          'import "b.hedge"\nuse "ext.lua"\nload partners from "p.csv"\n'
          'rule few "Few partners": count(p in partners: true) <= LIMIT\n'
          'rule doubled: twice(1) == 2\n'
          'test "limit" { expect LIMIT > 0 }\n')
    write(os.path.join(d, "b.hedge"), "let LIMIT = 3\n")
    write(os.path.join(d, "p.csv"), "code,name\nA,a\nB,b\n")
    write(os.path.join(d, "ext.lua"), "return { twice = function(x) return 2 * x end }\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hedge", default=os.environ.get("HEDGE", os.path.join(ROOT, "hedge")))
    a = ap.parse_args()
    hedge = os.path.abspath(a.hedge)
    d = tempfile.mkdtemp(prefix="hedge-watch-")
    try:
        project(d)
        w = Watcher(hedge, ["check", "--watch", "main.hedge"], d)
        try:
            run = w.wait_for("2 rules: 2 passed", 1)
            ok(b"watching 4 files" in run or b"watching 4 files" in w.out,
               "the source, the import, the CSV and the Lua file are watched: " + w.out.decode()[-300:])
            time.sleep(0.3)
            write(os.path.join(d, "p.csv"), "code,name\nA,a\nB,b\nC,c\nD,d\n")      # a CSV row more
            w.wait_for("p.csv changed", 2)
            w.wait_for("FAIL", 2)
            time.sleep(0.3)
            write(os.path.join(d, "b.hedge"), "let LIMIT = 10\n")                    # the import
            w.wait_for("b.hedge changed", 3)
            w.wait_for("2 rules: 2 passed", 3)
            time.sleep(0.3)
            write(os.path.join(d, "ext.lua"), "return { twice = function(x) return 3 * x end }\n")  # Lua
            w.wait_for("ext.lua changed", 4)
            w.wait_for("doubled", 4)
            time.sleep(0.3)
            write(os.path.join(d, "main.hedge"), 'import "b.hedge"\nrule r: LIMIT > \n')   # broken
            w.wait_for("main.hedge changed", 5)
            w.wait_for("error", 5)
            time.sleep(0.3)
            write(os.path.join(d, "main.hedge"), 'import "b.hedge"\nrule r: LIMIT > 1\n')  # fixed
            w.wait_for("1 rule: 1 passed", 6)
            ok(b"\x1b[2J" not in w.out, "no screen clearing when the output is not a terminal")
        finally:
            w.stop()

        project(d)
        w = Watcher(hedge, ["check", "--watch", "main.hedge"], d, use_pty=True)
        try:
            w.wait_for("2 rules: 2 passed", 1)
            time.sleep(0.3)
            write(os.path.join(d, "b.hedge"), "let LIMIT = 1\n")
            w.wait_for("FAIL", 2)
            ok(w.out.count(b"\x1b[H\x1b[2J") >= 2, "on a terminal the screen is cleared before each run")
        finally:
            w.stop()

        project(d)
        w = Watcher(hedge, ["test", "--watch", "main.hedge"], d)
        try:
            w.wait_for("1 passed, 0 failed", 1)
            time.sleep(0.3)
            write(os.path.join(d, "b.hedge"), "let LIMIT = -1\n")
            w.wait_for("0 passed, 1 failed", 2)
        finally:
            w.stop()

        # a file the run writes (--emit of --repair) is not watched: no re-run
        # without a change
        project(d)
        write(os.path.join(d, "b.hedge"), "let LIMIT = 1\n")
        w = Watcher(hedge, ["check", "--watch", "--repair", "--emit", "out.hedge", "main.hedge"], d)
        try:
            w.wait_for("FAIL", 1)
            time.sleep(1.5)
            w.out += read_available(w.fd, 0.1) or b""
            ok(b"run 2 exited" not in w.out, "no re-run without a change (an --emit file is output, not input): "
               + w.out.decode("utf-8", "replace")[-400:])
        finally:
            w.stop()

        p = subprocess.run([hedge, "run", "--watch", "main.hedge"], cwd=d, capture_output=True, timeout=TIMEOUT)
        ok(p.returncode == 2 and b"--watch goes with check and test" in p.stderr,
           "--watch with run is a usage error: %r" % p.stderr)
    finally:
        shutil.rmtree(d)
    finish()


if __name__ == "__main__":
    main()
