/*
** repair.c: "what would it take for this rule to pass?" (docs/repair.md).
**
** For a failing binding the checker hands over the rule's predicate and
** slots. The comparison that failed is split into a figure and a limit.
** When the figure is a standard-library figure (a share, a sum, an HHI, a
** debt-service sum) and the limit does not depend on the world, the
** repairs come from closed forms over the sums the figure is made of (the
** aggregate indexes give them in one lookup each): no world is changed.
** Any other figure (a ratio written in the rule, a user or Lua function)
** is searched: each lever scales a set of deal values or loan principals
** by a factor k, and a guarded bisection on k, with the world changed in
** place and restored after each probe, finds where the comparison flips.
** Every repair is also written as a complete scenario that does the same
** change, so `hedge check --scenario NAME` shows it passing.
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
#include "rules.h"
#include "date.h"
#include "units.h"

/* ---- row sets: the deals or loans a lever scales --------------------------------- */

typedef struct RowSet {
  int kind;              /* K_DEAL or K_LOAN */
  uint32_t *rows; uint32_t n;
  double sum;            /* value or principal of the rows, base units */
  char *where;           /* scenario condition over `d` (deals) or `l` (loans); NULL: every row */
  char *what;            /* words */
  const char *var;       /* the update's variable: d, l, or a comprehension's own */
} RowSet;
typedef VEC(RowSet) RowSets;

static const char *pname(H *h, uint32_t id, char *buf, size_t n) { return world_name(h, K_PARTNER, id, buf, n); }
static const char *cname(H *h, uint32_t id, char *buf, size_t n) { return world_name(h, K_COMMODITY, id, buf, n); }

/* The buffer's text, NUL-terminated at its length (buf_cstr terminates only
** a buffer never written: one emptied by n = 0 keeps its old text). */
static const char *cstr(H *h, Buf *b) {
  buf_putc(h, b, 0);
  b->n--;
  return b->p;
}

static char *tstr(H *h, Buf *b) {
  char *s = arena_strdup(h, &h->temp, b->p ? b->p : "", b->n);
  b->n = 0;
  return s;
}

/* Scratch text: a Buf in the temp arena's care (freed by the caller's context). */
typedef struct Ctx {
  H *h; Report *r; Cx *cx;
  Node *pred, *cmp, *fig, *lim;
  int op;                /* figure op limit */
  Value *slots;
  Value fv, lv;
  double x, L;           /* figure and limit as numbers */
  int dim;               /* the figure's dimension (0 plain) */
  int pct;               /* a ratio read as a percentage */
  const char *rule;
  Value *bindv; HStr **bindn; int nbind;
  Buf b, w;              /* scratch */
  VEC(Repair) out;       /* in temp */
  const char *why;       /* no lever at all, and why */
  char *note;            /* why the world's levers do not apply (a threshold may) */
  int margin;            /* 1: margins (the binding passes) */
  RValue *mbind; int mnbind; RRule *mrule;
} Ctx;

static int is_deal_filter_any(DealFilter f) {
  return f.exporter == NO_ROW && f.importer == NO_ROW && f.commodity == NO_ROW && f.year == NO_YEAR;
}

/* The deals matching f, as a set: rows copied out of the index. */
static void rs_deals(Ctx *c, RowSet *s, DealFilter f, uint32_t except_exporter, uint32_t except_importer, int imports) {   /* imports: 1 words as imports when only the importer is set, 2 always */
  H *h = c->h;
  char nb[128];
  memset(s, 0, sizeof *s);
  s->kind = K_DEAL;
  const uint32_t *rows;
  uint32_t n = deal_rows(h, f, &rows);
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
  s->where = b->n ? tstr(h, b) : NULL;
  (void)is_deal_filter_any;
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
  s->what = tstr(h, b);
}

/* Whether loan row counts in year y (NaN: every year): index.c's rule,
** the one debt_sum and hedge.loans follow (fiscal years included). */
static int loan_out(H *h, uint32_t row, double y) {
  return isnan(y) || loan_outstanding(h, row, y);
}

/* Loans of borrower (from lender, except one lender) outstanding in year y. */
static void rs_loans(Ctx *c, RowSet *s, uint32_t borrower, uint32_t lender, uint32_t except_lender, double y) {
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
  s->where = b->n ? tstr(h, b) : NULL;
  b->n = 0;
  buf_puts(h, b, "loans");
  if (borrower != NO_ROW) buf_printf(h, b, " to %s", pname(h, borrower, nb, sizeof nb));
  if (lender != NO_ROW) buf_printf(h, b, " from %s", pname(h, lender, nb, sizeof nb));
  if (except_lender != NO_ROW) buf_printf(h, b, " from others than %s", pname(h, except_lender, nb, sizeof nb));
  if (!isnan(y)) buf_printf(h, b, " outstanding in %g", y);
  s->what = tstr(h, b);
}

/* ---- scenarios ------------------------------------------------------------------------ */

static void put_factor(H *h, Buf *b, double k) { num_print(b, h, k); }

/* `update d in deals where W { value: d.value * K }` */
static void put_update(H *h, Buf *b, RowSet *s, double k) {
  const char *v = s->var ? s->var : s->kind == K_DEAL ? "d" : "l", *field = s->kind == K_DEAL ? "value" : "principal";
  buf_printf(h, b, "  update %s in %s", v, s->kind == K_DEAL ? "deals" : "loans");
  if (s->where) buf_printf(h, b, " where %s", s->where);
  buf_printf(h, b, " { %s: %s.%s * ", field, v, field);
  put_factor(h, b, k);
  buf_puts(h, b, " }\n");
}

/* A scenario name from the rule, the bindings and the lever: only letters,
** digits and underscores; unique in the report. */
static char *scen_name(Ctx *c, const char *lever) {
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
  return tstr(h, b);
}

static void add_repair(Ctx *c, Repair *rp) {
  H *h = c->h;
  avec_push(h, &h->temp, &c->out, *rp);
}

/* Starts a scenario block in c->b: `scenario NAME "title" {`. */
static void scen_begin(Ctx *c, const char *name, const char *title) {
  H *h = c->h;
  c->b.n = 0;
  buf_printf(h, &c->b, "scenario %s \"", name);
  for (const char *p = title; *p; p++) if (*p != '"' && *p != '\\' && *p != '\n') buf_putc(h, &c->b, *p);
  buf_puts(h, &c->b, "\" {\n");
}

/* The repair of scaling one set by k (cut when k < 1, grow when k > 1). */
/* Records one scaled set in a repair's change (for --repair=check). */
static void add_scale(Repair *rp, RowSet *s, double k) {
  if (rp->nscale >= 2) return;
  rp->scale[rp->nscale].kind = s->kind;
  rp->scale[rp->nscale].rows = s->rows;
  rp->scale[rp->nscale].n = s->n;
  rp->scale[rp->nscale].k = k;
  rp->nscale++;
}

static void lever_scale(Ctx *c, const char *lever, RowSet *s, double k, const char *method, const char *side) {
  H *h = c->h;
  if (!(k >= 0) || !isfinite(k)) return;
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = lever;
  rp.target = s->what;
  rp.from = s->sum;
  rp.to = s->sum * k;
  rp.unit = "USD";
  rp.method = method;
  rp.side = side ? arena_strdup(h, &h->temp, side, strlen(side)) : NULL;
  add_scale(&rp, s, k);
  if (!c->margin) {
    rp.name = scen_name(c, lever);
    char title[400];
    snprintf(title, sizeof title, "%s %s", lever, s->what);
    scen_begin(c, rp.name, title);
    put_update(h, &c->b, s, k);
    buf_puts(h, &c->b, "}\n");
    rp.scenario = tstr(h, &c->b);
  }
  add_repair(c, &rp);
}

/* ---- the comparison: figure and limit --------------------------------------------- */

/* Does the expression read the world (deals, loans, attributes, functions)? */
static int world_fixed(Node *n) {
  switch (n->kind) {
    case N_NUM: case N_QTY: case N_STR: case N_DATE: case N_BOOL: case N_NIL: case N_LOCAL: return 1;
    case N_GLOBAL: return 1;
    case N_CONST: return n->u.cnst.v.tag != T_FUNC;
    case N_NEG: return world_fixed(n->u.operand);
    case N_BIN: return n->u.bin.op < OP_EQ && world_fixed(n->u.bin.l) && world_fixed(n->u.bin.r);
    default: return 0;
  }
}

