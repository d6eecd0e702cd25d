/*
** repair.c: "what would it take for this rule to pass?" (docs/repair.md).
**
** For a failing binding the checker hands over the rule's predicate and
** slots. The comparison that failed is split into a figure and a limit.
** When the figure is a standard-library figure (a share, a sum, an HHI, a
** debt-service sum) and the limit does not depend on the world, the
** repairs come from closed forms over the sums the figure is made of
** (repairclosed.c): no world is changed. Any other figure (a ratio written
** in the rule, a user or Lua function) is searched (repairsearch.c): each
** lever scales a set of deal values or loan principals by a factor k until
** the comparison flips. Every repair is also written as a complete scenario
** that does the same change, so `hedge check --scenario NAME` shows it
** passing.
**
** This file is the driver and what the levers share: row sets, scenarios,
** the comparison, one binding's repairs or margins, --repair=check (what
** each repair does to every rule), --repair=joint, and the output. What
** the three files share is in repairint.h.
**
** Memory: everything a report keeps is in the report's arena; working
** sets (rows, texts) are in h->temp, released by the caller's marks.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "lex.h"
#include "repair.h"
#include "repairint.h"
#include "date.h"
#include "units.h"

/* ---- row sets: the deals or loans a lever scales --------------------------------- */

/* The buffer's text, NUL-terminated at its length (buf_cstr terminates only
** a buffer never written: one emptied by n = 0 keeps its old text). */
static const char *cstr(H *h, Buf *b) {
  buf_putc(h, b, 0);
  b->n--;
  return b->p;
}

/* See repairint.h: the buffer's text copied into h->temp; empties the buffer. */
char *repair_tstr(H *h, Buf *b) {
  char *s = arena_strdup(h, &h->temp, b->p ? b->p : "", b->n);
  b->n = 0;
  return s;
}


/* The deals matching f, as a set: rows copied out of the index. */
void repair_deals(Ctx *c, RowSet *s, DealFilter f, uint32_t except_exporter, uint32_t except_importer, int imports) {   /* imports: 1 words as imports when only the importer is set, 2 always */
  H *h = c->h;
  char nb[128];
  memset(s, 0, sizeof *s);
  s->kind = K_DEAL;
  const uint32_t *rows;
  uint32_t n = index_deal_rows(h, f, &rows);
  s->rows = arena_alloc(h, &h->temp, (size_t)(n ? n : 1) * sizeof(uint32_t));
  Table *t = &h->world->t[K_DEAL];
  KSum k = {0, 0};
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = rows[i];
    if (except_exporter != NO_ROW && t->a[r] == except_exporter) continue;
    if (except_importer != NO_ROW && t->b[r] == except_importer) continue;
    s->rows[s->n++] = r;
    ksum_add(&k, t->value[r]);
  }
  s->sum = ksum_get(&k);
  /* the condition of a scenario's update */
  Buf *b = &c->w;
  b->n = 0;
  const char *sep = "";
#define COND(...) do { buf_puts(h, b, sep); buf_printf(h, b, __VA_ARGS__); sep = " and "; } while (0)
  if (f.importer != NO_ROW) COND("d.importer == %s", pname(h, f.importer, nb, sizeof nb));
  if (f.exporter != NO_ROW) COND("d.exporter == %s", pname(h, f.exporter, nb, sizeof nb));
  if (f.commodity != NO_ROW) COND("d.commodity == %s", cname(h, f.commodity, nb, sizeof nb));
  if (f.year != NO_YEAR) COND("d.year == %d", (int)f.year);
  if (except_exporter != NO_ROW) COND("d.exporter != %s", pname(h, except_exporter, nb, sizeof nb));
  if (except_importer != NO_ROW) COND("d.importer != %s", pname(h, except_importer, nb, sizeof nb));
