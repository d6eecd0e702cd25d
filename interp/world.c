/*
** world.c: entity tables (see world.h). Rows are only appended; a scenario
** or test block changes cells and drop flags through an undo log and is
** rolled back afterwards, so the million rows it did not touch are never
** copied.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "world.h"
#include "units.h"
#include "date.h"

/* One logged change: the cell (or drop flag) and its old value. */
typedef struct Undo { uint8_t kind, what; int16_t col; uint32_t row; Value old; } Undo;
enum { U_FIELD, U_ATTR, U_DROP };

static const FieldSpec named_fields[] = {
  {"name", FT_NAME, 0, WC_NAME, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};
static const FieldSpec deal_fields[] = {
  {"exporter", FT_ENTITY, K_PARTNER, WC_A, 1, NULL},
  {"importer", FT_ENTITY, K_PARTNER, WC_B, 1, NULL},
  {"commodity", FT_ENTITY, K_COMMODITY, WC_C, 1, NULL},
  {"value", FT_MONEY, 0, WC_VALUE, 1, "USD"},
  {"volume", FT_QUANTITY, 0, WC_ATTR, 0, NULL},
  {"date", FT_DATE, 0, WC_DATE, 0, NULL},
  {"year", FT_YEAR, 0, WC_YEAR, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};
static const FieldSpec loan_fields[] = {
  {"lender", FT_ENTITY, K_PARTNER, WC_A, 1, NULL},
  {"borrower", FT_ENTITY, K_PARTNER, WC_B, 1, NULL},
  {"principal", FT_MONEY, 0, WC_VALUE, 1, "USD"},
  {"rate", FT_RATIO, 0, WC_ATTR, 0, NULL},
  {"start", FT_DATE, 0, WC_DATE, 0, NULL},
  {"term", FT_TIME, 0, WC_TERM, 0, "years"},
  {NULL, 0, 0, 0, 0, NULL}};

const FieldSpec *world_schema(int kind) {
  return kind == K_DEAL ? deal_fields : kind == K_LOAN ? loan_fields : named_fields;
}

const FieldSpec *world_schema_field(int kind, const char *name) {
  for (const FieldSpec *f = world_schema(kind); f->name; f++)
    if (strcmp(f->name, name) == 0) return f;
  return NULL;
}

static const EntityView world_entities = {world_count, world_nth, world_name};

void world_init(H *h) {
  World *w = mem_alloc(h, sizeof *w);
  memset(w, 0, sizeof *w);
  h->world = w;
  h->entities = &world_entities;
  w->f_exporter = mem_intern_c(h, "exporter");
  w->f_importer = mem_intern_c(h, "importer");
  w->f_commodity = mem_intern_c(h, "commodity");
  w->f_value = mem_intern_c(h, "value");
  w->f_date = mem_intern_c(h, "date");
  w->f_year = mem_intern_c(h, "year");
  w->f_lender = mem_intern_c(h, "lender");
  w->f_borrower = mem_intern_c(h, "borrower");
  w->f_principal = mem_intern_c(h, "principal");
  w->f_start = mem_intern_c(h, "start");
  w->f_term = mem_intern_c(h, "term");
  w->f_name = mem_intern_c(h, "name");
}

#define FREE_ARR(p, n) mem_free(h, (p), (size_t)(n) * sizeof *(p))

static void table_free(H *h, Table *t) {
  FREE_ARR(t->names, t->cap); FREE_ARR(t->dropped, t->cap);
  FREE_ARR(t->a, t->cap); FREE_ARR(t->b, t->cap); FREE_ARR(t->c, t->cap);
  FREE_ARR(t->value, t->cap); FREE_ARR(t->date, t->cap); FREE_ARR(t->year, t->cap);
  FREE_ARR(t->prec, t->cap); FREE_ARR(t->term, t->cap);
  for (uint32_t i = 0; i < t->cols.n; i++) {
    FREE_ARR(t->cols.p[i].nums, t->cols.p[i].cap);
    FREE_ARR(t->cols.p[i].vals, t->cols.p[i].cap);
  }
  vec_free(h, &t->cols);
}

/* The indexes (index.c, above the world) follow a deal's new value, when
** any are built. */
static void indexes_follow_value(H *h, uint32_t row) {
  World *w = h->world;
  if (w->idx) w->idx_hooks->value_changed(h, row);
}

void world_free(H *h) {
  World *w = h->world;
  if (!w) return;
  if (w->idx) w->idx_hooks->free(h);
  for (int k = 0; k < K_NKINDS; k++) {
    table_free(h, &w->t[k]);
    mem_free(h, w->cuts[k].p, (size_t)w->cuts[k].cap * sizeof(uint32_t));
  }
  vec_free(h, &w->undo);
  mem_free(h, w, sizeof *w);
  h->world = NULL;
}

void world_changed(H *h) { h->world->version++; h->world->index_version++; }
void world_touched(H *h) { h->world->version++; }

#define GROW(p, old, cap) ((p) = mem_realloc(h, (p), (size_t)(old) * sizeof *(p), (size_t)(cap) * sizeof *(p)))

static void column_grow(H *h, Column *c, uint32_t cap) {
  if (c->is_num) GROW(c->nums, c->cap, cap);
  else GROW(c->vals, c->cap, cap);
  c->cap = cap;
}

/* Makes room for `need` rows in every array of the table. Every array
** grows or none does: they share t->cap, and a memory error half-way must
** not leave some larger than t->cap says (the allocator would later be
** given wrong sizes). So all new arrays are allocated first, then filled. */
typedef struct Growth { void *field; size_t old, nu; void *fresh; } Growth;

void world_table_reserve(H *h, int kind, uint32_t need) {
  Table *t = &h->world->t[kind];
  if (need <= t->cap) return;
  uint32_t cap = t->cap ? t->cap : 16;
  while (cap < need) cap = cap < 0x40000000u ? cap * 2 : need;
  Growth *g = arena_alloc(h, &h->temp, (10 + (size_t)t->cols.n) * sizeof *g);
  uint32_t n = 0;
#define ADD(f) (g[n].field = &(f), g[n].old = (size_t)t->cap * sizeof *(f), g[n].nu = (size_t)cap * sizeof *(f), n++)
  /* deals and loans are mostly anonymous: their names array exists only
  ** once one is named (8 bytes a row saved on a million loaded deals) */
  if (t->names || kind == K_PARTNER || kind == K_COMMODITY) ADD(t->names);
  if (t->dropped) ADD(t->dropped);
  if (kind == K_DEAL || kind == K_LOAN) {
    ADD(t->a); ADD(t->b); ADD(t->value); ADD(t->date); ADD(t->prec); ADD(t->year);
    if (kind == K_DEAL) ADD(t->c);
    else ADD(t->term);
  }
#undef ADD
  for (uint32_t i = 0; i < t->cols.n; i++) {
    Column *c = &t->cols.p[i];
    size_t e = c->is_num ? sizeof(double) : sizeof(Value);
    g[n].field = c->is_num ? (void *)&c->nums : (void *)&c->vals;
    g[n].old = (size_t)c->cap * e;
    g[n].nu = (size_t)cap * e;
    n++;
  }
  for (uint32_t i = 0; i < n; i++) {
    g[i].fresh = mem_try_alloc(h, g[i].nu);
    if (!g[i].fresh) {
      size_t want = g[i].nu;
      while (i--) mem_free(h, g[i].fresh, g[i].nu);
      Loc none = {-1, 0, 0};
      if (h->mem_cap && h->mem_used + want > h->mem_cap)
        hx_error_status(h, HEDGE_EMEMORY, none, "memory limit reached (%zu bytes)", h->mem_cap);
      hx_error_status(h, HEDGE_EMEMORY, none, "out of memory (allocating %zu bytes)", want);
    }
  }
  /* nothing can fail from here on */
  for (uint32_t i = 0; i < n; i++) {
    void *old;
    memcpy(&old, g[i].field, sizeof old);
    if (old) memcpy(g[i].fresh, old, g[i].old);
    mem_free(h, old, g[i].old);
    memcpy(g[i].field, &g[i].fresh, sizeof g[i].fresh);
  }
  if (t->dropped) memset(t->dropped + t->cap, 0, cap - t->cap);
  for (uint32_t i = 0; i < t->cols.n; i++) t->cols.p[i].cap = cap;
  t->cap = cap;
}

static void column_set_nil(Column *c, uint32_t row) {
  if (c->is_num) c->nums[row] = NAN;
  else c->vals[row] = v_nil();
}

void world_row_defaults(Table *t, int kind, uint32_t r) { world_row_defaults_except(t, kind, r, 0, NULL); }

void world_row_defaults_except(Table *t, int kind, uint32_t r, unsigned filled, const uint8_t *col_filled) {
  if (t->names && !(filled & (1u << WC_NAME))) t->names[r] = NULL;
  if (kind == K_DEAL || kind == K_LOAN) {
    if (!(filled & (1u << WC_A))) t->a[r] = NO_ROW;
    if (!(filled & (1u << WC_B))) t->b[r] = NO_ROW;
    if (!(filled & (1u << WC_VALUE))) t->value[r] = NAN;
    if (!(filled & (1u << WC_DATE))) {
      t->date[r] = NO_DATE;
      t->year[r] = NO_YEAR;
      t->prec[r] = 0;
    }
    if (kind == K_DEAL) { if (!(filled & (1u << WC_C))) t->c[r] = NO_ROW; }
    else if (!(filled & (1u << WC_TERM))) t->term[r] = NAN;
  }
  for (uint32_t i = 0; i < t->cols.n; i++)
    if (!col_filled || !col_filled[i]) column_set_nil(&t->cols.p[i], r);
}

uint32_t world_add(H *h, int kind, HStr *name, Loc loc) {
  Table *t = &h->world->t[kind];
  if (t->n == UINT32_MAX - 1) hx_error_at(h, loc, "too many %s", kind_plural[kind]);
  world_table_reserve(h, kind, t->n + 1);
  if (name && !t->names) {
    t->names = mem_alloc(h, (size_t)t->cap * sizeof *t->names);
    memset(t->names, 0, (size_t)t->cap * sizeof *t->names);
  }
  uint32_t r = t->n++;
  world_row_defaults(t, kind, r);
  if (t->names) t->names[r] = name;
  (void)loc;
  world_changed(h);
  return r;
}

static void log_change(H *h, int kind, int what, int col, uint32_t row, Value old) {
  World *w = h->world;
  if (!w->logging) return;
  Undo u = {(uint8_t)kind, (uint8_t)what, (int16_t)col, row, old};
  vec_push(h, &w->undo, u);
}

/* ---- free attributes ------------------------------------------------------------ */

static int find_col(Table *t, HStr *name) {
  for (uint32_t i = 0; i < t->cols.n; i++) if (t->cols.p[i].name == name) return (int)i;
  return -1;
}

/* Stores numbers (of one dimension) unboxed; the first other value turns
** the column into boxed Values for good. */
static void column_box(H *h, Column *c, uint32_t n) {
  Value *v = mem_alloc(h, (size_t)c->cap * sizeof(Value));
  for (uint32_t i = 0; i < n; i++) v[i] = isnan(c->nums[i]) ? v_nil() : v_qty(c->nums[i], c->dim);
  FREE_ARR(c->nums, c->cap);
  c->nums = NULL;
  c->vals = v;
  c->is_num = 0;
}

/* (see world.h) */
void world_column_text(H *h, int kind, int col) {
  Table *t = &h->world->t[kind];
  Column *c = &t->cols.p[col];
  if (c->is_num) column_box(h, c, t->n);
}

int world_column(H *h, int kind, HStr *name, int numeric, int dim) {
  Table *t = &h->world->t[kind];
  int ci = find_col(t, name);
  if (ci >= 0) return ci;
  if (t->cols.n >= HX_MAX_COLUMNS) hx_error_at(h, (Loc){-1, 0, 0}, "too many attribute columns");
  Column c;
  memset(&c, 0, sizeof c);
  c.name = name;
  c.is_num = numeric;
  c.dim = dim;
  vec_push(h, &t->cols, c);
  Column *cp = &t->cols.p[t->cols.n - 1];
  column_grow(h, cp, t->cap ? t->cap : 16);
  for (uint32_t r = 0; r < t->n; r++) column_set_nil(cp, r);
  return (int)t->cols.n - 1;
}

static Value column_get(Column *c, uint32_t row) {
  if (c->is_num) return isnan(c->nums[row]) ? v_nil() : v_qty(c->nums[row], c->dim);
  return c->vals[row];
}

static void column_put(H *h, Table *t, Column *c, uint32_t row, Value v) {
  if (c->is_num) {
    int fits = (v.tag == T_NUM && c->dim == 0) || (v.tag == T_QTY && v.dim == c->dim) || v.tag == T_NIL;
    if (fits && !(v.tag != T_NIL && isnan(v.as.num))) { c->nums[row] = v.tag == T_NIL ? NAN : v.as.num; return; }
    column_box(h, c, t->n);
  }
  c->vals[row] = v;
}

void world_set_attr(H *h, int kind, uint32_t row, HStr *name, Value v) {
  Table *t = &h->world->t[kind];
  int numeric = v.tag == T_NUM || v.tag == T_QTY;
  int ci = world_column(h, kind, name, numeric, v.tag == T_QTY ? v.dim : 0);
  Column *c = &t->cols.p[ci];
  if (h->world->logging) log_change(h, kind, U_ATTR, ci, row, column_get(c, row));
  if (v.tag == T_STR || v.tag == T_LIST || v.tag == T_REC) v = v_copy(h, &h->perm, v);
  column_put(h, t, c, row, v);
  world_touched(h);   /* free attributes are in no index */
}

/* ---- fiscal years ----------------------------------------------------------------- */

static int32_t date_fiscal_year(World *w, Value d) {
  int y, m, dd;
  date_to_civil(d.i, &y, &m, &dd);
  return world_fiscal_year(w->fy_start, y, m, d.kind);
}

void world_set_fiscal(H *h, int month) {
  World *w = h->world;
  w->fy_start = month;
  for (int k = K_DEAL; k <= K_LOAN; k++) {
    Table *t = &w->t[k];
    for (uint32_t r = 0; r < t->n; r++) {
      if (t->date[r] == NO_DATE) continue;
      int y, m, d;
      date_to_civil(t->date[r], &y, &m, &d);
      t->year[r] = world_fiscal_year(month, y, m, t->prec[r]);
    }
  }
  world_changed(h);
}

/* ---- built-in fields ------------------------------------------------------------ */

Value world_field(H *h, int kind, uint32_t row, HStr *name, int *found) {
  World *w = h->world;
  Table *t = &w->t[kind];
  *found = 1;
  if (kind == K_DEAL) {
    if (name == w->f_exporter) return t->a[row] == NO_ROW ? v_nil() : v_ent(K_PARTNER, (int32_t)t->a[row]);
    if (name == w->f_importer) return t->b[row] == NO_ROW ? v_nil() : v_ent(K_PARTNER, (int32_t)t->b[row]);
    if (name == w->f_commodity) return t->c[row] == NO_ROW ? v_nil() : v_ent(K_COMMODITY, (int32_t)t->c[row]);
    if (name == w->f_value) return isnan(t->value[row]) ? v_nil() : v_qty(t->value[row], dim_money(h));
    if (name == w->f_date) return t->date[row] == NO_DATE ? v_nil() : v_date(t->date[row], t->prec[row]);
    if (name == w->f_year) return t->year[row] == NO_YEAR ? v_nil() : v_num(t->year[row]);
  } else if (kind == K_LOAN) {
    if (name == w->f_lender) return t->a[row] == NO_ROW ? v_nil() : v_ent(K_PARTNER, (int32_t)t->a[row]);
    if (name == w->f_borrower) return t->b[row] == NO_ROW ? v_nil() : v_ent(K_PARTNER, (int32_t)t->b[row]);
    if (name == w->f_principal) return isnan(t->value[row]) ? v_nil() : v_qty(t->value[row], dim_money(h));
    if (name == w->f_start) return t->date[row] == NO_DATE ? v_nil() : v_date(t->date[row], t->prec[row]);
    if (name == w->f_term) return isnan(t->term[row]) ? v_nil() : v_qty(t->term[row], dim_time(h));
  }
  int ci = find_col(t, name);
  if (ci >= 0) return column_get(&t->cols.p[ci], row);
  *found = 0;
  return v_nil();
}

static void need_entity(H *h, Value v, int want, const char *field, Loc loc) {
  char b1[80], nb[128];
  if (v.tag == T_ENT && v.kind == want) return;
  if (v.tag == T_ENT)
    hx_error_at(h, loc, "%s must be a %s, but %s is a %s", field, kind_names[want],
                world_name(h, v.kind, (uint32_t)v.i, nb, sizeof nb), kind_names[v.kind]);
  hx_error_at(h, loc, "%s must be a %s, not %s", field, kind_names[want], v_typename(h, v, b1, sizeof b1));
}

static double need_money(H *h, Value v, const char *what, Loc loc) {
  char b1[80];
  if (v.tag == T_QTY && v.dim == dim_money(h)) return v.as.num;
  if (v.tag == T_NUM && v.as.num == 0) return 0;
  if (v.tag == T_NUM)
    hx_error_at(h, loc, "%s must be money: write a unit, as in %s USD", what, v_show(h, v, b1, sizeof b1));
  hx_error_at(h, loc, "%s must be money (USD or a declared money unit), not %s", what, v_show(h, v, b1, sizeof b1));
}

/* A date field takes a date, or a whole number as a year (date: 2025). */
static Value need_date(H *h, Value v, const char *what, Loc loc) {
  char b1[80];
  if (v.tag == T_DATE) return v;
  if (v.tag == T_NUM && v.as.num == floor(v.as.num) && v.as.num >= 1 && v.as.num <= 9999)
    return v_date(date_from_civil((int)v.as.num, 1, 1), DATE_YEAR);
  hx_error_at(h, loc, "%s must be a date (2025-10, 2025-10-15) or a year (2025), not %s", what, v_show(h, v, b1, sizeof b1));
}

static Value field_old(H *h, int kind, uint32_t row, HStr *name) {
  int found;
  return world_field(h, kind, row, name, &found);
}

void world_set_field(H *h, int kind, uint32_t row, HStr *name, Value v, Loc loc) {
  World *w = h->world;
  Table *t = &w->t[kind];
  char b1[80];
  int builtin = 1;
  if (kind == K_DEAL) {
    if (name == w->f_year) hx_error_at(h, loc, "year is computed from date: set `date` instead (date: 2025)");
    builtin = name == w->f_exporter || name == w->f_importer || name == w->f_commodity || name == w->f_value || name == w->f_date;
  } else if (kind == K_LOAN) {
    builtin = name == w->f_lender || name == w->f_borrower || name == w->f_principal || name == w->f_start || name == w->f_term;
  } else builtin = 0;
  if (!builtin) {
    if (v.tag == T_FUNC || v.tag == T_COLL) hx_error_at(h, loc, "a field cannot hold %s", v_typename(h, v, b1, sizeof b1));
    world_set_attr(h, kind, row, name, v);
    return;
  }
  /* col -2 marks the importer/borrower column, -1 any other built-in field */
  if (w->logging)
    log_change(h, kind, U_FIELD, name == w->f_importer || name == w->f_borrower ? -2 : -1, row, field_old(h, kind, row, name));
  if (name == w->f_exporter || name == w->f_lender) { need_entity(h, v, K_PARTNER, name->s, loc); t->a[row] = (uint32_t)v.i; }
  else if (name == w->f_importer || name == w->f_borrower) { need_entity(h, v, K_PARTNER, name->s, loc); t->b[row] = (uint32_t)v.i; }
  else if (name == w->f_commodity) { need_entity(h, v, K_COMMODITY, name->s, loc); t->c[row] = (uint32_t)v.i; }
  else if (name == w->f_value || name == w->f_principal) {
    double x = need_money(h, v, kind == K_DEAL ? "a deal's value" : "a loan's principal", loc);
    if (x < 0 && kind == K_LOAN) hx_error_at(h, loc, "a loan's principal cannot be negative");
    t->value[row] = x;
  } else if (name == w->f_date || name == w->f_start) {
    Value d = need_date(h, v, name->s, loc);
    t->date[row] = d.i;
    t->prec[row] = d.kind;
    t->year[row] = date_fiscal_year(w, d);
  } else if (name == w->f_term) {
    if (v.tag != T_QTY || v.dim != dim_time(h))
      hx_error_at(h, loc, "a loan's term must be a time, as in 12 years, not %s", v_show(h, v, b1, sizeof b1));
    if (!(v.as.num > 0)) hx_error_at(h, loc, "a loan's term must be positive");
    t->term[row] = v.as.num;
  }
  /* the indexes hold deals' keys and values, loans' borrowers and every
  ** row's year: a new value moves no row, a loan's principal or term none */
  if (kind == K_DEAL && name == w->f_value) { world_touched(h); indexes_follow_value(h, row); }
  else if (kind == K_LOAN && (name == w->f_principal || name == w->f_term)) world_touched(h);
  else world_changed(h);
}

/* Whether a row lacks a required field kept in a column of its table. */
static int cell_missing(const Table *t, WorldColumn c, uint32_t row) {
  switch (c) {
    case WC_A: return t->a[row] == NO_ROW;
    case WC_B: return t->b[row] == NO_ROW;
    case WC_C: return t->c[row] == NO_ROW;
    case WC_VALUE: return isnan(t->value[row]);
    default: return 0;
  }
}

void world_check_required(H *h, int kind, uint32_t row, Loc loc) {
  Table *t = &h->world->t[kind];
  const FieldSpec *schema = world_schema(kind);
  for (const FieldSpec *f = schema; f->name; f++) {
    if (!f->required || !cell_missing(t, f->column, row)) continue;
    /* "a deal needs exporter, importer, commodity and value" */
    char need[128] = "";
    int nreq = 0, k = 0;
    for (const FieldSpec *g = schema; g->name; g++) nreq += g->required;
    for (const FieldSpec *g = schema; g->name; g++)
      if (g->required) {
        size_t l = strlen(need);
        snprintf(need + l, sizeof need - l, "%s%s", k == 0 ? "" : k == nreq - 1 ? " and " : ", ", g->name);
        k++;
      }
    hx_error_at(h, loc, "this %s has no %s (a %s needs %s)", kind_names[kind], f->name, kind_names[kind], need);
  }
  if (kind == K_DEAL && t->a[row] == t->b[row])
    hx_error_at(h, loc, "a deal's exporter and importer must differ");
}

void world_drop(H *h, int kind, uint32_t row) {
  World *w = h->world;
  Table *t = &w->t[kind];
  if (!t->dropped) {
    t->dropped = mem_alloc(h, t->cap ? t->cap : 1);
    memset(t->dropped, 0, t->cap ? t->cap : 1);
  }
  if (t->dropped[row]) return;
  log_change(h, kind, U_DROP, 0, row, v_nil());
  t->dropped[row] = 1;
  t->ndropped++;
  world_changed(h);
}

/* ---- names and positions --------------------------------------------------------- */

uint32_t world_position(H *h, int kind, uint32_t row) {
  Table *t = &h->world->t[kind];
  if (!t->ndropped) return row + 1;
  uint32_t pos = 0;
  for (uint32_t r = 0; r <= row && r < t->n; r++) if (!t->dropped[r]) pos++;
  return pos;
}

const char *world_name(H *h, int kind, uint32_t row, char *buf, size_t n) {
  Table *t = &h->world->t[kind];
  if (row >= t->n) { snprintf(buf, n, "%s#?", kind_names[kind]); return buf; }
  if (t->names && t->names[row]) return t->names[row]->s;
  snprintf(buf, n, "%s#%u", kind_names[kind], world_position(h, kind, row));
  return buf;
}

uint32_t world_count(H *h, int kind) { Table *t = &h->world->t[kind]; return t->n - t->ndropped; }

uint32_t world_nth(H *h, int kind, uint32_t i) {
  Table *t = &h->world->t[kind];
  if (!t->ndropped) return i < t->n ? i : NO_ROW;
  for (uint32_t r = 0; r < t->n; r++)
    if (!t->dropped[r] && i-- == 0) return r;
  return NO_ROW;
}

/* ---- overlays -------------------------------------------------------------------- */

WorldMark world_mark(H *h) {
  World *w = h->world;
  WorldMark m;
  memset(&m, 0, sizeof m);
  for (int k = 0; k < K_NKINDS; k++) { m.n[k] = w->t[k].n; m.ncols[k] = w->t[k].cols.n; }
  m.undo = w->undo.n;
  m.logging = w->logging;
  w->logging++;
  return m;
}

static void undo_one(H *h, Undo *u) {
  World *w = h->world;
  Table *t = &w->t[u->kind];
  if (u->row >= t->n) return;   /* the row itself goes with the truncation */
  switch (u->what) {
    case U_DROP:
      t->dropped[u->row] = 0;
      t->ndropped--;
      break;
    case U_ATTR: {
      Column *c = &t->cols.p[u->col];
      if (c->is_num) c->nums[u->row] = u->old.tag == T_NIL ? NAN : u->old.as.num;
      else c->vals[u->row] = u->old;
      break;
    }
    case U_FIELD: {
      Value v = u->old;
      /* the old value's type says which built-in field it was; a nil old
      ** value can only come from a row created after the mark */
      if (v.tag == T_ENT && v.kind == K_COMMODITY) t->c[u->row] = (uint32_t)v.i;
      else if (v.tag == T_QTY && v.dim == dim_money(h)) t->value[u->row] = v.as.num;
      else if (v.tag == T_NUM) t->value[u->row] = v.as.num;   /* money 0 */
      else if (v.tag == T_DATE) { t->date[u->row] = v.i; t->prec[u->row] = v.kind; t->year[u->row] = date_fiscal_year(w, v); }
      else if (v.tag == T_QTY && v.dim == dim_time(h)) t->term[u->row] = v.as.num;
      break;
    }
  }
}

/* Does undoing u change what the indexes hold (keys, rows, dropped
** flags), as opposed to a deal's value (cells re-summed) or something no
** index holds (attributes; a loan's principal, start or term)? */
static int undo_moves_rows(H *h, const Undo *u) {
  if (u->what == U_ATTR) return 0;
  if (u->what != U_FIELD) return 1;
  Value v = u->old;
  int money = (v.tag == T_QTY && v.dim == dim_money(h)) || v.tag == T_NUM;
  if (money) return 0;
  if (u->kind == K_LOAN && v.tag == T_QTY && v.dim == dim_time(h)) return 0;
  return 1;
}

/* (see world.h) */
uint32_t world_deal_changes(H *h, WorldMark m, uint32_t **rows) {
  World *w = h->world;
  for (int k = 0; k < K_NKINDS; k++)
    if (k != K_DEAL && (w->t[k].n != m.n[k] || w->t[k].cols.n != m.ncols[k])) return UINT32_MAX;
  Table *t = &w->t[K_DEAL];
  uint32_t base = m.n[K_DEAL] < t->n ? m.n[K_DEAL] : t->n;
  for (uint32_t i = m.undo; i < w->undo.n; i++) {
    const Undo *u = &w->undo.p[i];
    if (u->kind != K_DEAL) return UINT32_MAX;
    /* a row added since the mark counts with its keys now; an older row
    ** may have changed its value, attributes or dropped flag, not a key */
    if (u->row < base && u->what == U_FIELD && undo_moves_rows(h, u)) return UINT32_MAX;
  }
  uint32_t n = (w->undo.n - m.undo) + (t->n - base);
  uint32_t *r = arena_alloc(h, &h->temp, (size_t)(n ? n : 1) * sizeof *r);
  uint32_t k = 0;
  for (uint32_t i = m.undo; i < w->undo.n; i++) r[k++] = w->undo.p[i].row;
  for (uint32_t x = base; x < t->n; x++) r[k++] = x;
  *rows = r;
  return k;
}

void world_truncate(H *h, int kind, uint32_t n) {
  World *w = h->world;
  Table *t = &w->t[kind];
  if (n >= t->n) return;
  t->n = n;
  /* no raise here (rollbacks run after errors): without room for the cut,
  ** every older cut becomes 0, so every handle made before reads as stale:
  ** a needless "no longer exists", never a wrong entity */
  if (w->cuts[kind].n == w->cuts[kind].cap) {
    uint32_t ncap = w->cuts[kind].cap ? w->cuts[kind].cap * 2 : 16;
    uint32_t *np = mem_try_alloc(h, (size_t)ncap * sizeof(uint32_t));
    if (!np) {
      for (uint32_t i = 0; i < w->cuts[kind].n; i++) w->cuts[kind].p[i] = 0;
      return;
    }
    if (w->cuts[kind].n) memcpy(np, w->cuts[kind].p, w->cuts[kind].n * sizeof(uint32_t));
    mem_free(h, w->cuts[kind].p, (size_t)w->cuts[kind].cap * sizeof(uint32_t));
    w->cuts[kind].p = np;
    w->cuts[kind].cap = ncap;
  }
  w->cuts[kind].p[w->cuts[kind].n++] = n;
}

int world_row_current(World *w, int kind, uint32_t row, uint32_t *seen) {
  if (row >= w->t[kind].n) return 0;
  const uint32_t *c = w->cuts[kind].p;
  for (uint32_t i = *seen; i < w->cuts[kind].n; i++)
    if (c[i] <= row) return 0;
  *seen = w->cuts[kind].n;
  return 1;
}

void world_rollback(H *h, WorldMark m) {
  World *w = h->world;
  /* when only deals' values (and what no index holds) changed since the
  ** mark, the indexes re-sum the cells of those deals instead of being
  ** rebuilt after the rollback */
  int moved = 0;
  for (uint32_t i = m.undo; i < w->undo.n && !moved; i++) moved = undo_moves_rows(h, &w->undo.p[i]);
  for (int k = 0; k < K_NKINDS && !moved; k++) moved = w->t[k].n != m.n[k];
  while (w->undo.n > m.undo) {
    Undo *u = &w->undo.p[--w->undo.n];
    if (!moved && u->what == U_FIELD && u->kind == K_DEAL) {
      undo_one(h, u);
      indexes_follow_value(h, u->row);
      continue;
    }
    if (u->what == U_FIELD && u->old.tag == T_ENT && u->old.kind == K_PARTNER) {
      /* exporter/lender vs importer/borrower: the entity alone cannot
      ** tell, so world_set_field logged the column in col */
      Table *t = &w->t[u->kind];
      if (u->row < t->n) { if (u->col == -2) t->b[u->row] = (uint32_t)u->old.i; else t->a[u->row] = (uint32_t)u->old.i; }
      continue;
    }
    undo_one(h, u);
  }
  for (int k = 0; k < K_NKINDS; k++) {
    Table *t = &w->t[k];
    if (t->dropped) for (uint32_t r = m.n[k]; r < t->n; r++) if (t->dropped[r]) { t->dropped[r] = 0; t->ndropped--; }
    world_truncate(h, k, m.n[k]);
    while (t->cols.n > m.ncols[k]) {
      Column *c = &t->cols.p[--t->cols.n];
      FREE_ARR(c->nums, c->cap);
      FREE_ARR(c->vals, c->cap);
    }
  }
  w->logging = m.logging;
  if (moved) world_changed(h);
  else world_touched(h);
}

int world_stop_word(const char *w, size_t n) {
  return (n == 3 && memcmp(w, "the", 3) == 0) || (n == 2 && memcmp(w, "of", 2) == 0) || (n == 3 && memcmp(w, "and", 3) == 0);
}

/* ---- suggestions by name: UAE -> ARE, KSA -> SAU --------------------------------- */

/* The initials of a name's significant words, upper case ("United Arab
** Emirates" -> "UAE", "Kingdom of Saudi Arabia" -> "KSA"). */
static size_t initials(const char *s, char *out, size_t cap) {
  size_t o = 0, i = 0, n = strlen(s);
  while (i < n && o < cap) {
    while (i < n && !((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) i++;
    size_t j = i;
    while (j < n && ((s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= 'a' && s[j] <= 'z'))) j++;
    if (j > i) {
      char lw[4] = {0};
      for (size_t k = 0; k < 3 && i + k < j; k++) lw[k] = (char)(s[i + k] | 32);
      if (!world_stop_word(lw, j - i)) out[o++] = (char)(s[i] & ~32);
    }
    i = j;
  }
  return o;
}

/* (see world.h) */
const char *world_suggest_by_name(H *h, int kind, const char *s, size_t n) {
  if (n < 2 || n > 16 || kind < 0 || kind > K_COMMODITY) return NULL;
  World *w = h->world;
  Table *t = &w->t[kind];
  /* looked up, not interned: this may run in a loader thread */
  HStr *fields[3] = {w->f_name, mem_intern_find(h, "official_name", 13), mem_intern_find(h, "common_name", 11)};
  char up[17];
  for (size_t i = 0; i < n; i++) up[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
  for (uint32_t r = 0; r < t->n; r++) {
    if (!t->names[r] || !world_alive(w, kind, r)) continue;
    for (int k = 0; k < 3; k++) {
      int found;
      if (!fields[k]) continue;
      Value v = world_field(h, kind, r, fields[k], &found);
      if (v.tag != T_STR) continue;
      char ini[64];
      size_t m = initials(v.as.str->s, ini, sizeof ini);
      if (m == n && memcmp(ini, up, n) == 0) return t->names[r]->s;
      if (v.as.str->len == n && strncasecmp(v.as.str->s, s, n) == 0) return t->names[r]->s;
    }
  }
  return NULL;
}
