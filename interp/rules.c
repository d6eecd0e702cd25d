/*
** rules.c: checking rules. A rule body is a chain of `forall`s over a
** final predicate. The checker walks the chain, binding variables in
** slots; for every binding where the predicate is false it records the
** bindings and the operand values of the comparison (or conjunct) that
** failed, re-evaluated from the same slots. A runtime error stops only
** that rule (status error); the others still run.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "eval.h"
#include "report.h"
#include "units.h"
#include "lex.h"
#include "repair.h"
#include "rules.h"
#include "resolve.h"

/* ---- explanation of a failure --------------------------------------------------- */

/* defer: the binding held (recorded for --compare): numbers are written
** only if the comparison prints them (report_value_deferred). */
/* known, kl, kr: the comparison node the checker evaluated and its operands'
** values (eval_keeping_operands), taken instead of evaluating them again. */
/* Texts a rule's report repeats for every binding (an operand's source
** text, a variable's name), copied into the report once and shared: a
** rule over 80,000 bindings recorded them 80,000 times. */
#define TEXT_CACHE 8
typedef struct TextCache { const void *key[TEXT_CACHE]; char *text[TEXT_CACHE]; int next; } TextCache;

/* The report's copy of s (n bytes), keyed by the node or name it came from. */
static char *cached_text(H *h, Report *r, TextCache *tc, const void *key, const char *s, size_t n) {
  for (int i = 0; i < TEXT_CACHE; i++)
    if (tc->key[i] == key) return tc->text[i];
  char *t = report_strdup(h, r, s, n);
  tc->key[tc->next] = key;
  tc->text[tc->next] = t;
  tc->next = (tc->next + 1) % TEXT_CACHE;
  return t;
}

typedef struct Explain {
  H *h; Report *r; VEC(RValue) vals; int op, rhs_literal, defer; char *note;
  Node *known; Value kl, kr;
  TextCache *texts;
} Explain;

/* Written as a percentage: 5%, -5%, 0 - 5%, 1 + 2.5%. */
static int pct_expr(Node *n) {
  if (n->kind == N_NUM) return (n->u.num.flags & NUMF_PERCENT) != 0;
  if (n->kind == N_NEG) return pct_expr(n->u.operand);
  if (n->kind == N_BIN && (n->u.bin.op == OP_ADD || n->u.bin.op == OP_SUB)) return pct_expr(n->u.bin.l) || pct_expr(n->u.bin.r);
  return 0;
}

static void add_operand(Explain *e, Node *n, Value v) {
  RValue rv;
  if (e->defer) report_value_deferred(e->h, e->r, &rv, v);
  else report_value(e->h, e->r, &rv, v);
  size_t len;
  const char *t = parse_node_text(e->h, n, &len);
  rv.expr = e->texts ? cached_text(e->h, e->r, e->texts, n, t, len) : report_strdup(e->h, e->r, t, len);
  if (pct_expr(n) && !rv.unit && !isnan(rv.num)) rv.pct = 1;
  /* in the temp arena: nothing to leak if an evaluation below fails */
  avec_push(e->h, &e->h->temp, &e->vals, rv);
}

static int is_literal(Node *n) {
  return n->kind == N_NUM || n->kind == N_QTY || n->kind == N_STR || n->kind == N_DATE || n->kind == N_BOOL ||
         n->kind == N_NIL || (n->kind == N_NEG && is_literal(n->u.operand));
}