static int literal_expr(Node *n) {
  switch (n->kind) {
    case N_NUM: case N_QTY: return 1;
    case N_NEG: return literal_expr(n->u.operand);
    case N_BIN: return n->u.bin.op < OP_EQ && literal_expr(n->u.bin.l) && literal_expr(n->u.bin.r);
    default: return 0;
  }
}

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

static int num_of(Value v, double *x, int *dim) {
  if (v.tag == T_NUM) { *x = v.as.num; *dim = 0; return 1; }
  if (v.tag == T_QTY) { *x = v.as.num; *dim = v.dim; return 1; }
  return 0;
}

/* Holds `a op b` under the tolerant comparison of value.c? */
static int holds(double a, int op, double b) {
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
static double target_of(double L, int op) {
  double eps = 0.5 * REPAIR_TOL * (fabs(L) > 0 ? fabs(L) : 1);
  if (op == OP_LT) return L - eps;
  if (op == OP_GT) return L + eps;
  return L;
}

/* The limit at which a failing figure x would pass (threshold lever). */
static double threshold_of(double x, int op) {
  double eps = 0.5 * REPAIR_TOL * (fabs(x) > 0 ? fabs(x) : 1);
  if (op == OP_LT) return x + eps;   /* x < L' */
  if (op == OP_GT) return x - eps;
  return x;
}

/* ---- standard-library figures -------------------------------------------------------- */

typedef enum { FIG_OTHER, FIG_SHARE, FIG_SUM, FIG_HHI } FigKind;

typedef struct Fig {
  FigKind kind;
  RowSet part, total, other, part2;   /* part2: trade's second direction */
  int nparts;
  int group;             /* HHI and share side effects: 0 exporter, 1 importer, 2 lender */
  uint32_t who;          /* share: the offending partner */
  int loans;
} Fig;

static Function *stdlib_fn(Node *call) {
  if (call->kind != N_CALL || call->u.call.compr) return NULL;
  Node *fn = call->u.call.fn;
  if (fn->kind != N_CONST || fn->u.cnst.v.tag != T_FUNC) return NULL;
  Function *f = fn->u.cnst.v.as.fn;
  return f->kind == F_LUA ? f : NULL;
}

static uint32_t ent_id(Value v, int kind) { return v.tag == T_ENT && v.kind == kind ? (uint32_t)v.i : NO_ROW; }

typedef struct Args { Value pos[3]; int npos; Value from, to, commodity, year, lender; } Args;

static void eval_args(Ctx *c, Node *call, Args *a) {
  H *h = c->h;
  memset(a, 0, sizeof *a);
  for (uint32_t i = 0; i < call->u.call.args.n && i < 3; i++) a->pos[a->npos++] = eval(h, call->u.call.args.p[i], c->slots);
  for (uint32_t i = 0; i < call->u.call.named.n; i++) {
    Field *f = &call->u.call.named.p[i];
    Value v = eval(h, f->value, c->slots);
    const char *n = f->name->s;
    if (!strcmp(n, "from")) a->from = v;
    else if (!strcmp(n, "to")) a->to = v;
    else if (!strcmp(n, "commodity")) a->commodity = v;
    else if (!strcmp(n, "year")) a->year = v;
    else if (!strcmp(n, "lender")) a->lender = v;
  }
}

static int32_t year_arg(Value v) { return v.tag == T_NUM ? (int32_t)v.as.num : NO_YEAR; }

static double debt_year(H *h, Value v) {
  if (v.tag == T_NUM) return v.as.num;
  int32_t y = world_latest_year(h);
  return y == NO_YEAR ? 0 : y;
}

/* The standard-library figures the closed forms know, but trade (two parts):
** the side of the flows the first partner fixes and how many partners the
** call must name (shares name the member last). */
enum { FIX_NONE, FIX_IMPORTER, FIX_EXPORTER, FIX_BORROWER };
typedef struct FigSpec { const char *name; FigKind kind; int fixes, need; } FigSpec;
static const FigSpec fig_specs[] = {
  {"imports", FIG_SUM, FIX_IMPORTER, 1},        {"exports", FIG_SUM, FIX_EXPORTER, 1},
  {"world_exports", FIG_SUM, FIX_NONE, 0},      {"debt", FIG_SUM, FIX_BORROWER, 1},
  {"debt_service", FIG_SUM, FIX_BORROWER, 1},   {"import_share", FIG_SHARE, FIX_IMPORTER, 2},
  {"export_share", FIG_SHARE, FIX_EXPORTER, 2}, {"world_share", FIG_SHARE, FIX_NONE, 1},
  {"debt_share", FIG_SHARE, FIX_BORROWER, 2},   {"import_hhi", FIG_HHI, FIX_IMPORTER, 1},
  {"export_hhi", FIG_HHI, FIX_EXPORTER, 1},     {"world_hhi", FIG_HHI, FIX_NONE, 0},
  {"debt_hhi", FIG_HHI, FIX_BORROWER, 1},
};

/* Recognizes a standard-library figure and gathers its sets. */
static FigKind figure_of(Ctx *c, Node *call, Fig *g) {
  memset(g, 0, sizeof *g);
  Function *f = stdlib_fn(call);
  if (!f) return FIG_OTHER;
  H *h = c->h;
  const char *n = f->name->s;
  /* by: volume sums the deals' volumes, not the values the closed forms move */
  for (uint32_t i = 0; i < call->u.call.named.n; i++) {
    Field *fl = &call->u.call.named.p[i];
    if (!strcmp(fl->name->s, "by") && fl->value->kind == N_STR && strcmp(fl->value->u.str->s, "value") != 0) return FIG_OTHER;
  }
  Args a;
  eval_args(c, call, &a);
  uint32_t p0 = a.npos > 0 ? ent_id(a.pos[0], K_PARTNER) : NO_ROW, p1 = a.npos > 1 ? ent_id(a.pos[1], K_PARTNER) : NO_ROW;
  DealFilter d = deal_filter_any();
  d.commodity = ent_id(a.commodity, K_COMMODITY);
  d.year = year_arg(a.year);
  if (a.commodity.tag != T_NIL && d.commodity == NO_ROW) return FIG_OTHER;
  if (a.year.tag != T_NIL && a.year.tag != T_NUM) return FIG_OTHER;
  if (!strcmp(n, "trade") && p0 != NO_ROW) {   /* two parts: both directions */
    DealFilter e = d;
    d.exporter = p0; d.importer = p1;
    e.importer = p0; e.exporter = p1;
    rs_deals(c, &g->part, d, NO_ROW, NO_ROW, 0);
    rs_deals(c, &g->part2, e, NO_ROW, NO_ROW, 2);
    g->nparts = 2;
    return g->kind = FIG_SUM;
  }
  const FigSpec *x = NULL;
  for (size_t i = 0; i < sizeof fig_specs / sizeof *fig_specs; i++) if (!strcmp(n, fig_specs[i].name)) x = &fig_specs[i];
  if (!x || (x->need >= 1 && p0 == NO_ROW) || (x->need == 2 && p1 == NO_ROW)) return FIG_OTHER;
  uint32_t who = x->need == 2 ? p1 : p0;   /* a share's member */
  if (x->fixes == FIX_BORROWER) {
    double y = debt_year(h, a.year);
    g->loans = 1;
    if (x->kind == FIG_SUM) {
      rs_loans(c, &g->part, p0, ent_id(a.lender, K_PARTNER), NO_ROW, y);
      g->nparts = 1;
      return g->kind = FIG_SUM;
    }
    rs_loans(c, &g->total, p0, NO_ROW, NO_ROW, y);
    if (x->kind == FIG_SHARE) {
      rs_loans(c, &g->other, p0, NO_ROW, who, y);
      rs_loans(c, &g->part, p0, who, NO_ROW, y);
      g->who = who;
    }
    g->group = 2;
    return g->kind = x->kind;
  }
  /* an importer's flows are worded as imports; the members of its share or
  ** HHI are the exporters, those of an exporter's flows the importers */
  int imp = x->fixes == FIX_IMPORTER, group = x->fixes == FIX_EXPORTER;
  if (imp) d.importer = p0;
  else if (x->fixes == FIX_EXPORTER) d.exporter = p0;
  if (x->kind == FIG_SUM) {
    if (imp) d.exporter = ent_id(a.from, K_PARTNER);
    else if (x->fixes == FIX_EXPORTER) d.importer = ent_id(a.to, K_PARTNER);
    rs_deals(c, &g->part, d, NO_ROW, NO_ROW, 2 * imp);
    g->nparts = 1;
    return g->kind = FIG_SUM;
  }
  rs_deals(c, &g->total, d, NO_ROW, NO_ROW, imp);
  if (x->kind == FIG_SHARE) {
    rs_deals(c, &g->other, d, group == 0 ? who : NO_ROW, group == 1 ? who : NO_ROW, imp);
    if (group == 0) d.exporter = who;
    else d.importer = who;
    rs_deals(c, &g->part, d, NO_ROW, NO_ROW, 2 * imp);
    g->who = who;
  }
  g->group = group;
  return g->kind = x->kind;
}

/* Sums of a set's rows by partner (exporter, importer or lender): a
** temp array indexed by partner id. */
static double *group_sums(Ctx *c, RowSet *s, int group) {
  H *h = c->h;
  World *w = h->world;
  uint32_t np = w->t[K_PARTNER].n;
  double *g = arena_alloc(h, &h->temp, (size_t)(np ? np : 1) * sizeof(double));
  memset(g, 0, (size_t)(np ? np : 1) * sizeof(double));
  Table *t = &w->t[s->kind];
  for (uint32_t i = 0; i < s->n; i++) {
    uint32_t r = s->rows[i];
    uint32_t who = group == 1 ? t->b[r] : t->a[r];
    if (who < np) g[who] += t->value[r];
  }
  return g;
}

/* The largest group other than `who`: its id (NO_ROW if none) and sum. */
static uint32_t largest_other(Ctx *c, double *g, uint32_t who, double *v) {
  uint32_t np = c->h->world->t[K_PARTNER].n, best = NO_ROW;
  *v = 0;
  for (uint32_t i = 0; i < np; i++) if (i != who && g[i] > *v) { *v = g[i]; best = i; }
  return best;
}

static const char *const group_word[] = {"supplier", "customer", "lender"};

/* Would another partner's share break the limit after the change? Others
** scale by ko; the total becomes t2. */
static const char *share_side(Ctx *c, double *g, uint32_t who, double ko, double t2, int group) {
  double v;
  uint32_t j = largest_other(c, g, who, &v);
  if (j == NO_ROW || !(t2 > 0)) return NULL;
  double s = v * ko / t2;
  if (holds(s, c->op, c->L)) return NULL;
  H *h = c->h;
  char nb[128];
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "pushes %s %s's share to ", group_word[group], pname(h, j, nb, sizeof nb));
  pct_print(b, h, s);
  buf_puts(h, b, ", past the limit");
  return tstr(h, b);
}

