# hedge: build, test, benchmark, install.
#
#   make            build ./hedge, libhedge.a, libhedge.so
#   make demo       install missing Debian packages, build, check the flagship example
#   make check      the fast test layer, release build (day-to-day work)
#   make test       every test, under AddressSanitizer + UBSan (what CI runs)
#   make test-slow  allocation failure sweep, valgrind, TSan, install test
#   make bench      benchmarks against the peers (bench/RESULTS.md)
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
SHELL = /bin/bash
CC ?= cc
PKGS = liblua5.4-dev libreadline-dev libffi-dev pkg-config lua5.4 python3 make gcc
LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_LIBS := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
WARN = -Wall -Wextra -Werror
BASE_CFLAGS = -std=c11 $(WARN) -D_GNU_SOURCE -iquote interp $(LUA_CFLAGS) \
              -DHEDGE_STDLIB_DIR='"$(PREFIX)/share/hedge/stdlib"'
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) -fPIC
LIBS = $(LUA_LIBS) -lffi -ldl -lm -pthread
ASAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC = interp/mem.c interp/diag.c interp/lex.c interp/parse.c interp/units.c interp/value.c \
          interp/world.c interp/index.c interp/resolve.c interp/eval.c interp/builtins.c \
          interp/exec.c interp/load.c interp/csv.c interp/rules.c interp/report.c \
          interp/scenario.c interp/stdfast.c interp/luabridge.c interp/ffi.c interp/api.c interp/introspect.c \
          interp/hfile.c interp/files.c interp/repair.c