#undef COND
  s->where = b->n ? repair_tstr(h, b) : NULL;
  /* words */
  b->n = 0;
  if (imports && f.importer != NO_ROW && (f.exporter == NO_ROW || imports > 1)) {
    buf_printf(h, b, "imports of %s", pname(h, f.importer, nb, sizeof nb));
    if (f.exporter != NO_ROW) buf_printf(h, b, " from %s", pname(h, f.exporter, nb, sizeof nb));
    if (except_exporter != NO_ROW) buf_printf(h, b, " from others than %s", pname(h, except_exporter, nb, sizeof nb));
  } else if (f.exporter != NO_ROW) {
    buf_printf(h, b, "exports of %s", pname(h, f.exporter, nb, sizeof nb));
    if (f.importer != NO_ROW) buf_printf(h, b, " to %s", pname(h, f.importer, nb, sizeof nb));
    if (except_importer != NO_ROW) buf_printf(h, b, " to others than %s", pname(h, except_importer, nb, sizeof nb));
  } else if (f.importer != NO_ROW) {
    buf_printf(h, b, "imports of %s", pname(h, f.importer, nb, sizeof nb));
    if (except_exporter != NO_ROW) buf_printf(h, b, " from others than %s", pname(h, except_exporter, nb, sizeof nb));
  } else {
    buf_puts(h, b, "world exports");
    if (except_exporter != NO_ROW) buf_printf(h, b, " of others than %s", pname(h, except_exporter, nb, sizeof nb));
  }
  if (f.commodity != NO_ROW) buf_printf(h, b, " of %s", cname(h, f.commodity, nb, sizeof nb));
  if (f.year != NO_YEAR) buf_printf(h, b, " in %d", (int)f.year);
  s->what = repair_tstr(h, b);
}

/* Whether loan row counts in year y (NaN: every year): index.c's rule,
** the one index_debt_sum and hedge.loans follow (fiscal years included). */
static int loan_out(H *h, uint32_t row, double y) {
  return isnan(y) || index_loan_outstanding(h, row, y);
}

/* Loans of borrower (from lender, except one lender) outstanding in year y. */
void repair_loans(Ctx *c, RowSet *s, uint32_t borrower, uint32_t lender, uint32_t except_lender, double y) {
  H *h = c->h;
  World *w = h->world;
  Table *t = &w->t[K_LOAN];
  char nb[128];
  memset(s, 0, sizeof *s);
  s->kind = K_LOAN;
  s->rows = arena_alloc(h, &h->temp, (size_t)(t->n ? t->n : 1) * sizeof(uint32_t));
  KSum k = {0, 0};
  uint32_t pair = 0;   /* loans of the pair whatever the year */
  for (uint32_t r = 0; r < t->n; r++) {
    if (!world_alive(w, K_LOAN, r)) continue;
    if (borrower != NO_ROW && t->b[r] != borrower) continue;
    if (lender != NO_ROW && t->a[r] != lender) continue;
    if (except_lender != NO_ROW && t->a[r] == except_lender) continue;
    pair++;
    if (!loan_out(h, r, y)) continue;
    s->rows[s->n++] = r;
    ksum_add(&k, t->value[r]);
  }
  s->sum = ksum_get(&k);
  Buf *b = &c->w;
  b->n = 0;
  const char *sep = "";
  if (borrower != NO_ROW) { buf_printf(h, b, "l.borrower == %s", pname(h, borrower, nb, sizeof nb)); sep = " and "; }
  if (lender != NO_ROW) { buf_printf(h, b, "%sl.lender == %s", sep, pname(h, lender, nb, sizeof nb)); sep = " and "; }
  if (except_lender != NO_ROW) { buf_printf(h, b, "%sl.lender != %s", sep, pname(h, except_lender, nb, sizeof nb)); sep = " and "; }
  if (pair != s->n) {
    /* some loans of the pair are not outstanding that year: name the rows */
    buf_printf(h, b, "%sl in [", sep);
    for (uint32_t i = 0; i < s->n; i++) buf_printf(h, b, "%sloans[%u]", i ? ", " : "", world_position(h, K_LOAN, s->rows[i]) - 1);
    buf_puts(h, b, "]");
  }
  s->where = b->n ? repair_tstr(h, b) : NULL;
  b->n = 0;
  buf_puts(h, b, "loans");
  if (borrower != NO_ROW) buf_printf(h, b, " to %s", pname(h, borrower, nb, sizeof nb));
  if (lender != NO_ROW) buf_printf(h, b, " from %s", pname(h, lender, nb, sizeof nb));
  if (except_lender != NO_ROW) buf_printf(h, b, " from others than %s", pname(h, except_lender, nb, sizeof nb));
  if (!isnan(y)) buf_printf(h, b, " outstanding in %g", y);
  s->what = repair_tstr(h, b);
}