static const char *CLOSED = "closed form";

/* shift: scale part by kp and others by ko in one scenario */
static void lever_shift(Ctx *c, Fig *g, double kp, double ko, const char *side, int to_part) {
  H *h = c->h;
  if (!(kp >= 0) || !(ko >= 0) || !isfinite(kp) || !isfinite(ko)) return;
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = "shift";
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, to_part ? "%s (from the others, pro rata)" : "%s (to the others, pro rata)", g->part.what);
  rp.target = tstr(h, b);
  rp.from = g->part.sum;
  rp.to = g->part.sum * kp;
  rp.unit = "USD";
  rp.method = CLOSED;
  rp.side = side ? arena_strdup(h, &h->temp, side, strlen(side)) : NULL;
  add_scale(&rp, &g->part, kp);
  add_scale(&rp, &g->other, ko);
  if (!c->margin) {
    rp.name = scen_name(c, "shift");
    char title[400];
    snprintf(title, sizeof title, "shift %s to the others", g->part.what);
    scen_begin(c, rp.name, title);
    put_update(h, &c->b, &g->part, kp);
    put_update(h, &c->b, &g->other, ko);
    buf_puts(h, &c->b, "}\n");
    rp.scenario = tstr(h, &c->b);
  }
  add_repair(c, &rp);
}

/* --repair=joint for a share above its cap s: cap every member of the
** group at once ("water-filling"). With the members' sums v1 >= v2 >= ...
** and the top k capped at a level m, each capped share is m / T' with
** T' = k m + R_k (R_k the sum of the others), so m = s R_k / (1 - k s). The
** smallest k with v_k >= m >= v_(k+1) is the solution: the capped members
** are exactly those above the level. It needs k s < 1. */
static int cmp_desc(const void *a, const void *b) {
  double x = ((const double *)a)[0], y = ((const double *)b)[0];
  return (x < y) - (x > y);
}

static void joint_share(Ctx *c, Fig *g, double *gs, double s) {
  H *h = c->h;
  uint32_t np = h->world->t[K_PARTNER].n, n = 0;
  double *v = arena_alloc(h, &h->temp, (size_t)(np ? np : 1) * 2 * sizeof(double));   /* pairs: sum, id */
  double T = 0;
  for (uint32_t i = 0; i < np; i++) if (gs[i] > 0) { v[2 * n] = gs[i]; v[2 * n + 1] = i; n++; T += gs[i]; }
  qsort(v, n, 2 * sizeof(double), cmp_desc);
  JointPart *jp = arena_alloc(h, &c->r->arena, sizeof *jp);
  memset(jp, 0, sizeof *jp);
  jp->limit = c->L; jp->op = c->op;
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "%d|%d|%s", g->total.kind, g->group, g->total.where ? g->total.where : "");
  jp->key = rep_strdup(h, c->r, b->p, b->n);
  double level = NAN, rest = T;
  uint32_t k = 0;
  for (k = 1; k <= n; k++) {
    rest -= v[2 * (k - 1)];
    if (k * s >= 1 || !(rest > 0)) break;   /* capping everyone leaves nothing to hold a share of */
    double m = s * rest / (1 - k * s);
    if (v[2 * (k - 1)] >= m && (k == n || v[2 * k] <= m)) { level = m; break; }
  }
  c->cx->joint = jp;
  if (isnan(level)) {
    b->n = 0;
    buf_printf(h, b, "a cap of %g%% on every member needs more than %g members with flows, and this group has %u; "
               "no cut reaches it (the others must grow, or new members come in)", c->L * 100, floor(1 / c->L), n);
    jp->why = rep_strdup(h, c->r, b->p, b->n);
    return;
  }
  const char *var = g->loans ? "l" : "d", *field = g->group == 0 ? "exporter" : g->group == 1 ? "importer" : "lender";
  const char *vfield = g->loans ? "principal" : "value";
  b->n = 0;
  char nb[128];
  for (uint32_t i = 0; i < k; i++) {
    uint32_t id = (uint32_t)v[2 * i + 1];
    buf_printf(h, b, "  update %s in %s where ", var, g->loans ? "loans" : "deals");
    if (g->total.where) buf_printf(h, b, "%s and ", g->total.where);
    buf_printf(h, b, "%s.%s == %s { %s: %s.%s * ", var, field, pname(h, id, nb, sizeof nb), vfield, var, vfield);
    num_print(b, h, level / v[2 * i]);
    buf_puts(h, b, " }\n");
    jp->before += v[2 * i];
    jp->after += level;
  }
  jp->updates = rep_strdup(h, c->r, b->p, b->n);
}