static void explain_false(Explain *e, Node *n, Value *slots) {
  H *h = e->h;
  switch (n->kind) {
    case N_BIN:
      if (n->u.bin.op >= OP_EQ) {
        Value l, r;
        if (n == e->known) l = e->kl, r = e->kr;
        else l = eval(h, n->u.bin.l, slots), r = eval(h, n->u.bin.r, slots);
        add_operand(e, n->u.bin.l, l);
        add_operand(e, n->u.bin.r, r);
        e->op = (int)n->u.bin.op;
        e->rhs_literal = is_literal(n->u.bin.r);
        /* a ratio compared with a percentage shows as one, on either side
        ** (g = -8.6%, expected >= -5%) */
        if (e->vals.n >= 2) {
          RValue *a = &e->vals.p[e->vals.n - 2], *b = &e->vals.p[e->vals.n - 1];
          if (b->pct && !isnan(a->num) && !a->unit) a->pct = 1;
          if (a->pct && !isnan(b->num) && !b->unit) b->pct = 1;
        }
        return;
      }
      break;
    case N_AND: {
      Value l = eval(h, n->u.bin.l, slots);
      if (l.tag == T_BOOL && !l.as.b) explain_false(e, n->u.bin.l, slots);
      else explain_false(e, n->u.bin.r, slots);
      return;
    }
    case N_OR:
      explain_false(e, n->u.bin.l, slots);
      explain_false(e, n->u.bin.r, slots);
      e->op = -1;
      return;
    case N_NOT: add_operand(e, n->u.operand, eval(h, n->u.operand, slots)); return;
    case N_IF: {
      Value c = eval(h, n->u.cond.c, slots);
      explain_false(e, c.tag == T_BOOL && c.as.b ? n->u.cond.t : n->u.cond.e, slots);
      return;
    }
    case N_QUANT: {
      size_t len;
      const char *t = parse_node_text(h, n, &len);
      char note[640];   /* not a heap Buf: nothing to leak if the copy fails */
      if (n->u.quant.exists) {
        Compr *c = &n->u.quant.c;
        size_t cl, bl = 0;
        const char *ct = parse_node_text(h, c->binders.p[0].coll, &cl);
        const char *bt = c->body ? parse_node_text(h, c->body, &bl) : "";
        char cond[240];
        /* the condition on one line: where and body as written */
        size_t k = 0;
        for (size_t i = 0; i < bl && k + 4 < sizeof cond; i++) {
          char ch = bt[i];
          if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
          if (ch == ' ' && k && cond[k - 1] == ' ') continue;
          cond[k++] = ch;
        }
        if (k + 4 >= sizeof cond) { memcpy(cond + k, "...", 3); k += 3; }
        cond[k] = 0;
        if (c->binders.n == 1)
          snprintf(note, sizeof note, "no %s in %.*s satisfies %s", c->binders.p[0].name->s,
                   (int)(cl > 200 ? 200 : cl), ct, k ? cond : "the condition");
        else
          snprintf(note, sizeof note, "no binding of %s, ... satisfies %s", c->binders.p[0].name->s,
                   k ? cond : "the condition");
      } else snprintf(note, sizeof note, "not every binding of %.*s holds", (int)(len > 80 ? 80 : len), t);
      e->note = report_strdup(h, e->r, note, strlen(note));
      return;
    }
    default: break;
  }
  add_operand(e, n, eval(h, n, slots));
}

/* ---- the chain walk -------------------------------------------------------------- */

typedef struct Checker {
  H *h; Report *r; RRule *out;
  Compr **chain; int nchain;
  Node *pred;
  Value *slots;
  int ci, bi;
  /* vacuity: bindings of the outermost forall that passed its `where`;
  ** predicate evaluations; those that divided by a zero total */
  long nouter, npred, nzero;
  char zero_note[256];
  /* the predicate is a comparison (known, set once per rule): its
  ** operands' values at the last evaluation (eval_keeping_operands), for
  ** record_as */
  int known;
  Value kl, kr;
  TextCache texts;
} Checker;

/* The values and names of the binding's variables, in chain order. */
static void bind_values(Checker *c, Value *v, HStr **n) {
  for (int i = 0, k = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++, k++) {
      Binder *b = &c->chain[i]->binders.p[j];
      v[k] = c->slots[b->slot];
      n[k] = b->name;
    }
}

static void record_as(Checker *c, int held);
static void record(Checker *c) { record_as(c, 0); }

