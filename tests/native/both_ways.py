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
It also runs `hedge check --compare S` (text and JSON) for every scenario S
of those cases with HEDGE_COMPARE_FULL unset (the scenario's check keeps the
base results of the bindings the scenario cannot change, interp/rules.c)
and with HEDGE_COMPARE_FULL=1 (every binding evaluated again), and requires
the same byte-identical results of these two ways.
A case that declares '#? allow:' flags gets them (FFI cases, for instance).
Ends with 'N passed, M failed'; exit 1 on any difference.
Usage: both_ways.py [--hedge PATH] [DIR_OR_FILE ...]
"""
import glob, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BLOCK = re.compile(r"```hedge-example\n(.*?)```", re.S)


SCENARIO = re.compile(r"^\s*scenario\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
# the two ways of each kind of command: (label, environment variable, its value the second way)
WAYS = {"native": ("native", "lua", "HEDGE_NATIVE", "0"),
        "compare": ("reusing", "full", "HEDGE_COMPARE_FULL", "1")}


def run(cmd, cwd, first, way="native"):
    env = dict(os.environ, NO_COLOR="1")
    var, value = WAYS[way][2], WAYS[way][3]
    env.pop(var, None)
    if not first:
        env[var] = value
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
        for scen in SCENARIO.findall(open(f, encoding="utf-8", errors="replace").read()):
            for fmt in ([], ["--format", "json"]):
                commands.append((os.path.relpath(f, ROOT), cwd, [hedge, "check", "--compare", scen, *fmt, *allow, name], "compare"))
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
    for where, cwd, cmd, *way in commands:
        way = way[0] if way else "native"
        one, two = WAYS[way][0], WAYS[way][1]
        a, b = run(cmd, cwd, True, way), run(cmd, cwd, False, way)
        if a == b and a[0] != "timeout":
            passed += 1
            continue
        failed += 1
        print(f"FAIL {where}: `{' '.join(cmd[1:])}` differs between {one} and {two}")
        for label, x, y in (("exit", a[0], b[0]), ("stdout", a[1], b[1]), ("stderr", a[2], b[2])):
            if x != y:
                print(f"  {label}: {one:7} {str(x)[:300]!r}\n  {label}: {two:7} {str(y)[:300]!r}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
