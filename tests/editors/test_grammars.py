#!/usr/bin/env python3
"""Tests of the editor grammars in editors/: both tokenise sample files and
every token of interest must get the expected highlighting group.

Usage: tests/editors/test_grammars.py [--hedge PATH]

- Vim (editors/vim): Vim runs in -es mode (no terminal) with the plugin on its
  runtimepath; ftdetect must set the filetype to `hedge`, and synIDattr() gives
  the syntax group of every byte of tests/editors/sample.hedge. Needs Debian's
  `vim` package (installed by `make deps`). The ftplugin's :HedgeFmt formats a
  buffer through `hedge fmt -` (the --hedge binary), and leaves one that does
  not parse as it was.
- TextMate (editors/textmate/hedge.tmLanguage.json, for VS Code, Sublime and
  GitHub): a small TextMate tokeniser written here (match / begin-end rules,
  captures, includes; earliest match wins, the first rule on a tie) applies the
  grammar's regular expressions with Python's re module and gives each character
  its innermost scope. It also tokenises every .hedge file of examples/: no
  number (a digit that starts a token) may be left without a scope, and no regex may fail to compile.

Prints one line per failure and 'N passed, M failed'; exits 1 on any failure.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLE = os.path.join(HERE, "sample.hedge")

# (line, substring, occurrence, Vim group, TextMate scope)
EXPECT = [
    (1, "#? eval: 1 => 1", 1, "hedgeDirective", "meta.preprocessor.directive.hedge"),
    (2, "# A comment ", 1, "hedgeComment", "comment.line.number-sign.hedge"),
    (2, "TODO", 1, "hedgeTodo", "comment.line.number-sign.hedge"),
    (3, "partner", 1, "hedgeDeclaration", "storage.type.hedge"),
    (3, "Pa", 1, "hedgeString", "string.quoted.double.hedge"),
    (3, "\\\"", 1, "hedgeEscape", "constant.character.escape.hedge"),
    (3, "\\n", 1, "hedgeEscape", "constant.character.escape.hedge"),
    (3, "`Côte d'Ivoire`", 1, "hedgeBackquoted", "variable.other.backquoted.hedge"),
    (4, "deal", 1, "hedgeDeclaration", "storage.type.hedge"),
    (4, "6028M", 1, "hedgeNumber", "constant.numeric.hedge"),
    (4, "USD", 1, "hedgeUnit", "support.type.unit.hedge"),
    (4, "2025-10-15", 1, "hedgeDate", "constant.other.date.hedge"),
    (4, "65", 1, "hedgeNumber", "constant.numeric.hedge"),
    (4, "USD/bbl", 1, "hedgeUnit", "support.type.unit.hedge"),
    (5, "rule", 1, "hedgeDeclaration", "storage.type.hedge"),
    (5, "dep", 1, "hedgeDeclName", "entity.name.function.hedge"),
    (5, "forall", 1, "hedgeRepeat", "keyword.control.hedge"),
    (5, "in", 1, "hedgeOperator", "keyword.operator.word.hedge"),
    (5, "where", 1, "hedgeOperator", "keyword.operator.word.hedge"),
    (5, "1", 1, "hedgeNumber", "constant.numeric.hedge"),
    (5, "and", 1, "hedgeOperator", "keyword.operator.word.hedge"),   # not a unit of 1
    (5, "40%", 1, "hedgePercent", "constant.numeric.percentage.hedge"),
    (5, "2025-10", 1, "hedgeDate", "constant.other.date.hedge"),
    (6, "let", 1, "hedgeDeclaration", "storage.type.hedge"),
    (6, "1e3", 1, "hedgeNumber", "constant.numeric.hedge"),
    (6, "2_000", 1, "hedgeNumber", "constant.numeric.hedge"),
    (6, "1.5B", 1, "hedgeNumber", "constant.numeric.hedge"),
    (7, "if", 1, "hedgeConditional", "keyword.control.hedge"),
    (7, "true", 1, "hedgeBoolean", "constant.language.hedge"),
    (7, "nil", 1, "hedgeConstant", "constant.language.hedge"),
    (7, "false", 1, "hedgeBoolean", "constant.language.hedge"),
    (8, "group", 1, "hedgeDeclaration", "storage.type.hedge"),
    (9, "3", 1, "hedgeNumber", "constant.numeric.hedge"),
]

sys.path.insert(0, os.path.dirname(HERE))   # tests/: the shared tally
from harness import ok, finish  # noqa: E402


def find(line_text, sub, occurrence):
    i = -1
    for _ in range(occurrence):
        i = line_text.find(sub, i + 1)
        if i < 0:
            raise ValueError("sample has no %r" % sub)
    return i


# ---- Vim -------------------------------------------------------------------------

PROBE = r"""
function! HedgeProbe(out)
  let lines = [&filetype]
  for l in range(1, line('$'))
    let row = []
    for c in range(1, col([l, '$']) - 1)
      call add(row, synIDattr(synID(l, c, 1), 'name'))
    endfor
    call add(lines, join(row, ' '))
  endfor
  call writefile(lines, a:out)
