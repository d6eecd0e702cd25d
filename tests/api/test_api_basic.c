/*
** test_api_basic.c: every function of hedge.h, through the public header
** only. Run from the repository root (the scripts are tests/api/ scripts and
** the standard library is ./stdlib unless TEST_STDLIB says otherwise).
** Prints only failures, then "N passed, M failed"; exits 1 on a failure.
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

/* ---- helpers ------------------------------------------------------------------ */

static hedge_State *open_std(void) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FILES;   /* the tests load files (ext.lua, CSV) */
  char err[512];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) { printf("cannot open a state: %s\n", err); exit(1); }
  return H;
}

/* Does msg start with "FILE:LINE:COL: error:", and quote a line with a caret
** under column COL? */
static int located(const char *msg, const char *file, int line, int col) {
  char head[512];
  snprintf(head, sizeof head, "%s:%d:%d: error:", file, line, col);
  if (!msg || strncmp(msg, head, strlen(head)) != 0) return 0;
  const char *nl = strchr(msg, '\n');
  if (!nl) return 0;
  const char *caret_line = strchr(nl + 1, '\n');   /* line 2 quotes the source, line 3 has the caret */
  if (!caret_line) return 0;
  caret_line++;
  const char *caret = strchr(caret_line, '^');
  if (!caret) return 0;
  /* the caret sits under column col of the quoted line (both indented alike) */
  const char *quoted = nl + 1;
  size_t indent = strspn(quoted, " ");
  return (size_t)(caret - caret_line) == indent + (size_t)col - 1;
}

/* A small JSON syntax checker: returns 1 when s is one complete JSON value. */
static const char *js_ws(const char *p) { while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++; return p; }
static const char *js_value(const char *p, int depth);
static const char *js_string(const char *p) {
  if (*p != '"') return NULL;
  for (p++; *p && *p != '"'; p++) {
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (int i = 1; i <= 4; i++) if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL;
        p += 4;
      } else if (!*p || !strchr("\"\\/bfnrt", *p)) return NULL;
    }
  }
  return *p == '"' ? p + 1 : NULL;
}
static const char *js_number(const char *p) {
  const char *s = p;
  if (*p == '-') p++;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
  else return NULL;
  if (*p == '.') { p++; if (!(*p >= '0' && *p <= '9')) return NULL; while (*p >= '0' && *p <= '9') p++; }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!(*p >= '0' && *p <= '9')) return NULL;
    while (*p >= '0' && *p <= '9') p++;
  }
  return p > s ? p : NULL;
}
static const char *js_value(const char *p, int depth) {
  if (depth > 64) return NULL;
  p = js_ws(p);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = js_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (obj) {
        p = js_string(js_ws(p));
        if (!p) return NULL;
        p = js_ws(p);
        if (*p++ != ':') return NULL;
      }
      p = js_value(p, depth + 1);
      if (!p) return NULL;
      p = js_ws(p);
      if (*p == ',') { p++; continue; }
      if (*p == close) return p + 1;
      return NULL;
    }
  }
  if (*p == '"') return js_string(p);
  if (!strncmp(p, "true", 4)) return p + 4;
  if (!strncmp(p, "false", 5)) return p + 5;
  if (!strncmp(p, "null", 4)) return p + 4;
  return js_number(p);
}
static int json_ok(const char *s) {
  if (!s) return 0;
  const char *e = js_value(s, 0);
  return e && *js_ws(e) == 0;
}

/* ---- print hook --------------------------------------------------------------- */

typedef struct Printed { char text[1024]; size_t n; int calls; } Printed;
static void print_hook(void *ud, const char *s, size_t n) {
  Printed *p = ud;
  if (p->n + n < sizeof p->text) { memcpy(p->text + p->n, s, n); p->n += n; p->text[p->n] = 0; }
  p->calls++;
}

/* ---- host functions ------------------------------------------------------------ */

static int host_calls;

/* scale(x, factor): x * factor, factor 1 when not given; keeps x's unit. */
static int host_scale(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  host_calls += ud == &host_calls;
  if (nargs != 2) { snprintf(errbuf, errlen, "expected 2 parameters, got %d", nargs); return 1; }
  double factor = 1;
  if (args[1].kind == HEDGE_VNUMBER) factor = args[1].number;
  else if (args[1].kind != HEDGE_VNIL) { snprintf(errbuf, errlen, "factor must be a number"); return 1; }
  if (args[0].kind == HEDGE_VNUMBER) { result->kind = HEDGE_VNUMBER; result->number = args[0].number * factor; return 0; }
  if (args[0].kind == HEDGE_VQUANTITY) {
    result->kind = HEDGE_VQUANTITY;
    result->number = args[0].number * factor;   /* in the base unit... */
    result->unit = args[0].unit;                 /* ...which is this one */
    return 0;
  }
  snprintf(errbuf, errlen, "x must be a number or a quantity");
  return 1;
}

/* refuse(why): always fails with a message. */
static int host_refuse(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  (void)ud; (void)result;
  snprintf(errbuf, errlen, "refused: %s", nargs > 0 && args[0].kind == HEDGE_VSTRING ? args[0].text : "no reason");
  return 1;
}

/* money(n): n USD. */
static int host_money(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  (void)ud;
  if (nargs < 1 || args[0].kind != HEDGE_VNUMBER) { snprintf(errbuf, errlen, "money takes a number"); return 1; }
  result->kind = HEDGE_VQUANTITY;
  result->number = args[0].number;
  result->unit = "USD";
  return 0;
}

