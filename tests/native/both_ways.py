#!/usr/bin/env python3
"""The hot standard functions both ways: native (the default) and Lua.

hedge answers the plain forms of imports, exports, trade, balance,
world_exports, import_share, export_share, world_share, import_hhi,
export_hhi, world_hhi and hhi from its indexes (interp/stdfast.c), while
stdlib/init.lua keeps their reference definitions. This test runs the same
commands with HEDGE_NATIVE unset and with HEDGE_NATIVE=0 (every standard
function in Lua) and requires byte-identical stdout, stderr and exit codes:
  - `hedge check --format json`, `hedge run` and every `#? eval` expression
    (eval, eval true, eval-error) of every .hedge case under the
    folders given (default: tests/lang tests/stdlib tests/native examples and,
    when present, ../shared/conformance), and
  - `hedge eval` of every ```hedge-example block of docs/*.md against its
    page's world, as tests/doc_examples.py runs them.
A case that declares '#? allow:' flags gets them (FFI cases, for instance).
Ends with 'N passed, M failed'; exit 1 on any difference.
Usage: both_ways.py [--hedge PATH] [DIR_OR_FILE ...]
"""
import glob, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOCK = re.compile(r"```hedge-example\n(.*?)```", re.S)


def run(cmd, cwd, native):
    env = dict(os.environ, NO_COLOR="1")
    env.pop("HEDGE_NATIVE", None)
    if not native:
        env["HEDGE_NATIVE"] = "0"
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120, errors="replace")
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def cases(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for f in sorted(glob.glob(os.path.join(p, "**", "*.hedge"), recursive=True)):
            if not any(part.startswith(("_", ".")) for part in os.path.relpath(f, p).split(os.sep)):
                yield f


def main(argv):
    hedge = os.path.join(ROOT, "hedge")
    if argv[:1] == ["--hedge"]:
        hedge, argv = argv[1], argv[2:]
    hedge = os.path.abspath(hedge)
    paths = argv or [os.path.join(ROOT, d) for d in ("tests/lang", "tests/stdlib", "tests/native", "examples")] + \
        [d for d in [os.path.join(ROOT, "..", "shared", "conformance")] if os.path.isdir(d)]
    commands = []
    for f in cases(paths):
        cwd, name = os.path.dirname(os.path.abspath(f)), os.path.basename(f)
        allow, exprs = [], []
        for line in open(f, encoding="utf-8", errors="replace"):
            if line.startswith("#? allow:"):
                allow += line[len("#? allow:"):].split()
            m = re.match(r"#\? eval(?: true)?: (.*?)(?: => .*)?$", line.rstrip("\n"))
            m = m or re.match(r"#\? eval-error: (.*?) ~ ", line)
            if m:
                exprs.append(m.group(1).strip())
        for e in exprs:
            commands.append((os.path.relpath(f, ROOT), cwd, [hedge, "eval", *allow, e, name]))
        commands.append((os.path.relpath(f, ROOT), cwd, [hedge, "check", "--format", "json", *allow, name]))
        commands.append((os.path.relpath(f, ROOT), cwd, [hedge, "run", *allow, name]))
    if not argv:
        for md in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
            text = open(md, encoding="utf-8").read()
            world = md[:-3] + "_world.hedge"
            extra = [world] if os.path.exists(world) else []
            for m in BLOCK.finditer(text):
                exprs = [l for l in m.group(1).splitlines() if l.strip() and not l.startswith("#")]
                line_no = text[:m.start()].count("\n") + 1
                for e in exprs:
                    commands.append((f"{os.path.relpath(md, ROOT)}:{line_no}", ROOT, [hedge, "eval", e, *extra]))
    passed = failed = 0
    for where, cwd, cmd in commands:
        a, b = run(cmd, cwd, True), run(cmd, cwd, False)
        if a == b and a[0] != "timeout":
            passed += 1
            continue
        failed += 1
        print(f"FAIL {where}: `{' '.join(cmd[1:])}` differs between native and Lua")
        for label, x, y in (("exit", a[0], b[0]), ("stdout", a[1], b[1]), ("stderr", a[2], b[2])):
            if x != y:
                print(f"  {label}: native {str(x)[:300]!r}\n  {label}: lua    {str(y)[:300]!r}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
