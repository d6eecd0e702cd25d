/*
** exec.c: the program: globals, functions, rules, scenarios and tests, and
** the execution of statements in order. Declarations of entities check
** their fields here (unknown partner 'CHM' (did you mean CHN?)).
*/
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "eval.h"
#include "hfile.h"
#include "units.h"
#include "extern.h"
#include "exec.h"
#include "resolve.h"
#include "load.h"
#include "files.h"
#include "luabridge.h"

/* ---- declarations ------------------------------------------------------------- */

static void duplicate(H *h, HStr *name, Loc loc, Loc first, const char *what) {
  hx_error_begin(h, HEDGE_ERROR, loc, (int)name->len, "'%s' is already declared%s", name->s, what);
  if (first.src >= 0) hx_error_note(h, first, "first declared here");
  hx_error_end(h);
}

static int allow_redefine(H *h);

static void check_fresh(H *h, HStr *name, Loc loc) {
  Global *g = prog_global_find(h, name);
  if (g) duplicate(h, name, loc, g->loc, "");
  static const char *const reserved[] = {"partners", "commodities", "deals", "loans"};
  for (int i = 0; i < 4; i++)
    if (strcmp(name->s, reserved[i]) == 0)
      hx_error_at(h, loc, "'%s' is the name of a collection; choose another name", name->s);
}

/* The value of an entity field written as a bare name: looked up among
** entities of the wanted kind so the message can say "unknown partner". */
static Value entity_ref(H *h, Node *v, int want, const char *field) {
  if (v->kind == N_NAME) {
    Global *g = prog_global_find(h, v->u.name);
    if (g && g->kind == G_ENTITY) {
      /* what resolving and evaluating the name gives (one step), without a frame */
      hx_step(h, v->loc);
      v->kind = N_CONST;
      v->u.cnst.v = g->value;
      v->u.cnst.name = g->name;
      return g->value;
    }
    if (!g) {
      Suggest sg;
      suggest_init(&sg, v->u.name->s, v->u.name->len);
      Table *t = &h->world->t[want];
      for (uint32_t r = 0; r < t->n; r++) if (t->names[r] && world_alive(h->world, want, r)) suggest_try(&sg, t->names[r]->s);
      if (sg.best) hx_error_span(h, v->loc, (int)v->u.name->len, "unknown %s '%s' (did you mean %s?)", kind_names[want], v->u.name->s, sg.best);
      hx_error_span(h, v->loc, (int)v->u.name->len, "unknown %s '%s' in field %s", kind_names[want], v->u.name->s, field);
    }
  }
  int n = resolve_expr(h, v);
  return eval_root(h, v, n);
}

/* Declares the fields of a record on a row: an entity field written as a
** bare name is looked up among entities of its kind. */
static void set_fields(H *h, int kind, uint32_t row, Node *rec) {
  World *w = h->world;
  for (uint32_t i = 0; i < rec->u.fields.n; i++) {
    Field *f = &rec->u.fields.p[i];
    Value v;
    int want = -1;
    if (kind == K_DEAL && (f->name == w->f_exporter || f->name == w->f_importer)) want = K_PARTNER;
    if (kind == K_DEAL && f->name == w->f_commodity) want = K_COMMODITY;
    if (kind == K_LOAN && (f->name == w->f_lender || f->name == w->f_borrower)) want = K_PARTNER;
    if (want >= 0) v = entity_ref(h, f->value, want, f->name->s);
    else {
      int n = resolve_expr(h, f->value);
      v = eval_root(h, f->value, n);
    }
    world_set_field(h, kind, row, f->name, v, f->value->loc);
  }
}

/* ---- repeated declarations (modules) ----------------------------------------------
** Two files that both declare `partner PAK` load together: a named
** declaration repeated with identical fields is the same declaration. With
** different fields it is an error that shows both places. Anonymous deals
** and loans are never merged (two identical shipments are two). */

