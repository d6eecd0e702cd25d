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
PKGS = liblua5.4-dev libreadline-dev libffi-dev pkg-config lua5.4 python3 make gcc libxml2-utils vim iso-codes
LUA_CFLAGS := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
LUA_LIBS := $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
WARN = -Wall -Wextra -Werror
BASE_CFLAGS = -std=c11 $(WARN) -D_GNU_SOURCE -iquote interp -iquote build $(LUA_CFLAGS)
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS) -fPIC
LIBS = $(LUA_LIBS) -lffi -ldl -lm -pthread
ASAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC = interp/mem.c interp/embedded.c interp/utf8.c interp/date.c interp/diag.c interp/lex.c interp/parse.c interp/units.c interp/value.c \
          interp/world.c interp/index.c interp/pack.c interp/checksum.c interp/resolve.c interp/eval.c interp/builtins.c \
          interp/prog.c interp/exec.c interp/load.c interp/loadscan.c interp/loadmap.c interp/csv.c interp/rules.c interp/report.c \
          interp/scenario.c interp/stdfast.c interp/luabridge.c interp/lbvalue.c interp/lbmodule.c interp/extern.c interp/ffi.c interp/api.c interp/introspect.c interp/hfile.c interp/files.c interp/repair.c interp/repairclosed.c interp/repairsearch.c interp/numfmt.c interp/table.c interp/junit.c interp/batch.c interp/html.c
CLI_SRC = interp/main.c interp/repl.c interp/cli_outputs.c
# the workbench (issue 18): the formatter is library (embedders format too), its CLI is not
LIB_SRC += interp/fmt.c
CLI_SRC += interp/cli_fmt.c interp/lsp.c interp/watch.c
HDRS = $(wildcard interp/*.h)

LIB_OBJ = $(LIB_SRC:interp/%.c=build/rel/%.o)
CLI_OBJ = $(CLI_SRC:interp/%.c=build/rel/%.o)
ASAN_LIB_OBJ = $(LIB_SRC:interp/%.c=build/asan/%.o)
ASAN_CLI_OBJ = $(CLI_SRC:interp/%.c=build/asan/%.o)

all: hedge libhedge.a libhedge.so examples/embed/embed


# The standard library, embedded: stdlib/*.lua compiled to Lua bytecode by
# stdlib/dump.c (built against the same liblua5.4, debug information kept)
# and kept as C arrays (embedded.c); loading bytecode skips the compiler at
# every start. HEDGE_STDLIB_DIR / hedge_Config.stdlib_dir still load the source.
STDLIB_LUA = $(sort $(wildcard stdlib/*.lua))
build/stdlib-dump: stdlib/dump.c
	@mkdir -p build
	$(CC) -std=c11 $(WARN) $(LUA_CFLAGS) -O1 -o $@ $< $(LUA_LIBS)
build/stdlib_embed.h: $(STDLIB_LUA) build/stdlib-dump Makefile
	@mkdir -p build
	@{ echo '/* generated from the Lua files of stdlib/ by the Makefile (bytecode: stdlib/dump.c): do not edit */'; \
	  for f in $(STDLIB_LUA); do n=$$(basename $$f .lua | tr -c 'A-Za-z0-9_\n' '_'); \
	    build/stdlib-dump $$f build/stdlib-$$n.luac || exit 1; \
	    echo "static const unsigned char stdlib_$${n}[] = {"; \
	    od -An -v -tx1 build/stdlib-$$n.luac | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '0};'; done; \
	  echo 'static const struct { const char *name; const unsigned char *text; size_t len; } stdlib_embedded[] = {'; \
	  for f in $(STDLIB_LUA); do b=$$(basename $$f .lua); n=$$(echo "$$b" | tr -c 'A-Za-z0-9_\n' '_'); \
	    echo "  {\"$$b\", stdlib_$${n}, sizeof stdlib_$${n} - 1},"; done; \
	  echo '  {NULL, NULL, 0}};'; } > $@.tmp && mv $@.tmp $@
