# Performance benchmark. The main Makefile does `include bench/bench.mk`;
# `make bench` builds ./hedge first, then runs bench/run.sh, which prints the
# table and the goal checks and rewrites bench/RESULTS.md between its markers.
# The peers, generator and timer are in bench/w1; needs python3 and gcc;
# lua5.4, luajit, sqlite3 and node+npm (DuckDB) peers are used when installed.
#   make bench                             100K, 1M and 10M deals (data in /tmp/w1data)
#   make bench BENCH_SIZES=100000          one size only
#   make bench-startup                     start-up time only
#   W1DATA=/elsewhere RUNS=5 BENCH_STRICT=1 make bench   (see bench/run.sh's header)
HEDGE ?= ./hedge
BENCH_SIZES ?= 100000 1000000 10000000

.PHONY: bench bench-startup
bench: hedge
	HEDGE=$(HEDGE) BENCH_SIZES="$(BENCH_SIZES)" bash bench/run.sh

bench-startup: hedge
	bash bench/startup.sh $(HEDGE)
