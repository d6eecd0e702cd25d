/*
** api.c: the public face (hedge.h). Every entry point runs its work under
** one protected boundary: on error the program and the world are rolled
** back to where the call found them, temporaries are released, and the
** status and message come back to the host. The state stays usable.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "units.h"
#include "report.h"
#include "repair.h"
#include "scenario.h"
#include "csv.h"
#include "lex.h"
#include "exec.h"
#include "resolve.h"
#include "builtins.h"
#include "files.h"
#include "luabridge.h"
#include "load.h"
#include "rules.h"
#include "outputs.h"
#include "pack.h"

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud; (void)osize;
  if (nsize == 0) { free(ptr); return NULL; }
  return realloc(ptr, nsize);
}

static char *dup_perm(H *h, const char *s) { return s ? arena_strdup(h, &h->perm, s, strlen(s)) : NULL; }

typedef struct OpenCtx { const hedge_Options *o; char *err; size_t errlen; int failed; } OpenCtx;

static void open_body(H *h, void *ud) {
  OpenCtx *c = ud;
  units_init(h);
  world_init(h);
  prog_init(h);
  /* the calls of the evaluator into modules above it (prog.h, ProgHooks) */
  h->prog->hooks.call_lua = luabridge_call;
  h->prog->hooks.load_cell = load_cell;
  builtins_init(h);
  /* no folder: the standard library embedded at build time (embedded.h) */
  h->stdlib_dir = dup_perm(h, c->o ? c->o->stdlib_dir : NULL);
  h->search_path = dup_perm(h, c->o ? c->o->search_path : NULL);
  files_init(h, c->o ? c->o->file_roots : NULL);
  if (luabridge_open(h, c->err, c->errlen) != 0) c->failed = 1;
}

hedge_State *hedge_open(const hedge_Options *opts, char *err, size_t errlen) {
  hedge_Alloc alloc = opts && opts->alloc ? opts->alloc : default_alloc;
  void *ud = opts && opts->alloc ? opts->alloc_ud : NULL;
  if (err && errlen) err[0] = 0;
  if (opts && opts->max_memory && opts->max_memory < sizeof(H)) {
    if (err && errlen) snprintf(err, errlen, "memory limit of %zu bytes is too small to open a state", opts->max_memory);
    return NULL;
  }
  H *h = alloc(ud, NULL, 0, sizeof(H));
  if (!h) {
    if (err && errlen) snprintf(err, errlen, "out of memory opening a state");
    return NULL;
  }
  memset(h, 0, sizeof *h);
  h->alloc = alloc;
  h->alloc_ud = ud;
  h->mem_used = sizeof(H);
  h->mem_peak = h->mem_used;
  h->mem_cap = opts ? opts->max_memory : 0;
  h->max_steps = opts ? opts->max_steps : 0;
  h->max_depth = opts && opts->max_depth > 0 ? opts->max_depth : HX_DEFAULT_DEPTH;
  h->caps = opts ? opts->capabilities : 0;
  h->print_fn = opts ? opts->print : NULL;
  h->print_ud = opts ? opts->print_ud : NULL;
  h->progress = opts ? opts->progress : NULL;
  h->progress_ud = opts ? opts->progress_ud : NULL;
  h->load_threads = opts ? opts->load_threads : 0;
  h->native_off = opts ? opts->lua_stdlib_only : 0;
  h->compare_full = opts ? opts->compare_full : 0;
  h->lazy_indexes = opts ? opts->lazy_indexes : 0;
  h->max_record = opts && opts->max_record ? opts->max_record : CSV_DEFAULT_MAX_RECORD;
  h->file_access = opts ? opts->file_access : NULL;
  h->max_seconds = opts && opts->max_seconds > 0 && opts->max_seconds < 1e9 ? opts->max_seconds : 0;
  h->file_access_ud = opts ? opts->file_access_ud : NULL;
  atomic_init(&h->interrupted, 0);
  OpenCtx c = {opts, err, errlen, 0};
  int st = hx_pcall(h, open_body, &c);
  if (st != HEDGE_OK || c.failed) {
    if (st != HEDGE_OK && err && errlen) snprintf(err, errlen, "%s", hedge_errmsg(h));
    hedge_close(h);
    return NULL;
  }
  return h;
}

