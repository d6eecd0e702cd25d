/*
** test_api_limits.c: the limits of hedge_Options and hedge_set_limits (steps,
** recursion depth, memory) and hedge_interrupt, from another thread and
** from a signal handler. After every stop the state must still work.
** Run from the repository root. Prints only failures, then
** "N passed, M failed"; exits 1 on a failure.
*/
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "hedge.h"

#ifndef TEST_STDLIB
#define TEST_STDLIB "stdlib"
#endif

#include "check.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A state with limits.hedge loaded. A step limit of 4e9 is a safety net: a
** test whose interrupt never arrives ends with HEDGE_ELIMIT (after a minute
** or so) instead of hanging. */
static hedge_State *open_with(const hedge_Options *o) {
  char err[512];
  hedge_State *H = hedge_open(o, err, sizeof err);
  if (!H) { printf("cannot open a state: %s\n", err); exit(1); }
  if (hedge_load_file(H, "tests/api/limits.hedge") != HEDGE_OK) {
    printf("cannot load limits.hedge: %s\n", hedge_errmsg(H));
    exit(1);
  }
  return H;
}

static hedge_State *open_limited(size_t max_memory, uint64_t max_steps, int max_depth) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FILES;   /* the tests load files (ext.lua, CSV) */
  o.max_memory = max_memory;
  o.max_steps = max_steps;
  o.max_depth = max_depth;
  return open_with(&o);
}

/* The state answers after a stop. */
static void still_works(hedge_State *H, int line) {
  const char *r = NULL;
  int st = hedge_eval(H, "1 + 1", &r);
  if (st == HEDGE_OK && r && !strcmp(r, "2")) {
    st = hedge_eval(H, "fib(10) + imports(PAK) / 1M USD", &r);   /* hedge and Lua both answer */
    if (st == HEDGE_OK && r && !strcmp(r, "155")) { npass++; return; }
  }
  nfail++;
  printf("FAIL test_api_limits.c:%d: the state does not work after a stop: %d %s\n%s\n", line, st,
         r ? r : "(null)", hedge_errmsg(H));
}
#define STILL_WORKS(H) still_works((H), __LINE__)

/* ---- steps ------------------------------------------------------------------------ */

static void test_steps(void) {
  hedge_State *H = open_limited(0, 100000, 0);
  const char *r = NULL;
  CHECK_INT(hedge_eval(H, "fib(10)", &r), HEDGE_OK);   /* small: within the limit */
  double t0 = now();
  CHECK_INT(hedge_eval(H, "fib(40)", &r), HEDGE_ELIMIT);
  CHECK(now() - t0 < 5);
  CHECK(r == NULL);
  CHECK_HAS(hedge_errmsg(H), "step limit");
  CHECK_HAS(hedge_errmsg(H), "limits.hedge:");   /* located in the function that was running */
  STILL_WORKS(H);
  /* the limit is per call: many small calls never add up */
  int ok = 1;
  for (int i = 0; i < 50; i++) ok &= hedge_eval(H, "fib(15)", &r) == HEDGE_OK;
  CHECK(ok);
  /* a long quantifier, a long comprehension */
  CHECK_INT(hedge_eval(H, "count(a in L, b in L, c in L, d in L)", &r), HEDGE_ELIMIT);
  CHECK_INT(hedge_eval(H, "forall a in L, b in L, c in L, d in L: a >= 0", &r), HEDGE_ELIMIT);
  STILL_WORKS(H);
  /* Lua code counts too: spin() never returns by itself */
  CHECK_INT(hedge_eval(H, "spin()", &r), HEDGE_ELIMIT);
  CHECK_HAS(hedge_errmsg(H), "step limit");
  STILL_WORKS(H);
  /* a check stops at the limit: status ELIMIT, and the report says where */
  const char *only[] = {"fast", "slow", NULL};
  hedge_Report *rep = NULL;
  CHECK_INT(hedge_check(H, NULL, only, &rep), HEDGE_ELIMIT);
  if (CHECK(rep != NULL)) {   /* the report of the rules checked so far */
    int n = hedge_report_rules(rep);
    CHECK(n >= 1);
    CHECK_INT(hedge_rule_status(rep, 0), HEDGE_PASS);
    if (n == 2) CHECK_INT(hedge_rule_status(rep, 1), HEDGE_ERRORED);
  }
  hedge_report_free(H, rep);
  CHECK_HAS(hedge_errmsg(H), "step limit");
  STILL_WORKS(H);
  /* a load that runs too long adds nothing */
  CHECK_INT(hedge_load_string(H, "long.hedge", "partner NEW\nlet x = fib(40)"), HEDGE_ELIMIT);
  CHECK_INT(hedge_eval(H, "NEW", &r), HEDGE_ERROR);
  /* raising the limit at run time; 0 lifts it */
  hedge_set_limits(H, 0, 10000000, 0);
  CHECK_INT(hedge_eval(H, "fib(20)", &r), HEDGE_OK);
  CHECK(r && !strcmp(r, "6765"));
  hedge_set_limits(H, 0, 1000, 0);
  CHECK_INT(hedge_eval(H, "fib(20)", &r), HEDGE_ELIMIT);
  hedge_set_limits(H, 0, 0, 0);
  CHECK_INT(hedge_eval(H, "fib(22)", &r), HEDGE_OK);
  CHECK(r && !strcmp(r, "17711"));
  hedge_close(H);
}

