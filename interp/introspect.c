/*
** introspect.c: the library side of an interactive front end (introspect.h):
** running one typed input in REPL mode, listing declared names, the fields
** of an entity kind, help text. Like api.c, every entry point works under
** a protected boundary and prints nothing of its own: values and rule
** results go through the host's print hook, errors into hedge_errmsg().
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "eval.h"
#include "lex.h"
#include "units.h"
#include "report.h"
#include "scenario.h"
#include "introspect.h"
#include "resolve.h"
#include "rules.h"

/* Output for the host: its print hook, or the collected output. */
static void emit(H *h, const char *s, size_t n) {
  if (!n) return;
  if (h->print_fn) h->print_fn(h->print_ud, s, n);
  else buf_put(h, &h->out, s, n);
}

/* A boundary for calls that add nothing to the program. */
static int protect(H *h, void (*f)(H *h, void *ud), void *ud) {
  h->err_status = HEDGE_OK;
  h->steps = 0;
  eval_deadline_start(h);
  h->here = (Loc){-1, 0, 0};
  h->depth = 0;
  ArenaMark am = arena_mark(&h->temp);
  int st = hx_pcall(h, f, ud);
  if (st != HEDGE_OK && !h->err_status) h->err_status = st;
  arena_release(h, &h->temp, am);
  atomic_store(&h->interrupted, 0);
  return st;
}

static const char *const coll_names[K_NKINDS] = {"partners", "commodities", "deals", "loans"};


/* ---- one REPL input --------------------------------------------------------- */

/* A name the input rebinds, as it was before: restored if the input fails. */
typedef struct Saved {
  Global *g;
  Value value; Loc loc; int ready;
  Node *expr; int nslots, world_dep; uint64_t version;   /* a let's definition */
  int rule;                  /* index in rules, or -1 */
  Node *node; HStr *title; int warn;
} Saved;

typedef struct ReplCtx {
  const char *name, *text, *scenario;
  int color;
  int *incomplete;
  Saved *saved; uint32_t nsaved;
  Report *report;            /* freed by the caller if an error unwinds */
} ReplCtx;

static void save_binding(H *h, ReplCtx *c, HStr *name) {
  Global *g = prog_global_find(h, name);
  if (!g) return;
  Saved *s = &c->saved[c->nsaved++];
  s->g = g; s->value = g->value; s->loc = g->loc; s->ready = g->ready;
  s->expr = g->expr; s->nslots = g->nslots; s->world_dep = g->world_dep; s->version = g->version;
  s->rule = -1;
  if (g->kind == G_RULE)
    for (uint32_t i = 0; i < h->prog->rules.n; i++)
      if (h->prog->rules.p[i].name == name) {
        Rule *r = &h->prog->rules.p[i];
        s->rule = (int)i; s->node = r->node; s->title = r->title; s->warn = r->warn;
      }
}

static void restore_bindings(H *h, ReplCtx *c) {
  for (uint32_t i = c->nsaved; i-- > 0;) {
    Saved *s = &c->saved[i];
    s->g->value = s->value; s->g->loc = s->loc; s->g->ready = s->ready;
    s->g->expr = s->expr; s->g->nslots = s->nslots; s->g->world_dep = s->world_dep; s->g->version = s->version;
    if (s->rule >= 0 && (uint32_t)s->rule < h->prog->rules.n) {
      Rule *r = &h->prog->rules.p[s->rule];
      r->node = s->node; r->title = s->title; r->warn = s->warn;
    }
  }
}

/* Runs f(h, c, x) in the world of the active scenario (if any). */
typedef struct InScen { ProgMark pm; int on; } InScen;
static void scen_enter(H *h, ReplCtx *c, InScen *s, Loc loc) {
  s->on = 0;
  if (!c->scenario) return;
  Scenario *sc = prog_scenario_need(h, c->scenario);
  s->pm = prog_mark(h);
  h->world->logging++;
  s->on = 1;
  scenario_apply(h, sc, loc);
}
static void scen_leave(H *h, InScen *s) { if (s->on) prog_rollback(h, s->pm); }

/* Checks one rule and prints its result without the summary line. */
static void check_and_show(H *h, ReplCtx *c, HStr *name, Loc loc) {
  const char *only[2] = {name->s, NULL};
  InScen in;
  scen_enter(h, c, &in, loc);
  c->report = rules_check(h, only, 1, c->scenario, 0);
  scen_leave(h, &in);
  const char *t = report_text(h, c->report, c->color);
  size_t n = strlen(t);
  /* drop the final "1 rule: ..." line */
  if (n && t[n - 1] == '\n') {
    size_t k = n - 1;
    while (k > 0 && t[k - 1] != '\n') k--;
    if (k > 0) n = k;
  }
  emit(h, t, n);
  report_free(h, c->report);
  c->report = NULL;
}