void hedge_close(hedge_State *h) {
  if (!h) return;
  while (h->reports) report_free(h, h->reports);   /* those the host did not free */
  /* the Lua state first: its finalizers may still look at the world */
  if (h->lua) luabridge_close(h);
  prog_free(h);
  world_free(h);
  pack_close(h);   /* after the world: its mapped arrays were borrowed */
  units_free(h);
  arena_free(h, &h->temp);
  arena_free(h, &h->perm);
  mem_free(h, h->strtab, (size_t)h->strtab_cap * sizeof(HStr *));
  vec_free(h, &h->sources);
  buf_free(h, &h->err);
  buf_free(h, &h->out);
  buf_free(h, &h->result);
  buf_free(h, &h->warnings);
  buf_free(h, &h->warnings_out);
  if (h->left_out) mem_free(h, h->left_out, h->left_out_cap);
  hedge_Alloc alloc = h->alloc;
  void *ud = h->alloc_ud;
  alloc(ud, h, sizeof(H), 0);
}

const char *hedge_load_notes(hedge_State *h) {
  if (!h || !h->prog) return "";
  h->result.n = 0;
  report_load_notes_text(h, &h->result);
  buf_putc(h, &h->result, 0);
  h->result.n--;
  return h->result.p ? h->result.p : "";
}

const char *hedge_errmsg(hedge_State *h) {
  if (!h) return "no state";
  if (h->err_status == HEDGE_OK) return "";
  if (h->err_status == HEDGE_EMEMORY && (!h->err.p || !h->err.p[0])) return "error: out of memory";
  return h->err.p ? h->err.p : "";
}

/* Runs f under a boundary with a program mark: on error, everything the
** call added is rolled back. */
static void busy_message(H *h, void *ud) {
  (void)ud;
  h->err.n = 0;
  buf_puts(h, &h->err, "error: the state is already running a call (a host function or hook may not call the API on its own state)");
  buf_cstr(h, &h->err);
}

static int guarded(H *h, void (*f)(H *h, void *ud), void *ud) {
  if (h->protect) {
    /* called from inside a running call (a host function, a print or
    ** progress hook): its world may be a scenario's, and rolling back
    ** would undo this call silently. Refused. */
    hx_pcall(h, busy_message, NULL);   /* its own boundary: never unwinds the running call */
    h->err_status = HEDGE_EUSAGE;
    return HEDGE_EUSAGE;
  }
  h->err_status = HEDGE_OK;
  h->steps = 0;
  eval_deadline_start(h);
  h->here = (Loc){-1, 0, 0};
  h->depth = 0;
  ProgMark pm;
  memset(&pm, 0, sizeof pm);
  /* taking the mark allocates nothing that can fail: it only reads sizes */
  pm = prog_mark(h);
  ArenaMark am = arena_mark(&h->temp);
  int st = hx_pcall(h, f, ud);
  if (st != HEDGE_OK) {
    int es = h->err_status;
    prog_rollback(h, pm);
    h->err_status = es ? es : st;
  }
  arena_release(h, &h->temp, am);
  atomic_store(&h->interrupted, 0);
  return st;
}

int api_guarded(H *h, void (*f)(H *h, void *ud), void *ud) { return guarded(h, f, ud); }

typedef struct LoadCtx { const char *path, *name, *src; int is_file; } LoadCtx;

static void load_body(H *h, void *ud) {
  LoadCtx *c = ud;
  int src;
  if (c->is_file) {
    char *real = realpath(c->path, NULL);
    HStr *k = mem_intern_c(h, real ? real : c->path);
    free(real);
    /* a file given twice (or imported already) is loaded once */
    for (uint32_t i = 0; i < h->prog->loaded.n; i++) if (h->prog->loaded.p[i] == k) return;
    src = prog_source_add_file(h, c->path, (Loc){-1, 0, 0});
    vec_push(h, &h->prog->loaded, k);
  } else src = prog_source_add_string(h, c->name ? c->name : "<string>", c->src, strlen(c->src));
  exec_source(h, src);
  exec_finish_load(h);
}

