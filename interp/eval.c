/*
** eval.c: the evaluator. A tree walk over resolved nodes with a frame of
** slots; values live in h->temp until a top-level call ends. Quantifiers
** and aggregates stream over collections (a million deals are never
** copied into a list), and release their temporaries after each element.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "eval.h"
#include "stdfast.h"
#include "index.h"   /* index_deal_years: max/min of the deals' years */
#include "units.h"
#include "date.h"
#include "extern.h"
#include "resolve.h"
#include "index.h"

/* A tracked binding (world.h) read let g, which follows the world: its
** value is kept, to be compared with the let's value in the scenario's
** world. A value that is not a plain scalar (a list, a record) cannot be
** compared cheaply: the binding is opaque. */
static void read_track_let(ReadTrack *t, Global *g) {
  Value v = g->value;
  if (v.tag == T_LIST || v.tag == T_REC || v.tag == T_COLL || v.tag == T_FUNC ||
      (v.tag == T_ENT && (v.kind == K_DEAL || v.kind == K_LOAN))) { t->opaque = 1; return; }
  for (uint32_t i = 0; i < t->nlet; i++) if (t->let[i] == g) return;
  if (t->nlet == READ_TRACK_LETS) { t->opaque = 1; return; }
  t->let[t->nlet] = g;
  t->letv[t->nlet++] = v;
}
#include "lex.h"   /* NUMF_PERCENT: a percent literal is a share */


static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void eval_deadline_start(H *h) {
  h->deadline = h->max_seconds > 0 ? now_ns() + (uint64_t)(h->max_seconds * 1e9) : 0;
  if (h->max_seconds > 0 && h->deadline == 0) h->deadline = 1;
}

int eval_time_up(H *h) {
  return h->deadline && now_ns() >= h->deadline;
}

/* "5 s", "0.5 s", "1.25 s" */
static void seconds_text(double s, char *b, size_t n) {
  snprintf(b, n, "%.3f", s);
  char *e = b + strlen(b) - 1;
  while (*e == '0') *e-- = 0;
  if (*e == '.') *e = 0;
}

_Noreturn void eval_limit_error(H *h, Loc loc) {
  h->fatal = 1;
  if (!(h->max_steps && h->steps > h->max_steps) && h->deadline) {
    char b[32];
    seconds_text(h->max_seconds, b, sizeof b);
    hx_error_status(h, HEDGE_ELIMIT, loc, "time limit of %s s reached", b);
  }
  hx_error_status(h, HEDGE_ELIMIT, loc, "step limit reached (%llu evaluation steps)", (unsigned long long)h->max_steps);
}

void eval_step_check(H *h, Loc loc) {
  if (atomic_load(&h->interrupted)) {
    /* the flag stays set until the API call ends (guarded() clears it), so
    ** Lua code that catches the error with pcall is stopped again */
    h->fatal = 1;
    hx_error_status(h, HEDGE_EINTERRUPT, loc, "interrupted");
  }
  if ((h->max_steps && h->steps > h->max_steps) || eval_time_up(h)) eval_limit_error(h, loc);
}

static const char *unit_of(H *h, Value v, char *buf, size_t n) {
  if (v.tag == T_QTY) return dim_name(h, v.dim, buf, n);
  if (v.tag == T_NUM) return "a plain number";
  return v_typename(h, v, buf, n);
}

/* ---- arithmetic ------------------------------------------------------------ */

static int is_numeric(Value v) { return v.tag == T_NUM || v.tag == T_QTY; }
static int dim_of(Value v) { return v.tag == T_QTY ? v.dim : 0; }

static Value add_dates(H *h, Value d, Value q, int sign, Loc loc) {
  if (q.tag != T_QTY || q.dim != dim_time(h)) {
    char b1[64];
    hx_error_at(h, loc, "a date moves by a time (3 months, 10 days, 1 years), not by %s", unit_of(h, q, b1, sizeof b1));
  }
  double months = q.as.num * 12 * sign;
  if (num_eq(months, round(months))) return v_date_add_months(h, d, lround(months), loc);
  double days = q.as.num * 365 * sign;
  if (!num_eq(days, round(days))) hx_error_at(h, loc, "a date moves by whole months or whole days");
  long nd = (long)d.i + lround(days);
  if (nd < -719468 || nd > 2932896) hx_error_at(h, loc, "date out of range");
  return v_date((int32_t)nd, DATE_DAY);
}

/* a ^ b: a number or quantity to a plain-number power. A quantity keeps
** its dimension to that power (2 t ^ 2 is 4 t^2) when the power is whole,
** or when it leaves whole exponents (4 t^2 ^ 0.5 is 2 t, as sqrt does);
** a fractional power of anything else with a unit has no unit to give. */
static Value power_of(H *h, Value a, Value b, Loc loc) {
  char b1[80], b2[80], b3[80];
  if (b.tag == T_QTY)
    hx_error_at(h, loc, "the exponent must be a plain number, not %s (divide by its unit first, e.g. n / 1 years)", v_show(h, b, b1, sizeof b1));
  double x = a.as.num, y = b.as.num;
  int d = 0;
  if (a.tag == T_QTY) {
    if (y == floor(y)) {
      d = fabs(y) <= 100 ? dim_pow(h, a.dim, (int)y) : -1;
      if (d < 0) hx_error_at(h, loc, "the unit of %s to the power %s is out of range", v_show(h, a, b1, sizeof b1), v_show(h, b, b2, sizeof b2));
    } else {
      d = dim_root(h, a.dim, y);
      if (d < 0)
        hx_error_at(h, loc, "cannot raise %s to the fractional power %s: only a plain number has a fractional power (divide by the unit first, e.g. x / 1 %s)",
                    v_show(h, a, b1, sizeof b1), v_show(h, b, b2, sizeof b2), dim_name(h, a.dim, b3, sizeof b3));
    }
  }
  if (x == 0 && y < 0) hx_error_at(h, loc, "division by zero: 0 to the negative power %s", v_show(h, b, b1, sizeof b1));
  if (x < 0 && y != floor(y))
    hx_error_at(h, loc, "a negative number to a fractional power (%s ^ %s) is not a real number", v_show(h, a, b1, sizeof b1), v_show(h, b, b2, sizeof b2));
  double r = pow(x, y);
  if (isinf(r) && !isinf(x)) hx_error_at(h, loc, "number too large: the power overflows");
  if (isnan(r)) hx_error_at(h, loc, "%s ^ %s is not a number", v_show(h, a, b1, sizeof b1), v_show(h, b, b2, sizeof b2));
  return v_qty(r, d);
}