/* ---- recursion depth ------------------------------------------------------------------- */

static void test_depth(void) {
  hedge_State *H = open_limited(0, 0, 50);
  const char *r = NULL;
  CHECK_INT(hedge_eval(H, "depth(40)", &r), HEDGE_OK);
  CHECK(r && !strcmp(r, "40"));
  CHECK_INT(hedge_eval(H, "depth(100)", &r), HEDGE_ELIMIT);
  CHECK_HAS(hedge_errmsg(H), "recursion too deep");
  CHECK_HAS(hedge_errmsg(H), "limits.hedge:6:");
  STILL_WORKS(H);
  /* the depth starts from zero again at every call */
  CHECK_INT(hedge_eval(H, "depth(45)", &r), HEDGE_OK);
  /* in a rule: the rule's status is error; the check says ELIMIT */
  CHECK_INT(hedge_load_string(H, "deep.hedge", "rule deep: depth(1000) > 0"), HEDGE_OK);
  const char *only[] = {"deep", NULL};
  hedge_Report *rep = NULL;
  int st = hedge_check(H, NULL, only, &rep);
  CHECK(st == HEDGE_ELIMIT || st == HEDGE_ERROR);
  if (CHECK(rep != NULL)) {
    CHECK_INT(hedge_rule_status(rep, 0), HEDGE_ERRORED);
    CHECK_HAS(hedge_rule_error(rep, 0), "recursion too deep");
  }
  hedge_report_free(H, rep);
  STILL_WORKS(H);
  /* hedge_set_limits: deeper, then the default (0: 400) */
  hedge_set_limits(H, 0, 0, 200);
  CHECK_INT(hedge_eval(H, "depth(150)", &r), HEDGE_OK);
  hedge_set_limits(H, 0, 0, 0);
  CHECK_INT(hedge_eval(H, "depth(390)", &r), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "depth(100000)", &r), HEDGE_ELIMIT);
  CHECK_HAS(hedge_errmsg(H), "recursion too deep");
  STILL_WORKS(H);
  hedge_close(H);

  /* the default, with no option at all: deep recursion is an error, not a crash */
  H = open_limited(0, 0, 0);
  CHECK_INT(hedge_eval(H, "depth(1000000)", &r), HEDGE_ELIMIT);
  CHECK_HAS(hedge_errmsg(H), "recursion too deep");
  STILL_WORKS(H);
  hedge_close(H);
}

/* ---- memory --------------------------------------------------------------------------------- */