int hedge_load_file(hedge_State *h, const char *path) {
  if (!h || !path) return HEDGE_EUSAGE;
  LoadCtx c = {path, NULL, NULL, 1};
  return guarded(h, load_body, &c);
}

/* ---- packed worlds (pack.c) ---- */

typedef struct PackCtx { const char *path; const char *const *files; int nfiles; } PackCtx;

static void pack_begin_body(H *h, void *ud) { PackCtx *c = ud; pack_begin(h, c->path, c->files, c->nfiles); }
static void pack_use_body(H *h, void *ud) { PackCtx *c = ud; pack_use(h, c->path, c->files, c->nfiles); }
static void pack_end_body(H *h, void *ud) { (void)ud; pack_finish(h); }

int hedge_pack_begin(hedge_State *h, const char *out, const char *const *files, int nfiles) {
  if (!h || !out || nfiles < 0 || (nfiles && !files)) return HEDGE_EUSAGE;
  PackCtx c = {out, files, nfiles};
  int st = guarded(h, pack_begin_body, &c);
  if (st != HEDGE_OK) pack_close(h);
  return st;
}

int hedge_pack_use(hedge_State *h, const char *pack, const char *const *files, int nfiles) {
  if (!h || !pack || nfiles < 0 || (nfiles && !files)) return HEDGE_EUSAGE;
  PackCtx c = {pack, files, nfiles};
  int st = guarded(h, pack_use_body, &c);
  if (st != HEDGE_OK) pack_close(h);
  return st;
}

int hedge_pack_end(hedge_State *h) {
  if (!h) return HEDGE_EUSAGE;
  /* the rules, checked once, build the indexes they use */
  int st = hedge_check_ex(h, NULL, NULL, 0, NULL);
  if (st != HEDGE_OK && st != HEDGE_FAIL && st != HEDGE_ERROR) { pack_close(h); return st; }
  st = guarded(h, pack_end_body, NULL);
  pack_close(h);
  return st;
}

int hedge_load_string(hedge_State *h, const char *name, const char *source) {
  if (!h || !source) return HEDGE_EUSAGE;
  LoadCtx c = {NULL, name, source, 0};
  return guarded(h, load_body, &c);
}

typedef struct EvalCtx { const char *expr; int json; const char *scenario; int nprints; } EvalCtx;

/* Applies the scenario (if any) for the rest of the call: the caller's
** guarded() mark rolls it back, on success or on error. */
static void enter_scenario(H *h, const char *name) {
  if (!name) return;
  Scenario *sc = prog_scenario_need(h, name);
  h->world->logging++;
  scenario_apply(h, sc, (Loc){-1, 0, 0});
}

static void eval_body(H *h, void *ud) {
  EvalCtx *c = ud;
  int src = prog_source_add_string(h, "<eval>", c->expr, strlen(c->expr));
  Node *n = parse_expression(h, src, NULL);
  int ns = resolve_expr(h, n);
  ProgMark pm = prog_mark(h);
  enter_scenario(h, c->scenario);
  Value v = eval_root(h, n, ns);
  h->result.n = 0;
  if (c->json) {
    /* for programs: every digit, the unit apart, and the text people read */
    char d[64];
    buf_puts(h, &h->result, "{\"value\": ");
    report_value_json(h, &h->result, v);
    buf_puts(h, &h->result, ", \"unit\": ");
    if (v.tag == T_QTY) {
      dim_name(h, v.dim, d, sizeof d);
      report_json_string(h, &h->result, d, strlen(d));
    } else buf_puts(h, &h->result, "null");
    size_t len;
    const char *t = v_tostr(h, v, 0, &len);
    buf_puts(h, &h->result, ", \"text\": ");
    report_json_string(h, &h->result, t, len);
    buf_putc(h, &h->result, '}');
  } else v_print(h, &h->result, v, 1);
  buf_cstr(h, &h->result);
  prog_rollback(h, pm);
}

int hedge_eval_scenario(hedge_State *h, const char *scenario, const char *expr, const char **result) {
  if (result) *result = NULL;
  if (!h || !expr) return HEDGE_EUSAGE;
  EvalCtx c = {expr, 0, scenario, 0};
  int st = guarded(h, eval_body, &c);
  if (result) *result = st == HEDGE_OK ? buf_cstr(h, &h->result) : NULL;
  return st;
}

