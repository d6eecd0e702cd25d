/*
** stdfast.c: native answers for the hot standard-library queries (see
** stdfast.h for the contract). Each function below mirrors its reference
** in stdlib/init.lua line by line: the same sums (index_deal_sum, compensated),
** the same division and multiplication order, the same grouping and
** ordering of groups, so that a test can run every example both ways and
** require identical output (HEDGE_NATIVE=0 turns this file off).
*/
#include <math.h>
#include <string.h>
#include "stdfast.h"
#include "units.h"
#include "world.h"
#include "index.h"

enum {
  SF_NONE, SF_EXPORTS, SF_IMPORTS, SF_TRADE, SF_BALANCE, SF_WORLD_EXPORTS,
  SF_IMPORT_SHARE, SF_EXPORT_SHARE, SF_WORLD_SHARE,
  SF_IMPORT_HHI, SF_EXPORT_HHI, SF_WORLD_HHI, SF_HHI
};

static const char *const fast_names[] = {
  NULL, "exports", "imports", "trade", "balance", "world_exports",
  "import_share", "export_share", "world_share",
  "import_hhi", "export_hhi", "world_hhi", "hhi"
};

int stdfast_id(const char *name) {
  for (int i = 1; i < (int)(sizeof fast_names / sizeof *fast_names); i++)
    if (!strcmp(name, fast_names[i])) return i;
  return SF_NONE;
}

/* The arguments of a plain call: up to two partners, and the named
** partner (from:/to:), commodity and year. */
typedef struct Plain {
  uint32_t p[2]; int np;        /* positional partners */
  uint32_t other;               /* from: / to: (NO_ROW: absent) */
  uint32_t commodity;           /* NO_ROW: absent */
  int32_t year;                 /* NO_YEAR: absent */
} Plain;

static int live_entity(H *h, Value v, int kind, uint32_t *row) {
  if (v.tag != T_ENT || v.kind != kind || v.i < 0) return 0;
  World *w = h->world;
  if ((uint32_t)v.i >= w->t[kind].n || !world_alive(w, kind, (uint32_t)v.i)) return 0;
  *row = (uint32_t)v.i;
  return 1;
}

/* Reads the call as positional partners (min..max of them) and the named
** arguments allowed by `other` ("from", "to" or NULL), commodity: and
** year:. 0 when the call is anything else (the reference then decides). */
static int read_plain(H *h, CallArgs *a, int min, int max, const char *other, Plain *pl) {
  pl->np = 0;
  pl->other = pl->commodity = NO_ROW;
  pl->year = NO_YEAR;
  if (a->npos < min || a->npos > max) return 0;
  for (int i = 0; i < a->npos; i++)
    if (!live_entity(h, a->pos[i], K_PARTNER, &pl->p[pl->np++])) return 0;
  for (int i = 0; i < a->nnamed; i++) {
    const char *k = a->names[i]->s;
    Value v = a->named[i];
    if (v.tag == T_NIL) continue;                 /* absent, as in Lua */
    if (other && !strcmp(k, other)) {
      if (pl->other != NO_ROW || !live_entity(h, v, K_PARTNER, &pl->other)) return 0;
    } else if (!strcmp(k, "commodity")) {
      if (pl->commodity != NO_ROW || !live_entity(h, v, K_COMMODITY, &pl->commodity)) return 0;
    } else if (!strcmp(k, "year")) {
      if (pl->year != NO_YEAR || v.tag != T_NUM) return 0;
      double y = v.as.num;
      if (y != floor(y) || y < -1e6 || y > 1e6) return 0;
      pl->year = (int32_t)y;
    } else {
      return 0;
    }
  }
  return 1;
}

/* dsum(importer, exporter, commodity, year) of init.lua */
static double dsum(H *h, uint32_t importer, uint32_t exporter, uint32_t commodity, int32_t year) {
  DealFilter f = {exporter, importer, commodity, year};
  return index_deal_sum(h, f, NULL);
}

static Value usd(H *h, double x) { return v_qty(x, dim_money(h)); }

/* share(s, part, total) of init.lua, for a non-zero total (a zero one goes
** to the reference, which notes it for vacuous rules or raises). */
static int share(double part, double total, Value *out) {
  if (total == 0) return 0;
  *out = v_num(part / total);
  return 1;
}

/* hhi_of_groups(deal_sums_by(field, ...), t) of init.lua: the groups of
** index.c's index_deal_sums_by (by partner, ascending names, the stdlib's own
** primitive), h = 100 * (s / t), hhi = hhi + h * h. */
static double hhi_by(H *h, int field, DealFilter f, double t) {
  ArenaMark mk = arena_mark(&h->temp);
  DealGroup *g;
  uint32_t ng = index_deal_sums_by(h, f, field, &g);
  double acc = 0.0;
  for (uint32_t i = 0; i < ng; i++) {
    double x = 100.0 * (ksum_get(&g[i].sum) / t);
    acc = acc + x * x;
  }
  arena_release(h, &h->temp, mk);
  return acc;
}

