/*
** prog.c: the program as data: its tables of globals and built-in
** functions (hashed by interned name), the source files it read and how
** import, use and load find them, scenarios by name, replaced functions,
** and marks to roll all of it back. exec.c fills these tables by running
** statements; everything else of the program layer reads them.
*/
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "prog.h"
#include "hfile.h"
#include "units.h"
#include "files.h"

/* ---- the program and its tables ----------------------------------------------- */

void prog_init(H *h) {
  Program *p = mem_alloc(h, sizeof *p);
  memset(p, 0, sizeof *p);
  h->prog = p;
}

void prog_free(H *h) {
  Program *p = h->prog;
  if (!p) return;
  for (uint32_t i = 0; i < p->builtins.n; i++) {
    Function *f = p->builtins.p[i];
    if (f->release) f->release(f);
  }
  for (uint32_t i = 0; i < p->globals.n; i++) {
    Global *g = p->globals.p[i];
    if (g->kind == G_FUNC && g->value.as.fn->release) g->value.as.fn->release(g->value.as.fn);
  }
  vec_free(h, &p->globals);
  mem_free(h, p->gtab, (size_t)p->gcap * sizeof(Global *));
  vec_free(h, &p->rules);
  vec_free(h, &p->scenarios);
  vec_free(h, &p->tests);
  vec_free(h, &p->load_notes);
  vec_free(h, &p->builtins);
  mem_free(h, p->btab, (size_t)p->bcap * sizeof(Function *));
  vec_free(h, &p->loaded);
  vec_free(h, &p->read);
  vec_free(h, &p->stack);
  vec_free(h, &p->letlog);
  vec_free(h, &p->overrides);
  vec_free(h, &p->prints);
  mem_free(h, p, sizeof *p);
  h->prog = NULL;
}

/* Open-addressing tables keyed by interned name pointer. */
static uint32_t ptr_hash(const void *p) { uintptr_t x = (uintptr_t)p; x ^= x >> 17; x *= 0x9E3779B1u; return (uint32_t)(x ^ (x >> 15)); }

/* Fills an open-addressing table of cap slots (a power of two) with the
** items, each placed by the interned name found at name_off in it. Globals
** and functions share this; a refill in place allocates nothing, so
** rollbacks (which run outside any boundary) use it too. */
static void fill_by_name(void **tab, uint32_t cap, void *const *items, uint32_t n, size_t name_off) {
  memset(tab, 0, (size_t)cap * sizeof *tab);
  for (uint32_t i = 0; i < n; i++) {
    HStr *name;
    memcpy(&name, (const char *)items[i] + name_off, sizeof name);
    uint32_t j = ptr_hash(name) & (cap - 1);
    while (tab[j]) j = (j + 1) & (cap - 1);
    tab[j] = items[i];
  }
}

static void gtab_rebuild(H *h, uint32_t cap) {
  Program *p = h->prog;
  Global **t = mem_alloc(h, (size_t)cap * sizeof *t);
  fill_by_name((void **)t, cap, (void *const *)p->globals.p, p->globals.n, offsetof(Global, name));
  mem_free(h, p->gtab, (size_t)p->gcap * sizeof *t);
  p->gtab = t;
  p->gcap = cap;
}

static void gtab_refill(H *h) {
  Program *p = h->prog;
  if (p->gcap) fill_by_name((void **)p->gtab, p->gcap, (void *const *)p->globals.p, p->globals.n, offsetof(Global, name));
}

Global *prog_global_find(H *h, HStr *name) {
  Program *p = h->prog;
  if (!p->gcap) return NULL;
  for (uint32_t j = ptr_hash(name) & (p->gcap - 1);; j = (j + 1) & (p->gcap - 1)) {
    Global *g = p->gtab[j];
    if (!g) return NULL;
    if (g->name == name) return g;
  }
}

Global *prog_global_add(H *h, HStr *name, GlobalKind kind, Value v, Loc loc) {
  Program *p = h->prog;
  Global *g = arena_alloc(h, &h->perm, sizeof *g);
  memset(g, 0, sizeof *g);
  g->name = name; g->kind = kind; g->value = v; g->loc = loc; g->ready = 1;
  vec_push(h, &p->globals, g);
  if (p->globals.n * 2 > p->gcap) gtab_rebuild(h, p->gcap ? p->gcap * 2 : 64);
  else {
    uint32_t j = ptr_hash(name) & (p->gcap - 1);
    while (p->gtab[j]) j = (j + 1) & (p->gcap - 1);
    p->gtab[j] = g;
  }
  return g;
}

static void btab_rebuild(H *h, uint32_t cap) {
  Program *p = h->prog;
  Function **t = mem_alloc(h, (size_t)cap * sizeof *t);
  fill_by_name((void **)t, cap, (void *const *)p->builtins.p, p->builtins.n, offsetof(Function, name));
  mem_free(h, p->btab, (size_t)p->bcap * sizeof *t);
  p->btab = t;
  p->bcap = cap;
}

