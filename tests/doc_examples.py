#!/usr/bin/env python3
"""Runs the examples in the documentation as tests (jq-style doc tests).

A block in a Markdown file under docs/ written as

    ```hedge-example
    imports(PAK, commodity: crude_oil)
    # => 100M USD
    ```

is evaluated with `hedge eval EXPR WORLD` and must print the `# =>` text. WORLD
is docs/<page>_world.hedge when it exists (docs/stdlib_world.hedge for
docs/stdlib.md), else nothing. Ends with 'N passed, M failed'; exit 1 on failure.
Usage: doc_examples.py [--hedge PATH] [FILE.md ...]
"""
import glob, os, re, subprocess, sys

BLOCK = re.compile(r"```hedge-example\n(.*?)```", re.S)

def main(argv):
    hedge = "./hedge"
    if argv[:1] == ["--hedge"]:
        hedge, argv = argv[1], argv[2:]
    hedge = os.path.abspath(hedge)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = argv or sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    passed = failed = 0
    for md in files:
        text = open(md, encoding="utf-8").read()
        world = md[:-3] + "_world.hedge"
        extra = [world] if os.path.exists(world) else []
        for m in BLOCK.finditer(text):
            lines = [l for l in m.group(1).splitlines() if l.strip()]
            exprs = [l for l in lines if not l.startswith("#")]
            wants = [l[4:].strip() for l in lines if l.startswith("# =>")]
            line_no = text[:m.start()].count("\n") + 1
            where = f"{os.path.relpath(md, root)}:{line_no}"
            if len(exprs) != 1 or len(wants) != 1:
                failed += 1
                print(f"FAIL {where}: a block needs one expression and one '# =>' line")
                continue
            try:
                p = subprocess.run([hedge, "eval", exprs[0], *extra], capture_output=True,
                                   text=True, timeout=30, cwd=root)
                got = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
                ok = p.returncode == 0 and got == wants[0]
                err = p.stderr.strip()
            except subprocess.TimeoutExpired:
                ok, got, err = False, "", "timed out"
            if ok and ("AddressSanitizer" in err or "runtime error:" in err):
                ok = False
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {where}: {exprs[0]}\n  expected {wants[0]!r}, got {got!r} {err[:300]}")
    print(f"doc examples: {passed} passed, {failed} failed")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
