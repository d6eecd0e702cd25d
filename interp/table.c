/*
** table.c: the figures of every binding of a rule or an expression, passing
** bindings included, as CSV or JSON (`hedge table`, hedge_table()). One row
** per binding of the rule's `forall` chain (after its `where`s), one column
** per variable, one per figure (each non-literal operand of a comparison
** in the predicate, or the predicate itself when it compares nothing), and
** `holds` (true or false) when the predicate is a test. Numbers keep every
** digit; a quantity's unit goes into its column's name ("exports(F) [USD]").
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "eval.h"
#include "report.h"
#include "outputs.h"

typedef struct Col {
  const char *name;     /* variable name or expression text (one line) */
  Node *node;           /* figure: the expression evaluated per row */
  int kind;             /* 0 variable, 1 figure, 2 holds */
  int slot;             /* variable: its slot */
  const char *unit;     /* the unit of the column's first quantity */
} Col;

typedef struct Cell {
  const char *csv;      /* text of the cell in CSV (not quoted yet) */
  const char *json;     /* JSON value */
  const char *unit;     /* unit of a quantity, or NULL */
} Cell;

typedef struct Tab {
  Report scratch;       /* its arena holds every cell (report_value) */
  VEC(Col) cols;
  VEC(Cell) cells;      /* row-major */
  uint32_t nrows;
  Walk w;
  Buf tmp;              /* scratch text, freed by table_body even on error */
} Tab;

static int literal(Node *n) {
  return n->kind == N_NUM || n->kind == N_QTY || n->kind == N_STR || n->kind == N_DATE || n->kind == N_BOOL ||
         n->kind == N_NIL || (n->kind == N_NEG && literal(n->u.operand));
}

static void add_figure(H *h, Tab *t, Node *n) {
  if (literal(n)) return;
  const char *name = parse_node_text_one_line(h, &t->scratch.arena, n);
  for (uint32_t i = 0; i < t->cols.n; i++) if (!strcmp(t->cols.p[i].name, name)) return;
  Col c = {name, n, 1, 0, NULL};
  avec_push(h, &t->scratch.arena, &t->cols, c);
}

/* The operands of every comparison in a predicate; returns how many
** comparisons it has. */
static int collect(H *h, Tab *t, Node *n) {
  switch (n->kind) {
    case N_BIN:
      if (n->u.bin.op >= OP_EQ) { add_figure(h, t, n->u.bin.l); add_figure(h, t, n->u.bin.r); return 1; }
      return 0;
    case N_AND: case N_OR: return collect(h, t, n->u.bin.l) + collect(h, t, n->u.bin.r);
    case N_NOT: return collect(h, t, n->u.operand);
    case N_IF: return collect(h, t, n->u.cond.t) + collect(h, t, n->u.cond.e);
    default: return 0;
  }
}

/* ---- one row ---------------------------------------------------------------- */

typedef struct EvalCell { Node *n; Value *slots; Value v; } EvalCell;
static void eval_cell(H *h, void *ud) { EvalCell *e = ud; e->v = eval(h, e->n, e->slots); }

static Cell cell_of(H *h, Tab *t, Value v) {
  Cell c = {0};
  RValue rv;
  report_value(h, &t->scratch, &rv, v);
  c.json = rv.json;
  c.unit = rv.unit;
  if (v.tag == T_NIL) c.csv = "";
  else if (v.tag == T_NUM || v.tag == T_QTY) c.csv = rv.json;   /* every digit */
  else {
    size_t len;
    const char *s = v_tostr(h, v, 0, &len);
    c.csv = arena_strdup(h, &t->scratch.arena, s, len);
  }
  return c;
}

