#!/usr/bin/env python3
"""The include layers of interp/ (`make layers`; part of make check and make test).

Every module of interp/ (a .c file and its .h) sits on one layer of LAYERS, lowest
first. A file may include the headers of its own layer and of lower ones, never of a
higher one: the core knows nothing of values, values nothing of the world, the world
nothing of the program, the program nothing of rules and reports, and nothing in the
library knows the command line. A layer may be ordered further into sub-layers
("a b | c | d", lowest first): inside the layer, a file may include the headers of
its own sub-layer and of lower ones only. A module missing from the table counts as
the top layer (it may include anything; nothing lower may include it), and is named
in a note so that it gets its place. System headers (<...>) are not checked.

No module may depend on itself through others: a loop in the module include graph
(a includes b's header and b includes a's, or a -> b -> c -> a, even inside one
sub-layer) fails. Where a lower module must call a higher one, the call goes
through a hook the higher one fills in (docs/internals.md, The layers), never an
include. Nor may a .c file declare a function another file defines, or anything
`extern`: what it uses of another module comes from that module's header, so
that this check sees every dependency.

Every function a .c file exports (one not `static`) is named after its file,
as Lua names luaV_ the functions of lvm.c: eval.c's start with eval_, prog.c's
with prog_, so that a call says where to look. PREFIXES lists the few files
that own other prefixes too, and why; a file missing from it takes its own
name (a name equal to it, such as eval(), counts as prefixed).

Usage: tests/layers.py [INTERP_DIR]. Prints one line per violation and one per
loop, then 'N passed, M failed' (one check per file, one per loop); exit 1 if any
include runs up, a .c file declares what another defines or exports a function
not named after itself, or any loop exists.
Without INTERP_DIR it first checks itself on small trees (a loop of two, one of
three, an include that runs up, a hidden declaration, a function not named
after its file, a clean tree) and fails if
it judges one of them wrongly.
"""
import os
import re
import sys

# lowest first; " | " orders a layer's sub-layers, lowest first.
# docs/internals.md draws the same table (stdlib_embed.h is generated into
# build/ from stdlib/*.lua)
LAYERS = [
    ("base", "hconf hedge core mem diag utf8 date hfile csv ffi embedded stdlib_embed numfmt checksum"),
    ("values", "units value"),
    ("front end", "lex ast parse"),
    # the world (tables, undo log) | its aggregate indexes, which the world
    # reaches only through IndexHooks (world.h), set by index.c
    ("world", "world | index"),
    # files: the file capability | prog: the program as data (types, tables,
    # sources, marks, the ProgHooks type) | below the evaluator: C functions,
    # the standard library's fast paths, name resolution, packed worlds | the
    # evaluator | above it, calling it: the core functions, the Lua bridge
    # (ProgHooks.call_lua), the loader (ProgHooks.load_cell) | running
    # statements
    ("program", "files | prog | extern stdfast resolve pack | eval"
                " | builtins lbint lbvalue lbmodule luabridge loadint loadscan loadmap load | exec"),
    # the report as data and its text and JSON (repairs and margins
    # included) | repairs and margins, computed (the re-check comes as a
    # callback from rules) | checking rules | tests, comparison, scenarios
    ("checking", "report | repairint repairclosed repairsearch repair | rules | scenario"),
    ("outputs", "outputs table junit html batch"),
    ("library face", "api introspect fmt"),
    ("command line", "cli main repl cli_outputs cli_fmt lsp watch"),
]


# The prefixes a .c file's exported functions may take besides "<file>_"
# (docs/internals.md, Names). The public API keeps the hedge_ its users call;
# the command line is one module (cli.h) spread over files; the core's own
# vocabulary, used on nearly every line of every file, keeps the type it works
# on as its prefix (Arena, Buf, vec, Value and its lists and records, Dim) or
# hx_ for raising errors (diag.c alone: the allocator is mem_); ffi.c keeps
# hffi_ because ffi_ is libffi's own; the Lua bridge's three files share lb_
# (lbint.h). A prefix belongs to one module: only the modules spread over
# several files (SHARED) give one prefix to more than one file.
PUBLIC = ("hedge_",)
CLI = ("cli_",)
PREFIXES = {
    "api": PUBLIC, "batch": PUBLIC, "fmt": PUBLIC, "html": PUBLIC,
    "introspect": PUBLIC, "junit": PUBLIC, "table": PUBLIC,
    "main": CLI + ("main",), "repl": CLI, "lsp": CLI, "watch": CLI,
    "cli_outputs": CLI, "cli_fmt": CLI,
    "mem": ("arena_", "buf_", "vec_"),
    "diag": ("hx_", "suggest_"),
    "value": ("v_", "list_", "rec_"),
    "units": ("dim_",),
    "ffi": ("hffi_",),
    "luabridge": ("lb_",), "lbvalue": ("lb_",), "lbmodule": ("lb_",),
}

