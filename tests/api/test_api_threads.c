/*
** test_api_threads.c: states are independent. Four threads each open their
** own state, register a host function with their own data, load a world of
** their own (generated: thread t has t + 4 partners, t + 1 of them with no
** trade) and check it, under a scenario too, many times over, all at once.
** Every result must be that thread's, every time: no global state.
** Then two states used alternately from one thread, and a state handed
** from one thread to another (one thread at a time).
** Run from the repository root. Prints only failures, then
** "N passed, M failed"; exits 1 on a failure.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedge.h"

#ifndef TEST_STDLIB
#define TEST_STDLIB "stdlib"
#endif

#define NTHREADS 4

static int rounds = 300;   /* $HEDGE_THREAD_ROUNDS overrides (valgrind runs fewer) */
static atomic_int npass, nfail;

static void failf(int t, int round, const char *what, const char *detail) {
  atomic_fetch_add(&nfail, 1);
  printf("FAIL thread %d round %d: %s%s%s\n", t, round, what, detail ? ": " : "", detail ? detail : "");
}
#define EXPECT(t, round, cond, detail) do { if (cond) atomic_fetch_add(&npass, 1); else failf((t), (round), #cond, (detail)); } while (0)

/* host function: the thread's own number, through ud */
static int host_whoami(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  (void)args; (void)nargs; (void)errbuf; (void)errlen;
  result->kind = HEDGE_VNUMBER;
  result->number = *(const int *)ud;
  return 0;
}

/* The world of thread t: home H plus partners P0..P(t+2); P0..P(t) have no
** trade with H (t + 1 counterexamples); the others export 10M USD each to H
** (2 deals), so imports(H) is 20M USD for every t but the partners differ. */
static char *world_of(int t) {
  size_t cap = 4096;
  char *s = malloc(cap);
  if (!s) exit(1);
  size_t n = 0;
  n += (size_t)snprintf(s + n, cap - n, "partner H { name: \"home of thread %d\" }\n", t);
  int np = t + 3;
  for (int i = 0; i < np; i++) n += (size_t)snprintf(s + n, cap - n, "partner P%d { quota: %d }\n", i, 100 * t + i);
  n += (size_t)snprintf(s + n, cap - n, "commodity goods\n");
  for (int i = t + 1; i < np; i++)
    n += (size_t)snprintf(s + n, cap - n, "deal { exporter: P%d, importer: H, commodity: goods, value: 10M USD, date: 2025-0%d }\n",
                          i, 1 + i % 9);
  n += (size_t)snprintf(s + n, cap - n,
                        "let T = %d\n"
                        "rule trade_all \"Trade with every partner\": forall p in partners where p != H: trade(H, p) > 0\n"
                        "rule mine: whoami() == T\n"
                        "scenario lose_one { drop d in deals where d.exporter == P%d }\n",
                        t, np - 1);
  return s;
}

typedef struct Job { int t; int ok_rounds; } Job;

static void *worker(void *ud) {
  Job *job = ud;
  int t = job->t;
  char *world = world_of(t);
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FILES;   /* the tests load files (ext.lua, CSV) */
  o.max_steps = 100000000;
  char err[256];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) { failf(t, 0, "hedge_open", err); free(world); return NULL; }
  int me = t;
  EXPECT(t, 0, hedge_register(H, "whoami", "", host_whoami, &me) == HEDGE_OK, hedge_errmsg(H));
  char chunk[32];
  snprintf(chunk, sizeof chunk, "world%d.hedge", t);
  EXPECT(t, 0, hedge_load_string(H, chunk, world) == HEDGE_OK, hedge_errmsg(H));
  free(world);
  char want_name[64], want_first[16], want_scen[16];
  snprintf(want_name, sizeof want_name, "\"home of thread %d\"", t);
  snprintf(want_first, sizeof want_first, "P%d", t);   /* the last partner with no trade */
  snprintf(want_scen, sizeof want_scen, "%d", t + 2);
  for (int round = 1; round <= rounds; round++) {
    int good = 1;
    const char *r = NULL;
    /* eval */
    if (hedge_eval(H, "H.name", &r) != HEDGE_OK || strcmp(r, want_name) != 0) { failf(t, round, "H.name", r); good = 0; }
    if (hedge_eval(H, "count(partners) * 100 + T * 10 + whoami()", &r) != HEDGE_OK) { failf(t, round, "eval", hedge_errmsg(H)); good = 0; }
    else {
      char want[32];
      snprintf(want, sizeof want, "%d", (t + 4) * 100 + t * 10 + t);
      if (strcmp(r, want) != 0) { failf(t, round, "count(partners) ...", r); good = 0; }
    }
    if (hedge_eval(H, "imports(H)", &r) != HEDGE_OK || strcmp(r, "20M USD") != 0) { failf(t, round, "imports(H)", r); good = 0; }
    /* check */
    hedge_Report *rep = NULL;
    int st = hedge_check(H, NULL, NULL, &rep);
    if (st != HEDGE_FAIL || !rep) { failf(t, round, "hedge_check status", hedge_errmsg(H)); good = 0; }
    else {
      if (hedge_rule_counterexamples(rep, 0) != t + 1) { failf(t, round, "counterexamples of trade_all", NULL); good = 0; }
      const char *v = NULL;
      hedge_cx_binding(rep, 0, t, 0, &v);
      if (!v || strcmp(v, want_first) != 0) { failf(t, round, "last counterexample", v); good = 0; }
      if (hedge_rule_status(rep, 1) != HEDGE_PASS) { failf(t, round, "rule mine", hedge_rule_error(rep, 1)); good = 0; }
      const char *json = hedge_report_json(H, rep);
      if (!json || !strstr(json, "\"failed\": 1")) { failf(t, round, "json", json); good = 0; }
    }
    hedge_report_free(H, rep);
    /* under the scenario: one more partner without trade */
    rep = NULL;
    st = hedge_check(H, "lose_one", NULL, &rep);
    if (st != HEDGE_FAIL || !rep || hedge_rule_counterexamples(rep, 0) != t + 2) { failf(t, round, "scenario check", hedge_errmsg(H)); good = 0; }
    hedge_report_free(H, rep);
    /* an error in one state is that state's alone */
    if (round % 10 == 0) {
      if (hedge_eval(H, "P99", &r) != HEDGE_ERROR || !strstr(hedge_errmsg(H), "P99")) { failf(t, round, "error message", hedge_errmsg(H)); good = 0; }
    }
    if (good) job->ok_rounds++;
  }
  hedge_close(H);
  return NULL;
}