/* Shares: x of total t, the rest R = t - x; target share s. */
static void share_levers(Ctx *c, Fig *g) {
  double x = g->part.sum, t = g->total.sum, R = g->other.sum;
  double s = target_of(c->L, c->op);
  double *gs = group_sums(c, &g->total, g->group);
  int too_high = c->op == OP_LT || c->op == OP_LE;   /* failing: the share is too high */
  if (c->margin) too_high = !too_high;                 /* margin: what pushes it up/down to the limit */
  if (c->margin) s = c->L;
  if (too_high && !c->margin && c->r->repair_joint && c->cx) joint_share(c, g, gs, s);
  if (too_high) {
    /* cut the part: x'/(x' + R) = s  =>  x' = sR/(1-s); delta = (x - s t)/(1 - s) */
    if (R > 0 && s < 1 && s >= 0 && x > 0) {
      double x2 = s * R / (1 - s);
      lever_scale(c, "cut", &g->part, x2 / x, CLOSED,
                  c->margin ? NULL : share_side(c, gs, g->who, 1, x2 + R, g->group));
    }
    /* shift d = x - s t to the others, pro rata (total kept) */
    if (R > 0 && x > 0) {
      double d = x - s * t;
      lever_shift(c, g, (x - d) / x, (R + d) / R, c->margin ? NULL : share_side(c, gs, g->who, (R + d) / R, t, g->group), 0);
    }
    /* grow the others: x/(x + R') = s  =>  R' = x(1-s)/s */
    if (R > 0 && s > 0 && x > 0) {
      double R2 = x * (1 - s) / s;
      lever_scale(c, "grow", &g->other, R2 / R, CLOSED,
                  c->margin ? NULL : share_side(c, gs, g->who, R2 / R, x + R2, g->group));
    }
  } else {
    /* the share is too low: grow the part, shift to it, or cut the others */
    if (R > 0 && s < 1 && x > 0) {
      double x2 = s * R / (1 - s);
      lever_scale(c, "grow", &g->part, x2 / x, CLOSED, NULL);
    }
    if (R > 0 && x > 0) {
      double d = s * t - x;
      lever_shift(c, g, (x + d) / x, (R - d) / R, NULL, 1);
    }
    if (R > 0 && s > 0 && x > 0) {
      double R2 = x * (1 - s) / s;
      lever_scale(c, "cut", &g->other, R2 / R, CLOSED, NULL);
    }
  }
}

/* Sums (linear in the rows' values): scale to the target. */
static void sum_levers(Ctx *c, Fig *g) {
  double x = c->x;
  double T = c->margin ? c->L : target_of(c->L, c->op);
  if (!(x > 0)) {
    H *h = c->h;
    Buf *b = &c->w;
    b->n = 0;
    buf_printf(h, b, "the figure sums no %s (%s%s%s): cut, shift and grow have nothing to scale; a new %s would be needed",
               g->loans ? "loans" : "deals", g->part.what, g->nparts == 2 ? ", " : "", g->nparts == 2 ? g->part2.what : "",
               g->loans ? "loan" : "deal");
    c->note = tstr(h, b);
    return;
  }
  if (T < 0) return;
  double k = T / x;
  const char *lever = k < 1 ? "cut" : "grow";
  if (g->nparts == 1) { lever_scale(c, lever, &g->part, k, CLOSED, NULL); return; }
  /* trade: both directions by the same factor, one scenario */
  H *h = c->h;
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = lever;
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "%s and %s", g->part.what, g->part2.what);
  rp.target = tstr(h, b);
  rp.from = g->part.sum + g->part2.sum;
  rp.to = rp.from * k;
  rp.unit = "USD";
  rp.method = CLOSED;
  add_scale(&rp, &g->part, k);
  add_scale(&rp, &g->part2, k);
  if (!c->margin) {
    rp.name = scen_name(c, lever);
    char title[600];
    snprintf(title, sizeof title, "%s %s", lever, rp.target);
    scen_begin(c, rp.name, title);
    put_update(h, &c->b, &g->part, k);
    put_update(h, &c->b, &g->part2, k);
    buf_puts(h, &c->b, "}\n");
    rp.scenario = tstr(h, &c->b);
  }
  add_repair(c, &rp);
}

/* The root of a2 z^2 + a1 z + a0 = 0 in [lo, hi] nearest to `near`, or NAN. */
static double quad_root(double a2, double a1, double a0, double lo, double hi, double near) {
  double r[2];
  int n = 0;
  if (fabs(a2) < 1e-300) { if (a1 != 0) r[n++] = -a0 / a1; }
  else {
    double disc = a1 * a1 - 4 * a2 * a0;
    if (disc < 0) {
      if (disc > -1e-12 * a1 * a1) disc = 0; else return NAN;
    }
    double sq = sqrt(disc);
    double q = -0.5 * (a1 + (a1 >= 0 ? sq : -sq));   /* stable form */
    if (q != 0) { r[n++] = q / a2; r[n++] = a0 / q; }
    else r[n++] = -a1 / (2 * a2);
  }
  double best = NAN;
  for (int i = 0; i < n; i++) {
    double z = r[i];
    double slack = 1e-12 * (fabs(lo) + fabs(near) + 1);   /* not hi: it may be huge */
    if (z < lo - slack || z > hi + slack) continue;
    if (z < lo) z = lo;
    if (z > hi) z = hi;
    if (isnan(best) || fabs(z - near) < fabs(best - near)) best = z;
  }
  return best;
}

/* HHI = 1e4 (x^2 + S2) / T^2 with the top group x, the others' sum R and
** sum of squares S2. */
static void hhi_levers(Ctx *c, Fig *g) {
  H *h = c->h;
  double *gs = group_sums(c, &g->total, g->group);
  double x;
  uint32_t top = largest_other(c, gs, NO_ROW, &x);
  if (top == NO_ROW) return;
  uint32_t np = h->world->t[K_PARTNER].n;
  double R = 0, S2 = 0;
  for (uint32_t i = 0; i < np; i++) if (i != top) { R += gs[i]; S2 += gs[i] * gs[i]; }
  char tn[128];
  const char *topname = pname(h, top, tn, sizeof tn);
  if (!(R > 0)) {
    /* one group: its HHI is 10000 whatever the size of its flows */
    if (!c->margin) {
      Buf *b = &c->w;
      b->n = 0;
      buf_printf(h, b, "%s is the only %s: the HHI is 10000 whatever the size of its flows, so cut, shift and grow "
                 "cannot lower it; a second %s would be needed", topname, group_word[g->group], group_word[g->group]);
      c->note = tstr(h, b);
    }
    return;
  }
  double H2 = c->margin ? c->L : target_of(c->L, c->op);
  double a = H2 / 1e4;
  /* the top group's rows */
  RowSet top_rows;
  memset(&top_rows, 0, sizeof top_rows);
  char nb[128];
  if (g->loans) {
    Table *t = &h->world->t[K_LOAN];
    uint32_t borrower = g->total.n ? t->b[g->total.rows[0]] : NO_ROW;
    double y = 0;
    /* the year is in the set's words; recover it from the figure's call */
    Args ar;
    eval_args(c, c->fig, &ar);
    y = debt_year(h, ar.year);
    rs_loans(c, &top_rows, borrower, top, NO_ROW, y);
  } else {
    Args ar;
    eval_args(c, c->fig, &ar);
    DealFilter d = deal_filter_any();
    d.commodity = ent_id(ar.commodity, K_COMMODITY);
    d.year = year_arg(ar.year);
    uint32_t p0 = ar.npos > 0 ? ent_id(ar.pos[0], K_PARTNER) : NO_ROW;
    if (g->group == 0) { d.importer = p0; d.exporter = top; }
    else { d.exporter = p0; d.importer = top; }
    rs_deals(c, &top_rows, d, NO_ROW, NO_ROW, g->group == 0 ? 2 : 0);
  }
  if (!(top_rows.sum > 0)) return;
  (void)nb;
  int too_high = c->op == OP_LT || c->op == OP_LE;
  if (c->margin) too_high = !too_high;
  if (too_high) {
    /* cut the top: (a-1) x'^2 + 2aR x' + aR^2 - S2 = 0, x' in [S2/R, x] */
    double x2 = quad_root(a - 1, 2 * a * R, a * R * R - S2, S2 / R, x, x);
    int found = !isnan(x2);
    if (found) lever_scale(c, "cut", &top_rows, x2 / x, CLOSED, NULL);
    /* shift d from the top to the others pro rata: with q = S2/R^2,
    ** (1+q) d^2 + 2(qR - x) d + x^2 + qR^2 - a T^2 = 0, d in [0, d_min] */
    double q = S2 / (R * R), T = x + R;
    double dmin = (x - q * R) / (1 + q);
    if (dmin > 0) {
      double d = quad_root(1 + q, 2 * (q * R - x), x * x + q * R * R - a * T * T, 0, dmin, 0);
      if (!isnan(d)) {
        Fig sh = *g;
        sh.part = top_rows;
        /* the others: the total minus the top's rows */
        RowSet o = g->total;
        o.rows = arena_alloc(h, &h->temp, (size_t)(g->total.n ? g->total.n : 1) * sizeof(uint32_t));
        o.n = 0;
        Table *t = &h->world->t[o.kind];
        KSum k = {0, 0};
        for (uint32_t i = 0; i < g->total.n; i++) {
          uint32_t r = g->total.rows[i];
          uint32_t who = g->group == 1 ? t->b[r] : t->a[r];
          if (who == top) continue;
          o.rows[o.n++] = r;
          ksum_add(&k, t->value[r]);
        }
        o.sum = ksum_get(&k);
        Buf *b = &c->w;
        b->n = 0;
        const char *field = g->group == 0 ? "exporter" : g->group == 1 ? "importer" : "lender";
        char nb2[128];
        if (g->total.where) buf_printf(h, b, "%s and ", g->total.where);
        buf_printf(h, b, "%s.%s != %s", g->loans ? "l" : "d", field, pname(h, top, nb2, sizeof nb2));
        o.where = tstr(h, b);
        sh.other = o;
        lever_shift(c, &sh, (x - d) / x, (R + d) / R, NULL, 0);
        found = 1;
      }
    }
    if (!found && !c->margin) {
      /* the lowest HHI each lever reaches: cutting the top bottoms out at
      ** x' = S2/R, shifting from it at d_min; n groups give at least 10000/n */
      uint32_t n = 0;
      for (uint32_t i = 0; i < np; i++) if (gs[i] > 0) n++;
      double hcut = 1e4 * S2 / (S2 + R * R);
      double hshift = dmin > 0 ? 1e4 * ((x - dmin) * (x - dmin) + q * (R + dmin) * (R + dmin)) / (T * T) : c->x;
      Buf *b = &c->w;
      b->n = 0;
      buf_printf(h, b, "cutting the top %s (%s) bottoms out at HHI ", group_word[g->group], topname);
      num_print_short(b, h, hcut);
      buf_puts(h, b, " and shifting from it to the others at ");
      num_print_short(b, h, hshift);
      buf_printf(h, b, ", both short of the limit: %u %ss give an HHI of at least ", n, group_word[g->group]);
      num_print_short(b, h, 1e4 / n);
      buf_printf(h, b, "; more %ss would be needed", group_word[g->group]);
      c->note = tstr(h, b);
    }
  } else {
    /* an HHI below a floor: grow the top (the larger root above x) */
    double x2 = quad_root(a - 1, 2 * a * R, a * R * R - S2, x, 1e300, x);
    if (!isnan(x2)) lever_scale(c, "grow", &top_rows, x2 / x, CLOSED, NULL);
  }
}