/* ---- scenarios ------------------------------------------------------------------------ */

/* A scale factor as the scenario writes it. */
static void put_factor(H *h, Buf *b, double k) { v_num_print(b, h, k); }

/* `update d in deals where W { value: d.value * K }` */
void repair_put_update(H *h, Buf *b, RowSet *s, double k) {
  const char *v = s->var ? s->var : s->kind == K_DEAL ? "d" : "l", *field = s->kind == K_DEAL ? "value" : "principal";
  buf_printf(h, b, "  update %s in %s", v, s->kind == K_DEAL ? "deals" : "loans");
  if (s->where) buf_printf(h, b, " where %s", s->where);
  buf_printf(h, b, " { %s: %s.%s * ", field, v, field);
  put_factor(h, b, k);
  buf_puts(h, b, " }\n");
}

/* A scenario name from the rule, the bindings and the lever: only letters,
** digits and underscores; unique in the report. */
char *repair_scen_name(Ctx *c, const char *lever) {
  H *h = c->h;
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "repair_%s", c->rule);
  char nb[128];
  for (int i = 0; i < c->nbind; i++) {
    size_t len;
    const char *t;
    Value v = c->bindv[i];
    if (v.tag == T_ENT) t = world_name(h, v.kind, (uint32_t)v.i, nb, sizeof nb), len = strlen(t);
    else t = v_tostr(h, v, 0, &len);
    buf_putc(h, b, '_');
    for (size_t j = 0; j < len && j < 40; j++) {
      char ch = t[j];
      int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
      buf_putc(h, b, ok ? ch : '_');
    }
  }
  buf_printf(h, b, "_%s", lever);
  /* unique among the repairs so far */
  size_t base = b->n;
  for (int n = 2;; n++) {
    const char *cand = cstr(h, b);
    int clash = 0;
    for (int i = 0; i < c->r->n && !clash; i++) {
      RRule *x = &c->r->rules[i];
      for (uint32_t k = 0; k < x->ncx && !clash; k++)
        for (int j = 0; j < x->cx[k].nrepairs; j++)
          if (x->cx[k].repairs[j].name && !strcmp(x->cx[k].repairs[j].name, cand)) clash = 1;
    }
    for (uint32_t j = 0; j < c->out.n && !clash; j++) if (c->out.p[j].name && !strcmp(c->out.p[j].name, cand)) clash = 1;
    if (!clash) break;
    b->n = base;
    buf_printf(h, b, "_%d", n);
  }
  return repair_tstr(h, b);
}

/* See repairint.h: appends the repair to the binding's list (in temp). */
void repair_add(Ctx *c, Repair *rp) {
  H *h = c->h;
  avec_push(h, &h->temp, &c->out, *rp);
}

/* Starts a scenario block in c->b: `scenario NAME "title" {`. */
void repair_scen_begin(Ctx *c, const char *name, const char *title) {
  H *h = c->h;
  c->b.n = 0;
  buf_printf(h, &c->b, "scenario %s \"", name);
  for (const char *p = title; *p; p++) if (*p != '"' && *p != '\\' && *p != '\n') buf_putc(h, &c->b, *p);
  buf_puts(h, &c->b, "\" {\n");
}

/* Records one scaled set in a repair's change (for --repair=check). */
void repair_add_scale(Repair *rp, RowSet *s, double k) {
  if (rp->nscale >= 2) return;
  rp->scale[rp->nscale].kind = s->kind;
  rp->scale[rp->nscale].rows = s->rows;
  rp->scale[rp->nscale].n = s->n;
  rp->scale[rp->nscale].k = k;
  rp->nscale++;
}

/* See repairint.h: completes a repair that scales one or two sets (s2 NULL:
** one) and adds it, with its change for --repair=check and, unless margins
** are asked, its scenario titled title. */
void repair_add_scaled(Ctx *c, Repair *rp, RowSet *s1, double k1, RowSet *s2, double k2, const char *title) {
  H *h = c->h;
  rp->unit = "USD";
  repair_add_scale(rp, s1, k1);
  if (s2) repair_add_scale(rp, s2, k2);
  if (!c->margin) {
    rp->name = repair_scen_name(c, rp->lever);
    repair_scen_begin(c, rp->name, title);
    repair_put_update(h, &c->b, s1, k1);
    if (s2) repair_put_update(h, &c->b, s2, k2);
    buf_puts(h, &c->b, "}\n");
    rp->scenario = repair_tstr(h, &c->b);
  }
  repair_add(c, rp);
}