int hedge_eval_json(hedge_State *h, const char *expr, const char **result) {
  if (!h || !expr) return HEDGE_EUSAGE;
  EvalCtx c = {expr, 1, NULL, 0};
  int st = guarded(h, eval_body, &c);
  if (result) *result = st == HEDGE_OK ? buf_cstr(h, &h->result) : NULL;
  return st;
}

int hedge_eval(hedge_State *h, const char *expr, const char **result) {
  if (!h || !expr) return HEDGE_EUSAGE;
  EvalCtx c = {expr, 0, NULL, 0};
  int st = guarded(h, eval_body, &c);
  if (result) *result = st == HEDGE_OK ? buf_cstr(h, &h->result) : NULL;
  return st;
}

static void prints_body(H *h, void *ud) {
  EvalCtx *c = ud;
  ProgMark pm = prog_mark(h);
  enter_scenario(h, c->scenario);
  Program *p = h->prog;
  uint32_t n = p->prints.n;
  if (n) {   /* the heading goes where the prints go */
    char head[300];
    int k = snprintf(head, sizeof head, "== print under scenario %s ==\n", c->scenario);
    size_t len = k < 0 ? 0 : (size_t)k < sizeof head ? (size_t)k : sizeof head - 1;
    if (h->print_fn) h->print_fn(h->print_ud, head, len);
    else buf_put(h, &h->out, head, len);
  }
  for (uint32_t i = 0; i < n; i++) { exec_print_stmt(h, p->prints.p[i]); c->nprints++; }
  prog_rollback(h, pm);
}

int hedge_print_scenario(hedge_State *h, const char *scenario, int *nprints) {
  if (nprints) *nprints = 0;
  if (!h || !scenario) return HEDGE_EUSAGE;
  EvalCtx c = {NULL, 0, scenario, 0};
  int st = guarded(h, prints_body, &c);
  if (nprints) *nprints = c.nprints;
  return st;
}

int hedge_print_count(hedge_State *h) { return h && h->prog ? (int)h->prog->prints.n : 0; }

const char *hedge_output(hedge_State *h) {
  if (!h) return "";
  return h->out.p ? h->out.p : "";   /* no allocation here: nothing may fail */
}

void hedge_output_clear(hedge_State *h) { if (h) h->out.n = 0, h->out.p ? h->out.p[0] = 0 : 0; }

void hedge_interrupt(hedge_State *h) {
  if (!h) return;
  /* the one thing done here: running code looks at the flag (the evaluator
  ** every 1,024 steps, Lua code in its count hook, the loader every 1,024
  ** rows); nothing else of the state is touched from another thread */
  atomic_store_explicit(&h->interrupted, 1, memory_order_release);
}

void hedge_set_time_limit(hedge_State *h, double seconds) {
  if (!h) return;
  h->max_seconds = seconds > 0 && seconds < 1e9 ? seconds : 0;   /* NaN: none */
}

void hedge_set_limits(hedge_State *h, size_t max_memory, uint64_t max_steps, int max_depth) {
  if (!h) return;
  h->mem_cap = max_memory;
  h->max_steps = max_steps;
  h->max_depth = max_depth > 0 ? max_depth : HX_DEFAULT_DEPTH;
}

size_t hedge_memory(hedge_State *h, size_t *peak) {
  if (!h) return 0;
  if (peak) *peak = h->mem_peak;
  return h->mem_used;
}

/* ---- checks -------------------------------------------------------------------- */

typedef struct CheckCtx {
  const char *scenario; const char *const *only; int nonly; int explain;
  Report *report; Report *base; int compare;
  int stop;   /* a limit, an interrupt or out of memory stopped a check */
} CheckCtx;

/* rules_check ends early on a limit, an interrupt or a memory error and
** leaves its status in h->err_status; the boundary around check_body resets
** that on return, so keep it here for check_status. */
static void note_stop(H *h, CheckCtx *c) {
  int s = h->err_status;
  if (s == HEDGE_EINTERRUPT || s == HEDGE_ELIMIT || s == HEDGE_EMEMORY) c->stop = s;
}