Function *prog_builtin_find(H *h, HStr *name) {
  Program *p = h->prog;
  if (!p->bcap) return NULL;
  for (uint32_t j = ptr_hash(name) & (p->bcap - 1);; j = (j + 1) & (p->bcap - 1)) {
    Function *f = p->btab[j];
    if (!f) return NULL;
    if (f->name == name) return f;
  }
}

Function *prog_builtin_add(H *h, const char *name, BuiltinFn fn, int aggregate, const char *usage, const char *doc) {
  Program *p = h->prog;
  HStr *n = mem_intern_c(h, name);
  Function *f = prog_builtin_find(h, n);
  if (!f) {
    f = arena_alloc(h, &h->perm, sizeof *f);
    memset(f, 0, sizeof *f);
    f->name = n;
    vec_push(h, &p->builtins, f);
    if (p->builtins.n * 2 > p->bcap) btab_rebuild(h, p->bcap ? p->bcap * 2 : 128);
    else {
      uint32_t j = ptr_hash(n) & (p->bcap - 1);
      while (p->btab[j]) j = (j + 1) & (p->bcap - 1);
      p->btab[j] = f;
    }
  }
  f->kind = F_BUILTIN;
  f->builtin = fn;
  f->aggregate = aggregate;
  f->usage = usage;
  f->doc = doc;
  f->loc = (Loc){-1, 0, 0};
  return f;
}

/* ---- program marks: a failed load adds nothing ---------------------------------- */

ProgMark prog_mark(H *h) {
  Program *p = h->prog;
  ProgMark m;
  m.world = world_mark(h);
  h->world->logging = m.world.logging;   /* a plain mark: no overlay logging */
  m.nglobals = p->globals.n; m.nrules = p->rules.n; m.nscen = p->scenarios.n;
  m.ntests = p->tests.n; m.nunits = units_count(h); m.nbase = h->units->nbase;
  m.nloaded = p->loaded.n; m.nsources = h->sources.n; m.nbuiltins = p->builtins.n;
  m.fy_start = h->world->fy_start; m.fy_loc = h->world->fy_loc;
  m.nletlog = p->letlog.n;
  m.noverrides = p->overrides.n;
  m.nprints = p->prints.n;
  return m;
}

void prog_rollback(H *h, ProgMark m) {
  Program *p = h->prog;
  for (uint32_t i = m.nglobals; i < p->globals.n; i++) {
    Global *g = p->globals.p[i];
    if (g->kind == G_FUNC && g->value.as.fn->release) g->value.as.fn->release(g->value.as.fn);
  }
  while (p->letlog.n > m.nletlog) {   /* a scenario's lets: the base definitions again */
    struct LetUndo *u = &p->letlog.p[--p->letlog.n];
    u->g->value = u->value; u->g->version = u->version;
    u->g->scen_expr = u->scen_expr; u->g->scen_nslots = u->scen_nslots;
  }
  if (p->overrides.n > m.noverrides) p->overrides.n = m.noverrides;
  if (p->prints.n > m.nprints) p->prints.n = m.nprints;
  if (p->globals.n != m.nglobals) { p->globals.n = m.nglobals; gtab_refill(h); }
  p->rules.n = m.nrules; p->scenarios.n = m.nscen; p->tests.n = m.ntests;
  if (p->builtins.n > m.nbuiltins) {
    /* functions registered by a `use` of the failed load go too (refilled in
    ** place: a rollback must not allocate) */
    p->builtins.n = m.nbuiltins;
    fill_by_name((void **)p->btab, p->bcap, (void *const *)p->builtins.p, p->builtins.n, offsetof(Function, name));
  }
  p->loaded.n = m.nloaded;
  units_truncate(h, m.nunits, m.nbase);
  world_rollback(h, m.world);
  if (h->world->fy_start != m.fy_start) {   /* a failed file had declared the fiscal year */
    h->world->fy_loc = m.fy_loc;
    world_set_fiscal(h, m.fy_start);
  }
}

/* ---- sources -------------------------------------------------------------------- */

/* Remembers a file the program read, for hedge_files (what `--watch`
** watches). Kept when the load that read it fails: the watcher must see
** the file there is to fix. */
static void note_read(H *h, const char *path) {
  Program *p = h->prog;
  if (!p) return;
  HStr *k = mem_intern_c(h, path);
  for (uint32_t i = 0; i < p->read.n; i++) if (p->read.p[i] == k) return;
  vec_push(h, &p->read, k);
}


static char *dir_of(H *h, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return arena_strdup(h, &h->perm, ".", 1);
  if (slash == path) return arena_strdup(h, &h->perm, "/", 1);
  return arena_strdup(h, &h->perm, path, (size_t)(slash - path));
}

int prog_source_add_string(H *h, const char *name, const char *text, size_t len) {
  Source *s = arena_alloc(h, &h->perm, sizeof *s);
  s->name = arena_strdup(h, &h->perm, name, strlen(name));
  s->text = arena_strdup(h, &h->perm, text, len);
  s->len = len;
  s->dir = dir_of(h, name);
  if (strchr(name, '<')) s->dir = arena_strdup(h, &h->perm, ".", 1);
  vec_push(h, &h->sources, s);
  return (int)h->sources.n - 1;
}

