/*
** report.c: a report: its memory (values copied into its arena), and it
** as text for people (aligned, capped, coloured only when asked) and as the
** JSON of docs/language.md, Rules and checking (complete), repairs and
** margins included, plus the power-assert explanations of --explain and the
** REPL's :why. The lowest module of the checking layer: the checker, the
** repairs and the outputs write into reports and read them.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "eval.h"
#include "report.h"
#include "numfmt.h"
#include "units.h"
#include "utf8.h"

/* ---- the report's memory, and values into it -------------------------------- */

char *report_strdup(H *h, Report *r, const char *s, size_t n) { return arena_strdup(h, &r->arena, s, n); }

void report_json_string(H *h, Buf *b, const char *s, size_t n) {
  buf_putc(h, b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"') buf_puts(h, b, "\\\"");
    else if (c == '\\') buf_puts(h, b, "\\\\");
    else if (c == '\n') buf_puts(h, b, "\\n");
    else if (c == '\t') buf_puts(h, b, "\\t");
    else if (c == '\r') buf_puts(h, b, "\\r");
    else if (c < 32 || c == 127) buf_printf(h, b, "\\u%04x", c);
    else if (c < 0x80) buf_putc(h, b, (char)c);
    else {
      /* JSON is UTF-8: a byte that does not start a valid sequence (from a
      ** Lua or host string) becomes U+FFFD, never a raw byte */
      int k = utf8_seq_len(s + i, n - i);
      if (k == 0) buf_puts(h, b, "\\ufffd");
      else { buf_put(h, b, s + i, (size_t)k); i += (size_t)k - 1; }
    }
  }
  buf_putc(h, b, '"');
}

static void json_value(H *h, Buf *b, Value v) {
  char nb[128];
  switch (v.tag) {
    case T_NIL: buf_puts(h, b, "null"); break;
    case T_BOOL: buf_puts(h, b, v.as.b ? "true" : "false"); break;
    case T_NUM: case T_QTY:
      if (isnan(v.as.num) || isinf(v.as.num)) buf_puts(h, b, "null");
      else v_num_print(b, h, v.as.num);
      break;
    case T_STR: report_json_string(h, b, v.as.str->s, v.as.str->len); break;
    case T_ENT: {
      const char *s = world_name(h, v.kind, (uint32_t)v.i, nb, sizeof nb);
      report_json_string(h, b, s, strlen(s));
      break;
    }
    case T_LIST: case T_COLL: {
      uint32_t n = eval_coll_len(h, v);
      buf_putc(h, b, '[');
      for (uint32_t i = 0; i < n; i++) { if (i) buf_puts(h, b, ", "); json_value(h, b, eval_coll_get(h, v, i)); }
      buf_putc(h, b, ']');
      break;
    }
    case T_REC:
      buf_putc(h, b, '{');
      for (uint32_t i = 0; i < v.as.rec->n; i++) {
        if (i) buf_puts(h, b, ", ");
        report_json_string(h, b, v.as.rec->keys[i]->s, v.as.rec->keys[i]->len);
        buf_puts(h, b, ": ");
        json_value(h, b, v.as.rec->vals[i]);
      }
      buf_putc(h, b, '}');
      break;
    default: {
      size_t len;
      const char *s = v_tostr(h, v, 0, &len);
      report_json_string(h, b, s, len);
    }
  }
}

void report_value_json(H *h, Buf *b, Value v) { json_value(h, b, v); }

/* The JSON of a value, built in a buffer freed even on out of memory. */
typedef struct JsonCtx { Value v; Report *r; Buf b; char *s; } JsonCtx;
static void json_body(H *h, void *ud) {
  JsonCtx *c = ud;
  json_value(h, &c->b, c->v);
  c->s = report_strdup(h, c->r, c->b.p ? c->b.p : "null", c->b.p ? c->b.n : 4);
}

/* Whether report_json_string writes s unchanged between quotes: printable ASCII
** without '"' or '\\'. */
static int json_plain(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 32 || c >= 127 || c == '"' || c == '\\') return 0;
  }
  return 1;
}

/* An entity as report_value writes it: its name, and the name as a JSON
** string. Every binding of a rule over partners or commodities is one, and
** under --compare every binding is recorded: this path writes straight into
** the report's arena, without the buffers and protected calls of v_tostr
** and json_value (same text, same JSON). Returns 0 for a name that JSON
** must escape, which takes the general path. */
static int rep_entity(H *h, Report *r, RValue *out, Value v) {
  char nb[128], jb[128];
  const char *s = h->entities->name(h, v.kind, (uint32_t)v.i, nb, sizeof nb);
  const char *js = world_name(h, v.kind, (uint32_t)v.i, jb, sizeof jb);
  size_t n = strlen(s);
  if (strcmp(s, js) != 0 || !json_plain(s, n)) return 0;
  out->text = report_strdup(h, r, s, n);
  char *j = arena_alloc(h, &r->arena, n + 3);
  j[0] = '"';
  memcpy(j + 1, s, n);
  j[n + 1] = '"';
  j[n + 2] = 0;
  out->json = j;
  out->num = NAN;
  return 1;
}