Value eval_arith(H *h, BinOp op, Value a, Value b, Loc loc) {
  char b1[80], b2[80];
  static const char *const verb[] = {"add", "subtract", "multiply", "divide", "raise"};
  if (op == OP_POW) {
    if (is_numeric(a) && is_numeric(b)) return power_of(h, a, b, loc);
    hx_error_at(h, loc, "cannot raise %s to the power of %s (^ takes numbers and quantities)",
                v_typename(h, a, b1, sizeof b1), v_typename(h, b, b2, sizeof b2));
  }
  if (is_numeric(a) && is_numeric(b)) {
    int da = dim_of(a), db = dim_of(b);
    double x = a.as.num, y = b.as.num;
    switch (op) {
      case OP_ADD: case OP_SUB:
        if (da != db) {
          /* the plain number 0 adds with any dimension */
          if (da == 0 && x == 0) da = db;
          else if (db == 0 && y == 0) db = da;
          else {
            char ta[80], tb[80];
            hx_error_at(h, loc, "cannot %s %s and %s: the units differ (%s vs %s)", verb[op],
                        v_show(h, a, ta, sizeof ta), v_show(h, b, tb, sizeof tb),
                        unit_of(h, a, b1, sizeof b1), unit_of(h, b, b2, sizeof b2));
          }
        }
        {
          double r = op == OP_ADD ? x + y : x - y;
          if (isinf(r) && !isinf(x) && !isinf(y)) hx_error_at(h, loc, "number too large: the %s overflows", op == OP_ADD ? "sum" : "difference");
          /* a share plus or minus a share is a share (for printing only) */
          if ((v_is_share(a) || v_is_share(b)) && (v_is_share(a) || x == 0) && (v_is_share(b) || y == 0))
            return v_share(r);
          return v_qty(r, da);
        }
      case OP_MUL: {
        double r = x * y;
        if (isinf(r) && !isinf(x) && !isinf(y)) hx_error_at(h, loc, "number too large: the product overflows");
        return v_qty(r, dim_mul(h, da, db));
      }
      case OP_DIV: {
        if (y == 0) hx_error_at(h, loc, "division by zero");
        double r = x / y;
        if (isinf(r) && !isinf(x)) hx_error_at(h, loc, "number too large: the quotient overflows");
        /* a quantity over one of the same unit is a share of it */
        if (da && da == db) return v_share(r);
        return v_qty(r, dim_div(h, da, db));
      }
      default: break;
    }
  }
  if (op == OP_ADD && a.tag == T_STR && b.tag == T_STR) {
    size_t n = a.as.str->len + b.as.str->len;
    if (n > 256u * 1024 * 1024) hx_error_at(h, loc, "string too long");
    HStr *s = arena_alloc(h, &h->temp, sizeof(HStr) + n + 1);
    s->len = (uint32_t)n;
    memcpy(s->s, a.as.str->s, a.as.str->len);
    memcpy(s->s + a.as.str->len, b.as.str->s, b.as.str->len);
    s->s[n] = 0;
    s->hash = mem_hash(s->s, n);
    return v_str(s);
  }
  if (op == OP_ADD && (a.tag == T_LIST || a.tag == T_COLL) && (b.tag == T_LIST || b.tag == T_COLL)) {
    uint32_t na = eval_coll_len(h, a), nb = eval_coll_len(h, b);
    List *l = list_new(h, &h->temp, na + nb);
    for (uint32_t i = 0; i < na; i++) l->items[i] = eval_coll_get(h, a, i);
    for (uint32_t i = 0; i < nb; i++) l->items[na + i] = eval_coll_get(h, b, i);
    return v_list(l);
  }
  if (a.tag == T_DATE && (op == OP_ADD || op == OP_SUB) && b.tag != T_DATE) return add_dates(h, a, b, op == OP_ADD ? 1 : -1, loc);
  if (b.tag == T_DATE && op == OP_ADD && a.tag != T_DATE) return add_dates(h, b, a, 1, loc);
  if (a.tag == T_DATE && b.tag == T_DATE && op == OP_SUB)
    return v_qty((double)(a.i - b.i) / 365.0, dim_time(h));
  if ((a.tag == T_STR) != (b.tag == T_STR) && op == OP_ADD)
    hx_error_at(h, loc, "cannot add %s and %s (+ joins two strings; convert the other value first)",
                v_typename(h, a, b1, sizeof b1), v_typename(h, b, b2, sizeof b2));
  if (a.tag == T_NIL || b.tag == T_NIL)
    hx_error_at(h, loc, "cannot %s %s and %s (a missing field is nil)", verb[op],
                v_typename(h, a, b1, sizeof b1), v_typename(h, b, b2, sizeof b2));
  hx_error_at(h, loc, "cannot %s %s and %s", verb[op], v_typename(h, a, b1, sizeof b1), v_typename(h, b, b2, sizeof b2));
}

/* ---- collections ---------------------------------------------------------------- */

uint32_t eval_coll_len(H *h, Value v) {
  if (v.tag == T_LIST) return v.as.list->n;
  if (v.tag == T_COLL) return world_count(h, v.kind);
  return 0;
}

Value eval_coll_get(H *h, Value v, uint32_t i) {
  if (v.tag == T_LIST) return v.as.list->items[i];
  return v_ent(v.kind, (int32_t)world_nth(h, v.kind, i));
}

void eval_iterate(H *h, Value coll, Loc loc, IterFn fn, void *ud) {
  char b1[80];
  if (coll.tag == T_LIST) {
    List *l = coll.as.list;
    for (uint32_t i = 0; i < l->n; i++)
      if (!fn(h, l->items[i], ud)) return;
    return;
  }
  if (coll.tag == T_COLL) {
    World *w = h->world;
    int k = coll.kind;
    /* rows appended while iterating (none in pure expressions) are not seen */
    uint32_t n = w->t[k].n;
    for (uint32_t r = 0; r < n; r++) {
      if (!world_alive(w, k, r)) continue;
      if (!fn(h, v_ent(k, (int32_t)r), ud)) return;
    }
    return;
  }
  hx_error_at(h, loc, "cannot iterate over %s (expected a list or a collection such as partners)", v_typename(h, coll, b1, sizeof b1));
}

/* ---- comprehension driver ---------------------------------------------------- */

/* Runs the bindings of a comprehension; for each binding that passes
** `where`, calls visit(h, slots, ud). visit returns 0 to stop early. */
typedef int (*VisitFn)(H *h, Compr *c, Value *slots, void *ud);

typedef struct Walk {
  Compr *c; Value *slots; VisitFn visit; void *ud; uint32_t level; int stop; int release;
} Walk;

static void walk_level(H *h, Walk *w);

static int walk_item(H *h, Value item, void *ud) {
  Walk *w = ud;
  Binder *b = &w->c->binders.p[w->level];
  w->slots[b->slot] = item;
  ArenaMark m = arena_mark(&h->temp);
  w->level++;
  walk_level(h, w);
  w->level--;
  if (w->release) arena_release(h, &h->temp, m);
  return !w->stop;
}

static void walk_level(H *h, Walk *w) {
  if (w->level == w->c->binders.n) {
    if (w->c->where) {
      Value ok = eval(h, w->c->where, w->slots);
      if (ok.tag != T_BOOL) {
        char b1[80];
        hx_error_at(h, w->c->where->loc, "the condition after 'where' must be true or false, not %s", v_typename(h, ok, b1, sizeof b1));
      }
      if (!ok.as.b) return;
    }
    if (!w->visit(h, w->c, w->slots, w->ud)) w->stop = 1;
    return;
  }
  Binder *b = &w->c->binders.p[w->level];
  Value coll = eval(h, b->coll, w->slots);
  eval_iterate(h, coll, b->coll->loc, walk_item, w);
}

static void walk(H *h, Compr *c, Value *slots, VisitFn visit, void *ud, int release) {
  Walk w = {c, slots, visit, ud, 0, 0, release};
  walk_level(h, &w);
}

/* The value a comprehension yields for one binding: its body, or the bound
** variable (a list [x, y] with several binders). */
static Value compr_item(H *h, Compr *c, Value *slots) {
  if (c->body) return eval(h, c->body, slots);
  if (c->binders.n == 1) return slots[c->binders.p[0].slot];
  List *l = list_new(h, &h->temp, c->binders.n);
  for (uint32_t i = 0; i < c->binders.n; i++) l->items[i] = slots[c->binders.p[i].slot];
  return v_list(l);
}

/* ---- quantifiers --------------------------------------------------------------- */

typedef struct QuantState { int exists; int result; Node *node; } QuantState;

static int quant_visit(H *h, Compr *c, Value *slots, void *ud) {
  QuantState *q = ud;
  Value v = eval(h, c->body, slots);
  if (v.tag != T_BOOL) {
    char b1[80];
    hx_error_at(h, c->body->loc, "the body of '%s' must be true or false, not %s", q->exists ? "exists" : "forall", v_typename(h, v, b1, sizeof b1));
  }
  if (q->exists && v.as.b) { q->result = 1; return 0; }
  if (!q->exists && !v.as.b) { q->result = 0; return 0; }
  return 1;
}

static Value eval_quant(H *h, Node *n, Value *slots) {
  QuantState q = {n->u.quant.exists, !n->u.quant.exists, n};
  walk(h, &n->u.quant.c, slots, quant_visit, &q, 1);
  return v_bool(q.result);
}

/* ---- aggregates ------------------------------------------------------------------ */

typedef enum { AGG_NONE, AGG_SUM, AGG_COUNT, AGG_MIN, AGG_MAX, AGG_AVG, AGG_ALL, AGG_ANY,
               AGG_ARGMAX, AGG_ARGMIN, AGG_LIST, AGG_DISTINCT } AggKind;