/* The repair of scaling one set by k (cut when k < 1, grow when k > 1). */
void repair_lever_scale(Ctx *c, const char *lever, RowSet *s, double k, const char *method, const char *side) {
  H *h = c->h;
  if (!(k >= 0) || !isfinite(k)) return;
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = lever;
  rp.target = s->what;
  rp.from = s->sum;
  rp.to = s->sum * k;
  rp.method = method;
  rp.side = side ? arena_strdup(h, &h->temp, side, strlen(side)) : NULL;
  char title[400];
  snprintf(title, sizeof title, "%s %s", lever, s->what);
  repair_add_scaled(c, &rp, s, k, NULL, 0, title);
}

/* ---- the comparison: figure and limit --------------------------------------------- */

/* Does the expression read the world (deals, loans, attributes, functions)? */
int repair_world_fixed(Node *n) {
  switch (n->kind) {
    case N_NUM: case N_QTY: case N_STR: case N_DATE: case N_BOOL: case N_NIL: case N_LOCAL: return 1;
    case N_GLOBAL: return 1;
    case N_CONST: return n->u.cnst.v.tag != T_FUNC;
    case N_NEG: return repair_world_fixed(n->u.operand);
    case N_BIN: return n->u.bin.op < OP_EQ && repair_world_fixed(n->u.bin.l) && repair_world_fixed(n->u.bin.r);
    default: return 0;
  }
}

/* The comparison with its sides swapped: a < b is b > a. */
static int flip(int op) { return op == OP_LT ? OP_GT : op == OP_LE ? OP_GE : op == OP_GT ? OP_LT : op == OP_GE ? OP_LE : op; }

/* The comparison that decides the predicate under these slots: for `and`
** the first false conjunct (the first, when checking margins), for `if` the
** branch taken. NULL with c->why when there is no single comparison. */
static Node *find_cmp(Ctx *c, Node *n) {
  H *h = c->h;
  switch (n->kind) {
    case N_BIN:
      if (n->u.bin.op >= OP_LT && n->u.bin.op <= OP_GE) return n;
      if (n->u.bin.op == OP_EQ || n->u.bin.op == OP_NE) {
        c->why = "an equality (== or !=) holds at one point or everywhere but one; no lever is tried";
        return NULL;
      }
      break;
    case N_AND: {
      Value l = eval(h, n->u.bin.l, c->slots);
      if (!c->margin && l.tag == T_BOOL && !l.as.b) return find_cmp(c, n->u.bin.l);
      if (!c->margin) {
        Value r = eval(h, n->u.bin.r, c->slots);
        if (r.tag == T_BOOL && !r.as.b) {
          if (l.tag == T_BOOL && !l.as.b) break;
          return find_cmp(c, n->u.bin.r);
        }
      }
      c->why = "a conjunction: repairs go to a single comparison";
      return NULL;
    }
    case N_IF: {
      Value v = eval(h, n->u.cond.c, c->slots);
      return find_cmp(c, v.tag == T_BOOL && v.as.b ? n->u.cond.t : n->u.cond.e);
    }
    case N_OR: c->why = "an `or`: either side passing would do, and no single lever moves both"; return NULL;
    case N_NOT: c->why = "a `not`: no number to move"; return NULL;
    case N_QUANT:
      c->why = n->u.quant.exists ? "an `exists` that no element satisfies: no number to move (a new element is needed)"
                                 : "a nested `forall`: repairs go to one comparison";
      return NULL;
    default: break;
  }
  c->why = "not a comparison of numbers: no lever moves it";
  return NULL;
}

/* See repairint.h: a number or a quantity as (number, dimension); 0 for any other value. */
int repair_num_of(Value v, double *x, int *dim) {
  if (v.tag == T_NUM) { *x = v.as.num; *dim = 0; return 1; }
  if (v.tag == T_QTY) { *x = v.as.num; *dim = v.dim; return 1; }
  return 0;
}

/* Holds `a op b` under the tolerant comparison of value.c? */
int repair_holds(double a, int op, double b) {
  int k = num_cmp(a, b);
  switch (op) {
    case OP_LT: return k < 0;
    case OP_LE: return k <= 0;
    case OP_GT: return k > 0;
    case OP_GE: return k >= 0;
  }
  return 0;
}

