#!/usr/bin/env bash
# Start-up time of hedge with its standard library loaded (goal: under 20 ms).
# Measures, with bench/w1/timecmd.py (1 warm-up + RUNS runs, median
# wall and peak RSS of the whole process):
#   eval   hedge eval 1                            (must print 1 and exit 0)
#   repl   printf ':quit\n' | hedge                (the piped REPL; run by sh -c)
#   sh     printf ':quit\n' | true                 (the same pipeline with a no-op:
#                                                   the shell's share of "repl")
# "repl net" = repl - sh is hedge's own time to reach its first prompt and quit.
#
# Usage: bench/startup.sh [HEDGE]      (default: $HEDGE, else ./hedge in the repo root)
# Env:   RUNS (default 20); RESULTS_DIR: keep the timer reports there
#        (bench-startup-{eval,repl,sh}.txt, check-startup-{eval,repl}.txt), as
#        bench/run.sh does; W1_PEERS: the W1 folder with timecmd.py (default bench/w1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
die() { echo "startup.sh: $*" >&2; exit 2; }

timecmd=${W1_PEERS:-$here/w1}/timecmd.py
[ -f "$timecmd" ] || die "no $timecmd (W1_PEERS)"

hedge=${1:-${HEDGE:-$root/hedge}}
case $hedge in
  */*) [ -e "$hedge" ] || die "no hedge at '$hedge' (run 'make' first, or pass its path)"
       hedge=$(cd "$(dirname "$hedge")" && pwd)/$(basename "$hedge") ;;
  *)   hedge=$(command -v "$hedge") || die "'$1' is not on PATH" ;;
esac
[ -x "$hedge" ] || die "$hedge is not executable"

runs=${RUNS:-20}
py=$(python3 -c 'import sys; print(sys.executable)')   # not a pyenv shim (+70 ms a start)
res=${RESULTS_DIR:-$(mktemp -d)}
mkdir -p "$res"
cd "$(mktemp -d)"          # an empty cwd: nothing for hedge to pick up by accident

# One checked run of each command first: a broken hedge must not be timed as a fast one.
if out=$("$hedge" eval 1 2>&1) && [ "$out" = 1 ]; then
  echo "ok" > "$res/check-startup-eval.txt"
else
  echo "FAILED: 'hedge eval 1' printed '$(echo "$out" | head -c 200)'" > "$res/check-startup-eval.txt"
fi
if out=$(printf ':quit\n' | "$hedge" 2>&1) && [ -z "$(echo "$out" | tr -d '[:space:]')" ]; then
  echo "ok" > "$res/check-startup-repl.txt"
elif printf ':quit\n' | "$hedge" >/dev/null 2>&1; then
  echo "ok (printed: $(echo "$out" | head -c 80 | tr '\n' ' '))" > "$res/check-startup-repl.txt"
else
  echo "FAILED: piped ':quit' exited non-zero: $(echo "$out" | head -c 200)" > "$res/check-startup-repl.txt"
fi

t() { "$py" "$timecmd" -n "$runs" -- "$@"; }
t "$hedge" eval 1                                > "$res/bench-startup-eval.txt"
# shellcheck disable=SC2016  # "$0" is expanded by the inner sh: the command after the pipe
t sh -c 'printf ":quit\n" | "$0"' "$hedge"       > "$res/bench-startup-repl.txt"
# shellcheck disable=SC2016
t sh -c 'printf ":quit\n" | "$0"' true           > "$res/bench-startup-sh.txt"

med() { awk -v row="$2" 'index($0, "A " row " ") == 1 { print $(NF - 1); exit }' "$1"; }   # the median column
mib() { awk -v m="$(med "$1" "peak MiB")" 'BEGIN { printf "%.1f", m }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
e=$(med "$res/bench-startup-eval.txt" "wall s"); r=$(med "$res/bench-startup-repl.txt" "wall s")
s=$(med "$res/bench-startup-sh.txt" "wall s")
net=$(awk -v r="$r" -v s="$s" 'BEGIN { printf "%.6f", (r > s) ? r - s : 0 }')
verdict() {   # verdict SECONDS CHECKFILE
  case $(cat "$2") in ok*) awk -v x="$1" 'BEGIN { print (x < 0.020) ? "PASS" : "FAIL" }' ;; *) echo "FAIL" ;; esac; }
echo "start-up, median of $runs runs (goal: under 20 ms)"
printf '  %-34s %7s ms  peak %5s MiB  %s  [%s]\n' \
  "hedge eval 1" "$(ms "$e")" "$(mib "$res/bench-startup-eval.txt")" "$(verdict "$e" "$res/check-startup-eval.txt")" \
  "$(cat "$res/check-startup-eval.txt")"
printf '  %-34s %7s ms  peak %5s MiB  %s  [%s]\n' \
  "printf ':quit\\n' | hedge (net)" "$(ms "$net")" "$(mib "$res/bench-startup-repl.txt")" \
  "$(verdict "$net" "$res/check-startup-repl.txt")" "$(cat "$res/check-startup-repl.txt")"
printf '  %-34s %7s ms  (of which the shell pipeline: %s ms)\n' \
  "printf ':quit\\n' | hedge (raw)" "$(ms "$r")" "$(ms "$s")"