/* A binding: a counterexample (held 0), or with record_all a binding that
** held (its comparison's values, for "before => after"). */
static void record_as(Checker *c, int held) {
  H *h = c->h;
  RRule *o = c->out;
  Cx **arr = held ? &o->pass : &o->cx;
  uint32_t *n = held ? &o->npass : &o->ncx, *capp = held ? &o->passcap : &o->cxcap;
  if (*n == *capp) {
    uint32_t cap = *capp ? *capp * 2 : 8;
    *arr = hx_realloc(h, *arr, *capp * sizeof(Cx), cap * sizeof(Cx));
    *capp = cap;
  }
  Cx *cx = &(*arr)[*n];
  memset(cx, 0, sizeof *cx);
  int nb = 0;
  for (int i = 0; i < c->nchain; i++) nb += (int)c->chain[i]->binders.n;
  cx->bind = nb ? arena_alloc(h, &c->r->arena, (size_t)nb * sizeof(RValue)) : NULL;
  for (int i = 0, k = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++, k++) {
      Binder *b = &c->chain[i]->binders.p[j];
      report_value(h, c->r, &cx->bind[k], c->slots[b->slot]);
      cx->bind[k].name = cached_text(h, c->r, &c->texts, b->name, b->name->s, b->name->len);
    }
  cx->nbind = nb;
  Explain e;
  memset(&e, 0, sizeof e);
  e.h = h; e.r = c->r; e.op = -1; e.defer = held; e.texts = &c->texts;
  if (c->known) e.known = c->pred, e.kl = c->kl, e.kr = c->kr;
  if (held && (c->pred->kind == N_QUANT || c->pred->kind == N_OR)) { /* nothing failed to explain */ }
  else if (c->pred->kind == N_QUANT || c->pred->kind == N_BIN || c->pred->kind == N_AND || c->pred->kind == N_OR ||
      c->pred->kind == N_NOT || c->pred->kind == N_IF)
    explain_false(&e, c->pred, c->slots);
  else if (!is_literal(c->pred)) explain_false(&e, c->pred, c->slots);
  cx->nvals = (int)e.vals.n;
  cx->vals = e.vals.n ? arena_alloc(h, &c->r->arena, e.vals.n * sizeof(RValue)) : NULL;
  if (e.vals.n) memcpy(cx->vals, e.vals.p, e.vals.n * sizeof(RValue));
  cx->op = e.op;
  cx->rhs_literal = e.rhs_literal;
  cx->note = e.note;
  if (held) { (*n)++; return; }
  if (c->r->explain) {
    if (o->ncx >= o->nexplain) {
      uint32_t cap = o->nexplain ? o->nexplain * 2 : 8;
      char **x = arena_alloc(h, &c->r->arena, cap * sizeof(char *));
      if (o->nexplain) memcpy(x, o->explain, o->nexplain * sizeof(char *));
      memset(x + o->nexplain, 0, (cap - o->nexplain) * sizeof(char *));
      o->explain = x;
      o->nexplain = cap;
    }
    o->explain[o->ncx] = report_explain_tree(h, c->r, c->pred, c->slots);
  }
  o->ncx++;
  if (c->r->repair) {
    Value *bv = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(Value)) : NULL;
    HStr **bn = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(HStr *)) : NULL;
    bind_values(c, bv, bn);
    repair_binding(h, c->r, cx, c->pred, c->slots, bv, bn, nb, o->name);
  }
}

/* --margins: a passing binding's distance to its limit (repair.c). */
static void record_margin(Checker *c) {
  H *h = c->h;
  int nb = 0;
  for (int i = 0; i < c->nchain; i++) nb += (int)c->chain[i]->binders.n;
  Value *bv = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(Value)) : NULL;
  HStr **bn = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(HStr *)) : NULL;
  RValue *bind = nb ? arena_alloc(h, &c->r->arena, (size_t)nb * sizeof(RValue)) : NULL;
  bind_values(c, bv, bn);
  for (int k = 0; k < nb; k++) {
    report_value(h, c->r, &bind[k], bv[k]);
    bind[k].name = report_strdup(h, c->r, bn[k]->s, bn[k]->len);
  }
  repair_margin_binding(h, c->r, c->out, c->pred, c->slots, bv, bn, nb, bind, c->out->name);
}

static void run_level(Checker *c);

static int level_item(H *h, Value item, void *ud) {
  Checker *c = ud;
  Binder *b = &c->chain[c->ci]->binders.p[c->bi];
  c->slots[b->slot] = item;
  ArenaMark m = arena_mark(&h->temp);
  c->bi++;
  run_level(c);
  c->bi--;
  arena_release(h, &h->temp, m);
  return 1;
}