endfunction
"""


def vim_groups(path):
    """Per line, the syntax group of every byte (from Vim)."""
    vim = shutil.which("vim")
    if not vim:
        return None
    tmp = tempfile.mkdtemp(prefix="hedge-vim-")
    try:
        probe = os.path.join(tmp, "probe.vim")
        out = os.path.join(tmp, "out.txt")
        with open(probe, "w") as f:
            f.write(PROBE)
        subprocess.run([vim, "-es", "-N", "-u", "NONE", "-i", "NONE",
                        "--cmd", "set rtp^=" + os.path.join(ROOT, "editors", "vim"),
                        "-c", "filetype on", "-c", "syntax on", "-c", "source " + probe,
                        "-c", "edit " + path, "-c", "call HedgeProbe('%s')" % out, "-c", "qa!"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        if not os.path.exists(out):
            return None
        rows = open(out, encoding="utf-8").read().split("\n")
        return rows[0], [r.split(" ") if r else [] for r in rows[1:]]
    finally:
        shutil.rmtree(tmp)


def test_vim():
    got = vim_groups(SAMPLE)
    ok(got is not None, "vim is not installed or failed to run (make deps installs Debian's vim)")
    if got is None:
        return
    ft, rows = got
    ok(ft == "hedge", "ftdetect: filetype of sample.hedge is %r, not hedge" % ft)
    lines = open(SAMPLE, encoding="utf-8").read().split("\n")
    for ln, sub, occ, group, _ in EXPECT:
        text = lines[ln - 1]
        i = find(text, sub, occ)
        b0 = len(text[:i].encode("utf-8"))
        b1 = b0 + len(sub.encode("utf-8"))
        seen = set(rows[ln - 1][b0:b1])
        ok(seen == {group}, "vim: line %d %r is %s, expected %s" % (ln, sub, sorted(seen), group))


# ---- TextMate ----------------------------------------------------------------------

class Grammar:
    def __init__(self, path):
        g = json.load(open(path, encoding="utf-8"))
        self.repo = g.get("repository", {})
        self.top = self.expand(g["patterns"])
        self.cache = {}

    def expand(self, patterns):
        out = []
        for p in patterns:
            if "include" in p:
                out += self.expand([self.repo[p["include"][1:]]])
            elif "patterns" in p and "match" not in p and "begin" not in p:
                out += self.expand(p["patterns"])
            else:
                out.append(p)
        return out

    def rx(self, s):
        if s not in self.cache:
            self.cache[s] = re.compile(s)
        return self.cache[s]

    def tokenize_line(self, line, stack):
        """Scopes of each character of line (innermost), with the stack of
        open begin/end rules carried from line to line."""
        scopes = [None] * len(line)
        pos = 0
        while pos <= len(line):
            rules = self.expand(stack[-1].get("patterns", [])) if stack else self.top
            best = None
            if stack:
                m = self.rx(stack[-1]["end"]).search(line, pos)
                if m:
                    best = (m.start(), -1, m, stack[-1])
            for k, r in enumerate(rules):
                m = self.rx(r.get("match") or r["begin"]).search(line, pos)
                if m and (best is None or m.start() < best[0]):
                    best = (m.start(), k, m, r)
            if best is None:
                break
            start, k, m, r = best
            outer = stack[-1].get("name") if stack else None
            for i in range(pos, start):
                scopes[i] = outer
            if k == -1:   # the end of the open rule
                self.paint(scopes, m, r.get("name"), r.get("endCaptures"))
                stack.pop()
            elif "match" in r:
                self.paint(scopes, m, r.get("name") or outer, r.get("captures"))
            else:
                self.paint(scopes, m, r.get("name"), r.get("beginCaptures"))
                stack.append(r)
            if m.end() == pos and k != -1 and "begin" not in r:
                pos += 1   # an empty match must not loop
            else:
                pos = max(m.end(), pos + (1 if m.end() == m.start() and k == -1 else 0))
            if k == -1 and m.end() == m.start() and m.start() >= len(line):
                break
        if stack:
            for i in range(len(line)):
                if scopes[i] is None:
                    scopes[i] = stack[-1].get("name")
        return scopes

    @staticmethod
    def paint(scopes, m, name, captures):
        for i in range(m.start(), m.end()):
            scopes[i] = name if name else scopes[i]
        for idx, cap in (captures or {}).items():
            g = int(idx)
            if m.group(g) is not None and "name" in cap:
                for i in range(m.start(g), m.end(g)):
                    scopes[i] = cap["name"]

    def tokenize(self, text):
        stack = []
        out = []
        for line in text.split("\n"):
            out.append(self.tokenize_line(line, stack))
            # strings end on their line ("|$): nothing stays open
        return out


def test_textmate():
    path = os.path.join(ROOT, "editors", "textmate", "hedge.tmLanguage.json")
    try:
        g = Grammar(path)
        for p in list(g.repo.values()):
            for r in g.expand([p]):
                for key in ("match", "begin", "end"):
                    if key in r:
                        g.rx(r[key])
        ok(True, "")
    except (re.error, KeyError, ValueError) as e:
        ok(False, "textmate: grammar does not load: %s" % e)
        return
    lines = open(SAMPLE, encoding="utf-8").read().split("\n")
    scopes = g.tokenize("\n".join(lines))
    for ln, sub, occ, _, scope in EXPECT:
        i = find(lines[ln - 1], sub, occ)
        seen = set(scopes[ln - 1][i:i + len(sub)])
        ok(seen == {scope}, "textmate: line %d %r is %s, expected %s" % (ln, sub, sorted(map(str, seen)), scope))
    # the examples: every number outside strings and comments has a numeric or date scope
    for f in sorted(glob.glob(os.path.join(ROOT, "examples", "**", "*.hedge"), recursive=True)):
        text = open(f, encoding="utf-8").read()
        sc = g.tokenize(text)
        bad = []
        for ln, (line, s) in enumerate(zip(text.split("\n"), sc), 1):
            for i, ch in enumerate(line):
                starts_number = i == 0 or not (line[i - 1].isalnum() or line[i - 1] in "_.")
                if ch.isdigit() and starts_number and s[i] is None:
                    bad.append("%d:%d" % (ln, i + 1))
        ok(not bad, "textmate: %s: digits without a scope at %s" % (os.path.relpath(f, ROOT), ", ".join(bad[:5])))


def test_vim_format(hedge):
    """:HedgeFmt (the ftplugin) formats the buffer through `hedge fmt -`, and
    leaves a buffer that does not parse as it was."""
    vim = shutil.which("vim")
    if not vim or not os.path.exists(hedge):
        ok(False, "vim or %s missing for the :HedgeFmt test" % hedge)
        return
    tmp = tempfile.mkdtemp(prefix="hedge-vimfmt-")
    try:
        # the plugin runs `hedge` from PATH: a link of that name to the binary under test
        bindir = os.path.join(tmp, "bin")
        os.mkdir(bindir)
        os.symlink(hedge, os.path.join(bindir, "hedge"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        for src, want in (("partner   A,B\nlet x=1+2\n\n\n", "partner A, B\nlet x = 1 + 2\n"),
                          ("partner A\nrule r: x >\n", "partner A\nrule r: x >\n")):
            f = os.path.join(tmp, "a.hedge")
            with open(f, "w") as fh:
                fh.write(src)
            subprocess.run([vim, "-es", "-N", "-u", "NONE", "-i", "NONE",
                            "--cmd", "set rtp^=" + os.path.join(ROOT, "editors", "vim"),
                            "-c", "filetype plugin on", "-c", "edit " + f, "-c", "HedgeFmt", "-c", "wq"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60, env=env)
            got = open(f).read()
            ok(got == want, "vim :HedgeFmt: %r gave %r, expected %r" % (src, got, want))
    finally:
        shutil.rmtree(tmp)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--hedge", default=os.environ.get("HEDGE", os.path.join(ROOT, "hedge")))
    a = ap.parse_args()
    test_vim()
    test_vim_format(os.path.abspath(a.hedge))
    test_textmate()
    finish()


if __name__ == "__main__":
    main()