static void test_memory(void) {
  size_t cap = 24u << 20;   /* 24 MiB: the state, the stdlib and Lua need a few */
  hedge_State *H = open_limited(cap, 0, 0);
  const char *r = NULL;
  size_t peak = 0, used = hedge_memory(H, &peak);
  CHECK(used > 0 && used < cap && peak <= cap);
  /* 6.25M two-element lists: hundreds of MiB */
  CHECK_INT(hedge_eval(H, "len(list(a in L, b in L, c in L, d in L: [a, b]))", &r), HEDGE_EMEMORY);
  CHECK(r == NULL);
  CHECK_HAS(hedge_errmsg(H), "memory limit");
  hedge_memory(H, &peak);
  CHECK(peak <= cap);
  /* the temporaries are gone: back near where it started */
  CHECK(hedge_memory(H, NULL) < used + (1u << 20));
  STILL_WORKS(H);
  /* Lua allocations count against the same cap */
  CHECK_INT(hedge_eval(H, "grow(10000000)", &r), HEDGE_EMEMORY);
  CHECK_HAS(hedge_errmsg(H), "memory");
  hedge_memory(H, &peak);
  CHECK(peak <= cap);
  STILL_WORKS(H);
  CHECK_INT(hedge_eval(H, "grow(1000)", &r), HEDGE_OK);
  /* a long string doubled again and again */
  CHECK_INT(hedge_load_string(H, "big.hedge", "fn dbl(s, n) = if n == 0 then s else dbl(s + s, n - 1)"), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "len(dbl(\"0123456789abcdef\", 40))", &r), HEDGE_EMEMORY);
  STILL_WORKS(H);
  /* in a check: the check stops with EMEMORY */
  CHECK_INT(hedge_load_string(H, "mem.hedge", "rule hog: len(list(a in L, b in L, c in L, d in L: [a])) > 0"), HEDGE_OK);
  const char *only[] = {"hog", NULL};
  hedge_Report *rep = NULL;
  CHECK_INT(hedge_check(H, NULL, only, &rep), HEDGE_EMEMORY);
  hedge_report_free(H, rep);
  STILL_WORKS(H);
  /* a load that runs out adds nothing */
  CHECK_INT(hedge_load_string(H, "mem2.hedge", "partner NEW2\nlet big = list(a in L, b in L, c in L, d in L: [a])"), HEDGE_EMEMORY);
  CHECK_INT(hedge_eval(H, "NEW2", &r), HEDGE_ERROR);
  /* raising the cap at run time */
  hedge_set_limits(H, 0, 0, 0);
  CHECK_INT(hedge_eval(H, "len(list(a in L, b in L, c in L: [a, b]))", &r), HEDGE_OK);
  CHECK(r && !strcmp(r, "125000"));
  hedge_set_limits(H, hedge_memory(H, NULL) + (64u << 10), 0, 0);
  CHECK_INT(hedge_eval(H, "len(list(a in L, b in L, c in L: [a, b]))", &r), HEDGE_EMEMORY);
  hedge_set_limits(H, 0, 0, 0);
  STILL_WORKS(H);
  hedge_close(H);
}

/* ---- interrupt from another thread ---------------------------------------------------------- */

typedef struct Interrupter { hedge_State *H; int delay_ms; } Interrupter;

