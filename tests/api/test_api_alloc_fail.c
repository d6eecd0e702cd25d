/*
** test_api_alloc_fail.c: allocation failure everywhere.
**
** A host allocator (hedge_Options.alloc) counts allocations and makes chosen
** ones fail. A scenario that uses most of the API (open, register, load a
** world, eval, check, check under a scenario, compare, test, a failing
** load, an extern, a Lua extension, close) runs once to count its
** allocations, then again for every N
** in 1..that count in three modes:
**   single     only allocation N fails;
**   burst      allocations N .. N+BURST-1 fail, then the allocator recovers
**              by itself (the host does nothing);
**   sticky     every allocation from N on fails until the host, having seen
**              an error, turns failure off.
** At every N: no crash; every call returns its normal result or
** HEDGE_EMEMORY (with a message); after HEDGE_EMEMORY the state still works
** (`1 + 1` is 2, and the rest of the scenario gives exactly the normal
** results); after hedge_close (or a hedge_open that returned NULL) no byte
** and no block is left; and the osize the library passes on every
** free/realloc is the size it asked for.
**
** Usage: test_api_alloc_fail [STRIDE]   (every STRIDE-th N; default 1, and
** $HEDGE_ALLOC_STRIDE when no argument; HEDGE_ALLOC_ONLY=MODE:N runs the
** one case, MODE 0 single, 1 burst, 2 sticky). Run from the repository root.
** Prints the number of N values tried, then "N passed, M failed".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedge.h"

#ifndef TEST_STDLIB
#define TEST_STDLIB "stdlib"
#endif

#define BURST 25

static int npass, nfail, nreported, max_reported = 40;   /* $HEDGE_ALLOC_VERBOSE: all */

static void fail_msg(long n, const char *mode, const char *fmt, const char *a, const char *b) {
  nfail++;
  if (nreported++ < max_reported) {
    printf("FAIL N=%ld (%s): ", n, mode);
    printf(fmt, a ? a : "(null)", b ? b : "(null)");
    printf("\n");
  }
}

/* ---- the counting, failing allocator ----------------------------------------------- */

typedef struct Counter {
  long count;            /* allocations so far (new blocks and growing reallocs) */
  long fail_from, fail_to;   /* fail allocations with fail_from <= count <= fail_to */
  long failures;         /* how many were refused */
  size_t bytes; long blocks;   /* outstanding */
  long bad_osize;        /* frees/reallocs whose osize was not the block's size */
} Counter;

/* Each block carries a header with its size, to check the library's osize. */
typedef union Header { size_t size; max_align_t align; } Header;

/* A place for a debugger's breakpoint: the library passed a wrong osize. */
__attribute__((noinline)) static void osize_mismatch(Counter *c, size_t size, size_t osize) {
  (void)size; (void)osize;
  c->bad_osize++;
}

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  Counter *c = ud;
  Header *h = ptr ? (Header *)ptr - 1 : NULL;
  if (h && h->size != osize) osize_mismatch(c, h->size, osize);
  if (nsize == 0) {
    if (h) { c->bytes -= h->size; c->blocks--; free(h); }
    return NULL;
  }
  size_t old = h ? h->size : 0;
  if (nsize > old) {   /* shrinking never fails (Lua counts on it) */
    c->count++;
    if (c->fail_from && c->count >= c->fail_from && c->count <= c->fail_to) { c->failures++; return NULL; }
  }
  Header *n = realloc(h, sizeof(Header) + nsize);
  if (!n) return NULL;
  if (!h) c->blocks++;
  c->bytes = c->bytes - old + nsize;
  n->size = nsize;
  return n + 1;
}

/* ---- the scenario -------------------------------------------------------------------------- */

static int host_scale(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  (void)ud; (void)errbuf; (void)errlen;
  result->kind = HEDGE_VNUMBER;
  result->number = args[0].number * (nargs > 1 && args[1].kind == HEDGE_VNUMBER ? args[1].number : 1);
  return 0;
}

enum { MODE_SINGLE, MODE_BURST, MODE_STICKY };
static const char *const mode_names[] = {"single", "burst", "sticky"};

typedef struct Run {
  Counter c;
  int mode;
  long n;
  hedge_State *H;
  int recovered;   /* failure was turned off after an error */
} Run;