/* The value a figure must reach: the limit, moved inside by half the
** tolerance for a strict comparison (so the figure passes and sits within
** REPAIR_TOL of the limit). */
double repair_target_of(double L, int op) {
  double eps = 0.5 * REPAIR_TOL * (fabs(L) > 0 ? fabs(L) : 1);
  if (op == OP_LT) return L - eps;
  if (op == OP_GT) return L + eps;
  return L;
}

/* The limit at which a failing figure x would pass (threshold lever). */
double repair_threshold_of(double x, int op) {
  double eps = 0.5 * REPAIR_TOL * (fabs(x) > 0 ? fabs(x) : 1);
  if (op == OP_LT) return x + eps;   /* x < L' */
  if (op == OP_GT) return x - eps;
  return x;
}

/* Whether the limit is written as a percentage (20%, -5%). */
static int node_pct(Node *n) {
  if (n->kind == N_NUM) return (n->u.num.flags & NUMF_PERCENT) != 0;
  if (n->kind == N_NEG) return node_pct(n->u.operand);
  return 0;
}


/* ---- the binding ---------------------------------------------------------------------- */

/* Finds the deciding comparison and splits it into figure and limit (the side
** that reads the world is the figure), evaluated as numbers. Returns 0, with
** c->why when it says why, if there is nothing a lever could move. */
static int analyse(Ctx *c) {
  H *h = c->h;
  c->cmp = find_cmp(c, c->pred);
  if (!c->cmp) return 0;
  Node *l = c->cmp->u.bin.l, *r = c->cmp->u.bin.r;
  c->op = (int)c->cmp->u.bin.op;
  if (repair_world_fixed(l) && !repair_world_fixed(r)) { c->fig = r; c->lim = l; c->op = flip(c->op); }
  else { c->fig = l; c->lim = r; }
  c->fv = eval(h, c->fig, c->slots);
  c->lv = eval(h, c->lim, c->slots);
  int d1, d2;
  if (!repair_num_of(c->fv, &c->x, &d1) || !repair_num_of(c->lv, &c->L, &d2)) {
    c->why = "compares values that are not numbers (partners, strings, dates): no lever moves them";
    return 0;
  }
  c->dim = d1 ? d1 : d2;
  c->pct = node_pct(c->lim);
  return 1;
}

/* Every lever of the binding: the closed forms of a known figure under a limit
** that reads no world, else the search; then the threshold. */
static void levers(Ctx *c) {
  H *h = c->h;
  if (repair_world_fixed(c->lim)) {
    Fig g;
    FigKind k = repairclosed_figure(c, c->fig, &g);
    if (k == FIG_SHARE) { c->pct = 1; repairclosed_shares(c, &g); }
    else if (k == FIG_SUM) repairclosed_sums(c, &g);
    else if (k == FIG_HHI) repairclosed_hhi(c, &g);
    else if (c->fig->kind == N_FIELD) repairclosed_field(c);
    else repairsearch_all(c);
  } else repairsearch_all(c);
  repairclosed_threshold(c);
  (void)h;
}

/* Copies the temp repairs into the report's arena. */
static Repair *keep(Ctx *c, int *n) {
  H *h = c->h;
  Report *r = c->r;
  *n = (int)c->out.n;
  if (!c->out.n) return NULL;
  Repair *x = arena_alloc(h, &r->arena, c->out.n * sizeof(Repair));
  for (uint32_t i = 0; i < c->out.n; i++) {
    Repair *s = &c->out.p[i];
    x[i] = *s;
#define DUP(f) x[i].f = s->f ? report_strdup(h, r, s->f, strlen(s->f)) : NULL
    DUP(target); DUP(unit); DUP(name); DUP(scenario); DUP(side);
#undef DUP
    for (int j = 0; j < x[i].nscale; j++) {
      if (!r->repair_check || c->margin) { x[i].scale[j].rows = NULL; continue; }   /* only --repair=check applies them */
      uint32_t n = x[i].scale[j].n;
      uint32_t *rows = arena_alloc(h, &r->arena, (size_t)(n ? n : 1) * sizeof(uint32_t));
      if (n) memcpy(rows, s->scale[j].rows, n * sizeof(uint32_t));
      x[i].scale[j].rows = rows;
    }
  }
  return x;
}