/* ---- the search: any figure, by scaling sets of rows ---------------------------------- */

typedef struct Probe {
  Ctx *c;
  RowSet *s; double k;
  double f, l; int pass;
} Probe;

static void probe_eval(H *h, void *ud) {
  Probe *p = ud;
  Ctx *c = p->c;
  ArenaMark m = arena_mark(&h->temp);
  Value fv = eval(h, c->fig, c->slots), lv = eval(h, c->lim, c->slots);
  arena_release(h, &h->temp, m);
  int d1, d2;
  if (!num_of(fv, &p->f, &d1) || !num_of(lv, &p->l, &d2)) { p->pass = -1; return; }
  p->pass = holds(p->f, c->op, p->l);
}

/* Evaluates the comparison with the set's values scaled by k, then puts
** every value back: 1 passes, 0 fails, -1 an error or not a number. */
static int probe(Probe *p, double k) {
  Ctx *c = p->c;
  H *h = c->h;
  Table *t = &h->world->t[p->s->kind];
  double *old = arena_alloc(h, &h->temp, (size_t)(p->s->n ? p->s->n : 1) * sizeof(double));
  for (uint32_t i = 0; i < p->s->n; i++) { old[i] = t->value[p->s->rows[i]]; t->value[p->s->rows[i]] = old[i] * k; }
  world_changed(h);
  p->k = k;
  int st = hx_pcall(h, probe_eval, p);
  for (uint32_t i = 0; i < p->s->n; i++) t->value[p->s->rows[i]] = old[i];
  world_changed(h);
  if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) hx_throw(h, st);
  if (st != HEDGE_OK) return -1;
  return p->pass;
}

#define SEARCH_STEPS 200
static const char *SEARCH = "bisection on the scale of the rows, to 1e-9 relative to the limit";

/* Scales a set down (cut) or up (grow) until the comparison flips from
** its current state; records the smallest such change. */
static void search_set(Ctx *c, RowSet *s) {
  if (!s->n || !(s->sum > 0)) return;
  Probe p;
  memset(&p, 0, sizeof p);
  p.c = c; p.s = s;
  int want = c->margin ? 0 : 1;   /* the state to reach */
  for (int dir = 0; dir < 2; dir++) {
    /* in: the current state; out: reaches `want`. A coarse walk away from
    ** k = 1 finds the first crossing (figures need not be monotone: the
    ** largest supplier's share falls, then rises, as another overtakes it) */
    double in = 1, out = NAN;
    if (dir == 0) {
      for (int i = 1; i <= 20; i++) {
        double k = 1 - i / 20.0;
        int r = probe(&p, k);
        if (r == want) { out = k; break; }
        in = k;
      }
    } else {
      for (double k = 1.25; k <= 1048576; k = k < 4 ? k + 0.25 : k * 2) {
        int r = probe(&p, k);
        if (r == want) { out = k; break; }
        if (r < 0) break;
        in = k;
      }
    }
    if (isnan(out)) continue;
    double fo = p.f, lo = p.l;
    /* keep `out` on the reaching side; stop when its figure is at the limit */
    probe(&p, out);
    fo = p.f; lo = p.l;
    for (int i = 0; i < SEARCH_STEPS; i++) {
      double scale = fabs(lo) > fabs(fo) ? fabs(lo) : fabs(fo);
      if (fabs(fo - lo) <= 0.5 * REPAIR_TOL * (scale > 0 ? scale : 1)) break;
      double mid = 0.5 * (in + out);
      if (mid == in || mid == out) break;
      int r = probe(&p, mid);
      if (r < 0) break;
      if (r == want) { out = mid; fo = p.f; lo = p.l; } else in = mid;
    }
    /* guarded: a figure that jumps over the limit (a share of a total cut
    ** to nothing) is no repair at the limit */
    double scale = fabs(lo) > fabs(fo) ? fabs(lo) : fabs(fo);
    if (!(fabs(fo - lo) <= REPAIR_TOL * (scale > 0 && lo != 0 && fo != 0 ? scale : 1))) continue;
    lever_scale(c, out < 1 ? "cut" : "grow", s, out, SEARCH, NULL);
  }
}

static void add_set(Ctx *c, RowSets *sets, RowSet *s);

/* The sums a figure reads, recorded by the indexes while it is evaluated
** once (world.h, SumTrace): the levers of Lua and user-function figures. */
static void trace_eval(H *h, void *ud) {
  Ctx *c = ud;
  ArenaMark m = arena_mark(&h->temp);
  eval(h, c->fig, c->slots);
  eval(h, c->lim, c->slots);
  arena_release(h, &h->temp, m);
}

static void trace_sets(Ctx *c, RowSets *sets) {
  H *h = c->h;
  SumTrace tr;
  tr.n = 0;
  h->trace = &tr;
  int st = hx_pcall(h, trace_eval, c);
  h->trace = NULL;
  if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) hx_throw(h, st);
  if (st != HEDGE_OK) return;
  for (uint32_t i = 0; i < tr.n; i++) {
    SumTraceItem *it = &tr.item[i];
    RowSet s;
    if (it->kind == K_DEAL) rs_deals(c, &s, it->f, NO_ROW, NO_ROW, it->f.exporter == NO_ROW);
    else rs_loans(c, &s, it->borrower, it->lender, NO_ROW, it->has_year ? it->year : NAN);
    add_set(c, sets, &s);
  }
}

/* Row sets of the sums a figure is made of: standard-library calls and
** `sum(x in deals|loans where ...: x.value)` comprehensions, found by
** walking the comparison (not into user functions). */
static void collect_sets(Ctx *c, Node *n, RowSets *sets, int depth);

