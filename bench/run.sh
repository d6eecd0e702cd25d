#!/usr/bin/env bash
# hedge performance benchmark (`make bench`): workload W1 against its peers in
# bench/w1 (C, Lua, Python, SQLite, DuckDB), 100,000 declared deals, and
# start-up time. See RESULTS.md and w1/README.md.
#
# Usage: bench/run.sh [N ...]                 (default: 100000 1000000)
# Env:   HEDGE         hedge binary (default: ./hedge in the repo root; a relative
#                      path is taken from the current directory)
#        W1DATA        data, binaries and results (default /tmp/w1data; CSVs are
#                      generated into $W1DATA/<100k|1m> unless already there)
#        BENCH_SIZES   deal counts when no N is given (default "100000 1000000 10000000";
#                      the 10M data is generated once, about 450 MB, and kept in W1DATA)
#        BIG_PEERS=1   run the general peers at 10M too (default: only C and hedge)
#        W1_PEERS      the folder of the W1 specification, generator, timer, peers
#                      and reference outputs (default: bench/w1 of this repository)
#        RUNS          timed runs per command (default 5, after 1 warm-up)
#        STARTUP_RUNS  timed runs for start-up (default 20)
#        ONLY          e.g. "hedge lua5.4": run only these parts (hedge lua5.4
#                      luajit python3 sqlite3 duckdb cat decls scenario repair compare
#                      skew instr startup packed); the C
#                      baseline always runs (it is the unit of the ratios)
#        NO_DUCKDB=1   do not install/run the DuckDB peer (it needs node + npm:
#                      `npm ci` into $W1DATA/duckdb on first use)
#        BENCH_RESULTS markdown file to update (default bench/RESULTS.md)
#        BENCH_NO_HEDGE=1  run the peers even though hedge is missing (no
#                      RESULTS.md update unless BENCH_RESULTS is set)
#        BENCH_STRICT=1    exit 3 when a performance goal is missed
# Exit: 0 done; 1 hedge's output differs from the reference (or hedge failed);
#       2 set-up problem (missing tool or folder); 3 a goal missed (BENCH_STRICT).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
die() { echo "bench/run.sh: error: $*" >&2; exit 2; }
say() { echo "$*"; }

# ---- the W1 peers (bench/w1) -------------------------------------------------------
w1=${W1_PEERS:-$here/w1}
[ -d "$w1" ] || die "no W1 folder at '$w1' (W1_PEERS)"
w1=$(cd "$w1" && pwd)
for f in gen.py timecmd.py w1.c w1.lua w1.py w1.sql w1-sqlite.sh edge/deals.csv expected/edge.txt; do
  [ -f "$w1/$f" ] || die "missing $w1/$f"