static void run_level(Checker *c) {
  H *h = c->h;
  Compr *cm = c->ci < c->nchain ? c->chain[c->ci] : NULL;
  if (cm && (uint32_t)c->bi < cm->binders.n) {
    Binder *b = &cm->binders.p[c->bi];
    Value coll = eval(h, b->coll, c->slots);
    eval_iterate(h, coll, b->coll->loc, level_item, c);
    return;
  }
  if (cm) {
    if (cm->where) {
      Value ok = eval(h, cm->where, c->slots);
      if (ok.tag != T_BOOL) {
        char b1[80];
        hx_error_at(h, cm->where->loc, "the condition after 'where' must be true or false, not %s", v_typename(h, ok, b1, sizeof b1));
      }
      if (!ok.as.b) return;
    }
    if (c->ci == 0) c->nouter++;
    int ci = c->ci, bi = c->bi;
    c->ci++; c->bi = 0;
    run_level(c);
    c->ci = ci; c->bi = bi;
    return;
  }
  h->zero_totals = 0;
  Value v = c->known ? eval_keeping_operands(h, c->pred, c->slots, &c->kl, &c->kr) : eval(h, c->pred, c->slots);
  c->npred++;
  if (h->zero_totals) {
    c->nzero++;
    if (!c->zero_note[0] && h->zero_note[0]) snprintf(c->zero_note, sizeof c->zero_note, "%s", h->zero_note);
  }
  if (v.tag != T_BOOL) {
    char b1[80];
    hx_error_at(h, c->pred->loc, "a rule must be true or false, but this is %s", v_typename(h, v, b1, sizeof b1));
  }
  if (!v.as.b) record(c);
  else if (c->r->record_all) record_as(c, 1);
  else if (c->r->margins) record_margin(c);
}

/* Why a rule that would pass rests on nothing, or NULL when it does not:
** (a) its outermost forall ranged over data and no binding passed its
** `where` (a forall over a literal list stays a plain pass: SPEC 5, an
** empty forall is true); (b) every binding it checked took a share or a
** concentration of a zero total. */
static char *vacuous_reason(H *h, Checker *c) {
  char why[640];
  if (c->nchain > 0 && c->nouter == 0) {
    Compr *cm = c->chain[0];
    int world = resolve_reads_world(h, cm->where);
    for (uint32_t i = 0; i < cm->binders.n; i++) world |= resolve_reads_world(h, cm->binders.p[i].coll);
    if (!world) return NULL;
    Binder *b = &cm->binders.p[0];
    char coll[200], cond[300];
    parse_node_text_short(h, b->coll, coll, sizeof coll);
    if (cm->where) {
      parse_node_text_short(h, cm->where, cond, sizeof cond);
      if (cm->binders.n == 1 && b->coll->kind == N_COLL)
        snprintf(why, sizeof why, "no binding: no %s %s has %s", kind_names[b->coll->u.coll.kind], b->name->s, cond);
      else snprintf(why, sizeof why, "no binding: no %s in %s satisfies %s", b->name->s, coll, cond);
    } else if (cm->binders.n == 1) snprintf(why, sizeof why, "no binding: %s is empty", coll);
    else snprintf(why, sizeof why, "no binding: one of the collections is empty");
    return report_strdup(h, c->r, why, strlen(why));
  }
  if (c->npred > 0 && c->nzero == c->npred) {
    if (c->npred == 1) snprintf(why, sizeof why, "nothing to compare: %s", c->zero_note[0] ? c->zero_note : "a share of a zero total");
    else snprintf(why, sizeof why, "nothing to compare: all %ld bindings take a share of a zero total; %s", c->npred,
                  c->zero_note[0] ? c->zero_note : "");
    return report_strdup(h, c->r, why, strlen(why));
  }
  return NULL;
}


static void run_rule(H *h, void *ud) {
  Checker *c = ud;
  c->ci = 0; c->bi = 0;
  run_level(c);
  (void)h;
}

static void do_resolve(H *h, void *ud) { resolve_rule(h, ud); }

