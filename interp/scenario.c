/*
** scenario.c: "what if" overlays and test blocks (docs/language.md, Scenarios and Tests). A
** scenario's drops, updates and added declarations are applied to the
** world through its undo log (parents first), checked, then rolled back:
** the rows it does not touch are never copied. Test blocks run the same
** way, each on a fresh copy of the world, and `--compare` diffs two
** reports.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "eval.h"
#include "report.h"
#include "units.h"
#include "scenario.h"
#include "resolve.h"
#include "rules.h"


static int binder_kind(H *h, Binder *b) {
  Node *c = b->coll;
  if (c->kind == N_NAME) {
    static const char *const names[] = {"partners", "commodities", "deals", "loans"};
    for (int k = 0; k < K_NKINDS; k++) if (strcmp(c->u.name->s, names[k]) == 0) return k;
  }
  if (c->kind == N_COLL) return c->u.coll.kind;
  hx_error_at(h, c->loc, "drop and update range over partners, commodities, deals or loans");
}

/* ---- where clauses tested on columns --------------------------------------
** `update d in deals where d.id <= 10 { ... }` over a million deals would
** evaluate its condition a million times through the evaluator. A condition
** made of comparisons of one field of the bound row with a constant (a
** number, a quantity, an entity), joined by `and`, is tested on the columns
** directly, with the evaluator's own comparison (num_cmp: tolerant) and its
** equality of entities. A row whose field is missing goes to the evaluator,
** which gives the same answer or the same error as without this. */

typedef struct ColTest {
  const double *nums;        /* a number column (NaN: missing), or NULL */
  const int32_t *years;      /* deal year (NO_YEAR: missing), or NULL */
  const uint32_t *ents;      /* an entity column (NO_ROW: missing), or NULL */
  BinOp op;
  double c;                  /* the constant, for numbers */
  uint32_t ent;              /* the constant, for entities */
  /* numbers: outside [lo, hi] no x is tolerantly equal to c (|x - c| <=
  ** 2^-44 max(|x|, |c|) implies |x - c| <= 2^-43 |c|; the band is twice
  ** that), so the plain comparison decides; accept: the bits of the
  ** results (1 less, 2 equal, 4 greater) the operator takes */
  double lo, hi;
  unsigned accept;
} ColTest;

enum { COLTEST_MAX = 8 };

static int const_of(Node *n, Value *v) {
  if (n->kind == N_NUM) { *v = v_num(n->u.num.v); return 1; }
  if (n->kind == N_QTY) { *v = n->u.qty.q; return v->tag == T_QTY || v->tag == T_NUM; }
  if (n->kind == N_CONST) { *v = n->u.cnst.v; return 1; }
  return 0;
}

