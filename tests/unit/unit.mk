# tests/unit/unit.mk: unit tests of the low-level C modules (csv, ffi).
# Included from the top-level Makefile, run from the repository root, with
# CC and CFLAGS set there (add -fsanitize=address,undefined to CFLAGS for the
# sanitizer run: it is used for compiling and linking alike).
#
#   make unit          both
#   make unit-csv      CSV reader: SSE2 build and portable (SWAR) build
#   make unit-ffi      libffi calls (needs libffi-dev; links -lffi -ldl)
#   make unit-checksum packed worlds' source checksums: SSE2 build and portable build
#   make csvspeed      builds build/csvspeed (benchmark, not run by tests)
#
# -iquote interp (not -I interp): interp/ffi.h shares its name with libffi's
# <ffi.h>; ffi.h copes with -I interp too, but -iquote keeps them apart.

UNIT_BUILD ?= build
UNIT_CFLAGS = $(CFLAGS) -iquote interp
FFI_LIBS ?= -lffi -ldl

CSV_SRC = interp/csv.c interp/csv.h interp/hfile.c interp/hfile.h
FFI_SRC = interp/ffi.c interp/ffi.h
CHECKSUM_SRC = interp/checksum.c interp/checksum.h

$(UNIT_BUILD)/test_csv: tests/unit/test_csv.c $(CSV_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_csv.c interp/csv.c interp/hfile.c $(LDFLAGS) -lm

# Same tests against the scanner used where SSE2 is missing.
$(UNIT_BUILD)/test_csv_portable: tests/unit/test_csv.c $(CSV_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -DHX_CSV_NO_SIMD -o $@ tests/unit/test_csv.c interp/csv.c interp/hfile.c $(LDFLAGS) -lm

# -rdynamic: the test calls functions of its own through dlopen(NULL).
$(UNIT_BUILD)/test_ffi: tests/unit/test_ffi.c $(FFI_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -rdynamic -o $@ tests/unit/test_ffi.c interp/ffi.c $(LDFLAGS) $(FFI_LIBS) -lm

# The checksum's test includes checksum.c (to check its static keys).
$(UNIT_BUILD)/test_checksum: tests/unit/test_checksum.c $(CHECKSUM_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_checksum.c $(LDFLAGS)

$(UNIT_BUILD)/test_checksum_portable: tests/unit/test_checksum.c $(CHECKSUM_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -DHX_CHECKSUM_NO_SIMD -o $@ tests/unit/test_checksum.c $(LDFLAGS)

$(UNIT_BUILD)/csvspeed: bench/csvspeed.c $(CSV_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ bench/csvspeed.c interp/csv.c interp/hfile.c $(LDFLAGS)

unit-csv: $(UNIT_BUILD)/test_csv $(UNIT_BUILD)/test_csv_portable
	$(UNIT_BUILD)/test_csv
	$(UNIT_BUILD)/test_csv_portable

unit-ffi: $(UNIT_BUILD)/test_ffi
	$(UNIT_BUILD)/test_ffi

unit-checksum: $(UNIT_BUILD)/test_checksum $(UNIT_BUILD)/test_checksum_portable
	$(UNIT_BUILD)/test_checksum
	$(UNIT_BUILD)/test_checksum_portable

unit: unit-csv unit-ffi unit-checksum

csvspeed: $(UNIT_BUILD)/csvspeed

.PHONY: unit unit-csv unit-ffi unit-checksum csvspeed
