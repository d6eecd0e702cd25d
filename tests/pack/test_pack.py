#!/usr/bin/env python3
"""The packed world (docs/pack.md): `hedge pack`, then `--pack`.

Generates (in a temporary folder) a world of partners, commodities, deals
and loans with text attributes, a Lua extension that reads deals, a rule
file with a scenario, a test block, a print and a deal declared after the
loads; packs it; and requires every output of a packed run to be byte for
byte the output of the same command reading the CSV: check (text, json),
check --compare (text, json), check --scenario, test (text, json), run,
eval of the extension, table, and the piped REPL.
Then the refusals, each with exit 2 and a message naming the cause: a CSV
edited in place (same size), a CSV that grew, a missing source, other
files than the packed ones, a pack of another format version and of
another byte order, a truncated pack, a corrupted description, and
hostile packs whose checksums were recomputed (an array outside the file,
a deal naming a partner that does not exist, a date of an unknown
precision). A failed `hedge pack` leaves no file behind.
Ends with 'N passed, M failed'.
Usage: test_pack.py [--hedge PATH]
"""
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
M64 = (1 << 64) - 1
P1, P2, P3, P4, P5 = (11400714785092886401, 14029467366897019727, 1609587929392839161,
                      9650029242287828579, 2870177450012600261)


# ---- pack.c's checksum, to forge packs whose checksums are right ----------------

def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def rnd(acc, v):
    acc = (acc + v * P2) & M64
    return (rotl(acc, 31) * P1) & M64


def block(b, seed):
    n, p = len(b), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while p + 32 <= n:
            for i in range(4):
                v[i] = rnd(v[i], int.from_bytes(b[p + 8 * i:p + 8 * i + 8], "little"))
            p += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M64
        for x in v:
            h ^= rnd(0, x)
            h = (h * P1 + P4) & M64
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while p + 8 <= n:
        h = (rotl(h ^ rnd(0, int.from_bytes(b[p:p + 8], "little")), 27) * P1 + P4) & M64
        p += 8
    if p + 4 <= n:
        h = (rotl(h ^ ((int.from_bytes(b[p:p + 4], "little") * P1) & M64), 23) * P2 + P3) & M64
        p += 4
    while p < n:
        h = (rotl(h ^ ((b[p] * P5) & M64), 11) * P1) & M64
        p += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    h ^= h >> 32
    return h


def phash(b):
    h, p = 0, 0
    while True:
        k = min(len(b) - p, 1 << 20)
        h = block(b[p:p + k], h)
        p += k
        if p >= len(b):
            return h


HEADER = struct.Struct("<8sII4H16sQQQQQ")   # PackHeader of pack.c


class Meta:
    """Walks a pack's description, remembering where each array reference is."""

    def __init__(self, data):
        self.d = data
        hd = HEADER.unpack_from(data, 0)
        self.off, self.len = hd[9], hd[10]
        self.p = self.off
        self.arrays = {}   # name -> offset of its (off, bytes, sum) triple

    def u32(self):
        v = struct.unpack_from("<I", self.d, self.p)[0]
        self.p += 4
        return v

    def u64(self):
        v = struct.unpack_from("<Q", self.d, self.p)[0]
        self.p += 8
        return v

    def s(self):
        n = self.u32()
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def arr(self, name):
        self.arrays.setdefault(name, self.p)
        self.p += 24

    def walk(self):
        for _ in range(self.u32()):
            self.s()
        for _ in range(self.u32()):
            self.s(); self.u64(); self.u64()
        for li in range(self.u32()):
            packed = self.u32()
            self.s(); self.u32(); self.u32(); self.s()
            for _ in range(4):
                self.u64()
            self.u32(); self.u32()
            for _ in range(12):
                self.u32()
            if packed != 1:
                continue
            for _ in range(self.u32()):
                self.s()
            for k in range(4):
                if self.u32():
                    self.arr(f"{li}.{k}.names")
                if k in (2, 3):
                    for nm in ("a", "b", "c" if k == 2 else "term", "value", "date", "year", "prec"):
                        self.arr(f"{li}.{k}.{nm}")
                for c in range(self.u32()):
                    self.u32(); self.u32(); self.u32()
                    self.arr(f"{li}.{k}.col{c}")
            for _ in range(self.u32()):
                self.u32(); self.u32(); self.u32()
            for _ in range(self.u32()):
                self.u32(); self.u32()
                for _ in range(self.u32()):
                    self.u32(); self.u64()
        self.u64()
        for i in range(self.u32()):
            self.u32()
            for j in range(4):
                self.arr(f"index{i}.{j}")
        return self