void report_value(H *h, Report *r, RValue *out, Value v) {
  memset(out, 0, sizeof *out);
  if (v.tag == T_ENT && rep_entity(h, r, out, v)) return;
  size_t len;
  const char *text = v_tostr(h, v, 1, &len);
  out->text = report_strdup(h, r, text, len);
  JsonCtx jc = {v, r, {0}, NULL};
  int st = hx_pcall(h, json_body, &jc);
  buf_free(h, &jc.b);
  if (st != HEDGE_OK) hx_throw(h, st);
  out->json = jc.s;
  out->num = (v.tag == T_NUM || v.tag == T_QTY) ? v.as.num : NAN;
  out->pct = v_is_share(v);   /* printed as a percentage (value.h) */
  if (v.tag == T_QTY) {
    char d[64];
    dim_name(h, v.dim, d, sizeof d);
    out->unit = report_strdup(h, r, d, strlen(d));
  }
}

void report_value_deferred(H *h, Report *r, RValue *out, Value v) {
  if (v.tag != T_NUM && v.tag != T_QTY) { report_value(h, r, out, v); return; }
  memset(out, 0, sizeof *out);
  out->num = v.as.num;
  out->pct = v_is_share(v);
  if (v.tag == T_QTY) {
    char d[64];
    dim_name(h, v.dim, d, sizeof d);
    out->unit = report_strdup(h, r, d, strlen(d));
  }
  out->deferred = 1;
  out->v = v;
}

void report_value_complete(H *h, Report *r, RValue *rv) {
  if (!rv->deferred) return;
  RValue full;
  report_value(h, r, &full, rv->v);
  rv->text = full.text;
  rv->json = full.json;
  rv->deferred = 0;
}

void report_free(H *h, Report *r) {
  if (!r) return;
  if (r->prev) r->prev->next = r->next;
  else if (h->reports == r) h->reports = r->next;
  if (r->next) r->next->prev = r->prev;
  for (int i = 0; i < r->n; i++) {
    mem_free(h, r->rules[i].cx, r->rules[i].cxcap * sizeof(Cx));
    mem_free(h, r->rules[i].pass, r->rules[i].passcap * sizeof(Cx));
  }
  buf_free(h, &r->json);
  buf_free(h, &r->text);
  buf_free(h, &r->scen);
  arena_free(h, &r->arena);
  mem_free(h, r, sizeof *r);
}

/* ---- repairs and margins, as JSON and text -------------------------------------- */

static void repair_json_one(H *h, Buf *b, Repair *x, int with_scenario);
static void repair_line(H *h, Buf *b, Repair *x, size_t tw);
static void json_opt(H *h, Buf *b, const char *s);

/* The rule's "joint_repair" member (and "no_joint_repair"). */
static void joint_json(H *h, Buf *b, RRule *x) {
  buf_puts(h, b, ",\n      \"joint_repair\": ");
  if (x->joint) repair_json_one(h, b, x->joint, 1);
  else buf_puts(h, b, "null");
  if (x->nojoint) { buf_puts(h, b, ", \"no_joint_repair\": "); json_opt(h, b, x->nojoint); }
}

/* the rule's joint repair line, or why there is none. */
static void joint_text(H *h, Buf *b, RRule *x) {
  if (x->joint) {
    buf_puts(h, b, "  joint  ");
    repair_line(h, b, x->joint, 0);
    buf_printf(h, b, "  scenario %s\n", x->joint->name);
  } else if (x->nojoint) buf_printf(h, b, "  no joint repair: %s\n", x->nojoint);
}


/* A number in JSON: null for NaN and infinities. */
static void json_num(H *h, Buf *b, double v) {
  if (isnan(v) || isinf(v)) buf_puts(h, b, "null");
  else v_num_print(b, h, v);
}

/* A string in JSON, or null. */
static void json_opt(H *h, Buf *b, const char *s) {
  if (s) report_json_string(h, b, s, strlen(s));
  else buf_puts(h, b, "null");
}

/* One repair as a JSON object; with_scenario adds the scenario, breaks and rechecked. */
static void repair_json_one(H *h, Buf *b, Repair *x, int with_scenario) {
  buf_puts(h, b, "{ \"lever\": ");
  json_opt(h, b, x->lever);
  buf_puts(h, b, ", \"target\": ");
  json_opt(h, b, x->target);
  buf_puts(h, b, ", \"change\": { \"from\": ");
  json_num(h, b, x->from);
  buf_puts(h, b, ", \"to\": ");
  json_num(h, b, x->to);
  buf_puts(h, b, ", \"delta\": ");
  json_num(h, b, x->to - x->from);
  buf_puts(h, b, ", \"unit\": ");
  json_opt(h, b, x->unit);
  buf_puts(h, b, " }");
  if (with_scenario) {
    buf_puts(h, b, ", \"scenario\": ");
    json_opt(h, b, x->scenario);
  }
  buf_puts(h, b, ", \"method\": ");
  json_opt(h, b, x->method);
  if (with_scenario) {
    buf_puts(h, b, ", \"breaks\": ");
    json_opt(h, b, x->side);
    if (x->checked) buf_puts(h, b, ", \"rechecked\": true");
  }
  buf_puts(h, b, " }");
}

/* a binding's "repairs" member (and "no_repair"). */
static void repair_json(H *h, Buf *b, Cx *c) {
  buf_puts(h, b, ", \"repairs\": [");
  for (int i = 0; i < c->nrepairs; i++) {
    buf_puts(h, b, i ? ",\n            " : "\n            ");
    repair_json_one(h, b, &c->repairs[i], 1);
  }
  buf_puts(h, b, c->nrepairs ? "\n          ]" : "]");
  if (c->norepair) { buf_puts(h, b, ", \"no_repair\": "); json_opt(h, b, c->norepair); }
}