#define NSTEPS 24

/* Values longer than a buffer's first allocation, so that printing them
** grows buffers (a failure half-way must not leak the first block). */
#define LONG_SRC \
  "let LONG = \"0123456789012345678901234567890123456789012345678901234567890123456789" \
  "012345678901234567890123456789\"\n" \
  "let BIG = [LONG, LONG, 2025-10-01, PAK, {k: LONG}]\n" \
  "rule long_values: forall s in [LONG + LONG]: len(s) < 10\n" \
  "rule long_exists: exists s in [LONG]: len(s) < 10 and s == LONG + \"x\" + LONG\n" \
  "print BIG\n"

/* Step i of the scenario on a state: returns 1 when it gave its normal
** result, 0 on HEDGE_EMEMORY (with a message), -1 on anything else. */
static int step(Run *r, int i, char *why, size_t whylen) {
  hedge_State *H = r->H;
  const char *s = NULL;
  hedge_Report *rep = NULL;
  int st, ok = 0;
  why[0] = 0;
  switch (i) {
    case 0:
      st = hedge_register(H, "scale", "x, factor", host_scale, NULL);
      ok = st == HEDGE_OK;
      break;
    case 1:
      st = hedge_load_file(H, "tests/api/world.hedge");
      ok = st == HEDGE_OK;
      break;
    case 2:
      st = hedge_eval(H, "imports(PAK)", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "100M USD");
      break;
    case 3: {
      st = hedge_check(H, NULL, NULL, &rep);
      ok = st == HEDGE_FAIL && rep && hedge_report_rules(rep) == 4 && hedge_rule_counterexamples(rep, 1) == 1;
      if (ok) {
        const char *v = NULL;
        ok = hedge_cx_binding(rep, 1, 0, 1, &v) && v && !strcmp(v, "USA");
        /* rendering a report allocates: NULL (and a message) under failure */
        const char *j = hedge_report_json(H, rep);
        if (!j) { st = HEDGE_EMEMORY; ok = 0; }
        else {
          const char *t = hedge_report_text(H, rep, 0);
          if (!t) { st = HEDGE_EMEMORY; ok = 0; }
          else ok = ok && strstr(j, "\"p\": \"USA\"") && strstr(t, "p = VNM");
        }
      }
      hedge_report_free(H, rep);
      break;
    }
    case 4:
      st = hedge_check(H, "no_usa", NULL, &rep);
      ok = st == HEDGE_FAIL && rep && hedge_rule_counterexamples(rep, 0) == 2;
      hedge_report_free(H, rep);
      break;
    case 5:
      st = hedge_eval(H, "scale(2, factor: 3)", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "6");
      break;
    case 6:
      st = hedge_compare(H, "no_usa", 1, &s);
      ok = st == HEDGE_FAIL && s && strstr(s, "\"vanished\"");
      break;
    case 7: {
      int p = -1, f = -1;
      st = hedge_test(H, 0, &s, &p, &f);
      ok = st == HEDGE_FAIL && p == 1 && f == 1 && s && strstr(s, "1 passed, 1 failed");
      break;
    }
    case 8:
      st = hedge_load_string(H, "bad.hedge", "partner NEWP\nlet x = NEWP + 1\n");
      ok = st == HEDGE_ERROR && strstr(hedge_errmsg(H), "bad.hedge:2:");
      break;
    case 9:
      st = hedge_eval(H, "count(partners) * 10 + count(deals)", &s);   /* NEWP did not stay */
      ok = st == HEDGE_OK && s && !strcmp(s, "43");
      break;
    case 10:
      st = hedge_eval(H, "list(p in partners where p != PAK: p.name)", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "[\"China\", \"United States\", nil]");
      break;
    case 11: {
      const char *only[] = {"depend_on_no_one", NULL};
      st = hedge_check_ex(H, NULL, only, 1, &rep);
      ok = st == HEDGE_FAIL && rep && hedge_report_rules(rep) == 1;
      const char *j = ok ? hedge_report_json(H, rep) : NULL;
      if (ok && !j) { ok = 0; st = HEDGE_EMEMORY; }
      if (j && !strstr(j, "\"explain\"")) ok = 0;
      hedge_report_free(H, rep);
      break;
    }
    case 12:   /* an extern (libffi) */
      st = hedge_load_string(H, "ffi.hedge", "extern \"libm.so.6\" fn cbrt(x: double) -> double");
      ok = st == HEDGE_OK;
      break;
    case 13:
      st = hedge_eval(H, "cbrt(27) + len(list(x in [1, 2, 3]: cbrt(x)))", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "6");
      break;
    case 14:   /* a Lua extension, and calls into it */
      st = hedge_load_string(H, "tests/api/use.hedge", "use \"ext.lua\"\nlet g = grow(50)");
      ok = st == HEDGE_OK;
      break;
    case 15:
      st = hedge_eval(H, "g + grow(20)", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "70");
      break;
    case 16:
      st = hedge_load_string(H, "long.hedge", LONG_SRC);
      ok = st == HEDGE_OK;
      break;
    case 17: {
      const char *only[] = {"long_values", "long_exists", NULL};
      st = hedge_check_ex(H, NULL, only, 1, &rep);
      ok = st == HEDGE_FAIL && rep && hedge_report_rules(rep) == 2 && hedge_rule_counterexamples(rep, 0) == 1;
      if (ok) {
        const char *j = hedge_report_json(H, rep);
        if (!j) { st = HEDGE_EMEMORY; ok = 0; }
        else {
          const char *t = hedge_report_text(H, rep, 1);
          if (!t) { st = HEDGE_EMEMORY; ok = 0; }
          else ok = strstr(j, "0123456789\"") && strstr(t, "long_exists");
        }
      }
      hedge_report_free(H, rep);
      break;
    }
    case 18:
      st = hedge_eval(H, "len(str(BIG)) + scale(BIG) + scale(2025-10-01) + scale(PAK)", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "334");
      if (ok) {   /* an error whose message quotes a long value */
        st = hedge_eval(H, "[1, 2][LONG]", &s);
        ok = st == HEDGE_ERROR && strstr(hedge_errmsg(H), "<eval>:1:");
      }
      break;
    case 19:   /* the outputs of issue 17: a table, a batch line, JUnit, HTML, eval as JSON */
      st = hedge_table(H, "depend_on_no_one", NULL, HEDGE_TABLE_CSV, &s);
      ok = st == HEDGE_OK && s && strstr(s, "USA,0.7,false");
      break;
    case 20:
      st = hedge_batch_line(H, "{\"id\": [1, \"x\"], \"scenario\": \"no_usa\"}", &s);
      {
        static const char head[] = "{\"id\": [1, \"x\"], \"report\": { \"hedge\"";
        ok = st == HEDGE_FAIL && s && !strncmp(s, head, sizeof head - 1) && strstr(s, "\"scenario\": \"no_usa\"");
      }
      break;
    case 21:
      st = hedge_check(H, NULL, NULL, &rep);
      ok = st == HEDGE_FAIL && rep;
      if (ok) {
        const char *j = hedge_report_junit(H, rep);
        if (!*j) { st = HEDGE_EMEMORY; ok = 0; }
        else ok = strstr(j, "<testcase name=\"depend_on_no_one\"") != NULL;
      }
      hedge_report_free(H, rep);
      break;
    case 22:
      st = hedge_report_html(H, NULL, "no_usa", &s);
      ok = st == HEDGE_FAIL && s && strstr(s, "<svg class=\"network\"");
      break;
    case 23:
      st = hedge_eval_json(H, "import_share(PAK, USA, commodity: oil)", &s);
      ok = st == HEDGE_OK && s && !strcmp(s, "{\"value\": 0.7, \"unit\": null, \"text\": \"70%\"}");
      break;
    default: return 1;
  }
  if (ok) return 1;
  if (st == HEDGE_EMEMORY) {
    const char *m = hedge_errmsg(H);
    if (!m || !*m) { snprintf(why, whylen, "step %d: HEDGE_EMEMORY with an empty message", i); return -1; }
    return 0;
  }
  snprintf(why, whylen, "step %d: status %d, message: %.300s", i, st, hedge_errmsg(H));
  return -1;
}