/* A state used from one thread, then another (never two at once). */
typedef struct Handoff { hedge_State *H; int step; int ok; } Handoff;
static void *handoff_worker(void *ud) {
  Handoff *h = ud;
  const char *r = NULL;
  char expr[64];
  snprintf(expr, sizeof expr, "count(partners) + %d", h->step);
  char want[16];
  snprintf(want, sizeof want, "%d", 2 + h->step);
  char src[64];
  snprintf(src, sizeof src, "let x%d = %d", h->step, h->step);
  h->ok = hedge_eval(h->H, expr, &r) == HEDGE_OK && !strcmp(r, want) &&
          hedge_load_string(h->H, "more", src) == HEDGE_OK;
  return NULL;
}

int main(void) {
  const char *env = getenv("HEDGE_THREAD_ROUNDS");
  if (env && atoi(env) > 0) rounds = atoi(env);
  setvbuf(stdout, NULL, _IOLBF, 0);

  pthread_t th[NTHREADS];
  Job jobs[NTHREADS];
  for (int t = 0; t < NTHREADS; t++) {
    jobs[t].t = t;
    jobs[t].ok_rounds = 0;
    if (pthread_create(&th[t], NULL, worker, &jobs[t]) != 0) { printf("pthread_create failed\n"); return 1; }
  }
  for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
  for (int t = 0; t < NTHREADS; t++) EXPECT(t, rounds, jobs[t].ok_rounds == rounds, NULL);

  /* two states, one thread, interleaved: no cross-talk */
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FILES;   /* the tests load files (ext.lua, CSV) */
  hedge_State *A = hedge_open(&o, NULL, 0), *B = hedge_open(&o, NULL, 0);
  EXPECT(-1, 0, A && B, NULL);
  if (A && B) {
    const char *r = NULL;
    EXPECT(-1, 0, hedge_load_string(A, "a", "partner X, Y\nlet v = 1") == HEDGE_OK, hedge_errmsg(A));
    EXPECT(-1, 0, hedge_load_string(B, "b", "partner X\nlet v = 2\nunit PKR = 0.0036 USD") == HEDGE_OK, hedge_errmsg(B));
    EXPECT(-1, 0, hedge_eval(A, "v * 10 + count(partners)", &r) == HEDGE_OK && !strcmp(r, "12"), r);
    EXPECT(-1, 0, hedge_eval(B, "v * 10 + count(partners)", &r) == HEDGE_OK && !strcmp(r, "21"), r);
    EXPECT(-1, 0, hedge_eval(A, "1000 PKR", &r) == HEDGE_ERROR, r);   /* B's unit is not A's */
    EXPECT(-1, 0, hedge_eval(B, "Y", &r) == HEDGE_ERROR, r);
    EXPECT(-1, 0, hedge_eval(A, "Y", &r) == HEDGE_OK && !strcmp(r, "Y"), r);
    /* an error in A leaves B's message alone */
    EXPECT(-1, 0, strcmp(hedge_errmsg(B), "") != 0 && strstr(hedge_errmsg(B), "'Y'"), hedge_errmsg(B));
    EXPECT(-1, 0, !strcmp(hedge_errmsg(A), ""), hedge_errmsg(A));

    /* A handed from thread to thread */
    for (int step = 0; step < 4; step++) {
      Handoff h = {A, step, 0};
      pthread_t t1;
      pthread_create(&t1, NULL, handoff_worker, &h);
      pthread_join(t1, NULL);
      EXPECT(-1, step, h.ok, hedge_errmsg(A));
    }
  }
  hedge_close(A);
  hedge_close(B);
  printf("%d passed, %d failed\n", atomic_load(&npass), atomic_load(&nfail));
  return atomic_load(&nfail) ? 1 : 0;
}
