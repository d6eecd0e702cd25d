/*
** test_api_ffi.c: capabilities. `extern` (libffi) only with HEDGE_CAP_FFI;
** Lua extensions get io only with HEDGE_CAP_IO. With FFI granted: calls of
** libm and libc functions of every type, and located errors for a missing
** library, a missing symbol, wrong argument types and counts.
** Run from the repository root. Prints only failures, then
** "N passed, M failed"; exits 1 on a failure.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedge.h"

#ifndef TEST_STDLIB
#define TEST_STDLIB "stdlib"
#endif

#include "check.h"

static hedge_State *open_caps(unsigned caps) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = caps;
  char err[256];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) { printf("cannot open a state: %s\n", err); exit(1); }
  return H;
}

/* "FILE:LINE:COL: error:" at the start of msg */
static int starts_at(const char *msg, const char *file, int line, int col) {
  char head[256];
  snprintf(head, sizeof head, "%s:%d:%d: error:", file, line, col);
  return msg && !strncmp(msg, head, strlen(head)) && strchr(msg, '^');
}

static void test_ffi_off(void) {
  hedge_State *H = open_caps(0);
  const char *r = NULL;
  CHECK_INT(hedge_load_string(H, "x.hedge", "let a = 1\nextern \"libm.so.6\" fn cbrt(x: double) -> double\n"), HEDGE_ERROR);
  CHECK(starts_at(hedge_errmsg(H), "x.hedge", 2, 1));
  CHECK_HAS(hedge_errmsg(H), "--allow-ffi");
  CHECK_HAS(hedge_errmsg(H), "HEDGE_CAP_FFI");
  CHECK_INT(hedge_eval(H, "cbrt(27)", &r), HEDGE_ERROR);   /* nothing of it stayed */
  CHECK_INT(hedge_eval(H, "a", &r), HEDGE_ERROR);
  CHECK_INT(hedge_load_file(H, "tests/api/ffi.hedge"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "--allow-ffi");
  /* the I/O capability does not grant FFI */
  hedge_close(H);
  H = open_caps(HEDGE_CAP_IO);
  CHECK_INT(hedge_load_file(H, "tests/api/ffi.hedge"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "--allow-ffi");
  hedge_close(H);
}

static void test_ffi_on(void) {
  hedge_State *H = open_caps(HEDGE_CAP_FFI);
  const char *r = NULL;
  CHECK_INT(hedge_load_file(H, "tests/api/ffi.hedge"), HEDGE_OK);
  CHECK_STR(hedge_errmsg(H), "");
  /* double */
  CHECK_INT(hedge_eval(H, "abs(cbrt(27) - 3) < 1e-9", &r), HEDGE_OK);
  CHECK_STR(r, "true");
  CHECK_INT(hedge_eval(H, "cbrt(-8)", &r), HEDGE_OK);
  CHECK_STR(r, "-2");
  /* double and int */
  CHECK_INT(hedge_eval(H, "ldexp(1.5, 3)", &r), HEDGE_OK);
  CHECK_STR(r, "12");
  /* string -> long */
  CHECK_INT(hedge_eval(H, "strlen(\"hello\") + strlen(\"\")", &r), HEDGE_OK);
  CHECK_STR(r, "5");
  CHECK_INT(hedge_eval(H, "strlen(\"caf\\u{E9}\")", &r), HEDGE_OK);   /* bytes, UTF-8 */
  CHECK_STR(r, "5");
  /* long, int */
  CHECK_INT(hedge_eval(H, "labs(-3000000000)", &r), HEDGE_OK);
  CHECK_STR(r, "3000000000");
  CHECK_INT(hedge_eval(H, "toupper(97)", &r), HEDGE_OK);
  CHECK_STR(r, "65");
  /* string -> string; NULL comes back as nil */
  setenv("HEDGE_FFI_TEST", "from the host", 1);
  CHECK_INT(hedge_eval(H, "getenv(\"HEDGE_FFI_TEST\")", &r), HEDGE_OK);
  CHECK_STR(r, "\"from the host\"");
  unsetenv("HEDGE_FFI_TEST_UNSET");
  CHECK_INT(hedge_eval(H, "getenv(\"HEDGE_FFI_TEST_UNSET\")", &r), HEDGE_OK);
  CHECK_STR(r, "nil");
  /* void -> nil */
  CHECK_INT(hedge_eval(H, "srand(1)", &r), HEDGE_OK);
  CHECK_STR(r, "nil");
  /* in a rule */
  hedge_Report *rep = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep), HEDGE_OK);
  CHECK_INT(hedge_rule_status(rep, 0), HEDGE_PASS);
  hedge_report_free(H, rep);
  /* and in a comprehension */
  CHECK_INT(hedge_eval(H, "sum(x in [1, 8, 27]: cbrt(x))", &r), HEDGE_OK);
  CHECK_STR(r, "6");

  /* wrong argument types and counts: located at the call */
  CHECK_INT(hedge_eval(H, "cbrt(\"27\")", &r), HEDGE_ERROR);
  CHECK(starts_at(hedge_errmsg(H), "<eval>", 1, 1));
  CHECK_HAS(hedge_errmsg(H), "argument 1");
  CHECK_HAS(hedge_errmsg(H), "double");
  CHECK_INT(hedge_eval(H, "cbrt(27 USD)", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "argument 1");
  CHECK_INT(hedge_eval(H, "1 + ldexp(1.5, 2.5)", &r), HEDGE_ERROR);
  CHECK(starts_at(hedge_errmsg(H), "<eval>", 1, 5));
  CHECK_HAS(hedge_errmsg(H), "argument 2 must be a whole number");
  CHECK_INT(hedge_eval(H, "toupper(1e12)", &r), HEDGE_ERROR);   /* out of int range */
  CHECK_INT(hedge_eval(H, "strlen(5)", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "string");
  CHECK_INT(hedge_eval(H, "strlen(nil)", &r), HEDGE_ERROR);   /* never a NULL to strlen */
  CHECK_INT(hedge_eval(H, "cbrt()", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "takes 1 argument");
  CHECK_INT(hedge_eval(H, "cbrt(1, 2)", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "got 2");
  CHECK_INT(hedge_eval(H, "cbrt(x: 8)", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "by position");
  /* a rule calling it wrongly: status error, the check goes on */
  CHECK_INT(hedge_load_string(H, "bad_rule.hedge", "rule wrong: strlen(1) > 0"), HEDGE_OK);
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep), HEDGE_ERROR);
  CHECK_INT(hedge_rule_status(rep, 0), HEDGE_PASS);
  CHECK_INT(hedge_rule_status(rep, 1), HEDGE_ERRORED);
  CHECK_HAS(hedge_rule_error(rep, 1), "bad_rule.hedge:1:");
  hedge_report_free(H, rep);

  /* declaration errors: located at the declaration, and nothing stays */
  CHECK_INT(hedge_load_string(H, "lib.hedge", "partner ZZ\nextern \"libdoesnotexist.so.9\" fn f(x: double) -> double\n"), HEDGE_ERROR);
  CHECK(starts_at(hedge_errmsg(H), "lib.hedge", 2, 1));
  CHECK_HAS(hedge_errmsg(H), "libdoesnotexist.so.9");
  CHECK_INT(hedge_eval(H, "ZZ", &r), HEDGE_ERROR);
  CHECK_INT(hedge_load_string(H, "sym.hedge", "\n\nextern \"libm.so.6\" fn cbrtx(x: double) -> double"), HEDGE_ERROR);
  CHECK(starts_at(hedge_errmsg(H), "sym.hedge", 3, 1));
  CHECK_HAS(hedge_errmsg(H), "cbrtx");
  CHECK_HAS(hedge_errmsg(H), "libm.so.6");
  CHECK_INT(hedge_load_string(H, "type.hedge", "extern \"libm.so.6\" fn floor(x: float) -> double"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "type.hedge:1:");
  CHECK_HAS(hedge_errmsg(H), "float");
  CHECK_INT(hedge_load_string(H, "ret.hedge", "extern \"libm.so.6\" fn floor(x: double) -> quantity"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "quantity");
  CHECK_INT(hedge_load_string(H, "void.hedge", "extern \"libm.so.6\" fn floor(x: void) -> double"), HEDGE_ERROR);
  CHECK_INT(hedge_load_string(H, "dup.hedge", "extern \"libm.so.6\" fn cbrt(x: double) -> double"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "cbrt");
  /* a good extern in a file that fails later is dropped (and its library
  ** released: valgrind sees no leak) */
  CHECK_INT(hedge_load_string(H, "late.hedge", "extern \"libm.so.6\" fn fmax(x: double, y: double) -> double\nlet q = 1 / 0"), HEDGE_ERROR);
  CHECK_INT(hedge_eval(H, "fmax(2.5, 1)", &r), HEDGE_ERROR);
  CHECK_INT(hedge_load_string(H, "late2.hedge", "extern \"libm.so.6\" fn fmax(x: double, y: double) -> double"), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "fmax(2.5, 1)", &r), HEDGE_OK);
  CHECK_STR(r, "2.5");
  /* the state works after all this */
  CHECK_INT(hedge_eval(H, "cbrt(64)", &r), HEDGE_OK);
  CHECK_STR(r, "4");
  hedge_close(H);
}

static void test_lua_io(void) {
  const char *r = NULL;
  /* without HEDGE_CAP_IO: io is absent, a `use` that reads at load fails */
  hedge_State *H = open_caps(HEDGE_CAP_FILES);   /* `use` reads a file */
  CHECK_INT(hedge_load_string(H, "tests/api/use_io.hedge", "use \"io_at_load.lua\""), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "tests/api/use_io.hedge:1:1");
  CHECK_HAS(hedge_errmsg(H), "io");
  CHECK_INT(hedge_eval(H, "first_world_line()", &r), HEDGE_ERROR);
  CHECK_INT(hedge_load_string(H, "tests/api/use_ext.hedge", "use \"ext.lua\""), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "has_io()", &r), HEDGE_OK);
  CHECK_STR(r, "false");
  CHECK_INT(hedge_eval(H, "first_line(\"tests/api/world.hedge\")", &r), HEDGE_ERROR);
  CHECK(starts_at(hedge_errmsg(H), "<eval>", 1, 1));
  CHECK_HAS(hedge_errmsg(H), "io");
  /* nor os.execute, nor require, nor loading files or binary chunks */
  CHECK_INT(hedge_load_string(H, "tests/api/x.hedge", "let z = 1"), HEDGE_OK);
  hedge_close(H);

  /* FFI alone does not grant io */
  H = open_caps(HEDGE_CAP_FFI | HEDGE_CAP_FILES);
  CHECK_INT(hedge_load_string(H, "tests/api/use_io.hedge", "use \"io_at_load.lua\""), HEDGE_ERROR);
  hedge_close(H);

  /* with HEDGE_CAP_IO: both work */
  H = open_caps(HEDGE_CAP_IO | HEDGE_CAP_FILES);
  CHECK_INT(hedge_load_string(H, "tests/api/use_io.hedge", "use \"io_at_load.lua\""), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "first_world_line()", &r), HEDGE_OK);
  CHECK_STR(r, "\"# tests/api/world.hedge: a small world whose check results the C tests know.\"");
  CHECK_INT(hedge_load_string(H, "tests/api/use_ext.hedge", "use \"ext.lua\""), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "has_io()", &r), HEDGE_OK);
  CHECK_STR(r, "true");
  CHECK_INT(hedge_eval(H, "first_line(\"tests/api/world.hedge\")", &r), HEDGE_OK);
  CHECK_HAS(r, "a small world");
  CHECK_INT(hedge_eval(H, "first_line(\"tests/api/no_such_file\")", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "cannot open tests/api/no_such_file");
  hedge_close(H);
}

int main(void) {
  test_ffi_off();
  test_ffi_on();
  test_lua_io();
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
