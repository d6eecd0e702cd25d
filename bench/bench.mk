# Performance benchmark. The main Makefile does `include bench/bench.mk`;
# `make bench` builds ./hedge first, then runs bench/run.sh, which prints the
# table and the goal checks and rewrites bench/RESULTS.md between its markers.
# The peers, generator and timer are in bench/w1; needs python3 and gcc;
# lua5.4, luajit, sqlite3 and node+npm (DuckDB) peers are used when installed.
#   make bench                             100K, 1M and 10M deals (data in /tmp/w1data)
#   make bench BENCH_SIZES=100000          one size only
#   make bench-startup                     start-up time only
#   make bench-baci                        BACI layout vs hedge's own layout, 1M rows
#   W1DATA=/elsewhere RUNS=5 BENCH_STRICT=1 make bench   (see bench/run.sh's header)
HEDGE ?= ./hedge
BENCH_SIZES ?= 100000 1000000 10000000

.PHONY: bench bench-startup bench-baci
bench: hedge
	HEDGE=$(HEDGE) BENCH_SIZES="$(BENCH_SIZES)" bash bench/run.sh

bench-startup: hedge
	bash bench/startup.sh $(HEDGE)

BACI_ROWS ?= 1000000
# BACI load: a 1M-row BACI-layout file (`as baci`, country table, NA
# quantities) against the same rows in hedge's own layout; data generated into
# /tmp/bacidata on first use (bench/baci/run.sh's header). Goal: ratio <= 1.5.
.PHONY: bench-baci
bench-baci: hedge
	HEDGE=$(HEDGE) bash bench/baci/run.sh $(BACI_ROWS)