typedef struct Run { Ctx *c; } Run;

/* One binding under the protected boundary: its levers, kept as repairs (cx) or,
** for a passing binding, as a margin appended to the rule (c->mrule). */
static void repair_body(H *h, void *ud) {
  Ctx *c = ud;
  if (analyse(c)) {
    levers(c);
    if (!c->out.n && !c->why) c->why = "no lever changes this figure: it reads no deals or loans, and its limit is not a number the rule reads";
  }
  if (c->margin) {
    if (!c->cmp || !c->fig || c->why) return;
    RRule *o = c->mrule;
    Report *r = c->r;
    Margin m;
    memset(&m, 0, sizeof m);
    m.bind = c->mbind; m.nbind = c->mnbind;
    m.figure = c->x; m.limit = c->L; m.op = c->op;
    m.margin = (c->op == OP_LT || c->op == OP_LE) ? c->L - c->x : c->x - c->L;
    char d[64];
    m.unit = NULL;
    if (c->dim) { dim_name(h, c->dim, d, sizeof d); m.unit = report_strdup(h, r, d, strlen(d)); }
    m.pct = c->pct;
    size_t len;
    const char *t = parse_node_text(h, c->fig, &len);
    m.expr = report_strdup(h, r, t, len);
    m.levers = keep(c, &m.nlevers);
    if (o->nmargins == o->mcap) {
      uint32_t cap = o->mcap ? o->mcap * 2 : 8;
      Margin *nm = arena_alloc(h, &r->arena, cap * sizeof(Margin));
      if (o->nmargins) memcpy(nm, o->margins, o->nmargins * sizeof(Margin));
      o->margins = nm;
      o->mcap = cap;
    }
    o->margins[o->nmargins++] = m;
    return;
  }
  Cx *cx = c->cx;
  cx->repairs = keep(c, &cx->nrepairs);
  const char *why = c->why ? c->why : c->note;
  if (why) cx->norepair = report_strdup(h, c->r, why, strlen(why));
}

/* Runs repair_body, releasing its temporaries; an error in a lever becomes the
** binding's "no repair" note, while interrupts and limits go on up. */
static void run(H *h, Ctx *c) {
  ArenaMark m = arena_mark(&h->temp);
  int st = hx_pcall(h, repair_body, c);
  buf_free(h, &c->b);
  buf_free(h, &c->w);
  arena_release(h, &h->temp, m);
  if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) hx_throw(h, st);
  if (st != HEDGE_OK && !c->margin && c->cx) {
    const char *msg = cstr(h, &h->err);
    const char *e = strstr(msg, "error: ");
    const char *x = e ? e + 7 : msg;
    const char *nl = strchr(x, '\n');
    char why[300];
    snprintf(why, sizeof why, "no repair: evaluating a lever failed: %.*s", (int)(nl ? nl - x : (long)strlen(x)), x);
    c->cx->norepair = report_strdup(h, c->r, why, strlen(why));
  }
}

/* See repair.h: the repairs of a failing binding, into cx. */
void repair_binding(H *h, Report *r, Cx *cx, Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind, const char *rule) {
  Ctx c;
  memset(&c, 0, sizeof c);
  c.h = h; c.r = r; c.cx = cx; c.pred = pred; c.slots = slots; c.rule = rule;
  c.bindv = bindv; c.bindn = bindn; c.nbind = nbind;
  run(h, &c);
}

/* See repair.h: the margin of a passing binding, appended to out. */
void repair_margin_binding(H *h, Report *r, RRule *out, Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind,
                    RValue *bind, const char *rule) {
  Ctx c;
  memset(&c, 0, sizeof c);
  c.h = h; c.r = r; c.pred = pred; c.slots = slots; c.rule = rule; c.margin = 1;
  c.bindv = bindv; c.bindn = bindn; c.nbind = nbind;
  c.mbind = bind; c.mnbind = nbind; c.mrule = out;
  run(h, &c);
}

/* ---- --repair=check: what each repair does to every rule ------------------------------- */

typedef struct Effects {
  Report *r, *base, *after;
  Repair *rp; const char *rule; Cx *cx;
  RecheckFn recheck;     /* the checker's plain check of every rule (repair.h) */
  double *saved; uint32_t nsaved;
  Buf b, key;
} Effects;