static void *interrupter(void *ud) {
  Interrupter *it = ud;
  struct timespec ts = {it->delay_ms / 1000, (long)(it->delay_ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  hedge_interrupt(it->H);
  return NULL;
}

/* Runs `what` (0 eval, 1 check, 2 load) of src while a thread interrupts
** after 50 ms; returns the status, and the time taken in *secs. */
static int run_interrupted(hedge_State *H, int what, const char *src, double *secs) {
  Interrupter it = {H, 50};
  pthread_t th;
  if (pthread_create(&th, NULL, interrupter, &it) != 0) { printf("pthread_create failed\n"); exit(1); }
  double t0 = now();
  int st;
  if (what == 0) st = hedge_eval(H, src, NULL);
  else if (what == 1) {
    const char *only[] = {src, NULL};
    hedge_Report *rep = NULL;
    st = hedge_check(H, NULL, only, &rep);
    hedge_report_free(H, rep);
  } else st = hedge_load_string(H, "interrupted.hedge", src);
  *secs = now() - t0;
  pthread_join(th, NULL);
  return st;
}

static void test_interrupt_thread(void) {
  hedge_State *H = open_limited(0, 4000000000ull, 0);
  double secs;
  const char *r = NULL;
  CHECK_INT(run_interrupted(H, 0, "count(a in L, b in L, c in L, d in L, e in L)", &secs), HEDGE_EINTERRUPT);
  CHECK(secs < 30);
  CHECK_HAS(hedge_errmsg(H), "interrupted");
  STILL_WORKS(H);
  CHECK_INT(run_interrupted(H, 0, "fib(60)", &secs), HEDGE_EINTERRUPT);
  STILL_WORKS(H);
  /* inside Lua */
  CHECK_INT(run_interrupted(H, 0, "spin()", &secs), HEDGE_EINTERRUPT);
  CHECK_HAS(hedge_errmsg(H), "interrupted");
  STILL_WORKS(H);
  /* hedge calling Lua calling C, over and over */
  CHECK_INT(run_interrupted(H, 1, "lua_slow", &secs), HEDGE_EINTERRUPT);
  STILL_WORKS(H);
  CHECK_INT(run_interrupted(H, 1, "slow", &secs), HEDGE_EINTERRUPT);
  STILL_WORKS(H);
  /* a load: nothing of it stays */
  CHECK_INT(run_interrupted(H, 2, "partner NEW3\nlet x = fib(60)", &secs), HEDGE_EINTERRUPT);
  CHECK_INT(hedge_eval(H, "NEW3", &r), HEDGE_ERROR);
  /* an interrupt that arrives between calls does not poison the next one
  ** forever: at most the next call stops, and the one after runs */
  hedge_interrupt(H);
  int st = hedge_eval(H, "fib(20)", &r);
  CHECK(st == HEDGE_OK || st == HEDGE_EINTERRUPT);
  CHECK_INT(hedge_eval(H, "fib(20)", &r), HEDGE_OK);
  STILL_WORKS(H);
  hedge_close(H);
}

/* No limit at all (no step count, no clock): Lua code still sees an
** interrupt from another thread, in a coroutine too. hedge_interrupt only
** stores the flag; the count hook, always set, reads it. alarm(): should
** the interrupt never arrive, SIGALRM ends the test instead of a hang. */
static void test_interrupt_unlimited(void) {
  hedge_State *H = open_limited(0, 0, 0);
  double secs;
  alarm(300);
  CHECK_INT(run_interrupted(H, 0, "spin()", &secs), HEDGE_EINTERRUPT);
  CHECK_HAS(hedge_errmsg(H), "interrupted");
  STILL_WORKS(H);
  CHECK_INT(run_interrupted(H, 0, "spin_co()", &secs), HEDGE_EINTERRUPT);
  CHECK_HAS(hedge_errmsg(H), "interrupted");
  STILL_WORKS(H);
  CHECK_INT(run_interrupted(H, 1, "lua_slow", &secs), HEDGE_EINTERRUPT);
  STILL_WORKS(H);
  alarm(0);
  hedge_close(H);
}

/* ---- interrupt a long CSV load, in one thread and in two ----------------------------------------- */

static void test_interrupt_load(void) {
  char dir[] = "/tmp/hedge-api-load-XXXXXX";
  if (!mkdtemp(dir)) { printf("mkdtemp failed\n"); exit(1); }
  char path[256], src[1024];
  snprintf(path, sizeof path, "%s/deals.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) { printf("cannot write %s\n", path); exit(1); }
  fputs("id,exporter,importer,commodity,year,value_usd\n", f);
  /* about 24 MB: long enough to be stopped half-way under the sanitizers */
  for (long i = 0; i < 600000; i++)
    fprintf(f, "%ld,P%ld,Q%ld,c%ld,%ld,%ld.%02ld\n", i, i % 7, i % 5, i % 3, 2020 + i % 6, i * 37 % 100000, i % 100);
  fclose(f);
  snprintf(src, sizeof src,
           "partner P0, P1, P2, P3, P4, P5, P6, Q0, Q1, Q2, Q3, Q4\n"
           "commodity c0, c1, c2\n"
           "load deals from \"%s\" { value: value_usd USD, date: year }\n", path);
  for (int threads = 0; threads <= 1; threads++) {
    hedge_Options o;
    memset(&o, 0, sizeof o);
    o.stdlib_dir = TEST_STDLIB;
    o.capabilities = HEDGE_CAP_FILES;
    o.load_threads = threads;
    hedge_State *H = open_with(&o);
    const char *r = NULL;
    char before[64];
    CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
    snprintf(before, sizeof before, "%s", r ? r : "?");
    double secs;
    int st = run_interrupted(H, 2, src, &secs);
    if (st == HEDGE_EINTERRUPT) {
      CHECK_HAS(hedge_errmsg(H), "interrupted");
      /* nothing of the chunk stays: no deal, no partner */
      CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
      CHECK_STR(r, before);
      CHECK_INT(hedge_eval(H, "P0", &r), HEDGE_ERROR);
    } else {
      /* a machine fast enough to finish before the interrupt arrives */
      CHECK(st == HEDGE_OK && secs < 0.06);
    }
    STILL_WORKS(H);
    /* and the same file loads whole when left alone */
    CHECK_INT(hedge_load_string(H, "again.hedge", src), HEDGE_OK);
    CHECK_INT(hedge_eval(H, "count(d in deals where d.exporter == P0 or d.exporter == P6)", &r), HEDGE_OK);
    CHECK_STR(r, "171429");   /* i % 7 in {0, 6} for i < 600000 */
    hedge_close(H);
  }
  remove(path);
  rmdir(dir);
}

/* ---- interrupt from a signal handler ------------------------------------------------------------ */

static hedge_State *volatile sig_state;
static volatile sig_atomic_t sig_count;

static void on_alarm(int sig) {
  (void)sig;
  sig_count++;
  hedge_interrupt(sig_state);   /* async-signal-safe: an atomic store */
}

static int run_with_alarm(hedge_State *H, const char *expr, int ms) {
  sig_state = H;
  struct itimerval tv;
  memset(&tv, 0, sizeof tv);
  tv.it_value.tv_sec = ms / 1000;
  tv.it_value.tv_usec = (ms % 1000) * 1000;
  setitimer(ITIMER_REAL, &tv, NULL);
  int st = hedge_eval(H, expr, NULL);
  memset(&tv, 0, sizeof tv);
  setitimer(ITIMER_REAL, &tv, NULL);
  return st;
}

static void test_interrupt_signal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  hedge_State *H = open_limited(0, 4000000000ull, 0);
  sig_count = 0;
  CHECK_INT(run_with_alarm(H, "count(a in L, b in L, c in L, d in L, e in L)", 50), HEDGE_EINTERRUPT);
  CHECK_INT(sig_count, 1);
  CHECK_HAS(hedge_errmsg(H), "interrupted");
  STILL_WORKS(H);
  CHECK_INT(run_with_alarm(H, "spin()", 50), HEDGE_EINTERRUPT);
  STILL_WORKS(H);
  CHECK_INT(run_with_alarm(H, "fib(60)", 30), HEDGE_EINTERRUPT);
  STILL_WORKS(H);
  sa.sa_handler = SIG_DFL;
  sigaction(SIGALRM, &sa, NULL);
  hedge_close(H);
}

/* ---- two states: a limit or an interrupt in one leaves the other alone ------------------------- */

static void test_independent(void) {
  hedge_State *A = open_limited(0, 100000, 0);
  hedge_State *B = open_limited(0, 0, 0);
  const char *r = NULL;
  CHECK_INT(hedge_eval(A, "fib(25)", &r), HEDGE_ELIMIT);
  CHECK_INT(hedge_eval(B, "fib(25)", &r), HEDGE_OK);
  hedge_interrupt(A);
  CHECK_INT(hedge_eval(B, "fib(20)", &r), HEDGE_OK);
  hedge_close(A);
  hedge_close(B);
}

int main(void) {
  test_steps();
  test_depth();
  test_memory();
  test_interrupt_thread();
  test_interrupt_unlimited();
  test_interrupt_load();
  test_interrupt_signal();
  test_independent();
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