typedef struct Agg {
  AggKind kind; Node *call; int has_body;
  KSum sum; int dim; int dim_set;
  uint64_t n;
  Value best, best_arg; int have_best;
  int result_bool;
  VEC(Value) items;
} Agg;

static void agg_add(H *h, Agg *a, Value v, Value arg, Loc loc) {
  char b1[80], b2[80];
  switch (a->kind) {
    case AGG_SUM: case AGG_AVG:
      if (!is_numeric(v)) hx_error_at(h, loc, "%s needs numbers or quantities, got %s", a->kind == AGG_SUM ? "sum" : "avg", v_typename(h, v, b1, sizeof b1));
      if (v.tag == T_QTY || v.as.num != 0) {
        int d = dim_of(v);
        if (!a->dim_set) { a->dim = d; a->dim_set = 1; }
        else if (a->dim != d)
          hx_error_at(h, loc, "cannot sum %s with %s: the units differ", dim_name(h, a->dim, b1, sizeof b1), unit_of(h, v, b2, sizeof b2));
      }
      ksum_add(&a->sum, v.as.num);
      a->n++;
      return;
    case AGG_COUNT:
      if (!a->has_body || v_truthy(v)) a->n++;
      return;
    case AGG_ALL: case AGG_ANY:
      if (v.tag != T_BOOL) hx_error_at(h, loc, "%s needs true/false values, got %s", a->kind == AGG_ALL ? "all" : "any", v_typename(h, v, b1, sizeof b1));
      a->n++;
      if (a->kind == AGG_ALL && !v.as.b) a->result_bool = 0;
      if (a->kind == AGG_ANY && v.as.b) a->result_bool = 1;
      return;
    case AGG_MIN: case AGG_MAX: case AGG_ARGMAX: case AGG_ARGMIN: {
      a->n++;
      if (v.tag == T_NIL) return;   /* nil (a missing field) takes no part */
      if (!a->have_best) { a->best = v; a->best_arg = arg; a->have_best = 1; return; }
      int c = v_compare(h, v, a->best, loc);
      int better = (a->kind == AGG_MIN || a->kind == AGG_ARGMIN) ? c < 0 : c > 0;
      if (better) { a->best = v; a->best_arg = arg; }
      return;
    }
    case AGG_LIST:
      /* in the temp arena, not the heap: an error (or a limit) that unwinds
      ** out of the comprehension must not leak the items gathered so far */
      avec_push(h, &h->temp, &a->items, v);
      return;
    case AGG_DISTINCT:
      /* first occurrence kept; numbers compare tolerantly, lists and
      ** records structurally (v_equal) */
      for (uint32_t i = 0; i < a->items.n; i++) if (v_equal(h, a->items.p[i], v)) return;
      avec_push(h, &h->temp, &a->items, v);
      return;
    default: return;
  }
}

static int agg_done(Agg *a) {
  return (a->kind == AGG_ALL && !a->result_bool) || (a->kind == AGG_ANY && a->result_bool);
}

static Value agg_result(H *h, Agg *a, Loc loc) {
  static const char *const names[] = {"", "sum", "count", "min", "max", "avg", "all", "any", "argmax", "argmin", "list", "distinct"};
  switch (a->kind) {
    case AGG_SUM:
      if (!isfinite(ksum_get(&a->sum))) hx_error_at(h, loc, "number too large: the sum overflows");
      return v_qty(ksum_get(&a->sum), a->dim);
    case AGG_COUNT: return v_num((double)a->n);
    case AGG_AVG:
      if (!a->n) hx_error_at(h, loc, "avg of nothing: the collection is empty");
      if (!isfinite(ksum_get(&a->sum))) hx_error_at(h, loc, "number too large: the sum overflows");
      return v_qty(ksum_get(&a->sum) / (double)a->n, a->dim);
    case AGG_ALL: case AGG_ANY: return v_bool(a->result_bool);
    case AGG_MIN: case AGG_MAX: case AGG_ARGMAX: case AGG_ARGMIN:
      if (!a->have_best) hx_error_at(h, loc, "%s of nothing: the collection is empty", names[a->kind]);
      return (a->kind == AGG_MIN || a->kind == AGG_MAX) ? a->best : a->best_arg;
    case AGG_LIST: case AGG_DISTINCT: {
      List *l = list_new(h, &h->temp, a->items.n);
      if (a->items.n) memcpy(l->items, a->items.p, a->items.n * sizeof(Value));
      return v_list(l);
    }
    default: return v_nil();
  }
}

static int agg_visit(H *h, Compr *c, Value *slots, void *ud) {
  Agg *a = ud;
  Value v = compr_item(h, c, slots);
  Value arg = c->binders.n == 1 ? slots[c->binders.p[0].slot] : v;
  if (c->binders.n > 1 && c->body) {
    List *l = list_new(h, &h->temp, c->binders.n);
    for (uint32_t i = 0; i < c->binders.n; i++) l->items[i] = slots[c->binders.p[i].slot];
    arg = v_list(l);
  }
  agg_add(h, a, v, arg, c->body ? c->body->loc : a->call->loc);
  return !agg_done(a);
}

static Value builtin_list_vec(H *h, CallArgs *ca, Agg *a);

/* The dimension a comprehension's body would have, known without a value:
** a sum over no deals is then `0 USD`, not a unitless 0, as a report
** should say (`sum(...) = 0 USD`). -1 when it cannot be told from the text. */
static int static_dim(H *h, Node *n, Compr *c) {
  switch (n->kind) {
    case N_QTY: return n->u.qty.q.tag == T_QTY ? n->u.qty.q.dim : 0;
    case N_NUM: return 0;
    case N_NEG: return static_dim(h, n->u.operand, c);
    case N_IF: {
      int d = static_dim(h, n->u.cond.t, c);
      return d >= 0 ? d : static_dim(h, n->u.cond.e, c);
    }
    case N_BIN: {
      int l = static_dim(h, n->u.bin.l, c), r = static_dim(h, n->u.bin.r, c);
      switch (n->u.bin.op) {
        case OP_ADD: case OP_SUB: return l >= 0 ? l : r;
        case OP_MUL: return l >= 0 && r >= 0 ? dim_mul(h, l, r) : -1;
        case OP_DIV: return l >= 0 && r >= 0 ? dim_div(h, l, r) : -1;
        case OP_POW:
          if (l == 0) return 0;
          if (l > 0 && n->u.bin.r->kind == N_NUM && n->u.bin.r->u.num.v == floor(n->u.bin.r->u.num.v) && fabs(n->u.bin.r->u.num.v) <= 100)
            return dim_pow(h, l, (int)n->u.bin.r->u.num.v) > 0 ? dim_pow(h, l, (int)n->u.bin.r->u.num.v) : -1;
          return -1;
        default: return -1;
      }
    }
    case N_FIELD: {
      Node *o = n->u.field.obj;
      if (o->kind != N_LOCAL) return -1;
      for (uint32_t i = 0; i < c->binders.n; i++) {
        Binder *b = &c->binders.p[i];
        if (b->slot != o->u.local.slot || b->coll->kind != N_COLL) continue;
        World *w = h->world;
        int k = b->coll->u.coll.kind;
        HStr *f = n->u.field.name;
        if ((k == K_DEAL && f == w->f_value) || (k == K_LOAN && f == w->f_principal)) return dim_money(h);
        if (k == K_LOAN && f == w->f_term) return dim_time(h);
        return -1;
      }
      return -1;
    }
    default: return -1;
  }
}

