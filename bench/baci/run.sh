#!/usr/bin/env bash
# BACI load benchmark (`make bench-baci`): a BACI-layout file of N rows loaded
# with the one-line `as baci` load (country table, NA quantities, partners and
# products declared from the data) against the same rows in hedge's own layout
# (codes already mapped, partners and products declared from two small CSVs).
# Prints the median wall time of RUNS runs of each (after one warm-up) and their
# ratio; the goal is a ratio of at most 1.5.
#
# Usage: bench/baci/run.sh [N]        (default 1000000)
# Env:   HEDGE      hedge binary (default ./hedge)
#        BACIDATA   where the data go (default /tmp/bacidata; generated on first
#                   use by bench/baci/gen.py, never committed)
#        RUNS       timed runs per program (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${1:-1000000}
hedge=${HEDGE:-$root/hedge}
case $hedge in /*) ;; *) hedge=$PWD/$hedge ;; esac
data=${BACIDATA:-/tmp/bacidata}/$n
runs=${RUNS:-5}
[ -x "$hedge" ] || { echo "bench-baci: no hedge binary at $hedge" >&2; exit 2; }
if [ ! -s "$data/deals.csv" ] || [ ! -s "$data/baci.hedge" ]; then
  echo "generating $n rows into $data ..." >&2
  python3 "$here/gen.py" "$data" "$n"
fi
median() { python3 -c "import statistics, sys; print(round(statistics.median(float(x) for x in sys.stdin), 3))"; }
time_prog() {   # prints the median wall time in seconds of `hedge run PROG`
  local prog=$1 out
  out=$(cd "$data" && "$hedge" run "$prog")
  [ "$out" = "$n" ] || { echo "bench-baci: $prog printed '$out', expected $n" >&2; exit 1; }
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    (cd "$data" && "$hedge" run "$prog" > /dev/null)
    t1=$(date +%s%N)
    python3 -c "print(($t1 - $t0) / 1e9)"
  done | median
}
own=$(time_prog own.hedge)
baci=$(time_prog baci.hedge)
ratio=$(python3 -c "print(round($baci / $own, 3))")
echo "rows: $n   runs: $runs (median wall time of hedge run, start-up included)"
echo "own layout (deals.csv + partners + commodities): $own s"
echo "BACI layout (as baci, country table, NA):        $baci s"
echo "ratio BACI / own: $ratio (goal <= 1.5)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' || { echo "bench-baci: goal missed" >&2; exit 3; }
