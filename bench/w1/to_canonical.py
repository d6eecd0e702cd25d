#!/usr/bin/env python3
"""Turn hedge's JSON report for bench/w1/w1.hedge into W1's canonical text
(bench/w1/WORKLOAD.md, section 5), so it can be compared byte for
byte with bench/w1/expected/{edge,seed1-*}.txt.

Usage:  hedge check --format json w1.hedge | python3 to_canonical.py [-] [REPORT.json]

Input (SPEC.md section 6): {"rules": [{"name", "status", "counterexamples":
[{"bindings": {var: name}, "values": [{"expr", "value", "unit"}, ...]}]}], ...}.
The printed figure of a counterexample is its first value, the left operand of
the failed comparison (a share for R2, R4 and R5, the HHI for R3).

Output, for R1..R5 in order: "<R> PASS" when the rule passed, else its failing
lines sorted byte-wise by their code fields:
    R1 <p>    R2 <c> <p> <%.6f>    R3 <c> <%.2f>    R4 <l> <%.6f>    R5 <c> <e> <%.6f>
then "summary <passed> passed, <failed> failed".

Exit status: 0 when the report has the shape W1 needs; 2 when it does not
(a rule missing, status "error", a failed rule without counterexamples, a
counterexample without the expected bindings or values). In that case the
lines that could be written still go to stdout, an "<R> ERROR ..." line marks
each problem (so a byte comparison fails too), and stderr says what was wrong.
"""
import json, sys

# rule -> (binding variables in output order, value format or None)
SHAPE = {
    "R1": (["p"], None),
    "R2": (["c", "p"], "%.6f"),
    "R3": (["c"], "%.2f"),
    "R4": (["l"], "%.6f"),
    "R5": (["c", "e"], "%.6f"),
}


def name_of(v):
    """A binding value: an entity name (string); numbers as the runner writes them."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, dict):          # tolerate {"name": ...} or {"kind", "name"} objects
        v = v.get("name", v)
    return str(v)


def number_of(v):
    """The first value of a counterexample as a float (JSON number, or {"value": ...})."""
    if isinstance(v, dict):
        v = v.get("value")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("value is %r, not a number" % (v,))
    return float(v)


def convert(report):
    out, problems = [], []
    rules = {}
    for r in report.get("rules") or []:
        if isinstance(r, dict) and "name" in r:
            rules.setdefault(r["name"], r)
    passed = failed = 0
    for rname, (vars_, fmt) in SHAPE.items():
        r = rules.get(rname)
        if r is None:
            problems.append("%s: missing from the report" % rname)
            out.append("%s ERROR missing" % rname)
            failed += 1
            continue
        status = r.get("status")
        cexs = r.get("counterexamples") or []
        if status == "pass":
            if cexs:
                problems.append("%s: status pass but %d counterexamples" % (rname, len(cexs)))
            out.append("%s PASS" % rname)
            passed += 1
            continue
        failed += 1
        if status != "fail":
            msg = r.get("error")
            if isinstance(msg, dict):
                msg = msg.get("message", msg)
            problems.append("%s: status %r: %s" % (rname, status, msg))
            out.append("%s ERROR status %s" % (rname, status))
            continue
        if not cexs:
            problems.append("%s: status fail without counterexamples" % rname)
            out.append("%s ERROR no counterexamples" % rname)
            continue
        rows = []
        for i, cx in enumerate(cexs):
            b = cx.get("bindings") or {}
            missing = [v for v in vars_ if v not in b]
            if missing:
                problems.append("%s: counterexample %d lacks binding(s) %s (has %s)"
                                % (rname, i, ",".join(missing), ",".join(b) or "none"))
                out.append("%s ERROR bad bindings" % rname)
                continue
            codes = [name_of(b[v]) for v in vars_]
            fig = None
            if fmt:
                vals = cx.get("values") or []
                try:
                    if not vals:
                        raise ValueError("no values")
                    fig = fmt % number_of(vals[0])
                except (ValueError, TypeError) as e:
                    problems.append("%s: counterexample %d (%s): %s"
                                    % (rname, i, " ".join(codes), e))
                    out.append("%s ERROR bad value" % rname)
                    continue
            rows.append((tuple(c.encode("utf-8") for c in codes), codes, fig))
        rows.sort(key=lambda t: t[0])        # byte-wise, field by field (C locale)
        for _, codes, fig in rows:
            out.append(" ".join([rname] + codes + ([fig] if fig is not None else [])))
    out.append("summary %d passed, %d failed" % (passed, failed))
    return out, problems


def main(argv):
    args = [a for a in argv[1:] if a != "-"]
    if len(args) > 1 or any(a in ("-h", "--help") for a in args):
        sys.stderr.write(__doc__)
        return 2
    try:
        text = open(args[0], encoding="utf-8").read() if args else sys.stdin.read()
    except OSError as e:
        sys.stderr.write("to_canonical: %s\n" % e)
        return 2
    try:
        report = json.loads(text)
        if not isinstance(report, dict):
            raise ValueError("top level is not an object")
    except ValueError as e:
        head = text.strip()[:200]
        sys.stderr.write("to_canonical: hedge's output is not a JSON report (%s): %r\n" % (e, head))
        return 2
    out, problems = convert(report)
    sys.stdout.write("".join(line + "\n" for line in out))
    for p in problems:
        sys.stderr.write("to_canonical: %s\n" % p)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