/* {"name": value, ...}: a binding's variables (counterexamples, margins). */
static void bindings_json(H *h, Buf *b, const RValue *bind, int n) {
  buf_putc(h, b, '{');
  for (int j = 0; j < n; j++) {
    if (j) buf_puts(h, b, ", ");
    json_opt(h, b, bind[j].name);
    buf_puts(h, b, ": ");
    buf_puts(h, b, bind[j].json);
  }
  buf_putc(h, b, '}');
}

/* a rule's "margins" member, one object per passing binding. */
static void margin_json(H *h, Buf *b, RRule *x) {
  buf_puts(h, b, ",\n      \"margins\": [");
  for (uint32_t k = 0; k < x->nmargins; k++) {
    Margin *m = &x->margins[k];
    buf_puts(h, b, k ? ",\n        " : "\n        ");
    buf_puts(h, b, "{ \"bindings\": ");
    bindings_json(h, b, m->bind, m->nbind);
    buf_puts(h, b, ", \"figure\": ");
    json_num(h, b, m->figure);
    buf_puts(h, b, ", \"limit\": ");
    json_num(h, b, m->limit);
    buf_puts(h, b, ", \"margin\": ");
    json_num(h, b, m->margin);
    buf_puts(h, b, ", \"unit\": ");
    json_opt(h, b, m->unit);
    buf_puts(h, b, ", \"fails_if\": [");
    for (int i = 0; i < m->nlevers; i++) {
      if (i) buf_puts(h, b, ", ");
      repair_json_one(h, b, &m->levers[i], 0);
    }
    buf_puts(h, b, "] }");
  }
  buf_puts(h, b, x->nmargins ? "\n      ]" : "]");
}

/* A number as people read it (19.2M), a percentage, or with its unit. */
static void amount(H *h, Buf *b, double v, const char *unit, int pct) {
  if (pct && !unit) { v_pct_print(b, h, v); return; }
  v_num_print_short(b, h, v);
  if (unit) buf_printf(h, b, " %s", unit);
}

/* A quantity as people read it: 19.2M USD. */
static void qty_text(H *h, Buf *b, double v, const char *unit, int pct) {
  if (unit && !strcmp(unit, "USD")) {
    Value q = v_qty(v, dim_money(h));
    v_print(h, b, q, 0);
    return;
  }
  amount(h, b, v, unit, pct);
}

/* "lever target  from -> to (+delta)", the target padded to tw columns. */
static void repair_line(H *h, Buf *b, Repair *x, size_t tw) {
  buf_printf(h, b, "%-9s %s", x->lever, x->target);
  for (size_t w = strlen(x->target); w < tw; w++) buf_putc(h, b, ' ');
  buf_puts(h, b, "  ");
  qty_text(h, b, x->from, x->unit, x->pct);
  buf_puts(h, b, " -> ");
  qty_text(h, b, x->to, x->unit, x->pct);
  buf_puts(h, b, " (");
  double d = x->to - x->from;
  if (d >= 0) buf_putc(h, b, '+');
  qty_text(h, b, d, x->unit, x->pct);
  buf_puts(h, b, ")");
}

/* a binding's repair lines under its failure, then the note. */
static void repair_text(H *h, Buf *b, Cx *c, const char *indent) {
  size_t tw = 0;
  for (int i = 0; i < c->nrepairs; i++) if (strlen(c->repairs[i].target) > tw) tw = strlen(c->repairs[i].target);
  for (int i = 0; i < c->nrepairs; i++) {
    Repair *x = &c->repairs[i];
    buf_printf(h, b, "%srepair ", indent);
    repair_line(h, b, x, tw);
    if (x->name) buf_printf(h, b, "  scenario %s", x->name);
    else if (!strcmp(x->lever, "threshold")) buf_puts(h, b, "  (a literal: edit the rule)");
    if (x->side) buf_printf(h, b, "; but it %s", x->side);
    buf_putc(h, b, '\n');
  }
  if (c->norepair) buf_printf(h, b, "%s%s: %s\n", indent, c->nrepairs ? "note" : "no repair", c->norepair);
}

static const char *const op_text[] = {"+", "-", "*", "/", "^", "==", "!=", "<", "<=", ">", ">=", "in"};