/* A binding's key: "name = text, ...", NUL-terminated in b. */
static void cx_key(H *h, Buf *b, Cx *c) {
  b->n = 0;
  for (int j = 0; j < c->nbind; j++) buf_printf(h, b, "%s%s = %s", j ? ", " : "", c->bind[j].name, c->bind[j].text);
  cstr(h, b);
}

/* Whether rule x fails at the binding with this key (tmp: scratch). */
static int has_cx(H *h, RRule *x, const char *key, Buf *tmp) {
  for (uint32_t k = 0; k < x->ncx; k++) { cx_key(h, tmp, &x->cx[k]); if (!strcmp(tmp->p, key)) return 1; }
  return 0;
}

/* The new failures of `after` against `base` (the repaired binding apart),
** as one sentence in e->b. */
static void diff_reports(H *h, Effects *e) {
  Buf tmp = {0};
  Buf *b = &e->b;
  b->n = 0;
  int shown = 0, more = 0;
  Buf mine = {0};
  cx_key(h, &mine, e->cx);
  for (int i = 0; i < e->after->n; i++) {
    RRule *y = &e->after->rules[i];
    RRule *x = NULL;
    for (int j = 0; j < e->base->n; j++) if (!strcmp(e->base->rules[j].name, y->name)) x = &e->base->rules[j];
    if (!x) continue;
    if (y->status == HEDGE_ERRORED && x->status != HEDGE_ERRORED) {
      if (shown < 3) buf_printf(h, b, "%s%s stops with an error", shown ? "; " : "", y->name), shown++;
      else more++;
      continue;
    }
    for (uint32_t k = 0; k < y->ncx; k++) {
      Buf key = {0};
      cx_key(h, &key, &y->cx[k]);
      int same = !strcmp(y->name, e->rule) && !strcmp(key.p, mine.p);
      int old = has_cx(h, x, key.p, &tmp);
      if (!same && !old) {
        if (shown < 3) {
          buf_printf(h, b, "%smakes %s fail", shown ? "; " : "", y->name);
          if (y->cx[k].nbind) buf_printf(h, b, " at %s", key.p);
          shown++;
        } else more++;
      }
      buf_free(h, &key);
    }
  }
  if (more) buf_printf(h, b, " (and %d more)", more);
  buf_free(h, &tmp);
  buf_free(h, &mine);
}

/* Applies a repair's change to the world: rebinds the let, sets the field or
** scales the rows (their old values saved in e->saved for undo_change). */
static void apply_change(H *h, Effects *e) {
  Repair *rp = e->rp;
  World *w = h->world;
  if (rp->let) { Value old = rp->let->value; rp->let->value = rp->let_value; rp->let_value = old; return; }
  if (rp->field_name) {
    world_set_field(h, rp->field_kind, rp->field_row, rp->field_name, rp->field_value, (Loc){-1, 0, 0});
    return;
  }
  uint32_t n = 0;
  for (int j = 0; j < rp->nscale; j++) n += rp->scale[j].n;
  e->saved = mem_alloc(h, (size_t)(n ? n : 1) * sizeof(double));
  e->nsaved = n ? n : 1;
  for (int j = 0, m = 0; j < rp->nscale; j++) {
    Table *t = &w->t[rp->scale[j].kind];
    for (uint32_t i = 0; i < rp->scale[j].n; i++, m++) {
      uint32_t row = rp->scale[j].rows[i];
      e->saved[m] = t->value[row];
      t->value[row] *= rp->scale[j].k;
    }
  }
  world_changed(h);
}

/* Undoes what apply_change did to lets and row values (world_rollback undoes
** a field). */
static void undo_change(H *h, Effects *e) {
  Repair *rp = e->rp;
  World *w = h->world;
  if (rp->let) { Value now = rp->let->value; rp->let->value = rp->let_value; rp->let_value = now; return; }
  if (!e->saved) return;
  for (int j = 0, m = 0; j < rp->nscale; j++) {
    Table *t = &w->t[rp->scale[j].kind];
    for (uint32_t i = 0; i < rp->scale[j].n; i++, m++) t->value[rp->scale[j].rows[i]] = e->saved[m];
  }
  mem_free(h, e->saved, e->nsaved * sizeof(double));
  e->saved = NULL;
  world_changed(h);
}

