#!/usr/bin/env python3
"""A scripted Language Server client for `hedge lsp` (interp/lsp.c).

Usage: tests/lsp/test_lsp.py [--hedge PATH]

One session, over the server's stdin/stdout, as an editor would drive it:
initialize; then every error case of tests/errors/ (UTF-8 text, the error in the
case's own file: the `#? error-at: LINE[:COL]` directive) is opened and the
published diagnostics must hold an error whose range starts at that line and
column (columns converted to UTF-16 as LSP counts them) and ends after it on the
same line; a failing rule and a failing warn give a warning and information on
the rule's name; hover on `import_share` gives its usage and documentation and
hover on a let its value; go-to-definition of a partner, a let, a fn and a rule
lands on the name where it is declared; completion offers functions for a prefix
and fields after a '.'; formatting returns what `hedge fmt` gives; a change that
breaks the document gives an error, the fix takes it away; shutdown and exit end
the server with status 0.

Prints one line per failure and 'N passed, M failed'; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 30

sys.path.insert(0, os.path.dirname(HERE))   # tests/: the shared tally
from harness import ok, finish  # noqa: E402


def uri_of(path):
    from urllib.parse import quote
    return "file://" + quote(os.path.abspath(path))


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


class Client:
    def __init__(self, hedge):
        env = dict(os.environ, NO_COLOR="1", HEDGE_LOAD_THREADS="1")
        self.p = subprocess.Popen([hedge, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        self.buf = b""
        self.next_id = 0
        self.pending = []   # notifications read while waiting for a response

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self):
        deadline = time.time() + TIMEOUT
        while True:
            h = self.buf.find(b"\r\n\r\n")
            if h >= 0:
                m = re.search(rb"Content-Length: *(\d+)", self.buf[:h], re.I)
                n = int(m.group(1))
                if len(self.buf) >= h + 4 + n:
                    body = self.buf[h + 4:h + 4 + n]
                    self.buf = self.buf[h + 4 + n:]
                    return json.loads(body)
            r, _, _ = select.select([self.p.stdout], [], [], max(0.0, deadline - time.time()))
            if not r:
                raise TimeoutError("no message from hedge lsp")
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("hedge lsp closed its output")
            self.buf += chunk

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            m = self.read()
            if m.get("id") == rid and "method" not in m:
                return m
            self.pending.append(m)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri):
        """The next publishDiagnostics for uri."""
        while True:
            for i, m in enumerate(self.pending):
                if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
                    del self.pending[i]
                    return m["params"]["diagnostics"]
            self.pending.append(self.read())

    def open(self, path, text):
        uri = uri_of(path)
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "hedge", "version": 1,
                                                               "text": text}})
        return uri, self.diagnostics(uri)


def error_cases():
    out = []
    d = os.path.join(ROOT, "tests", "errors")
    for name in sorted(os.listdir(d)):
        if not name.endswith(".hedge") or name.startswith("_"):
            continue
        raw = open(os.path.join(d, name), "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue            # an editor cannot send bytes that are not UTF-8
        if "\0" in text:
            continue
        m = re.search(r"(?m)^#\?\s*error-at:\s*(?:([^:\s]*[^\d:\s][^:\s]*):)?(\d+)(?::(\d+))?\s*$", text)
        if not m or (m.group(1) and m.group(1) != name):
            continue            # no location, or the error is in another file
        if re.search(r"(?m)^#\?\s*(allow|env):", text):
            continue            # needs flags or an environment the server is not given
        out.append((os.path.join(d, name), text, int(m.group(2)), int(m.group(3)) if m.group(3) else None))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hedge", default=os.environ.get("HEDGE", os.path.join(ROOT, "hedge")))
    a = ap.parse_args()
    hedge = os.path.abspath(a.hedge)
    c = Client(hedge)
    tmp = tempfile.mkdtemp(prefix="hedge-lsp-")
    try:
        init = c.request("initialize", {"processId": os.getpid(), "rootUri": uri_of(ROOT), "capabilities": {}})
        caps = init.get("result", {}).get("capabilities", {})
        ok(caps.get("hoverProvider") and caps.get("definitionProvider") and caps.get("documentFormattingProvider")
           and "completionProvider" in caps and caps.get("textDocumentSync", {}).get("change") == 1,
           "initialize: capabilities %r" % caps)
        c.notify("initialized", {})

        # every error case: an error diagnostic where `hedge check` puts it
        cases = error_cases()
        ok(len(cases) >= 80, "only %d error cases found" % len(cases))
        for path, text, line, col in cases:
            uri, diags = c.open(path, text)
            errs = [d for d in diags if d.get("severity") == 1]
            lines = text.split("\n")
            want_char = utf16_len(lines[line - 1][:col - 1]) if col and line - 1 < len(lines) else None
            hit = [d for d in errs if d["range"]["start"]["line"] == line - 1 and
                   (want_char is None or d["range"]["start"]["character"] == want_char)]
            good = hit and all(d["range"]["end"]["line"] == d["range"]["start"]["line"] and
                               d["range"]["end"]["character"] > d["range"]["start"]["character"] and
                               d.get("source") == "hedge" and d.get("message") for d in hit)
            ok(good, "%s: expected an error at %d:%s (LSP %d:%s), got %s"
               % (os.path.relpath(path, ROOT), line, col, line - 1, want_char,
                  [(d["range"], d.get("severity"), d.get("message", "")[:60]) for d in diags]))
            c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            ok(c.diagnostics(uri) == [], "didClose clears the diagnostics")
        print("error cases checked: %d" % len(cases))

        # a document of our own
        doc = os.path.join(tmp, "policy.hedge")
        text = ('partner PAK, USA, SAU\n'
                'commodity oil\n'
                'deal { exporter: SAU, importer: PAK, commodity: oil, value: 60M USD, date: 2025 }\n'
                'deal { exporter: USA, importer: PAK, commodity: oil, value: 40M USD, date: 2025 }\n'
                'let LIMIT = 40%\n'
                'fn share(p) = import_share(PAK, p, commodity: oil)\n'
                'rule depend "Depend on no one": forall p in partners: share(p) <= LIMIT\n'
                'warn usa_small: share(USA) < 10%\n'
                'rule uses_rule: import_share(PAK, USA, commodity: oil) >= 0\n')
        with open(doc, "w") as f:
            f.write(text)
        uri, diags = c.open(doc, text)
        lines = text.split("\n")
        rule = [d for d in diags if d.get("code") == "rule-failed"]
        warn = [d for d in diags if d.get("code") == "warn-failed"]
        ok(len(rule) == 1 and rule[0]["severity"] == 2 and rule[0]["range"]["start"] == {"line": 6, "character": 0}
           and rule[0]["range"]["end"] == {"line": 6, "character": len("rule depend")}
           and "p = SAU" in rule[0]["message"] and re.search(r"share\(p\) = (0\.6|60%)", rule[0]["message"]),
           "a failed rule: a warning on its name with the counterexample: %r" % diags)
        ok(len(warn) == 1 and warn[0]["severity"] == 3 and warn[0]["range"]["start"]["line"] == 7,
           "a failed warn: information on its line: %r" % diags)
        ok(not [d for d in diags if d.get("severity") == 1], "no error in a document that loads: %r" % diags)

        def pos(ln, word, k=1):
            i = -1
            for _ in range(k):
                i = lines[ln].find(word, i + 1)
            return {"line": ln, "character": utf16_len(lines[ln][:i]) + 1}

        h = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos(8, "import_share")})
        v = (h.get("result") or {}).get("contents", {}).get("value", "")
        ok("import_share(a, b, commodity: c" in v and "imports(a, from: b" in v,
           "hover on import_share gives its usage and documentation: %r" % h)
        h = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos(6, "LIMIT")})
        v = (h.get("result") or {}).get("contents", {}).get("value", "")
        ok(re.search(r"let LIMIT = (0\.4|40%)", v), "hover on a let gives its value: %r" % v)
        h = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos(0, "USA")})
        v = (h.get("result") or {}).get("contents", {}).get("value", "")
        ok("partner USA" in v, "hover on a partner: %r" % v)

        def definition(ln, word, want_line, k=1):
            r = c.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": pos(ln, word, k)})
            loc = r.get("result") or {}
            i = lines[want_line].find(word)
            want = {"start": {"line": want_line, "character": utf16_len(lines[want_line][:i])},
                    "end": {"line": want_line, "character": utf16_len(lines[want_line][:i]) + len(word)}}
            ok(loc.get("uri") == uri and loc.get("range") == want,
               "definition of %s: %r, expected %r" % (word, loc, want))

        definition(8, "USA", 0)          # a partner
        definition(2, "oil", 1)          # a commodity
        definition(6, "LIMIT", 4)        # a let
        definition(6, "share", 5, 1)     # a fn
        r = c.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": pos(6, "depend")})
        ok((r.get("result") or {}).get("range", {}).get("start") == {"line": 6, "character": 5},
           "definition of a rule: its name: %r" % r)

        r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": 8, "character": len("rule uses_rule: imp")}})
        labels = [i["label"] for i in (r.get("result") or {}).get("items", [])]
        ok("import_share" in labels and "imports" in labels and all(x.startswith("imp") for x in labels),
           "completion of a prefix: %r" % labels)

        r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": 6, "character": len(lines[6]) - len("share(p) <= LIMIT")}})
        items = (r.get("result") or {}).get("items", [])
        ok(any(i["label"] == "p" and i.get("detail") == "bound variable" for i in items)
           and any(i["label"] == "LIMIT" for i in items) and any(i["label"] == "forall" for i in items),
           "completion offers bound variables, lets and keywords: %r" % [i["label"] for i in items][:20])

        # a change: fields after '.', then a broken document, then the fix
        text2 = text + "let x = PAK.\n"
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text2}]})
        d2 = c.diagnostics(uri)
        ok([d for d in d2 if d.get("severity") == 1 and d["range"]["start"]["line"] == 9],
           "a broken change gives an error at its line: %r" % d2)
        r = c.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": 9, "character": len("let x = PAK.")}})
        labels = [i["label"] for i in (r.get("result") or {}).get("items", [])]
        ok("name" in labels, "completion after '.' gives the fields (from the last version that loaded): %r" % labels)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]})
        d3 = c.diagnostics(uri)
        ok(not [d for d in d3 if d.get("severity") == 1], "the fix takes the error away: %r" % d3)

        # formatting: what hedge fmt gives, as one edit
        messy = "partner   A,B\nlet x=1+2\n"
        with open(doc, "w") as f:
            f.write(messy)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": messy}]})
        c.diagnostics(uri)
        r = c.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}})
        want = subprocess.run([hedge, "fmt", "-"], input=messy.encode(), capture_output=True).stdout.decode()
        edits = r.get("result") or []
        ok(len(edits) == 1 and edits[0]["newText"] == want and want == "partner A, B\nlet x = 1 + 2\n"
           and edits[0]["range"]["start"] == {"line": 0, "character": 0},
           "formatting: %r" % r)

        # a load warning (a ratio compared with a bare number) with its range
        wtext = ("partner PAK, USA\ncommodity goods\n"
                 "deal { exporter: PAK, importer: USA, commodity: goods, value: 60M USD, date: 2025 }\n"
                 "rule as_forty: forall p in partners: export_share(PAK, p) <= 40\n")
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": wtext}]})
        d5 = c.diagnostics(uri)
        ws = [d for d in d5 if d.get("code") == "warning"]
        ok(ws and ws[0]["severity"] == 2 and ws[0]["range"]["start"]["line"] == 3
           and ws[0]["range"]["start"]["character"] > 0 and "40%" in ws[0]["message"],
           "a load warning, with its range: %r" % d5)

        r = c.request("textDocument/unknownThing", {})
        ok(r.get("error", {}).get("code") == -32601, "an unknown request: method not found: %r" % r)
        r = c.request("shutdown", None)
        ok("result" in r and r["result"] is None, "shutdown: %r" % r)
        c.notify("exit", None)
        code = c.p.wait(timeout=TIMEOUT)
        err = c.p.stderr.read().decode("utf-8", "replace")
        ok(code == 0, "exit after shutdown: status %d" % code)
        ok(not any(s in err for s in ("AddressSanitizer", "LeakSanitizer", "runtime error:")), "sanitizer: " + err[-2000:])
    except (TimeoutError, EOFError) as e:
        ok(False, "session broke: %s; stderr: %s" % (e, c.p.stderr.read1(4000).decode("utf-8", "replace") if c.p.poll() is not None else ""))
        c.p.kill()
    finally:
        shutil.rmtree(tmp)
    finish()


if __name__ == "__main__":
    main()