/* hhi(list) of init.lua for a list of plain numbers, or of quantities of
** one dimension (plain zeros allowed among them), none negative: the
** Neumaier total of init.lua's list_total, then h = 100 * (v / t). */
static int hhi_list(CallArgs *a, Value *out) {
  if (a->npos != 1 || a->nnamed != 0 || a->pos[0].tag != T_LIST) return 0;
  List *l = a->pos[0].as.list;
  int dim = -1;                         /* -1: none yet; 0: plain numbers */
  double s = 0.0, c = 0.0;
  for (uint32_t i = 0; i < l->n; i++) {
    Value v = l->items[i];
    double x;
    if (v.tag == T_NUM) {
      x = v.as.num;
      if (x != 0) { if (dim > 0) return 0; dim = 0; }
    } else if (v.tag == T_QTY) {
      x = v.as.num;
      if (dim == -1) dim = v.dim;
      else if (dim != v.dim) return 0;
    } else {
      return 0;
    }
    if (!(x >= 0)) return 0;            /* negative or NaN: the reference raises */
    double t = s + x;
    if (fabs(s) >= fabs(x)) c = c + ((s - t) + x);
    else c = c + ((x - t) + s);
    s = t;
  }
  double t = s + c;
  if (t == 0) { *out = v_num(0); return 1; }
  double acc = 0.0;
  for (uint32_t i = 0; i < l->n; i++) {
    double x = 100.0 * (l->items[i].as.num / t);
    acc = acc + x * x;
  }
  *out = v_num(acc);
  return 1;
}

int stdfast_call(H *h, Function *f, CallArgs *a, Value *out) {
  if (!h->world) return 0;
  if (f->fast == SF_HHI) return hhi_list(a, out);
  Plain p;
  switch (f->fast) {
  /* a zero figure for a named year goes to the reference, which says when
  ** the year is outside the data's years (hedge.year_note) */
  case SF_EXPORTS: {
    if (!read_plain(h, a, 1, 1, "to", &p)) return 0;
    double v = dsum(h, p.other, p.p[0], p.commodity, p.year);
    if (v == 0 && p.year != NO_YEAR) return 0;
    *out = usd(h, v);
    return 1;
  }
  case SF_IMPORTS: {
    if (!read_plain(h, a, 1, 1, "from", &p)) return 0;
    double v = dsum(h, p.p[0], p.other, p.commodity, p.year);
    if (v == 0 && p.year != NO_YEAR) return 0;
    *out = usd(h, v);
    return 1;
  }
  case SF_TRADE:
  case SF_BALANCE: {
    if (!read_plain(h, a, 1, 2, NULL, &p)) return 0;
    uint32_t x = p.p[0], y = p.np > 1 ? p.p[1] : NO_ROW;
    double to = dsum(h, y, x, p.commodity, p.year), from = dsum(h, x, y, p.commodity, p.year);
    *out = usd(h, f->fast == SF_TRADE ? to + from : to - from);
    return 1;
  }
  case SF_WORLD_EXPORTS:
    if (!read_plain(h, a, 0, 0, NULL, &p)) return 0;
    *out = usd(h, dsum(h, NO_ROW, NO_ROW, p.commodity, p.year));
    return 1;
  case SF_IMPORT_SHARE:
    if (!read_plain(h, a, 2, 2, NULL, &p)) return 0;
    return share(dsum(h, p.p[0], p.p[1], p.commodity, p.year), dsum(h, p.p[0], NO_ROW, p.commodity, p.year), out);
  case SF_EXPORT_SHARE:
    if (!read_plain(h, a, 2, 2, NULL, &p)) return 0;
    return share(dsum(h, p.p[1], p.p[0], p.commodity, p.year), dsum(h, NO_ROW, p.p[0], p.commodity, p.year), out);
  case SF_WORLD_SHARE:
    if (!read_plain(h, a, 1, 1, NULL, &p)) return 0;
    return share(dsum(h, NO_ROW, p.p[0], p.commodity, p.year), dsum(h, NO_ROW, NO_ROW, p.commodity, p.year), out);
  case SF_IMPORT_HHI:
  case SF_EXPORT_HHI:
  case SF_WORLD_HHI: {
    int world = f->fast == SF_WORLD_HHI;
    if (!read_plain(h, a, world ? 0 : 1, world ? 0 : 1, NULL, &p)) return 0;
    DealFilter flt = {NO_ROW, NO_ROW, p.commodity, p.year};
    int field = 0;                                   /* group by exporter */
    if (f->fast == SF_IMPORT_HHI) flt.importer = p.p[0];
    else if (f->fast == SF_EXPORT_HHI) { flt.exporter = p.p[0]; field = 1; }
    double t = index_deal_sum(h, flt, NULL);
    if (t == 0) return 0;
    *out = v_num(hhi_by(h, field, flt, t));
    return 1;
  }
  }
  return 0;
}