/* One comparison `x.f OP c` (or `c OP x.f`) as a column test; 0 if it is
** anything else. */
static int col_test(H *h, int kind, Node *n, ColTest *ct) {
  if (n->kind != N_BIN || n->u.bin.op == OP_IN || n->u.bin.op < OP_EQ) return 0;   /* arithmetic, ^ included */
  Node *f = n->u.bin.l, *c = n->u.bin.r;
  BinOp op = n->u.bin.op;
  if (f->kind != N_FIELD) {
    Node *x = f; f = c; c = x;                      /* c OP x.f: swap and mirror */
    op = op == OP_LT ? OP_GT : op == OP_GT ? OP_LT : op == OP_LE ? OP_GE : op == OP_GE ? OP_LE : op;
  }
  if (f->kind != N_FIELD || f->u.field.obj->kind != N_LOCAL || f->u.field.obj->u.local.slot != 0) return 0;
  Value v;
  if (!const_of(c, &v)) return 0;
  World *w = h->world;
  Table *t = &w->t[kind];
  HStr *name = f->u.field.name;
  memset(ct, 0, sizeof *ct);
  ct->op = op;
  ct->accept = op == OP_EQ ? 2u : op == OP_NE ? 5u : op == OP_LT ? 1u : op == OP_LE ? 3u : op == OP_GT ? 4u : 6u;
  int deal = kind == K_DEAL, loan = kind == K_LOAN;
  if ((deal && (name == w->f_exporter || name == w->f_importer || name == w->f_commodity)) ||
      (loan && (name == w->f_lender || name == w->f_borrower))) {
    int want = name == w->f_commodity ? K_COMMODITY : K_PARTNER;
    if ((op != OP_EQ && op != OP_NE) || v.tag != T_ENT || v.kind != want) return 0;
    ct->ents = name == w->f_exporter || name == w->f_lender ? t->a : name == w->f_commodity ? t->c : t->b;
    ct->ent = (uint32_t)v.i;
    return 1;
  }
  if ((deal && name == w->f_value) || (loan && name == w->f_principal)) {
    if (v.tag != T_QTY || v.dim != dim_money(h) || isnan(v.as.num)) return 0;
    ct->nums = t->value;
    ct->c = v.as.num;
    return 1;
  }
  if (deal && name == w->f_year) {
    if (v.tag != T_NUM || isnan(v.as.num)) return 0;
    ct->years = t->year;
    ct->c = v.as.num;
    return 1;
  }
  if (name == w->f_date || name == w->f_start || name == w->f_term || name == w->f_name) return 0;
  for (uint32_t i = 0; i < t->cols.n; i++) {
    Column *col = &t->cols.p[i];
    if (col->name != name) continue;
    if (!col->is_num || col->dim != 0 || v.tag != T_NUM || isnan(v.as.num)) return 0;
    ct->nums = col->nums;
    ct->c = v.as.num;
    return 1;
  }
  return 0;
}

/* The condition as up to COLTEST_MAX column tests joined by `and`. */
static int col_tests(H *h, int kind, Node *n, ColTest *ct, int *nt) {
  if (n->kind == N_AND) return col_tests(h, kind, n->u.bin.l, ct, nt) && col_tests(h, kind, n->u.bin.r, ct, nt);
  if (*nt == COLTEST_MAX || !col_test(h, kind, n, &ct[*nt])) return 0;
  ColTest *x = &ct[*nt];
  double band = 2 * NUM_TOL * fabs(x->c) * 2;
  x->lo = x->c - band;
  x->hi = x->c + band;
  /* c tiny (the band near underflow) or infinite: NaN bounds, every row
  ** goes to num_cmp; c == 0 is equal to 0 only */
  if (x->c != 0 && !(band >= 1e-290 && band < 1e300)) x->lo = x->hi = NAN;
  (*nt)++;
  return 1;
}

/* The verdict of a number x (NaN: missing, -1: ask the evaluator). */
static inline int col_num(const ColTest *ct, double x) {
  unsigned s;
  if (x < ct->lo) s = 1;
  else if (x > ct->hi) s = 4;
  else if (isnan(x)) return -1;
  else s = 1u << (num_cmp(x, ct->c) + 1);
  return (ct->accept & s) != 0;
}

/* 1 true, 0 false, -1 the field is missing in this row (ask the evaluator). */
static inline int col_row(const ColTest *ct, uint32_t r) {
  if (ct->ents) {
    if (ct->ents[r] == NO_ROW) return -1;
    int eq = ct->ents[r] == ct->ent;
    return ct->op == OP_EQ ? eq : !eq;
  }
  if (ct->years) return ct->years[r] == NO_YEAR ? -1 : col_num(ct, ct->years[r]);
  return col_num(ct, ct->nums[r]);
}