/* the margins of a rule, at most cap bindings, each with the
** changes that would make it fail. */
static void margin_text(H *h, Buf *b, RRule *x, int cap) {
  uint32_t shown = x->nmargins < (uint32_t)cap ? x->nmargins : (uint32_t)cap;
  size_t bw = 0;
  for (uint32_t k = 0; k < shown; k++) {
    size_t w = 0;
    for (int j = 0; j < x->margins[k].nbind; j++) w += (j ? 2 : 0) + strlen(x->margins[k].bind[j].name) + 3 + strlen(x->margins[k].bind[j].text);
    if (w > bw) bw = w;
  }
  for (uint32_t k = 0; k < shown; k++) {
    Margin *m = &x->margins[k];
    buf_puts(h, b, "  ");
    size_t w = 0;
    for (int j = 0; j < m->nbind; j++) {
      buf_printf(h, b, "%s%s = %s", j ? ", " : "", m->bind[j].name, m->bind[j].text);
      w += (j ? 2 : 0) + strlen(m->bind[j].name) + 3 + strlen(m->bind[j].text);
    }
    if (m->nbind) { for (; w < bw; w++) buf_putc(h, b, ' '); buf_puts(h, b, "    "); }
    buf_puts(h, b, "margin: ");
    qty_text(h, b, m->figure, m->unit, m->pct);
    buf_printf(h, b, " %s ", op_text[m->op]);
    qty_text(h, b, m->limit, m->unit, m->pct);
    buf_puts(h, b, ", passes by ");
    if (m->pct && !m->unit) { v_num_print_short(b, h, m->margin * 100); buf_puts(h, b, " points"); }
    else qty_text(h, b, m->margin, m->unit, 0);
    buf_putc(h, b, '\n');
    size_t tw = 0;
    for (int i = 0; i < m->nlevers; i++) if (strlen(m->levers[i].target) > tw) tw = strlen(m->levers[i].target);
    for (int i = 0; i < m->nlevers; i++) {
      buf_puts(h, b, "      fails if ");
      repair_line(h, b, &m->levers[i], tw);
      buf_putc(h, b, '\n');
    }
  }
  if (x->nmargins > shown) buf_printf(h, b, "  ... and %u more margins (--format json lists them all)\n", x->nmargins - shown);
}

/* the scenario blocks of every repair of the report, joint first. */
void report_repair_scenarios(H *h, Buf *b, Report *r) {
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    if (x->joint && x->joint->scenario) { buf_puts(h, b, x->joint->scenario); buf_putc(h, b, '\n'); }
    for (uint32_t k = 0; k < x->ncx; k++)
      for (int j = 0; j < x->cx[k].nrepairs; j++)
        if (x->cx[k].repairs[j].scenario) { buf_puts(h, b, x->cx[k].repairs[j].scenario); buf_putc(h, b, '\n'); }
  }
}

/* ---- explanations ----------------------------------------------------------------- */

typedef struct ExplainCtx { H *h; Node *n; Value *slots; Value v; } ExplainCtx;
static void explain_eval(H *h, void *ud) { ExplainCtx *e = ud; e->v = eval(h, e->n, e->slots); }

/* Lines that say nothing: a literal (5%, -5%), a constant (PAK = PAK, a
** function), a collection. */
static int trivial(Node *n) {
  return n->kind == N_NUM || n->kind == N_QTY || n->kind == N_STR || n->kind == N_DATE ||
         n->kind == N_BOOL || n->kind == N_NIL || n->kind == N_COLL || n->kind == N_CONST ||
         (n->kind == N_NEG && trivial(n->u.operand));
}

/* A call of a user function: the frame of its body for these arguments
** (positional, named, defaults), so the explanation can go inside it. */
typedef struct FrameCtx { Node *call; Value *slots; Function *f; Value *frame; } FrameCtx;
static void frame_body(H *h, void *ud) {
  FrameCtx *c = ud;
  Function *f = c->f;
  Node *n = c->call;
  uint32_t np = f->params.n;
  int ns = f->nslots > (int)np ? f->nslots : (int)np;
  Value *fr = arena_alloc(h, &h->temp, (size_t)(ns ? ns : 1) * sizeof(Value));
  uint8_t given[HX_MAX_PARAMS] = {0};
  if (n->u.call.args.n > np) hx_error_at(h, n->loc, "too many arguments");
  for (uint32_t i = 0; i < n->u.call.args.n; i++) { fr[i] = eval(h, n->u.call.args.p[i], c->slots); given[i] = 1; }
  for (uint32_t i = 0; i < n->u.call.named.n; i++)
    for (uint32_t j = 0; j < np; j++)
      if (f->params.p[j].name == n->u.call.named.p[i].name) { fr[j] = eval(h, n->u.call.named.p[i].value, c->slots); given[j] = 1; }
  for (uint32_t j = 0; j < np; j++) {
    if (given[j]) continue;
    if (!f->params.p[j].def) hx_error_at(h, n->loc, "missing argument");
    fr[j] = eval(h, f->params.p[j].def, fr);
  }
  c->frame = fr;
}