static void check_one(H *h, Report *r, Rule *rule, RRule *out) {
  memset(out, 0, sizeof *out);
  out->name = report_strdup(h, r, rule->name->s, rule->name->len);
  out->title = rule->title ? report_strdup(h, r, rule->title->s, rule->title->len) : NULL;
  out->warn = rule->warn;
  Loc loc = rule->node->loc;
  Source *s = h->sources.p[loc.src];
  out->file = report_strdup(h, r, s->name, strlen(s->name));
  out->line = loc.line;
  out->col = loc.col;
  Checker c;
  memset(&c, 0, sizeof c);
  c.h = h; c.r = r; c.out = out;
  int st = hx_pcall(h, do_resolve, rule);
  Compr *chain[64];   /* outlives the walk: vacuous_reason reads it */
  if (st == HEDGE_OK) {
    Node *body = rule->node->u.rule.body;
    int n = 0;
    while (body->kind == N_QUANT && !body->u.quant.exists && n < 64) {
      chain[n++] = &body->u.quant.c;
      body = body->u.quant.c.body;
    }
    c.chain = chain; c.nchain = n; c.pred = body;
    /* a comparison keeps its operands for the explanation (record_as) */
    c.known = body->kind == N_BIN && body->u.bin.op >= OP_EQ;
    ArenaMark m = arena_mark(&h->temp);
    c.slots = arena_alloc(h, &h->temp, (size_t)rule->node->nslots * sizeof(Value));
    h->depth = 0;
    h->fatal = 0;   /* a fatal error caught (and swallowed) by Lua code earlier does not count */
    h->zero_note[0] = 0;
    h->default_note[0] = 0;
    if (h->left_out_n) { memset(h->left_out, 0, h->left_out_cap); h->left_out_n = 0; }
    st = hx_pcall(h, run_rule, &c);
    h->zero_totals = 0;
    if (st == HEDGE_OK && h->default_note[0]) out->note = report_strdup(h, r, h->default_note, strlen(h->default_note));
    h->default_note[0] = 0;
    arena_release(h, &h->temp, m);
    if (h->left_out_n) {
      char note[160];
      char both[480];
      snprintf(note, sizeof note, "%u deal%s without a volume left out of the by: volume figures", h->left_out_n, h->left_out_n == 1 ? "" : "s");
      if (out->note) { snprintf(both, sizeof both, "%s; %s", out->note, note); out->note = report_strdup(h, r, both, strlen(both)); }
      else out->note = report_strdup(h, r, note, strlen(note));
      memset(h->left_out, 0, h->left_out_cap);
      h->left_out_n = 0;
    }
  }
  if (st != HEDGE_OK) {
    out->status = HEDGE_ERRORED;
    const char *msg = buf_cstr(h, &h->err);
    out->error_full = report_strdup(h, r, msg, strlen(msg));
    msg = out->error_full;   /* h->err may change if the next allocation fails */
    /* one line for JSON: "file:line:col: message" (in the report's arena:
    ** nothing to leak if that allocation fails) */
    const char *nl = strchr(msg, '\n');
    size_t len = nl ? (size_t)(nl - msg) : strlen(msg);
    const char *e = strstr(msg, ": error: ");
    if (e && e < msg + len) {
      size_t head = (size_t)(e - msg), rest = len - head - 9;
      char *one = arena_alloc(h, &r->arena, head + 2 + rest + 1);
      memcpy(one, msg, head);
      memcpy(one + head, ": ", 2);
      memcpy(one + head + 2, e + 9, rest);
      one[head + 2 + rest] = 0;
      out->error = one;
    } else out->error = report_strdup(h, r, msg, len);
    out->ncx = 0;
    out->npass = 0;
    r->errors++;
    /* a limit or an interrupt stops the whole check, not just this rule */
    if (h->fatal) out->status = -st;
    return;
  }
  if (out->ncx == 0 && (out->vacuous = vacuous_reason(h, &c)) != NULL) { out->status = HEDGE_VACUOUS; r->vacuous++; }
  else if (out->ncx == 0) { out->status = HEDGE_PASS; r->passed++; }
  else { out->status = HEDGE_FAILED; if (rule->warn) r->warnings++; else r->failed++; }
  /* a named year outside the data's years is said even when the verdict
  ** rests on other bindings too */
  if (out->status != HEDGE_VACUOUS && !out->note && strstr(c.zero_note, "outside the years"))
    out->note = report_strdup(h, r, c.zero_note, strlen(c.zero_note));
}