build/rel/embedded.o build/asan/embedded.o build/api/tsan-obj/embedded.o build/fuzz/obj/embedded.o: build/stdlib_embed.h

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

# No include in interp/ runs up the layers or sub-layers, no module loop, no
# declaration of another file's function in a .c file, no exported function
# not named after its file (tests/layers.py has the tables: LAYERS, PREFIXES).
layers:
	@python3 tests/layers.py

# Every suite of a layer runs (a failure does not hide the others);
# tests/summary.py adds up their "N passed, M failed" lines into the last
# line of the run. $(call suites,LOG) starts the shell code that defines run.
suites = mkdir -p build; : > $(1); rc=0; \
	run() { echo "== $$*"; t=$$(date +%s%N); "$$@" 2>&1 | tee -a $(1); s=$${PIPESTATUS[0]}; \
	  echo "== $$(( ($$(date +%s%N) - t) / 1000000 )) ms: $$*"; \
	  [ $$s = 0 ] || { echo "^^ FAILED (exit $$s): $$*"; rc=1; }; }
CASE_DIRS = tests/lang tests/errors tests/stdlib tests/native tests/lua tests/repair tests/load examples
conformance = if [ -d "$(SHARED)/conformance" ]; then \
	  run python3 tests/run.py --hedge $(1) $(2) --xfail tests/conformance.xfail $(SHARED)/conformance; \
	else echo "note: $(SHARED)/conformance not found; conformance suite skipped"; fi

check: hedge build/eval-batch
	@$(call suites,build/check.log); \
	run python3 tests/layers.py; \
	run $(MAKE) --no-print-directory unit UNIT_BUILD=build/unit-rel; \
	run python3 tests/run.py --hedge ./hedge --batch build/eval-batch $(CASE_DIRS); \
	run python3 tests/load/test_baci.py --hedge ./hedge; \
	run python3 tests/doc_examples.py --hedge ./hedge; \
	run python3 tests/native/test_planner.py --hedge ./hedge; \
	run python3 tests/native/test_fused.py --hedge ./hedge; \
	run python3 tests/pack/test_pack.py --hedge ./hedge; \
	run python3 tests/bench/test_summarize.py; \
	$(call conformance,./hedge,--batch build/eval-batch); \
	run python3 tests/repair/test_repairs.py --hedge ./hedge --shared $(SHARED); \
	run python3 tests/outputs/test_outputs.py --hedge ./hedge; \
	run python3 tests/fmt/test_fmt.py --hedge ./hedge --quick; \
	run python3 tests/editors/test_grammars.py --hedge ./hedge; \
	run python3 tests/lsp/test_lsp.py --hedge ./hedge; \
	run python3 tests/watch/test_watch.py --hedge ./hedge; \
	python3 tests/summary.py build/check.log 'make check' || rc=1; \
	exit $$rc