static void show_expr(H *h, ReplCtx *c, Node *s) {
  Node *e = s->u.expr;
  if (e->kind == N_NAME) {
    Global *g = prog_global_find(h, e->u.name);
    if (g && g->kind == G_RULE) { check_and_show(h, c, e->u.name, s->loc); return; }
  }
  InScen in;
  scen_enter(h, c, &in, s->loc);
  int n = resolve_expr(h, e);
  Value v = eval_root(h, e, n);
  h->result.n = 0;
  v_print(h, &h->result, v, 1);
  buf_putc(h, &h->result, '\n');
  scen_leave(h, &in);
  emit(h, h->result.p, h->result.n);
}

static void repl_body(H *h, void *ud) {
  ReplCtx *c = ud;
  int src = prog_source_add_string(h, c->name, c->text, strlen(c->text));
  NodeList stmts = {0};
  parse_program(h, src, &stmts, c->incomplete);
  c->saved = arena_alloc(h, &h->temp, (stmts.n ? stmts.n : 1) * sizeof(Saved));
  c->nsaved = 0;
  for (uint32_t i = 0; i < stmts.n; i++) {
    Node *s = stmts.p[i];
    HStr *name = s->kind == S_LET ? s->u.let.name : s->kind == S_FN ? s->u.fn.name : s->kind == S_RULE ? s->u.rule.name : NULL;
    if (name) save_binding(h, c, name);
  }
  for (uint32_t i = 0; i < stmts.n; i++) {
    Node *s = stmts.p[i];
    if (s->kind == S_EXPR) { show_expr(h, c, s); continue; }
    exec_statement(h, s);
    if (s->kind == S_RULE) {
      exec_finish_load(h);   /* resolves the rule: an unknown name fails the input */
      check_and_show(h, c, s->u.rule.name, s->loc);
    }
  }
  exec_finish_load(h);
}

int hedge_repl_eval(hedge_State *h, const char *chunkname, const char *text,
                    const char *scenario, int color, int *incomplete) {
  if (incomplete) *incomplete = 0;
  if (!h || !text) return HEDGE_EUSAGE;
  int inc = 0;
  ReplCtx c;
  memset(&c, 0, sizeof c);
  c.name = chunkname ? chunkname : "<repl>";
  c.text = text;
  c.scenario = scenario && *scenario ? scenario : NULL;
  c.color = color;
  c.incomplete = &inc;
  int old_mode = h->repl_mode;
  h->repl_mode = 1;
  h->err_status = HEDGE_OK;
  h->steps = 0;
  eval_deadline_start(h);
  h->here = (Loc){-1, 0, 0};
  h->depth = 0;
  ProgMark pm = prog_mark(h);
  ArenaMark am = arena_mark(&h->temp);
  int st = hx_pcall(h, repl_body, &c);
  if (st != HEDGE_OK) {
    int es = h->err_status;
    if (c.saved) restore_bindings(h, &c);
    prog_rollback(h, pm);
    h->err_status = es ? es : st;
  }
  /* strings end on their line: one still open at the end of the input
  ** cannot be finished by another line, so it is an error at once */
  if (inc && h->err.p && strstr(h->err.p, ": error: unterminated string")) inc = 0;
  if (c.report) report_free(h, c.report);
  arena_release(h, &h->temp, am);
  atomic_store(&h->interrupted, 0);
  h->repl_mode = old_mode;
  if (incomplete) *incomplete = st != HEDGE_OK && inc;
  return st;
}

/* ---- descriptions ------------------------------------------------------------- */

/* `name(a, b = 1)` of a function. */
static void fn_head(H *h, Buf *b, Function *f) {
  if (f->kind != F_USER && f->kind != F_EXTERN && f->kind != F_HOST && f->usage) { buf_puts(h, b, f->usage); return; }
  buf_printf(h, b, "%s(", f->name->s);
  if (f->kind == F_USER || f->kind == F_EXTERN || f->kind == F_HOST) {
    for (uint32_t i = 0; i < f->params.n; i++) {
      Param *p = &f->params.p[i];
      buf_printf(h, b, "%s%s", i ? ", " : "", p->name->s);
      if (p->def && f->kind == F_EXTERN && p->def->kind == N_NAME) buf_printf(h, b, ": %s", p->def->u.name->s);
      else if (p->def) {
        size_t n;
        const char *t = parse_node_text(h, p->def, &n);
        buf_puts(h, b, " = ");
        buf_put(h, b, t, n);
      }
    }
  } else buf_puts(h, b, "...");
  buf_putc(h, b, ')');
}