/* `max(d in deals: d.year)`, `sum(d in deals: d.value)`: one binder over a
** whole collection, the body a built-in column of it, no condition. Read
** the column directly instead of evaluating a field node per row: the same
** values in the same order, a tenth of the time. Returns 0 when the shape
** does not fit. */
static int column_aggregate(H *h, Agg *a, Compr *c) {
  if (c->binders.n != 1 || c->where || !c->body) return 0;
  if (a->kind != AGG_SUM && a->kind != AGG_MIN && a->kind != AGG_MAX && a->kind != AGG_AVG) return 0;
  Binder *b = &c->binders.p[0];
  Node *body = c->body;
  if (b->coll->kind != N_COLL || body->kind != N_FIELD || body->u.field.obj->kind != N_LOCAL ||
      body->u.field.obj->u.local.slot != b->slot)
    return 0;
  int k = b->coll->u.coll.kind;
  World *w = h->world;
  Table *t = &w->t[k];
  HStr *name = body->u.field.name;
  int which;   /* 0 money column (value/principal), 1 year */
  if (k == K_DEAL && name == w->f_value) which = 0;
  else if (k == K_LOAN && name == w->f_principal) which = 0;
  else if (k == K_DEAL && name == w->f_year) which = 1;
  else return 0;
  Loc loc = body->loc;
  if (which == 0) { a->dim = dim_money(h); a->dim_set = 1; }   /* money, even over no rows */
  if (which == 1 && (a->kind == AGG_MIN || a->kind == AGG_MAX) && k == K_DEAL && !t->ndropped) {
    /* every deal is living: the year range the indexes keep (computed once
    ** per change of the rows, and by a packed world's first query anyway)
    ** is the answer; the steps are charged as if each row were read */
    int32_t lo, hi;
    if (index_deal_years(h, &lo, &hi)) { a->best = v_num(a->kind == AGG_MAX ? hi : lo); a->have_best = 1; }
    h->steps += t->n;
    a->n = t->n;
    return 1;
  }
  if (which == 1 && (a->kind == AGG_MIN || a->kind == AGG_MAX)) {
    /* years are whole numbers: compare them as such (ties keep the first) */
    int32_t best = NO_YEAR;
    for (uint32_t r = 0; r < t->n; r++) {
      if (t->dropped && t->dropped[r]) continue;
      int32_t y = t->year[r];
      if (y == NO_YEAR) continue;
      if (best == NO_YEAR || (a->kind == AGG_MAX ? y > best : y < best)) best = y;
    }
    h->steps += t->n;
    if (best != NO_YEAR) { a->best = v_num(best); a->have_best = 1; }
    a->n = t->n;
    return 1;
  }
  for (uint32_t r = 0; r < t->n; r++) {
    if (t->dropped && t->dropped[r]) continue;
    Value v;
    if (which == 0) v = isnan(t->value[r]) ? v_nil() : v_qty(t->value[r], dim_money(h));
    else v = t->year[r] == NO_YEAR ? v_nil() : v_num(t->year[r]);
    if (v.tag == T_NIL && (a->kind == AGG_SUM || a->kind == AGG_AVG)) return 0;   /* let the general path raise */
    agg_add(h, a, v, v_ent(k, (int32_t)r), loc);
    if ((r & 0xFFFF) == 0xFFFF) eval_step_check(h, loc);
  }
  h->steps += t->n;
  return 1;
}

/* `AGG(x in xs: EXPR) by KEY`: one aggregate per value of KEY, in the
** order the keys first appear. */
typedef struct GroupBy { Agg proto; VEC(Value) keys; VEC(Agg *) aggs; } GroupBy;

static int group_visit(H *h, Compr *c, Value *slots, void *ud) {
  GroupBy *g = ud;
  Value key = eval(h, c->by, slots);
  if (key.tag == T_NIL) {
    char b1[160];
    Value x = slots[c->binders.p[0].slot];
    hx_error_at(h, c->by->loc, "the group key is nil for %s = %s (give every element a key, or leave it out with `where`)",
                c->binders.p[0].name->s, v_show(h, x, b1, sizeof b1));
  }
  if (key.tag == T_LIST || key.tag == T_REC || key.tag == T_FUNC || key.tag == T_COLL) {
    char b1[80];
    hx_error_at(h, c->by->loc, "a group key must be a name, string, number or date, not %s", v_typename(h, key, b1, sizeof b1));
  }
  uint32_t i;
  for (i = 0; i < g->keys.n; i++) if (v_equal(h, g->keys.p[i], key)) break;
  if (i == g->keys.n) {
    Agg *a = arena_alloc(h, &h->temp, sizeof *a);
    *a = g->proto;
    avec_push(h, &h->temp, &g->keys, key);
    avec_push(h, &h->temp, &g->aggs, a);
  }
  Agg *a = g->aggs.p[i];
  if (!agg_done(a)) agg_visit(h, c, slots, a);
  return 1;
}

static Value run_grouped(H *h, Agg *proto, Node *call, Compr *c, Value *slots) {
  GroupBy g;
  memset(&g, 0, sizeof g);
  g.proto = *proto;
  g.proto.has_body = c->body != NULL;
  walk(h, c, slots, group_visit, &g, 0);
  Rec *r = rec_new(h, &h->temp, g.keys.n);
  for (uint32_t i = 0; i < g.keys.n; i++) {
    Value k = g.keys.p[i];
    size_t len;
    const char *t = k.tag == T_STR ? k.as.str->s : v_tostr(h, k, 0, &len);
    r->keys[i] = mem_intern_c(h, t);
    Agg *a = g.aggs.p[i];
    if (a->kind == AGG_SUM && !a->dim_set && c->body) {
      int d = static_dim(h, c->body, c);
      if (d > 0) { a->dim = d; a->dim_set = 1; }
    }
    r->vals[i] = agg_result(h, a, call->loc);
  }
  /* two keys that print alike (the string "1" and the number 1) would
  ** silently share a field: an error instead */
  for (uint32_t i = 0; i < r->n; i++)
    for (uint32_t j = i + 1; j < r->n; j++)
      if (r->keys[i] == r->keys[j]) hx_error_at(h, c->by->loc, "two different group keys both read '%s'", r->keys[i]->s);
  return v_rec(r);
}

static Value run_aggregate(H *h, Function *f, Node *call, Value *slots, CallArgs *ca) {
  Agg a;
  memset(&a, 0, sizeof a);
  a.kind = (AggKind)f->aggregate;
  a.call = call;
  a.result_bool = a.kind == AGG_ALL;
  if (call && call->u.call.compr) {
    Compr *c = call->u.call.compr;
    if (call->u.call.args.n || call->u.call.named.n)
      hx_error_at(h, call->loc, "%s takes a comprehension alone: %s(x in xs [where C]: EXPR)", f->name->s, f->name->s);
    if ((a.kind == AGG_ARGMAX || a.kind == AGG_ARGMIN) && !c->body)
      hx_error_at(h, call->loc, "%s needs a value to compare: %s(x in xs: EXPR)", f->name->s, f->name->s);
    if (c->by) return run_grouped(h, &a, call, c, slots);
    {
      Agg fast = a;
      fast.has_body = 1;
      if (column_aggregate(h, &fast, c)) return agg_result(h, &fast, call->loc);
    }
    a.has_body = c->body != NULL;
    if ((a.kind == AGG_ARGMAX || a.kind == AGG_ARGMIN) && !c->body)
      hx_error_at(h, call->loc, "%s needs a value to compare: %s(x in xs: EXPR)", f->name->s, f->name->s);
    /* only scalar results may drop their temporaries after each element */
    int release = a.kind == AGG_SUM || a.kind == AGG_COUNT || a.kind == AGG_AVG || a.kind == AGG_ALL || a.kind == AGG_ANY;
    walk(h, c, slots, agg_visit, &a, release);
    if (a.kind == AGG_SUM && !a.dim_set && c->body) {
      int d = static_dim(h, c->body, c);
      if (d > 0) { a.dim = d; a.dim_set = 1; }
    }
    return agg_result(h, &a, call->loc);
  }
  return builtin_list_vec(h, ca, &a);
}

/* An aggregate given plain arguments: one collection, or several values
** (max(a, b)). argmax/argmin of a list give the index of the best item. */
static Value builtin_list_vec(H *h, CallArgs *ca, Agg *a) {
  Loc loc = ca->call ? ca->call->loc : (Loc){-1, 0, 0};
  if (ca->nnamed) hx_error_at(h, loc, "this aggregate takes no named arguments");
  if (ca->npos == 1 && (ca->pos[0].tag == T_LIST || ca->pos[0].tag == T_COLL)) {
    Value coll = ca->pos[0];
    uint32_t n = eval_coll_len(h, coll);
    for (uint32_t i = 0; i < n && !agg_done(a); i++) agg_add(h, a, eval_coll_get(h, coll, i), v_num(i), loc);
  } else if (ca->npos == 0) {
    /* nothing: count() == 0, sum() == 0, max() is an error */
  } else {
    if (a->kind == AGG_COUNT || a->kind == AGG_LIST) {
      char b1[80];
      if (a->kind == AGG_COUNT && ca->npos == 1)
        hx_error_at(h, loc, "count needs a list or a comprehension, not %s", v_typename(h, ca->pos[0], b1, sizeof b1));
    }
    for (int i = 0; i < ca->npos && !agg_done(a); i++) agg_add(h, a, ca->pos[i], v_num(i), loc);
  }
  return agg_result(h, a, loc);
}