/* drop x in KIND where COND / update x in KIND where COND { field: EXPR } */
static void apply_change(H *h, Node *s) {
  Binder *b = &s->u.drop.b;
  int k = binder_kind(h, b);
  HStr *bound[1] = {b->name};
  int nslots = 1;
  if (s->u.drop.where) {
    int n = resolve_with(h, s->u.drop.where, bound, 1);
    if (n > nslots) nslots = n;
  }
  World *w = h->world;
  Table *t = &w->t[k];
  /* decide every row against the unchanged world, then change; the rows
  ** gather in the temp arena, so an error on the way leaks nothing */
  VEC(uint32_t) rows = {0};
  Value *slots = arena_alloc(h, &h->temp, (size_t)nslots * sizeof(Value));
  ColTest tests[COLTEST_MAX];
  int ntests = 0;
  int on_columns = s->u.drop.where && col_tests(h, k, s->u.drop.where, tests, &ntests);
  uint32_t from = 0;
  if (on_columns && ntests == 1 && tests[0].nums && !t->dropped) {
    /* one test of a number column (`d.id <= 10` over a million deals):
    ** a tight loop up to the first row it cannot decide alone */
    const ColTest *ct = &tests[0];
    const double *X = ct->nums;
    double lo = ct->lo, hi = ct->hi;
    unsigned below = ct->accept & 1u, above = ct->accept & 4u;
    for (; from < t->n; from++) {
      double x = X[from];
      if (x < lo) { if (below) avec_push(h, &h->temp, &rows, from); }
      else if (x > hi) { if (above) avec_push(h, &h->temp, &rows, from); }
      else if (isnan(x)) break;
      else if (col_num(ct, x)) avec_push(h, &h->temp, &rows, from);
    }
  }
  for (uint32_t r = from; r < t->n; r++) {
    if (!world_alive(w, k, r)) continue;
    if (on_columns) {
      int verdict = 1;
      for (int i = 0; i < ntests && verdict == 1; i++) verdict = col_row(&tests[i], r);
      if (verdict == 0) continue;
      if (verdict == 1) { avec_push(h, &h->temp, &rows, r); continue; }
    }
    slots[0] = v_ent(k, (int32_t)r);
    if (s->u.drop.where) {
      ArenaMark m = arena_mark(&h->temp);
      Value ok = eval(h, s->u.drop.where, slots);
      arena_release(h, &h->temp, m);
      if (ok.tag != T_BOOL)
        hx_error_at(h, s->u.drop.where->loc, "the condition after 'where' must be true or false");
      if (!ok.as.b) continue;
    }
    avec_push(h, &h->temp, &rows, r);
  }
  if (s->kind == S_DROP) {
    Program *p = h->prog;
    if (k == K_PARTNER || k == K_COMMODITY) {
      /* a world without a partner (or commodity) is a world without its
      ** deals and loans too: they go with it, and the report counts them */
      for (uint32_t i = 0; i < rows.n; i++) {
        uint32_t e = rows.p[i];
        for (int tk = K_DEAL; tk <= K_LOAN; tk++) {
          Table *x = &w->t[tk];
          for (uint32_t r = 0; r < x->n; r++) {
            if (!world_alive(w, tk, r)) continue;
            int uses = k == K_COMMODITY ? (tk == K_DEAL && x->c[r] == e) : (x->a[r] == e || x->b[r] == e);
            if (uses) { world_drop(h, tk, r); p->dropped_with[tk - K_DEAL]++; }
          }
        }
      }
    }
    for (uint32_t i = 0; i < rows.n; i++) if (world_alive(w, k, rows.p[i])) { world_drop(h, k, rows.p[i]); p->dropped[k]++; }
  } else {
    /* new values are computed before any is written, so one update does not
    ** see its own changes */
    FieldList *set = &s->u.drop.set;
    uint32_t nf = set->n;
    Value *nv = arena_alloc(h, &h->temp, (size_t)(rows.n * nf + 1) * sizeof(Value));
    for (uint32_t f = 0; f < nf; f++) {
      int n = resolve_with(h, set->p[f].value, bound, 1);
      Value *sl = arena_alloc(h, &h->temp, (size_t)(n > 1 ? n : 1) * sizeof(Value));
      for (uint32_t i = 0; i < rows.n; i++) {
        sl[0] = v_ent(k, (int32_t)rows.p[i]);
        Value v = eval(h, set->p[f].value, sl);
        nv[i * nf + f] = v;
      }
    }
    for (uint32_t i = 0; i < rows.n; i++)
      for (uint32_t f = 0; f < nf; f++) world_set_field(h, k, rows.p[i], set->p[f].name, nv[i * nf + f], set->p[f].value->loc);
  }
}