TEST_LOG = build/test.log
test: deps
	@$(MAKE) --no-print-directory $(TEST_HEDGE) build/eval-batch-asan hedge
	@$(call suites,$(TEST_LOG)); \
	run python3 tests/layers.py; \
	run $(MAKE) --no-print-directory unit CFLAGS="-O1 -g $(ASAN)" UNIT_BUILD=build/unit; \
	run python3 tests/run.py --hedge $(TEST_HEDGE) --batch build/eval-batch-asan $(CASE_DIRS); \
	run python3 tests/load/test_baci.py --hedge $(TEST_HEDGE); \
	run python3 tests/native/both_ways.py --hedge ./hedge; \
	run python3 tests/native/test_planner.py --hedge $(TEST_HEDGE); \
	run python3 tests/native/test_fused.py --hedge $(TEST_HEDGE); \
	run python3 tests/pack/test_pack.py --hedge $(TEST_HEDGE); \
	run python3 tests/bench/test_summarize.py; \
	run python3 tests/doc_examples.py --hedge $(TEST_HEDGE); \
	$(call conformance,$(TEST_HEDGE),--batch build/eval-batch-asan); \
	run $(MAKE) --no-print-directory api-test; \
	run python3 tests/repl/test_repl.py --hedge $(TEST_HEDGE); \
	run python3 tests/csv/test_parallel_load.py --hedge $(TEST_HEDGE) --batch build/eval-batch-asan; \
	run python3 tests/security/test_redteam.py --hedge $(TEST_HEDGE); \
	run python3 tests/repair/test_repairs.py --hedge $(TEST_HEDGE) --shared $(SHARED); \
	run $(MAKE) --no-print-directory fuzz-replay; \
	run python3 tests/fmt/test_fmt.py --hedge $(TEST_HEDGE); \
	run python3 tests/editors/test_grammars.py --hedge $(TEST_HEDGE); \
	run python3 tests/lsp/test_lsp.py --hedge $(TEST_HEDGE); \
	run python3 tests/watch/test_watch.py --hedge $(TEST_HEDGE); \
	run python3 tests/outputs/test_outputs.py --hedge $(TEST_HEDGE); \
	run $(MAKE) --no-print-directory test-browser BROWSER_HEDGE=$(TEST_HEDGE); \
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

# ---- fuzzing: tests/fuzz (README there) ------------------------------------------
#   make fuzz FUZZ_SECONDS=N   builds the libFuzzer harnesses (clang, ASan, UBSan)
#                              and runs each for N seconds (default 60); a crash
#                              fails, and its input is left in build/fuzz/
#   make fuzz-replay           the harnesses built with gcc + ASan and a plain
#                              driver, over their seeds and tests/fuzz/regressions
#                              (part of make test)
#   make fuzz-coverage         line coverage of the library by each corpus
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_PKGS = clang libclang-rt-dev
FUZZ_HARNESSES = source csv api pack
FUZZ_FLAGS = -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_OBJ = $(LIB_SRC:interp/%.c=build/fuzz/obj/%.o)
FUZZ_DEFS = -iquote tests/fuzz
# the seeds of each harness: its own, the tests' sources, data files or sequences
FUZZ_SEEDS_source = tests/lang tests/errors tests/stdlib examples tests/fuzz/regressions/source
FUZZ_SEEDS_csv = tests/fuzz/seeds/csv tests/fuzz/regressions/csv
FUZZ_SEEDS_api = tests/fuzz/seeds/api tests/fuzz/regressions/api
FUZZ_SEEDS_pack = tests/fuzz/seeds/pack tests/fuzz/regressions/pack

fuzz-deps:
	@missing=""; for p in $(FUZZ_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

.SECONDARY: $(FUZZ_OBJ)
build/fuzz/obj/%.o: interp/%.c $(HDRS)
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) $(FUZZ_DEFS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LIBS)

# libFuzzer writes new inputs into the first folder (build/fuzz/corpus-NAME)
# and only reads the others; -timeout: an input running over 60 s is a hang
# (each call has a 0.5 s time limit). -detect_leaks=0: the harness keeps one
# state whose arena grows by design, which libFuzzer's per-input leak check
# would scan over and over; LeakSanitizer still checks at exit, where only
# unreachable (leaked) blocks are reported.
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_HARNESSES:%=build/fuzz/fuzz_%)
	@rc=0; for n in $(FUZZ_HARNESSES); do \
	  mkdir -p build/fuzz/corpus-$$n build/fuzz/artifacts-$$n; \
	  case $$n in source) seeds="$(FUZZ_SEEDS_source)";; csv) seeds="$(FUZZ_SEEDS_csv)";; api) seeds="$(FUZZ_SEEDS_api)";; pack) seeds="$(FUZZ_SEEDS_pack)";; esac; \
	  echo "== fuzz $$n for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1 build/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -detect_leaks=0 -timeout=60 -rss_limit_mb=2560 \
	    -dict=tests/fuzz/hedge.dict -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts-$$n/ \
	    build/fuzz/corpus-$$n $$seeds 2>&1 | tee build/fuzz/$$n.log | grep -E "^#[0-9]+ +(INITED|DONE)|stat::|ERROR|SUMMARY|Test unit written"; \
	  s=$${PIPESTATUS[0]}; \
	  if [ $$s != 0 ]; then echo "^^ fuzz $$n FAILED (exit $$s): the input is in build/fuzz/artifacts-$$n/; add it to tests/fuzz/regressions/$$n/ once fixed"; rc=1; fi; \
	done; exit $$rc