/* ---- fields and indexing ------------------------------------------------------- */

static Value eval_field(H *h, Node *n, Value o) {
  char b1[80];
  HStr *name = n->u.field.name;
  switch (o.tag) {
    case T_ENT: {
      int found;
      if (o.kind == K_DEAL || o.kind == K_LOAN) read_opaque(h);   /* a row's cell: not tracked */
      Value v = world_field(h, o.kind, (uint32_t)o.i, name, &found);
      if (!found) {
        /* nil for a free attribute some entity has; an error for a typo */
        Table *t = &h->world->t[o.kind];
        for (uint32_t i = 0; i < t->cols.n; i++) if (t->cols.p[i].name == name) return v_nil();
        if (world_schema_field(o.kind, name->s)) return v_nil();
        Suggest sg;
        suggest_init(&sg, name->s, name->len);
        for (const FieldSpec *f = world_schema(o.kind); f->name; f++) suggest_try(&sg, f->name);
        for (uint32_t i = 0; i < t->cols.n; i++) suggest_try(&sg, t->cols.p[i].name->s);
        if (sg.best) hx_error_span(h, n->loc, (int)name->len, "no %s has a field '%s' (did you mean %s?)", kind_names[o.kind], name->s, sg.best);
        hx_error_span(h, n->loc, (int)name->len, "no %s has a field '%s'", kind_names[o.kind], name->s);
      }
      return v;
    }
    case T_REC: {
      Value *v = rec_get(o.as.rec, name);
      return v ? *v : v_nil();
    }
    case T_DATE:
      if (strcmp(name->s, "year") == 0) return v_num(v_date_year(o));
      if (strcmp(name->s, "month") == 0) return v_num(v_date_month(o));
      if (strcmp(name->s, "day") == 0) { int y, m, d; date_to_civil(o.i, &y, &m, &d); return v_num(d); }
      break;
    case T_QTY:
      if (strcmp(name->s, "value") == 0) return v_num(o.as.num);
      if (strcmp(name->s, "unit") == 0) { char d[64]; dim_name(h, o.dim, d, sizeof d); return v_str(mem_intern_c(h, d)); }
      break;
    default: break;
  }
  if (o.tag == T_NIL) hx_error_span(h, n->loc, (int)name->len, "cannot read field '%s' of nil", name->s);
  hx_error_span(h, n->loc, (int)name->len, "cannot read field '%s' of %s", name->s, v_typename(h, o, b1, sizeof b1));
}

static Value eval_index(H *h, Node *n, Value o, Value ix) {
  char b1[80];
  if (o.tag == T_LIST || o.tag == T_COLL) {
    if (ix.tag != T_NUM || ix.as.num != floor(ix.as.num))
      hx_error_at(h, n->u.index.index->loc, "a list index must be a whole number, not %s", v_show(h, ix, b1, sizeof b1));
    uint32_t len = eval_coll_len(h, o);
    double i = ix.as.num;
    if (i < 0 || i >= len)
      hx_error_at(h, n->u.index.index->loc, "index %s out of range: the list has %u element%s (indexes start at 0%s)",
                  v_show(h, ix, b1, sizeof b1), len, len == 1 ? "" : "s", i < 0 ? "; xs[-1:] is a slice of the last one" : "");
    return eval_coll_get(h, o, (uint32_t)i);
  }
  if (o.tag == T_REC && ix.tag == T_STR) {
    HStr *k = mem_intern_find(h, ix.as.str->s, ix.as.str->len);
    Value *v = k ? rec_get(o.as.rec, k) : NULL;
    return v ? *v : v_nil();
  }
  hx_error_at(h, n->loc, "cannot index %s", v_typename(h, o, b1, sizeof b1));
}

/* One bound of a slice: a whole number, negative counting from the end,
** clamped to 0..len as Python does (xs[0:100] of three items is all three). */
static uint32_t slice_bound(H *h, Node *e, Value v, uint32_t len, uint32_t dflt) {
  char b1[80];
  if (!e) return dflt;
  if (v.tag != T_NUM || v.as.num != floor(v.as.num))
    hx_error_at(h, e->loc, "a slice bound must be a whole number, not %s", v_show(h, v, b1, sizeof b1));
  double i = v.as.num;
  if (i < 0) i += len;
  if (i < 0) i = 0;
  if (i > len) i = len;
  return (uint32_t)i;
}

/* xs[a:b]: the elements from index a up to, not including, b; a string
** slices by characters. */
static Value eval_slice(H *h, Node *n, Value *slots) {
  Value o = eval(h, n->u.slice.obj, slots);
  Value lo = n->u.slice.lo ? eval(h, n->u.slice.lo, slots) : v_nil();
  Value hi = n->u.slice.hi ? eval(h, n->u.slice.hi, slots) : v_nil();
  char b1[80];
  if (o.tag == T_LIST || o.tag == T_COLL) {
    uint32_t len = eval_coll_len(h, o);
    uint32_t a = slice_bound(h, n->u.slice.lo, lo, len, 0), b = slice_bound(h, n->u.slice.hi, hi, len, len);
    uint32_t m = b > a ? b - a : 0;
    List *l = list_new(h, &h->temp, m);
    for (uint32_t i = 0; i < m; i++) l->items[i] = eval_coll_get(h, o, a + i);
    return v_list(l);
  }
  if (o.tag == T_STR) {
    /* by characters: find the byte offsets of the a-th and b-th code points */
    HStr *s = o.as.str;
    uint32_t nch = 0;
    for (uint32_t i = 0; i < s->len; i++) if ((s->s[i] & 0xC0) != 0x80) nch++;
    uint32_t a = slice_bound(h, n->u.slice.lo, lo, nch, 0), b = slice_bound(h, n->u.slice.hi, hi, nch, nch);
    if (b < a) b = a;
    uint32_t ch = 0, ba = s->len, bb = s->len;
    for (uint32_t i = 0; i < s->len; i++) {
      if ((s->s[i] & 0xC0) == 0x80) continue;
      if (ch == a && ba == s->len) ba = i;
      if (ch == b) { bb = i; break; }
      ch++;
    }
    if (a >= nch) ba = s->len;
    return v_str(mem_newstr(h, &h->temp, s->s + ba, bb - ba));
  }
  hx_error_at(h, n->loc, "cannot slice %s (slices take a list or a string)", v_typename(h, o, b1, sizeof b1));
}

/* ---- calls ------------------------------------------------------------------------ */