static void explain_node(H *h, Report *r, Buf *b, Node *n, Value *slots, int depth) {
  if (depth > 12 || trivial(n)) return;
  ExplainCtx e = {h, n, slots, v_nil()};
  ArenaMark m = arena_mark(&h->temp);
  int st = hx_pcall(h, explain_eval, &e);
  /* a limit, an interrupt or out of memory stops the explanation too */
  if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) {
    arena_release(h, &h->temp, m);
    hx_throw(h, st);
  }
  size_t len;
  const char *t = parse_node_text(h, n, &len);
  if (st == HEDGE_OK && n->kind == N_LOCAL) {
    /* `p = USA` once is enough: a variable's line only where it is not
    ** the same text as its value */
    size_t vl;
    const char *vt = v_tostr(h, e.v, 1, &vl);
    if (vl == len && memcmp(vt, t, len) == 0) { arena_release(h, &h->temp, m); return; }
  }
  for (int i = 0; i < depth; i++) buf_puts(h, b, "  ");
  buf_puts(h, b, "    ");
  /* the text of the expression on one line */
  for (size_t i = 0; i < len && i < 160; i++) {
    char c = t[i];
    if (c == '\n' || c == '\r' || c == '\t') { buf_putc(h, b, ' '); while (i + 1 < len && (t[i + 1] == ' ' || t[i + 1] == '\n')) i++; }
    else buf_putc(h, b, c);
  }
  if (len > 160) buf_puts(h, b, "...");
  if (st == HEDGE_OK) {
    buf_puts(h, b, " = ");
    v_print(h, b, e.v, 1);
  } else {
    const char *msg = buf_cstr(h, &h->err);
    const char *x = strstr(msg, "error: ");
    const char *nl = strchr(msg, '\n');
    x = x ? x + 7 : msg;
    buf_printf(h, b, " -> error: %.*s", (int)(nl && nl > x ? nl - x : (long)strlen(x)), x);
  }
  buf_putc(h, b, '\n');
  arena_release(h, &h->temp, m);
  (void)r;
  switch (n->kind) {
    case N_BIN: case N_AND: case N_OR:
      explain_node(h, r, b, n->u.bin.l, slots, depth + 1);
      explain_node(h, r, b, n->u.bin.r, slots, depth + 1);
      break;
    case N_NOT: case N_NEG: explain_node(h, r, b, n->u.operand, slots, depth + 1); break;
    case N_IF:
      explain_node(h, r, b, n->u.cond.c, slots, depth + 1);
      explain_node(h, r, b, n->u.cond.t, slots, depth + 1);
      explain_node(h, r, b, n->u.cond.e, slots, depth + 1);
      break;
    case N_FIELD: if (n->u.field.obj->kind != N_LOCAL) explain_node(h, r, b, n->u.field.obj, slots, depth + 1); break;
    case N_INDEX: explain_node(h, r, b, n->u.index.obj, slots, depth + 1); explain_node(h, r, b, n->u.index.index, slots, depth + 1); break;
    case N_SLICE:
      explain_node(h, r, b, n->u.slice.obj, slots, depth + 1);
      if (n->u.slice.lo) explain_node(h, r, b, n->u.slice.lo, slots, depth + 1);
      if (n->u.slice.hi) explain_node(h, r, b, n->u.slice.hi, slots, depth + 1);
      break;
    case N_CALL:
      if (!n->u.call.compr) {
        for (uint32_t i = 0; i < n->u.call.args.n; i++) explain_node(h, r, b, n->u.call.args.p[i], slots, depth + 1);
        for (uint32_t i = 0; i < n->u.call.named.n; i++) explain_node(h, r, b, n->u.call.named.p[i].value, slots, depth + 1);
        /* a user function: its body, with these arguments (growth(p) shows
        ** the two years' figures) */
        Node *fn = n->u.call.fn;
        if (fn->kind == N_GLOBAL && fn->u.global.g->kind == G_FUNC && fn->u.global.g->value.tag == T_FUNC &&
            fn->u.global.g->value.as.fn->kind == F_USER && fn->u.global.g->value.as.fn->resolved == 2 && depth < 8) {
          Function *f = fn->u.global.g->value.as.fn;
          ArenaMark fm = arena_mark(&h->temp);
          FrameCtx fc = {n, slots, f, NULL};
          int fs = hx_pcall(h, frame_body, &fc);
          if (fs == HEDGE_EINTERRUPT || fs == HEDGE_ELIMIT || fs == HEDGE_EMEMORY) { arena_release(h, &h->temp, fm); hx_throw(h, fs); }
          if (fs == HEDGE_OK) {
            for (int i = 0; i < depth + 1; i++) buf_puts(h, b, "  ");
            buf_printf(h, b, "    in %s:\n", f->name->s);
            explain_node(h, r, b, f->body, fc.frame, depth + 2);
          }
          arena_release(h, &h->temp, fm);
        }
      }
      break;
    case N_LIST: for (uint32_t i = 0; i < n->u.items.n; i++) explain_node(h, r, b, n->u.items.p[i], slots, depth + 1); break;
    default: break;
  }
}

typedef struct TreeCtx { Report *r; Node *pred; Value *slots; Buf b; char *s; } TreeCtx;
static void explain_tree_body(H *h, void *ud) {
  TreeCtx *c = ud;
  explain_node(h, c->r, &c->b, c->pred, c->slots, 0);
  c->s = report_strdup(h, c->r, c->b.p ? c->b.p : "", c->b.n);
}

char *report_explain_tree(H *h, Report *r, Node *pred, Value *slots) {
  TreeCtx c = {r, pred, slots, {0}, NULL};
  int st = hx_pcall(h, explain_tree_body, &c);   /* the buffer is freed on error too */
  buf_free(h, &c.b);
  if (st != HEDGE_OK) hx_throw(h, st);
  return c.s;
}

/* ---- rows the loads skipped ---------------------------------------------------------- */

/* "note: FILE: N rows loaded, M skipped (missing value: 3, left out by where: 2)" */
void report_load_notes_text(H *h, Buf *b) {
  Program *pr = h->prog;
  for (uint32_t i = 0; i < pr->load_notes.n; i++) {
    LoadNote *n = &pr->load_notes.p[i];
    long long total = 0;
    for (int k = 0; k < n->n; k++) total += n->count[k];
    buf_printf(h, b, "note: %s: %u row%s loaded, %lld skipped (", n->file->s, n->loaded, n->loaded == 1 ? "" : "s", total);
    for (int k = 0; k < n->n; k++) buf_printf(h, b, "%s%s: %lld", k ? ", " : "", n->reason[k]->s, n->count[k]);
    buf_puts(h, b, ")\n");
  }
}

