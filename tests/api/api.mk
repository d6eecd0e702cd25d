# tests/api/api.mk: tests of the embedding API (hedge.h), the example host
# and the installed library. Included from the top-level Makefile; run from
# the repository root.
#
#   make api-test         every tests/api/*.c under ASan + UBSan (the allocation
#                         failure sweep every API_TEST_STRIDE-th allocation), and
#                         the example host (part of make test)
#   make api-alloc-sweep  the allocation failure sweep at every allocation, under
#                         ASan (about a minute; part of make test-slow)
#   make api-valgrind     the same tests built without sanitizers, under valgrind
#                         (about 2 minutes; not part of api-test)
#   make api-tsan         the thread and interrupt tests under ThreadSanitizer
#   make install-test     `make install` into a temporary prefix, then build
#                         examples/embed/embed.c with pkg-config and run it
#   make examples/embed/embed   the example host, against ./libhedge.a
#
# The tests load tests/api/*.hedge and open states with hedge_open(NULL),
# which loads the standard library embedded at build time (this tree's
# stdlib/). They link their own copy of api.o (API_DEFS: none left now);
# the library's other objects are the ordinary ASan / release ones.

API_BUILD = build/api
API_SRC := $(wildcard tests/api/*.c)
API_NAMES := $(API_SRC:tests/api/%.c=%)
API_ASAN_BIN := $(API_NAMES:%=$(API_BUILD)/asan/%)
API_VG_BIN := $(API_NAMES:%=$(API_BUILD)/vg/%)
API_DEFS =
API_ASAN_OBJ = $(filter-out build/asan/api.o,$(ASAN_LIB_OBJ)) $(API_BUILD)/asan-api.o
API_REL_OBJ = $(filter-out build/rel/api.o,$(LIB_OBJ)) $(API_BUILD)/rel-api.o
API_TEST_CFLAGS = $(BASE_CFLAGS) -O1 -g -DTEST_STDLIB='"$(CURDIR)/stdlib"'
# test_api_alloc_fail under valgrind tries every API_VG_STRIDE-th N (1: all)
API_VG_STRIDE ?= 7
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
           --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible

$(API_BUILD)/asan-api.o: interp/api.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(API_DEFS) -O1 -g $(ASAN) -c -o $@ $<

$(API_BUILD)/rel-api.o: interp/api.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(API_DEFS) -c -o $@ $<

$(API_BUILD)/asan/%: tests/api/%.c $(API_ASAN_OBJ) interp/hedge.h tests/api/check.h
	@mkdir -p $(dir $@)
	$(CC) $(API_TEST_CFLAGS) $(ASAN) -o $@ $< $(API_ASAN_OBJ) $(LIBS) -lpthread

$(API_BUILD)/vg/%: tests/api/%.c $(API_REL_OBJ) interp/hedge.h tests/api/check.h
	@mkdir -p $(dir $@)
	$(CC) $(API_TEST_CFLAGS) -o $@ $< $(API_REL_OBJ) $(LIBS) -lpthread

# ThreadSanitizer: the library and the thread/interrupt tests, in their own
# folder (the objects differ from the ASan ones).
API_TSAN_OBJ = $(LIB_SRC:interp/%.c=$(API_BUILD)/tsan-obj/%.o)
API_TSAN_TESTS = test_api_threads test_api_limits
$(API_BUILD)/tsan-obj/%.o: interp/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(API_DEFS) -O1 -g -fsanitize=thread -c -o $@ $<
$(API_BUILD)/tsan/%: tests/api/%.c $(API_TSAN_OBJ) interp/hedge.h tests/api/check.h
	@mkdir -p $(dir $@)
	$(CC) $(API_TEST_CFLAGS) -fsanitize=thread -o $@ $< $(API_TSAN_OBJ) $(LIBS) -lpthread

.SECONDARY: $(API_TSAN_OBJ)

api-tsan: $(API_TSAN_TESTS:%=$(API_BUILD)/tsan/%)
	@fail=0; for t in $^; do echo "== tsan $$t"; TSAN_OPTIONS=halt_on_error=1 $$t || { echo "** $$t failed"; fail=1; }; done; exit $$fail

# The example host, against the static library of this tree (make adds it to
# `all`). -I interp: the example includes <hedge.h> as an installed host does.
examples/embed/embed: examples/embed/embed.c libhedge.a interp/hedge.h
	$(CC) -std=c11 $(WARN) $(CFLAGS) -I interp -o $@ examples/embed/embed.c libhedge.a $(LIBS)

# Runs each test binary; all of them run even when one fails.
# test_api_alloc_fail tries every API_TEST_STRIDE-th allocation here (the
# full sweep is api-alloc-sweep, in make test-slow).
API_TEST_STRIDE ?= 17
api-test: $(API_ASAN_BIN) examples/embed/embed
	@fail=0; for t in $(API_ASAN_BIN); do \
	  echo "== $$t"; HEDGE_ALLOC_STRIDE=$(API_TEST_STRIDE) $$t || { echo "** $$t failed"; fail=1; }; \
	done; \
	echo "== examples/embed/embed"; \
	out=$$(cd examples/embed && HEDGE_STDLIB=$(CURDIR)/stdlib ./embed policy.hedge); rc=$$?; \
	echo "$$out" | tail -n 3; \
	if [ $$rc -ne 1 ] || ! echo "$$out" | grep -q "counterexample 1: l = CHN"; then \
	  echo "** examples/embed/embed: exit $$rc, or no counterexample l = CHN"; fail=1; fi; \
	exit $$fail

api-alloc-sweep: $(API_BUILD)/asan/test_api_alloc_fail
	HEDGE_ALLOC_STRIDE=1 $<

api-valgrind: $(API_VG_BIN)
	@fail=0; for t in $(API_VG_BIN); do \
	  echo "== valgrind $$t"; \
	  HEDGE_ALLOC_STRIDE=$(API_VG_STRIDE) HEDGE_THREAD_ROUNDS=20 $(VALGRIND) $$t >$$t.vglog 2>&1; rc=$$?; \
	  if [ $$rc -eq 0 ]; then tail -n 1 $$t.vglog; \
	  else head -n 60 $$t.vglog; echo "** $$t failed under valgrind (exit $$rc, log $$t.vglog)"; fail=1; fi; \
	done; exit $$fail

# `make install` into a fresh prefix, from a copy of this tree built with
# that PREFIX (as a user would build it); then the example
# host is compiled with pkg-config, linked against the shared library (with
# an rpath) and against the static one, and each must print a counterexample
# it read from a check, with no HEDGE_STDLIB set.
install-test:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	command -v pkg-config >/dev/null || { echo "install-test: pkg-config is missing (make deps)"; exit 1; }; \
	mkdir -p "$$tmp/src"; \
	tar --exclude=./build --exclude=./.git --exclude=./bench -cf - . | tar -C "$$tmp/src" -xf -; \
	rm -f "$$tmp/src/hedge" "$$tmp/src/libhedge.a" "$$tmp/src/libhedge.so" "$$tmp/src/examples/embed/embed"; \
	echo "install-test: make install PREFIX=$$tmp/prefix"; \
	if ! $(MAKE) -C "$$tmp/src" --no-print-directory install PREFIX="$$tmp/prefix" >"$$tmp/build.log" 2>&1; then \
	  cat "$$tmp/build.log"; exit 1; fi; \
	export PKG_CONFIG_PATH="$$tmp/prefix/lib/pkgconfig"; unset HEDGE_STDLIB; \
	cflags=$$(pkg-config --cflags hedge); libs=$$(pkg-config --libs hedge); \
	slibs=$$(pkg-config --static --libs-only-l hedge | sed 's/-lhedge//'); \
	libdir=$$(pkg-config --variable=libdir hedge); \
	$(CC) -std=c11 $(WARN) -o "$$tmp/embed" examples/embed/embed.c $$cflags $$libs -Wl,-rpath,"$$libdir"; \
	$(CC) -std=c11 $(WARN) -o "$$tmp/embed-static" examples/embed/embed.c $$cflags "$$libdir/libhedge.a" $$slibs; \
	for e in embed embed-static; do \
	  rc=0; (cd examples/embed && "$$tmp/$$e" policy.hedge) >"$$tmp/out" 2>&1 || rc=$$?; \
	  if [ $$rc -ne 1 ] || ! grep -q "counterexample 1: l = CHN" "$$tmp/out"; then \
	    echo "install-test: $$e (exit $$rc) did not print the expected counterexample:"; cat "$$tmp/out"; exit 1; fi; \
	done; \
	ldd "$$tmp/embed" | grep -q "$$libdir/libhedge.so" || { echo "install-test: embed does not use the installed libhedge.so"; exit 1; }; \
	echo "install-test: ok (shared and static builds of examples/embed/embed.c print their counterexamples)"

.PHONY: api-test api-alloc-sweep api-valgrind api-tsan install-test