static Value call_user(H *h, Function *f, CallArgs *a) {
  Loc loc = a->call ? a->call->loc : f->loc;
  resolve_function(h, f);
  uint32_t np = f->params.n;
  if ((uint32_t)a->npos > np)
    hx_error_at(h, loc, "%s takes %u argument%s, got %d", f->name->s, np, np == 1 ? "" : "s", a->npos);
  if (h->depth >= h->max_depth)
    hx_error_status(h, HEDGE_ELIMIT, loc, "recursion too deep (more than %d nested calls)", h->max_depth);
  int nslots = f->nslots > (int)np ? f->nslots : (int)np;
  /* the call's temporaries die with it when its result holds no pointer
  ** into them (a number, quantity, date, entity...): a recursion of a
  ** million calls does not keep a million frames (red-team F12j) */
  ArenaMark frame = arena_mark(&h->temp);
  Value *slots = arena_alloc(h, &h->temp, (size_t)(nslots ? nslots : 1) * sizeof(Value));
  uint8_t given[HX_MAX_PARAMS] = {0};
  for (int i = 0; i < a->npos; i++) { slots[i] = a->pos[i]; given[i] = 1; }
  for (int i = 0; i < a->nnamed; i++) {
    uint32_t j;
    for (j = 0; j < np; j++) if (f->params.p[j].name == a->names[i]) break;
    if (j == np) {
      Suggest sg;
      suggest_init(&sg, a->names[i]->s, a->names[i]->len);
      for (uint32_t k = 0; k < np; k++) suggest_try(&sg, f->params.p[k].name->s);
      if (sg.best) hx_error_at(h, loc, "%s has no parameter '%s' (did you mean %s?)", f->name->s, a->names[i]->s, sg.best);
      hx_error_at(h, loc, "%s has no parameter '%s'", f->name->s, a->names[i]->s);
    }
    if (given[j]) hx_error_at(h, loc, "%s: argument '%s' is given twice", f->name->s, a->names[i]->s);
    slots[j] = a->named[i];
    given[j] = 1;
  }
  h->depth++;
  for (uint32_t j = 0; j < np; j++) {
    if (given[j]) continue;
    if (!f->params.p[j].def)
      hx_error_at(h, loc, "%s: missing argument '%s'", f->name->s, f->params.p[j].name->s);
    slots[j] = eval(h, f->params.p[j].def, slots);
  }
  Value r = eval(h, f->body, slots);
  h->depth--;
  if (r.tag == T_NUM || r.tag == T_QTY || r.tag == T_BOOL || r.tag == T_NIL || r.tag == T_DATE || r.tag == T_ENT)
    arena_release(h, &h->temp, frame);
  return r;
}


static Value call_host(H *h, Function *f, CallArgs *a) {
  Loc loc = a->call ? a->call->loc : f->loc;
  uint32_t np = f->params.n;
  if ((uint32_t)a->npos > np) hx_error_at(h, loc, "%s takes %u argument%s, got %d", f->name->s, np, np == 1 ? "" : "s", a->npos);
  hedge_Value args[HX_MAX_PARAMS];
  Buf texts[HX_MAX_PARAMS];
  memset(args, 0, sizeof args);
  memset(texts, 0, sizeof texts);
  Value vals[HX_MAX_PARAMS];
  for (uint32_t j = 0; j < np; j++) vals[j] = v_nil();
  for (int i = 0; i < a->npos; i++) vals[i] = a->pos[i];
  for (int i = 0; i < a->nnamed; i++) {
    uint32_t j;
    for (j = 0; j < np; j++) if (f->params.p[j].name == a->names[i]) break;
    if (j == np) hx_error_at(h, loc, "%s has no parameter '%s'", f->name->s, a->names[i]->s);
    vals[j] = a->named[i];
  }
  char units[HX_MAX_PARAMS][64];
  for (uint32_t j = 0; j < np; j++) {
    Value v = vals[j];
    hedge_Value *x = &args[j];
    switch (v.tag) {
      case T_NIL: x->kind = HEDGE_VNIL; break;
      case T_BOOL: x->kind = HEDGE_VBOOL; x->number = v.as.b; break;
      case T_NUM: x->kind = HEDGE_VNUMBER; x->number = v.as.num; break;
      case T_QTY: x->kind = HEDGE_VQUANTITY; x->number = v.as.num; x->unit = dim_name(h, v.dim, units[j], sizeof units[j]); break;
      case T_STR:
        if (memchr(v.as.str->s, 0, v.as.str->len))
          hx_error_at(h, loc, "%s: argument %u holds a NUL character (\\u{0}); a C string would end there", f->name->s, j + 1);
        x->kind = HEDGE_VSTRING; x->text = v.as.str->s; break;
      case T_DATE: x->kind = HEDGE_VDATE; x->text = v_tostr(h, v, 0, NULL); break;
      case T_ENT: x->kind = HEDGE_VENTITY; x->text = v_tostr(h, v, 0, NULL); break;
      default: x->kind = HEDGE_VOTHER; x->text = v_tostr(h, v, 1, NULL); break;
    }
  }
  hedge_Value res;
  memset(&res, 0, sizeof res);
  char err[512] = "";
  int rc = f->host(f->host_ud, args, (int)np, &res, err, sizeof err);
  err[sizeof err - 1] = 0;   /* a host that filled errbuf without a NUL (strncpy) */
  if (rc != 0) hx_error_at(h, loc, "%s: %s", f->name->s, err[0] ? err : "host function failed");
  if ((res.kind == HEDGE_VNUMBER || res.kind == HEDGE_VQUANTITY) && !isfinite(res.number))
    hx_error_at(h, loc, "%s returned %s", f->name->s, isnan(res.number) ? "not a number (NaN): hedge numbers are finite" : "an infinite number (number too large)");
  switch (res.kind) {
    case HEDGE_VBOOL: return v_bool(res.number != 0);
    case HEDGE_VNUMBER: return v_num(res.number);
    case HEDGE_VQUANTITY: {
      int dim; double fac;
      if (!res.unit || !units_lookup(h, res.unit, strlen(res.unit), &dim, &fac))
        hx_error_at(h, loc, "%s returned a quantity with an unknown unit '%s'", f->name->s, res.unit ? res.unit : "(null)");
      if (!isfinite(res.number * fac)) hx_error_at(h, loc, "%s returned a quantity too large for hedge (number too large)", f->name->s);
      return v_qty(res.number * fac, dim);
    }
    case HEDGE_VSTRING: return res.text ? v_str(mem_newstr(h, &h->temp, res.text, strlen(res.text))) : v_nil();
    case HEDGE_VNIL: return v_nil();
    default: hx_error_at(h, loc, "%s returned a value of a kind hedge cannot take", f->name->s);
  }
}

static Value call_kind(H *h, Function *f, CallArgs *a);

/* A function named *_share returns a share: its number prints as a
** percentage (value.h). Nothing else changes. */
static int names_share(HStr *name) {
  return name && name->len >= 6 && memcmp(name->s + name->len - 6, "_share", 6) == 0;
}

Value eval_call_function(H *h, Function *f, CallArgs *a) {
  Value r = call_kind(h, f, a);
  if (r.tag == T_NUM && names_share(f->name)) r.kind = NUMK_SHARE;
  return r;
}

static Value call_kind(H *h, Function *f, CallArgs *a) {
  if (h->reads && f->kind != F_USER && f->kind != F_LUA) read_opaque(h);   /* see eval_call */
  switch (f->kind) {
    case F_USER: return call_user(h, f, a);
    case F_BUILTIN:
      if (f->aggregate) {
        Agg ag;
        memset(&ag, 0, sizeof ag);
        ag.kind = (AggKind)f->aggregate;
        ag.result_bool = ag.kind == AGG_ALL;
        return builtin_list_vec(h, a, &ag);
      }
      {
        Value r = f->builtin(h, a);
        /* no built-in gives NaN or an infinity: an overflow is an error */
        if ((r.tag == T_NUM || r.tag == T_QTY) && !isfinite(r.as.num))
          hx_error_at(h, a->call ? a->call->loc : f->loc, "number too large: %s overflows", f->name->s);
        return r;
      }
    case F_LUA: {
      Value out;
      /* a native answer that is not finite goes the Lua way, whose
      ** conversion reports it ("number too large"), as without the fast path */
      if (f->fast && !h->native_off && stdfast_call(h, f, a, &out) &&
          !((out.tag == T_NUM || out.tag == T_QTY) && !isfinite(out.as.num))) return out;
      read_opaque(h);   /* Lua: may read anything */
      return h->prog->hooks.call_lua(h, f, a);   /* luabridge.c, above (prog.h) */
    }
    case F_EXTERN: return extern_call(h, f, a);
    case F_HOST: return call_host(h, f, a);
  }
  return v_nil();
}