static void apply_body(H *h, NodeList *body) {
  for (uint32_t i = 0; i < body->n; i++) {
    Node *s = body->p[i];
    if (s->kind == S_DROP || s->kind == S_UPDATE) apply_change(h, s);
    else if (s->kind == S_LET) exec_scenario_let(h, s);
    else if (s->kind != S_EXPECT) exec_statement(h, s);
  }
}

/* (see scenario.h) */
int scenario_changes_deals_only(H *h, Scenario *s) {
  int n = 0;
  for (Scenario *c = s; c; c = c->parent ? prog_scenario_find(h, c->parent) : NULL) {
    if (++n > HX_MAX_EXTENDS) return 0;
    NodeList *body = &c->node->u.scen.body;
    for (uint32_t i = 0; i < body->n; i++) {
      Node *x = body->p[i];
      if (x->kind == S_EXPECT) continue;
      if (x->kind != S_DROP && x->kind != S_UPDATE) return 0;
      Node *coll = x->u.drop.b.coll;
      int deals = (coll->kind == N_COLL && coll->u.coll.kind == K_DEAL) ||
                  (coll->kind == N_NAME && strcmp(coll->u.name->s, "deals") == 0);
      if (!deals) return 0;
    }
  }
  return 1;
}

void scenario_apply(H *h, Scenario *s, Loc loc) {
  Scenario *chain[HX_MAX_EXTENDS];
  int n = 0;
  for (Scenario *c = s; c; c = c->parent ? prog_scenario_find(h, c->parent) : NULL) {
    if (n >= HX_MAX_EXTENDS) hx_error_at(h, loc, "scenario '%s' extends too many scenarios (or a cycle)", s->name->s);
    chain[n++] = c;
  }
  memset(h->prog->dropped, 0, sizeof h->prog->dropped);
  memset(h->prog->dropped_with, 0, sizeof h->prog->dropped_with);
  for (int i = n - 1; i >= 0; i--) apply_body(h, &chain[i]->node->u.scen.body);
}

/* ---- test blocks ------------------------------------------------------------------ */

/* Heap temporaries (report, message buffers) live in these contexts, not
** in locals, so the caller frees them even when an error unwinds. */
typedef struct TestRun { H *h; Test *t; Buf *fail; int nfail; Report *report; Buf scratch; } TestRun;

static void note_failure(TestRun *tr, Node *at, const char *msg) {
  H *h = tr->h;
  char lb[256];
  buf_printf(h, tr->fail, "  %s: %s\n", hx_locstr(h, at->loc, lb, sizeof lb), msg);
  tr->nfail++;
}

typedef struct ExpectCtx { TestRun *tr; Node *s; Report *r; Buf m; } ExpectCtx;