/* describe(a, b, c, d): the kinds and texts of its arguments, as a string. */
static int host_describe(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  static const char *const kinds[] = {"nil", "bool", "number", "quantity", "string", "date", "entity", "other"};
  char *buf = ud;   /* the host's own buffer: the library copies the result text */
  size_t n = 0;
  buf[0] = 0;
  for (int i = 0; i < nargs; i++) {
    const hedge_Value *a = &args[i];
    if (a->kind < 0 || a->kind > HEDGE_VOTHER) { snprintf(errbuf, errlen, "bad kind"); return 1; }
    n += (size_t)snprintf(buf + n, 512 - n, "%s%s", i ? ";" : "", kinds[a->kind]);
    if (a->kind == HEDGE_VBOOL || a->kind == HEDGE_VNUMBER || a->kind == HEDGE_VQUANTITY)
      n += (size_t)snprintf(buf + n, 512 - n, ":%g", a->number);
    if (a->text) n += (size_t)snprintf(buf + n, 512 - n, ":%s", a->text);
    if (a->unit) n += (size_t)snprintf(buf + n, 512 - n, ":%s", a->unit);
  }
  result->kind = HEDGE_VSTRING;
  result->text = buf;
  return 0;
}

/* badunit(): returns a quantity in a unit hedge does not know. */
static int host_badunit(void *ud, const hedge_Value *args, int nargs, hedge_Value *result, char *errbuf, size_t errlen) {
  (void)ud; (void)args; (void)nargs; (void)errbuf; (void)errlen;
  result->kind = HEDGE_VQUANTITY;
  result->number = 1;
  result->unit = "furlongs";
  return 0;
}

/* ---- the tests ------------------------------------------------------------------- */

static void test_open_close(void) {
  char err[512] = "x";
  /* NULL options: every default, the compiled-in standard library included */
  hedge_State *H = hedge_open(NULL, err, sizeof err);
  if (!CHECK(H != NULL)) { printf("  hedge_open(NULL): %s\n", err); return; }
  CHECK_STR(err, "");
  const char *r = NULL;
  CHECK_INT(hedge_eval(H, "1 + 1", &r), HEDGE_OK);
  CHECK_STR(r, "2");
  CHECK_INT(hedge_eval(H, "hhi([1, 1])", &r), HEDGE_OK);   /* the stdlib is there */
  CHECK_STR(r, "5000");
  CHECK_STR(hedge_errmsg(H), "");
  hedge_close(H);

  /* {0} options: the same defaults */
  hedge_Options o = {0};
  H = hedge_open(&o, NULL, 0);
  CHECK(H != NULL);
  if (H) {
    CHECK_INT(hedge_eval(H, "count(partners)", &r), HEDGE_OK);
    CHECK_STR(r, "0");
    size_t peak = 0;
    size_t used = hedge_memory(H, &peak);
    CHECK(used > 0 && peak >= used);
    hedge_close(H);
  }

  /* a missing standard library: NULL and a message, nothing leaked */
  o.stdlib_dir = "/nonexistent/hedge/stdlib";
  err[0] = 0;
  H = hedge_open(&o, err, sizeof err);
  CHECK(H == NULL);
  CHECK_HAS(err, "/nonexistent/hedge/stdlib");
  hedge_close(H);
  /* too small a memory cap to start */
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FILES;   /* the tests load files (ext.lua, CSV) */
  o.max_memory = 64;
  H = hedge_open(&o, err, sizeof err);
  CHECK(H == NULL);
  CHECK(err[0] != 0);
  hedge_close(H);
  /* a tiny errlen is honoured */
  char small[8];
  memset(small, 'z', sizeof small);
  o.max_memory = 64;
  H = hedge_open(&o, small, 4);
  CHECK(H == NULL && strlen(small) == 3 && small[4] == 'z');

  hedge_close(NULL);   /* allowed */
  CHECK(1);
  CHECK_STR(hedge_errmsg(NULL), "no state");
}

static void test_usage(void) {
  hedge_State *H = open_std();
  const char *r = "x";
  CHECK_INT(hedge_eval(NULL, "1", &r), HEDGE_EUSAGE);
  CHECK_INT(hedge_eval(H, NULL, &r), HEDGE_EUSAGE);
  CHECK_INT(hedge_load_string(H, "x", NULL), HEDGE_EUSAGE);
  CHECK_INT(hedge_load_string(NULL, "x", "1"), HEDGE_EUSAGE);
  CHECK_INT(hedge_load_file(H, NULL), HEDGE_EUSAGE);
  CHECK_INT(hedge_check(NULL, NULL, NULL, NULL), HEDGE_EUSAGE);
  CHECK_INT(hedge_compare(H, NULL, 0, &r), HEDGE_EUSAGE);
  CHECK(r == NULL);
  CHECK_INT(hedge_test(NULL, 0, NULL, NULL, NULL), HEDGE_EUSAGE);
  CHECK_INT(hedge_register(H, "f", "x", NULL, NULL), HEDGE_EUSAGE);
  CHECK_INT(hedge_register(H, NULL, "x", host_money, NULL), HEDGE_EUSAGE);
  CHECK_STR(hedge_output(NULL), "");
  CHECK(hedge_memory(NULL, NULL) == 0);
  hedge_interrupt(NULL);
  hedge_output_clear(NULL);
  hedge_set_limits(NULL, 0, 0, 0);
  hedge_report_free(H, NULL);
  hedge_report_free(NULL, NULL);
  CHECK(hedge_report_json(H, NULL) == NULL);
  CHECK(hedge_report_text(H, NULL, 0) == NULL);
  CHECK_INT(hedge_report_rules(NULL), 0);
  CHECK(hedge_rule_name(NULL, 0) == NULL);
  int p = 9, f = 9, w = 9, e = 9;
  hedge_report_summary(NULL, &p, &f, &w, &e);
  CHECK(p == 0 && f == 0 && w == 0 && e == 0);
  /* still fine */
  CHECK_INT(hedge_eval(H, "1 + 1", &r), HEDGE_OK);
  CHECK_STR(r, "2");
  hedge_close(H);
}

