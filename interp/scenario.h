/*
** scenario.h: test results and report comparison (scenario.c).
*/
#ifndef SCENARIO_H
#define SCENARIO_H
#include "core.h"
#include "report.h"
#include "exec.h"

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

TestResults *scenario_run_tests(H *h);
void scenario_tests_free(H *h, TestResults *r);
void scenario_compare_reports(H *h, Buf *out, Report *a, Report *b, const char *scenario, int json);

/* Whether the scenario (with its parents) only drops or updates deals: no
** declaration, let or other statement. --compare then keeps the base
** results of the bindings it cannot change (rules_check_reusing, rules.h),
** after checking that the world agrees (world_deal_changes). */
int scenario_changes_deals_only(H *h, Scenario *s);
/* Applies a scenario (its parents first) to the world. */
void scenario_apply(H *h, Scenario *s, Loc loc);


#endif