static int same_rows(RowSet *a, RowSet *b) {
  if (a->kind != b->kind || a->n != b->n) return 0;
  for (uint32_t i = 0; i < a->n; i++) if (a->rows[i] != b->rows[i]) return 0;
  return 1;
}

static void add_set(Ctx *c, RowSets *sets, RowSet *s) {
  if (!s->n) return;
  for (uint32_t i = 0; i < sets->n; i++) if (same_rows(&sets->p[i], s)) return;
  avec_push(c->h, &c->h->temp, sets, *s);
}

/* The text of a `where` with the rule's variables replaced by their values
** (the comprehension's own variable stays). */
static void subst_text(Ctx *c, Node *n, int binder_slot, Buf *b) {
  H *h = c->h;
  size_t len;
  const char *t = node_text(h, n, &len);
  int base = n->start;
  /* collect the spans of locals other than the binder */
  int spans[64][2]; Value vals[64]; int ns = 0;
  Node *stack[256]; int sp = 0;
  stack[sp++] = n;
  while (sp) {
    Node *x = stack[--sp];
    if (x->kind == N_LOCAL) {
      if (x->u.local.slot != binder_slot && ns < 64) { spans[ns][0] = x->start; spans[ns][1] = x->end; vals[ns] = c->slots[x->u.local.slot]; ns++; }
      continue;
    }
    if (sp > 250) continue;
    switch (x->kind) {
      case N_BIN: case N_AND: case N_OR: stack[sp++] = x->u.bin.l; stack[sp++] = x->u.bin.r; break;
      case N_NOT: case N_NEG: stack[sp++] = x->u.operand; break;
      case N_FIELD: stack[sp++] = x->u.field.obj; break;
      case N_INDEX: stack[sp++] = x->u.index.obj; stack[sp++] = x->u.index.index; break;
      case N_CALL:
        for (uint32_t i = 0; i < x->u.call.args.n && sp < 250; i++) stack[sp++] = x->u.call.args.p[i];
        for (uint32_t i = 0; i < x->u.call.named.n && sp < 250; i++) stack[sp++] = x->u.call.named.p[i].value;
        break;
      case N_LIST: for (uint32_t i = 0; i < x->u.items.n && sp < 250; i++) stack[sp++] = x->u.items.p[i]; break;
      case N_IF: stack[sp++] = x->u.cond.c; stack[sp++] = x->u.cond.t; stack[sp++] = x->u.cond.e; break;
      default: break;
    }
  }
  /* write the text, spans in order */
  for (int pos = 0; pos < (int)len;) {
    int hit = -1;
    for (int i = 0; i < ns; i++) if (spans[i][0] - base == pos) hit = i;
    if (hit >= 0) {
      char nb[128];
      Value v = vals[hit];
      if (v.tag == T_ENT) {
        if (v.kind == K_DEAL || v.kind == K_LOAN) buf_printf(h, b, "%s[%u]", kind_plural[v.kind], world_position(h, v.kind, (uint32_t)v.i) - 1);
        else buf_puts(h, b, world_name(h, v.kind, (uint32_t)v.i, nb, sizeof nb));
      } else v_print(h, b, v, 1);
      pos = spans[hit][1] - base;
      continue;
    }
    char ch = t[pos++];
    buf_putc(h, b, ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : ch);
  }
}

static void sum_compr_set(Ctx *c, Node *n, RowSets *sets) {
  H *h = c->h;
  Compr *cm = n->u.call.compr;
  if (cm->binders.n != 1 || !cm->body) return;
  Binder *bd = &cm->binders.p[0];
  if (bd->coll->kind != N_COLL) return;
  int kind = bd->coll->u.coll.kind;
  if (kind != K_DEAL && kind != K_LOAN) return;
  Node *body = cm->body;
  if (body->kind != N_FIELD || body->u.field.obj->kind != N_LOCAL || body->u.field.obj->u.local.slot != bd->slot) return;
  World *w = h->world;
  if (body->u.field.name != (kind == K_DEAL ? w->f_value : w->f_principal)) return;
  RowSet s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  Table *t = &w->t[kind];
  s.rows = arena_alloc(h, &h->temp, (size_t)(t->n ? t->n : 1) * sizeof(uint32_t));
  KSum k = {0, 0};
  Value saved = c->slots[bd->slot];
  for (uint32_t r = 0; r < t->n; r++) {
    if (!world_alive(w, kind, r)) continue;
    if (cm->where) {
      c->slots[bd->slot] = v_ent(kind, (int32_t)r);
      ArenaMark m = arena_mark(&h->temp);
      Value ok = eval(h, cm->where, c->slots);
      arena_release(h, &h->temp, m);
      if (ok.tag != T_BOOL || !ok.as.b) continue;
    }
    s.rows[s.n++] = r;
    ksum_add(&k, t->value[r]);
  }
  c->slots[bd->slot] = saved;
  s.sum = ksum_get(&k);
  Buf *b = &c->w;
  b->n = 0;
  /* the update binds the comprehension's own variable: its condition reads as written */
  s.var = bd->name->s;
  if (cm->where) subst_text(c, cm->where, bd->slot, b);
  s.where = b->n ? tstr(h, b) : NULL;
  b->n = 0;
  size_t len;
  const char *tx = node_text(h, n, &len);
  buf_printf(h, b, "the %s of %.*s", kind == K_DEAL ? "deals" : "loans", (int)(len > 120 ? 120 : len), tx);
  for (size_t i = 0; i < b->n; i++) if (b->p[i] == '\n') b->p[i] = ' ';
  s.what = tstr(h, b);
  add_set(c, sets, &s);
}

static void collect_sets(Ctx *c, Node *n, RowSets *sets, int depth) {
  if (!n || depth > 40) return;
  switch (n->kind) {
    case N_CALL: {
      if (n->u.call.compr) {
        Node *fn = n->u.call.fn;
        if (fn->kind == N_CONST && fn->u.cnst.v.tag == T_FUNC && !strcmp(fn->u.cnst.v.as.fn->name->s, "sum"))
          sum_compr_set(c, n, sets);
        return;
      }
      Fig g;
      FigKind k = figure_of(c, n, &g);
      if (k == FIG_SUM) { add_set(c, sets, &g.part); if (g.nparts == 2) add_set(c, sets, &g.part2); }
      else if (k == FIG_SHARE) { add_set(c, sets, &g.part); add_set(c, sets, &g.other); }
      else if (k == FIG_HHI) add_set(c, sets, &g.total);
      for (uint32_t i = 0; i < n->u.call.args.n; i++) collect_sets(c, n->u.call.args.p[i], sets, depth + 1);
      return;
    }
    case N_BIN: case N_AND: case N_OR: collect_sets(c, n->u.bin.l, sets, depth + 1); collect_sets(c, n->u.bin.r, sets, depth + 1); return;
    case N_NEG: case N_NOT: collect_sets(c, n->u.operand, sets, depth + 1); return;
    case N_IF: collect_sets(c, n->u.cond.t, sets, depth + 1); collect_sets(c, n->u.cond.e, sets, depth + 1); return;
    default: return;
  }
}