/* ---- predicting the queries of a check ------------------------------------
** Before the rules run, the calls in them tell which deal queries they will
** make: a plain call of the functions above asks the filters its case in
** stdfast_call asks. index_prepare builds the indexes for all of them in one
** pass over the deals instead of one pass each at their first query. It is
** a forecast, not a promise: a call that turns out not to be plain (an
** argument of another type) or never runs (a `where` that holds for no
** binding) costs an index the check does not read, never a different
** result (an index holds the same sums however it was built), and a query
** nobody predicted builds its index lazily as before. */

typedef struct Predict {
  H *h;
  DealNeeds needs;
  const Node *seen[64]; int nseen;   /* lets' values and functions' bodies walked already */
} Predict;

/* A filter with the fields a query sets (0 stands for any entity or year). */
static DealFilter shape(int exporter, int importer, int com, int year) {
  DealFilter f = deal_filter_any();
  if (exporter) f.exporter = 0;
  if (importer) f.importer = 0;
  if (com) f.commodity = 0;
  if (year) f.year = 0;
  return f;
}

/* The queries of a plain call of the function of fast id `fast` with np
** positional partners and the named arguments other (from:/to:),
** commodity: and year: present or not: the filters of stdfast_call's case
** (index_deal_sum), and index_deal_sums_by's rows for the HHIs. 0 when the call is not
** a plain one. */
static int call_needs(DealNeeds *nd, int fast, int np, int other, int com, int year) {
  switch (fast) {
  case SF_EXPORTS:
    if (np != 1) return 0;
    index_needs_add(nd, shape(1, other, com, year), 0);
    return 1;
  case SF_IMPORTS:
    if (np != 1) return 0;
    index_needs_add(nd, shape(other, 1, com, year), 0);
    return 1;
  case SF_TRADE:
  case SF_BALANCE:
    if (np < 1 || np > 2 || other) return 0;
    index_needs_add(nd, shape(1, np > 1, com, year), 0);
    index_needs_add(nd, shape(np > 1, 1, com, year), 0);
    return 1;
  case SF_WORLD_EXPORTS:
    if (np != 0 || other) return 0;
    index_needs_add(nd, shape(0, 0, com, year), 0);
    return 1;
  case SF_IMPORT_SHARE:
  case SF_EXPORT_SHARE:
    if (np != 2 || other) return 0;
    index_needs_add(nd, shape(1, 1, com, year), 0);
    index_needs_add(nd, shape(fast == SF_EXPORT_SHARE, fast == SF_IMPORT_SHARE, com, year), 0);
    return 1;
  case SF_WORLD_SHARE:
    if (np != 1 || other) return 0;
    index_needs_add(nd, shape(1, 0, com, year), 0);
    index_needs_add(nd, shape(0, 0, com, year), 0);
    return 1;
  case SF_IMPORT_HHI:
  case SF_EXPORT_HHI:
  case SF_WORLD_HHI: {
    int world = fast == SF_WORLD_HHI;
    if (np != (world ? 0 : 1) || other) return 0;
    DealFilter f = shape(fast == SF_EXPORT_HHI, fast == SF_IMPORT_HHI, com, year);
    index_needs_add(nd, f, 1);   /* the total, then the groups from its rows */
    return 1;
  }
  }
  return 0;
}

static void predict(Predict *p, Node *n, int depth);

/* Walks a let's value or a function's body once. */
static void predict_once(Predict *p, Node *body, int depth) {
  if (!body) return;
  for (int i = 0; i < p->nseen; i++) if (p->seen[i] == body) return;
  if (p->nseen == (int)(sizeof p->seen / sizeof *p->seen)) return;
  p->seen[p->nseen++] = body;
  predict(p, body, depth + 1);
}

/* The function a call's callee names (before or after resolution; a local
** of the same name is not told apart: a forecast), or NULL. */
static Function *callee(Predict *p, Node *fn) {
  if (fn->kind == N_CONST) return fn->u.cnst.v.tag == T_FUNC ? fn->u.cnst.v.as.fn : NULL;
  Global *g = fn->kind == N_GLOBAL ? fn->u.global.g : fn->kind == N_NAME ? prog_global_find(p->h, fn->u.name) : NULL;
  if (g) return g->kind == G_FUNC && g->value.tag == T_FUNC ? g->value.as.fn : NULL;
  return fn->kind == N_NAME ? prog_builtin_find(p->h, fn->u.name) : NULL;
}

