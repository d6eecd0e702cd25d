#!/usr/bin/env bash
# Tests of the bench harness that need no hedge: to_canonical.py on a hand-made
# report of the edge case, its error handling, and fake_hedge.py end to end on
# edge/. For a whole dry run of bench/run.sh without hedge:
#   HEDGE=bench/selftest/fake_hedge.py BENCH_RESULTS=/tmp/r.md bench/run.sh 100000
# shellcheck disable=SC2015  # "test && ok || ko": ok never fails
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exp=$here/../w1/expected/edge.txt
canon=$here/../w1/to_canonical.py
fails=0
ok() { echo "ok   $1"; }
ko() { echo "FAIL $1"; fails=$((fails + 1)); }

python3 "$canon" "$here/edge-report.json" | cmp -s - "$exp" && ok "hand-made edge report -> $exp" || ko "hand-made edge report"
python3 "$canon" < "$here/edge-report.json" | cmp -s - "$exp" && ok "same from stdin" || ko "stdin"

bad=$(python3 - "$here/edge-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["rules"][2]["status"] = "error"; r["rules"][2]["error"] = {"message": "boom"}
del r["rules"][3]
print(json.dumps(r))
PY
)
rc=0; out=$(echo "$bad" | python3 "$canon" 2>/dev/null) || rc=$?
[ $rc = 2 ] && grep -q '^R3 ERROR' <<< "$out" && grep -q '^R4 ERROR missing' <<< "$out" &&
  ! cmp -s <(echo "$out") "$exp" && ok "error status / missing rule -> exit 2, ERROR lines" || ko "error handling (rc=$rc)"
rc=0; echo 'not json' | python3 "$canon" >/dev/null 2>&1 || rc=$?
[ $rc = 2 ] && ok "non-JSON input -> exit 2" || ko "non-JSON input (rc=$rc)"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$here/../w1/edge/"*.csv "$here/../w1/w1.hedge" "$tmp/"
rc=0; (cd "$tmp" && python3 "$here/fake_hedge.py" check --format json w1.hedge) > "$tmp/r.json" || rc=$?
[ $rc = 1 ] && python3 "$canon" "$tmp/r.json" | cmp -s - "$exp" && ok "fake_hedge on edge/ -> $exp" || ko "fake_hedge on edge/"
python3 "$here/../decls/gen_decls.py" --deals 1000 --out "$tmp/d.hedge" &&
  [ "$(grep -c '^deal ' "$tmp/d.hedge")" = 1000 ] && ok "gen_decls.py --deals 1000" || ko "gen_decls.py"
echo "$fails failed"
[ $fails = 0 ]