def reseal(data):
    """Recomputes the description's and the header's checksums."""
    hd = list(HEADER.unpack_from(data, 0))
    hd[11] = phash(bytes(data[hd[9]:hd[9] + hd[10]]))
    HEADER.pack_into(data, 0, *hd)
    hd[12] = phash(bytes(data[:72]))
    HEADER.pack_into(data, 0, *hd)


# ---- the world -------------------------------------------------------------------

def write_world(d):
    rng = random.Random(11)
    partners = ["PAK", "CHN", "USA", "ARE", "IND"] + ["X%02d" % i for i in range(25)]
    comms = ["c%02d" % i for i in range(12)]
    with open(os.path.join(d, "partners.csv"), "w") as f:
        f.write("code,name,region\n")
        for i, p in enumerate(partners):
            f.write(f"{p},Land {p},{['Asia', 'Americas', 'Gulf', ''][i % 4]}\n")
    with open(os.path.join(d, "commodities.csv"), "w") as f:
        f.write("code,name,kind\n" + "".join(f"{c},good {c},{'energy' if i % 3 == 0 else 'food'}\n" for i, c in enumerate(comms)))
    with open(os.path.join(d, "deals.csv"), "w") as f:
        f.write("id,exporter,importer,commodity,year,volume_t,value_usd,port\n")
        for i in range(1, 3001):
            imp = "PAK" if rng.random() < 0.3 else rng.choice(partners)
            exp = rng.choice(partners)
            while exp == imp:
                exp = rng.choice(partners)
            port = rng.choice(["Karachi", "Gwadar", ""])
            f.write(f"{i},{exp},{imp},{rng.choice(comms)},{rng.randint(2021, 2025)},"
                    f"{rng.randint(1, 99999) / 10:.1f},{rng.randint(100, 10**8) / 100:.2f},{port}\n")
    with open(os.path.join(d, "loans.csv"), "w") as f:
        f.write("lender,borrower,principal_usd,start_year,term_years\n")
        for i in range(60):
            lender = rng.choice(partners[1:])
            borrower = rng.choice([p for p in partners if p != lender])
            f.write(f"{lender},{borrower},{rng.randint(10**6, 10**9)},"
                    f"{rng.randint(2015, 2025)},{rng.randint(1, 20)}\n")
    with open(os.path.join(d, "ext.lua"), "w") as f:
        f.write("""local M = {}
function M.big_deals(p, floor)
  local n = 0
  for _, d in ipairs(hedge.deals { importer = p }) do
    if d.value.value > floor then n = n + 1 end
  end
  return n
end
function M.ports(p)
  local seen, out = {}, {}
  for _, d in ipairs(hedge.deals { importer = p }) do
    local port = d.port
    if port and not seen[port] then seen[port] = true; out[#out + 1] = port end
  end
  table.sort(out)
  return out
end
return M
""")
    with open(os.path.join(d, "w.hedge"), "w") as f:
        f.write("""use "ext.lua"
load partners from "partners.csv" { name: name, region: region }
load commodities from "commodities.csv" { name: name, kind: kind }
load deals from "deals.csv" { value: value_usd USD, volume: volume_t t, date: year }
load loans from "loans.csv" {
  principal: principal_usd USD, start: start_year, term: term_years years }
deal late { exporter: CHN, importer: PAK, commodity: c01, value: 5M USD, date: 2025 }

let F = PAK
let Y = max(d in deals: d.year)
print "deals: {count(deals)}, imports of PAK: {imports(F, year: Y)}"

rule R1: forall p in partners where p != F: trade(F, p, year: Y) > 0
rule R2: forall c in commodities where imports(F, commodity: c, year: Y) > 0:
  forall p in partners: import_share(F, p, commodity: c, year: Y) <= 40%
rule R3: forall c in commodities where imports(F, commodity: c, year: Y) > 0:
  import_hhi(F, commodity: c, year: Y) < 2500
rule R4: forall l in partners where debt(F, year: Y) > 0:
  debt_share(F, l, year: Y) <= 50%
rule R5: forall c in commodities where world_exports(commodity: c, year: Y) > 0:
  forall e in partners: world_share(e, commodity: c, year: Y) <= 70%
rule Asia: forall p in partners where p.region == "Asia": exports(p) > 0

scenario cut "CHN halves its exports to PAK" {
  update d in deals where d.exporter == CHN and d.importer == PAK { value: d.value / 2 }
}

test "a scenario of its own" {
  drop d in deals where d.importer == PAK and d.value > 500000 USD
  expect count(deals) < 3001
  expect big_deals(PAK, 0) == count(d in deals where d.importer == PAK)
}
""")


