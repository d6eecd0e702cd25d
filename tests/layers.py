#!/usr/bin/env python3
"""The include layers of interp/ (`make layers`; part of make check and make test).

Every module of interp/ (a .c file and its .h) sits on one layer of LAYERS, lowest
first. A file may include the headers of its own layer and of lower ones, never of a
higher one: the core knows nothing of values, values nothing of the world, the world
nothing of the program, the program nothing of rules and reports, and nothing in the
library knows the command line. A module missing from the table counts as the top
layer (it may include anything; nothing lower may include it), and is named in a note
so that it gets its place. System headers (<...>) are not checked.

Also prints, as information, the loops left between modules of one layer (a includes
b's header and b includes a's).

Usage: tests/layers.py [INTERP_DIR]. Prints one line per violation, then
'N passed, M failed' (one check per file); exit 1 if any include runs up.
"""
import os
import re
import sys

# lowest first; docs/internals.md draws the same table (stdlib_embed.h is
# generated into build/ from stdlib/*.lua)
LAYERS = [
    ("base", "hconf hedge core mem diag utf8 date hfile csv ffi embedded stdlib_embed numfmt"),
    ("values", "units value"),
    ("front end", "lex ast parse"),
    ("world", "world index"),
    ("program", "files prog extern stdfast resolve eval builtins lbint lbvalue lbmodule luabridge loadint loadmap pack load exec"),
    ("checking", "rules report scenario repairint repairclosed repairsearch repair"),
    ("outputs", "outputs table junit html batch"),
    ("library face", "api introspect fmt"),
    ("command line", "cli main repl cli_outputs cli_fmt lsp watch"),
]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    interp = argv[0] if argv else os.path.join(os.path.dirname(here), "interp")
    level = {}
    for i, (_, mods) in enumerate(LAYERS):
        for m in mods.split():
            level[m] = i
    top = len(LAYERS)
    files = sorted(f for f in os.listdir(interp) if f.endswith((".c", ".h")))
    unknown = sorted({f[:-2] for f in files} - set(level))
    for m in unknown:
        print(f"note: interp/{m} has no layer in tests/layers.py: taken as the top layer")
    name = lambda i: LAYERS[i][0] if i < top else "top (unplaced)"
    passed = failed = 0
    edges = {}
    for f in files:
        mod = f[:-2]
        mine = level.get(mod, top)
        bad = []
        with open(os.path.join(interp, f), encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                inc = os.path.basename(m.group(1))
                dep = inc[:-2] if inc.endswith(".h") else inc
                if dep != mod:
                    edges.setdefault(mod, set()).add(dep)
                theirs = level.get(dep, top)
                if theirs > mine:
                    bad.append(f"interp/{f}:{n}: includes {inc} ({name(theirs)}) from the "
                               f"{name(mine)} layer: an include that runs up")
        if bad:
            failed += 1
            print("\n".join(bad))
        else:
            passed += 1
    loops = sorted({tuple(sorted((a, b))) for a, deps in edges.items() for b in deps
                    if a in edges.get(b, ())})
    if loops:
        print("loops within a layer: " + ", ".join(f"{a} <-> {b}" for a, b in loops))
    print(f"layers: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
