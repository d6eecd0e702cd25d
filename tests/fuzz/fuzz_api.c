/*
** fuzz_api.c: sequences of API calls and REPL inputs on one state. The
** input is a program of operations: one byte picks the call, the next byte
** the length of its text argument, then the text. Calls: load, eval, check
** (scenario, --explain, one rule), test, compare, REPL input
** (hedge_repl_eval, in a scenario or not), :help, field and name listings,
** limits, interrupt, hedge_register with fuzzed names and parameters, a
** host function call, output, report accessors with fuzzed indexes. The
** world every sequence starts from has entities, deals, rules, a scenario
** and a test, so that calls have something to work on.
*/
#include <math.h>
#include <stdio.h>
#include "fuzz.h"
#include "introspect.h"

static Fuzz F;
static hedge_Report *last;

static int host_echo(void *ud, const hedge_Value *a, int n, hedge_Value *res, char *eb, size_t el) {
  (void)ud; (void)eb; (void)el;
  if (n > 0) *res = a[0];
  return 0;
}

static int host_fail(void *ud, const hedge_Value *a, int n, hedge_Value *res, char *eb, size_t el) {
  (void)ud; (void)a; (void)n; (void)res;
  memset(eb, 'E', el);   /* a host that forgets the NUL */
  return 1;
}

static int host_weird(void *ud, const hedge_Value *a, int n, hedge_Value *res, char *eb, size_t el) {
  (void)ud; (void)eb; (void)el;
  double x = n > 0 ? a[0].number : 0;
  res->kind = (int)fabs(fmod(x, 9));   /* every kind, valid or not */
  res->number = x > 5 ? NAN : x > 3 ? INFINITY : x;
  res->unit = x > 1 ? "USD" : "zorkmid";
  res->text = "text";
  return 0;
}

static void setup(hedge_State *H) {
  if (hedge_load_string(H, "world.hedge",
        "partner PAK, CHN, USA\ncommodity oil, copper\n"
        "deal { exporter: CHN, importer: PAK, commodity: oil, value: 5M USD, date: 2025 }\n"
        "deal { exporter: USA, importer: PAK, commodity: copper, value: 2M USD, date: 2024 }\n"
        "loan { lender: CHN, borrower: PAK, principal: 10M USD, start: 2020, term: 10 years }\n"
        "let cap = 60%\n"
        "fn share(p) = imports(PAK, from: p) / imports(PAK)\n"
        "rule diverse \"no supplier above the cap\": forall p in partners: share(p) <= cap\n"
        "warn small: imports(PAK) > 1M USD\n"
        "scenario cut { drop d in deals where d.exporter == CHN }\n"
        "test \"cut\" { drop d in deals where d.exporter == USA\n expect fail diverse }\n") != HEDGE_OK) abort();
  if (hedge_register(H, "echo", "x", host_echo, NULL) != HEDGE_OK) abort();
  if (hedge_register(H, "hfail", "x", host_fail, NULL) != HEDGE_OK) abort();
  if (hedge_register(H, "weird", "x, y", host_weird, NULL) != HEDGE_OK) abort();
}

static int count_name(void *ud, const char *name, const char *detail) {
  (void)name; (void)detail;
  ++*(int *)ud;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  F.setup = setup;
  hedge_State *H = fuzz_state(&F);
  size_t i = 0;
  int ops = 0;
  while (i < size && ops++ < 16) {
    int op = data[i++] % 20;
    size_t len = i < size ? data[i++] : 0;
    if (len > size - i) len = size - i;
    char *s = fuzz_text(data + i, len);
    i += len;
    const char *out = NULL;
    int inc = 0, n = 0;
    switch (op) {
      case 0: hedge_load_string(H, "op.hedge", s); break;
      case 1: hedge_eval(H, s, &out); break;
      case 2:
      case 3: {
        const char *only[2] = {s, NULL};
        if (last) { hedge_report_free(H, last); last = NULL; }
        hedge_check_ex(H, op == 2 && len ? s : NULL, op == 3 ? only : NULL, op == 3, &last);
        if (last) { (void)hedge_report_json(H, last); (void)hedge_report_text(H, last, 1); }
        break;
      }
      case 4: hedge_test(H, (int)(len & 1), &out, NULL, NULL); break;
      case 5: hedge_compare(H, s, (int)(len & 1), &out); break;
      case 6: hedge_repl_eval(H, "<stdin>", s, NULL, 0, &inc); break;
      case 7: hedge_repl_eval(H, "<stdin>", s, "cut", 1, &inc); break;
      case 8: (void)hedge_help(H, s); break;
      case 9: hedge_fields(H, s, count_name, &n); break;
      case 10: hedge_names(H, len ? (int)(s[0] & 0x1f) - 2 : 0, (int)(len & 1), count_name, &n); break;
      case 11: hedge_set_limits(H, len ? (size_t)(unsigned char)s[0] << 16 : 0, len > 1 ? (unsigned char)s[1] * 50u : 0, len > 2 ? (signed char)s[2] : 0); break;
      case 12: hedge_interrupt(H); hedge_eval(H, s, &out); break;
      case 13: {
        char *comma = strchr(s, ',');
        if (comma) *comma = 0;
        hedge_register(H, s, comma ? comma + 1 : NULL, host_echo, NULL);
        break;
      }
      case 14: {
        char call[300];
        snprintf(call, sizeof call, "%s(%s)", len & 1 ? "echo" : len & 2 ? "weird" : "hfail", s);
        hedge_eval(H, call, &out);
        break;
      }
      case 15: (void)hedge_output(H); hedge_output_clear(H); break;
      case 16:
        if (last) {
          int r = len ? (signed char)s[0] : 0, k = len > 1 ? (signed char)s[1] : 0, j = len > 2 ? (signed char)s[2] : 0;
          double num; const char *unit, *text, *value;
          int line, col, a, b, c, d;
          (void)hedge_rule_name(last, r); (void)hedge_rule_title(last, r); (void)hedge_rule_status(last, r);
          (void)hedge_rule_error(last, r); (void)hedge_rule_location(last, r, &line, &col);
          (void)hedge_rule_is_warn(last, r); (void)hedge_rule_counterexamples(last, r);
          (void)hedge_cx_bindings(last, r, k); (void)hedge_cx_binding(last, r, k, j, &value);
          (void)hedge_cx_values(last, r, k); (void)hedge_cx_value(last, r, k, j, &num, &unit, &text);
          hedge_report_summary(last, &a, &b, &c, &d);
        }
        break;
      case 17: {
        const char *cands[] = {"imports", "exports", "partners", s, NULL};
        (void)hedge_suggest(s, cands);
        break;
      }
      case 18: hedge_set_time_limit(H, len ? (double)(unsigned char)s[0] / 100.0 : 0); break;
      default: hedge_load_string(H, NULL, s); break;
    }
    if (!hedge_errmsg(H)) abort();
    free(s);
  }
  if (last) { hedge_report_free(H, last); last = NULL; }
  fuzz_reset(&F);
  return 0;
}