typedef struct AddCtx { const char *path, *text; size_t len; int id; } AddCtx;
static void add_body(H *h, void *ud) {
  AddCtx *c = ud;
  c->id = prog_source_add_string(h, c->path, c->text, c->len);
  h->sources.p[c->id]->dir = dir_of(h, c->path);
}

int prog_source_add_file(H *h, const char *path, Loc from) {
  return prog_source_add_fd(h, -1, path, from);
}

int prog_source_add_fd(H *h, int fd, const char *path, Loc from) {
  char err[PATH_MAX + 160];
  int own = fd < 0;
  if (own) {
    /* the host named this file (hedge_load_file): no capability needed, but
    ** only a regular file, opened without blocking */
    fd = hfile_open(path, path, err, sizeof err);
    if (fd < 0) hx_error_at(h, from, "%s", err);
  }
  size_t len = 0;
  int oom = 0;
  /* one read of one descriptor; nothing raises while it is open */
  char *text = hfile_read_all(fd, path, HX_MAX_SOURCE, mem_hook, h, &len, err, sizeof err, &oom);
  if (own) close(fd);
  if (!text) hx_error_status(h, oom ? HEDGE_EMEMORY : HEDGE_ERROR, from, "%s", err);
  /* the buffer is freed whether or not the copy succeeds */
  AddCtx c = {path, text, len, -1};
  int status = hx_pcall(h, add_body, &c);
  mem_hook(h, text, len + 1, 0);
  if (status != HEDGE_OK) hx_throw(h, status);
  note_read(h, path);
  return c.id;
}

/* A candidate for import/use/load: a regular file the policy lets the
** script read (one it may not read is not found: no oracle on its
** existence). */
static int candidate(H *h, const char *p) {
  return hfile_is_regular(p) && files_allowed(h, p, "read");
}

static char *find_file_(H *h, int src, const char *path, int use_search) {
  char buf[PATH_MAX];
  if (path[0] == '/') {
    /* an absolute path that names something else than a regular file is
    ** "found", so that opening it gives the reason (a FIFO, a device) */
    struct stat st;
    if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || files_allowed(h, path, "read")))
      return arena_strdup(h, &h->temp, path, strlen(path));
    return NULL;
  }
  const char *dir = src >= 0 ? h->sources.p[src]->dir : ".";
  snprintf(buf, sizeof buf, "%s/%s", dir, path);
  if (candidate(h, buf)) return arena_strdup(h, &h->temp, buf, strlen(buf));
  if (use_search && h->search_path) {
    const char *s = h->search_path;
    while (*s) {
      const char *e = strchr(s, ':');
      size_t n = e ? (size_t)(e - s) : strlen(s);
      if (n) {
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, s, path);
        if (candidate(h, buf)) return arena_strdup(h, &h->temp, buf, strlen(buf));
      }
      if (!e) break;
      s = e + 1;
    }
  }
  return NULL;
}

char *prog_find_file(H *h, int src, const char *path, int use_search) {
  char *found = find_file_(h, src, path, use_search);
  if (found) note_read(h, found);
  return found;
}

/* ---- scenarios by name, replaced functions ------------------------------------- */

Scenario *prog_scenario_need(H *h, const char *name) {
  HStr *s = mem_intern_find(h, name, strlen(name));
  Scenario *sc = s ? prog_scenario_find(h, s) : NULL;
  if (sc) return sc;
  Suggest sg;
  suggest_init(&sg, name, strlen(name));
  for (uint32_t i = 0; i < h->prog->scenarios.n; i++) suggest_try(&sg, h->prog->scenarios.p[i].name->s);
  if (sg.best) hx_error_at(h, (Loc){-1, 0, 0}, "unknown scenario '%s' (did you mean %s?)", name, sg.best);
  if (!h->prog->scenarios.n) hx_error_at(h, (Loc){-1, 0, 0}, "unknown scenario '%s': no scenario is declared", name);
  char list[512];
  size_t k = 0;
  for (uint32_t i = 0; i < h->prog->scenarios.n && k + 80 < sizeof list; i++)
    k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", h->prog->scenarios.p[i].name->s);
  hx_error_at(h, (Loc){-1, 0, 0}, "unknown scenario '%s' (the scenarios are: %s)", name, list);
}

Scenario *prog_scenario_find(H *h, HStr *name) {
  Program *p = h->prog;
  for (uint32_t i = 0; i < p->scenarios.n; i++) if (p->scenarios.p[i].name == name) return &p->scenarios.p[i];
  return NULL;
}

void prog_override_note(H *h, HStr *name, const char *was, const char *by_path, Loc by_loc) {
  char b[900], lb[512];
  if (by_loc.src >= 0) snprintf(b, sizeof b, "Lua extension %s (used at %s)", by_path, hx_locstr(h, by_loc, lb, sizeof lb));
  else snprintf(b, sizeof b, "%s", by_path);
  struct Override o = {name, arena_strdup(h, &h->perm, was, strlen(was)), arena_strdup(h, &h->perm, b, strlen(b))};
  vec_push(h, &h->prog->overrides, o);
}