static void check_body(H *h, void *ud) {
  CheckCtx *c = ud;
  exec_finish_load(h);
  for (int i = 0; i < c->nonly; i++) {
    HStr *n = mem_intern_find(h, c->only[i], strlen(c->only[i]));
    int found = 0;
    for (uint32_t j = 0; n && j < h->prog->rules.n; j++) if (h->prog->rules.p[j].name == n) found = 1;
    if (!found) {
      Suggest sg;
      suggest_init(&sg, c->only[i], strlen(c->only[i]));
      for (uint32_t j = 0; j < h->prog->rules.n; j++) suggest_try(&sg, h->prog->rules.p[j].name->s);
      if (sg.best) hx_error_at(h, (Loc){-1, 0, 0}, "unknown rule '%s' (did you mean %s?)", c->only[i], sg.best);
      hx_error_at(h, (Loc){-1, 0, 0}, "unknown rule '%s'", c->only[i]);
    }
  }
  Scenario *sc = c->scenario ? prog_scenario_need(h, c->scenario) : NULL;
  /* --compare: the scenario's check keeps the base results of the bindings
  ** it cannot change (rules.c), unless hedge_Options.compare_full */
  int reuse = c->compare && !h->compare_full && sc && scenario_changes_deals_only(h, sc);
  if (c->compare) {
    c->base = rules_check(h, c->only, c->nonly, NULL, c->explain | CHECK_RECORD_ALL | (reuse ? CHECK_TRACK : 0));
    note_stop(h, c);
  }
  if (sc) {
    ProgMark pm = prog_mark(h);
    h->world->logging++;
    scenario_apply(h, sc, (Loc){-1, 0, 0});
    c->report = rules_check_reusing(h, c->only, c->nonly, c->scenario, c->explain | (c->compare ? CHECK_RECORD_ALL : 0),
                                    reuse && !c->stop ? c->base : NULL, &pm);
    note_stop(h, c);
    prog_rollback(h, pm);
  } else { c->report = rules_check(h, c->only, c->nonly, NULL, c->explain); note_stop(h, c); }
}

static int check_status(H *h, Report *r) {
  if (h->err_status == HEDGE_EINTERRUPT || h->err_status == HEDGE_ELIMIT || h->err_status == HEDGE_EMEMORY) return h->err_status;
  if (r->errors) return HEDGE_ERROR;
  return r->failed ? HEDGE_FAIL : HEDGE_OK;
}

int hedge_check_ex(hedge_State *h, const char *scenario, const char *const *only, int explain, hedge_Report **out) {
  if (out) *out = NULL;
  if (!h) return HEDGE_EUSAGE;
  CheckCtx c;
  memset(&c, 0, sizeof c);
  c.scenario = scenario; c.only = only; c.explain = explain;
  while (only && only[c.nonly]) c.nonly++;
  int st = guarded(h, check_body, &c);
  if (st != HEDGE_OK) { report_free(h, c.report); return st; }
  if (c.stop) h->err_status = c.stop;
  int rs = check_status(h, c.report);
  if (out) *out = c.report; else report_free(h, c.report);
  return rs;
}

int hedge_check(hedge_State *h, const char *scenario, const char *const *only, hedge_Report **out) {
  return hedge_check_ex(h, scenario, only, 0, out);
}

typedef struct CompareCtx { Report *base, *report; const char *scenario; int json; } CompareCtx;
static void compare_body(H *h, void *ud) {
  CompareCtx *c = ud;
  h->result.n = 0;
  scenario_compare_reports(h, &h->result, c->base, c->report, c->scenario, c->json);
  buf_cstr(h, &h->result);
}

int hedge_compare(hedge_State *h, const char *scenario, int json, const char **text) {
  if (text) *text = NULL;
  if (!h || !scenario) return HEDGE_EUSAGE;
  CheckCtx c;
  memset(&c, 0, sizeof c);
  c.scenario = scenario;
  c.compare = 1;
  int st = guarded(h, check_body, &c);
  if (st != HEDGE_OK) { report_free(h, c.base); report_free(h, c.report); return st; }
  if (c.stop) h->err_status = c.stop;
  int rs = check_status(h, c.report);
  /* writing the text allocates: under a boundary too (out of memory) */
  CompareCtx cc = {c.base, c.report, scenario, json};
  int es = h->err_status;
  st = hx_pcall(h, compare_body, &cc);
  report_free(h, c.base);
  report_free(h, c.report);
  if (st != HEDGE_OK) return st;
  h->err_status = es;
  if (text) *text = h->result.p;
  return rs;
}