FUZZ_REPLAY = $(FUZZ_HARNESSES:%=build/fuzz-replay/fuzz_%)
build/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c tests/fuzz/fuzz.h $(ASAN_LIB_OBJ)
	@mkdir -p build/fuzz-replay
	$(CC) $(BASE_CFLAGS) -O1 -g $(ASAN) $(FUZZ_DEFS) -o $@ $< tests/fuzz/driver.c $(ASAN_LIB_OBJ) $(LIBS)

fuzz-replay: $(FUZZ_REPLAY)
	@rc=0; for n in $(FUZZ_HARNESSES); do \
	  case $$n in source) seeds="$(FUZZ_SEEDS_source)";; csv) seeds="$(FUZZ_SEEDS_csv)";; api) seeds="$(FUZZ_SEEDS_api)";; pack) seeds="$(FUZZ_SEEDS_pack)";; esac; \
	  echo "== replay fuzz_$$n"; build/fuzz-replay/fuzz_$$n $$seeds || rc=1; \
	done; exit $$rc

# The HTML report in headless Chromium (Debian's chromium package, installed
# here when missing); screenshots and a PDF stay in build/report/.
BROWSER_HEDGE ?= ./hedge
test-browser: $(BROWSER_HEDGE)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing: chromium"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }
	python3 tests/outputs/test_report_browser.py --hedge $(BROWSER_HEDGE)
# Line coverage of the library by each harness's corpus (clang source-based
# coverage, no sanitizers): build/fuzz/coverage-NAME.txt. Run after make fuzz.
FUZZ_COV_FLAGS = -O1 -g -fprofile-instr-generate -fcoverage-mapping
build/fuzz/cov_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c tests/fuzz/fuzz.h $(LIB_SRC) $(HDRS) build/stdlib_embed.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_COV_FLAGS) $(FUZZ_DEFS) -o $@ $< tests/fuzz/driver.c $(LIB_SRC) $(LIBS)

fuzz-coverage: $(FUZZ_HARNESSES:%=build/fuzz/cov_%)
	@for n in $(FUZZ_HARNESSES); do \
	  case $$n in source) seeds="$(FUZZ_SEEDS_source)";; csv) seeds="$(FUZZ_SEEDS_csv)";; api) seeds="$(FUZZ_SEEDS_api)";; pack) seeds="$(FUZZ_SEEDS_pack)";; esac; \
	  LLVM_PROFILE_FILE=build/fuzz/cov_$$n.profraw build/fuzz/cov_$$n build/fuzz/corpus-$$n $$seeds >/dev/null && \
	  llvm-profdata merge -sparse build/fuzz/cov_$$n.profraw -o build/fuzz/cov_$$n.profdata && \
	  llvm-cov report build/fuzz/cov_$$n -instr-profile=build/fuzz/cov_$$n.profdata $(LIB_SRC) > build/fuzz/coverage-$$n.txt && \
	  echo "fuzz_$$n: $$(tail -n 1 build/fuzz/coverage-$$n.txt | awk '{print "regions " $$4 ", functions " $$7 ", lines " $$10}')"; \
	done

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

.PHONY: all deps demo check test test-slow test-browser layers install clean fuzz fuzz-deps fuzz-replay fuzz-coverage