SHARED = {"hedge_": "the public API", "cli_": "the command line", "lb_": "the Lua bridge"}


def shared_prefixes(prefixes):
    """Messages for a prefix that two files own outside the SHARED modules."""
    owner, bad = {}, []
    for stem, ps in sorted(prefixes.items()):
        for x in ps + (stem + "_",):
            if x in SHARED:
                continue
            if x in owner and owner[x] != stem:
                bad.append(f"the prefix {x} belongs to both {owner[x]}.c and {stem}.c: a prefix names one file")
            owner.setdefault(x, stem)
    return bad


# a function definition at file scope: its name, then its parameters and a brace
DEFINITION = re.compile(r"^(?!static\b|typedef\b|return\b|else\b|if\b)[A-Za-z_][\w \t*]*?\b(\w+)\s*\(([^;{}]*)\)\s*\{",
                        re.M)


def misnamed(interp, f):
    """The functions a .c file exports whose names do not start with the
    file's name (or a prefix PREFIXES gives it), one message each."""
    stem = f[:-2]
    allowed = (stem + "_",) + PREFIXES.get(stem, ())
    with open(os.path.join(interp, f), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    bad = []
    for m in DEFINITION.finditer(text):
        name = m.group(1)
        if name == stem or name.startswith(allowed):
            continue
        n = text.count("\n", 0, m.start()) + 1
        bad.append(f"interp/{f}:{n}: exports {name}(), not named after its file: call it "
                   f"{stem}_..., or make it static (prefixes this file may use: {', '.join(allowed)})")
    return bad

def loops_of(edges):
    """The strongly connected components of more than one module (Tarjan),
    each as a cycle through its modules, sorted."""
    index, low, onstack, stack, comps = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    cycles = []
    for comp in sorted(comps):
        # the shortest cycle through the component's first module, for the message
        members, start = set(comp), comp[0]
        parent, queue = {}, [start]
        while queue and start not in parent:
            v = queue.pop(0)
            for w in sorted(edges.get(v, ())):
                if w in members and w not in parent:
                    parent[w] = v
                    queue.append(w)
        path, v = [], parent[start]
        while v != start:
            path.append(v)
            v = parent[v]
        cycles.append((comp, [start] + path[::-1]))
    return cycles


PROTO = re.compile(r"^(extern\s+)?(?!static\b|typedef\b|return\b)[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)\s*;")


def hidden_declarations(interp, f):
    """A .c file that declares, at file scope, a function it does not define
    (or anything `extern`) hides a dependency from this check: what it calls
    of another file must come from that file's header."""
    with open(os.path.join(interp, f), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    bad = []
    for n, line in enumerate(text.split("\n"), 1):
        m = PROTO.match(line)
        if line.startswith("extern ") and not line.startswith('extern "C"'):
            bad.append(f"interp/{f}:{n}: an extern declaration in a .c file: declare it in its module's header "
                       f"and include that (or it is a dependency this check cannot see)")
        elif m and not re.search(r"^[A-Za-z_][^;{}\n]*\b" + re.escape(m.group(2)) + r"\s*\([^;{}]*\)\s*\{",
                                 text, re.M):
            bad.append(f"interp/{f}:{n}: declares {m.group(2)}(), defined in another file: include the header "
                       f"of its module instead (or it is a dependency this check cannot see)")
    return bad



def self_test():
    """The checker on small trees of its own, before the real one: a loop of
    two, a loop of three inside one sub-layer, an include that runs up, and a
    clean tree. Returns the cases that came out wrong."""
    import contextlib
    import io
    import tempfile
    cases = [  # file -> "headers it includes\ncode", (exit status, text the output must hold)
        ({"exec.c": "exec.h resolve.h", "resolve.c": "resolve.h exec.h"}, 1, "loop: exec -> resolve -> exec"),
        ({"lbvalue.c": "lbmodule.h", "lbmodule.c": "luabridge.h", "luabridge.c": "lbvalue.h"}, 1,
         "loop: lbmodule -> luabridge -> lbvalue -> lbmodule"),
        ({"value.c": "value.h world.h"}, 1, "includes world.h (world (world)) from the values layer"),
        ({"world.c": "world.h index.h"}, 1, "includes index.h (world (index)) from the world (world) sub-layer"),
        ({"eval.c": "eval.h\nValue call_lua(H *h, int n);"}, 1, "declares call_lua(), defined in another file"),
        ({"eval.c": "eval.h\nint arith(int x) { return x; }"}, 1, "exports arith(), not named after its file"),
        ({"eval.c": "eval.h prog.h core.h\nstatic int arith(int x) { return x; }\nint eval_arith(int x) { return x; }\n"
                    "Value eval(H *h) {\n  return arith(1);\n}",
          "exec.c": "eval.h prog.h", "mem.c": "core.h\nvoid *mem_alloc(H *h) {\n}"}, 0, "layers: 3 passed, 0 failed"),
    ]
    wrong = []
    for files, want_rc, want_text in cases:
        with tempfile.TemporaryDirectory() as d:
            for f, incs in files.items():
                with open(os.path.join(d, f), "w") as fh:
                    head, _, rest = incs.partition("\n")   # headers, then any code
                    fh.write("".join(f'#include "{i}"\n' for i in head.split()) + rest + "\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = check(d)
            if rc != want_rc or want_text not in out.getvalue():
                wrong.append(f"{sorted(files)}: exit {rc}, wanted {want_rc} and '{want_text}' in:\n{out.getvalue()}")
    return wrong


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if argv:
        return check(argv[0])
    wrong = self_test()
    if not shared_prefixes({"mem": ("hx_",), "diag": ("hx_",)}) or shared_prefixes({"lbmodule": ("lb_",), "lbvalue": ("lb_",)}):
        wrong.append("shared_prefixes: hx_ in two files must fail, lb_ in the Lua bridge's files must pass")
    for w in wrong:
        print(f"layers.py itself: {w}")
    twice = shared_prefixes(PREFIXES)
    for t in twice:
        print(f"tests/layers.py PREFIXES: {t}")
    rc = check(os.path.join(os.path.dirname(here), "interp"))
    return 1 if wrong or twice else rc


def check(interp):
    level = {}
    for i, (_, mods) in enumerate(LAYERS):
        for j, sub in enumerate(mods.split("|")):
            for m in sub.split():
                level[m] = (i, j)
    top = (len(LAYERS), 0)
    files = sorted(f for f in os.listdir(interp) if f.endswith((".c", ".h")))
    unknown = sorted({f[:-2] for f in files} - set(level))
    for m in unknown:
        print(f"note: interp/{m} has no layer in tests/layers.py: taken as the top layer")

    def name(r):
        if r[0] >= len(LAYERS):
            return "top (unplaced)"
        lay, mods = LAYERS[r[0]]
        if "|" not in mods:
            return lay
        return f"{lay} ({mods.split('|')[r[1]].strip()})"

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
                    what = "layer" if theirs[0] > mine[0] else "sub-layer"
                    bad.append(f"interp/{f}:{n}: includes {inc} ({name(theirs)}) from the "
                               f"{name(mine)} {what}: an include that runs up")
        if f.endswith(".c"):
            bad += hidden_declarations(interp, f)
            bad += misnamed(interp, f)
        if bad:
            failed += 1
            print("\n".join(bad))
        else:
            passed += 1
    for comp, path in loops_of(edges):
        failed += 1
        print(f"loop: {' -> '.join(path + [path[0]])} (modules that reach each other: "
              f"{', '.join(comp)}): move what they share down, or call up through a hook")
    print(f"layers: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
