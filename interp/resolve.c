/*
** resolve.c: binds every name before evaluation. Locals (quantifier and
** comprehension variables, function parameters) become frame slots;
** globals (let, fn) become pointers to their Global; entities and builtins
** become constants. Unknown names fail here, with "did you mean".
*/
#include <math.h>
#include <string.h>
#include "units.h"
#include "resolve.h"
#include "lex.h"
#include "world.h"   /* world_suggest_by_name */

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

const char *resolve_suggest_name(H *h, HStr *name) {
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
  Global *g = prog_global_find(h, name);
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
  Function *f = prog_builtin_find(h, name);
  if (f) {
    n->kind = N_CONST;
    n->u.cnst.v = v_fn(f);
    n->u.cnst.name = name;
    return;
  }
  /* a country's initials first (UAE -> ARE, KSA -> SAU), then a near name */
  const char *best = world_suggest_by_name(h, K_PARTNER, name->s, name->len);
  if (!best) best = resolve_suggest_name(h, name);
  if (best) hx_error_span(h, n->loc, (int)name->len, "unknown name '%s' (did you mean %s?)", name->s, best);
  hx_error_span(h, n->loc, (int)name->len, "unknown name '%s'", name->s);
}

/* A name in a place that wants an entity of one kind (`commodity: lng`,
** `from: CHM`): when it is unknown, the suggestion comes from the entities
** of that kind, not from functions (`lng` is not `log`). */
static void check_entity_arg(Scope *s, Node *v, HStr *label) {
  static const char *const partner_labels[] = {"from", "to", "lender", "borrower", "exporter", "importer"};
  H *h = s->h;
  if (v->kind != N_NAME) return;
  int kind = -1;
  if (strcmp(label->s, "commodity") == 0) kind = K_COMMODITY;
  for (size_t i = 0; i < sizeof partner_labels / sizeof partner_labels[0]; i++)
    if (strcmp(label->s, partner_labels[i]) == 0) kind = K_PARTNER;
  if (kind < 0) return;
  HStr *name = v->u.name;
  for (int i = s->n - 1; i >= 0; i--) if (s->names[i] == name) return;
  if (prog_global_find(h, name) || prog_builtin_find(h, name)) return;
  for (int k = 0; k < K_NKINDS; k++) if (strcmp(name->s, coll_names[k]) == 0) return;
  Suggest sg;
  suggest_init(&sg, name->s, name->len);
  Table *t = &h->world->t[kind];
  for (uint32_t r = 0; r < t->n; r++) if (t->names[r] && world_alive(h->world, kind, r)) suggest_try(&sg, t->names[r]->s);
  if (sg.best) hx_error_span(h, v->loc, (int)name->len, "unknown %s '%s' (did you mean %s?)", kind_names[kind], name->s, sg.best);
  hx_error_span(h, v->loc, (int)name->len, "unknown %s '%s' (%s: takes a %s; no %s of that name is declared)",
                kind_names[kind], name->s, label->s, kind_names[kind], kind_names[kind]);
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
    case N_LOCAL: case N_GLOBAL: case N_CONST: case N_COLL: case N_COLUMN: case N_CELL:
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
      for (uint32_t i = 0; i < n->u.call.named.n; i++) {
        /* `by: volume` (and `by: value`) is a bare word, not a name */
        Node *v = n->u.call.named.p[i].value;
        if (v->kind == N_NAME && strcmp(n->u.call.named.p[i].name->s, "by") == 0 &&
            (strcmp(v->u.name->s, "volume") == 0 || strcmp(v->u.name->s, "value") == 0)) {
          HStr *w = v->u.name;
          v->kind = N_STR;
          v->u.str = w;
          continue;
        }
        if (v->kind == N_NAME && strcmp(n->u.call.named.p[i].name->s, "by") == 0 && !prog_global_find(h, v->u.name) && !prog_builtin_find(h, v->u.name))
          hx_error_span(h, v->loc, (int)v->u.name->len, "by: takes value or volume (a bare word), not '%s'", v->u.name->s);
        check_entity_arg(s, v, n->u.call.named.p[i].name);
        resolve(s, v);
      }
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

/* (see eval.h) Conservative: when unsure, it reads the world. */
static int reads_world(H *h, Node *n, int depth) {
  if (!n) return 0;
  if (depth > 32) return 1;
  switch (n->kind) {
    case N_NUM: case N_QTY: case N_STR: case N_DATE: case N_BOOL: case N_NIL: case N_LOCAL: case N_COLUMN:
      return 0;
    case N_COLL: case N_FIELD: case N_NAME: return 1;
    case N_CONST:
      if (n->u.cnst.v.tag == T_FUNC) return n->u.cnst.v.as.fn->kind != F_BUILTIN;
      return 0;
    case N_GLOBAL: {
      Global *g = n->u.global.g;
      if (g->kind == G_LET) return g->world_dep || g->scen_expr != NULL;
      if (g->kind == G_FUNC && g->value.tag == T_FUNC) {
        Function *f = g->value.as.fn;
        if (f->kind != F_USER) return f->kind != F_BUILTIN;
        if (f->resolved != 2) return 1;
        for (uint32_t i = 0; i < f->params.n; i++) if (reads_world(h, f->params.p[i].def, depth + 1)) return 1;
        return reads_world(h, f->body, depth + 1);
      }
      return 1;
    }
    case N_LIST:
      for (uint32_t i = 0; i < n->u.items.n; i++) if (reads_world(h, n->u.items.p[i], depth + 1)) return 1;
      return 0;
    case N_REC:
      for (uint32_t i = 0; i < n->u.fields.n; i++) if (reads_world(h, n->u.fields.p[i].value, depth + 1)) return 1;
      return 0;
    case N_INDEX: return reads_world(h, n->u.index.obj, depth + 1) || reads_world(h, n->u.index.index, depth + 1);
    case N_CALL: {
      if (reads_world(h, n->u.call.fn, depth + 1)) return 1;
      for (uint32_t i = 0; i < n->u.call.args.n; i++) if (reads_world(h, n->u.call.args.p[i], depth + 1)) return 1;
      for (uint32_t i = 0; i < n->u.call.named.n; i++) if (reads_world(h, n->u.call.named.p[i].value, depth + 1)) return 1;
      Compr *c = n->u.call.compr;
      if (c) {
        for (uint32_t i = 0; i < c->binders.n; i++) if (reads_world(h, c->binders.p[i].coll, depth + 1)) return 1;
        return reads_world(h, c->where, depth + 1) || reads_world(h, c->body, depth + 1);
      }
      return 0;
    }
    case N_NEG: case N_NOT: return reads_world(h, n->u.operand, depth + 1);
    case N_BIN: case N_AND: case N_OR: return reads_world(h, n->u.bin.l, depth + 1) || reads_world(h, n->u.bin.r, depth + 1);
    case N_IF: return reads_world(h, n->u.cond.c, depth + 1) || reads_world(h, n->u.cond.t, depth + 1) || reads_world(h, n->u.cond.e, depth + 1);
    case N_QUANT: {
      Compr *c = &n->u.quant.c;
      for (uint32_t i = 0; i < c->binders.n; i++) if (reads_world(h, c->binders.p[i].coll, depth + 1)) return 1;
      return reads_world(h, c->where, depth + 1) || reads_world(h, c->body, depth + 1);
    }
    default: return 1;
  }
}

int resolve_reads_world(H *h, Node *n) { return reads_world(h, n, 0); }

/* ---- load-time checks ------------------------------------------------------------ */

/* The name of the function a call calls, or NULL. */
static const char *callee_name(Node *n) {
  if (n->kind != N_CALL) return NULL;
  Node *f = n->u.call.fn;
  if (f->kind == N_CONST && f->u.cnst.v.tag == T_FUNC) return f->u.cnst.v.as.fn->name->s;
  if (f->kind == N_GLOBAL && f->u.global.g->kind == G_FUNC) return f->u.global.g->name->s;
  return NULL;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The dimension an expression surely has (quantities only), or -1 when it
** cannot be told without evaluating: a literal quantity, a `let` holding
** one, a standard money figure. */
static int static_dim(H *h, Node *n) {
  static const char *const money[] = {"exports", "imports", "trade", "balance", "world_exports", "debt", "debt_service"};
  if (n->kind == N_QTY) return n->u.qty.q.tag == T_QTY ? n->u.qty.q.dim : -1;
  if (n->kind == N_GLOBAL && n->u.global.g->kind == G_LET && n->u.global.g->value.tag == T_QTY) return n->u.global.g->value.dim;
  const char *f = callee_name(n);
  if (f && n->u.call.fn->kind == N_CONST)
    for (size_t i = 0; i < sizeof money / sizeof money[0]; i++) if (strcmp(f, money[i]) == 0) return dim_money(h);
  return -1;
}

/* A ratio by construction: a standard `*_share`, `hhi_normalized`, or a
** quotient of two quantities of the same dimension. */
static int is_ratio(H *h, Node *n) {
  const char *f = callee_name(n);
  if (f && n->u.call.fn->kind == N_CONST && (ends_with(f, "_share") || strcmp(f, "hhi_normalized") == 0)) return 1;
  if (n->kind == N_BIN && n->u.bin.op == OP_DIV) {
    int a = static_dim(h, n->u.bin.l), b = static_dim(h, n->u.bin.r);
    return a >= 0 && a == b;
  }
  return 0;
}

/* A bare number literal (not 40%, not 40 USD), possibly negated. */
static int bare_number(Node *n, double *v) {
  if (n->kind == N_NUM && !(n->u.num.flags & NUMF_PERCENT)) { *v = n->u.num.v; return 1; }
  if (n->kind == N_NEG && n->u.operand->kind == N_NUM && !(n->u.operand->u.num.flags & NUMF_PERCENT)) {
    *v = -n->u.operand->u.num.v;
    return 1;
  }
  return 0;
}

static void lint_node(H *h, Node *n, int depth) {
  if (!n || depth > 200) return;
  switch (n->kind) {
    case N_BIN:
      if (n->u.bin.op >= OP_EQ && n->u.bin.op <= OP_GE) {
        Node *ratio = NULL, *num = NULL;
        double v = 0;
        if (is_ratio(h, n->u.bin.l) && bare_number(n->u.bin.r, &v)) { ratio = n->u.bin.l; num = n->u.bin.r; }
        else if (is_ratio(h, n->u.bin.r) && bare_number(n->u.bin.l, &v)) { ratio = n->u.bin.r; num = n->u.bin.l; }
        if (ratio && (v < 0 || v > 1)) {
          size_t nl;
          const char *nt = parse_node_text(h, num, &nl);
          char shown[96];
          parse_node_text_short(h, ratio, shown, sizeof shown);
          hx_warn_at(h, num->loc, (int)nl, "%s is a ratio (0 to 1, where 1 is 100%%) compared with %.*s: did you mean %.*s%%?",
                     shown, (int)nl, nt, (int)nl, nt);
        }
      }
      lint_node(h, n->u.bin.l, depth + 1);
      lint_node(h, n->u.bin.r, depth + 1);
      return;
    case N_AND: case N_OR: lint_node(h, n->u.bin.l, depth + 1); lint_node(h, n->u.bin.r, depth + 1); return;
    case N_NOT: case N_NEG: lint_node(h, n->u.operand, depth + 1); return;
    case N_IF: lint_node(h, n->u.cond.c, depth + 1); lint_node(h, n->u.cond.t, depth + 1); lint_node(h, n->u.cond.e, depth + 1); return;
    case N_QUANT: lint_node(h, n->u.quant.c.where, depth + 1); lint_node(h, n->u.quant.c.body, depth + 1); return;
    case N_CALL:
      if (n->u.call.compr) { lint_node(h, n->u.call.compr->where, depth + 1); lint_node(h, n->u.call.compr->body, depth + 1); }
      for (uint32_t i = 0; i < n->u.call.args.n; i++) lint_node(h, n->u.call.args.p[i], depth + 1);
      return;
    default: return;
  }
}

void resolve_lint_rule(H *h, Rule *r) { lint_node(h, r->node->u.rule.body, 0); }

