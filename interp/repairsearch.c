/*
** repairsearch.c: the repairs of any figure, searched (docs/repair.md). A
** figure the closed forms do not know (a ratio written in the rule, a user
** or Lua function) is searched: each lever scales a set of deal values or
** loan principals by a factor k, and a guarded bisection on k, with the
** world changed in place and restored after each probe, finds where the
** comparison flips. The sets come from the sums written in the comparison,
** else from the sums its functions read (traced by the indexes), else from
** the flows of the partner the rule binds. repair.c calls repairsearch_all;
** what the files of repairs share is in repairint.h.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "repair.h"
#include "repairint.h"

/* ---- the search: any figure, by scaling sets of rows ---------------------------------- */

/* One probe of the search: the set scaled, the factor, and what the comparison gave. */
typedef struct Probe {
  Ctx *c;
  RowSet *s; double k;
  double f, l; int pass;
} Probe;

/* Evaluates figure and limit under the boundary: p->pass 1, 0, or -1 (not numbers). */
static void probe_eval(H *h, void *ud) {
  Probe *p = ud;
  Ctx *c = p->c;
  ArenaMark m = arena_mark(&h->temp);
  Value fv = eval(h, c->fig, c->slots), lv = eval(h, c->lim, c->slots);
  arena_release(h, &h->temp, m);
  int d1, d2;
  if (!repair_num_of(fv, &p->f, &d1) || !repair_num_of(lv, &p->l, &d2)) { p->pass = -1; return; }
  p->pass = repair_holds(p->f, c->op, p->l);
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
    repair_lever_scale(c, out < 1 ? "cut" : "grow", s, out, SEARCH, NULL);
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

/* The sets of the sums the figure and limit read, traced while evaluating them once. */
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
    if (it->kind == K_DEAL) repair_deals(c, &s, it->f, NO_ROW, NO_ROW, it->f.exporter == NO_ROW);
    else repair_loans(c, &s, it->borrower, it->lender, NO_ROW, it->has_year ? it->year : NAN);
    add_set(c, sets, &s);
  }
}

/* Row sets of the sums a figure is made of: standard-library calls and
** `sum(x in deals|loans where ...: x.value)` comprehensions, found by
** walking the comparison (not into user functions). */
static void collect_sets(Ctx *c, Node *n, RowSets *sets, int depth);

/* Whether two sets hold the same rows of the same kind. */
static int same_rows(RowSet *a, RowSet *b) {
  if (a->kind != b->kind || a->n != b->n) return 0;
  for (uint32_t i = 0; i < a->n; i++) if (a->rows[i] != b->rows[i]) return 0;
  return 1;
}

/* Adds a non-empty set, unless one with the same rows is there. */
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
  const char *t = parse_node_text(h, n, &len);
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

/* `sum(x in deals|loans where C: x.value)`: the rows C keeps under the rule's
** slots, as a set whose condition is C with the rule's variables written out. */
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
  s.where = b->n ? repair_tstr(h, b) : NULL;
  b->n = 0;
  size_t len;
  const char *tx = parse_node_text(h, n, &len);
  buf_printf(h, b, "the %s of %.*s", kind == K_DEAL ? "deals" : "loans", (int)(len > 120 ? 120 : len), tx);
  for (size_t i = 0; i < b->n; i++) if (b->p[i] == '\n') b->p[i] = ' ';
  s.what = repair_tstr(h, b);
  add_set(c, sets, &s);
}

/* See the declaration above: walks n (to depth 40) for figures and sum comprehensions. */
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
      FigKind k = repairclosed_figure(c, n, &g);
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
      s.where = repair_tstr(h, b);
      buf_printf(h, b, "%s", world_name(h, v.kind, (uint32_t)v.i, nb, sizeof nb));
      s.what = repair_tstr(h, b);
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
    s.where = repair_tstr(h, b);
    buf_printf(h, b, "%s of %s", kind == K_DEAL ? "deals" : "loans", pn);
    if (kind == K_DEAL && cm != NO_ROW) { char cb[128]; buf_printf(h, b, " in %s", cname(h, cm, cb, sizeof cb)); }
    s.what = repair_tstr(h, b);
    add_set(c, sets, &s);
  }
}

#define SEARCH_MAX_SETS 16

/* See repairint.h. The search's levers: the sums written in the comparison,
** then the sums its functions read (traced), else the flows of the bound
** partner; at most SEARCH_MAX_SETS sets are searched. */
void repairsearch_all(Ctx *c) {
  RowSets sets = {0};
  collect_sets(c, c->fig, &sets, 0);
  if (!repair_world_fixed(c->lim)) collect_sets(c, c->lim, &sets, 0);
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
    c->note = repair_tstr(h, b);
  }
}