void hedge_report_free(hedge_State *h, hedge_Report *r) { if (h) report_free(h, r); }

/* Rendering allocates, so it runs under a boundary: NULL when out of memory
** (hedge_errmsg says so). */
typedef struct RenderCtx { Report *r; int json, color; const char *out; } RenderCtx;
static void render_body(H *h, void *ud) {
  RenderCtx *c = ud;
  c->out = c->json ? report_json(h, c->r) : report_text(h, c->r, c->color);
}
static const char *render(H *h, Report *r, int json, int color) {
  if (!h || !r) return NULL;
  RenderCtx c = {r, json, color, NULL};
  h->err_status = HEDGE_OK;
  return hx_pcall(h, render_body, &c) == HEDGE_OK ? c.out : NULL;
}
const char *hedge_report_json(hedge_State *h, hedge_Report *r) { return render(h, r, 1, 0); }

static void scen_body(H *h, void *ud) {
  Report *r = ud;
  r->scen.n = 0;
  report_repair_scenarios(h, &r->scen, r);
  buf_cstr(h, &r->scen);
}
const char *hedge_report_scenarios(hedge_State *h, hedge_Report *r) {
  if (!h || !r) return NULL;
  h->err_status = HEDGE_OK;
  return hx_pcall(h, scen_body, r) == HEDGE_OK ? (r->scen.p ? r->scen.p : "") : NULL;
}
const char *hedge_report_text(hedge_State *h, hedge_Report *r, int color) { return render(h, r, 0, color); }

#define RULE_OK(r, i) ((r) && (i) >= 0 && (i) < (r)->n)
int hedge_report_rules(const hedge_Report *r) { return r ? r->n : 0; }
const char *hedge_rule_name(const hedge_Report *r, int i) { return RULE_OK(r, i) ? r->rules[i].name : NULL; }
const char *hedge_rule_title(const hedge_Report *r, int i) { return RULE_OK(r, i) ? r->rules[i].title : NULL; }
int hedge_rule_is_warn(const hedge_Report *r, int i) { return RULE_OK(r, i) ? r->rules[i].warn : -1; }
int hedge_rule_status(const hedge_Report *r, int i) { return RULE_OK(r, i) ? r->rules[i].status : -1; }
const char *hedge_rule_error(const hedge_Report *r, int i) { return RULE_OK(r, i) ? r->rules[i].error : NULL; }
const char *hedge_rule_location(const hedge_Report *r, int i, int *line, int *col) {
  if (!RULE_OK(r, i)) return NULL;
  if (line) *line = r->rules[i].line;
  if (col) *col = r->rules[i].col;
  return r->rules[i].file;
}
int hedge_rule_counterexamples(const hedge_Report *r, int i) { return RULE_OK(r, i) ? (int)r->rules[i].ncx : -1; }
#define CX_OK(r, i, k) (RULE_OK(r, i) && (k) >= 0 && (uint32_t)(k) < (r)->rules[i].ncx)
int hedge_cx_bindings(const hedge_Report *r, int i, int k) { return CX_OK(r, i, k) ? r->rules[i].cx[k].nbind : -1; }
const char *hedge_cx_binding(const hedge_Report *r, int i, int k, int j, const char **value) {
  if (!CX_OK(r, i, k) || j < 0 || j >= r->rules[i].cx[k].nbind) return NULL;
  RValue *v = &r->rules[i].cx[k].bind[j];
  if (value) *value = v->text;
  return v->name;
}
int hedge_cx_values(const hedge_Report *r, int i, int k) { return CX_OK(r, i, k) ? r->rules[i].cx[k].nvals : -1; }
const char *hedge_cx_value(const hedge_Report *r, int i, int k, int j, double *number, const char **unit, const char **text) {
  if (!CX_OK(r, i, k) || j < 0 || j >= r->rules[i].cx[k].nvals) return NULL;
  RValue *v = &r->rules[i].cx[k].vals[j];
  if (number) *number = v->num;
  if (unit) *unit = v->unit;
  if (text) *text = v->text;
  return v->expr;
}
/* The pending warnings move to warnings_out (swapping buffers: nothing
** to allocate, nothing to fail). */
const char *hedge_warnings(hedge_State *h) {
  if (!h) return "";
  Buf t = h->warnings_out;
  h->warnings_out = h->warnings;
  h->warnings = t;
  h->warnings.n = 0;
  if (!h->warnings_out.p || !h->warnings_out.n) return "";
  h->warnings_out.p[h->warnings_out.n < h->warnings_out.cap ? h->warnings_out.n : h->warnings_out.cap - 1] = 0;
  return h->warnings_out.p;
}

