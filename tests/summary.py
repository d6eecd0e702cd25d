#!/usr/bin/env python3
"""Adds up the 'N passed, M failed' lines of every suite a test layer ran
(make check, make test, make test-slow; read from the log given as first
argument) and prints one closing line: 'LABEL: TOTAL passed, FAILED failed'
(LABEL is the second argument, 'make test' by default). Exit 1 if any
suite failed or a line reported failures."""
import re, sys

def main(path, label="make test"):
    passed = failed = suites = 0
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^\s*(?:[\w ]+: )?(\d+) passed, (\d+) failed\s*$", line.rstrip("\n"))
        if m:
            suites += 1
            passed += int(m.group(1))
            failed += int(m.group(2))
    print(f"{suites} suites")
    print(f"{label}: {passed} passed, {failed} failed")
    return 1 if failed or suites == 0 else 0

if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