def main(argv):
    hedge = os.path.join(ROOT, "hedge")
    if argv[:1] == ["--hedge"]:
        hedge = argv[1]
    hedge = os.path.abspath(hedge)
    d = tempfile.mkdtemp(prefix="hedge-pack-")
    passed = failed = 0

    def ok(cond, what, detail=""):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}" + (f"\n{detail}" if detail else ""))

    def run(*args, stdin=None):
        p = subprocess.run([hedge, *args], cwd=d, input=stdin, capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr

    try:
        write_world(d)
        rc, out, err = run("pack", "w.hedge", "-o", "w.hpk")
        ok(rc == 0 and os.path.exists(os.path.join(d, "w.hpk")), "hedge pack writes the pack", err)
        ok(not [f for f in os.listdir(d) if ".tmp" in f], "no temporary file is left")
        if rc != 0:
            raise SystemExit(f"pack: {passed} passed, {failed + 1} failed")
        commands = [
            ["check", "w.hedge"],
            ["check", "--format", "json", "w.hedge"],
            ["check", "--compare", "cut", "w.hedge"],
            ["check", "--compare", "cut", "--format", "json", "w.hedge"],
            ["check", "--scenario", "cut", "w.hedge"],
            ["check", "--explain", "--rule", "R2", "w.hedge"],
            ["test", "w.hedge"],
            ["test", "--format", "json", "w.hedge"],
            ["run", "w.hedge"],
            ["eval", "[big_deals(PAK, 100000), ports(PAK), count(deals), deals[17], deals[17].port]", "w.hedge"],
            ["eval", "[imports(PAK), sum(d in deals where d.exporter == IND: d.value)]", "w.hedge", "--scenario", "cut"],
            ["table", "w.hedge", "R2"],
        ]
        for c in commands:
            a = run(*c)
            b = run(*c, "--pack", "w.hpk")
            ok(a == b, "packed and CSV runs identical: hedge " + " ".join(c),
               f"csv: {a[0]} {a[1][:300]!r} {a[2][:300]!r}\npack: {b[0]} {b[1][:300]!r} {b[2][:300]!r}")
            ok(a[0] in (0, 1) and a[1], "the command ran: hedge " + " ".join(c), a[2])
        repl_in = "imports(PAK)\nbig_deals(PAK, 100000)\ncount(d in deals where d.port == \"Gwadar\")\n:quit\n"
        a = run("repl", "w.hedge", stdin=repl_in)
        b = run("repl", "w.hedge", "--pack", "w.hpk", stdin=repl_in)
        ok(a == b and "USD" in a[1], "the piped REPL is the same on a packed world", f"{a}\n{b}")

        # ---- refusals ----
        def refused(args, why, *words):
            rc, out, err = run(*args)
            ok(rc == 2 and all(w in err for w in words), f"{why}: exit 2 naming {words}", f"rc={rc} err={err!r}")

        deals = os.path.join(d, "deals.csv")
        orig = open(deals, "rb").read()
        i = orig.index(b"\n2,") + 3
        edited = orig[:i] + (b"Y" if orig[i:i + 1] != b"Y" else b"Z") + orig[i + 1:]
        open(deals, "wb").write(edited)
        refused(["check", "w.hedge", "--pack", "w.hpk"], "a CSV edited in place (same size)", "stale", "deals.csv", "checksum")
        rc, out, err = run("check", "--format", "json", "w.hedge", "--pack", "w.hpk")
        ok(rc == 2 and '"error"' in out and "stale" in out, "stale pack with --format json: a JSON error document", out)
        open(deals, "wb").write(orig + b"3001,CHN,PAK,c01,2025,1.0,1.00,\n")
        refused(["check", "w.hedge", "--pack", "w.hpk"], "a CSV that grew", "stale", "deals.csv", "size")
        os.rename(deals, deals + ".away")
        refused(["check", "w.hedge", "--pack", "w.hpk"], "a missing CSV", "stale", "deals.csv")
        os.rename(deals + ".away", deals)
        open(deals, "wb").write(orig)
        ext = os.path.join(d, "ext.lua")
        e0 = open(ext).read()
        open(ext, "w").write(e0.replace("table.sort(out)", "table.sort(out)  "))
        refused(["check", "w.hedge", "--pack", "w.hpk"], "an edited Lua extension", "stale", "ext.lua")
        open(ext, "w").write(e0)
        rc, _, err = run("check", "w.hedge", "--pack", "w.hpk")
        ok(rc in (0, 1), "restored sources: the pack is usable again", err)
        shutil.copy(os.path.join(d, "w.hedge"), os.path.join(d, "v.hedge"))
        refused(["check", "v.hedge", "--pack", "w.hpk"], "other files than the packed ones", "other files")
        refused(["check", "w.hedge", "--pack", "nowhere.hpk"], "a pack that does not exist", "nowhere.hpk")

        good = bytearray(open(os.path.join(d, "w.hpk"), "rb").read())

        def variant(name, data, why, *words):
            open(os.path.join(d, name), "wb").write(data)
            refused(["check", "w.hedge", "--pack", name], why, name, *words)

        bad = bytearray(good); struct.pack_into("<I", bad, 8, 99)
        variant("v99.hpk", bad, "another format version", "format 99")
        bad = bytearray(good); struct.pack_into("<I", bad, 12, 0x04030201)
        variant("be.hpk", bad, "another byte order", "another kind of machine")
        bad = bytearray(good); bad[0:8] = b"NOTAPACK"
        variant("magic.hpk", bad, "not a pack at all", "not a hedge pack")
        variant("short.hpk", good[:40], "a pack cut inside its header", "too short")
        variant("half.hpk", good[:len(good) // 2], "a pack cut in half", "size")
        hd = HEADER.unpack_from(good, 0)
        bad = bytearray(good); bad[hd[9] + 10] ^= 0xFF
        variant("meta.hpk", bad, "a corrupted description", "checksum")
        meta = Meta(good).walk()
        a_ref = meta.arrays["2.2.a"]
        at = struct.unpack_from("<Q", good, a_ref)[0]
        bad = bytearray(good); bad[at] ^= 0x40
        variant("array.hpk", bad, "a corrupted entity column (its checksum is not recomputed on use: the ids are checked)", "does not exist")
        # hostile: checksums recomputed
        bad = bytearray(good); struct.pack_into("<Q", bad, a_ref, len(good) + 4096); reseal(bad)
        variant("offset.hpk", bad, "an array offset beyond the file", "outside the file")
        bad = bytearray(good); struct.pack_into("<Q", bad, a_ref + 8, 1 << 62); reseal(bad)
        variant("length.hpk", bad, "an array length beyond the file", "outside the file")
        bad = bytearray(good)
        at, n, _ = struct.unpack_from("<QQQ", good, a_ref)
        struct.pack_into("<I", bad, at + 4 * 5, 999999)
        struct.pack_into("<Q", bad, a_ref + 16, phash(bytes(bad[at:at + n]))); reseal(bad)
        variant("entity.hpk", bad, "a deal naming a partner that does not exist", "does not exist")
        p_ref = meta.arrays["2.2.prec"]
        bad = bytearray(good)
        at, n, _ = struct.unpack_from("<QQQ", good, p_ref)
        bad[at + 3] = 7
        struct.pack_into("<Q", bad, p_ref + 16, phash(bytes(bad[at:at + n]))); reseal(bad)
        variant("prec.hpk", bad, "a date of an unknown precision", "malformed")
        # hostile index: a cell's count made wrong: the index is rebuilt, the report unchanged
        if "index0.1" in meta.arrays:
            c_ref = meta.arrays["index0.1"]
            bad = bytearray(good)
            at, n, _ = struct.unpack_from("<QQQ", good, c_ref)
            struct.pack_into("<I", bad, at + 16, 123456789)
            struct.pack_into("<Q", bad, c_ref + 16, phash(bytes(bad[at:at + n]))); reseal(bad)
            open(os.path.join(d, "cells.hpk"), "wb").write(bad)
            a = run("check", "w.hedge")
            b = run("check", "w.hedge", "--pack", "cells.hpk")
            ok(a == b, "a hostile index cell is not trusted: the index is rebuilt, the report the same", f"{a}\n{b}")
        else:
            ok(False, "the pack holds an index")
        # hostile rows of a packed index (its contents are checked when a
        # query first reads rows through it, not when it is taken): a row
        # beyond the deals, every cell's start beyond the rows. Each time the
        # index is rebuilt and the report is the same. wi.hedge declares no
        # deal after its loads (w.hedge does: a declared deal's value drops
        # the packed indexes), so its packed run takes the indexes, and R3's
        # HHIs read the rows of (importer, commodity, year).
        with open(os.path.join(d, "wi.hedge"), "w") as f:
            f.write('load partners from "partners.csv" { name: name, region: region }\n'
                    'load commodities from "commodities.csv" { name: name, kind: kind }\n'
                    'load deals from "deals.csv" { value: value_usd USD, volume: volume_t t, date: year }\n'
                    "let F = PAK\nlet Y = max(d in deals: d.year)\n"
                    "rule R3: forall c in commodities where imports(F, commodity: c, year: Y) > 0:\n"
                    "  import_hhi(F, commodity: c, year: Y) < 2500\n"
                    "rule R2: forall c in commodities where imports(F, commodity: c, year: Y) > 0:\n"
                    "  forall p in partners: import_share(F, p, commodity: c, year: Y) <= 40%\n")
        run("pack", "wi.hedge", "-o", "wi.hpk")
        igood = open(os.path.join(d, "wi.hpk"), "rb").read()
        imeta = Meta(igood).walk()
        def arr_len(name):
            ref = imeta.arrays.get(name)
            return struct.unpack_from("<QQQ", igood, ref)[1] if ref is not None else 0
        with_rows = [(i, j) for i in range(16) for j in (2, 3) if arr_len(f"index{i}.{j}")]
        ok(bool(with_rows), "the pack of wi.hedge holds an index with placed rows")
        a = run("check", "wi.hedge")
        ok("R3" in a[1] and a[0] in (0, 1), "wi.hedge checks", a)
        for i, j in with_rows:
            for what, name, arr in (("a row beyond the deals", f"row{i}{j}.hpk", f"index{i}.{j}"),
                                    ("a cell's start beyond the rows", f"start{i}.hpk", f"index{i}.1")):
                bad = bytearray(igood)
                ref = imeta.arrays[arr]
                at, n, _ = struct.unpack_from("<QQQ", igood, ref)
                if arr.endswith(".1"):
                    for c in range(n // 24):   # Cell: sum, compensation, count, start
                        struct.pack_into("<I", bad, at + 24 * c + 20, 0x7FFFFFFF)
                else:
                    for k in range(0, n // 4, 3):
                        struct.pack_into("<I", bad, at + 4 * k, 0xFFFFFFF0)
                struct.pack_into("<Q", bad, ref + 16, phash(bytes(bad[at:at + n]))); reseal(bad)
                open(os.path.join(d, name), "wb").write(bad)
                b = run("check", "wi.hedge", "--pack", name)
                ok(a == b, f"{what} in packed index {i}: the index is rebuilt, the report the same", f"{a}\n{b}")

        # the mapping layer and the examples: every file of tests/load and
        # examples that loads gives the same reports packed
        corpus = []
        for folder in ("tests/load", "examples", "examples/pakistan", "examples/critical_minerals",
                       "examples/data_as_it_comes", "examples/ext"):
            full = os.path.join(ROOT, folder)
            corpus += sorted(os.path.join(full, f) for f in os.listdir(full) if f.endswith(".hedge"))
        packed_any = 0
        for src in corpus:
            base = ["--allow-io"] if "ext" in src else []
            a = run("check", "--format", "json", src, *base)
            if a[0] not in (0, 1):
                continue   # a file that fails to load on purpose
            hp = os.path.join(d, "corpus.hpk")
            rc, _, err = run("pack", src, "-o", hp, *base)
            ok(rc == 0, "hedge pack " + os.path.relpath(src, ROOT), err)
            if rc != 0:
                continue
            packed_any += 1
            for c in (["check", "--format", "json"], ["run"], ["test"]):
                a = run(*c, src, *base)
                b = run(*c, src, *base, "--pack", hp)
                ok(a == b, "packed and CSV identical: hedge %s %s" % (" ".join(c), os.path.relpath(src, ROOT)),
                   f"csv: {a[0]} {a[1][:300]!r} {a[2][:300]!r}\npack: {b[0]} {b[1][:300]!r} {b[2][:300]!r}")
        ok(packed_any >= 15, "the corpus packed at least 15 files (%d)" % packed_any)

        # a failed pack leaves nothing behind
        open(os.path.join(d, "broken.hedge"), "w").write('load deals from "nothing.csv" { value: value USD }\n')
        rc, _, err = run("pack", "broken.hedge", "-o", "broken.hpk")
        ok(rc == 2 and not os.path.exists(os.path.join(d, "broken.hpk")) and
           not [f for f in os.listdir(d) if ".tmp" in f], "a failed pack writes nothing", err)
        # the default name: FILE.hpk beside it
        rc, _, err = run("pack", "w.hedge")
        ok(rc == 0 and os.path.exists(os.path.join(d, "w.hpk")), "hedge pack FILE.hedge writes FILE.hpk", err)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print(f"pack: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