/* The whole scenario with the failure plan of r; returns 1 if all was well. */
static int run(Run *r) {
  char why[512];
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.alloc = counting_alloc;
  o.alloc_ud = &r->c;
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FFI | HEDGE_CAP_FILES;
  char err[256];
  r->H = hedge_open(&o, err, sizeof err);
  if (!r->H) {
    int good = 1;
    if (!r->c.failures) { fail_msg(r->n, mode_names[r->mode], "hedge_open failed with no failure: %s%s", err, ""); good = 0; }
    else if (!err[0]) { fail_msg(r->n, mode_names[r->mode], "hedge_open returned NULL with no message%s%s", "", ""); good = 0; }
    if (r->c.bytes || r->c.blocks) {
      char b[64];
      snprintf(b, sizeof b, "%zu bytes in %ld blocks", r->c.bytes, r->c.blocks);
      fail_msg(r->n, mode_names[r->mode], "hedge_open returned NULL and leaked %s%s", b, "");
      good = 0;
    }
    return good;
  }
  int good = 1;
  for (int i = 0; i < NSTEPS; i++) {
    int res = step(r, i, why, sizeof why);
    if (res < 0) { fail_msg(r->n, mode_names[r->mode], "%s%s", why, ""); good = 0; }
    if (res <= 0) {
      /* the host saw an error: failure off, the state must still work */
      r->c.fail_from = 0;
      r->recovered = 1;
      const char *s = NULL;
      int st = hedge_eval(r->H, "1 + 1", &s);
      if (st != HEDGE_OK || !s || strcmp(s, "2") != 0) {
        fail_msg(r->n, mode_names[r->mode], "1 + 1 after the error: %s%s", hedge_errmsg(r->H), "");
        good = 0;
        break;
      }
      /* and the step itself now gives its normal result */
      res = step(r, i, why, sizeof why);
      if (res != 1) { fail_msg(r->n, mode_names[r->mode], "retried without failure: %s%s", why, ""); good = 0; break; }
    }
  }
  hedge_close(r->H);
  r->H = NULL;
  if (r->c.bytes || r->c.blocks) {
    char b[64];
    snprintf(b, sizeof b, "%zu bytes in %ld blocks", r->c.bytes, r->c.blocks);
    fail_msg(r->n, mode_names[r->mode], "after hedge_close: %s left%s", b, "");
    good = 0;
  }
  if (r->c.bad_osize) {
    char b[64];
    snprintf(b, sizeof b, "%ld", r->c.bad_osize);
    fail_msg(r->n, mode_names[r->mode], "%s frees/reallocs passed a wrong osize%s", b, "");
    good = 0;
  }
  return good;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (getenv("HEDGE_ALLOC_VERBOSE")) max_reported = 1 << 30;
  long stride = 1;
  const char *env = getenv("HEDGE_ALLOC_STRIDE");
  if (argc > 1) stride = atol(argv[1]);
  else if (env && *env) stride = atol(env);
  if (stride < 1) stride = 1;

  /* once with no failure: the count of allocations, and the results */
  Run base;
  memset(&base, 0, sizeof base);
  if (!run(&base)) { printf("the scenario fails with no allocation failure\n%d passed, %d failed\n", npass, nfail + 1); return 1; }
  long total = base.c.count;

  /* HEDGE_ALLOC_ONLY=MODE:N runs one case (MODE 0 single, 1 burst, 2 sticky) */
  const char *only = getenv("HEDGE_ALLOC_ONLY");
  int only_mode = -1;
  long only_n = 0;
  if (only && sscanf(only, "%d:%ld", &only_mode, &only_n) != 2) only_mode = -1;

  long tried = 0;
  for (int mode = MODE_SINGLE; mode <= MODE_STICKY; mode++) {
    if (only_mode >= 0 && mode != only_mode) continue;
    for (long n = only_mode >= 0 ? only_n : 1; n <= (only_mode >= 0 ? only_n : total + 1); n += stride) {
      Run r;
      memset(&r, 0, sizeof r);
      r.mode = mode;
      r.n = n;
      r.c.fail_from = n;
      r.c.fail_to = mode == MODE_SINGLE ? n : mode == MODE_BURST ? n + BURST - 1 : 0x7fffffffL;
      if (run(&r)) npass++;
      tried++;
    }
  }
  printf("%ld allocations in the scenario; %ld runs (N = 1..%ld every %ld, modes single, burst of %d, sticky)\n",
         total, tried, total + 1, stride, BURST);
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