static void load_notes_json(H *h, Buf *b) {
  Program *pr = h->prog;
  buf_puts(h, b, ",\n  \"loads\": [");
  for (uint32_t i = 0; i < pr->load_notes.n; i++) {
    LoadNote *n = &pr->load_notes.p[i];
    buf_puts(h, b, i ? ",\n    { \"file\": " : "\n    { \"file\": ");
    report_json_string(h, b, n->file->s, n->file->len);
    buf_printf(h, b, ", \"loaded\": %u, \"skipped\": {", n->loaded);
    for (int k = 0; k < n->n; k++) {
      buf_puts(h, b, k ? ", " : " ");
      report_json_string(h, b, n->reason[k]->s, n->reason[k]->len);
      buf_printf(h, b, ": %lld", n->count[k]);
    }
    buf_puts(h, b, n->n ? " } }" : "} }");
  }
  buf_puts(h, b, pr->load_notes.n ? "\n  ]" : "]");
}

/* ---- JSON ------------------------------------------------------------------------- */

const char *report_rule_status_name(int s) {
  return s == HEDGE_PASS ? "pass" : s == HEDGE_FAILED ? "fail" : s == HEDGE_VACUOUS ? "vacuous" : "error";
}

const char *report_json(H *h, Report *r) {
  Buf *b = &r->json;
  b->n = 0;
  buf_puts(h, b, "{ \"hedge\": \"" HEDGE_VERSION "\", \"scenario\": ");
  json_opt(h, b, r->scenario);
  /* which years `year:` meant: 1 (calendar years) or the month fiscal years start */
  buf_printf(h, b, ", \"fiscal_year_start\": %d", r->fy_start > 1 ? r->fy_start : 1);
  if (r->scenario) {
    buf_printf(h, b, ", \"dropped\": { \"partners\": %u, \"commodities\": %u, \"deals\": %u, \"loans\": %u, "
               "\"with_them\": { \"deals\": %u, \"loans\": %u } }", r->dropped[0], r->dropped[1], r->dropped[2],
               r->dropped[3], r->dropped_with[0], r->dropped_with[1]);
  }
  buf_puts(h, b, ", \"overrides\": [");
  for (int i = 0; i < r->noverrides; i++) {
    buf_puts(h, b, i ? ", { \"name\": " : "{ \"name\": ");
    json_opt(h, b, r->overrides[3 * i]);
    buf_puts(h, b, ", \"was\": ");
    json_opt(h, b, r->overrides[3 * i + 1]);
    buf_puts(h, b, ", \"by\": ");
    json_opt(h, b, r->overrides[3 * i + 2]);
    buf_puts(h, b, " }");
  }
  buf_puts(h, b, "]");
  buf_puts(h, b, ",\n  \"rules\": [");
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    buf_puts(h, b, i ? ",\n    " : "\n    ");
    buf_puts(h, b, "{ \"name\": ");
    json_opt(h, b, x->name);
    buf_puts(h, b, ", \"title\": ");
    json_opt(h, b, x->title);
    buf_printf(h, b, ", \"severity\": \"%s\", \"status\": \"%s\", \"file\": ", x->warn ? "warning" : "error", report_rule_status_name(x->status));
    json_opt(h, b, x->file);
    buf_printf(h, b, ", \"line\": %d, \"col\": %d,\n      \"counterexamples\": [", x->line, x->col);
    for (uint32_t k = 0; k < x->ncx; k++) {
      Cx *c = &x->cx[k];
      buf_puts(h, b, k ? ",\n        " : "\n        ");
      buf_puts(h, b, "{ \"bindings\": ");
      bindings_json(h, b, c->bind, c->nbind);
      buf_puts(h, b, ", \"values\": [");
      for (int j = 0; j < c->nvals; j++) {
        RValue *v = &c->vals[j];
        if (j) buf_puts(h, b, ", ");
        buf_puts(h, b, "{ \"expr\": ");
        json_opt(h, b, v->expr);
        buf_puts(h, b, ", \"value\": ");
        buf_puts(h, b, v->json);
        buf_puts(h, b, ", \"unit\": ");
        json_opt(h, b, v->unit);
        buf_puts(h, b, " }");
      }
      buf_puts(h, b, "]");
      if (c->note) { buf_puts(h, b, ", \"note\": "); json_opt(h, b, c->note); }
      if (x->explain && x->explain[k]) { buf_puts(h, b, ", \"explain\": "); json_opt(h, b, x->explain[k]); }
      if (r->repair) repair_json(h, b, c);
      buf_puts(h, b, " }");
    }
    buf_puts(h, b, x->ncx ? "\n      ]" : "]");
    if (r->margins) margin_json(h, b, x);
    if (r->repair_joint) joint_json(h, b, x);
    buf_puts(h, b, ",\n      \"error\": ");
    json_opt(h, b, x->error);
    if (x->vacuous) { buf_puts(h, b, ", \"vacuous\": "); json_opt(h, b, x->vacuous); }
    if (x->note) { buf_puts(h, b, ", \"note\": "); json_opt(h, b, x->note); }
    buf_puts(h, b, " }");
  }
  buf_puts(h, b, r->n ? "\n  ]" : "]");
  if (h->prog->load_notes.n) load_notes_json(h, b);
  buf_printf(h, b, ",\n  \"summary\": { \"passed\": %d, \"failed\": %d, \"warnings\": %d, \"errors\": %d, \"vacuous\": %d } }\n",
             r->passed, r->failed, r->warnings, r->errors, r->vacuous);
  return b->p;
}

