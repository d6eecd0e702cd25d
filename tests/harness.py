"""What the Python test tools share.

The tally (tests/watch, tests/lsp, tests/fmt, tests/editors): ok() counts one
check, finish() prints one line per failed check ("FAIL what"), then
'N passed, M failed', and exits 1 on any failure, 0 otherwise. One tally per
process. Reading a child's output as it comes, from a pipe or a
pseudo-terminal (tests/watch, tests/repl): read_available().

    sys.path.insert(0, os.path.dirname(HERE))   # tests/
    from harness import ok, finish
"""
import os
import select
import sys

passed = 0
failures = []


def ok(cond, what):
    """Counts one check: passed when cond is true, else failed with `what`
    (the message finish prints). Returns cond, so a caller can stop on it."""
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
    return cond


def finish():
    """Prints the failures and the count, and exits with the status."""
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failures)))
    sys.exit(1 if failures else 0)


def read_available(fd, timeout):
    """What fd (a pipe, or a pseudo-terminal's master side) has to read,
    waiting at most timeout seconds for it: b"" when nothing came in time,
    None at the end (a pty's master reads an error once the child is gone:
    the end as well)."""
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return b""
    try:
        data = os.read(fd, 65536)
    except OSError:
        data = b""
    return data or None