static Cell error_cell(H *h, Tab *t) {
  const char *msg = buf_cstr(h, &h->err);
  const char *nl = strchr(msg, '\n');
  size_t len = nl ? (size_t)(nl - msg) : strlen(msg);
  char *csv = arena_alloc(h, &t->scratch.arena, len + 8);
  memcpy(csv, "error: ", 7);
  memcpy(csv + 7, msg, len);
  csv[len + 7] = 0;
  Buf *b = &t->tmp;
  b->n = 0;
  buf_puts(h, b, "{\"error\": ");
  report_json_string(h, b, msg, len);
  buf_putc(h, b, '}');
  Cell c = {csv, arena_strdup(h, &t->scratch.arena, b->p, b->n), NULL};
  return c;
}

static void row(H *h, Tab *t) {
  for (uint32_t i = 0; i < t->cols.n; i++) {
    Col *col = &t->cols.p[i];
    Cell c;
    if (col->kind == 0) c = cell_of(h, t, t->w.slots[col->slot]);
    else {
      EvalCell e = {col->kind == 2 ? t->w.pred : col->node, t->w.slots, v_nil()};
      int st = hx_pcall(h, eval_cell, &e);
      if (st != HEDGE_OK && (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY || h->fatal)) hx_throw(h, st);
      c = st == HEDGE_OK ? cell_of(h, t, e.v) : error_cell(h, t);
    }
    if (c.unit && !col->unit) col->unit = c.unit;
    avec_push(h, &t->scratch.arena, &t->cells, c);
  }
  t->nrows++;
}

static int level_item(H *h, Value item, void *ud);

/* The walk of rules.c's checker, calling back for every binding. */
static void level(H *h, Walk *w) {
  Compr *cm = w->ci < w->nchain ? w->chain[w->ci] : NULL;
  if (cm && (uint32_t)w->bi < cm->binders.n) {
    Binder *b = &cm->binders.p[w->bi];
    eval_iterate(h, eval(h, b->coll, w->slots), b->coll->loc, level_item, w);
    return;
  }
  if (cm) {
    if (cm->where) {
      Value ok = eval(h, cm->where, w->slots);
      if (ok.tag != T_BOOL) {
        char b1[80];
        hx_error_at(h, cm->where->loc, "the condition after 'where' must be true or false, not %s", v_typename(h, ok, b1, sizeof b1));
      }
      if (!ok.as.b) return;
    }
    int ci = w->ci, bi = w->bi;
    w->ci++; w->bi = 0;
    level(h, w);
    w->ci = ci; w->bi = bi;
    return;
  }
  w->fn(h, w->slots, w->ud);
}

static int level_item(H *h, Value item, void *ud) {
  Walk *w = ud;
  Binder *b = &w->chain[w->ci]->binders.p[w->bi];
  w->slots[b->slot] = item;
  ArenaMark m = arena_mark(&h->temp);
  w->bi++;
  level(h, w);
  w->bi--;
  arena_release(h, &h->temp, m);
  return 1;
}

void table_walk_init(H *h, Walk *w, Node *body, int nslots) {
  memset(w, 0, sizeof *w);
  while (body && body->kind == N_QUANT && !body->u.quant.exists && w->nchain < 64) {
    w->chain[w->nchain++] = &body->u.quant.c;
    body = body->u.quant.c.body;
  }
  if (!body) hx_error_at(h, (Loc){-1, 0, 0}, "the table needs a value after ':'");
  w->pred = body;
  size_t n = (size_t)(nslots > 0 ? nslots : 1) * sizeof(Value);
  w->slots = arena_alloc(h, &h->temp, n);
  memset(w->slots, 0, n);
}

void table_walk_run(H *h, Walk *w, BindingFn fn, void *ud) {
  w->fn = fn;
  w->ud = ud;
  w->ci = w->bi = 0;
  level(h, w);
}

static void row_cb(H *h, Value *slots, void *ud) { (void)slots; row(h, ud); }

/* ---- writing ------------------------------------------------------------------ */

static void csv_field(H *h, Buf *b, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) { buf_puts(h, b, s); return; }
  buf_putc(h, b, '"');
  for (; *s; s++) { if (*s == '"') buf_putc(h, b, '"'); buf_putc(h, b, *s); }
  buf_putc(h, b, '"');
}