done
command -v python3 >/dev/null || die "python3 is required (data generator, timer, report)"
command -v gcc >/dev/null || die "gcc is required to build the C baseline"
py=$(python3 -c 'import sys; print(sys.executable)')   # the interpreter, not a pyenv shim
timer=("$py" "$w1/timecmd.py")
runs=${RUNS:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$runs'"

# ---- hedge ---------------------------------------------------------------------
hedge=${HEDGE:-$root/hedge}
case $hedge in
  */*) [ -e "$hedge" ] && hedge=$(cd "$(dirname "$hedge")" && pwd)/$(basename "$hedge") ;;
  *)   hedge=$(command -v "$hedge" || echo "$hedge") ;;
esac
have_hedge=1
if [ ! -x "$hedge" ]; then
  [ "${BENCH_NO_HEDGE:-0}" = 1 ] || die "no executable hedge at '$hedge'.
  Build it first ('make' in $root), or set HEDGE=/path/to/hedge.
  (BENCH_NO_HEDGE=1 runs the peers alone.)"
  have_hedge=0
  say "note: no hedge at '$hedge': timing the peers only (BENCH_NO_HEDGE=1)"
fi

# ---- where things go -------------------------------------------------------------
data=${W1DATA:-/tmp/w1data}
mkdir -p "$data" || die "cannot create W1DATA='$data'"
data=$(cd "$data" && pwd)
res=$data/hedge-results
rm -rf "$res"; mkdir -p "$res" "$data/bin"
if [ $have_hedge = 1 ]; then results_md=${BENCH_RESULTS:-$here/RESULTS.md}
else results_md=${BENCH_RESULTS:-$res/RESULTS.md}; fi
# shellcheck disable=SC2086  # a list of numbers
[ $# -gt 0 ] || set -- ${BENCH_SIZES:-100000 1000000 10000000}
for n in "$@"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, not '$n'"; done
label() { case $1 in *000000) echo "$(($1 / 1000000))m" ;; *000) echo "$(($1 / 1000))k" ;; *) echo "$1" ;; esac; }
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
failed=0      # hedge correctness problems

# ---- machine and versions ------------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc: $(nproc)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "memory: $(awk '/^MemTotal/ { printf "%.0f GiB of memory", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC1091,SC2015
  echo "os: $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}" || uname -s)"
  echo "runs: $runs"
  echo "startup_runs: ${STARTUP_RUNS:-20}"
  v="hedge $([ $have_hedge = 1 ] && { "$hedge" --version 2>/dev/null | head -1 || echo '?'; } || echo 'missing')"
  v="$v, $(gcc --version | head -1)"
  command -v lua5.4 >/dev/null && v="$v, $(lua5.4 -v 2>&1 | awk '{ print $1, $2 }')"
  command -v luajit >/dev/null && v="$v, $(luajit -v 2>&1 | awk '{ print $1, $2 }')"
  v="$v, Python $("$py" -c 'import platform; print(platform.python_version())')"
  command -v sqlite3 >/dev/null && v="$v, SQLite $(sqlite3 --version | awk '{ print $1 }')"
  command -v node >/dev/null && v="$v, Node $(node --version)"
  echo "versions: $v"
} > "$res/meta.txt"

# ---- peers -------------------------------------------------------------------------------
gcc -std=c11 -O2 -Wall -o "$data/bin/w1" "$w1/w1.c" || die "cannot compile $w1/w1.c"
peers=("c|$data/bin/w1")          # name|command (the data directory is appended)
skip=()                           # name|why
add() { if command -v "$2" >/dev/null; then peers+=("$1|$3"); else skip+=("$1|skipped: $2 not installed"); fi; }
add lua5.4 lua5.4 "lua5.4 $w1/w1.lua"
add luajit luajit "luajit $w1/w1.lua"
peers+=("python3|$py $w1/w1.py")
add sqlite3 sqlite3 "sh $w1/w1-sqlite.sh"
if [ "${NO_DUCKDB:-0}" = 1 ] || ! want duckdb; then
  skip+=("duckdb|skipped: NO_DUCKDB=1")
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  skip+=("duckdb|skipped: node/npm not installed")
elif [ ! -f "$w1/duckdb/w1.js" ]; then
  skip+=("duckdb|skipped: no $w1/duckdb")
else
  dk=$data/duckdb   # npm installs beside the data, not into the repository
  if [ ! -d "$dk/node_modules/@duckdb/node-api" ] || ! cmp -s "$w1/duckdb/package-lock.json" "$dk/package-lock.json"; then
    say "installing the DuckDB peer's Node client into $dk (npm ci, once)"
    # shellcheck disable=SC2015  # any failure on the way skips DuckDB
    mkdir -p "$dk" && cp -f "$w1/duckdb/"{w1.js,w1.sql,package.json,package-lock.json} "$dk/" &&
      chmod u+w "$dk"/* && (cd "$dk" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) ||
      { rm -rf "$dk/node_modules"; say "  npm ci failed: DuckDB skipped"; }
  fi
  cp -f "$w1/duckdb/"{w1.js,w1.sql} "$dk/" 2>/dev/null || true
  if [ -d "$dk/node_modules/@duckdb/node-api" ]; then peers+=("duckdb|node $dk/w1.js")
  else skip+=("duckdb|skipped: npm ci failed"); fi
fi

secs_since() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; }
bench() {   # bench NAME LABEL CHECKED_SECS DIR CMD...: timer report into $res (runs in DIR)
  local name=$1 l=$2 secs=$3 dir=$4; shift 4
  local n=$runs; awk -v s="$secs" 'BEGIN { exit !(s >= 10) }' && [ "$n" -gt 3 ] && n=3
  say "    timing $name ($n runs + 1 warm-up)"
  (cd "$dir" && "${timer[@]}" -n "$n" -- "$@") > "$res/bench-$name-$l.txt" 2>&1 ||
    say "    timer failed for $name: $(head -c 300 "$res/bench-$name-$l.txt")"
}

# hedge on one data dir: checked run (JSON -> canonical text -> cmp), then timing.
hedge_w1() {   # hedge_w1 DIR LABEL REF [time]
  local d=$1 l=$2 ref=$3 rc=0 t0; t0=$(date +%s.%N)
  cp -f "$here/w1/w1.hedge" "$d/w1.hedge"
  (cd "$d" && "$hedge" check --format json w1.hedge) > "$res/hedge-$l.json" 2> "$res/hedge-$l.err" || rc=$?
  local secs; secs=$(secs_since "$t0")
  local crc=0
  "$py" "$here/w1/to_canonical.py" "$res/hedge-$l.json" > "$res/out-hedge-$l.txt" 2> "$res/canon-$l.err" || crc=$?
  if [ $rc -ge 2 ]; then
    echo "ERROR: exit $rc: $(head -c 200 "$res/hedge-$l.err" | tr '\n' ' ')" > "$res/check-hedge-$l.txt"
  elif [ $crc -ne 0 ]; then
    echo "ERROR: bad report: $(head -c 200 "$res/canon-$l.err" | tr '\n' ' ')" > "$res/check-hedge-$l.txt"
  elif cmp -s "$res/out-hedge-$l.txt" "$ref"; then
    echo "identical" > "$res/check-hedge-$l.txt"
  else
    echo "DIFFERS (diff: $res/out-hedge-$l.txt vs $ref)" > "$res/check-hedge-$l.txt"
  fi
  say "  hedge: $(cat "$res/check-hedge-$l.txt") (exit $rc, ~${secs}s)"
  case $(cat "$res/check-hedge-$l.txt") in
    identical) ;;
    DIFFERS*) failed=1
              diff "$ref" "$res/out-hedge-$l.txt" 2>/dev/null | head -20 | sed 's/^/      /' || true ;;
    *) failed=1; say "    (not timed: hedge did not produce a report)"; return 0 ;;
  esac
  if [ "${4:-}" = time ]; then
    bench hedge "$l" "$secs" "$d" "$hedge" check --format json w1.hedge
    phases "$res/phases-hedge-$l.txt" "$d" "$hedge" check --format json w1.hedge
  fi
  return 0
}

# phases OUT DIR CMD...: HEDGE_PHASES=1 lines ("phase load 0.348 s") of 3 runs of
# CMD in DIR, appended to OUT; summarize.py takes each phase's median. They are
# the wall-time profile of a goal that is missed (the gap report).
phases() {
  local out=$1 dir=$2; shift 2
  : > "$out"
  for _ in 1 2 3; do (cd "$dir" && HEDGE_PHASES=1 "$@") 2>> "$out" > /dev/null || true; done
}

# hedge on a packed world (docs/pack.md): `hedge pack` once (timed once, apart),
# the checked run with --pack (same reference as the CSV run), then the timed
# runs, which map the pack instead of reading the CSV.
hedge_packed() {   # hedge_packed DIR LABEL REF
  local d=$1 l=$2 ref=$3 rc=0 crc=0 t0 secs
  cp -f "$here/w1/w1.hedge" "$d/w1.hedge"
  t0=$(date +%s.%N)
  if ! (cd "$d" && "$hedge" pack w1.hedge -o w1.hpk) > "$res/pack-$l.err" 2>&1; then
    echo "ERROR: hedge pack failed: $(head -c 200 "$res/pack-$l.err" | tr '\n' ' ')" > "$res/check-hedge-packed-$l.txt"
    failed=1; say "  hedge, packed: $(cat "$res/check-hedge-packed-$l.txt")"; return 0
  fi
  secs=$(secs_since "$t0")
  echo "pack_secs $secs pack_bytes $(stat -c %s "$d/w1.hpk")" > "$res/info-pack-$l.txt"
  (cd "$d" && "$hedge" check --format json w1.hedge --pack w1.hpk) > "$res/hedge-packed-$l.json" 2> "$res/hedge-packed-$l.err" || rc=$?
  "$py" "$here/w1/to_canonical.py" "$res/hedge-packed-$l.json" > "$res/out-hedge-packed-$l.txt" 2> "$res/canon-packed-$l.err" || crc=$?
  if [ $rc -ge 2 ]; then echo "ERROR: exit $rc: $(head -c 200 "$res/hedge-packed-$l.err" | tr '\n' ' ')" > "$res/check-hedge-packed-$l.txt"
  elif [ $crc -ne 0 ]; then echo "ERROR: bad report: $(head -c 200 "$res/canon-packed-$l.err" | tr '\n' ' ')" > "$res/check-hedge-packed-$l.txt"
  elif cmp -s "$res/out-hedge-packed-$l.txt" "$ref" && cmp -s "$res/hedge-packed-$l.json" "$res/hedge-$l.json"; then
    echo "identical" > "$res/check-hedge-packed-$l.txt"
  else echo "DIFFERS (from the reference or from the CSV run's JSON)" > "$res/check-hedge-packed-$l.txt"; fi
  say "  hedge, packed: $(cat "$res/check-hedge-packed-$l.txt") (pack written in ~${secs}s)"
  [ "$(cat "$res/check-hedge-packed-$l.txt")" = identical ] || { failed=1; return 0; }
  bench hedge-packed "$l" 0 "$d" "$hedge" check --format json w1.hedge --pack w1.hpk
  phases "$res/phases-packed-$l.txt" "$d" "$hedge" check --format json w1.hedge --pack w1.hpk
  return 0
}

# ---- the hand-made boundary case -------------------------------------------------
say "== W1 edge case ($w1/edge)"
ed=$data/edge; mkdir -p "$ed"
cp -f "$w1/edge/"*.csv "$ed/" && chmod u+w "$ed"/*.csv
eref=$w1/expected/edge.txt
"$data/bin/w1" "$ed" | cmp -s - "$eref" || die "the C baseline disagrees with $eref on edge/"
if [ $have_hedge = 1 ]; then hedge_w1 "$ed" edge "$eref"; fi

# ---- W1 at each N ----------------------------------------------------------------------
labels=()
refnote=""
for n in "$@"; do
  l=$(label "$n"); d=$data/$l; labels+=("$l")
  say "== W1, N=$n ($d)"
  if [ ! -f "$d/deals.csv" ] || [ ! -f "$d/loans.csv" ] || [ ! -f "$d/partners.csv" ] || [ ! -f "$d/commodities.csv" ]; then
    say "  generating data (gen.py --seed 1 --deals $n)"
    rm -rf "$d.tmp.$$"
    "$py" "$w1/gen.py" --seed 1 --deals "$n" --out "$d.tmp.$$" || die "gen.py failed for N=$n"
    mkdir -p "$d" && mv -f "$d.tmp.$$"/*.csv "$d/" && rmdir "$d.tmp.$$"
  fi
  if grep -q "  $l/" "$w1/expected/SHA256SUMS" 2>/dev/null; then
    if ! (cd "$d" && grep "  $l/" "$w1/expected/SHA256SUMS" | sed "s|  $l/|  |" | sha256sum -c --quiet >/dev/null 2>&1); then
      say "  WARNING: $d does not match expected/SHA256SUMS (stale or partial data?); remove it to regenerate"
    fi
  fi
  echo "deals_bytes $(stat -c %s "$d/deals.csv")" > "$res/info-$l.txt"
  say "  deals.csv: $(awk '{ printf "%.1f MB", $2 / 1e6 }' "$res/info-$l.txt")"
  ref=$w1/expected/seed1-$l.txt
  if [ ! -f "$ref" ]; then   # fall back on two independent peers that agree
    ref=$res/ref-$l.txt
    "$data/bin/w1" "$d" > "$ref" || die "the C baseline failed on $d"
    if [ "$n" -lt 10000000 ]; then
      "$py" "$w1/w1.py" "$d" | cmp -s - "$ref" || die "no $w1/expected/seed1-$l.txt, and the C and Python peers disagree on $d"
      say "  (no expected/seed1-$l.txt: reference = the C baseline's output, which Python's matches)"
    else
      say "  (no expected/seed1-$l.txt: reference = the C baseline's output)"
    fi
    refnote="$refnote seed1-$l.txt"
  fi
  if [ $have_hedge = 1 ] && want hedge; then hedge_w1 "$d" "$l" "$ref" time; fi
  if [ $have_hedge = 1 ] && want packed && [ -f "$res/hedge-$l.json" ]; then hedge_packed "$d" "$l" "$ref"
  elif [ $have_hedge = 0 ]; then echo "skipped: no hedge" > "$res/check-hedge-$l.txt"; fi
  for p in "${peers[@]}"; do
    name=${p%%|*}; cmd=${p#*|}
    want "$name" || [ "$name" = c ] || continue
    # from 10M deals on, only the C baseline (the unit of the ratios) unless
    # BIG_PEERS=1: the general peers take minutes there
    if [ "$n" -ge 10000000 ] && [ "$name" != c ] && [ "${BIG_PEERS:-0}" != 1 ]; then
      echo "skipped at $l (BIG_PEERS=1 runs it)" > "$res/check-$name-$l.txt"; continue
    fi
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086  # $cmd is a command line of plain words
    if $cmd "$d" > "$res/out-$name-$l.txt" 2> "$res/err-$name-$l.txt" && cmp -s "$res/out-$name-$l.txt" "$ref"
    then echo "identical" > "$res/check-$name-$l.txt"; else echo "DIFFERS" > "$res/check-$name-$l.txt"; fi
    secs=$(secs_since "$t0")
    say "  $name: $(cat "$res/check-$name-$l.txt") (~${secs}s)"
    # shellcheck disable=SC2086
    bench "$name" "$l" "$secs" "$d" $cmd "$d"
  done
  for s in "${skip[@]}"; do
    name=${s%%|*}; want "$name" || continue
    echo "${s#*|}" > "$res/check-$name-$l.txt"; say "  $name: ${s#*|}"
  done
  if want cat; then bench cat "$l" 0 "$d" sh -c 'cat deals.csv >/dev/null'; fi
done
if [ -n "$refnote" ]; then
  echo "reference: \`bench/w1/expected/\` lacks${refnote}, so the reference for those was the C baseline's output, checked equal to the Python peer's below 10M deals (C alone at 10M and above). Edge case: \`bench/w1/expected/edge.txt\`, WORKLOAD.md section 5's example." >> "$res/meta.txt"
fi

# ---- 100,000 declared deals ------------------------------------------------------------
if [ $have_hedge = 1 ] && want decls; then
  say "== 100,000 declared deals"
  dd=$data/decls; df=$dd/decls.hedge
  if [ ! -f "$df" ] || [ "$here/decls/gen_decls.py" -nt "$df" ]; then
    "$py" "$here/decls/gen_decls.py" --deals 100000 --out "$df" || die "gen_decls.py failed"
  fi
  echo "$(grep -c '^deal ' "$df") \`deal { ... }\` lines, $(awk '{ printf "%.1f MB", $1 / 1e6 }' <<< "$(stat -c %s "$df")")" > "$res/info-decls.txt"
  rc=0; t0=$(date +%s.%N)
  (cd "$dd" && "$hedge" check decls.hedge) > "$res/decls.out" 2> "$res/decls.err" || rc=$?
  secs=$(secs_since "$t0")
  if [ $rc = 0 ]; then echo "ok (exit 0, rule \`positive\` passes)" > "$res/check-decls.txt"
  else echo "FAILED: exit $rc: $(head -c 200 "$res/decls.err" | tr '\n' ' ')" > "$res/check-decls.txt"; failed=1; fi
  say "  $(cat "$res/check-decls.txt") (~${secs}s)"
  if [ $rc = 0 ]; then
    bench decls "" "$secs" "$dd" "$hedge" check decls.hedge
    mv -f "$res/bench-decls-.txt" "$res/bench-decls.txt"
    phases "$res/phases-decls.txt" "$dd" "$hedge" check decls.hedge
  else say "    (not timed)"; fi
fi

# ---- a scenario over the largest world -----------------------------------------------------
# Issue: a scenario that changes 10 deals out of a million costs about as much
# as checking the base world. Times the base check and the scenario's check of
# bench/w1/w1s.hedge in the largest data directory of this run.
if [ $have_hedge = 1 ] && want scenario; then
  big=""; for n in "$@"; do big=$n; done
  if [ -n "$big" ]; then
    sd=$data/$(label "$big")
    cp -f "$here/w1/w1.hedge" "$here/w1/w1s.hedge" "$sd/"
    say "== scenario over $(label "$big") deals (ten deals changed)"
    bench scen-base "" 0 "$sd" "$hedge" check --format json w1s.hedge
    bench scen-ten "" 0 "$sd" "$hedge" check --format json --scenario ten w1s.hedge
    mv -f "$res/bench-scen-base-.txt" "$res/bench-scen-base.txt"
    mv -f "$res/bench-scen-ten-.txt" "$res/bench-scen-ten.txt"
    echo "$(label "$big")" > "$res/info-scen.txt"
  fi
fi

# ---- repairs (docs/repair.md) -----------------------------------------------------------
# Issue 15: `check --repair` on W1 at 100K deals costs at most 2x a plain check.
# Times both, back to back, on the 100K data (else the smallest size of this run),
# and checks that every failing binding got its repairs.
if [ $have_hedge = 1 ] && want repair; then
  rl=""; for n in "$@"; do [ "$n" = 100000 ] && rl=100k; done
  [ -n "$rl" ] || rl=$(label "$1")
  rd=$data/$rl
  if [ -f "$rd/deals.csv" ]; then
    cp -f "$here/w1/w1.hedge" "$rd/w1.hedge"
    say "== --repair over $rl deals"
    rc=0
    (cd "$rd" && "$hedge" check --format json --repair w1.hedge) > "$res/repair.json" 2> "$res/repair.err" || rc=$?
    if [ $rc -le 1 ] && "$py" - "$res/repair.json" > "$res/check-repair.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cx = [c for x in r["rules"] for c in x["counterexamples"]]
rep = sum(len(c["repairs"]) for c in cx)
scen = sum(1 for c in cx for x in c["repairs"] if x["scenario"])
bad = [c["bindings"] for c in cx if not c["repairs"] and not c.get("no_repair")]
print("ok: %d failing bindings, %d repairs (%d with a scenario)" % (len(cx), rep, scen) if not bad
      else "FAILED: bindings without a repair or a reason: %s" % bad[:3])
sys.exit(1 if bad else 0)
PY
    then say "  $(cat "$res/check-repair.txt")"
    else echo "FAILED: exit $rc: $(head -c 200 "$res/repair.err" | tr '\n' ' ')" >> "$res/check-repair.txt"; failed=1
         say "  $(cat "$res/check-repair.txt")"; fi
    bench repair-base "" 0 "$rd" "$hedge" check --format json w1.hedge
    bench repair "" 0 "$rd" "$hedge" check --format json --repair w1.hedge
    mv -f "$res/bench-repair-base-.txt" "$res/bench-repair-base.txt"
    mv -f "$res/bench-repair-.txt" "$res/bench-repair.txt"
    echo "$rl" > "$res/info-repair.txt"
  fi
fi

# ---- --compare over the largest world (at most 1M) -----------------------------------------
# Goal: --compare with ten deals updated costs at most 1.2x a plain check.
if [ $have_hedge = 1 ] && want compare; then
  cm=""; for n in "$@"; do [ "$n" -le 1000000 ] && cm=$n; done
  if [ -n "$cm" ]; then
    cd_=$data/$(label "$cm")
    cp -f "$here/w1/w1.hedge" "$here/w1/w1s.hedge" "$cd_/"
    say "== --compare over $(label "$cm") deals (ten deals changed)"
    bench cmp-base "" 0 "$cd_" "$hedge" check --format json w1s.hedge
    bench cmp-ten "" 0 "$cd_" "$hedge" check --format json --compare ten w1s.hedge
    mv -f "$res/bench-cmp-base-.txt" "$res/bench-cmp-base.txt"
    mv -f "$res/bench-cmp-ten-.txt" "$res/bench-cmp-ten.txt"
    phases "$res/phases-cmp-base.txt" "$cd_" "$hedge" check --format json w1s.hedge
    phases "$res/phases-cmp-ten.txt" "$cd_" "$hedge" check --format json --compare ten w1s.hedge
    echo "$(label "$cm")" > "$res/info-cmp.txt"
  fi
fi

# ---- skewed BACI-like data ------------------------------------------------------------------
# Goal: 1M rows whose importers are skewed (bench/skew/gen_skew.py: PAK takes
# about 60% of the rows, 1000 commodities, one year) check in at most 2x the
# time of the same shape with uniform importers. Both outputs are also
# compared with the C peer's (W1's rules hold for any data in W1's layout).
if [ $have_hedge = 1 ] && want skew; then
  for kind in skew uniform; do
    sk=$data/$kind-1m
    if [ ! -f "$sk/deals.csv" ]; then
      say "  generating $kind data (bench/skew/gen_skew.py --deals 1000000)"
      rm -rf "$sk.tmp.$$"
      flag=""; [ $kind = uniform ] && flag=--uniform
      "$py" "$here/skew/gen_skew.py" --deals 1000000 $flag --out "$sk.tmp.$$" || die "gen_skew.py failed"
      mkdir -p "$sk" && mv -f "$sk.tmp.$$"/*.csv "$sk/" && rmdir "$sk.tmp.$$"
    fi
    say "== W1 on $kind importers, 1M rows ($sk)"
    "$data/bin/w1" "$sk" > "$res/ref-$kind.txt" || die "the C baseline failed on $sk"
    hedge_w1 "$sk" "$kind" "$res/ref-$kind.txt" time
    bench c "$kind" 0 "$sk" "$data/bin/w1" "$sk"
  done
fi

# ---- instructions (callgrind): the stable measure on a busy machine -----------------------
# Wall times drift with the machine's load; instruction counts do not. With
# valgrind installed, counts hedge and the C peer at 1M, hedge under
# --compare, and hedge's instructions per phase (load / rules / report).
if [ $have_hedge = 1 ] && want instr && command -v valgrind >/dev/null; then
  im=$data/1m
  if [ -f "$im/deals.csv" ]; then
    say "== instructions at 1M (callgrind)"
    cp -f "$here/w1/w1.hedge" "$here/w1/w1s.hedge" "$im/"
    icount() {  # icount NAME CMD...: total instructions of CMD in $im
      local name=$1; shift
      (cd "$im" && valgrind --tool=callgrind --callgrind-out-file="$res/cg-$name.out" "$@" > /dev/null 2> "$res/cg-$name.err") || true
      grep -o 'Collected : [0-9]*' "$res/cg-$name.err" | awk '{ print $3 }' > "$res/instr-$name.txt"
      say "  $name: $(cat "$res/instr-$name.txt") instructions"
    }
    icount c "$data/bin/w1" "$im"
    icount hedge "$hedge" check --format json w1.hedge
    icount hedge-cmp "$hedge" check --format json --compare ten w1s.hedge
    icount hedge-cmp-base "$hedge" check --format json w1s.hedge
    if [ -f "$res/hedge-packed-1m.json" ]; then icount hedge-packed "$hedge" check --format json w1.hedge --pack w1.hpk; fi
    if [ -f "$data/decls/decls.hedge" ]; then im=$data/decls icount decls "$hedge" check decls.hedge; fi
    if command -v callgrind_annotate >/dev/null; then
      # self cost per function, for the gap report (summarize.py): where a
      # missed goal's instructions go
      for cg in hedge hedge-cmp hedge-cmp-base hedge-packed decls; do
        [ -f "$res/cg-$cg.out" ] || continue
        callgrind_annotate --threshold=100 "$res/cg-$cg.out" 2>/dev/null |
          sed -n 's|^ *\([0-9,]*\) ([ 0-9.]*%)  \([^ ]*\).*|\1 \2|p' | tr -d , |
          sed 's|/[^ ]*/interp/|interp/|' > "$res/self-$cg.txt" || true
      done
      # the phases as the code names them (inclusive: the load, its two
      # halves and the scanner; the rules, the index building and the queries)
      callgrind_annotate --inclusive=yes "$res/cg-hedge.out" 2>/dev/null |
        grep -v '=>' | grep -E '(load.c:(load_exec|load_parallel|load_rows_serial)|loadscan.c:loadscan_rows|load.c:scan_rows|csv.c:csv_next|rules.c:rules_check|index.c:(index_prepare|lookup)|stdfast.c:(stdfast_call|stdfast_prepare)|report.c:report_json|eval.c:eval) ' |
        sed 's|/[^ ]*/interp/|interp/|; s| \[.*||' | head -12 > "$res/instr-phases.txt" || true
    fi
  fi
fi

# ---- start-up ---------------------------------------------------------------------------
if [ $have_hedge = 1 ] && want startup; then
  say "== start-up"
  RESULTS_DIR=$res RUNS=${STARTUP_RUNS:-20} W1_PEERS=$w1 "$here/startup.sh" "$hedge" | sed 's/^/  /' ||
    say "  startup.sh failed"
  # the goal's unit: a Lua interpreter that runs nothing, in the same run
  if command -v lua5.4 >/dev/null; then
    "${timer[@]}" -n "${STARTUP_RUNS:-20}" -- lua5.4 -e '' > "$res/bench-startup-lua.txt" 2>&1 || true
  fi
fi

# ---- report ---------------------------------------------------------------------------------
say ""
"$py" "$here/summarize.py" "$res" "$results_md" "${labels[@]}" | tee "$res/section.md"
say ""
say "results: $results_md (between the results markers); raw reports: $res"
[ $failed = 0 ] || { echo "bench/run.sh: hedge's output differs from the reference (see above)" >&2; exit 1; }
if [ "${BENCH_STRICT:-0}" = 1 ] && grep -q '^FAIL' "$res/goals.txt"; then
  echo "bench/run.sh: performance goals missed (BENCH_STRICT=1)" >&2; exit 3
fi
exit 0