_Noreturn static void exec_differs(H *h, HStr *name, Loc here, Loc first, const char *what, const char *a, const char *b) {
  if (a) hx_error_begin(h, HEDGE_ERROR, here, (int)name->len, "'%s' is declared again with a different %s: %s here, %s where it was first declared",
                        name->s, what, b, a);
  else hx_error_begin(h, HEDGE_ERROR, here, (int)name->len, "'%s' is declared again with a different %s (a repeated declaration must be identical)",
                      name->s, what);
  if (first.src >= 0) hx_error_note(h, first, "first declared here");
  hx_error_end(h);
}

static int same_title(HStr *a, HStr *b) {
  if (!a || !b) return a == b;
  return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

static const char *shown(H *h, Value v, char *buf, size_t n) {
  if (v.tag == T_NIL) { snprintf(buf, n, "absent"); return buf; }
  return v_show(h, v, buf, n);
}

/* The entity `row` of kind k against a repeat of its declaration: the
** repeat is declared on a scratch row (its fields checked as usual), every
** field of the two rows compared, and the scratch row rolled back. */
static void same_entity(H *h, Node *s, Global *g) {
  int k = s->u.ent.ekind;
  uint32_t row = (uint32_t)g->value.i;
  WorldMark m = world_mark(h);
  uint32_t r2 = world_add(h, k, NULL, s->loc);
  if (s->u.ent.rec) set_fields(h, k, r2, s->u.ent.rec);
  world_check_required(h, k, r2, s->loc);
  World *w = h->world;
  Table *t = &w->t[k];
  HStr *builtin[8] = {0};
  int nb = 0;
  if (k == K_DEAL) { HStr *b[] = {w->f_exporter, w->f_importer, w->f_commodity, w->f_value, w->f_date}; for (int i = 0; i < 5; i++) builtin[nb++] = b[i]; }
  if (k == K_LOAN) { HStr *b[] = {w->f_lender, w->f_borrower, w->f_principal, w->f_start, w->f_term}; for (int i = 0; i < 5; i++) builtin[nb++] = b[i]; }
  uint32_t nf = (uint32_t)nb + t->cols.n;
  for (uint32_t i = 0; i < nf; i++) {
    HStr *f = i < (uint32_t)nb ? builtin[i] : t->cols.p[i - (uint32_t)nb].name;
    int found;
    Value a = world_field(h, k, row, f, &found), b = world_field(h, k, r2, f, &found);
    int eq = (a.tag == T_NUM || a.tag == T_QTY) && (b.tag == T_NUM || b.tag == T_QTY) ? v_compare(h, a, b, s->loc) == 0 : v_equal(h, a, b);
    if (a.tag == T_QTY && b.tag == T_QTY && a.dim != b.dim) eq = 0;
    if (!eq) {
      char b1[120], b2[120], what[160];
      snprintf(what, sizeof what, "field '%s'", f->s);
      shown(h, a, b1, sizeof b1);
      shown(h, b, b2, sizeof b2);
      world_rollback(h, m);
      exec_differs(h, s->u.ent.name, s->u.ent.nameloc, g->loc, what, b1, b2);
    }
  }
  world_rollback(h, m);
}

/* The text of a node with blanks and comments left out: two spellings of
** one definition that differ only in layout compare equal. */
static char *squeezed(H *h, const Node *n) {
  size_t len;
  const char *t = parse_node_text(h, n, &len);
  char *out = arena_alloc(h, &h->temp, len + 1);
  size_t k = 0;
  int in_str = 0;
  for (size_t i = 0; i < len; i++) {
    char c = t[i];
    if (in_str) {
      out[k++] = c;
      if (c == '\\' && i + 1 < len) out[k++] = t[++i];
      else if (c == '"') in_str = 0;
      continue;
    }
    if (c == '"') { in_str = 1; out[k++] = c; continue; }
    if (c == '#') { while (i < len && t[i] != '\n') i++; continue; }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    out[k++] = c;
  }
  out[k] = 0;
  return out;
}

static int same_text(H *h, const Node *a, const Node *b) {
  if (!a || !b) return a == b;
  return strcmp(squeezed(h, a), squeezed(h, b)) == 0;
}

/* A repeated `fn`: the same parameters (names and defaults) and body. */
static int same_fn(H *h, Function *f, Node *s) {
  if (f->kind != F_USER || f->params.n != s->u.fn.params.n) return 0;
  for (uint32_t i = 0; i < f->params.n; i++) {
    Param *a = &f->params.p[i], *b = &s->u.fn.params.p[i];
    if (a->name != b->name || !same_text(h, a->def, b->def)) return 0;
  }
  return same_text(h, f->body, s->u.fn.body);
}

static void exec_entity(H *h, Node *s) {
  int k = s->u.ent.ekind;
  HStr *name = s->u.ent.name;
  if (name) {
    Global *g = prog_global_find(h, name);
    if (g && g->kind == G_ENTITY && g->value.tag == T_ENT && g->value.kind == k) { same_entity(h, s, g); return; }
    check_fresh(h, name, s->u.ent.nameloc);
  }
  uint32_t row = world_add(h, k, name, s->loc);
  if (name) prog_global_add(h, name, G_ENTITY, v_ent(k, (int32_t)row), s->u.ent.nameloc);
  if (s->u.ent.rec) set_fields(h, k, row, s->u.ent.rec);
  world_check_required(h, k, row, s->loc);
}

static void check_not_builtin(H *h, HStr *name, Loc loc);

static void exec_fn(H *h, Node *s) {
  check_not_builtin(h, s->u.fn.name, s->u.fn.nameloc);
  Global *old = prog_global_find(h, s->u.fn.name);
  if (old && old->kind == G_FUNC && old->value.tag == T_FUNC && !allow_redefine(h)) {
    if (same_fn(h, old->value.as.fn, s)) return;   /* the same function, declared again */
    if (old->value.as.fn->kind == F_USER) exec_differs(h, s->u.fn.name, s->u.fn.nameloc, old->loc, "definition", NULL, NULL);
  }
  if (!old || !(allow_redefine(h) && old->kind == G_FUNC)) check_fresh(h, s->u.fn.name, s->u.fn.nameloc);
  Function *f = arena_alloc(h, &h->perm, sizeof *f);
  memset(f, 0, sizeof *f);
  f->kind = F_USER;
  f->name = s->u.fn.name;
  f->loc = s->loc;
  f->params = s->u.fn.params;
  f->body = s->u.fn.body;
  if (old) { old->value = v_fn(f); old->loc = s->loc; }
  else prog_global_add(h, f->name, G_FUNC, v_fn(f), s->loc);
}

/* `group EU = [DEU, FRA, ...]`: a named list of distinct partners, usable
** wherever the standard queries take a partner (stdlib.md, Groups). */
static Value group_value(H *h, Node *s, Value v) {
  char b1[80], b2[128];
  Node *e = s->u.let.value;
  if (v.tag != T_LIST && v.tag != T_COLL)
    hx_error_at(h, e->loc, "a group is a list of partners, as in group EU = [DEU, FRA], not %s", v_typename(h, v, b1, sizeof b1));
  if (v.tag == T_COLL && v.kind != K_PARTNER)
    hx_error_at(h, e->loc, "a group is a list of partners, not %s", kind_plural[v.kind]);
  uint32_t n = eval_coll_len(h, v);
  if (n == 0) hx_error_at(h, e->loc, "a group needs at least one partner");
  List *l = list_new(h, &h->temp, n);
  for (uint32_t i = 0; i < n; i++) {
    Value x = eval_coll_get(h, v, i);
    Loc at = e->kind == N_LIST && i < e->u.items.n ? e->u.items.p[i]->loc : e->loc;
    if (x.tag != T_ENT || x.kind != K_PARTNER)
      hx_error_at(h, at, "a group holds partners only, but element %u is %s", i, v_show(h, x, b1, sizeof b1));
    for (uint32_t j = 0; j < i; j++)
      if (l->items[j].i == x.i)
        hx_error_at(h, at, "%s is in the group twice", world_name(h, K_PARTNER, (uint32_t)x.i, b2, sizeof b2));
    l->items[i] = x;
  }
  return v_list(l);
}

/* `fiscal year starts MM`: once per program (repeated with the same month
** it is the same declaration). */
static void exec_fiscal(H *h, Node *s) {
  World *w = h->world;
  int month = (int)s->u.num.v;
  if (w->fy_start != 0) {
    if (w->fy_start == month) return;
    hx_error_begin(h, HEDGE_ERROR, s->loc, 6, "the fiscal year is declared again with another start: month %02d here, %02d where it was first declared", month, w->fy_start);
    hx_error_note(h, w->fy_loc, "first declared here");
    hx_error_end(h);
  }
  w->fy_loc = s->loc;
  world_set_fiscal(h, month);
}

static void exec_let(H *h, Node *s) {
  check_not_builtin(h, s->u.let.name, s->u.let.nameloc);
  Global *old = prog_global_find(h, s->u.let.name);
  int same_name_let = old && old->kind == G_LET && !allow_redefine(h);
  if (!old || !(allow_redefine(h) && old->kind == G_LET)) { if (!same_name_let) check_fresh(h, s->u.let.name, s->u.let.nameloc); }
  int n = resolve_expr(h, s->u.let.value);
  uint64_t version = h->world->version;
  Value v = eval_root(h, s->u.let.value, n);
  if (s->kind == S_GROUP) v = group_value(h, s, v);
  if (same_name_let) {
    /* declared again: the same value is the same declaration */
    int eq = (v.tag == T_NUM || v.tag == T_QTY) && (old->value.tag == T_NUM || old->value.tag == T_QTY)
             ? (v.tag == old->value.tag && v.dim == old->value.dim && num_eq(v.as.num, old->value.as.num)) : v_equal(h, v, old->value);
    if (eq) return;
    char b1[120], b2[120];
    exec_differs(h, s->u.let.name, s->u.let.nameloc, old->loc, "value", v_show(h, old->value, b1, sizeof b1), v_show(h, v, b2, sizeof b2));
  }
  v = v_copy(h, &h->perm, v);
  Global *g = old;
  if (old) { old->value = v; old->loc = s->loc; }
  else g = prog_global_add(h, s->u.let.name, G_LET, v, s->loc);
  /* a let that reads the world follows it: re-evaluated where it is read */
  g->expr = s->u.let.value;
  g->nslots = n;
  g->world_dep = s->kind != S_GROUP && resolve_reads_world(h, s->u.let.value);   /* a group is a fixed list */
  g->version = version;
}

/* `let NAME = EXPR` inside a scenario, for a NAME declared by a `let`: the
** scenario's definition replaces it while the scenario is applied (the
** base one comes back at the rollback). */
void exec_scenario_let(H *h, Node *s) {
  Global *g = prog_global_find(h, s->u.let.name);
  if (!g || g->kind != G_LET) { exec_let(h, s); return; }
  Program *p = h->prog;
  int n = resolve_expr(h, s->u.let.value);
  struct LetUndo u = {g, g->value, g->version, g->scen_expr, g->scen_nslots};
  vec_push(h, &p->letlog, u);
  g->scen_expr = s->u.let.value;
  g->scen_nslots = n;
  g->version = 0;   /* evaluated where it is first read */
}

static void exec_rule(H *h, Node *s) {
  Program *p = h->prog;
  Global *old = prog_global_find(h, s->u.rule.name);
  if (old && allow_redefine(h) && old->kind == G_RULE) {
    for (uint32_t i = 0; i < p->rules.n; i++)
      if (p->rules.p[i].name == s->u.rule.name) {
        p->rules.p[i].node = s; p->rules.p[i].title = s->u.rule.title; p->rules.p[i].warn = s->u.rule.warn;
        p->rules.p[i].linted = 0;
      }
    old->loc = s->loc;
    return;
  }
  if (old && old->kind == G_RULE) {
    /* the same rule declared again (two files import a third's rules) */
    for (uint32_t i = 0; i < p->rules.n; i++) {
      Rule *r = &p->rules.p[i];
      if (r->name != s->u.rule.name) continue;
      if (r->warn == s->u.rule.warn && same_title(r->title, s->u.rule.title) && same_text(h, r->node->u.rule.body, s->u.rule.body)) return;
      exec_differs(h, s->u.rule.name, s->u.rule.nameloc, old->loc, r->warn != s->u.rule.warn ? "kind (rule or warn)" : !same_title(r->title, s->u.rule.title) ? "title" : "body",
              NULL, NULL);
    }
  }
  check_fresh(h, s->u.rule.name, s->u.rule.nameloc);
  Rule r = {s->u.rule.name, s->u.rule.title, s, s->u.rule.warn, 0};
  vec_push(h, &p->rules, r);
  prog_global_add(h, r.name, G_RULE, v_nil(), s->loc);
}

/* The text is built in a buffer the caller frees, even when out of memory. */
typedef struct PrintCtx { Value v; Buf b; } PrintCtx;
static void print_body(H *h, void *ud) {
  PrintCtx *c = ud;
  v_print(h, &c->b, c->v, 0);
  buf_putc(h, &c->b, '\n');
  if (h->print_fn) h->print_fn(h->print_ud, c->b.p, c->b.n);
  else buf_put(h, &h->out, c->b.p, c->b.n);
}

static void exec_print(H *h, Node *s) {
  int n = resolve_expr(h, s->u.expr);
  h->default_note[0] = 0;
  PrintCtx c = {eval_root(h, s->u.expr, n), {0}};
  /* a figure whose year came from a default says which (with the warnings) */
  if (h->default_note[0]) { hx_note_at(h, s->loc, "%s", h->default_note); h->default_note[0] = 0; }
  int st = hx_pcall(h, print_body, &c);
  buf_free(h, &c.b);
  if (st != HEDGE_OK) hx_throw(h, st);
}

static int already_loaded(H *h, const char *path) {
  char real[PATH_MAX];
  if (!realpath(path, real)) snprintf(real, sizeof real, "%s", path);
  Program *p = h->prog;
  HStr *k = mem_intern_c(h, real);
  for (uint32_t i = 0; i < p->loaded.n; i++) if (p->loaded.p[i] == k) return 1;
  vec_push(h, &p->loaded, k);
  return 0;
}

typedef struct SrcCtx { int fd; const char *path; Loc at; int id; } SrcCtx;
static void src_body(H *h, void *ud) {
  SrcCtx *c = ud;
  c->id = prog_source_add_fd(h, c->fd, c->path, c->at);
}

static void exec_import(H *h, Node *s) {
  const char *path = s->u.import.path->s;
  Loc at = s->u.import.pathloc;   /* errors about the file point at its name */
  files_require(h, at, (int)s->u.import.path->len + 2, "import", path);
  char *found = prog_find_file(h, s->loc.src, path, 1);
  if (!found) hx_error_span(h, at, (int)s->u.import.path->len + 2, "cannot find '%s' (looked beside this file%s)", path, h->search_path ? " and along HEDGE_PATH" : "");
  if (already_loaded(h, found)) return;
  int fd = files_open(h, found, path, at, "import");
  /* the descriptor is closed even when reading raises */
  SrcCtx sc = {fd, found, at, -1};
  int st = hx_pcall(h, src_body, &sc);
  close(fd);
  if (st != HEDGE_OK) hx_throw(h, st);
  exec_source(h, sc.id);
}

static void exec_use(H *h, Node *s) {
  const char *path = s->u.import.path->s;
  char name[PATH_MAX];
  if (s->u.import.is_name) snprintf(name, sizeof name, "%s.lua", path);
  else snprintf(name, sizeof name, "%s", path);
  /* a module of the standard library needs no file capability: it is
  ** part of the library the host installed */
  int files = (h->caps & HEDGE_CAP_FILES) != 0;
  if (!s->u.import.is_name) files_require(h, s->u.import.pathloc, (int)s->u.import.path->len + 2, "use", path);
  char *found = files ? prog_find_file(h, s->loc.src, name, 1) : NULL;
  int stdlib = 0;
  if (!found && s->u.import.is_name && h->stdlib_dir) {
    char b[PATH_MAX * 2 + 2];
    snprintf(b, sizeof b, "%s/%s", h->stdlib_dir, name);
    if (hfile_is_regular(b)) { found = arena_strdup(h, &h->temp, b, strlen(b)); stdlib = 1; }
  }
  if (!found) {
    if (!files) hx_error_at(h, s->u.import.pathloc, "cannot find Lua extension '%s' in the standard library (this program may not read other files: the host did not grant HEDGE_CAP_FILES)", name);
    hx_error_at(h, s->u.import.pathloc, "cannot find Lua extension '%s' (looked beside this file, along HEDGE_PATH and in the standard library)", name);
  }
  if (already_loaded(h, found)) return;
  int fd = stdlib ? hfile_open(found, name, NULL, 0) : files_open(h, found, name, s->u.import.pathloc, "use");
  if (fd < 0) hx_error_at(h, s->u.import.pathloc, "cannot open Lua extension '%s'", name);
  luabridge_use_fd(h, fd, found, s->loc);   /* closes fd */
}


static void exec_unit(H *h, Node *s) {
  if (s->u.unit.of) units_declare(h, s->u.unit.name, s->u.unit.factor, s->u.unit.of, s->loc, s->u.unit.nameloc, s->u.unit.ofloc);
  else units_declare_base(h, s->u.unit.name, s->loc, s->u.unit.nameloc);
}

static void exec_scenario(H *h, Node *s) {
  Program *p = h->prog;
  check_fresh(h, s->u.scen.name, s->u.scen.nameloc);
  Scenario sc = {s->u.scen.name, s->u.scen.title, s->u.scen.parent, s, s->loc};
  vec_push(h, &p->scenarios, sc);
  prog_global_add(h, sc.name, G_SCENARIO, v_nil(), s->loc);
}

static void exec_test(H *h, Node *s) {
  Program *p = h->prog;
  for (uint32_t i = 0; i < p->tests.n; i++)
    if (p->tests.p[i].name == s->u.scen.name) {
      Loc at = s->u.scen.nameloc;
      at.col++;   /* the name, inside its quotes */
      duplicate(h, s->u.scen.name, at, p->tests.p[i].node->loc, " as a test");
    }
  Test t = {s->u.scen.name, s};
  vec_push(h, &p->tests, t);
}

/* extern "LIB" fn NAME(...) -> TYPE: refused without HEDGE_CAP_FFI; the name
** must be new; extern.c binds it. */
static void exec_extern(H *h, Node *s) {
  if (!(h->caps & HEDGE_CAP_FFI))
    hx_error_at(h, s->loc, "extern is not allowed: C functions run with full access to the machine; grant it with --allow-ffi (or HEDGE_CAP_FFI in hedge_Options.capabilities)");
  check_fresh(h, s->u.fn.name, s->u.fn.nameloc);
  check_not_builtin(h, s->u.fn.name, s->u.fn.nameloc);
  extern_declare(h, s);
}

void exec_statement(H *h, Node *s) {
  switch (s->kind) {
    case S_UNIT: exec_unit(h, s); break;
    case S_ENTITY: exec_entity(h, s); break;
    case S_LET: case S_GROUP: exec_let(h, s); break;
    case S_FISCAL: exec_fiscal(h, s); break;
    case S_FN: exec_fn(h, s); break;
    case S_RULE: exec_rule(h, s); break;
    case S_PRINT: exec_print(h, s); break;
    case S_IMPORT: exec_import(h, s); break;
    case S_USE: exec_use(h, s); break;
    case S_EXTERN: exec_extern(h, s); break;
    case S_LOAD: load_exec(h, s); break;
    case S_SCENARIO: exec_scenario(h, s); break;
    case S_TEST: exec_test(h, s); break;
    case S_EXPR: exec_print(h, s); break;
    default: hx_error_at(h, s->loc, "this statement belongs inside a scenario or test block");
  }
}

void exec_top(H *h, Node *s) {
  if (s->kind == S_PRINT) vec_push(h, &h->prog->prints, s);
  exec_statement(h, s);
}

void exec_print_stmt(H *h, Node *s) { exec_print(h, s); }

/* ---- a file, run as it is read ------------------------------------------------------
** A file is parsed whole before anything in it runs: a syntax error anywhere
** means nothing ran, and it is the error reported. Plain declarations are the
** exception that keeps that promise: a unit, the fiscal year, a let of a
** literal, or a partner, commodity, deal or loan whose fields are literals or
** names (no call, no let, nothing that could print or run Lua), runs as soon
** as it is parsed, while nothing is waiting before it,
** and its syntax tree is dropped at once. Its effects are undone with the
** rest if the load fails (the caller's boundary rolls the program back); if it
** raises, nothing more runs, the rest of the file is still parsed, and its
** error is raised at the end unless a syntax error came first. The first
** statement that is not plain ends the streaming: it and all after it run
** once the whole file has parsed, as before. */

typedef struct SourceRun {
  int src;
  NodeList stmts;        /* waiting to run once the file has parsed (in h->perm) */
  Arena scratch;         /* the declarations' nodes (parse_program_streaming) */
  int streaming;         /* declarations still run as they are read */
  int failed;            /* the status a streamed declaration raised */
} SourceRun;

typedef struct DeclBatch { Node **stmts; uint32_t n; } DeclBatch;

/* A field value whose evaluation is pure: a literal, a negated number, or a
** name that is not a `let` (an entity, or an error about the name). */
static int plain_value(H *h, const Node *v) {
  switch (v->kind) {
    case N_NUM: case N_QTY: case N_STR: case N_DATE: case N_BOOL: case N_NIL: return 1;
    case N_NEG: return v->u.operand->kind == N_NUM || v->u.operand->kind == N_QTY;
    case N_NAME: { Global *g = prog_global_find(h, v->u.name); return !g || g->kind != G_LET; }
    default: return 0;
  }
}

static int plain_decl(H *h, const Node *s) {
  /* `unit PKR = 0.0036 USD`, `fiscal year starts 07`: checked, never evaluated */
  if (s->kind == S_UNIT || s->kind == S_FISCAL) return 1;
  /* `let cap = 40%`: a literal (a name could be a let read lazily) */
  if (s->kind == S_LET) return s->u.let.value->kind != N_NAME && plain_value(h, s->u.let.value);
  if (s->kind != S_ENTITY) return 0;
  if (!s->u.ent.rec) return 1;
  for (uint32_t i = 0; i < s->u.ent.rec->u.fields.n; i++)
    if (!plain_value(h, s->u.ent.rec->u.fields.p[i].value)) return 0;
  return 1;
}

static void run_decls_body(H *h, void *ud) {
  DeclBatch *b = ud;
  for (uint32_t i = 0; i < b->n; i++) exec_top(h, b->stmts[i]);
}

/* ParseDeclHook: runs plain declarations while nothing waits before them. */
static int run_decl_now(H *h, Node **stmts, uint32_t n, void *ud) {
  SourceRun *r = ud;
  if (!r->streaming || r->stmts.n) return 0;   /* a statement waits: run in order after it */
  for (uint32_t i = 0; i < n; i++)
    if (!plain_decl(h, stmts[i])) { r->streaming = 0; return 0; }
  DeclBatch b = {stmts, n};
  int st = hx_pcall(h, run_decls_body, &b);
  if (st != HEDGE_OK) {
    r->streaming = 0;
    if (st != HEDGE_ERROR) hx_throw(h, st);   /* out of memory, a timeout: at once */
    r->failed = st;                           /* its message stays in h->err */
  }
  return 1;
}

static void run_source_body(H *h, void *ud) {
  SourceRun *r = ud;
  parse_program_streaming(h, r->src, &r->stmts, &r->scratch, run_decl_now, r);
  if (r->failed) hx_throw(h, r->failed);
  r->streaming = 0;
  for (uint32_t i = 0; i < r->stmts.n; i++) exec_top(h, r->stmts.p[i]);
}

void exec_source(H *h, int src) {
  SourceRun r;
  memset(&r, 0, sizeof r);
  r.src = src;
  r.streaming = 1;
  int st = hx_pcall(h, run_source_body, &r);
  arena_free(h, &r.scratch);
  if (st != HEDGE_OK) hx_throw(h, st);
}

/* Everything declared is checked before any rule runs: rule bodies and
** function bodies resolve, scenario parents exist, extends has no cycle. */
void exec_finish_load(H *h) {
  Program *p = h->prog;
  for (uint32_t i = 0; i < p->rules.n; i++) {
    resolve_rule(h, &p->rules.p[i]);
    if (!p->rules.p[i].linted) { p->rules.p[i].linted = 1; resolve_lint_rule(h, &p->rules.p[i]); }
  }
  for (uint32_t i = 0; i < p->globals.n; i++) {
    Global *g = p->globals.p[i];
    if (g->kind == G_FUNC && g->value.as.fn->kind == F_USER) resolve_function(h, g->value.as.fn);
  }
  for (uint32_t i = 0; i < p->scenarios.n; i++) {
    Scenario *s = &p->scenarios.p[i];
    int steps = 0;
    for (Scenario *c = s; c->parent; steps++) {
      Scenario *par = prog_scenario_find(h, c->parent);
      if (!par) {
        Suggest sg;
        suggest_init(&sg, c->parent->s, c->parent->len);
        for (uint32_t j = 0; j < p->scenarios.n; j++) suggest_try(&sg, p->scenarios.p[j].name->s);
        if (sg.best) hx_error_at(h, c->node->u.scen.parentloc, "unknown scenario '%s' (did you mean %s?)", c->parent->s, sg.best);
        hx_error_at(h, c->node->u.scen.parentloc, "unknown scenario '%s'", c->parent->s);
      }
      if (par == s || steps > (int)p->scenarios.n)
        hx_error_at(h, s->node->u.scen.parentloc, "scenario '%s' extends itself through a cycle", s->name->s);
      c = par;
    }
  }
}

/* A user `fn`, `let` or `extern` may not take the name of a standard or
** extension function: it would silently change what every later call of
** it answers. */
static void check_not_builtin(H *h, HStr *name, Loc loc) {
  Function *f = prog_builtin_find(h, name);
  if (!f) return;
  const char *what = f->kind == F_LUA ? (f->origin ? f->origin : "the standard library")
                   : f->kind == F_HOST ? "the host program" : "hedge (a built-in function)";
  hx_error_begin(h, HEDGE_ERROR, loc, (int)name->len,
                 "'%s' is already declared: a function of %s; choose another name (to replace a standard "
                 "function on purpose, define it in a Lua extension that lists it in `_replaces`)", name->s, what);
  if (f->loc.src >= 0) hx_error_note(h, f->loc, "the extension that defines '%s' is used here", name->s);
  hx_error_end(h);
}

/* The REPL rebinds let, fn and rule names; files may not. */
static int allow_redefine(H *h) { return h->repl_mode; }