/* Every rule checked plainly (no flags): the re-check repair_effects runs
** under each repair (RecheckFn, repair.h; repairs sit below the checker). */
static Report *check_plain(H *h) { return rules_check(h, NULL, 0, NULL, 0); }

typedef struct CheckAll { const char *const *only; int nonly; const char *scenario; Report *r; int stop; } CheckAll;

static void check_all(H *h, void *ud) {
  CheckAll *c = ud;
  Program *p = h->prog;
  Report *r = c->r;
  const char *const *only = c->only;
  int nonly = c->nonly;
  if (c->scenario) {
    r->scenario = report_strdup(h, r, c->scenario, strlen(c->scenario));
    memcpy(r->dropped, p->dropped, sizeof r->dropped);
    memcpy(r->dropped_with, p->dropped_with, sizeof r->dropped_with);
  }
  r->fy_start = h->world->fy_start;
  if (p->overrides.n) {   /* a reader of the verdict knows what was replaced */
    r->overrides = arena_alloc(h, &r->arena, p->overrides.n * 3 * sizeof(char *));
    for (uint32_t i = 0; i < p->overrides.n; i++) {
      struct Override *o = &p->overrides.p[i];
      r->overrides[3 * i] = report_strdup(h, r, o->name->s, o->name->len);
      r->overrides[3 * i + 1] = report_strdup(h, r, o->was, strlen(o->was));
      r->overrides[3 * i + 2] = report_strdup(h, r, o->by, strlen(o->by));
    }
    r->noverrides = (int)p->overrides.n;
  }
  size_t size = (p->rules.n ? p->rules.n : 1) * sizeof(RRule);
  r->rules = arena_alloc(h, &r->arena, size);
  memset(r->rules, 0, size);   /* report_free reads every counted rule */
  for (uint32_t i = 0; i < p->rules.n; i++) {
    Rule *rule = &p->rules.p[i];
    if (only) {   /* a list, even an empty one, selects */
      int want = 0;
      for (int j = 0; j < nonly; j++) if (strcmp(only[j], rule->name->s) == 0) want = 1;
      if (!want) continue;
    }
    RRule *out = &r->rules[r->n++];
    check_one(h, r, rule, out);
    if (out->status < 0) {
      int st = -out->status;
      out->status = HEDGE_ERRORED;
      c->stop = st;
      break;
    }
  }
  if (r->repair_joint && !c->stop) repair_joint(h, r);     /* --repair=joint */
  if (r->repair_check && !c->stop) repair_effects(h, r, check_plain);   /* --repair=check */
}

/* The report is freed if checking itself fails (out of memory outside any
** rule); a limit or an interrupt inside a rule ends the check early with
** the report so far and its status in h->err_status. */
Report *rules_check(H *h, const char *const *only, int nonly, const char *scenario, int flags) {
  Report *r = hx_alloc(h, sizeof *r);
  memset(r, 0, sizeof *r);
  r->next = h->reports;   /* hedge_close frees the reports a host forgot */
  if (r->next) r->next->prev = r;
  h->reports = r;
  r->explain = flags & HEDGE_CHECK_EXPLAIN;
  r->repair = (flags & HEDGE_CHECK_REPAIR) != 0;
  r->margins = (flags & HEDGE_CHECK_MARGINS) != 0;
  r->repair_check = (flags & HEDGE_CHECK_REPAIR_CHECK) != 0;
  r->repair_joint = (flags & HEDGE_CHECK_REPAIR_JOINT) != 0;
  if (r->repair_check || r->repair_joint) r->repair = 1;
  r->record_all = (flags & CHECK_RECORD_ALL) != 0;
  CheckAll c = {only, nonly, scenario, r, 0};
  int st = hx_pcall(h, check_all, &c);
  if (st != HEDGE_OK) { report_free(h, r); hx_throw(h, st); }
  if (c.stop) h->err_status = c.stop;
  return r;
}