static void do_expect(H *h, void *ud) {
  ExpectCtx *e = ud;
  Node *s = e->s;
  TestRun *tr = e->tr;
  if (s->u.expect.what) {
    Program *p = h->prog;
    Rule *rule = NULL;
    for (uint32_t i = 0; i < p->rules.n; i++) if (p->rules.p[i].name == s->u.expect.rule) rule = &p->rules.p[i];
    if (!rule) {
      Suggest sg;
      suggest_init(&sg, s->u.expect.rule->s, s->u.expect.rule->len);
      for (uint32_t i = 0; i < p->rules.n; i++) suggest_try(&sg, p->rules.p[i].name->s);
      if (sg.best) hx_error_at(h, s->loc, "unknown rule '%s' (did you mean %s?)", s->u.expect.rule->s, sg.best);
      hx_error_at(h, s->loc, "unknown rule '%s'", s->u.expect.rule->s);
    }
    const char *only[1] = {rule->name->s};
    Report *r = e->r = rules_check(h, only, 1, NULL, 0);
    /* a limit, an interrupt or out of memory in the rule stops the tests */
    if (h->err_status == HEDGE_EINTERRUPT || h->err_status == HEDGE_ELIMIT || h->err_status == HEDGE_EMEMORY)
      hx_throw(h, h->err_status);
    RRule *x = &r->rules[0];
    int want = s->u.expect.what == 1 ? HEDGE_PASS : HEDGE_FAILED;
    /* `expect pass` holds for a vacuous rule too: it did not fail (the
    ** status is still named when `expect fail` does not hold) */
    int got = x->status == HEDGE_VACUOUS ? HEDGE_PASS : x->status;
    if (got != want) {
      Buf *m = &e->m;
      buf_printf(h, m, "expected %s to %s, but it %s", rule->name->s, want == HEDGE_PASS ? "pass" : "fail",
                 x->status == HEDGE_PASS ? "passed" : x->status == HEDGE_FAILED ? "failed" :
                 x->status == HEDGE_VACUOUS ? "is vacuous" : "stopped with an error");
      if (x->status == HEDGE_VACUOUS && x->vacuous) buf_printf(h, m, " (%s)", x->vacuous);
      if (x->status == HEDGE_FAILED && x->ncx) {
        Cx *c = &x->cx[0];
        buf_puts(h, m, ":");
        for (int j = 0; j < c->nbind; j++) buf_printf(h, m, "%s %s = %s", j ? "," : "", c->bind[j].name, c->bind[j].text);
        for (int j = 0; j < c->nvals; j++) buf_printf(h, m, "%s %s = %s", j || c->nbind ? ";" : "", c->vals[j].expr, c->vals[j].text);
        if (x->ncx > 1) buf_printf(h, m, " (and %u more)", x->ncx - 1);
      }
      if (x->status == HEDGE_ERRORED && x->error) buf_printf(h, m, ": %s", x->error);
      note_failure(tr, s, m->p);
      buf_free(h, m);
    }
    report_free(h, r);
    e->r = NULL;
    return;
  }
  Node *ex = s->u.expect.expr;
  int n = resolve_expr(h, ex);
  Value *slots = arena_alloc(h, &h->temp, (size_t)(n ? n : 1) * sizeof(Value));
  Value v = eval(h, ex, slots);
  if (v.tag == T_BOOL && v.as.b) return;
  Buf *m = &e->m;
  size_t len;
  const char *t = parse_node_text(h, ex, &len);
  if (v.tag != T_BOOL) {
    char b1[80];
    buf_printf(h, m, "expect needs true or false, but %.*s is %s", (int)len, t, v_typename(h, v, b1, sizeof b1));
  } else {
    buf_printf(h, m, "expected %.*s", (int)len, t);
    if (ex->kind == N_BIN && ex->u.bin.op >= OP_EQ) {
      Value l = eval(h, ex->u.bin.l, slots), r = eval(h, ex->u.bin.r, slots);
      size_t ll, rl;
      const char *lt = parse_node_text(h, ex->u.bin.l, &ll), *rt = parse_node_text(h, ex->u.bin.r, &rl);
      buf_printf(h, m, ", but %.*s = ", (int)ll, lt);
      v_print(h, m, l, 1);
      buf_printf(h, m, " and %.*s = ", (int)rl, rt);
      v_print(h, m, r, 1);
    } else buf_puts(h, m, ", but it is false");
  }
  note_failure(tr, s, m->p);
  buf_free(h, m);
}

static void run_test_body(H *h, void *ud) {
  TestRun *tr = ud;
  NodeList *body = &tr->t->node->u.scen.body;
  for (uint32_t i = 0; i < body->n; i++) {
    Node *s = body->p[i];
    if (s->kind == S_EXPECT) {
      ExpectCtx e = {tr, s, NULL, {0}};
      ArenaMark m = arena_mark(&h->temp);
      int st = hx_pcall(h, do_expect, &e);
      arena_release(h, &h->temp, m);
      report_free(h, e.r);
      buf_free(h, &e.m);
      if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) hx_throw(h, st);
      if (st != HEDGE_OK) {
        Buf *mb = &tr->scratch;   /* freed by scenario_run_tests, whatever happens */
        mb->n = 0;
        const char *x = strstr(buf_cstr(h, &h->err), "error: ");
        buf_printf(h, mb, "error: %s", x ? x + 7 : h->err.p);
        /* keep the first line only: the location is printed already */
        char *nl = strchr(mb->p, '\n');
        if (nl) *nl = 0;
        note_failure(tr, s, mb->p);
      }
    } else if (s->kind == S_DROP || s->kind == S_UPDATE) apply_change(h, s);
    else exec_statement(h, s);
  }
}

