/*
** embed.c: a small host program for libhedge.
**
** It opens an interpreter state with limits, registers one host function,
** loads policy.hedge, checks its rules and prints each failing rule with its
** counterexamples, read as data (not by parsing the text report), then
** closes the state.
**
** Build against an installed hedge:
**     cc -o embed embed.c $(pkg-config --cflags --libs hedge)
** (add -Wl,-rpath,$(pkg-config --variable=libdir hedge) when the library is
** not in a folder the dynamic linker searches), or in the source tree with
** `make examples/embed/embed`.
**
** Run:  ./embed [POLICY.hedge]        (default: policy.hedge)
** The standard library comes from $HEDGE_STDLIB when it is set, else from the
** folder compiled into the library (PREFIX/share/hedge/stdlib).
**
** Exit code: 0 every rule passed, 1 a rule failed, 2 an error.
*/
#include <hedge.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- data the host owns -------------------------------------------------------- */

/* The treasury's credit limits, in USD: data that lives in the host (a
** database, a config file, ...) rather than in the policy script. */
static const struct { const char *lender; double debt_limit; } limits[] = {
  {"CHN", 10e9}, {"IMF", 8e9}, {"SAU", 5e9}, {"USA", 5e9},
};

/* ---- a host function ---------------------------------------------------------------
** hedge calls it as `limit(l, kind: "debt")`. Arguments arrive in the order
** of the parameter list given to hedge_register ("lender, kind"), whether
** the script passed them by position or by name; a parameter the script
** left out arrives as HEDGE_VNIL. Pointers in args are valid during the call
** only. The function writes *result and returns 0, or writes a message to
** errbuf and returns non-zero: the call then fails with a located error. */
static int host_limit(void *ud, const hedge_Value *args, int nargs, hedge_Value *result,
                      char *errbuf, size_t errlen) {
  int *calls = ud;   /* the pointer given to hedge_register */
  (*calls)++;
  if (nargs != 2 || args[0].kind != HEDGE_VENTITY) {
    snprintf(errbuf, errlen, "the first argument must be a partner");
    return 1;
  }
  if (args[1].kind != HEDGE_VNIL && (args[1].kind != HEDGE_VSTRING || strcmp(args[1].text, "debt") != 0)) {
    snprintf(errbuf, errlen, "only kind: \"debt\" is known");
    return 1;
  }
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    if (strcmp(limits[i].lender, args[0].text) == 0) {   /* an entity arrives by name */
      result->kind = HEDGE_VQUANTITY;                     /* a quantity: number + unit */
      result->number = limits[i].debt_limit;
      result->unit = "USD";
      return 0;
    }
  }
  result->kind = HEDGE_VQUANTITY;   /* no limit on record: none allowed */
  result->number = 0;
  result->unit = "USD";
  return 0;
}

/* ---- print hook ----------------------------------------------------------------------
** `print` statements in the script arrive here instead of on stdout: the
** library never writes to the host's streams itself. */
static void on_print(void *ud, const char *text, size_t len) {
  (void)ud;
  printf("[hedge] %.*s", (int)len, text);
}