static const char *col_title(H *h, Tab *t, Col *c) {
  if (!c->unit) return c->name;
  size_t n = strlen(c->name) + strlen(c->unit) + 4;
  char *s = arena_alloc(h, &t->scratch.arena, n);
  snprintf(s, n, "%s [%s]", c->name, c->unit);
  return s;
}

static void write_csv(H *h, Tab *t, Buf *b) {
  for (uint32_t i = 0; i < t->cols.n; i++) {
    if (i) buf_putc(h, b, ',');
    csv_field(h, b, col_title(h, t, &t->cols.p[i]));
  }
  buf_puts(h, b, "\r\n");
  for (uint32_t r = 0; r < t->nrows; r++) {
    for (uint32_t i = 0; i < t->cols.n; i++) {
      Cell *c = &t->cells.p[r * t->cols.n + i];
      Col *col = &t->cols.p[i];
      if (i) buf_putc(h, b, ',');
      if (c->unit && col->unit && strcmp(c->unit, col->unit)) {
        /* another unit than the column's: say it in the cell */
        char *s = arena_alloc(h, &t->scratch.arena, strlen(c->csv) + strlen(c->unit) + 2);
        sprintf(s, "%s %s", c->csv, c->unit);
        csv_field(h, b, s);
      } else csv_field(h, b, c->csv);
    }
    buf_puts(h, b, "\r\n");
  }
}

static void write_json(H *h, Tab *t, Buf *b, const char *what, const char *rule, const char *scenario) {
  static const char *const kinds[] = {"variable", "figure", "holds"};
  buf_puts(h, b, "{ \"hedge\": \"" HEDGE_VERSION "\", \"rule\": ");
  if (rule) report_json_string(h, b, rule, strlen(rule)); else buf_puts(h, b, "null");
  buf_puts(h, b, ", \"expr\": ");
  if (rule) buf_puts(h, b, "null"); else report_json_string(h, b, what, strlen(what));
  buf_puts(h, b, ", \"scenario\": ");
  if (scenario) report_json_string(h, b, scenario, strlen(scenario)); else buf_puts(h, b, "null");
  buf_puts(h, b, ",\n  \"columns\": [");
  for (uint32_t i = 0; i < t->cols.n; i++) {
    Col *c = &t->cols.p[i];
    buf_puts(h, b, i ? ", " : "");
    buf_puts(h, b, "{ \"name\": ");
    report_json_string(h, b, c->name, strlen(c->name));
    buf_printf(h, b, ", \"kind\": \"%s\", \"unit\": ", kinds[c->kind]);
    if (c->unit) report_json_string(h, b, c->unit, strlen(c->unit)); else buf_puts(h, b, "null");
    buf_puts(h, b, " }");
  }
  buf_puts(h, b, "],\n  \"rows\": [");
  for (uint32_t r = 0; r < t->nrows; r++) {
    buf_puts(h, b, r ? ",\n    {" : "\n    {");
    for (uint32_t i = 0; i < t->cols.n; i++) {
      Cell *c = &t->cells.p[r * t->cols.n + i];
      if (i) buf_puts(h, b, ", ");
      report_json_string(h, b, t->cols.p[i].name, strlen(t->cols.p[i].name));
      buf_puts(h, b, ": ");
      if (c->unit && t->cols.p[i].unit && strcmp(c->unit, t->cols.p[i].unit)) {
        buf_puts(h, b, "{\"value\": ");
        buf_puts(h, b, c->json);
        buf_puts(h, b, ", \"unit\": ");
        report_json_string(h, b, c->unit, strlen(c->unit));
        buf_putc(h, b, '}');
      } else buf_puts(h, b, c->json);
    }
    buf_putc(h, b, '}');
  }
  buf_printf(h, b, "%s]\n}\n", t->nrows ? "\n  " : "");
}