typedef struct RunAll { TestResults *res; Buf fail; } RunAll;

static void run_all(H *h, void *ud) {
  RunAll *ra = ud;
  TestResults *res = ra->res;
  Program *p = h->prog;
  res->items = mem_alloc(h, (p->tests.n ? p->tests.n : 1) * sizeof(TestResult));
  memset(res->items, 0, (p->tests.n ? p->tests.n : 1) * sizeof(TestResult));
  res->n = (int)p->tests.n;
  for (uint32_t i = 0; i < p->tests.n; i++) {
    Test *t = &p->tests.p[i];
    TestResult *tr_out = &res->items[i];
    Buf *fail = &ra->fail;   /* freed by scenario_run_tests if an error unwinds */
    TestRun tr = {h, t, fail, 0, NULL, {0}};
    ProgMark pm = prog_mark(h);
    h->world->logging++;
    ArenaMark am = arena_mark(&h->temp);
    int st = hx_pcall(h, run_test_body, &tr);
    buf_free(h, &tr.scratch);
    if (st != HEDGE_OK) {
      const char *msg = buf_cstr(h, &h->err);
      buf_printf(h, fail, "  %s\n", msg);
      tr.nfail++;
    }
    arena_release(h, &h->temp, am);
    prog_rollback(h, pm);
    tr_out->name = t->name->s;
    tr_out->loc = t->node->loc;
    tr_out->passed = tr.nfail == 0;
    tr_out->failures = fail->p;   /* owned by the result */
    tr_out->failures_cap = fail->cap;
    memset(fail, 0, sizeof *fail);
    if (tr_out->passed) res->passed++; else res->failed++;
    if (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY) { res->status = st; res->n = (int)i + 1; break; }
  }
}

TestResults *scenario_run_tests(H *h) {
  TestResults *res = mem_alloc(h, sizeof *res);
  memset(res, 0, sizeof *res);
  RunAll ra = {res, {0}};
  int st = hx_pcall(h, run_all, &ra);
  if (st != HEDGE_OK) {
    buf_free(h, &ra.fail);
    scenario_tests_free(h, res);
    hx_throw(h, st);
  }
  if (res->status) h->err_status = res->status;
  return res;
}

void scenario_tests_free(H *h, TestResults *r) {
  if (!r) return;
  for (int i = 0; i < r->n; i++) mem_free(h, r->items[i].failures, r->items[i].failures_cap);
  mem_free(h, r->items, (h->prog->tests.n ? h->prog->tests.n : 1) * sizeof(TestResult));
  mem_free(h, r, sizeof *r);
}

/* ---- compare ----------------------------------------------------------------------- */

static void cx_key(H *h, Buf *b, Cx *c) {
  b->n = 0;
  for (int j = 0; j < c->nbind; j++) buf_printf(h, b, "%s%s = %s", j ? ", " : "", c->bind[j].name, c->bind[j].text);
  if (!c->nbind) buf_puts(h, b, "(no bindings)");
  buf_cstr(h, b);
}

static Cx *find_in(H *h, Cx *arr, uint32_t n, const char *key, Buf *tmp) {
  for (uint32_t k = 0; k < n; k++) {
    cx_key(h, tmp, &arr[k]);
    if (strcmp(tmp->p, key) == 0) return &arr[k];
  }
  return NULL;
}

/* find_in over the bindings that held (report r's pass list), with the
** values the check deferred written out (report_value_deferred): only the
** bindings a comparison prints pay for their numbers' text. */
static Cx *held_in(H *h, Report *r, RRule *x, const char *key, Buf *tmp) {
  rules_held_complete(h, r, x);
  Cx *c = find_in(h, x->pass, x->npass, key, tmp);
  if (c)
    for (int j = 0; j < c->nvals; j++) report_value_complete(h, r, &c->vals[j]);
  return c;
}

/* A rule's status as the check report shows it: a failed warn is WARN. */
static const char *st_label(RRule *x) {
  switch (x->status) {
    case HEDGE_PASS: return "pass";
    case HEDGE_FAILED: return x->warn ? "WARN" : "FAIL";
    case HEDGE_VACUOUS: return "VACUOUS";
    default: return "ERROR";
  }
}