/* A name or global that is a let with a value to compute, or a function
** of the user's: walked (their calls run wherever they are read). */
static void predict_name(Predict *p, Node *n, int depth) {
  Global *g = n->kind == N_GLOBAL ? n->u.global.g : prog_global_find(p->h, n->u.name);
  if (!g) return;
  if (g->kind == G_LET) {
    predict_once(p, g->expr, depth);
    predict_once(p, g->scen_expr, depth);
  } else if (g->kind == G_FUNC && g->value.tag == T_FUNC && g->value.as.fn->kind == F_USER) {
    Function *f = g->value.as.fn;
    for (uint32_t i = 0; i < f->params.n; i++) if (f->params.p[i].def) predict(p, f->params.p[i].def, depth + 1);
    predict_once(p, f->body, depth);
  }
}

static void predict_call(Predict *p, Node *n, int depth) {
  Function *f = callee(p, n->u.call.fn);
  if (f && f->kind == F_LUA && f->fast && f->fast != SF_HHI && !n->u.call.compr) {
    const char *other = f->fast == SF_EXPORTS ? "to" : f->fast == SF_IMPORTS ? "from" : NULL;
    int has_other = 0, com = 0, year = 0, plain = 1;
    for (uint32_t i = 0; i < n->u.call.named.n; i++) {
      const char *k = n->u.call.named.p[i].name->s;
      if (n->u.call.named.p[i].value->kind == N_NIL) continue;   /* absent */
      if (other && !strcmp(k, other)) has_other = 1;
      else if (!strcmp(k, "commodity")) com = 1;
      else if (!strcmp(k, "year")) year = 1;
      else plain = 0;
    }
    if (plain) call_needs(&p->needs, f->fast, (int)n->u.call.args.n, has_other, com, year);
  }
  predict(p, n->u.call.fn, depth + 1);
  for (uint32_t i = 0; i < n->u.call.args.n; i++) predict(p, n->u.call.args.p[i], depth + 1);
  for (uint32_t i = 0; i < n->u.call.named.n; i++) predict(p, n->u.call.named.p[i].value, depth + 1);
  Compr *c = n->u.call.compr;
  if (c) {
    for (uint32_t i = 0; i < c->binders.n; i++) predict(p, c->binders.p[i].coll, depth + 1);
    predict(p, c->where, depth + 1);
    predict(p, c->body, depth + 1);
    predict(p, c->by, depth + 1);
  }
}

static void predict(Predict *p, Node *n, int depth) {
  if (!n || depth > 200) return;
  switch (n->kind) {
  case N_NAME: case N_GLOBAL: predict_name(p, n, depth); return;
  case N_LIST: for (uint32_t i = 0; i < n->u.items.n; i++) predict(p, n->u.items.p[i], depth + 1); return;
  case N_REC: for (uint32_t i = 0; i < n->u.fields.n; i++) predict(p, n->u.fields.p[i].value, depth + 1); return;
  case N_FIELD: predict(p, n->u.field.obj, depth + 1); return;
  case N_INDEX: predict(p, n->u.index.obj, depth + 1); predict(p, n->u.index.index, depth + 1); return;
  case N_SLICE:
    predict(p, n->u.slice.obj, depth + 1);
    predict(p, n->u.slice.lo, depth + 1);
    predict(p, n->u.slice.hi, depth + 1);
    return;
  case N_CALL: predict_call(p, n, depth); return;
  case N_NEG: case N_NOT: predict(p, n->u.operand, depth + 1); return;
  case N_BIN: case N_AND: case N_OR: predict(p, n->u.bin.l, depth + 1); predict(p, n->u.bin.r, depth + 1); return;
  case N_IF:
    predict(p, n->u.cond.c, depth + 1);
    predict(p, n->u.cond.t, depth + 1);
    predict(p, n->u.cond.e, depth + 1);
    return;
  case N_QUANT: {
    Compr *c = &n->u.quant.c;
    for (uint32_t i = 0; i < c->binders.n; i++) predict(p, c->binders.p[i].coll, depth + 1);
    predict(p, c->where, depth + 1);
    predict(p, c->body, depth + 1);
    predict(p, c->by, depth + 1);
    return;
  }
  default: return;
  }
}

void stdfast_prepare(H *h, const char *const *only, int nonly) {
  if (!h->world || h->lazy_indexes) return;
  Program *pr = h->prog;
  Predict p;
  memset(&p, 0, sizeof p);
  p.h = h;
  for (uint32_t i = 0; i < pr->rules.n; i++) {
    Rule *rule = &pr->rules.p[i];
    if (only) {
      int want = 0;
      for (int j = 0; j < nonly; j++) if (!strcmp(only[j], rule->name->s)) want = 1;
      if (!want) continue;
    }
    predict(&p, rule->node->u.rule.body, 0);
  }
  index_prepare(h, p.needs);
}
