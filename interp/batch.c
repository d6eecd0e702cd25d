/*
** batch.c: batch mode for engines (`hedge batch`, hedge_batch_line()). The
** files are loaded once; each input line names a scenario, or carries the
** text of one, and gets one output line: the JSON report of the check under
** that scenario, the same document `hedge check --format json --scenario
** NAME` prints (on one line), or an error. Every line starts from the same
** world: a scenario's changes and a text's declarations are rolled back.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "ast.h"
#include "report.h"
#include "scenario.h"
#include "outputs.h"

void batch_json_one_line(H *h, Buf *out, const char *s) {
  int in_str = 0;
  for (const char *p = s; *p; p++) {
    char c = *p;
    if (in_str) {
      buf_putc(h, out, c);
      if (c == '\\' && p[1]) buf_putc(h, out, *++p);
      else if (c == '"') in_str = 0;
      continue;
    }
    if (c == '"') { in_str = 1; buf_putc(h, out, c); continue; }
    if (c == '\n' || c == '\r') {
      while (p[1] == ' ') p++;   /* the indentation after a newline */
      continue;
    }
    buf_putc(h, out, c);
  }
}

/* ---- one input line: a small JSON reader ------------------------------------------ */

typedef struct In {
  const char *s, *p;
  const char *id; size_t idlen;     /* raw JSON of "id", or NULL */
  int has_scenario, scenario_null;
  Buf scenario, text, key;          /* decoded strings */
  int has_text;
  char why[200];
} In;

static void skip_ws(In *in) { while (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r') in->p++; }

static int fail(In *in, const char *msg) {
  snprintf(in->why, sizeof in->why, "%s (at character %d)", msg, (int)(in->p - in->s) + 1);
  return 0;
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A JSON string at in->p, decoded into out (out may be NULL: skipped). */
static int read_string(H *h, In *in, Buf *out) {
  if (*in->p != '"') return fail(in, "expected a string");
  in->p++;
  while (*in->p != '"') {
    unsigned char c = (unsigned char)*in->p;
    if (!c) return fail(in, "unterminated string");
    if (c < 32) return fail(in, "control character in a string");
    if (c != '\\') { if (out) buf_putc(h, out, (char)c); in->p++; continue; }
    char e = in->p[1];
    in->p += 2;
    switch (e) {
      case '"': case '\\': case '/': if (out) buf_putc(h, out, e); break;
      case 'n': if (out) buf_putc(h, out, '\n'); break;
      case 't': if (out) buf_putc(h, out, '\t'); break;
      case 'r': if (out) buf_putc(h, out, '\r'); break;
      case 'b': if (out) buf_putc(h, out, '\b'); break;
      case 'f': if (out) buf_putc(h, out, '\f'); break;
      case 'u': {
        unsigned cp = 0;
        for (int k = 0; k < 4; k++) {
          int v = hexval(in->p[k]);
          if (v < 0) return fail(in, "bad \\u escape");
          cp = cp * 16 + (unsigned)v;
        }
        in->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && in->p[0] == '\\' && in->p[1] == 'u') {
          unsigned lo = 0;
          for (int k = 0; k < 4; k++) {
            int v = hexval(in->p[2 + k]);
            if (v < 0) return fail(in, "bad \\u escape");
            lo = lo * 16 + (unsigned)v;
          }
          if (lo < 0xDC00 || lo > 0xDFFF) return fail(in, "bad surrogate pair");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          in->p += 6;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) return fail(in, "lone surrogate in \\u escape");
        if (!cp) return fail(in, "NUL character in a string");
        if (out) {
          char u[4];
          int n;
          if (cp < 0x80) { u[0] = (char)cp; n = 1; }
          else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
          else if (cp < 0x10000) { u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | (cp >> 6 & 63)); u[2] = (char)(0x80 | (cp & 63)); n = 3; }
          else { u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | (cp >> 12 & 63)); u[2] = (char)(0x80 | (cp >> 6 & 63)); u[3] = (char)(0x80 | (cp & 63)); n = 4; }
          buf_put(h, out, u, (size_t)n);
        }
        break;
      }
      default: return fail(in, "bad escape in a string");
    }
  }
  in->p++;
  return 1;
}