static void test_load_eval(void) {
  hedge_State *H = open_std();
  const char *r = NULL;

  /* load_string: ok, then an error with file:line:col and a caret */
  CHECK_INT(hedge_load_string(H, "good", "partner AAA, BBB\nlet n = 2"), HEDGE_OK);
  CHECK_STR(hedge_errmsg(H), "");
  CHECK_INT(hedge_eval(H, "n * count(partners)", &r), HEDGE_OK);
  CHECK_STR(r, "4");
  CHECK_INT(hedge_load_string(H, "chunk.hedge", "let a = 1\nlet b = a + zzz\n"), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "chunk.hedge", 2, 13));
  CHECK_HAS(hedge_errmsg(H), "unknown name 'zzz'");
  CHECK_HAS(hedge_errmsg(H), "let b = a + zzz");
  /* the chunk was rolled back: `a` is unknown */
  CHECK_INT(hedge_eval(H, "a", &r), HEDGE_ERROR);
  CHECK(r == NULL);
  /* a NULL chunk name is allowed */
  CHECK_INT(hedge_load_string(H, NULL, "let c = "), HEDGE_ERROR);
  CHECK(strchr(hedge_errmsg(H), ':') != NULL);

  /* load_file: an error at a known place */
  CHECK_INT(hedge_load_file(H, "tests/api/bad_name.hedge"), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "tests/api/bad_name.hedge", 4, 9));
  CHECK_HAS(hedge_errmsg(H), "did you mean QQQ?");
  CHECK_HAS(hedge_errmsg(H), "^~~~");
  /* a failing load adds nothing: the partner declared before the error is unknown */
  CHECK_INT(hedge_eval(H, "QQQ", &r), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "<eval>", 1, 1));
  CHECK_HAS(hedge_errmsg(H), "unknown name 'QQQ'");
  CHECK_INT(hedge_eval(H, "count(partners)", &r), HEDGE_OK);
  CHECK_STR(r, "2");
  /* so it can be declared again, and the file's data were not kept half-way */
  CHECK_INT(hedge_load_string(H, "again", "partner QQQ"), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "count(partners)", &r), HEDGE_OK);
  CHECK_STR(r, "3");

  /* a runtime error late in a chunk drops its earlier declarations too */
  CHECK_INT(hedge_load_string(H, "late.hedge",
                              "partner ZZZ\ncommodity tin\n"
                              "deal { exporter: ZZZ, importer: AAA, commodity: tin, value: 1M USD }\n"
                              "let boom = 1 / 0\n"), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "late.hedge", 4, 14));
  CHECK_HAS(hedge_errmsg(H), "division by zero");
  CHECK_INT(hedge_eval(H, "ZZZ", &r), HEDGE_ERROR);
  CHECK_INT(hedge_eval(H, "count(deals) + count(commodities)", &r), HEDGE_OK);
  CHECK_STR(r, "0");

  /* a missing file */
  CHECK_INT(hedge_load_file(H, "tests/api/no_such_file.hedge"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "no_such_file.hedge");

  /* eval: values and their printed forms */
  CHECK_INT(hedge_eval(H, "650 USD/t * 200 t", &r), HEDGE_OK);
  CHECK_STR(r, "130K USD");
  CHECK_STR(hedge_errmsg(H), "");
  CHECK_INT(hedge_eval(H, "[1, \"a\", AAA, 40%, 2025-10]", &r), HEDGE_OK);
  CHECK_STR(r, "[1, \"a\", AAA, 40%, 2025-10]");   /* a percent literal prints as one */
  CHECK_INT(hedge_eval(H, "1 + 1", NULL), HEDGE_OK);   /* result may be NULL */
  /* eval errors */
  CHECK_INT(hedge_eval(H, "1 +", &r), HEDGE_ERROR);
  CHECK(r == NULL);
  CHECK(located(hedge_errmsg(H), "<eval>", 1, 4));
  CHECK_INT(hedge_eval(H, "5 USD + 2 t", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "USD");
  CHECK_HAS(hedge_errmsg(H), "t");
  CHECK_INT(hedge_eval(H, "[1, 2][5]", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "<eval>:1:");
  CHECK_INT(hedge_eval(H, "partner X", &r), HEDGE_ERROR);   /* a declaration is not an expression */
  /* and the state goes on */
  CHECK_INT(hedge_eval(H, "1 + 1", &r), HEDGE_OK);
  CHECK_STR(r, "2");
  CHECK_STR(hedge_errmsg(H), "");
  hedge_close(H);
}

static void test_print(void) {
  /* with a hook: text goes to the hook, hedge_output stays empty */
  Printed pr;
  memset(&pr, 0, sizeof pr);
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = TEST_STDLIB;
  o.capabilities = HEDGE_CAP_FILES;   /* the tests load files (ext.lua, CSV) */
  o.print = print_hook;
  o.print_ud = &pr;
  hedge_State *H = hedge_open(&o, NULL, 0);
  if (!CHECK(H != NULL)) return;
  CHECK_INT(hedge_load_string(H, "p", "print 1 + 2\nprint \"two\" + \" words\""), HEDGE_OK);
  CHECK_STR(pr.text, "3\ntwo words\n");
  CHECK(pr.calls >= 2);
  CHECK_STR(hedge_output(H), "");
  hedge_close(H);

  /* without: collected, readable, clearable */
  H = open_std();
  CHECK_STR(hedge_output(H), "");
  CHECK_INT(hedge_load_file(H, "tests/api/world.hedge"), HEDGE_OK);
  CHECK_STR(hedge_output(H), "world loaded: Pakistan\n");
  CHECK_INT(hedge_load_string(H, "p", "print 650 USD/t * 200 t"), HEDGE_OK);
  CHECK_STR(hedge_output(H), "world loaded: Pakistan\n130K USD\n");
  hedge_output_clear(H);
  CHECK_STR(hedge_output(H), "");
  CHECK_INT(hedge_load_string(H, "p", "print 7"), HEDGE_OK);
  CHECK_STR(hedge_output(H), "7\n");
  hedge_close(H);
}

static void test_check_report(void) {
  hedge_State *H = open_std();
  CHECK_INT(hedge_load_file(H, "tests/api/world.hedge"), HEDGE_OK);
  hedge_Report *rep = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep), HEDGE_FAIL);
  if (!CHECK(rep != NULL)) { hedge_close(H); return; }

  CHECK_INT(hedge_report_rules(rep), 4);
  static const char *const names[] = {"trade_with_everyone", "depend_on_no_one", "small_deals", "positive"};
  static const char *const titles[] = {"Trade with everyone", "Depend on no one", "No deal above 50M USD", NULL};
  static const int lines[] = {23, 27, 32, 35};
  static const int status[] = {HEDGE_FAILED, HEDGE_FAILED, HEDGE_FAILED, HEDGE_PASS};
  static const int ncx[] = {1, 1, 1, 0};
  for (int i = 0; i < 4; i++) {
    CHECK_STR(hedge_rule_name(rep, i), names[i]);
    CHECK_STR(hedge_rule_title(rep, i), titles[i]);
    CHECK_INT(hedge_rule_is_warn(rep, i), i == 2);
    CHECK_INT(hedge_rule_status(rep, i), status[i]);
    CHECK(hedge_rule_error(rep, i) == NULL);
    int line = 0, col = 0;
    CHECK_STR(hedge_rule_location(rep, i, &line, &col), "tests/api/world.hedge");
    CHECK_INT(line, lines[i]);
    CHECK_INT(col, 1);
    CHECK_INT(hedge_rule_counterexamples(rep, i), ncx[i]);
  }
  const char *val = NULL, *unit = "x", *text = NULL;
  double num = 0;
  /* trade_with_everyone: p = VNM, trade(F, p) = 0 USD against 0 */
  CHECK_INT(hedge_cx_bindings(rep, 0, 0), 1);
  CHECK_STR(hedge_cx_binding(rep, 0, 0, 0, &val), "p");
  CHECK_STR(val, "VNM");
  CHECK_INT(hedge_cx_values(rep, 0, 0), 2);
  CHECK_STR(hedge_cx_value(rep, 0, 0, 0, &num, &unit, &text), "trade(F, p)");
  CHECK(num == 0);
  CHECK_STR(unit, "USD");
  CHECK_STR(text, "0 USD");
  CHECK_STR(hedge_cx_value(rep, 0, 0, 1, &num, &unit, &text), "0");
  CHECK(num == 0 && unit == NULL);
  /* depend_on_no_one: c = oil, p = USA, a 70% share against 40% */
  CHECK_INT(hedge_cx_bindings(rep, 1, 0), 2);
  CHECK_STR(hedge_cx_binding(rep, 1, 0, 0, &val), "c");
  CHECK_STR(val, "oil");
  CHECK_STR(hedge_cx_binding(rep, 1, 0, 1, &val), "p");
  CHECK_STR(val, "USA");
  CHECK_INT(hedge_cx_values(rep, 1, 0), 2);
  CHECK_STR(hedge_cx_value(rep, 1, 0, 0, &num, &unit, &text), "import_share(F, p, commodity: c)");
  CHECK(fabs(num - 0.7) < 1e-12);
  CHECK(unit == NULL);
  CHECK_STR(text, "70%");   /* the value's own printed form: a *_share result is a share */
  CHECK_STR(hedge_cx_value(rep, 1, 0, 1, &num, &unit, &text), "40%");
  CHECK(fabs(num - 0.4) < 1e-12);
  /* small_deals (a warn): d = big_oil, 70M USD against 50M USD */
  CHECK_STR(hedge_cx_binding(rep, 2, 0, 0, &val), "d");
  CHECK_STR(val, "big_oil");
  CHECK_STR(hedge_cx_value(rep, 2, 0, 0, &num, &unit, &text), "d.value");
  CHECK(num == 70e6);
  CHECK_STR(unit, "USD");
  CHECK_STR(text, "70M USD");
  CHECK_STR(hedge_cx_value(rep, 2, 0, 1, &num, &unit, &text), "50M USD");
  CHECK(num == 50e6);
  /* out of range: NULL, -1, and nothing written */
  CHECK(hedge_rule_name(rep, 4) == NULL);
  CHECK(hedge_rule_name(rep, -1) == NULL);
  CHECK(hedge_rule_title(rep, 9) == NULL);
  CHECK_INT(hedge_rule_status(rep, 4), -1);
  CHECK_INT(hedge_rule_is_warn(rep, 4), -1);
  CHECK_INT(hedge_rule_counterexamples(rep, 4), -1);
  CHECK(hedge_rule_location(rep, 4, NULL, NULL) == NULL);
  CHECK_INT(hedge_cx_bindings(rep, 3, 0), -1);
  CHECK_INT(hedge_cx_values(rep, 0, 1), -1);
  val = "untouched";
  CHECK(hedge_cx_binding(rep, 0, 0, 1, &val) == NULL);
  CHECK_STR(val, "untouched");
  CHECK(hedge_cx_value(rep, 0, 0, 2, &num, &unit, &text) == NULL);
  CHECK(hedge_cx_value(rep, 0, -1, 0, NULL, NULL, NULL) == NULL);
  /* summary */
  int p = -1, f = -1, w = -1, e = -1;
  hedge_report_summary(rep, &p, &f, &w, &e);
  CHECK(p == 1 && f == 2 && w == 1 && e == 0);
  hedge_report_summary(rep, NULL, NULL, NULL, NULL);

  /* JSON: valid, with the keys of SPEC section 6 */
  const char *json = hedge_report_json(H, rep);
  CHECK(json_ok(json));
  static const char *const keys[] = {
    "\"hedge\": \"0.1.0\"", "\"scenario\": null", "\"rules\"", "\"name\": \"depend_on_no_one\"",
    "\"title\": \"Depend on no one\"", "\"severity\": \"warning\"", "\"severity\": \"error\"",
    "\"status\": \"fail\"", "\"status\": \"pass\"", "\"file\": \"tests/api/world.hedge\"", "\"line\": 27",
    "\"col\": 1", "\"counterexamples\"", "\"bindings\"", "\"c\": \"oil\"", "\"p\": \"USA\"", "\"values\"",
    "\"expr\": \"import_share(F, p, commodity: c)\"", "\"value\": 0.7", "\"unit\": null", "\"unit\": \"USD\"",
    "\"value\": 70000000", "\"error\": null", "\"summary\"", "\"passed\": 1", "\"failed\": 2",
    "\"warnings\": 1", "\"errors\": 0"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) CHECK_HAS(json, keys[i]);

  /* text: the information, with and without colour */
  const char *txt = hedge_report_text(H, rep, 0);
  CHECK_HAS(txt, "trade_with_everyone");
  CHECK_HAS(txt, "Trade with everyone");
  CHECK_HAS(txt, "tests/api/world.hedge:23:1");
  CHECK_HAS(txt, "p = VNM");
  CHECK_HAS(txt, "c = oil, p = USA");
  CHECK_HAS(txt, "70%");
  CHECK_HAS(txt, "40%");
  CHECK_HAS(txt, "d = big_oil");
  CHECK(txt && !strchr(txt, '\033'));
  txt = hedge_report_text(H, rep, 1);
  CHECK(txt && strchr(txt, '\033'));
  CHECK_HAS(txt, "depend_on_no_one");

  /* a report outlives later calls on the state */
  const char *r = NULL;
  CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
  CHECK_STR(hedge_rule_name(rep, 1), "depend_on_no_one");
  hedge_Report *rep2 = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep2), HEDGE_FAIL);
  CHECK_STR(hedge_cx_binding(rep, 1, 0, 1, &val), "p");
  CHECK_STR(val, "USA");
  hedge_report_free(H, rep2);
  hedge_report_free(H, rep);

  /* out may be NULL */
  CHECK_INT(hedge_check(H, NULL, NULL, NULL), HEDGE_FAIL);

  /* only */
  const char *only1[] = {"depend_on_no_one", NULL};
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, only1, &rep), HEDGE_FAIL);
  CHECK_INT(hedge_report_rules(rep), 1);
  CHECK_STR(hedge_rule_name(rep, 0), "depend_on_no_one");
  hedge_report_free(H, rep);
  const char *only2[] = {"positive", "small_deals", NULL};
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, only2, &rep), HEDGE_OK);   /* a failed warn does not fail */
  CHECK_INT(hedge_report_rules(rep), 2);
  hedge_report_summary(rep, &p, &f, &w, &e);
  CHECK(p == 1 && f == 0 && w == 1 && e == 0);
  hedge_report_free(H, rep);
  const char *only3[] = {"depend_on_noone", NULL};
  rep = (hedge_Report *)1;
  CHECK_INT(hedge_check(H, NULL, only3, &rep), HEDGE_ERROR);
  CHECK(rep == NULL);
  CHECK_HAS(hedge_errmsg(H), "unknown rule 'depend_on_noone' (did you mean depend_on_no_one?)");
  const char *none[] = {NULL};
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, none, &rep), HEDGE_OK);   /* an empty list: no rule */
  CHECK_INT(hedge_report_rules(rep), 0);
  hedge_report_free(H, rep);

  /* explain: the same failures, with more values */
  rep = NULL;
  CHECK_INT(hedge_check_ex(H, NULL, only1, 1, &rep), HEDGE_FAIL);
  CHECK_INT(hedge_rule_counterexamples(rep, 0), 1);
  CHECK_INT(hedge_cx_values(rep, 0, 0), 2);
  json = hedge_report_json(H, rep);
  CHECK(json_ok(json));
  CHECK_HAS(json, "\"explain\"");
  CHECK_HAS(json, "F = PAK");   /* a sub-expression's value */
  CHECK(strlen(hedge_report_text(H, rep, 0)) > 0);
  hedge_report_free(H, rep);

  /* a rule with status error: HEDGE_ERROR, and the report is still there */
  CHECK_INT(hedge_load_string(H, "err.hedge", "rule broken \"Breaks\":\n  forall d in deals: d.value / 0 USD > 1"), HEDGE_OK);
  const char *only4[] = {"broken", "positive", NULL};
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, only4, &rep), HEDGE_ERROR);
  if (CHECK(rep != NULL)) {
    /* rules come in declaration order, whatever the order of `only` */
    CHECK_STR(hedge_rule_name(rep, 0), "positive");
    CHECK_INT(hedge_rule_status(rep, 0), HEDGE_PASS);
    CHECK_STR(hedge_rule_name(rep, 1), "broken");
    CHECK_INT(hedge_rule_status(rep, 1), HEDGE_ERRORED);
    CHECK_HAS(hedge_rule_error(rep, 1), "division by zero");
    CHECK_HAS(hedge_rule_error(rep, 1), "err.hedge:2:");
    CHECK_INT(hedge_rule_counterexamples(rep, 1), 0);
    hedge_report_summary(rep, &p, &f, &w, &e);
    CHECK(p == 1 && f == 0 && w == 0 && e == 1);
    json = hedge_report_json(H, rep);
    CHECK(json_ok(json));
    CHECK_HAS(json, "\"status\": \"error\"");
    CHECK_HAS(json, "division by zero");
  }
  hedge_report_free(H, rep);
  /* reports the host does not free are freed by hedge_close (ASan would
  ** report them otherwise) */
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep), HEDGE_ERROR);
  hedge_Report *rep3 = NULL;
  CHECK_INT(hedge_check(H, NULL, only1, &rep3), HEDGE_FAIL);
  CHECK(rep && rep3);
  hedge_report_free(H, rep);   /* one freed, one left for hedge_close */
  hedge_close(H);
}