/* "before  =>  after" of one binding; a side the binding has no record on
** (it held, and the check kept no values) reads "holds". */
static void change_text(H *h, Buf *out, Cx *before, Cx *after) {
  if (before) report_cx_text(h, out, before); else buf_puts(h, out, "holds");
  buf_puts(h, out, "  =>  ");
  if (after) report_cx_text(h, out, after); else buf_puts(h, out, "holds");
}

static void json_values(H *h, Buf *out, Cx *c) {
  if (!c) { buf_puts(h, out, "null"); return; }
  buf_putc(h, out, '[');
  for (int j = 0; j < c->nvals; j++) {
    RValue *v = &c->vals[j];
    buf_puts(h, out, j ? ", { \"expr\": " : "{ \"expr\": ");
    report_json_string(h, out, v->expr ? v->expr : "", v->expr ? strlen(v->expr) : 0);
    buf_puts(h, out, ", \"value\": ");
    buf_puts(h, out, v->json);
    buf_puts(h, out, ", \"unit\": ");
    if (v->unit) report_json_string(h, out, v->unit, strlen(v->unit)); else buf_puts(h, out, "null");
    buf_puts(h, out, " }");
  }
  buf_putc(h, out, ']');
}

/* One changed binding as JSON: its bindings, the rule's severity, and the
** comparison's values before and after (null where it held and no values
** were kept). */
static void json_change(H *h, Buf *out, RRule *x, Cx *key, Cx *before, Cx *after, int first) {
  buf_puts(h, out, first ? "{ \"bindings\": {" : ", { \"bindings\": {");
  for (int j = 0; j < key->nbind; j++) {
    if (j) buf_puts(h, out, ", ");
    report_json_string(h, out, key->bind[j].name, strlen(key->bind[j].name));
    buf_puts(h, out, ": ");
    buf_puts(h, out, key->bind[j].json);
  }
  buf_printf(h, out, "}, \"severity\": \"%s\", \"before\": ", x->warn ? "warning" : "error");
  json_values(h, out, before);
  buf_puts(h, out, ", \"after\": ");
  json_values(h, out, after);
  buf_puts(h, out, " }");
}

static void summary_text(H *h, Buf *out, Report *r) {
  buf_printf(h, out, "%d passed, %d failed, %d warning%s", r->passed, r->failed, r->warnings, r->warnings == 1 ? "" : "s");
  if (r->errors) buf_printf(h, out, ", %d error%s", r->errors, r->errors == 1 ? "" : "s");
  buf_printf(h, out, ", %d vacuous", r->vacuous);
}

/* The two scratch buffers live in the context: freed even if an error
** (out of memory) unwinds out of the comparison. */
typedef struct CmpCtx { Buf *out; Report *a, *b; const char *scen; int json; Buf k1, tmp; } CmpCtx;