/* Skips any JSON value (for "id"); depth-limited. */
static int skip_value(H *h, In *in, int depth) {
  skip_ws(in);
  if (depth > 64) return fail(in, "nested too deeply");
  char c = *in->p;
  if (c == '"') return read_string(h, in, NULL);
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    in->p++;
    skip_ws(in);
    if (*in->p == close) { in->p++; return 1; }
    for (;;) {
      if (c == '{') {
        skip_ws(in);
        if (!read_string(h, in, NULL)) return 0;
        skip_ws(in);
        if (*in->p != ':') return fail(in, "expected ':'");
        in->p++;
      }
      if (!skip_value(h, in, depth + 1)) return 0;
      skip_ws(in);
      if (*in->p == ',') { in->p++; continue; }
      if (*in->p == close) { in->p++; return 1; }
      return fail(in, "expected ',' or a closing bracket");
    }
  }
  if (!strncmp(in->p, "true", 4)) { in->p += 4; return 1; }
  if (!strncmp(in->p, "false", 5)) { in->p += 5; return 1; }
  if (!strncmp(in->p, "null", 4)) { in->p += 4; return 1; }
  if (c == '-' || (c >= '0' && c <= '9')) {
    char *end;
    strtod(in->p, &end);
    if (end == in->p) return fail(in, "bad number");
    in->p = end;
    return 1;
  }
  return fail(in, "expected a JSON value");
}

static int read_line(H *h, In *in) {
  skip_ws(in);
  if (*in->p != '{') return fail(in, "each line must be a JSON object such as {\"id\": 1, \"scenario\": \"NAME\"}");
  in->p++;
  skip_ws(in);
  if (*in->p == '}') in->p++;
  else for (;;) {
    skip_ws(in);
    Buf *key = &in->key;
    key->n = 0;
    int ok = read_string(h, in, key);
    const char *k = ok ? buf_cstr(h, key) : "";
    char kname[16];
    snprintf(kname, sizeof kname, "%s", k);
    int known = ok && (!strcmp(k, "id") || !strcmp(k, "scenario") || !strcmp(k, "text"));
    int klen = ok ? (int)key->n : 0;
    if (!ok) return 0;
    if (!known) {
      snprintf(in->why, sizeof in->why, "unknown key \"%.*s\": a line has \"id\" and \"scenario\" (a name or null) or \"text\"",
               klen > 40 ? 40 : klen, kname);
      return 0;
    }
    skip_ws(in);
    if (*in->p != ':') return fail(in, "expected ':'");
    in->p++;
    skip_ws(in);
    if (!strcmp(kname, "id")) {
      const char *start = in->p;
      if (!skip_value(h, in, 0)) return 0;
      in->id = start;
      in->idlen = (size_t)(in->p - start);
    } else if (!strcmp(kname, "scenario")) {
      in->has_scenario = 1;
      in->scenario.n = 0;
      if (!strncmp(in->p, "null", 4)) { in->p += 4; in->scenario_null = 1; }
      else { in->scenario_null = 0; if (!read_string(h, in, &in->scenario)) return 0; }
    } else {
      in->has_text = 1;
      in->text.n = 0;
      if (!read_string(h, in, &in->text)) return 0;
    }
    skip_ws(in);
    if (*in->p == ',') { in->p++; continue; }
    if (*in->p == '}') { in->p++; break; }
    return fail(in, "expected ',' or '}'");
  }
  skip_ws(in);
  if (*in->p) return fail(in, "text after the JSON object");
  if (in->has_scenario == in->has_text)
    return snprintf(in->why, sizeof in->why, "%s", in->has_text ? "give either \"scenario\" or \"text\", not both"
                    : "a line needs \"scenario\" (a name, or null for the base world) or \"text\""), 0;
  return 1;
}

/* ---- the check ------------------------------------------------------------------------ */

typedef struct BatchRun { In *in; Report *report; int stop; } BatchRun;

