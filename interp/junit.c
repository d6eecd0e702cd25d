/*
** junit.c: reports and test results as JUnit XML, for CI systems
** (`hedge check --format junit`, `hedge test --format junit`). The shape is
** the common one (Ant's and Jenkins' junit-10.xsd; tests/junit/junit.xsd
** is the schema the tests validate against):
**
**   <testsuites name tests failures errors skipped>
**     <testsuite name tests failures errors skipped time>
**       <testcase name classname file line time>
**         <failure message type>text</failure> | <error ...> | <skipped message/>
**         <system-out>text</system-out>
**
** A check is one suite with a test case per rule: a passing rule is an
** empty case, a failing `rule` a <failure> listing its counterexamples, a
** failing `warn` passes with its counterexamples in <system-out>, a rule
** that could not be evaluated an <error>, a vacuous rule <skipped>.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "outputs.h"

/* Text in XML: the five specials escaped; control characters XML 1.0
** cannot carry become U+FFFD. */
static void xml_text(H *h, Buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '&') buf_puts(h, b, "&amp;");
    else if (c == '<') buf_puts(h, b, "&lt;");
    else if (c == '>') buf_puts(h, b, "&gt;");
    else if (c == '"') buf_puts(h, b, "&quot;");
    else if (c == '\'') buf_puts(h, b, "&apos;");
    else if (c < 32 && c != '\n' && c != '\t' && c != '\r') buf_puts(h, b, "\xEF\xBF\xBD");
    else buf_putc(h, b, (char)c);
  }
}
static void xml_str(H *h, Buf *b, const char *s) { if (s) xml_text(h, b, s, strlen(s)); }

static void suite_head(H *h, Buf *b, const char *name, int tests, int failures, int errors, int skipped) {
  buf_puts(h, b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
  xml_str(h, b, name);
  buf_printf(h, b, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n", tests, failures, errors);
  buf_puts(h, b, "  <testsuite name=\"");
  xml_str(h, b, name);
  buf_printf(h, b, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"0\">\n", tests, failures, errors, skipped);
}

static void suite_tail(H *h, Buf *b) { buf_puts(h, b, "  </testsuite>\n</testsuites>\n"); }

/* The rule's place, then its counterexamples, one per line, as the text
** report shows them. */
static void cx_lines(H *h, Buf *b, Buf *line, RRule *x) {
  line->n = 0;
  buf_printf(h, line, "%s:%d:%d\n", x->file, x->line, x->col);
  xml_text(h, b, line->p, line->n);
  for (uint32_t k = 0; k < x->ncx; k++) {
    Cx *c = &x->cx[k];
    line->n = 0;
    for (int j = 0; j < c->nbind; j++) buf_printf(h, line, "%s%s = %s", j ? ", " : "", c->bind[j].name, c->bind[j].text);
    if (c->nbind) buf_puts(h, line, "    ");
    report_cx_text(h, line, c);
    buf_putc(h, line, '\n');
    xml_text(h, b, line->p, line->n);
  }
}

typedef struct JCtx { Report *r; Buf line; } JCtx;   /* line: scratch, freed by the caller */

static void report_junit_body(H *h, void *ud) {
  Report *r = ((JCtx *)ud)->r;
  Buf *b = &h->result;
  b->n = 0;
  int failures = 0, errors = 0, skipped = 0;
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    if (x->status == HEDGE_ERRORED) errors++;
    else if (x->status == HEDGE_FAILED && !x->warn) failures++;
    else if (x->status != HEDGE_PASS && x->status != HEDGE_FAILED) skipped++;
  }
  char name[300];
  snprintf(name, sizeof name, "hedge check%s%s", r->scenario ? " --scenario " : "", r->scenario ? r->scenario : "");
  suite_head(h, b, name, r->n, failures, errors, skipped);
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    buf_puts(h, b, "    <testcase name=\"");
    xml_str(h, b, x->name);
    buf_puts(h, b, "\" classname=\"");
    xml_str(h, b, x->file);
    buf_puts(h, b, "\" time=\"0\">\n");
    const char *title = x->title ? x->title : x->name;
    if (x->status == HEDGE_PASS) {
      /* nothing to say */
    } else if (x->status == HEDGE_ERRORED) {
      buf_puts(h, b, "      <error type=\"error\" message=\"");
      xml_str(h, b, x->error);
      buf_puts(h, b, "\">");
      xml_str(h, b, x->error_full ? x->error_full : x->error);
      buf_puts(h, b, "</error>\n");
    } else if (x->status == HEDGE_FAILED) {
      if (x->warn) {
        /* a warning passes; what it found goes to the output */
        buf_puts(h, b, "      <system-out>WARN ");
        xml_str(h, b, title);
        buf_printf(h, b, ": %u counterexample%s\n", x->ncx, x->ncx == 1 ? "" : "s");
        cx_lines(h, b, &((JCtx *)ud)->line, x);
        buf_puts(h, b, "</system-out>\n");
      } else {
        buf_puts(h, b, "      <failure type=\"rule\" message=\"");
        xml_str(h, b, title);
        buf_printf(h, b, ": %u counterexample%s\">", x->ncx, x->ncx == 1 ? "" : "s");
        cx_lines(h, b, &((JCtx *)ud)->line, x);
        buf_puts(h, b, "</failure>\n");
      }
    } else {
      /* any other status (vacuous: nothing was checked) is skipped */
      buf_puts(h, b, "      <skipped message=\"");
      xml_str(h, b, title);
      buf_puts(h, b, ": nothing was checked (vacuous)\"/>\n");
    }
    buf_puts(h, b, "    </testcase>\n");
  }
  suite_tail(h, b);
  buf_cstr(h, b);
}

const char *hedge_report_junit(hedge_State *h, hedge_Report *r) {
  if (!h || !r) return "";
  JCtx c = {r, {0}};
  int st = hx_pcall(h, report_junit_body, &c);
  buf_free(h, &c.line);
  if (st != HEDGE_OK) { h->err_status = st; return ""; }   /* hedge_errmsg says why */
  return buf_cstr(h, &h->result);
}

void junit_tests(H *h, Buf *b, TestResults *r) {
  char lb[512];
  b->n = 0;
  suite_head(h, b, "hedge test", r->n, r->failed, 0, 0);
  for (int i = 0; i < r->n; i++) {
    TestResult *t = &r->items[i];
    hx_locstr(h, t->loc, lb, sizeof lb);
    /* "file:line:col" -> classname file, line */
    char file[512];
    snprintf(file, sizeof file, "%s", lb);
    char *colon = strrchr(file, ':');
    if (colon) { *colon = 0; colon = strrchr(file, ':'); if (colon) *colon = 0; }
    buf_puts(h, b, "    <testcase name=\"");
    xml_str(h, b, t->name);
    buf_puts(h, b, "\" classname=\"");
    xml_str(h, b, file);
    buf_printf(h, b, "\" time=\"0\">\n");
    if (!t->passed) {
      buf_puts(h, b, "      <failure type=\"expect\" message=\"");
      /* the first failure line as the message */
      const char *f = t->failures ? t->failures : "failed";
      while (*f == ' ') f++;
      const char *nl = strchr(f, '\n');
      xml_text(h, b, f, nl ? (size_t)(nl - f) : strlen(f));
      buf_puts(h, b, "\">");
      xml_str(h, b, lb);
      buf_puts(h, b, "\n");
      xml_str(h, b, t->failures);
      buf_puts(h, b, "</failure>\n");
    }
    buf_puts(h, b, "    </testcase>\n");
  }
  suite_tail(h, b);
  buf_cstr(h, b);
}