/* No sums in sight (a Lua or user function): the flows of the partners
** and commodities bound in the rule, or the bound deal or loan itself. */
static void binding_sets(Ctx *c, RowSets *sets) {
  H *h = c->h;
  World *w = h->world;
  uint32_t p = NO_ROW, cm = NO_ROW;
  char nb[128];
  for (int i = 0; i < c->nbind; i++) {
    Value v = c->bindv[i];
    if (v.tag != T_ENT) continue;
    if (v.kind == K_PARTNER && p == NO_ROW) p = (uint32_t)v.i;
    else if (v.kind == K_COMMODITY && cm == NO_ROW) cm = (uint32_t)v.i;
    else if (v.kind == K_DEAL || v.kind == K_LOAN) {
      RowSet s;
      memset(&s, 0, sizeof s);
      s.kind = v.kind;
      s.rows = arena_alloc(h, &h->temp, sizeof(uint32_t));
      s.rows[0] = (uint32_t)v.i; s.n = 1;
      s.sum = w->t[v.kind].value[v.i];
      Buf *b = &c->w;
      b->n = 0;
      uint32_t pos = world_position(h, v.kind, (uint32_t)v.i) - 1;
      buf_printf(h, b, "%s == %s[%u]", v.kind == K_DEAL ? "d" : "l", kind_plural[v.kind], pos);
      s.where = tstr(h, b);
      buf_printf(h, b, "%s", world_name(h, v.kind, (uint32_t)v.i, nb, sizeof nb));
      s.what = tstr(h, b);
      add_set(c, sets, &s);
    }
  }
  if (p == NO_ROW) return;
  /* deals of p (either side), of the bound commodity */
  for (int kind = K_DEAL; kind <= K_LOAN; kind++) {
    Table *t = &w->t[kind];
    RowSet s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.rows = arena_alloc(h, &h->temp, (size_t)(t->n ? t->n : 1) * sizeof(uint32_t));
    KSum k = {0, 0};
    for (uint32_t r = 0; r < t->n; r++) {
      if (!world_alive(w, kind, r)) continue;
      if (t->a[r] != p && t->b[r] != p) continue;
      if (kind == K_DEAL && cm != NO_ROW && t->c[r] != cm) continue;
      s.rows[s.n++] = r;
      ksum_add(&k, t->value[r]);
    }
    s.sum = ksum_get(&k);
    Buf *b = &c->w;
    b->n = 0;
    const char *pn = pname(h, p, nb, sizeof nb);
    if (kind == K_DEAL) {
      buf_printf(h, b, "(d.exporter == %s or d.importer == %s)", pn, pn);
      if (cm != NO_ROW) { char cb[128]; buf_printf(h, b, " and d.commodity == %s", cname(h, cm, cb, sizeof cb)); }
    } else buf_printf(h, b, "(l.lender == %s or l.borrower == %s)", pn, pn);
    s.where = tstr(h, b);
    buf_printf(h, b, "%s of %s", kind == K_DEAL ? "deals" : "loans", pn);
    if (kind == K_DEAL && cm != NO_ROW) { char cb[128]; buf_printf(h, b, " in %s", cname(h, cm, cb, sizeof cb)); }
    s.what = tstr(h, b);
    add_set(c, sets, &s);
  }
}

/* ---- threshold and field levers ----------------------------------------------------- */

static void put_number(Ctx *c, Buf *b, double v, int dim, int pct) {
  H *h = c->h;
  if (pct) { num_print(b, h, v * 100); buf_putc(h, b, '%'); return; }
  num_print(b, h, v);
  if (dim) { char d[64]; buf_printf(h, b, " %s", dim_name(h, dim, d, sizeof d)); }
}

static int node_pct(Node *n) {
  if (n->kind == N_NUM) return (n->u.num.flags & NUMF_PERCENT) != 0;
  if (n->kind == N_NEG) return node_pct(n->u.operand);
  return 0;
}

/* The name of the figure's unit, in h->temp (d is scratch). */
static char *dim_text(Ctx *c, char *d, size_t n) {
  dim_name(c->h, c->dim, d, n);   /* before strlen: argument order is unspecified */
  return arena_strdup(c->h, &c->h->temp, d, strlen(d));
}

static void threshold_lever(Ctx *c) {
  H *h = c->h;
  Node *lim = c->lim;
  if (!world_fixed(lim)) return;
  double L2 = c->margin ? c->x : threshold_of(c->x, c->op);
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = "threshold";
  rp.from = c->L;
  rp.to = L2;
  char d[64];
  rp.unit = c->dim ? dim_text(c, d, sizeof d) : NULL;
  rp.pct = c->pct;
  rp.method = CLOSED;
  size_t len;
  const char *t = node_text(h, lim, &len);
  Buf *b = &c->w;
  b->n = 0;
  if (lim->kind == N_GLOBAL) {
    Global *g = lim->u.global.g;
    rp.let = g;
    rp.let_value = c->dim ? v_qty(L2, c->dim) : v_num(L2);
    buf_printf(h, b, "let %s", g->name->s);
    rp.target = tstr(h, b);
    if (!c->margin) {
      rp.name = scen_name(c, "threshold");
      char title[300];
      snprintf(title, sizeof title, "%s at which the rule flips", g->name->s);
      scen_begin(c, rp.name, title);
      buf_printf(h, &c->b, "  let %s = ", g->name->s);
      /* a percentage let is written back as one */
      put_number(c, &c->b, L2, c->dim, 0);
      buf_puts(h, &c->b, "\n}\n");
      rp.scenario = tstr(h, &c->b);
    }
  } else {
    buf_printf(h, b, "the limit %.*s written in the rule", (int)(len > 60 ? 60 : len), t);
    rp.target = tstr(h, b);
  }
  (void)literal_expr;
  add_repair(c, &rp);
}

/* `p.weight > 0`: set the bound entity's attribute to the target. */
static void field_lever(Ctx *c) {
  H *h = c->h;
  Node *f = c->fig;
  if (f->kind != N_FIELD || f->u.field.obj->kind != N_LOCAL) return;
  Value e = c->slots[f->u.field.obj->u.local.slot];
  if (e.tag != T_ENT) return;
  World *w = h->world;
  HStr *name = f->u.field.name;
  if (e.kind == K_DEAL && (name == w->f_year || name == w->f_date)) return;
  if (e.kind == K_LOAN && (name == w->f_start || name == w->f_term)) return;
  if (name == w->f_exporter || name == w->f_importer || name == w->f_commodity || name == w->f_lender || name == w->f_borrower) return;
  double T = c->margin ? c->L : target_of(c->L, c->op);
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = T < c->x ? "cut" : "grow";
  rp.from = c->x;
  rp.to = T;
  char d[64], nb[128];
  rp.unit = c->dim ? dim_text(c, d, sizeof d) : NULL;
  rp.pct = c->pct;
  rp.method = CLOSED;
  Buf *b = &c->w;
  b->n = 0;
  const char *en = world_name(h, e.kind, (uint32_t)e.i, nb, sizeof nb);
  buf_printf(h, b, "%s of %s", name->s, en);
  rp.target = tstr(h, b);
  rp.field_kind = e.kind; rp.field_row = (uint32_t)e.i; rp.field_name = name;
  rp.field_value = c->dim ? v_qty(T, c->dim) : v_num(T);
  if (!c->margin) {
    rp.name = scen_name(c, rp.lever);
    scen_begin(c, rp.name, rp.target);
    const char *v = e.kind == K_DEAL ? "d" : e.kind == K_LOAN ? "l" : e.kind == K_PARTNER ? "p" : "c";
    buf_printf(h, &c->b, "  update %s in %s where %s == ", v, kind_plural[e.kind], v);
    if (e.kind == K_DEAL || e.kind == K_LOAN) buf_printf(h, &c->b, "%s[%u]", kind_plural[e.kind], world_position(h, e.kind, (uint32_t)e.i) - 1);
    else buf_puts(h, &c->b, en);
    buf_printf(h, &c->b, " { %s: ", name->s);
    put_number(c, &c->b, T, c->dim, 0);
    buf_puts(h, &c->b, " }\n}\n");
    rp.scenario = tstr(h, &c->b);
  }
  add_repair(c, &rp);
}

/* ---- the binding ---------------------------------------------------------------------- */

static int analyse(Ctx *c) {
  H *h = c->h;
  c->cmp = find_cmp(c, c->pred);
  if (!c->cmp) return 0;
  Node *l = c->cmp->u.bin.l, *r = c->cmp->u.bin.r;
  c->op = (int)c->cmp->u.bin.op;
  if (world_fixed(l) && !world_fixed(r)) { c->fig = r; c->lim = l; c->op = flip(c->op); }
  else { c->fig = l; c->lim = r; }
  c->fv = eval(h, c->fig, c->slots);
  c->lv = eval(h, c->lim, c->slots);
  int d1, d2;
  if (!num_of(c->fv, &c->x, &d1) || !num_of(c->lv, &c->L, &d2)) {
    c->why = "compares values that are not numbers (partners, strings, dates): no lever moves them";
    return 0;
  }
  c->dim = d1 ? d1 : d2;
  c->pct = node_pct(c->lim);
  return 1;
}

