/*
** scenario.h: test results and report comparison (scenario.c).
*/
#ifndef SCENARIO_H
#define SCENARIO_H
#include "core.h"
#include "report.h"

typedef struct TestResult {
  const char *name;
  Loc loc;
  int passed;
  char *failures;        /* lines "  file:line:col: message\n", or NULL */
  size_t failures_cap;
} TestResult;

typedef struct TestResults {
  TestResult *items; int n;
  int passed, failed;
  int status;            /* HEDGE_OK, or a limit/interrupt that stopped the run */
} TestResults;

TestResults *run_tests(H *h);
void tests_free(H *h, TestResults *r);
void compare_reports(H *h, Buf *out, Report *a, Report *b, const char *scenario, int json);

/* Program marks: a failed load, a scenario or a test adds nothing for good. */
typedef struct ProgMark {
  WorldMark world;
  uint32_t nglobals, nrules, nscen, ntests, nunits, nloaded, nsources, nbuiltins, nletlog, noverrides, nprints;
  int nbase;
  int fy_start; Loc fy_loc;   /* the fiscal year declared so far */
} ProgMark;
ProgMark prog_mark(H *h);
void prog_rollback(H *h, ProgMark m);

#endif
