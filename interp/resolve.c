/*
** resolve.c: binds every name before evaluation. Locals (quantifier and
** comprehension variables, function parameters) become frame slots;
** globals (let, fn) become pointers to their Global; entities and builtins
** become constants. Unknown names fail here, with "did you mean".
*/
#include <math.h>
#include <string.h>
#include "eval.h"
#include "units.h"
#include "resolve.h"

typedef struct Scope {
  H *h;
  HStr *names[HX_MAX_NESTING + HX_MAX_PARAMS + 8];
  int slots[HX_MAX_NESTING + HX_MAX_PARAMS + 8];
  int n, next, max;
} Scope;

static void push(Scope *s, HStr *name, Loc loc) {
  if (s->n >= (int)(sizeof s->names / sizeof s->names[0]))
    hx_error_at(s->h, loc, "too many variables in scope");
  s->names[s->n] = name;
  s->slots[s->n] = s->next++;
  if (s->next > s->max) s->max = s->next;
  s->n++;
}

static void pop(Scope *s, int n) {
  s->n -= n;
  s->next -= n;
}

static void resolve(Scope *s, Node *n);

static const char *const coll_names[K_NKINDS] = {"partners", "commodities", "deals", "loans"};

const char *suggest_name(H *h, HStr *name) {
  Suggest sg;
  suggest_init(&sg, name->s, name->len);
  Program *pr = h->prog;
  for (uint32_t i = 0; i < pr->globals.n; i++) suggest_try(&sg, pr->globals.p[i]->name->s);
  for (uint32_t i = 0; i < pr->builtins.n; i++) suggest_try(&sg, pr->builtins.p[i]->name->s);
  for (int k = 0; k < K_NKINDS; k++) suggest_try(&sg, coll_names[k]);
  return sg.best;
}

static void resolve_name(Scope *s, Node *n) {
  H *h = s->h;
  HStr *name = n->u.name;
  for (int i = s->n - 1; i >= 0; i--)
    if (s->names[i] == name) {
      n->kind = N_LOCAL;
      n->u.local.slot = s->slots[i];
      n->u.local.name = name;
      return;
    }
  Global *g = global_find(h, name);
  if (g) {
    switch (g->kind) {
      case G_ENTITY:
        n->kind = N_CONST;
        n->u.cnst.v = g->value;
        n->u.cnst.name = name;
        return;
      case G_LET: case G_FUNC:
        n->kind = N_GLOBAL;
        n->u.global.g = g;
        return;
      case G_RULE:
        hx_error_span(h, n->loc, (int)name->len, "'%s' is a rule, not a value (rules are checked with `hedge check`)", name->s);
      default:
        hx_error_span(h, n->loc, (int)name->len, "'%s' is not a value here", name->s);
    }
  }
  for (int k = 0; k < K_NKINDS; k++)
    if (strcmp(name->s, coll_names[k]) == 0) {
      n->kind = N_COLL;
      n->u.coll.kind = k;
      return;
    }
  Function *f = builtin_find(h, name);
  if (f) {
    n->kind = N_CONST;
    n->u.cnst.v = v_fn(f);
    n->u.cnst.name = name;
    return;
  }
  const char *best = suggest_name(h, name);
  if (best) hx_error_span(h, n->loc, (int)name->len, "unknown name '%s' (did you mean %s?)", name->s, best);
  hx_error_span(h, n->loc, (int)name->len, "unknown name '%s'", name->s);
}

static void resolve_compr(Scope *s, Compr *c) {
  for (uint32_t i = 0; i < c->binders.n; i++) {
    Binder *b = &c->binders.p[i];
    resolve(s, b->coll);   /* earlier binders are visible: forall x in xs, y in f(x) */
    for (uint32_t j = 0; j < i; j++)
      if (c->binders.p[j].name == b->name) hx_error_at(s->h, b->loc, "variable '%s' is bound twice", b->name->s);
    push(s, b->name, b->loc);
    b->slot = s->slots[s->n - 1];
  }
  if (c->where) resolve(s, c->where);
  if (c->body) resolve(s, c->body);
  if (c->by) resolve(s, c->by);
  pop(s, (int)c->binders.n);
}