/* Under the boundary: applies the change, re-checks every rule, words the new failures. */
static void effects_one(H *h, void *ud) {
  Effects *e = ud;
  apply_change(h, e);
  e->after = e->recheck(h);
  diff_reports(h, e);
}

/* See repair.h: each repair's change applied in turn, every rule re-checked, and
** what else fails noted in the repair's side. */
void repair_effects(H *h, Report *r, RecheckFn recheck) {
  Effects e;
  memset(&e, 0, sizeof e);
  e.r = r;
  e.recheck = recheck;
  e.base = recheck(h);
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    for (uint32_t k = 0; k < x->ncx; k++)
      for (int j = 0; j < x->cx[k].nrepairs; j++) {
        Repair *rp = &x->cx[k].repairs[j];
        if (!rp->nscale && !rp->let && !rp->field_name) continue;
        e.rp = rp; e.rule = x->name; e.cx = &x->cx[k];
        WorldMark wm = world_mark(h);
        int st = hx_pcall(h, effects_one, &e);
        undo_change(h, &e);
        world_rollback(h, wm);
        if (e.after) { report_free(h, e.after); e.after = NULL; }
        if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) {
          buf_free(h, &e.b);
          report_free(h, e.base);
          hx_throw(h, st);
        }
        const char *msg = st == HEDGE_OK ? (e.b.n ? cstr(h, &e.b) : NULL) : "the re-check stopped with an error";
        if (msg) {
          size_t n = strlen(msg) + (rp->side ? strlen(rp->side) + 2 : 0) + 1;
          char *s = arena_alloc(h, &r->arena, n);
          snprintf(s, n, "%s%s%s", rp->side ? rp->side : "", rp->side ? "; " : "", msg);
          rp->side = s;
        }
        rp->checked = 1;
      }
  }
  buf_free(h, &e.b);
  report_free(h, e.base);
}

/* ---- --repair=joint: one change for every binding of a rule --------------------------- */


/* See repair.h: one scenario per failing rule whose bindings are all shares over
** one cap (the joint parts repairclosed.c computed), or why not. */
void repair_joint(H *h, Report *r) {
  Buf b = {0}, t = {0};
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    if (x->status != HEDGE_FAILED || !x->ncx) continue;
    const char *why = NULL;
    for (uint32_t k = 0; k < x->ncx && !why; k++) {
      JointPart *jp = x->cx[k].joint;
      if (!jp) why = "joint repairs are computed for rules whose failing bindings are shares above a cap";
      else if (jp->why) why = jp->why;
      else if (jp->limit != x->cx[0].joint->limit || jp->op != x->cx[0].joint->op) why = "the bindings have different limits";
    }
    if (why) { x->nojoint = report_strdup(h, r, why, strlen(why)); continue; }
    /* one block of updates per group, in the order met */
    b.n = 0;
    buf_printf(h, &b, "scenario repair_%s_joint \"every binding of %s at its cap, at once\" {\n", x->name, x->name);
    double before = 0, after = 0;
    uint32_t ngroups = 0;
    for (uint32_t k = 0; k < x->ncx; k++) {
      JointPart *jp = x->cx[k].joint;
      int seen = 0;
      for (uint32_t j = 0; j < k; j++) if (!strcmp(x->cx[j].joint->key, jp->key)) seen = 1;
      if (seen) continue;
      buf_puts(h, &b, jp->updates);
      before += jp->before; after += jp->after;
      ngroups++;
    }
    buf_puts(h, &b, "}\n");
    Repair *rp = arena_alloc(h, &r->arena, sizeof *rp);
    memset(rp, 0, sizeof *rp);
    rp->lever = "cut";
    t.n = 0;
    buf_printf(h, &t, "every member above the cap, in %u group%s, capped at once", ngroups, ngroups == 1 ? "" : "s");
    rp->target = report_strdup(h, r, t.p, t.n);
    rp->from = before; rp->to = after;
    rp->unit = "USD";
    rp->method = "closed form (the members above the cap capped at one level per group)";
    t.n = 0;
    buf_printf(h, &t, "repair_%s_joint", x->name);
    rp->name = report_strdup(h, r, t.p, t.n);
    rp->scenario = report_strdup(h, r, b.p, b.n);
    x->joint = rp;
  }
  buf_free(h, &b);
  buf_free(h, &t);
}