static void batch_check(H *h, void *ud) {
  BatchRun *c = ud;
  In *in = c->in;
  exec_finish_load(h);
  ProgMark pm = prog_mark(h);
  const char *name = NULL;
  if (in->has_text) {
    uint32_t before = h->prog->scenarios.n;
    int src = prog_source_add_string(h, "<batch>", in->text.p ? in->text.p : "", in->text.n);
    NodeList stmts = {0};
    parse_program(h, src, &stmts, NULL);
    for (uint32_t i = 0; i < stmts.n; i++) exec_statement(h, stmts.p[i]);
    exec_finish_load(h);
    if (h->prog->scenarios.n == before)
      hx_error_at(h, (Loc){-1, 0, 0}, "the text declares no scenario (write \"scenario NAME { ... }\")");
    name = h->prog->scenarios.p[h->prog->scenarios.n - 1].name->s;
  } else if (!in->scenario_null) name = buf_cstr(h, &in->scenario);
  if (name) {
    Scenario *sc = prog_scenario_need(h, name);
    ProgMark sm = prog_mark(h);
    h->world->logging++;
    scenario_apply(h, sc, (Loc){-1, 0, 0});
    c->report = rules_check(h, NULL, 0, name, 0);
    prog_rollback(h, sm);
  } else c->report = rules_check(h, NULL, 0, NULL, 0);
  int s = h->err_status;
  if (s == HEDGE_EINTERRUPT || s == HEDGE_ELIMIT || s == HEDGE_EMEMORY) c->stop = s;
  prog_rollback(h, pm);   /* the text's declarations go too */
}

/* Reading the line allocates (decoded strings): under a boundary. */
typedef struct ParseRun { In *in; int ok; } ParseRun;
static void parse_body(H *h, void *ud) { ParseRun *p = ud; p->ok = read_line(h, p->in); }

typedef struct BatchOut { In *in; Report *report; const char *error; } BatchOut;

static void write_id(H *h, Buf *b, In *in) {
  buf_puts(h, b, "{\"id\": ");
  if (in->id) buf_put(h, b, in->id, in->idlen);
  else buf_puts(h, b, "null");
}

static void batch_write(H *h, void *ud) {
  BatchOut *o = ud;
  Buf *b = &h->result;
  b->n = 0;
  write_id(h, b, o->in);
  if (o->report) {
    buf_puts(h, b, ", \"report\": ");
    batch_json_one_line(h, b, report_json(h, o->report));
    /* the document ends with a newline; the line does not */
    while (b->n && b->p[b->n - 1] == ' ') b->n--;
  } else {
    buf_puts(h, b, ", \"error\": ");
    report_json_string(h, b, o->error, strlen(o->error));
  }
  buf_putc(h, b, '}');
  buf_cstr(h, b);
}

int hedge_batch_line(hedge_State *h, const char *line, const char **out) {
  if (out) *out = NULL;
  if (!h || !line) return HEDGE_EUSAGE;
  In in;
  memset(&in, 0, sizeof in);
  in.s = in.p = line;
  ParseRun pr = {&in, 0};
  int pst = hx_pcall(h, parse_body, &pr);
  if (pst != HEDGE_OK) {
    buf_free(h, &in.scenario);
    buf_free(h, &in.text);
    buf_free(h, &in.key);
    h->err_status = pst;   /* hedge_errmsg says what happened */
    return pst;
  }
  int ok = pr.ok;
  int rs;
  BatchOut o = {&in, NULL, NULL};
  BatchRun c = {&in, NULL, 0};
  char msg[1024];
  if (!ok) {
    o.error = in.why;
    rs = HEDGE_ERROR;
  } else {
    int st = api_guarded(h, batch_check, &c);
    if (st != HEDGE_OK) {
      /* the message on one line: "file:line:col: error: ..." without the quote */
      const char *m = hedge_errmsg(h);
      const char *nl = strchr(m, '\n');
      snprintf(msg, sizeof msg, "%.*s", (int)(nl ? nl - m : (long)strlen(m)), m);
      o.error = msg;
      rs = st == HEDGE_FAIL ? HEDGE_ERROR : st;
    } else if (c.stop) {
      /* no partial report: the check did not finish */
      o.error = c.stop == HEDGE_EMEMORY ? "out of memory" : c.stop == HEDGE_ELIMIT ? "a limit was reached" : "interrupted";
      rs = c.stop;
    } else {
      o.report = c.report;
      rs = c.report->errors ? HEDGE_ERROR : c.report->failed ? HEDGE_FAIL : HEDGE_OK;
    }
  }
  int es = h->err_status;
  int st = hx_pcall(h, batch_write, &o);
  report_free(h, c.report);
  buf_free(h, &in.scenario);
  buf_free(h, &in.text);
  buf_free(h, &in.key);
  if (st != HEDGE_OK) { h->err_status = st; return st; }
  h->err_status = c.stop ? c.stop : es;   /* a check stopped by a limit says why */
  if (out) *out = h->result.p;
  return rs;
}