void hedge_set_strict(hedge_State *h, int strict) { if (h) h->strict = strict != 0; }

int hedge_report_vacuous(const hedge_Report *r) { return r ? r->vacuous : 0; }
const char *hedge_rule_vacuous_reason(const hedge_Report *r, int i) { return RULE_OK(r, i) ? r->rules[i].vacuous : NULL; }

void hedge_report_summary(const hedge_Report *r, int *passed, int *failed, int *warnings, int *errors) {
  if (passed) *passed = r ? r->passed : 0;
  if (failed) *failed = r ? r->failed : 0;
  if (warnings) *warnings = r ? r->warnings : 0;
  if (errors) *errors = r ? r->errors : 0;
}

/* ---- tests ----------------------------------------------------------------------- */

typedef struct TestCtx { TestResults *res; int json; } TestCtx;
static void test_body(H *h, void *ud) {
  TestCtx *c = ud;
  exec_finish_load(h);
  c->res = scenario_run_tests(h);
}

/* The results as text or JSON into h->result (allocates: under a boundary). */
static void test_format(H *h, void *ud) {
  TestCtx *c = ud;
  TestResults *r = c->res;
  int json = c->json;
  Buf *b = &h->result;
  if (json == HEDGE_FORMAT_JUNIT) { junit_tests(h, b, r); return; }
  b->n = 0;
  char lb[512];
  if (json) buf_puts(h, b, "{ \"hedge\": \"" HEDGE_VERSION "\", \"tests\": [");
  for (int i = 0; i < r->n; i++) {
    TestResult *t = &r->items[i];
    if (json) {
      buf_puts(h, b, i ? ",\n  " : "\n  ");
      buf_puts(h, b, "{ \"name\": ");
      report_json_string(h, b, t->name, strlen(t->name));
      buf_printf(h, b, ", \"status\": \"%s\", \"location\": ", t->passed ? "pass" : "fail");
      hx_locstr(h, t->loc, lb, sizeof lb);
      report_json_string(h, b, lb, strlen(lb));
      buf_puts(h, b, ", \"failures\": [");
      if (t->failures) {
        const char *p = t->failures;
        int first = 1;
        while (*p) {
          const char *e = strchr(p, '\n');
          size_t n = e ? (size_t)(e - p) : strlen(p);
          while (n && *p == ' ') { p++; n--; }
          if (n) { if (!first) buf_puts(h, b, ", "); report_json_string(h, b, p, n); first = 0; }
          if (!e) break;
          p = e + 1;
        }
      }
      buf_puts(h, b, "] }");
    } else {
      buf_printf(h, b, "%s %s  %s\n", t->passed ? "ok  " : "FAIL", t->name, hx_locstr(h, t->loc, lb, sizeof lb));
      if (t->failures) buf_puts(h, b, t->failures);
    }
  }
  if (json) buf_printf(h, b, "\n  ],\n  \"summary\": { \"passed\": %d, \"failed\": %d } }\n", r->passed, r->failed);
  else buf_printf(h, b, "%d passed, %d failed\n", r->passed, r->failed);
  buf_cstr(h, b);
}