static void test_scenario_compare_test(void) {
  hedge_State *H = open_std();
  CHECK_INT(hedge_load_file(H, "tests/api/world.hedge"), HEDGE_OK);
  const char *r = NULL;
  hedge_Report *rep = NULL;
  CHECK_INT(hedge_check(H, "no_usa", NULL, &rep), HEDGE_FAIL);
  if (CHECK(rep != NULL)) {
    CHECK_INT(hedge_report_rules(rep), 4);
    CHECK_INT(hedge_rule_counterexamples(rep, 0), 2);
    const char *v1 = NULL, *v2 = NULL;
    hedge_cx_binding(rep, 0, 0, 0, &v1);
    hedge_cx_binding(rep, 0, 1, 0, &v2);
    CHECK_STR(v1, "USA");
    CHECK_STR(v2, "VNM");
    CHECK_INT(hedge_rule_counterexamples(rep, 1), 1);
    hedge_cx_binding(rep, 1, 0, 1, &v1);
    CHECK_STR(v1, "CHN");
    double num = 0;
    hedge_cx_value(rep, 1, 0, 0, &num, NULL, NULL);
    CHECK(num == 1);
    CHECK_INT(hedge_rule_status(rep, 2), HEDGE_PASS);
    int p, f, w, e;
    hedge_report_summary(rep, &p, &f, &w, &e);
    CHECK(p == 2 && f == 2 && w == 0 && e == 0);
    const char *json = hedge_report_json(H, rep);
    CHECK(json_ok(json));
    CHECK_HAS(json, "\"scenario\": \"no_usa\"");
    CHECK_HAS(hedge_report_text(H, rep, 0), "no_usa");
  }
  hedge_report_free(H, rep);
  /* the base world is as it was */
  CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
  CHECK_STR(r, "3");
  CHECK_INT(hedge_eval(H, "imports(PAK, from: USA)", &r), HEDGE_OK);
  CHECK_STR(r, "70M USD");
  rep = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep), HEDGE_FAIL);
  CHECK_INT(hedge_rule_counterexamples(rep, 0), 1);
  CHECK_INT(hedge_rule_status(rep, 2), HEDGE_FAILED);
  hedge_report_free(H, rep);
  /* an unknown scenario */
  rep = NULL;
  CHECK_INT(hedge_check(H, "no_us", NULL, &rep), HEDGE_ERROR);
  CHECK(rep == NULL);
  CHECK_HAS(hedge_errmsg(H), "unknown scenario 'no_us' (did you mean no_usa?)");

  /* compare: text and JSON */
  const char *text = NULL;
  CHECK_INT(hedge_compare(H, "no_usa", 0, &text), HEDGE_FAIL);
  CHECK_HAS(text, "no_usa");
  CHECK_HAS(text, "small_deals");
  CHECK_HAS(text, "p = USA");
  CHECK_HAS(text, "c = oil, p = CHN");
  text = NULL;
  CHECK_INT(hedge_compare(H, "no_usa", 1, &text), HEDGE_FAIL);
  CHECK(json_ok(text));
  CHECK_HAS(text, "\"scenario\": \"no_usa\"");
  CHECK_HAS(text, "\"appeared\"");
  CHECK_HAS(text, "\"vanished\"");
  text = "x";
  CHECK_INT(hedge_compare(H, "nope", 0, &text), HEDGE_ERROR);
  CHECK(text == NULL);
  CHECK_HAS(hedge_errmsg(H), "unknown scenario 'nope'");
  CHECK_INT(hedge_compare(H, "no_usa", 0, NULL), HEDGE_FAIL);
  /* compare_full: every binding evaluated again in the scenario's world,
  ** the same text as keeping the base results of the others */
  {
    char keep[4][4096];
    for (int json = 0; json < 2; json++) {
      text = NULL;
      CHECK_INT(hedge_compare(H, "no_usa", json, &text), HEDGE_FAIL);
      snprintf(keep[json], sizeof keep[json], "%s", text ? text : "");
    }
    hedge_Options o;
    memset(&o, 0, sizeof o);
    o.stdlib_dir = TEST_STDLIB;
    o.capabilities = HEDGE_CAP_FILES;
    o.compare_full = 1;
    char err[512];
    hedge_State *F = hedge_open(&o, err, sizeof err);
    if (CHECK(F != NULL)) {
      CHECK_INT(hedge_load_file(F, "tests/api/world.hedge"), HEDGE_OK);
      for (int json = 0; json < 2; json++) {
        text = NULL;
        CHECK_INT(hedge_compare(F, "no_usa", json, &text), HEDGE_FAIL);
        CHECK(text && strlen(text) < sizeof keep[json] && !strcmp(text, keep[json]));
      }
      hedge_close(F);
    }
  }

  /* tests: one passes, one fails on purpose */
  int passed = -1, failed = -1;
  text = NULL;
  CHECK_INT(hedge_test(H, 0, &text, &passed, &failed), HEDGE_FAIL);
  CHECK(passed == 1 && failed == 1);
  CHECK(text && strlen(text) > 19 && !strcmp(text + strlen(text) - 19, "1 passed, 1 failed\n"));
  CHECK_HAS(text, "this one fails on purpose");
  CHECK_HAS(text, "tests/api/world.hedge:49:3");
  text = NULL;
  CHECK_INT(hedge_test(H, 1, &text, NULL, NULL), HEDGE_FAIL);
  CHECK(json_ok(text));
  CHECK_HAS(text, "\"passed\": 1");
  /* each test ran on a copy: the world is unchanged */
  CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
  CHECK_STR(r, "3");
  hedge_close(H);

  /* a state with no tests */
  H = open_std();
  CHECK_INT(hedge_test(H, 0, &text, &passed, &failed), HEDGE_OK);
  CHECK(passed == 0 && failed == 0);
  CHECK_HAS(text, "0 passed, 0 failed");
  hedge_close(H);
}