int main(int argc, char **argv) {
  const char *policy = argc > 1 ? argv[1] : "policy.hedge";

  /* 1. Open a state. Every field left zero takes its default, so only what
  **    the host cares about is set: a memory cap, an evaluation budget and a
  **    recursion limit. No capability is granted (no `extern`, no Lua io). */
  hedge_Options opts;
  memset(&opts, 0, sizeof opts);
  opts.max_memory = 256u << 20;      /* 256 MiB, the embedded Lua included */
  opts.max_steps = 50000000;         /* per call: a runaway rule stops with HEDGE_ELIMIT */
  opts.max_depth = 200;              /* nested hedge calls */
  opts.stdlib_dir = getenv("HEDGE_STDLIB");   /* NULL: the library's built-in folder */
  opts.print = on_print;
  char err[512];
  hedge_State *H = hedge_open(&opts, err, sizeof err);
  if (!H) {
    fprintf(stderr, "embed: cannot open hedge: %s\n", err);
    return 2;
  }

  /* 2. Register the host function before loading the script that calls it. */
  int limit_calls = 0;
  if (hedge_register(H, "limit", "lender, kind", host_limit, &limit_calls) != HEDGE_OK) {
    fprintf(stderr, "embed: %s\n", hedge_errmsg(H));
    hedge_close(H);
    return 2;
  }

  /* 3. Load the policy. On error nothing of the file is kept, and the
  **    message reads "file:line:col: error: ..." with the line and a caret. */
  if (hedge_load_file(H, policy) != HEDGE_OK) {
    fprintf(stderr, "%s\n", hedge_errmsg(H));
    hedge_close(H);
    return 2;
  }

  /* 4. Evaluate an expression: the result text is owned by the state and
  **    valid until the next call on it, so copy it if you keep it. */
  const char *value = NULL;
  if (hedge_eval(H, "debt(F)", &value) == HEDGE_OK) printf("total debt: %s\n", value);

  /* 5. Check every rule (NULL scenario: the base world; NULL list: all
  **    rules). The report belongs to the host until hedge_report_free. */
  hedge_Report *rep = NULL;
  int st = hedge_check(H, NULL, NULL, &rep);
  if (!rep) {   /* an error before any rule ran (or a limit was hit) */
    fprintf(stderr, "%s\n", hedge_errmsg(H));
    hedge_close(H);
    return 2;
  }

  /* 6. Read the results as data. */
  int nrules = hedge_report_rules(rep);
  for (int i = 0; i < nrules; i++) {
    int status = hedge_rule_status(rep, i);
    if (status == HEDGE_PASS) continue;
    int line = 0, col = 0;
    const char *file = hedge_rule_location(rep, i, &line, &col);
    const char *title = hedge_rule_title(rep, i);
    printf("%s %s%s%s%s at %s:%d:%d\n",
           status == HEDGE_ERRORED ? "ERROR" : hedge_rule_is_warn(rep, i) ? "WARN" : "FAIL",
           hedge_rule_name(rep, i), title ? " \"" : "", title ? title : "", title ? "\"" : "",
           file, line, col);
    if (status == HEDGE_ERRORED) {
      printf("  %s\n", hedge_rule_error(rep, i));
      continue;
    }
    int ncx = hedge_rule_counterexamples(rep, i);
    for (int k = 0; k < ncx; k++) {
      /* the bindings of the quantified variables: "l = CHN" */
      printf("  counterexample %d:", k + 1);
      int nb = hedge_cx_bindings(rep, i, k);
      for (int j = 0; j < nb; j++) {
        const char *binding_value;
        const char *name = hedge_cx_binding(rep, i, k, j, &binding_value);
        printf("%s %s = %s", j ? "," : "", name, binding_value);
      }
      printf("\n");
      /* the operands of the comparison that failed, as numbers in the
      ** base unit (USD for money) with their unit, and as printed */
      int nv = hedge_cx_values(rep, i, k);
      for (int j = 0; j < nv; j++) {
        double number;
        const char *unit, *text;
        const char *expr = hedge_cx_value(rep, i, k, j, &number, &unit, &text);
        if (isnan(number)) printf("    %-40s %s\n", expr, text);
        else printf("    %-40s %-12s (%.6g%s%s)\n", expr, text, number, unit ? " " : "", unit ? unit : "");
      }
    }
  }
  int passed, failed, warnings, errors;
  hedge_report_summary(rep, &passed, &failed, &warnings, &errors);
  printf("%d passed, %d failed, %d warnings, %d errors (limit() called %d times)\n",
         passed, failed, warnings, errors, limit_calls);

  /* 7. Free the report, then the state: every byte goes back. */
  hedge_report_free(H, rep);
  hedge_close(H);
  return st == HEDGE_OK ? 0 : st == HEDGE_FAIL ? 1 : 2;
}