/* ---- text ------------------------------------------------------------------------- */

static const char *plural_s(uint32_t n) { return n == 1 ? "" : "s"; }

void report_drops_text(H *h, Buf *b, Report *r) {
  static const char *const one[4] = {"partner", "commodity", "deal", "loan"};
  static const char *const many[4] = {"partners", "commodities", "deals", "loans"};
  int any = 0;
  for (int k = 0; k < 4; k++) {
    if (!r->dropped[k]) continue;
    buf_printf(h, b, "%s%u %s", any ? ", " : "  dropped: ", r->dropped[k], r->dropped[k] == 1 ? one[k] : many[k]);
    any = 1;
  }
  if (!any) return;
  if (r->dropped[0] || r->dropped[1])
    buf_printf(h, b, "; with %s went", r->dropped[0] + r->dropped[1] == 1 ? "it" : "them");
  if (r->dropped[0] || r->dropped[1])
    buf_printf(h, b, " %u deal%s and %u loan%s", r->dropped_with[0], plural_s(r->dropped_with[0]),
               r->dropped_with[1], plural_s(r->dropped_with[1]));
  buf_putc(h, b, '\n');
}

/* `imports(F, from: p) / imports(F)` reads as `imports(...) / imports(...)`:
** the call's arguments are visible in the bindings already. */
static void abbreviate(H *h, Buf *b, const char *s) {
  size_t n = strlen(s);
  int last_space = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '(' && i > 0 && (s[i - 1] == '_' || (s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z') || (s[i - 1] >= '0' && s[i - 1] <= '9'))) {
      int depth = 1;
      size_t j = i + 1;
      int in_str = 0;
      for (; j < n && depth; j++) {
        if (s[j] == '"' && s[j - 1] != '\\') in_str = !in_str;
        else if (!in_str && s[j] == '(') depth++;
        else if (!in_str && s[j] == ')') depth--;
      }
      buf_puts(h, b, "(...)");
      i = j - 1;
      last_space = 0;
      continue;
    }
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      if (!last_space) buf_putc(h, b, ' ');
      last_space = 1;
      continue;
    }
    last_space = 0;
    buf_putc(h, b, c);
  }
}

/* A value as people read it (numfmt.h): a share, or a plain number compared
** with one, as a percentage; a quantity scaled; JSON keeps every digit.
** exact: every digit that tells the value apart, for two values that
** differ but would print alike. */
static void value_str(char *s, size_t n, RValue *v, int exact) {
  char t[128];
  if (isnan(v->num)) snprintf(s, n, "%s", v->text);
  else if (v->pct) (exact ? numfmt_share_exact : numfmt_share)(s, n, v->num);
  else if (!v->unit) {
    if (exact) snprintf(s, n, "%.17g", v->num);
    else numfmt_plain(s, n, v->num);
  } else {
    (exact ? numfmt_scaled_exact : numfmt_scaled)(t, sizeof t, v->num);
    snprintf(s, n, "%s %s", t, v->unit);
  }
}

static void value_text(H *h, Buf *b, RValue *v, int exact) {
  if (isnan(v->num)) { buf_puts(h, b, v->text); return; }   /* any length */
  if (exact && !v->pct && !v->unit) { v_num_print(b, h, v->num); return; }
  char s[200];
  value_str(s, sizeof s, v, exact);
  buf_puts(h, b, s);
}

/* Two operands that differ but print alike ("40%, expected <= 40%") are
** shown with every digit that tells them apart. (Fixed buffers: nothing to
** leak if the report's buffer runs out of memory later.) */
static int alike(RValue *x, RValue *y) {
  if (isnan(x->num) || isnan(y->num) || x->num == y->num) return 0;
  char a[200], b[200];
  value_str(a, sizeof a, x, 0);
  value_str(b, sizeof b, y, 0);
  return strcmp(a, b) == 0;
}

void report_cx_text(H *h, Buf *b, Cx *c) {
  if (c->note) {
    buf_puts(h, b, c->note);
    if (c->nvals) buf_puts(h, b, "; ");
  }
  if (c->op >= 0 && c->nvals == 2) {
    RValue l = c->vals[0], r = c->vals[1];
    /* a share against a plain number: both as percentages */
    if (l.pct && !r.unit && !isnan(r.num)) r.pct = 1;
    if (r.pct && !l.unit && !isnan(l.num)) l.pct = 1;
    int exact = alike(&l, &r);
    abbreviate(h, b, l.expr);
    buf_puts(h, b, " = ");
    value_text(h, b, &l, exact);
    buf_printf(h, b, ", expected %s ", op_text[c->op]);
    if (c->rhs_literal) buf_puts(h, b, r.expr);   /* exact as written */
    else {
      abbreviate(h, b, r.expr);
      buf_puts(h, b, " = ");
      value_text(h, b, &r, exact);
    }
    return;
  }
  for (int j = 0; j < c->nvals; j++) {
    if (j) buf_puts(h, b, ", ");
    abbreviate(h, b, c->vals[j].expr);
    buf_puts(h, b, " = ");
    value_text(h, b, &c->vals[j], 0);
  }
  if (!c->nvals && !c->note) buf_puts(h, b, "false");
}