static void test_register(void) {
  hedge_State *H = open_std();
  const char *r = NULL;
  char descr[512];
  host_calls = 0;
  CHECK_INT(hedge_register(H, "scale", "x, factor", host_scale, &host_calls), HEDGE_OK);
  CHECK_INT(hedge_register(H, "refuse", "why", host_refuse, NULL), HEDGE_OK);
  CHECK_INT(hedge_register(H, "money", "n", host_money, NULL), HEDGE_OK);
  CHECK_INT(hedge_register(H, "describe", "a,b , c,d", host_describe, descr), HEDGE_OK);
  CHECK_INT(hedge_register(H, "badunit", "", host_badunit, NULL), HEDGE_OK);
  CHECK_INT(hedge_register(H, "noparams", NULL, host_badunit, NULL), HEDGE_OK);
  /* bad names */
  CHECK_INT(hedge_register(H, "2fast", "x", host_money, NULL), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "not a valid name");
  CHECK_INT(hedge_register(H, "", "x", host_money, NULL), HEDGE_ERROR);
  CHECK_INT(hedge_register(H, "a-b", "x", host_money, NULL), HEDGE_ERROR);

  /* named parameters */
  CHECK_INT(hedge_eval(H, "scale(2, factor: 3)", &r), HEDGE_OK);
  CHECK_STR(r, "6");
  CHECK_INT(hedge_eval(H, "scale(factor: 4, x: 5)", &r), HEDGE_OK);
  CHECK_STR(r, "20");
  CHECK_INT(hedge_eval(H, "scale(2, 5)", &r), HEDGE_OK);
  CHECK_STR(r, "10");
  CHECK_INT(hedge_eval(H, "scale(7)", &r), HEDGE_OK);   /* factor not given: nil, the host's default */
  CHECK_STR(r, "7");
  CHECK(host_calls == 4);   /* ud arrived */
  CHECK_INT(hedge_eval(H, "scale(2 USD, factor: 3)", &r), HEDGE_OK);
  CHECK_STR(r, "6 USD");
  CHECK_INT(hedge_eval(H, "scale(2, 3, 4)", &r), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "<eval>", 1, 1));
  CHECK_INT(hedge_eval(H, "scale(2, fctor: 3)", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "fctor");
  /* an error from the host: located, with its message */
  CHECK_INT(hedge_eval(H, "1 + refuse(\"too risky\")", &r), HEDGE_ERROR);
  CHECK(r == NULL);
  CHECK(located(hedge_errmsg(H), "<eval>", 1, 5));
  CHECK_HAS(hedge_errmsg(H), "refuse: refused: too risky");
  CHECK_INT(hedge_eval(H, "scale(\"x\")", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "x must be a number or a quantity");
  /* a quantity back, in USD */
  CHECK_INT(hedge_eval(H, "money(5M) + 1M USD", &r), HEDGE_OK);
  CHECK_STR(r, "6M USD");
  CHECK_INT(hedge_eval(H, "money(5) + 1 t", &r), HEDGE_ERROR);
  CHECK_INT(hedge_eval(H, "badunit()", &r), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "furlongs");
  CHECK_INT(hedge_eval(H, "noparams(1)", &r), HEDGE_ERROR);
  /* what the host sees of each kind */
  CHECK_INT(hedge_load_string(H, "w", "partner PAK\nunit PKR = 0.0036 USD"), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "describe(PAK, 2025-10-03, 1000 PKR, d: true)", &r), HEDGE_OK);
  CHECK_STR(r, "\"entity:PAK;date:2025-10-03;quantity:3.6:USD;bool:1\"");
  CHECK_INT(hedge_eval(H, "describe(\"s\", 1.5, nil, [1, 2])", &r), HEDGE_OK);
  CHECK_STR(r, "\"string:s;number:1.5;nil;other:[1, 2]\"");
  /* host functions in rules, and as comprehension arguments of aggregates */
  CHECK_INT(hedge_load_string(H, "h", "rule host_rule: scale(2, factor: 3) == 6\n"
                                      "rule host_fail: forall x in [1, 2, 3]: scale(x, factor: 2) < 5"), HEDGE_OK);
  hedge_Report *rep = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &rep), HEDGE_FAIL);
  CHECK_INT(hedge_rule_status(rep, 0), HEDGE_PASS);
  CHECK_INT(hedge_rule_counterexamples(rep, 1), 1);
  const char *val = NULL;
  hedge_cx_binding(rep, 1, 0, 0, &val);
  CHECK_STR(val, "3");
  hedge_report_free(H, rep);
  CHECK_INT(hedge_eval(H, "sum(x in [1, 2]: scale(x, factor: 10))", &r), HEDGE_OK);
  CHECK_STR(r, "30");
  /* registering again replaces (or is refused) but never breaks the state */
  int st = hedge_register(H, "scale", "x", host_money, NULL);
  CHECK(st == HEDGE_OK || st == HEDGE_ERROR);
  CHECK_INT(hedge_eval(H, "1 + 1", &r), HEDGE_OK);
  CHECK_STR(r, "2");
  hedge_close(H);
}