/* ---- the whole ----------------------------------------------------------------- */

static Rule *rule_named(H *h, const char *name) {
  HStr *n = mem_intern_find(h, name, strlen(name));
  for (uint32_t j = 0; n && j < h->prog->rules.n; j++) if (h->prog->rules.p[j].name == n) return &h->prog->rules.p[j];
  return NULL;
}

static int is_ident(const char *s) {
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

typedef struct TableRun { Tab *t; const char *what, *scenario; int format; } TableRun;

static void table_work(H *h, void *ud) {
  TableRun *c = ud;
  Tab *t = c->t;
  exec_finish_load(h);
  Rule *rule = rule_named(h, c->what);
  Node *body;
  int nslots;
  if (rule) {
    resolve_rule(h, rule);
    body = rule->node->u.rule.body;
    nslots = rule->node->nslots;
  } else {
    if (is_ident(c->what) && !prog_global_find(h, mem_intern_c(h, c->what))) {
      Suggest sg;
      suggest_init(&sg, c->what, strlen(c->what));
      for (uint32_t j = 0; j < h->prog->rules.n; j++) suggest_try(&sg, h->prog->rules.p[j].name->s);
      if (sg.best) hx_error_at(h, (Loc){-1, 0, 0}, "unknown rule '%s' (did you mean %s?)", c->what, sg.best);
    }
    int src = prog_source_add_string(h, "<table>", c->what, strlen(c->what));
    body = parse_expression(h, src, NULL);
    nslots = resolve_expr(h, body);
  }
  table_walk_init(h, &t->w, body, nslots);
  for (int i = 0; i < t->w.nchain; i++) {
    Compr *cm = t->w.chain[i];
    for (uint32_t j = 0; j < cm->binders.n; j++) {
      Col col = {cm->binders.p[j].name->s, NULL, 0, cm->binders.p[j].slot, NULL};
      avec_push(h, &t->scratch.arena, &t->cols, col);
    }
  }
  body = t->w.pred;
  int comparisons = collect(h, t, body);
  /* a predicate that compares nothing is its own figure (a rule's is
  ** the holds column) */
  if (!comparisons && !rule) {
    Col col = {parse_node_text_one_line(h, &t->scratch.arena, body), body, 1, 0, NULL};
    avec_push(h, &t->scratch.arena, &t->cols, col);
  }
  if (comparisons || rule) {
    Col col = {"holds", NULL, 2, 0, NULL};
    avec_push(h, &t->scratch.arena, &t->cols, col);
  }
  if (c->scenario) {
    Scenario *sc = prog_scenario_need(h, c->scenario);
    ProgMark pm = prog_mark(h);
    h->world->logging++;
    scenario_apply(h, sc, (Loc){-1, 0, 0});
    table_walk_run(h, &t->w, row_cb, t);
    prog_rollback(h, pm);
  } else table_walk_run(h, &t->w, row_cb, t);
  h->result.n = 0;
  if (c->format == HEDGE_TABLE_JSON) write_json(h, t, &h->result, c->what, rule ? c->what : NULL, c->scenario);
  else write_csv(h, t, &h->result);
  buf_cstr(h, &h->result);
}

static void table_body(H *h, void *ud) {
  TableRun *c = ud;
  Tab t;
  memset(&t, 0, sizeof t);
  c->t = &t;
  int st = hx_pcall(h, table_work, c);
  arena_free(h, &t.scratch.arena);
  buf_free(h, &t.tmp);
  if (st != HEDGE_OK) hx_throw(h, st);
}

int hedge_table(hedge_State *h, const char *what, const char *scenario, int format, const char **out) {
  if (out) *out = NULL;
  if (!h || !what) return HEDGE_EUSAGE;
  TableRun c = {NULL, what, scenario, format};
  int st = api_guarded(h, table_body, &c);
  if (st == HEDGE_OK && out) *out = buf_cstr(h, &h->result);
  return st;
}