/* A call of a declared function by name: its named arguments are checked
** here, so an unknown one is reported at its label (`f(1, bb: 2)` at `bb`)
** and before anything runs. */
static void check_named_args(H *h, Node *call) {
  Node *fn = call->u.call.fn;
  if (fn->kind != N_GLOBAL || fn->u.global.g->kind != G_FUNC) return;
  Value fv = fn->u.global.g->value;
  if (fv.tag != T_FUNC || fv.as.fn->kind != F_USER) return;
  Function *f = fv.as.fn;
  for (uint32_t i = 0; i < call->u.call.named.n; i++) {
    Field *a = &call->u.call.named.p[i];
    uint32_t j;
    for (j = 0; j < f->params.n; j++) if (f->params.p[j].name == a->name) break;
    if (j < f->params.n) continue;
    Suggest sg;
    suggest_init(&sg, a->name->s, a->name->len);
    for (uint32_t k = 0; k < f->params.n; k++) suggest_try(&sg, f->params.p[k].name->s);
    if (sg.best) hx_error_span(h, a->loc, (int)a->name->len, "%s has no parameter '%s' (did you mean %s?)", f->name->s, a->name->s, sg.best);
    hx_error_span(h, a->loc, (int)a->name->len, "%s has no parameter '%s'", f->name->s, a->name->s);
  }
}

static void resolve(Scope *s, Node *n) {
  H *h = s->h;
  hx_check_stack(h, n->loc);
  switch (n->kind) {
    case N_NUM: case N_STR: case N_DATE: case N_BOOL: case N_NIL:
    case N_LOCAL: case N_GLOBAL: case N_CONST: case N_COLL: case N_COLUMN:
      return;
    case N_QTY: {
      int dim; double f;
      units_resolve_src(h, n->u.qty.unit, n->u.qty.uloc, &dim, &f);
      if (!isfinite(n->u.qty.v * f)) hx_error_at(h, n->loc, "number too large");
      n->u.qty.q = v_qty(n->u.qty.v * f, dim);
      return;
    }
    case N_NAME: resolve_name(s, n); return;
    case N_LIST:
      for (uint32_t i = 0; i < n->u.items.n; i++) resolve(s, n->u.items.p[i]);
      return;
    case N_REC:
      for (uint32_t i = 0; i < n->u.fields.n; i++) resolve(s, n->u.fields.p[i].value);
      return;
    case N_FIELD: resolve(s, n->u.field.obj); return;
    case N_INDEX: resolve(s, n->u.index.obj); resolve(s, n->u.index.index); return;
    case N_SLICE:
      resolve(s, n->u.slice.obj);
      if (n->u.slice.lo) resolve(s, n->u.slice.lo);
      if (n->u.slice.hi) resolve(s, n->u.slice.hi);
      return;
    case N_CALL:
      resolve(s, n->u.call.fn);
      check_named_args(h, n);
      for (uint32_t i = 0; i < n->u.call.args.n; i++) resolve(s, n->u.call.args.p[i]);
      for (uint32_t i = 0; i < n->u.call.named.n; i++) resolve(s, n->u.call.named.p[i].value);
      if (n->u.call.compr) resolve_compr(s, n->u.call.compr);
      return;
    case N_NEG: case N_NOT: resolve(s, n->u.operand); return;
    case N_BIN: case N_AND: case N_OR: resolve(s, n->u.bin.l); resolve(s, n->u.bin.r); return;
    case N_IF: resolve(s, n->u.cond.c); resolve(s, n->u.cond.t); resolve(s, n->u.cond.e); return;
    case N_QUANT: resolve_compr(s, &n->u.quant.c); return;
    default:
      hx_error_at(h, n->loc, "internal: cannot resolve node kind %d", (int)n->kind);
  }
}

int resolve_expr(H *h, Node *n) {
  Scope s;
  s.h = h; s.n = 0; s.next = 0; s.max = 0;
  resolve(&s, n);
  return s.max;
}

/* Resolves an expression with the given names already bound to slots
** 0..nbound-1 (a test binder, a scenario's `x in deals`). */
int resolve_with(H *h, Node *n, HStr **bound, int nbound) {
  Scope s;
  s.h = h; s.n = 0; s.next = 0; s.max = 0;
  for (int i = 0; i < nbound; i++) push(&s, bound[i], n->loc);
  resolve(&s, n);
  return s.max;
}

void resolve_function(H *h, Function *f) {
  if (f->kind != F_USER || f->resolved == 2) return;
  if (f->resolved == 1) return;   /* recursion: slots are being assigned above us */
  f->resolved = 1;
  Scope s;
  s.h = h; s.n = 0; s.next = 0; s.max = 0;
  for (uint32_t i = 0; i < f->params.n; i++) {
    /* a default may use the parameters before it */
    if (f->params.p[i].def) resolve(&s, f->params.p[i].def);
    push(&s, f->params.p[i].name, f->params.p[i].loc);
  }
  /* the body may call f itself: mark resolved before descending */
  resolve(&s, f->body);
  f->nslots = s.max;
  f->resolved = 2;
}

void resolve_rule(H *h, Rule *r) {
  Node *n = r->node;
  if (n->nslots > 0 || n->u.rule.body->kind == N_LOCAL) return;
  n->nslots = resolve_expr(h, n->u.rule.body) + 1;   /* +1: never 0 once resolved */
}