/* Issue 10 through the API: vacuous rules, load-time warnings (and strict),
** figures under a scenario, and replaced functions in the report. */
static void test_no_silent_wrong_answer(void) {
  hedge_State *H = open_std();
  CHECK_INT(hedge_load_string(H, "w.hedge",
    "partner PAK, USA\ncommodity goods, lng\n"
    "deal { exporter: PAK, importer: USA, commodity: goods, value: 10M USD, date: 2025 }\n"
    "print exports(PAK)\n"
    "rule lng_ok: forall p in partners: import_share(PAK, p, commodity: lng) <= 40%\n"
    "rule forty: export_share(PAK, USA) <= 40\n"
    "scenario half { update d in deals { value: d.value / 2 } }\n"), HEDGE_OK);
  CHECK_HAS(hedge_warnings(H), "w.hedge:6:39: warning: export_share(PAK, USA) is a ratio");
  CHECK_STR(hedge_warnings(H), "");              /* read once: cleared */
  hedge_Report *r = NULL;
  CHECK_INT(hedge_check(H, NULL, NULL, &r), HEDGE_OK);   /* vacuous and a pass: not a failure */
  CHECK_INT(hedge_report_vacuous(r), 1);
  CHECK_INT(hedge_rule_status(r, 0), HEDGE_VACUOUS);
  CHECK_HAS(hedge_rule_vacuous_reason(r, 0), "import_share: the total of imports is 0");
  CHECK(hedge_rule_vacuous_reason(r, 1) == NULL);
  CHECK_HAS(hedge_report_json(H, r), "\"status\": \"vacuous\"");
  CHECK_HAS(hedge_report_text(H, r, 0), "1 vacuous");
  hedge_report_free(H, r);
  const char *out = NULL;
  CHECK_INT(hedge_eval_scenario(H, "half", "exports(PAK)", &out), HEDGE_OK);
  CHECK_STR(out, "5M USD");
  CHECK_INT(hedge_eval(H, "exports(PAK)", &out), HEDGE_OK);   /* rolled back */
  CHECK_STR(out, "10M USD");
  CHECK_INT(hedge_eval_scenario(H, "nope", "1", &out), HEDGE_ERROR);
  CHECK(out == NULL);
  CHECK_INT(hedge_print_count(H), 1);
  int n = -1;
  hedge_output_clear(H);
  CHECK_INT(hedge_print_scenario(H, "half", &n), HEDGE_OK);
  CHECK_INT(n, 1);
  CHECK_HAS(hedge_output(H), "== print under scenario half ==\n5M USD\n");
  hedge_close(H);

  /* strict: the warning is an error, and the load adds nothing */
  H = open_std();
  hedge_set_strict(H, 1);
  CHECK_INT(hedge_load_string(H, "s.hedge", "partner A, B\nrule r: export_share(A, B) <= 40\n"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "s.hedge:2:31: error:");
  CHECK_HAS(hedge_errmsg(H), "did you mean 40%?");
  CHECK_INT(hedge_eval(H, "count(partners)", &out), HEDGE_OK);
  CHECK_STR(out, "0");
  /* a standard function is not silently shadowed */
  CHECK_INT(hedge_load_string(H, "f.hedge", "fn imports(x) = 0\n"), HEDGE_ERROR);
  CHECK_HAS(hedge_errmsg(H), "'imports' is already declared");
  hedge_close(H);
}

/* Plain declarations run as a file is read (exec.c, "a file, run as it is
** read"): a load that fails afterwards, by a syntax error further down or by
** one of them, still leaves nothing behind, and reports the error a parse of
** the whole file before running it would. */
static void test_streamed_decls(void) {
  hedge_State *H = open_std();
  const char *r = NULL;
  CHECK_INT(hedge_load_string(H, "base", "partner AAA, BBB\ncommodity oil"), HEDGE_OK);
  /* run as read, then a syntax error: all undone */
  CHECK_INT(hedge_load_string(H, "s.hedge",
    "partner CCC\n"
    "deal { exporter: AAA, importer: BBB, commodity: oil, value: 1 USD, date: 2025-01 }\n"
    "deal { exporter: AAA, importer: CCC, commodity: oil, value: 2 USD, date: 2025-02 }\n"
    "let x = 1 +* 2\n"), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "s.hedge", 4, 12));
  CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
  CHECK_STR(r, "0");
  CHECK_INT(hedge_eval(H, "CCC", &r), HEDGE_ERROR);
  /* a deal that fails, then a syntax error: the syntax error is the one reported */
  CHECK_INT(hedge_load_string(H, "f.hedge",
    "deal { exporter: AAA, importer: ZZZ, commodity: oil, value: 1 USD }\n"
    "let y = )\n"), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "f.hedge", 2, 9));
  /* a deal that fails with no syntax error: its error; the deal after it never ran */
  CHECK_INT(hedge_load_string(H, "g.hedge",
    "deal { exporter: AAA, importer: BBB, commodity: oil, value: 1 USD }\n"
    "deal { exporter: AAA, importer: AAA, commodity: oil, value: 1 USD }\n"
    "deal { exporter: AAA, importer: ZZZ, commodity: oil, value: 1 USD }\n"), HEDGE_ERROR);
  CHECK(located(hedge_errmsg(H), "g.hedge", 2, 1));
  CHECK_HAS(hedge_errmsg(H), "exporter and importer must differ");
  CHECK_INT(hedge_eval(H, "count(deals)", &r), HEDGE_OK);
  CHECK_STR(r, "0");
  /* and the state is sound: the same deals load once fixed */
  CHECK_INT(hedge_load_string(H, "ok.hedge",
    "deal { exporter: AAA, importer: BBB, commodity: oil, value: 1 USD }\n"
    "deal { exporter: BBB, importer: AAA, commodity: oil, value: 2 USD }\n"), HEDGE_OK);
  CHECK_INT(hedge_eval(H, "sum(d in deals: d.value)", &r), HEDGE_OK);
  CHECK_STR(r, "3 USD");
  hedge_close(H);
}

int main(void) {
  test_no_silent_wrong_answer();
  test_open_close();
  test_usage();
  test_load_eval();
  test_streamed_decls();
  test_print();
  test_check_report();
  test_scenario_compare_test();
  test_register();
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