CLI_SRC = interp/main.c interp/repl.c
HDRS = $(wildcard interp/*.h)

LIB_OBJ = $(LIB_SRC:interp/%.c=build/rel/%.o)
CLI_OBJ = $(CLI_SRC:interp/%.c=build/rel/%.o)
ASAN_LIB_OBJ = $(LIB_SRC:interp/%.c=build/asan/%.o)
ASAN_CLI_OBJ = $(CLI_SRC:interp/%.c=build/asan/%.o)

all: hedge libhedge.a libhedge.so examples/embed/embed

# The installed standard library's folder is compiled into api.o: rebuild
# it when PREFIX changes.
build/prefix.stamp: FORCE
	@mkdir -p build; echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
build/rel/api.o build/asan/api.o: build/prefix.stamp
FORCE:

build/rel/%.o: interp/%.c $(HDRS)
	@mkdir -p build/rel
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: interp/%.c $(HDRS)
	@mkdir -p build/asan
	$(CC) $(BASE_CFLAGS) -O1 -g $(ASAN) -c -o $@ $<

libhedge.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

libhedge.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libhedge.so.0 -o $@ $(LIB_OBJ) $(LIBS)

hedge: $(CLI_OBJ) libhedge.a
	$(CC) -o $@ $(CLI_OBJ) libhedge.a $(LIBS) -lreadline

build/hedge-asan: $(ASAN_CLI_OBJ) $(ASAN_LIB_OBJ)
	$(CC) $(ASAN) -o $@ $(ASAN_CLI_OBJ) $(ASAN_LIB_OBJ) $(LIBS) -lreadline
	ln -sfn ../stdlib build/stdlib

# ---- setup: the Debian packages the build needs --------------------------------
deps:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: deps
	$(MAKE) hedge
	./hedge check examples/pakistan/pakistan.hedge; test $$? -le 1

# ---- tests ------------------------------------------------------------------------
# Three layers (docs/testing.md):
#   make check      release build: language, errors, stdlib, Lua, examples, conformance,
#                   doc examples, C unit tests, layers; under a minute: day-to-day work
#   make test       every suite under ASan + UBSan: what CI runs (.ci/run)
#   make test-slow  the full allocation failure sweep, valgrind, ThreadSanitizer, the
#                   install test, and the case files with one process per command
SHARED ?= ../shared
TEST_HEDGE = build/hedge-asan
export ASAN_OPTIONS = detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1

include tests/unit/unit.mk
-include bench/bench.mk
-include tests/api/api.mk

# tests/tools/eval_batch.c: many `hedge eval`s against one loaded world, for
# tests/run.py --batch. It opens states with main.c's own cli_open (main.c
# compiled again with its main renamed), so it runs exactly the CLI's path.
CLI_REST_REL = $(filter-out build/rel/main.o,$(CLI_OBJ))
CLI_REST_ASAN = $(filter-out build/asan/main.o,$(ASAN_CLI_OBJ))
build/rel/cli-lib.o: interp/main.c $(HDRS)
	@mkdir -p build/rel
	$(CC) $(ALL_CFLAGS) -Dmain=hedge_cli_main -c -o $@ $<
build/asan/cli-lib.o: interp/main.c $(HDRS)
	@mkdir -p build/asan
	$(CC) $(BASE_CFLAGS) -O1 -g $(ASAN) -Dmain=hedge_cli_main -c -o $@ $<
build/eval-batch: tests/tools/eval_batch.c build/rel/cli-lib.o $(CLI_REST_REL) libhedge.a
	$(CC) $(ALL_CFLAGS) -o $@ $< build/rel/cli-lib.o $(CLI_REST_REL) libhedge.a $(LIBS) -lreadline
build/eval-batch-asan: tests/tools/eval_batch.c build/asan/cli-lib.o $(CLI_REST_ASAN) $(ASAN_LIB_OBJ)
	$(CC) $(BASE_CFLAGS) -O1 -g $(ASAN) -o $@ $< build/asan/cli-lib.o $(CLI_REST_ASAN) $(ASAN_LIB_OBJ) $(LIBS) -lreadline

# Every suite of a layer runs (a failure does not hide the others);
# tests/summary.py adds up their "N passed, M failed" lines into the last
# line of the run. $(call suites,LOG) starts the shell code that defines run.
suites = mkdir -p build; : > $(1); rc=0; \
	run() { echo "== $$*"; t=$$(date +%s%N); "$$@" 2>&1 | tee -a $(1); s=$${PIPESTATUS[0]}; \
	  echo "== $$(( ($$(date +%s%N) - t) / 1000000 )) ms: $$*"; \
	  [ $$s = 0 ] || { echo "^^ FAILED (exit $$s): $$*"; rc=1; }; }
CASE_DIRS = tests/lang tests/errors tests/stdlib tests/native tests/lua tests/repair examples
conformance = if [ -d "$(SHARED)/conformance" ]; then \
	  run python3 tests/run.py --hedge $(1) $(2) --xfail tests/conformance.xfail $(SHARED)/conformance; \
	else echo "note: $(SHARED)/conformance not found; conformance suite skipped"; fi

check: hedge build/eval-batch
	@$(call suites,build/check.log); \
	run $(MAKE) --no-print-directory unit UNIT_BUILD=build/unit-rel; \
	run python3 tests/run.py --hedge ./hedge --batch build/eval-batch $(CASE_DIRS); \
	run python3 tests/doc_examples.py --hedge ./hedge; \
	run python3 tests/native/test_planner.py --hedge ./hedge; \
	$(call conformance,./hedge,--batch build/eval-batch); \
	run python3 tests/repair/test_repairs.py --hedge ./hedge --shared $(SHARED); \
	run lua5.4 tests/stdlib/test_stdlib.lua; \
	python3 tests/summary.py build/check.log 'make check' || rc=1; \
	exit $$rc

TEST_LOG = build/test.log
test: deps
	@$(MAKE) --no-print-directory $(TEST_HEDGE) build/eval-batch-asan hedge
	@$(call suites,$(TEST_LOG)); \
	run $(MAKE) --no-print-directory unit CFLAGS="-O1 -g $(ASAN)" UNIT_BUILD=build/unit; \
	run python3 tests/run.py --hedge $(TEST_HEDGE) --batch build/eval-batch-asan $(CASE_DIRS); \
	run python3 tests/native/both_ways.py --hedge ./hedge; \
	run python3 tests/native/test_planner.py --hedge $(TEST_HEDGE); \
	run python3 tests/doc_examples.py --hedge $(TEST_HEDGE); \
	$(call conformance,$(TEST_HEDGE),--batch build/eval-batch-asan); \
	run $(MAKE) --no-print-directory api-test; \
	run python3 tests/repl/test_repl.py --hedge $(TEST_HEDGE); \
	run python3 tests/csv/test_parallel_load.py --hedge $(TEST_HEDGE) --batch build/eval-batch-asan; \
	run python3 tests/security/test_redteam.py --hedge $(TEST_HEDGE); \
	run python3 tests/repair/test_repairs.py --hedge $(TEST_HEDGE) --shared $(SHARED); \
	run lua5.4 tests/stdlib/test_stdlib.lua; \
	python3 tests/summary.py $(TEST_LOG) 'make test' || rc=1; \
	exit $$rc

test-slow: deps
	@$(MAKE) --no-print-directory $(TEST_HEDGE)
	@$(call suites,build/test-slow.log); \
	run $(MAKE) --no-print-directory api-alloc-sweep; \
	run $(MAKE) --no-print-directory api-valgrind; \
	run $(MAKE) --no-print-directory api-tsan; \
	run $(MAKE) --no-print-directory install-test; \
	run python3 tests/run.py --hedge $(TEST_HEDGE) $(CASE_DIRS); \
	python3 tests/summary.py build/test-slow.log 'make test-slow' || rc=1; \
	exit $$rc

# ---- install ------------------------------------------------------------------------
install: hedge libhedge.a libhedge.so
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/share/hedge/stdlib $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 hedge $(DESTDIR)$(PREFIX)/bin/hedge
	install -m 644 libhedge.a $(DESTDIR)$(PREFIX)/lib/libhedge.a
	install -m 755 libhedge.so $(DESTDIR)$(PREFIX)/lib/libhedge.so.0
	ln -sf libhedge.so.0 $(DESTDIR)$(PREFIX)/lib/libhedge.so
	install -m 644 interp/hedge.h $(DESTDIR)$(PREFIX)/include/hedge.h
	install -m 644 stdlib/*.lua $(DESTDIR)$(PREFIX)/share/hedge/stdlib/
	install -m 644 docs/hedge.1 $(DESTDIR)$(PREFIX)/share/man/man1/hedge.1
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1.0|g' -e 's|@LUA_LIBS@|$(LUA_LIBS)|g' hedge.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hedge.pc

clean:
	rm -rf build hedge libhedge.a libhedge.so examples/embed/embed

.PHONY: all deps demo check test test-slow install clean FORCE