static void compare_work(H *h, void *ud) {
  CmpCtx *c = ud;
  Buf *out = c->out;
  Report *a = c->a, *b = c->b;
  const char *scen = c->scen;
  int json = c->json;
#define k1 (c->k1)
#define tmp (c->tmp)
  if (json) {
    buf_puts(h, out, "{ \"hedge\": \"" HEDGE_VERSION "\", \"scenario\": ");
    report_json_string(h, out, scen, strlen(scen));
    buf_printf(h, out, ", \"dropped\": { \"partners\": %u, \"commodities\": %u, \"deals\": %u, \"loans\": %u, "
               "\"with_them\": { \"deals\": %u, \"loans\": %u } }, \"rules\": [",
               b->dropped[0], b->dropped[1], b->dropped[2], b->dropped[3], b->dropped_with[0], b->dropped_with[1]);
  } else {
    buf_printf(h, out, "compare: base -> scenario %s\n", scen);
    report_drops_text(h, out, b);
  }
  for (int i = 0; i < a->n && i < b->n; i++) {
    RRule *x = &a->rules[i], *y = &b->rules[i];
    if (json) {
      buf_puts(h, out, i ? ",\n  " : "\n  ");
      buf_puts(h, out, "{ \"name\": ");
      report_json_string(h, out, x->name, strlen(x->name));
      buf_printf(h, out, ", \"severity\": \"%s\", \"before\": \"%s\", \"after\": \"%s\", \"appeared\": [",
                 x->warn ? "warning" : "error", report_rule_status_name(x->status), report_rule_status_name(y->status));
    } else {
      const char *arrow = x->status == y->status ? "  " : "->";
      buf_printf(h, out, "%-7s %s %-7s %s\n", st_label(x), arrow, st_label(y), x->name);
      if (y->status == HEDGE_VACUOUS && x->status != HEDGE_VACUOUS && y->vacuous) buf_printf(h, out, "    %s\n", y->vacuous);
    }
    /* appeared: fails after, not before (the values it had when it held) */
    int first = 1;
    for (uint32_t k = 0; k < y->ncx; k++) {
      cx_key(h, &k1, &y->cx[k]);
      if (find_in(h, x->cx, x->ncx, k1.p, &tmp)) continue;
      Cx *was = held_in(h, a, x, k1.p, &tmp);
      if (json) json_change(h, out, y, &y->cx[k], was, &y->cx[k], first);
      else {
        buf_printf(h, out, "    + %s    ", k1.p);
        change_text(h, out, was, &y->cx[k]);
        buf_putc(h, out, '\n');
      }
      first = 0;
    }
    if (json) buf_puts(h, out, "], \"vanished\": [");
    /* vanished: failed before, holds after (its values after) */
    first = 1;
    for (uint32_t k = 0; k < x->ncx; k++) {
      cx_key(h, &k1, &x->cx[k]);
      if (find_in(h, y->cx, y->ncx, k1.p, &tmp)) continue;
      Cx *now = held_in(h, b, y, k1.p, &tmp);
      if (json) json_change(h, out, x, &x->cx[k], &x->cx[k], now, first);
      else {
        buf_printf(h, out, "    - %s    ", k1.p);
        change_text(h, out, &x->cx[k], now);
        buf_putc(h, out, '\n');
      }
      first = 0;
    }
    if (json) buf_puts(h, out, "], \"moved\": [");
    first = 1;
    for (uint32_t k = 0; k < x->ncx; k++) {
      cx_key(h, &k1, &x->cx[k]);
      Cx *o = find_in(h, y->cx, y->ncx, k1.p, &tmp);
      if (!o || o->nvals != x->cx[k].nvals) continue;
      int moved = 0;
      for (int j = 0; j < o->nvals; j++) if (strcmp(o->vals[j].text, x->cx[k].vals[j].text) != 0) moved = 1;
      if (!moved) continue;
      if (json) json_change(h, out, x, &x->cx[k], &x->cx[k], o, first);
      else {
        buf_printf(h, out, "    ~ %s    ", k1.p);
        change_text(h, out, &x->cx[k], o);
        buf_putc(h, out, '\n');
      }
      first = 0;
    }
    if (json) buf_puts(h, out, "] }");
  }
  if (json) buf_printf(h, out, "\n  ],\n  \"summary\": { \"before\": { \"passed\": %d, \"failed\": %d, \"warnings\": %d, \"errors\": %d, \"vacuous\": %d }, \"after\": { \"passed\": %d, \"failed\": %d, \"warnings\": %d, \"errors\": %d, \"vacuous\": %d } } }\n",
                       a->passed, a->failed, a->warnings, a->errors, a->vacuous, b->passed, b->failed, b->warnings, b->errors, b->vacuous);
  else {
    buf_puts(h, out, "before: ");
    summary_text(h, out, a);
    buf_puts(h, out, "; after: ");
    summary_text(h, out, b);
    buf_putc(h, out, '\n');
  }
#undef k1
#undef tmp
}

void scenario_compare_reports(H *h, Buf *out, Report *a, Report *b, const char *scen, int json) {
  CmpCtx c = {out, a, b, scen, json, {0}, {0}};
  int st = hx_pcall(h, compare_work, &c);
  buf_free(h, &c.k1);
  buf_free(h, &c.tmp);
  if (st != HEDGE_OK) hx_throw(h, st);
}