/* The search's levers: the sums written in the comparison, then the sums
** its functions read (traced), else the flows of the bound partner. */
#define SEARCH_MAX_SETS 16
static void search_all(Ctx *c) {
  RowSets sets = {0};
  collect_sets(c, c->fig, &sets, 0);
  if (!world_fixed(c->lim)) collect_sets(c, c->lim, &sets, 0);
  trace_sets(c, &sets);
  if (!sets.n) binding_sets(c, &sets);
  uint32_t before = c->out.n;
  for (uint32_t i = 0; i < sets.n && i < SEARCH_MAX_SETS; i++) search_set(c, &sets.p[i]);
  if (c->out.n == before && !c->note) {
    H *h = c->h;
    Buf *b = &c->w;
    b->n = 0;
    if (!sets.n) buf_puts(h, b, "the figure reads no deals or loans that a lever could scale");
    else {
      uint32_t big = 0;
      for (uint32_t i = 1; i < sets.n; i++) if (sets.p[i].sum > sets.p[big].sum) big = i;
      buf_printf(h, b, "the search scaled each of the %u sum%s the figure reads (the largest: %s) from 0 to 2^20 times "
                 "its value, and none takes the figure past the limit", sets.n, sets.n == 1 ? "" : "s",
                 sets.p[big].what);
    }
    c->note = tstr(h, b);
  }
}

static void levers(Ctx *c) {
  H *h = c->h;
  if (world_fixed(c->lim)) {
    Fig g;
    FigKind k = figure_of(c, c->fig, &g);
    if (k == FIG_SHARE) { c->pct = 1; share_levers(c, &g); }
    else if (k == FIG_SUM) sum_levers(c, &g);
    else if (k == FIG_HHI) hhi_levers(c, &g);
    else if (c->fig->kind == N_FIELD) field_lever(c);
    else search_all(c);
  } else search_all(c);
  threshold_lever(c);
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
#define DUP(f) x[i].f = s->f ? rep_strdup(h, r, s->f, strlen(s->f)) : NULL
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
    if (c->dim) { dim_name(h, c->dim, d, sizeof d); m.unit = rep_strdup(h, r, d, strlen(d)); }
    m.pct = c->pct;
    size_t len;
    const char *t = node_text(h, c->fig, &len);
    m.expr = rep_strdup(h, r, t, len);
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
  if (why) cx->norepair = rep_strdup(h, c->r, why, strlen(why));
}

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
    c->cx->norepair = rep_strdup(h, c->r, why, strlen(why));
  }
}

void repair_binding(H *h, Report *r, Cx *cx, Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind, const char *rule) {
  Ctx c;
  memset(&c, 0, sizeof c);
  c.h = h; c.r = r; c.cx = cx; c.pred = pred; c.slots = slots; c.rule = rule;
  c.bindv = bindv; c.bindn = bindn; c.nbind = nbind;
  run(h, &c);
}

void margin_binding(H *h, Report *r, RRule *out, Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind,
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
  double *saved; uint32_t nsaved;
  Buf b, key;
} Effects;

static void cx_key(H *h, Buf *b, Cx *c) {
  b->n = 0;
  for (int j = 0; j < c->nbind; j++) buf_printf(h, b, "%s%s = %s", j ? ", " : "", c->bind[j].name, c->bind[j].text);
  cstr(h, b);
}

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
  e->saved = hx_alloc(h, (size_t)(n ? n : 1) * sizeof(double));
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

static void undo_change(H *h, Effects *e) {
  Repair *rp = e->rp;
  World *w = h->world;
  if (rp->let) { Value now = rp->let->value; rp->let->value = rp->let_value; rp->let_value = now; return; }
  if (!e->saved) return;
  for (int j = 0, m = 0; j < rp->nscale; j++) {
    Table *t = &w->t[rp->scale[j].kind];
    for (uint32_t i = 0; i < rp->scale[j].n; i++, m++) t->value[rp->scale[j].rows[i]] = e->saved[m];
  }
  hx_free(h, e->saved, e->nsaved * sizeof(double));
  e->saved = NULL;
  world_changed(h);
}

static void effects_one(H *h, void *ud) {
  Effects *e = ud;
  apply_change(h, e);
  e->after = check_rules(h, NULL, 0, NULL, 0);
  diff_reports(h, e);
}

void repair_effects(H *h, Report *r) {
  Effects e;
  memset(&e, 0, sizeof e);
  e.r = r;
  e.base = check_rules(h, NULL, 0, NULL, 0);
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

static void repair_json_one(H *h, Buf *b, Repair *x, int with_scenario);
static void repair_line(H *h, Buf *b, Repair *x, size_t tw);
static void json_opt(H *h, Buf *b, const char *s);

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
    if (why) { x->nojoint = rep_strdup(h, r, why, strlen(why)); continue; }
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
    rp->target = rep_strdup(h, r, t.p, t.n);
    rp->from = before; rp->to = after;
    rp->unit = "USD";
    rp->method = "closed form (the members above the cap capped at one level per group)";
    t.n = 0;
    buf_printf(h, &t, "repair_%s_joint", x->name);
    rp->name = rep_strdup(h, r, t.p, t.n);
    rp->scenario = rep_strdup(h, r, b.p, b.n);
    x->joint = rp;
  }
  buf_free(h, &b);
  buf_free(h, &t);
}

void joint_json(H *h, Buf *b, RRule *x) {
  buf_puts(h, b, ",\n      \"joint_repair\": ");
  if (x->joint) repair_json_one(h, b, x->joint, 1);
  else buf_puts(h, b, "null");
  if (x->nojoint) { buf_puts(h, b, ", \"no_joint_repair\": "); json_opt(h, b, x->nojoint); }
}

void joint_text(H *h, Buf *b, RRule *x) {
  if (x->joint) {
    buf_puts(h, b, "  joint  ");
    repair_line(h, b, x->joint, 0);
    buf_printf(h, b, "  scenario %s\n", x->joint->name);
  } else if (x->nojoint) buf_printf(h, b, "  no joint repair: %s\n", x->nojoint);
}

/* ---- output ------------------------------------------------------------------------------ */

static void json_num(H *h, Buf *b, double v) {
  if (isnan(v) || isinf(v)) buf_puts(h, b, "null");
  else num_print(b, h, v);
}

static void json_opt(H *h, Buf *b, const char *s) {
  if (s) json_string(h, b, s, strlen(s));
  else buf_puts(h, b, "null");
}

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

void repair_json(H *h, Buf *b, Cx *c) {
  buf_puts(h, b, ", \"repairs\": [");
  for (int i = 0; i < c->nrepairs; i++) {
    buf_puts(h, b, i ? ",\n            " : "\n            ");
    repair_json_one(h, b, &c->repairs[i], 1);
  }
  buf_puts(h, b, c->nrepairs ? "\n          ]" : "]");
  if (c->norepair) { buf_puts(h, b, ", \"no_repair\": "); json_opt(h, b, c->norepair); }
}

void margin_json(H *h, Buf *b, RRule *x) {
  buf_puts(h, b, ",\n      \"margins\": [");
  for (uint32_t k = 0; k < x->nmargins; k++) {
    Margin *m = &x->margins[k];
    buf_puts(h, b, k ? ",\n        " : "\n        ");
    buf_puts(h, b, "{ \"bindings\": {");
    for (int j = 0; j < m->nbind; j++) {
      if (j) buf_puts(h, b, ", ");
      json_opt(h, b, m->bind[j].name);
      buf_puts(h, b, ": ");
      buf_puts(h, b, m->bind[j].json);
    }
    buf_puts(h, b, "}, \"figure\": ");
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

static void amount(H *h, Buf *b, double v, const char *unit, int pct) {
  if (pct && !unit) { pct_print(b, h, v); return; }
  num_print_short(b, h, v);
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

void repair_text(H *h, Buf *b, Cx *c, const char *indent) {
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

void margin_text(H *h, Buf *b, RRule *x, int cap) {
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
    if (m->pct && !m->unit) { num_print_short(b, h, m->margin * 100); buf_puts(h, b, " points"); }
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

void repair_scenarios(H *h, Buf *b, Report *r) {
  for (int i = 0; i < r->n; i++) {
    RRule *x = &r->rules[i];
    if (x->joint && x->joint->scenario) { buf_puts(h, b, x->joint->scenario); buf_putc(h, b, '\n'); }
    for (uint32_t k = 0; k < x->ncx; k++)
      for (int j = 0; j < x->cx[k].nrepairs; j++)
        if (x->cx[k].repairs[j].scenario) { buf_puts(h, b, x->cx[k].repairs[j].scenario); buf_putc(h, b, '\n'); }
  }
}
