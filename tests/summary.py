#!/usr/bin/env python3
"""Adds up the 'N passed, M failed' lines of every suite `make test` ran
(read from the log given as argument) and prints one closing line:
'make test: TOTAL passed, FAILED failed'. Exit 1 if any suite failed or a
line reported failures."""
import re, sys

def main(path):
    passed = failed = suites = 0
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^\s*(?:[\w ]+: )?(\d+) passed, (\d+) failed\s*$", line.rstrip("\n"))
        if m:
            suites += 1
            passed += int(m.group(1))
            failed += int(m.group(2))
    print(f"{suites} suites")
    print(f"make test: {passed} passed, {failed} failed")
    return 1 if failed or suites == 0 else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