/* Shortens a buffer (keeping it NUL-terminated, as buf_cstr expects). */
static void buf_cut(Buf *b, size_t n) { b->n = n; if (b->p) b->p[n] = 0; }

/* A value for a one-line description: quoted, cut at about 70 bytes. */
static void short_value(H *h, Buf *b, Value v) {
  size_t at = b->n;
  v_print(h, b, v, 1);
  if (b->n - at > 72) {
    size_t n = at + 69;
    while (n > at && ((unsigned char)b->p[n] & 0xC0) == 0x80) n--;   /* keep UTF-8 whole */
    buf_cut(b, n);
    buf_puts(h, b, "...");
  }
}

/* The free attributes of an entity: `{name: "Pakistan", region: "South Asia"}`. */
static void attrs(H *h, Buf *b, int kind, uint32_t row) {
  Table *t = &h->world->t[kind];
  int first = 1;
  for (uint32_t i = 0; i < t->cols.n; i++) {
    int found;
    Value v = world_field(h, kind, row, t->cols.p[i].name, &found);
    if (!found || v.tag == T_NIL) continue;
    buf_puts(h, b, first ? "{" : ", ");
    buf_printf(h, b, "%s: ", t->cols.p[i].name->s);
    short_value(h, b, v);
    first = 0;
  }
  if (!first) buf_putc(h, b, '}');
}

static void field_text(H *h, Buf *b, int kind, uint32_t row, HStr *f) {
  int found;
  Value v = world_field(h, kind, row, f, &found);
  if (v.tag == T_NIL) buf_puts(h, b, "?");
  else v_print(h, b, v, 0);
}

/* A deal or loan in one line: `PAK -> USA, crude_oil, 70M USD, 2025-10 {volume: 200 t}`. */
static void entity_text(H *h, Buf *b, int kind, uint32_t row) {
  World *w = h->world;
  int found;
  if (kind == K_DEAL) {
    field_text(h, b, kind, row, w->f_exporter);
    buf_puts(h, b, " -> ");
    field_text(h, b, kind, row, w->f_importer);
    buf_puts(h, b, ", ");
    field_text(h, b, kind, row, w->f_commodity);
    buf_puts(h, b, ", ");
    field_text(h, b, kind, row, w->f_value);
    Value d = world_field(h, kind, row, w->f_date, &found);
    if (d.tag != T_NIL) { buf_puts(h, b, ", "); v_print(h, b, d, 0); }
  } else if (kind == K_LOAN) {
    field_text(h, b, kind, row, w->f_lender);
    buf_puts(h, b, " -> ");
    field_text(h, b, kind, row, w->f_borrower);
    buf_puts(h, b, ", ");
    field_text(h, b, kind, row, w->f_principal);
    Value d = world_field(h, kind, row, w->f_start, &found);
    if (d.tag != T_NIL) { buf_puts(h, b, ", from "); v_print(h, b, d, 0); }
    Value t = world_field(h, kind, row, w->f_term, &found);
    if (t.tag != T_NIL) { buf_puts(h, b, " for "); v_print(h, b, t, 0); }
  }
  size_t at = b->n;
  if (kind == K_DEAL || kind == K_LOAN) buf_putc(h, b, ' ');
  size_t before = b->n;
  attrs(h, b, kind, row);
  if (b->n == before) buf_cut(b, at);
}

static void rule_line(H *h, Buf *b, Rule *r) {
  char lb[512];
  buf_puts(h, b, r->warn ? "warn" : "rule");
  if (r->title) buf_printf(h, b, " \"%s\"", r->title->s);
  buf_printf(h, b, "  %s", hx_locstr(h, r->node->loc, lb, sizeof lb));
}

static void scenario_line(H *h, Buf *b, Scenario *s) {
  char lb[512];
  int any = 0;
  if (s->title) { buf_printf(h, b, "\"%s\"", s->title->s); any = 1; }
  if (s->parent) { buf_printf(h, b, "%sextends %s", any ? " " : "", s->parent->s); any = 1; }
  buf_printf(h, b, "%s%s", any ? "  " : "", hx_locstr(h, s->loc, lb, sizeof lb));
}

static void unit_line(H *h, Buf *b, Unit *u) {
  char db[128];
  const char *base = dim_name(h, u->dim, db, sizeof db);
  if (strcmp(base, u->name->s) == 0 && u->factor == 1) { buf_puts(h, b, "base unit"); return; }
  buf_printf(h, b, "1 %s = ", u->name->s);
  v_num_print(b, h, u->factor);
  buf_printf(h, b, " %s", base);
}

/* ---- hedge_names ------------------------------------------------------------------ */

typedef struct NamesCtx {
  const char *scenario;
  int what, detail;
  hedge_NameFn fn; void *ud;
  int count, stopped;
  Buf b;
} NamesCtx;