/* Width of "x = 1, y = 2": the bindings of a counterexample as text. */
static size_t bind_width(Cx *c) {
  size_t w = 0;
  for (int j = 0; j < c->nbind; j++) w += (j ? 2 : 0) + strlen(c->bind[j].name) + 3 + strlen(c->bind[j].text);
  return w;
}

const char *report_text(H *h, Report *r, int color) {
  Buf *b = &r->text;
  b->n = 0;
  const char *red = color ? "\033[1;31m" : "", *green = color ? "\033[32m" : "", *yellow = color ? "\033[33m" : "",
             *dim = color ? "\033[2m" : "", *off = color ? "\033[0m" : "";
  if (r->scenario) {
    buf_printf(h, b, "scenario %s\n", r->scenario);
    report_drops_text(h, b, r);
  }
  if (r->fy_start > 1) {
    /* say which years `year:` means: the report is read without the source */
    static const char *const mon[] = {"", "January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December"};
    buf_printf(h, b, "%syears are fiscal years from %s to %s (year: 2025 is FY2024-25)%s\n", dim,
               mon[r->fy_start], mon[r->fy_start - 1], off);
  }
  for (int i = 0; i < r->noverrides; i++)
    buf_printf(h, b, "%soverride: %s (from %s) is replaced by %s%s\n", yellow, r->overrides[3 * i],
               r->overrides[3 * i + 1], r->overrides[3 * i + 2], off);
  size_t namew = 0;
  for (int i = 0; i < r->n; i++) if (strlen(r->rules[i].name) > namew) namew = strlen(r->rules[i].name);
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    const char *tag, *col;
    if (x->status == HEDGE_PASS) { tag = "pass "; col = green; }
    else if (x->status == HEDGE_VACUOUS) { tag = "VACUOUS"; col = yellow; }
    else if (x->status == HEDGE_ERRORED) { tag = "ERROR"; col = red; }
    else if (x->warn) { tag = "WARN "; col = yellow; }
    else { tag = "FAIL "; col = red; }
    buf_printf(h, b, "%s%s%s %-*s", col, tag, off, (int)namew, x->name);
    if (x->title) buf_printf(h, b, "  \"%s\"", x->title);
    buf_printf(h, b, "  %s%s:%d:%d%s\n", dim, x->file, x->line, x->col, off);
    if (x->status == HEDGE_ERRORED) {
      const char *s = x->error_full ? x->error_full : x->error;
      buf_puts(h, b, "  ");
      for (const char *p = s; *p; p++) { buf_putc(h, b, *p); if (*p == '\n') buf_puts(h, b, "  "); }
      buf_putc(h, b, '\n');
      continue;
    }
    if (x->note) buf_printf(h, b, "  %snote: %s%s\n", dim, x->note, off);
    if (x->status == HEDGE_VACUOUS) { buf_printf(h, b, "  %s\n", x->vacuous); continue; }
    /* bindings in one aligned column, then the failing values */
    uint32_t shown = x->ncx < HX_TEXT_CAP ? x->ncx : HX_TEXT_CAP;
    if (r->explain) shown = x->ncx;
    /* the bindings column is as wide as its widest entry (measured, not
    ** written to a scratch buffer: nothing to free if writing fails) */
    size_t bw = 0;
    for (uint32_t k = 0; k < shown; k++) {
      size_t w = bind_width(&x->cx[k]);
      if (w > bw) bw = w;
    }
    for (uint32_t k = 0; k < shown; k++) {
      Cx *c = &x->cx[k];
      buf_puts(h, b, "  ");
      if (c->nbind) {
        for (int j = 0; j < c->nbind; j++) buf_printf(h, b, "%s%s = %s", j ? ", " : "", c->bind[j].name, c->bind[j].text);
        for (size_t w = bind_width(c); w < bw; w++) buf_putc(h, b, ' ');
        buf_puts(h, b, "    ");
      }
      report_cx_text(h, b, c);
      buf_putc(h, b, '\n');
      if (x->explain && x->explain[k]) buf_puts(h, b, x->explain[k]);
      if (r->repair) repair_text(h, b, c, "      ");
    }
    if (x->ncx > shown)
      buf_printf(h, b, "  %s... and %u more (--format json lists them all)%s\n", dim, x->ncx - shown, off);
    if (r->repair_joint) joint_text(h, b, x);
    if (r->margins) margin_text(h, b, x, HX_TEXT_CAP);
  }
  report_load_notes_text(h, b);
  int total = r->n;
  buf_printf(h, b, "%d rule%s: %d passed, %d failed", total, total == 1 ? "" : "s", r->passed, r->failed);
  if (r->warnings) buf_printf(h, b, ", %d warning%s", r->warnings, r->warnings == 1 ? "" : "s");
  if (r->errors) buf_printf(h, b, ", %d error%s", r->errors, r->errors == 1 ? "" : "s");
  if (r->vacuous) buf_printf(h, b, ", %d vacuous", r->vacuous);
  buf_putc(h, b, '\n');
  return b->p;
}