/* Evaluates the figure `call` (a call with year:, since: or until:) with
** those arguments moved `back` years earlier: the figure of an earlier
** year, whatever the function (stdlib, Lua, your own fn). */
static Value eval_shifted(H *h, Node *outer, Node *call, Value *slots, int back) {
  char b1[80];
  const char *who = outer->u.call.fn->kind == N_CONST ? outer->u.call.fn->u.cnst.name->s : "yoy";
  if (call->kind != N_CALL || call->u.call.compr)
    hx_error_at(h, call->loc, "%s takes a figure written as a call with year:, as in %s(exports(PAK, year: 2025))", who, who);
  int shifted = 0;
  Value fv = eval(h, call->u.call.fn, slots);
  if (fv.tag != T_FUNC) hx_error_at(h, call->loc, "%s: this is %s, not a function", who, v_typename(h, fv, b1, sizeof b1));
  CallArgs ca;
  memset(&ca, 0, sizeof ca);
  ca.call = call;
  uint32_t np = call->u.call.args.n, nn = call->u.call.named.n;
  ca.npos = (int)np;
  ca.nnamed = (int)nn;
  ca.pos = np ? arena_alloc(h, &h->temp, np * sizeof(Value)) : NULL;
  for (uint32_t i = 0; i < np; i++) ca.pos[i] = eval(h, call->u.call.args.p[i], slots);
  if (nn) {
    ca.names = arena_alloc(h, &h->temp, nn * sizeof(HStr *));
    ca.named = arena_alloc(h, &h->temp, nn * sizeof(Value));
  }
  for (uint32_t i = 0; i < nn; i++) {
    Field *f = &call->u.call.named.p[i];
    Value v = eval(h, f->value, slots);
    if (strcmp(f->name->s, "year") == 0 || strcmp(f->name->s, "since") == 0 || strcmp(f->name->s, "until") == 0) {
      shifted = 1;
      if (v.tag == T_NUM && v.as.num == floor(v.as.num)) v.as.num -= back;
      else if (v.tag == T_DATE) v = v_date_add_months(h, v, -12L * back, f->value->loc);
      else if (v.tag != T_NIL) hx_error_at(h, f->value->loc, "%s: %s: must be a year or a date, not %s", who, f->name->s, v_show(h, v, b1, sizeof b1));
    }
    ca.names[i] = f->name;
    ca.named[i] = v;
  }
  if (!shifted)
    hx_error_at(h, call->loc, "%s needs the figure's year: (or since:/until:) to move it back, as in %s(exports(PAK, year: 2025))", who, who);
  return eval_call_function(h, fv.as.fn, &ca);
}

/* yoy(FIGURE): growth of the figure from the year before; prior(FIGURE
** [, years: n]): the figure n years earlier (1 by default). */
static Value eval_lazy(H *h, Function *f, Node *n, Value *slots) {
  char b1[80], b2[80];
  int yoy = strcmp(f->name->s, "yoy") == 0;
  uint32_t nn = n->u.call.named.n;
  if (n->u.call.compr || n->u.call.args.n != 1)
    hx_error_at(h, n->loc, "%s takes one figure written as a call, as in %s(exports(PAK, year: 2025))", f->name->s, f->name->s);
  int back = 1;
  for (uint32_t i = 0; i < nn; i++) {
    Field *fd = &n->u.call.named.p[i];
    if (yoy || strcmp(fd->name->s, "years") != 0)
      hx_error_at(h, fd->loc, "%s has no named argument '%s'%s", f->name->s, fd->name->s, yoy ? "" : " (it takes years:)");
    Value v = eval(h, fd->value, slots);
    if (v.tag != T_NUM || v.as.num != floor(v.as.num) || v.as.num < 1 || v.as.num > 1000)
      hx_error_at(h, fd->value->loc, "prior: years: must be a whole number of years >= 1, not %s", v_show(h, v, b1, sizeof b1));
    back = (int)v.as.num;
  }
  Node *fig = n->u.call.args.p[0];
  if (!yoy) return eval_shifted(h, n, fig, slots, back);
  Value cur = eval_shifted(h, n, fig, slots, 0);
  Value prev = eval_shifted(h, n, fig, slots, 1);
  if ((cur.tag != T_NUM && cur.tag != T_QTY) || (prev.tag != T_NUM && prev.tag != T_QTY))
    hx_error_at(h, n->loc, "yoy needs a figure that is a number or a quantity, got %s", v_typename(h, cur, b1, sizeof b1));
  if (prev.as.num == 0)
    hx_error_at(h, n->loc, "yoy: the figure a year earlier is 0 (now %s): growth from 0 is undefined", v_show(h, cur, b1, sizeof b1));
  if (prev.as.num < 0)
    hx_error_at(h, n->loc, "yoy: the figure a year earlier is negative (%s): growth from a negative base has no meaning as a rate", v_show(h, prev, b2, sizeof b2));
  Value d = eval_arith(h, OP_SUB, cur, prev, n->loc);
  Value g = eval_arith(h, OP_DIV, d, prev, n->loc);
  g.kind = NUMK_PLAIN;   /* a growth rate, as growth() gives: not a share */
  return g;
}

typedef struct PairWalk { Agg *args, *keys; } PairWalk;

/* One binding of a pairs-builtin's comprehension: the binding (x, or
** [x, y]) and the body's value. */
static int pair_visit(H *h, Compr *c, Value *slots, void *ud) {
  PairWalk *pw = ud;
  Value x;
  if (c->binders.n == 1) x = slots[c->binders.p[0].slot];
  else {
    List *l = list_new(h, &h->temp, c->binders.n);
    for (uint32_t i = 0; i < c->binders.n; i++) l->items[i] = slots[c->binders.p[i].slot];
    x = v_list(l);
  }
  avec_push(h, &h->temp, &pw->args->items, x);
  avec_push(h, &h->temp, &pw->keys->items, eval(h, c->body, slots));
  return 1;
}

/* The list a comprehension argument gives a function; for a pairs builtin
** (top) with a body, the bindings, and the body's values in ca->keys. Kept
** out of eval_call so that a recursive call's C frame stays small. */
static __attribute__((noinline)) Value compr_list(H *h, Function *f, Node *n, Compr *cm, Value *slots, CallArgs *ca) {
  Agg ag;
  memset(&ag, 0, sizeof ag);
  ag.kind = AGG_LIST;
  ag.call = n;
  if (f->kind == F_BUILTIN && f->pairs && cm->body) {
    Agg keys;
    memset(&keys, 0, sizeof keys);
    keys.kind = AGG_LIST;
    keys.call = n;
    PairWalk pw = {&ag, &keys};
    walk(h, cm, slots, pair_visit, &pw, 0);
    Value kl = agg_result(h, &keys, n->loc);
    ca->keys = kl.as.list;
  } else walk(h, cm, slots, agg_visit, &ag, 0);
  return agg_result(h, &ag, n->loc);
}

static Value eval_call(H *h, Node *n, Value *slots) {
  Node *fn = n->u.call.fn;
  Value fv = eval(h, fn, slots);
  char b1[80];
  if (fv.tag != T_FUNC) {
    size_t len;
    const char *t = parse_node_text(h, fn, &len);
    hx_error_at(h, n->loc, "'%.*s' is %s, not a function", (int)(len > 60 ? 60 : len), t, v_typename(h, fv, b1, sizeof b1));
  }
  Function *f = fv.as.fn;
  /* a tracked binding (world.h) calls only its own functions and the
  ** standard queries answered from the indexes */
  if (h->reads && f->kind != F_USER && !(f->kind == F_LUA && f->fast && !h->native_off)) read_opaque(h);
  CallArgs ca;
  memset(&ca, 0, sizeof ca);
  ca.call = n;
  if (f->kind == F_BUILTIN && f->aggregate && n->u.call.compr)
    return run_aggregate(h, f, n, slots, &ca);
  if (f->kind == F_BUILTIN && f->lazy) return eval_lazy(h, f, n, slots);
  Compr *cm = n->u.call.compr;
  if (cm && cm->by)
    hx_error_at(h, cm->by->loc, "`by` groups an aggregate (sum, count, min, max, avg, all, any, argmax, argmin, list, distinct), not %s", f->name->s);
  {
    /* positional arguments, then the comprehension's list as the last of
    ** them: any function takes a comprehension and receives the list */
    uint32_t np = n->u.call.args.n, nn = n->u.call.named.n;
    ca.npos = (int)np + (cm ? 1 : 0);
    ca.nnamed = (int)nn;
    ca.pos = ca.npos ? arena_alloc(h, &h->temp, (size_t)ca.npos * sizeof(Value)) : NULL;
    for (uint32_t i = 0; i < np; i++) ca.pos[i] = eval(h, n->u.call.args.p[i], slots);
    if (cm) ca.pos[np] = compr_list(h, f, n, cm, slots, &ca);
    if (nn) {
      ca.names = arena_alloc(h, &h->temp, nn * sizeof(HStr *));
      ca.named = arena_alloc(h, &h->temp, nn * sizeof(Value));
      for (uint32_t i = 0; i < nn; i++) {
        ca.names[i] = n->u.call.named.p[i].name;
        ca.named[i] = eval(h, n->u.call.named.p[i].value, slots);
      }
    }
  }
  return eval_call_function(h, f, &ca);
}