int hedge_test(hedge_State *h, int json, const char **text, int *passed, int *failed) {
  if (text) *text = NULL;
  if (!h) return HEDGE_EUSAGE;
  TestCtx c = {NULL, json};
  int st = guarded(h, test_body, &c);
  if (st != HEDGE_OK) return st;
  TestResults *r = c.res;
  /* a limit, an interrupt or out of memory stopped the run: keep its message */
  int rs = r->status ? r->status : r->failed ? HEDGE_FAIL : HEDGE_OK;
  int es = r->status ? r->status : HEDGE_OK;
  st = hx_pcall(h, test_format, &c);
  if (passed) *passed = r->passed;
  if (failed) *failed = r->failed;
  scenario_tests_free(h, r);
  if (st != HEDGE_OK) return st;
  h->err_status = es;
  if (text) *text = h->result.p;
  return rs;
}

/* ---- host functions --------------------------------------------------------------- */

typedef struct RegCtx { const char *name, *params; hedge_CFunction fn; void *ud; } RegCtx;

/* An identifier a hedge program can write: [A-Za-z_][A-Za-z0-9_]*, not a
** keyword, at most HX_MAX_NAME bytes. */
static int callable_name(const char *s, size_t n) {
  if (n == 0 || n > HX_MAX_NAME || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' || (s[i] >= '0' && s[i] <= '9'))) return 0;
  return lex_keyword_lookup(s, n) == TK_IDENT;
}

static void reg_body(H *h, void *ud) {
  RegCtx *c = ud;
  if (!callable_name(c->name, strlen(c->name)))
    hx_error_at(h, (Loc){-1, 0, 0}, "hedge_register: '%.80s' is not a valid name (a letter or _, then letters, digits or _; not a keyword)", c->name);
  /* the parameters first, straight into perm (the Function outlives this
  ** call; no heap temporary to leak if an allocation fails) */
  Param *params = NULL;
  uint32_t n = 0;
  for (int pass = 0; pass < 2; pass++) {   /* count, then fill */
    const char *p = c->params ? c->params : "";
    uint32_t k = 0;
    while (*p) {
      while (*p == ' ' || *p == '\t') p++;
      if (!*p && k == 0) break;   /* "" or blanks: no parameters */
      const char *q = p;
      while (*q && *q != ',' && *q != ' ' && *q != '\t') q++;
      const char *name_end = q;
      const char *after = q;
      while (*after == ' ' || *after == '\t') after++;
      if (!callable_name(p, (size_t)(q - p)) || (*after && *after != ','))
        hx_error_at(h, (Loc){-1, 0, 0}, "hedge_register: bad parameter list '%.80s' (names separated by commas, e.g. \"a, from, year\")", c->params);
      q = *after == ',' ? after + 1 : after;
      if (*after == ',' && !*q) hx_error_at(h, (Loc){-1, 0, 0}, "hedge_register: bad parameter list '%.80s' (a comma at the end)", c->params);
      {
        if (pass) {
          memset(&params[k], 0, sizeof params[k]);
          params[k].name = mem_intern(h, p, (size_t)(name_end - p));
          params[k].loc = (Loc){-1, 0, 0};
        }
        k++;
      }
      p = q;
    }
    if (!pass) {
      if (k > HX_MAX_PARAMS) hx_error_at(h, (Loc){-1, 0, 0}, "hedge_register: too many parameters (at most %d)", HX_MAX_PARAMS);
      n = k;
      params = arena_alloc(h, &h->perm, (n ? n : 1) * sizeof(Param));
    }
  }
  HStr *nm = mem_intern_c(h, c->name);
  Function *old = prog_builtin_find(h, nm);
  if (old) {   /* documented: the host replaces it; reports say so */
    const char *was = old->kind == F_LUA && old->origin ? old->origin : old->kind == F_HOST ? "the host program" : "hedge (a built-in function)";
    prog_override_note(h, nm, was, "the host program (hedge_register)", (Loc){-1, 0, 0});
  }
  Function *f = prog_builtin_add(h, c->name, NULL, 0, NULL, NULL);
  f->kind = F_HOST;
  f->host = c->fn;
  f->host_ud = c->ud;
  f->params.p = params;
  f->params.n = f->params.cap = n;
  f->usage = NULL;
}

int hedge_register(hedge_State *h, const char *name, const char *params, hedge_CFunction fn, void *ud) {
  if (!h || !name || !fn) return HEDGE_EUSAGE;
  RegCtx c = {name, params, fn, ud};
  h->err_status = HEDGE_OK;
  return hx_pcall(h, reg_body, &c);
}