/* Counts a name; tells the host while it still listens. Returns 0 once
** the host has stopped listening (the caller may then just count). */
static int give(NamesCtx *c, const char *name, const char *detail) {
  c->count++;
  if (c->stopped || !c->fn) return 0;
  if (c->fn(c->ud, name, c->detail ? (detail ? detail : "") : NULL)) c->stopped = 1;
  return !c->stopped;
}
static int listening(NamesCtx *c) { return !c->stopped && c->fn; }

static void names_body(H *h, void *ud) {
  NamesCtx *c = ud;
  Program *p = h->prog;
  Buf *b = &c->b;
  char nb[160];
  switch (c->what) {
    case HEDGE_NAMES_PARTNERS: case HEDGE_NAMES_COMMODITIES: case HEDGE_NAMES_DEALS: case HEDGE_NAMES_LOANS: {
      int kind = c->what - HEDGE_NAMES_PARTNERS;
      uint32_t n = world_count(h, kind);
      for (uint32_t i = 0; i < n && listening(c); i++) {
        uint32_t row = world_nth(h, kind, i);
        buf_cut(b, 0);
        if (c->detail) {
          if (kind == K_DEAL || kind == K_LOAN) entity_text(h, b, kind, row);
          else attrs(h, b, kind, row);
        }
        give(c, world_name(h, kind, row, nb, sizeof nb), buf_cstr(h, b));
      }
      c->count = (int)n;
      return;
    }
    case HEDGE_NAMES_RULES:
      for (uint32_t i = 0; i < p->rules.n; i++) {
        buf_cut(b, 0);
        if (c->detail && listening(c)) rule_line(h, b, &p->rules.p[i]);
        give(c, p->rules.p[i].name->s, buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_FUNCTIONS: case HEDGE_NAMES_LETS:
      for (uint32_t i = 0; i < p->globals.n; i++) {
        Global *g = p->globals.p[i];
        if (g->kind != (c->what == HEDGE_NAMES_LETS ? G_LET : G_FUNC)) continue;
        buf_cut(b, 0);
        if (c->detail && listening(c)) {
          char lb[512];
          if (g->kind == G_FUNC) {
            if (g->value.as.fn->kind == F_EXTERN) buf_puts(h, b, "extern ");
            fn_head(h, b, g->value.as.fn);
          } else {
            /* a let that reads the world shows its value in this world */
            if ((g->world_dep || g->scen_expr) && g->version != h->world->version) eval_let_refresh(h, g);
            short_value(h, b, g->value);
          }
          buf_printf(h, b, "  %s", hx_locstr(h, g->loc, lb, sizeof lb));
        }
        give(c, g->name->s, buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_BUILTINS:
      for (uint32_t i = 0; i < p->builtins.n; i++) {
        Function *f = p->builtins.p[i];
        buf_cut(b, 0);
        if (c->detail && listening(c)) fn_head(h, b, f);
        give(c, f->name->s, buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_SCENARIOS:
      for (uint32_t i = 0; i < p->scenarios.n; i++) {
        buf_cut(b, 0);
        if (c->detail && listening(c)) scenario_line(h, b, &p->scenarios.p[i]);
        give(c, p->scenarios.p[i].name->s, buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_UNITS:
      for (uint32_t i = 0; i < h->units->units.n; i++) {
        Unit *u = &h->units->units.p[i];
        buf_cut(b, 0);
        if (c->detail && listening(c)) unit_line(h, b, u);
        give(c, u->name->s, buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_TESTS:
      for (uint32_t i = 0; i < p->tests.n; i++) {
        buf_cut(b, 0);
        if (c->detail && listening(c)) buf_puts(h, b, hx_locstr(h, p->tests.p[i].node->loc, nb, sizeof nb));
        give(c, p->tests.p[i].name->s, buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_COLLECTIONS:
      for (int k = 0; k < K_NKINDS; k++) {
        buf_cut(b, 0);
        if (c->detail && listening(c)) {
          uint32_t n = world_count(h, k);
          buf_printf(h, b, "%u %s", n, n == 1 ? kind_names[k] : coll_names[k]);
        }
        give(c, coll_names[k], buf_cstr(h, b));
      }
      return;
    case HEDGE_NAMES_KEYWORDS:
      for (int k = TK_FIRST_KW; k <= TK_LAST_KW; k++) give(c, lex_keyword_spelling((TokKind)k), "");
      /* words with a meaning only in their place (not reserved) */
      give(c, "group", "");
      give(c, "fiscal", "");
      give(c, "by", "");
      return;
    case HEDGE_NAMES_GLOBALS: {
      static const char *const gk[] = {"let", "entity", "fn", "rule", "scenario", "unit"};
      for (uint32_t i = 0; i < p->globals.n; i++) {
        Global *g = p->globals.p[i];
        const char *d = g->kind == G_ENTITY ? kind_names[g->value.kind] : (unsigned)g->kind < 6 ? gk[g->kind] : "";
        give(c, g->name->s, d);
      }
      return;
    }
    default:
      hx_error_status(h, HEDGE_EUSAGE, (Loc){-1, 0, 0}, "hedge_names: unknown kind of name %d", c->what);
  }
}

static void names_apply_body(H *h, void *ud) {
  NamesCtx *c = ud;
  scenario_apply(h, prog_scenario_need(h, c->scenario), (Loc){-1, 0, 0});
  names_body(h, ud);
}

/* Under a scenario: applied, listed, rolled back (also after an error). */
static void names_scen_body(H *h, void *ud) {
  ProgMark pm = prog_mark(h);
  h->world->logging++;
  int st = hx_pcall(h, names_apply_body, ud);
  prog_rollback(h, pm);
  if (st != HEDGE_OK) hx_throw(h, st);
}

int hedge_names(hedge_State *h, int what, int detail, hedge_NameFn fn, void *ud) {
  return hedge_names_in(h, NULL, what, detail, fn, ud);
}

int hedge_names_in(hedge_State *h, const char *scenario, int what, int detail, hedge_NameFn fn, void *ud) {
  if (!h) return -1;
  NamesCtx c;
  memset(&c, 0, sizeof c);
  c.scenario = scenario;
  c.what = what; c.detail = detail; c.fn = fn; c.ud = ud;
  int st = protect(h, scenario ? names_scen_body : names_body, &c);
  buf_free(h, &c.b);
  return st == HEDGE_OK ? c.count : -1;
}

/* ---- hedge_fields ------------------------------------------------------------------ */

typedef struct FieldsCtx {
  const char *of;
  hedge_NameFn fn; void *ud;
  int count, stopped;
  const char *seen[64]; int nseen;
} FieldsCtx;

static void give_field(FieldsCtx *c, const char *name) {
  for (int i = 0; i < c->nseen; i++) if (strcmp(c->seen[i], name) == 0) return;
  if (c->nseen < 64) c->seen[c->nseen++] = name;
  c->count++;
  if (!c->stopped && c->fn && c->fn(c->ud, name, NULL)) c->stopped = 1;
}

/* What a segment of `of` denotes while walking it. */
typedef struct Walk { int kind; int has_row; uint32_t row; int is_rec; Rec *rec; } Walk;

static int kind_word(const char *s, size_t n) {
  static const char *const single[K_NKINDS] = {"partner", "commodity", "deal", "loan"};
  for (int k = 0; k < K_NKINDS; k++)
    if ((strlen(coll_names[k]) == n && memcmp(coll_names[k], s, n) == 0) ||
        (strlen(single[k]) == n && memcmp(single[k], s, n) == 0)) return k;
  return -1;
}

static int walk_value(Walk *w, Value v) {
  memset(w, 0, sizeof *w);
  if (v.tag == T_ENT) { w->kind = v.kind; w->has_row = 1; w->row = (uint32_t)v.i; return 1; }
  if (v.tag == T_REC) { w->kind = -1; w->is_rec = 1; w->rec = v.as.rec; return 1; }
  return 0;
}

static void fields_body(H *h, void *ud) {
  FieldsCtx *c = ud;
  World *wd = h->world;
  const char *s = c->of;
  Walk w;
  memset(&w, 0, sizeof w);
  w.kind = -1;
  c->count = -1;
  /* first segment */
  const char *e = strchr(s, '.');
  size_t n = e ? (size_t)(e - s) : strlen(s);
  if (!n) return;
  HStr *name = mem_intern_find(h, s, n);
  Global *g = name ? prog_global_find(h, name) : NULL;
  if (g && (g->kind == G_ENTITY || g->kind == G_LET)) { if (!walk_value(&w, g->value)) return; }
  else if ((w.kind = kind_word(s, n)) < 0) return;
  /* further segments: entity-valued fields, record keys */
  while (e) {
    s = e + 1;
    e = strchr(s, '.');
    n = e ? (size_t)(e - s) : strlen(s);
    HStr *f = mem_intern_find(h, s, n);
    if (!f) return;
    if (w.is_rec) {
      Value *v = rec_get(w.rec, f);
      if (!v || !walk_value(&w, *v)) return;
      continue;
    }
    if (w.has_row) {
      int found;
      Value v = world_field(h, w.kind, w.row, f, &found);
      if (!found || !walk_value(&w, v)) return;
      continue;
    }
    int k = -1;
    if (w.kind == K_DEAL && (f == wd->f_exporter || f == wd->f_importer)) k = K_PARTNER;
    else if (w.kind == K_DEAL && f == wd->f_commodity) k = K_COMMODITY;
    else if (w.kind == K_LOAN && (f == wd->f_lender || f == wd->f_borrower)) k = K_PARTNER;
    if (k < 0) return;
    w.kind = k;
  }
  c->count = 0;
  if (w.is_rec) {
    for (uint32_t i = 0; i < w.rec->n; i++) give_field(c, w.rec->keys[i]->s);
    return;
  }
  for (const FieldSpec *f = world_schema(w.kind); f->name; f++) give_field(c, f->name);
  Table *t = &wd->t[w.kind];
  for (uint32_t i = 0; i < t->cols.n; i++) give_field(c, t->cols.p[i].name->s);
}

int hedge_fields(hedge_State *h, const char *of, hedge_NameFn fn, void *ud) {
  if (!h || !of) return -1;
  FieldsCtx c;
  memset(&c, 0, sizeof c);
  c.of = of; c.fn = fn; c.ud = ud;
  int st = protect(h, fields_body, &c);
  if (st != HEDGE_OK) { h->err_status = HEDGE_OK; return -1; }
  return c.count;
}

/* ---- hedge_help --------------------------------------------------------------------- */

static const struct { const char *kw, *text; } kw_help[] = {
  {"partner", "partner NAME [RECORD] {, NAME [RECORD]}\n  Declares trading partners: `partner PAK { name: \"Pakistan\" }`."},
  {"commodity", "commodity NAME [RECORD] {, NAME [RECORD]}\n  Declares commodities: `commodity crude_oil { kind: \"energy\" }`."},
  {"deal", "deal [NAME] RECORD\n  A trade: needs exporter, importer, commodity, value (money); may have volume, date, attributes."},
  {"loan", "loan [NAME] RECORD\n  A loan: needs lender, borrower, principal (money); may have rate, start, term, attributes."},
  {"unit", "unit NAME [= FACTOR UNIT]\n  `unit MWh` declares a base unit; `unit PKR = 0.0036 USD` one of an existing dimension."},
  {"let", "let NAME = EXPR\n  Binds a value (at the REPL, may be rebound)."},
  {"fn", "fn NAME(a, b, c = DEFAULT) = EXPR\n  Defines a function (at the REPL, may be redefined)."},
  {"rule", "rule NAME [\"title\"]: EXPR\n  A constraint that must hold; a failure fails the check. At the REPL it is checked at once."},
  {"warn", "warn NAME [\"title\"]: EXPR\n  An advisory rule: reported, does not fail the check."},
  {"print", "print EXPR\n  Evaluates and prints."},
  {"import", "import \"file.hedge\"\n  Loads a file once, relative to the importing file, then along HEDGE_PATH."},
  {"use", "use \"file.lua\" | use NAME\n  Loads a Lua extension; its functions become hedge functions."},
  {"extern", "extern \"lib.so\" fn NAME(x: double) -> double\n  A C function through libffi (needs --allow-ffi)."},
  {"load", "load KIND from \"file.csv\" [{ field: COLUMN [UNIT], key: COLUMN }]\n  Loads partners, commodities, deals or loans from a CSV file."},
  {"from", "load KIND from \"file.csv\"; also a label: imports(a, from: b)."},
  {"scenario", "scenario NAME [\"title\"] [extends OTHER] { drop ... update ... declarations }\n  A changed world, checked with :scenario NAME / hedge check --scenario NAME."},
  {"extends", "scenario NAME extends OTHER { ... }\n  Applies OTHER's changes first."},
  {"drop", "drop x in COLL [where COND]\n  Inside a scenario or test: removes the matching entities."},
  {"update", "update x in COLL [where COND] { field: EXPR }\n  Inside a scenario or test: changes fields of the matching entities."},
  {"test", "test \"name\" { ... expect ... }\n  A test block, run by hedge test on a fresh copy of the world."},
  {"expect", "expect pass RULE | expect fail RULE | expect EXPR\n  Inside a test block."},
  {"pass", "expect pass RULE: inside a test block."},
  {"fail", "expect fail RULE: inside a test block."},
  {"forall", "forall x in COLL [, y in COLL2] [where COND]: EXPR\n  True when EXPR holds for every binding (true when empty)."},
  {"exists", "exists x in COLL [, y in COLL2] [where COND]: EXPR\n  True when EXPR holds for some binding (false when empty)."},
  {"in", "x in COLL binds a variable in a quantifier or comprehension; `a in LIST` tests membership."},
  {"where", "... where COND\n  Filters the bindings of a quantifier, comprehension, drop or update."},
  {"and", "a and b: both (short-circuit)."},
  {"or", "a or b: either (short-circuit)."},
  {"not", "not a: negation."},
  {"if", "if C then A else B"},
  {"then", "if C then A else B"},
  {"else", "if C then A else B"},
  {"true", "The boolean true."},
  {"false", "The boolean false."},
  {"nil", "No value: a missing attribute reads as nil."},
  {"group", "group NAME = [PARTNER, ...]\n  A named list of partners, usable as a partner in every standard query: exports(PAK, to: EU).\n  As a query's subject it trades as one: deals between its members are left out (imports(EU) is extra-EU)."},
  {"fiscal", "fiscal year starts MM\n  Years become fiscal years named by the year they end in: with 07, year: 2025 is FY2024-25\n  (2024-07-01 to 2025-06-30); a date known only to the year names a fiscal year."},
  {"by", "AGGREGATE(x in xs: EXPR) by KEY\n  One result per value of KEY, as a record: sum(p in partners: exports(PAK, to: p)) by p.region.\n  Also sort(xs, by: f), top(k, xs, by: f): rank by f(x)."},
  {"since", "since: S, until: U\n  A period in the trade figures: years (whole, inclusive) or dates: exports(PAK, since: 2023, until: 2025)."},
  {"until", "since: S, until: U\n  A period in the trade figures: years (whole, inclusive) or dates: exports(PAK, since: 2024-07, until: 2025-06)."},
  {"^", "a ^ n\n  Power, right-associative, above * and /: (2 t) ^ 2 is 4 t^2; a fractional power needs a plain number."},
  {"slice", "xs[a:b]\n  The elements from index a up to, not including, b; a negative bound counts from the end: xs[-2:], xs[:3]."},
};

typedef struct HelpCtx { const char *name; } HelpCtx;

static void indent_text(H *h, Buf *b, const char *t, size_t n, int maxlines) {
  int lines = 0;
  buf_puts(h, b, "  ");
  for (size_t i = 0; i < n; i++) {
    if (t[i] == '\r') continue;
    buf_putc(h, b, t[i]);
    if (t[i] == '\n') {
      if (++lines >= maxlines && i + 1 < n) { buf_puts(h, b, "  ...\n"); return; }
      if (i + 1 < n) buf_puts(h, b, "  ");
    }
  }
  buf_putc(h, b, '\n');
}

static void help_function(H *h, Buf *b, Function *f, Loc loc) {
  char lb[512];
  if (f->kind == F_USER) {
    buf_puts(h, b, "fn ");
    fn_head(h, b, f);
    size_t n;
    const char *t = parse_node_text(h, f->body, &n);
    buf_puts(h, b, " =\n");
    indent_text(h, b, t, n, 20);
    buf_printf(h, b, "  declared at %s\n", hx_locstr(h, loc, lb, sizeof lb));
    return;
  }
  if (f->kind == F_EXTERN) buf_puts(h, b, "extern fn ");
  fn_head(h, b, f);
  buf_putc(h, b, '\n');
  if (f->doc) indent_text(h, b, f->doc, strlen(f->doc), 40);
  switch (f->kind) {
    case F_BUILTIN: buf_puts(h, b, f->aggregate ? "  (built-in aggregate: takes a comprehension, `f(x in xs where C: EXPR)`)\n" : "  (built-in)\n"); break;
    case F_LUA: buf_puts(h, b, "  (Lua: the standard library or an extension)\n"); break;
    case F_HOST: buf_puts(h, b, "  (registered by the host program)\n"); break;
    case F_EXTERN: buf_printf(h, b, "  (C function through libffi) declared at %s\n", hx_locstr(h, loc, lb, sizeof lb)); break;
    default: break;
  }
}

static void help_body(H *h, void *ud) {
  HelpCtx *c = ud;
  Buf *b = &h->result;
  buf_cut(b, 0);
  const char *name = c->name;
  size_t len = strlen(name);
  char lb[512], nb[160];
  HStr *hs = mem_intern_find(h, name, len);
  Global *g = hs ? prog_global_find(h, hs) : NULL;
  if (g) {
    switch (g->kind) {
      case G_FUNC: help_function(h, b, g->value.as.fn, g->loc); return;
      case G_LET:
        buf_printf(h, b, "let %s = ", name);
        v_print(h, b, g->value, 1);
        buf_printf(h, b, "\n  declared at %s\n", hx_locstr(h, g->loc, lb, sizeof lb));
        return;
      case G_RULE:
        for (uint32_t i = 0; i < h->prog->rules.n; i++) {
          Rule *r = &h->prog->rules.p[i];
          if (r->name != hs) continue;
          buf_printf(h, b, "%s %s", r->warn ? "warn" : "rule", name);
          if (r->title) buf_printf(h, b, " \"%s\"", r->title->s);
          buf_printf(h, b, "\n  declared at %s\n", hx_locstr(h, r->node->loc, lb, sizeof lb));
          size_t n;
          const char *t = parse_node_text(h, r->node, &n);
          if (n) indent_text(h, b, t, n, 20);
        }
        return;
      case G_SCENARIO: {
        Scenario *s = prog_scenario_find(h, hs);
        buf_printf(h, b, "scenario %s", name);
        if (s && s->title) buf_printf(h, b, " \"%s\"", s->title->s);
        if (s && s->parent) buf_printf(h, b, " extends %s", s->parent->s);
        buf_printf(h, b, "\n  declared at %s\n", hx_locstr(h, g->loc, lb, sizeof lb));
        if (s) {
          size_t n;
          const char *t = parse_node_text(h, s->node, &n);
          if (n) indent_text(h, b, t, n, 20);
        }
        return;
      }
      case G_ENTITY: {
        int k = g->value.kind;
        uint32_t row = (uint32_t)g->value.i;
        buf_printf(h, b, "%s %s", kind_names[k], world_name(h, k, row, nb, sizeof nb));
        size_t at = b->n;
        buf_puts(h, b, k == K_DEAL || k == K_LOAN ? ": " : " ");
        size_t before = b->n;
        if (k == K_DEAL || k == K_LOAN) entity_text(h, b, k, row); else attrs(h, b, k, row);
        if (b->n == before) buf_cut(b, at);
        buf_printf(h, b, "\n  declared at %s\n", hx_locstr(h, g->loc, lb, sizeof lb));
        return;
      }
      default: break;
    }
  }
  Function *f = hs ? prog_builtin_find(h, hs) : NULL;
  if (f) { help_function(h, b, f, f->loc); return; }
  int k = kind_word(name, len);
  if (k >= 0 && strcmp(name, coll_names[k]) == 0) {
    uint32_t n = world_count(h, k);
    buf_printf(h, b, "%s: the collection of every %s, in declaration order (%u now)\n", name, kind_names[k], n);
    buf_printf(h, b, "  iterate it: forall x in %s: ..., sum(x in %s: ...); :list %s shows them\n", name, name, name);
    return;
  }
  for (uint32_t i = 0; i < h->units->units.n; i++) {
    Unit *u = &h->units->units.p[i];
    if (strcmp(u->name->s, name) != 0) continue;
    buf_printf(h, b, "unit %s: ", name);
    unit_line(h, b, u);
    if (u->loc.src >= 0) buf_printf(h, b, "\n  declared at %s", hx_locstr(h, u->loc, lb, sizeof lb));
    buf_putc(h, b, '\n');
    return;
  }
  for (size_t i = 0; i < sizeof kw_help / sizeof kw_help[0]; i++)
    if (strcmp(kw_help[i].kw, name) == 0) { buf_printf(h, b, "%s\n", kw_help[i].text); return; }
  Suggest sg;
  suggest_init(&sg, name, len);
  Program *p = h->prog;
  for (uint32_t i = 0; i < p->globals.n; i++) suggest_try(&sg, p->globals.p[i]->name->s);
  for (uint32_t i = 0; i < p->builtins.n; i++) suggest_try(&sg, p->builtins.p[i]->name->s);
  for (int j = 0; j < K_NKINDS; j++) suggest_try(&sg, coll_names[j]);
  for (size_t i = 0; i < sizeof kw_help / sizeof kw_help[0]; i++) suggest_try(&sg, kw_help[i].kw);
  if (sg.best) hx_error_at(h, (Loc){-1, 0, 0}, "no help for '%s': nothing of that name is declared (did you mean %s?)", name, sg.best);
  hx_error_at(h, (Loc){-1, 0, 0}, "no help for '%s': nothing of that name is declared", name);
}

const char *hedge_help(hedge_State *h, const char *name) {
  if (!h || !name) return NULL;
  HelpCtx c = {name};
  int st = protect(h, help_body, &c);
  return st == HEDGE_OK ? buf_cstr(h, &h->result) : NULL;
}

/* ---- hedge_suggest -------------------------------------------------------------------- */

const char *hedge_suggest(const char *name, const char *const *candidates) {
  if (!name || !candidates) return NULL;
  Suggest sg;
  suggest_init(&sg, name, strlen(name));
  for (int i = 0; candidates[i]; i++) suggest_try(&sg, candidates[i]);
  return sg.best;
}

int hedge_files(hedge_State *h, hedge_NameFn fn, void *ud) {
  if (!h || !h->prog) return 0;
  int n = (int)h->prog->read.n, stop = 0;
  for (int i = 0; i < n && !stop; i++) if (fn) stop = fn(ud, h->prog->read.p[i]->s, NULL);
  return n;
}