/* ---- the tree walk ------------------------------------------------------------- */

static int want_bool(H *h, Node *n, Value v, const char *op) {
  if (v.tag != T_BOOL) {
    char b1[80];
    hx_error_at(h, n->loc, "'%s' needs true or false, not %s", op, v_typename(h, v, b1, sizeof b1));
  }
  return v.as.b;
}

typedef struct InState { Value x; int found; } InState;
static int in_visit(H *h, Value item, void *ud) {
  InState *s = ud;
  if (v_equal(h, s->x, item)) { s->found = 1; return 0; }
  return 1;
}

/* The operator of n applied to its operands' values a and b. */
static Value bin_apply(H *h, Node *n, Value a, Value b) {
  BinOp op = n->u.bin.op;
  switch (op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_POW: return eval_arith(h, op, a, b, n->loc);
    case OP_DIV: {
      Value r = eval_arith(h, op, a, b, n->loc);
      /* `x / 1 USD` converts to a plain number; it is not a share */
      Node *d = n->u.bin.r;
      while (d->kind == N_NEG) d = d->u.operand;
      if (d->kind == N_QTY) r.kind = NUMK_PLAIN;
      return r;
    }
    case OP_EQ: case OP_NE: {
      int eq;
      if (is_numeric(a) && is_numeric(b)) eq = v_compare(h, a, b, n->loc) == 0;
      else eq = v_equal(h, a, b);
      return v_bool(op == OP_EQ ? eq : !eq);
    }
    case OP_LT: return v_bool(v_compare(h, a, b, n->loc) < 0);
    case OP_LE: return v_bool(v_compare(h, a, b, n->loc) <= 0);
    case OP_GT: return v_bool(v_compare(h, a, b, n->loc) > 0);
    case OP_GE: return v_bool(v_compare(h, a, b, n->loc) >= 0);
    case OP_IN: {
      if (b.tag == T_STR && a.tag == T_STR)
        return v_bool(a.as.str->len == 0 || memmem(b.as.str->s, b.as.str->len, a.as.str->s, a.as.str->len) != NULL);
      if (b.tag == T_COLL)
        return v_bool(a.tag == T_ENT && a.kind == b.kind && world_alive(h->world, a.kind, (uint32_t)a.i));
      if (b.tag == T_REC && a.tag == T_STR) {
        HStr *k = mem_intern_find(h, a.as.str->s, a.as.str->len);
        return v_bool(k && rec_get(b.as.rec, k));
      }
      InState s = {a, 0};
      eval_iterate(h, b, n->u.bin.r->loc, in_visit, &s);
      return v_bool(s.found);
    }
  }
  return v_nil();
}

static Value eval_bin(H *h, Node *n, Value *slots) {
  Value a = eval(h, n->u.bin.l, slots);
  Value b = eval(h, n->u.bin.r, slots);
  return bin_apply(h, n, a, b);
}

Value eval_keeping_operands(H *h, Node *n, Value *slots, Value *a, Value *b) {
  hx_step(h, n->loc);
  *a = eval(h, n->u.bin.l, slots);
  *b = eval(h, n->u.bin.r, slots);
  return bin_apply(h, n, *a, *b);
}

Value eval(H *h, Node *n, Value *slots) {
  hx_step(h, n->loc);
  switch (n->kind) {
    case N_NUM: return (n->u.num.flags & NUMF_PERCENT) ? v_share(n->u.num.v) : v_num(n->u.num.v);
    case N_QTY: return n->u.qty.q;
    case N_STR: return v_str(n->u.str);
    case N_DATE: return v_date(n->u.date.days, n->u.date.prec);
    case N_BOOL: return v_bool(n->u.b);
    case N_NIL: return v_nil();
    case N_LOCAL: return slots[n->u.local.slot];
    case N_GLOBAL: {
      Global *g = n->u.global.g;
      if (!g->ready) hx_error_at(h, n->loc, "'%s' is used before its value is known", g->name->s);
      if (g->kind == G_LET && (g->world_dep || g->scen_expr)) {
        if (g->version != h->world->version) { read_opaque(h); eval_let_refresh(h, g); }
        if (h->reads) read_track_let(h->reads, g);
      }
      return g->value;
    }
    case N_CONST: return n->u.cnst.v;
    case N_COLL:
      if (n->u.coll.kind == K_DEAL || n->u.coll.kind == K_LOAN) read_opaque(h);   /* rows no index query tracks */
      return v_coll(n->u.coll.kind);
    case N_CELL: read_opaque(h); return h->prog->hooks.load_cell(h, n->u.cell.col, n->loc);   /* load.c, above (prog.h) */
    case N_LIST: {
      List *l = list_new(h, &h->temp, n->u.items.n);
      for (uint32_t i = 0; i < l->n; i++) l->items[i] = eval(h, n->u.items.p[i], slots);
      return v_list(l);
    }
    case N_REC: {
      Rec *r = rec_new(h, &h->temp, n->u.fields.n);
      for (uint32_t i = 0; i < r->n; i++) {
        r->keys[i] = n->u.fields.p[i].name;
        r->vals[i] = eval(h, n->u.fields.p[i].value, slots);
      }
      return v_rec(r);
    }
    case N_FIELD: return eval_field(h, n, eval(h, n->u.field.obj, slots));
    case N_INDEX: {
      Value o = eval(h, n->u.index.obj, slots);
      return eval_index(h, n, o, eval(h, n->u.index.index, slots));
    }
    case N_SLICE: return eval_slice(h, n, slots);
    case N_CALL: return eval_call(h, n, slots);
    case N_NEG: {
      Value v = eval(h, n->u.operand, slots);
      if (!is_numeric(v)) {
        char b1[80];
        hx_error_at(h, n->loc, "cannot negate %s", v_typename(h, v, b1, sizeof b1));
      }
      v.as.num = -v.as.num;
      return v;
    }
    case N_NOT: return v_bool(!want_bool(h, n, eval(h, n->u.operand, slots), "not"));
    case N_BIN: return eval_bin(h, n, slots);
    case N_AND:
      if (!want_bool(h, n->u.bin.l, eval(h, n->u.bin.l, slots), "and")) return v_bool(0);
      return v_bool(want_bool(h, n->u.bin.r, eval(h, n->u.bin.r, slots), "and"));
    case N_OR:
      if (want_bool(h, n->u.bin.l, eval(h, n->u.bin.l, slots), "or")) return v_bool(1);
      return v_bool(want_bool(h, n->u.bin.r, eval(h, n->u.bin.r, slots), "or"));
    case N_IF: {
      Value c = eval(h, n->u.cond.c, slots);
      return want_bool(h, n->u.cond.c, c, "if") ? eval(h, n->u.cond.t, slots) : eval(h, n->u.cond.e, slots);
    }
    case N_QUANT: return eval_quant(h, n, slots);
    case N_NAME:
      hx_error_at(h, n->loc, "internal: unresolved name '%s'", n->u.name->s);
    default:
      hx_error_at(h, n->loc, "internal: cannot evaluate node kind %d", (int)n->kind);
  }
}

/* (see eval.h) The value lives in h->perm: it outlives the temporaries of
** the evaluation that asked for it. */
void eval_let_refresh(H *h, Global *g) {
  Node *e = g->scen_expr ? g->scen_expr : g->expr;
  if (!e) return;
  uint64_t version = h->world->version;
  Value v = eval_root(h, e, g->scen_expr ? g->scen_nslots : g->nslots);
  g->value = v_copy(h, &h->perm, v);
  g->version = version;
}

Value eval_root(H *h, Node *n, int nslots) {
  Value *slots = arena_alloc(h, &h->temp, (size_t)(nslots > 0 ? nslots : 1) * sizeof(Value));
  return eval(h, n, slots);
}

