/*
** units.c: dimensions and units. Base units: USD (money), t (mass), bbl
** (volume), years (time); kg = 0.001 t, months = 1/12 years, days = 1/365
** years (docs/language.md, Units and quantities: 1 years = 12 months = 365 days).
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "units.h"

static int8_t *dim_vec(H *h, int id) { return h->units->dims.p[id]; }

static int dim_intern(H *h, const int8_t *e) {
  Units *u = h->units;
  for (uint32_t i = 0; i < u->dims.n; i++)
    if (memcmp(u->dims.p[i], e, HX_MAX_BASE_DIMS) == 0) return (int)i;
  if (u->dims.n >= 65535) hx_error_at(h, (Loc){-1, 0, 0}, "too many distinct dimensions");
  int8_t *v = arena_alloc(h, &h->perm, HX_MAX_BASE_DIMS);
  memcpy(v, e, HX_MAX_BASE_DIMS);
  vec_push(h, &u->dims, v);
  return (int)u->dims.n - 1;
}

static int dim_of_base(H *h, int b) {
  int8_t e[HX_MAX_BASE_DIMS] = {0};
  e[b] = 1;
  return dim_intern(h, e);
}

static void add_unit(H *h, const char *name, int dim, double factor) {
  Unit u = {mem_intern_c(h, name), dim, factor, {-1, 0, 0}};
  vec_push(h, &h->units->units, u);
}

void units_init(H *h) {
  Units *u = mem_alloc(h, sizeof *u);
  memset(u, 0, sizeof *u);
  h->units = u;
  int8_t zero[HX_MAX_BASE_DIMS] = {0};
  dim_intern(h, zero);                          /* id 0: no dimension */
  static const char *const bases[] = {"USD", "t", "bbl", "years"};
  for (int i = 0; i < 4; i++) {
    u->base[i] = mem_intern_c(h, bases[i]);
    u->nbase++;
    add_unit(h, bases[i], dim_of_base(h, i), 1);
  }
  add_unit(h, "kg", dim_of_base(h, 1), 0.001);
  add_unit(h, "months", dim_of_base(h, 3), 1.0 / 12);
  add_unit(h, "days", dim_of_base(h, 3), 1.0 / 365);
  /* singular spellings read naturally: `term: 1 year` (a documented extension) */
  add_unit(h, "year", dim_of_base(h, 3), 1);
  add_unit(h, "month", dim_of_base(h, 3), 1.0 / 12);
  add_unit(h, "day", dim_of_base(h, 3), 1.0 / 365);
}

void units_free(H *h) {
  if (!h->units) return;
  vec_free(h, &h->units->dims);
  vec_free(h, &h->units->units);
  mem_free(h, h->units, sizeof *h->units);
  h->units = NULL;
}

int dim_money(H *h) { (void)h; return 1; }
int dim_time(H *h) { (void)h; return 4; }

static Unit *find_unit(H *h, const char *s, size_t n) {
  Units *u = h->units;
  for (uint32_t i = u->units.n; i-- > 0;) {
    Unit *x = &u->units.p[i];
    if (x->name->len == n && (n == 0 || x->name->s[0] == s[0]) && memcmp(x->name->s, s, n) == 0) return x;
  }
  return NULL;
}

static void check_new(H *h, HStr *name, Loc loc) {
  Unit *old = find_unit(h, name->s, name->len);
  if (!old) return;
  hx_error_begin(h, HEDGE_ERROR, loc, (int)name->len, "unit '%s' is already declared", name->s);
  if (old->loc.src >= 0) hx_error_note(h, old->loc, "first declared here");
  else hx_error_note(h, old->loc, "'%s' is a built-in unit", name->s);
  hx_error_end(h);
}

void units_declare_base(H *h, HStr *name, Loc loc, Loc nameloc) {
  Units *u = h->units;
  check_new(h, name, nameloc);
  if (u->nbase >= HX_MAX_BASE_DIMS) hx_error_at(h, loc, "too many base units (at most %d)", HX_MAX_BASE_DIMS);
  u->base[u->nbase] = name;
  int d = dim_of_base(h, u->nbase++);
  Unit x = {name, d, 1, loc};
  vec_push(h, &u->units, x);
}

void units_declare(H *h, HStr *name, double factor, HStr *of, Loc loc, Loc nameloc, Loc ofloc) {
  check_new(h, name, nameloc);
  int dim; double f;
  units_resolve_src(h, of, ofloc, &dim, &f);
  if (!(factor > 0)) hx_error_at(h, loc, "a unit's factor must be positive");
  if (!isfinite(factor * f) || factor * f == 0) hx_error_at(h, loc, "number too large: the unit's size in %s is out of range", of->s);
  Unit x = {name, dim, factor * f, loc};
  vec_push(h, &h->units->units, x);
}

int units_lookup(H *h, const char *text, size_t n, int *dim, double *factor) {
  int d = 0; double f = 1;
  size_t i = 0;
  int op = '*';
  while (i <= n) {
    size_t j = i;
    while (j < n && text[j] != '/' && text[j] != '*' && text[j] != '^') j++;
    Unit *u = find_unit(h, text + i, j - i);
    if (!u) return 0;
    int power = 1;
    if (j < n && text[j] == '^') {
      /* t^2, m^-1: the part to a whole power */
      size_t k = j + 1;
      int neg = k < n && text[k] == '-';
      if (neg) k++;
      if (k >= n || text[k] < '0' || text[k] > '9') return 0;
      power = 0;
      while (k < n && text[k] >= '0' && text[k] <= '9') { power = power * 10 + (text[k] - '0'); if (power > 100) return 0; k++; }
      if (neg) power = -power;
      j = k;
    }
    int pd = power == 1 ? u->dim : dim_pow(h, u->dim, power);   /* a unit to the first power is itself */
    if (pd < 0) return 0;
    double pf = 1;
    for (int e = 0; e < (power < 0 ? -power : power); e++) pf *= u->factor;
    if (power < 0) pf = 1 / pf;
    if (op == '*') { d = dim_mul(h, d, pd); f *= pf; }
    else { d = dim_div(h, d, pd); f /= pf; }
    if (j >= n) break;
    op = text[j];
    i = j + 1;
  }
  *dim = d; *factor = f;
  return 1;
}

/* The unit a spelled-out name means (tonnes: t), for "did you mean": the
** edit distance alone would not find it. NULL when none. */
static const char *unit_alias(const char *s, size_t n) {
  static const char *const alias[][2] = {
    {"tonnes", "t"}, {"tonne", "t"}, {"tons", "t"}, {"ton", "t"}, {"metric_tons", "t"}, {"mt", "t"},
    {"dollars", "USD"}, {"dollar", "USD"}, {"usd", "USD"}, {"barrels", "bbl"}, {"barrel", "bbl"},
    {"kilograms", "kg"}, {"kilogram", "kg"}, {"kgs", "kg"}, {"yr", "years"}, {"yrs", "years"},
  };
  for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
    if (strlen(alias[i][0]) == n && memcmp(alias[i][0], s, n) == 0) return alias[i][1];
  return NULL;
}

/* at_part: loc is where text starts in the source, so the caret can go
** under the unknown part; else the whole text is marked at loc. */
static void resolve_unit(H *h, HStr *text, Loc loc, int at_part, int *dim, double *factor) {
  if (units_lookup(h, text->s, text->len, dim, factor)) return;
  /* find the failing part for the message */
  const char *s = text->s;
  size_t i = 0, n = text->len;
  while (i <= n) {
    size_t j = i;
    while (j < n && s[j] != '/' && s[j] != '*' && s[j] != '^') j++;
    if (!find_unit(h, s + i, j - i)) {
      Suggest sg;
      suggest_init(&sg, s + i, j - i);
      for (uint32_t k = 0; k < h->units->units.n; k++) suggest_try(&sg, h->units->units.p[k].name->s);
      const char *alias = unit_alias(s + i, j - i);
      int ad;
      double af;
      if (alias && units_lookup(h, alias, strlen(alias), &ad, &af)) sg.best = alias;
      Loc l = loc;
      int w = (int)n;
      if (at_part) { l.col += (int)i; w = (int)(j - i); }   /* unit names are ASCII */
      if (sg.best)
        hx_error_span(h, l, w, "unknown unit '%.*s' (did you mean %s?)", (int)(j - i), s + i, sg.best);
      hx_error_span(h, l, w, "unknown unit '%.*s' (declare it with `unit %.*s` or `unit %.*s = FACTOR UNIT`)",
                    (int)(j - i), s + i, (int)(j - i), s + i, (int)(j - i), s + i);
    }
    while (j < n && s[j] != '/' && s[j] != '*') j++;   /* past a power */
    if (j >= n) break;
    i = j + 1;
  }
  hx_error_at(h, loc, "unknown unit '%s' (a power is written t^2, with a whole exponent)", s);
}

void units_resolve(H *h, HStr *text, Loc loc, int *dim, double *factor) {
  resolve_unit(h, text, loc, 0, dim, factor);
  if (!isfinite(*factor) || *factor == 0) hx_error_at(h, loc, "number too large: the unit '%s' is out of range", text->s);
}

void units_resolve_src(H *h, HStr *text, Loc loc, int *dim, double *factor) {
  /* a file of quantities names the same unit again and again: the one named
  ** last, if it is this very (interned) name, is what units_lookup would find
  ** for a unit to the first power (unit names are unique) */
  Units *u = h->units;
  if (u->last < u->units.n && u->units.p[u->last].name == text) {
    *dim = u->units.p[u->last].dim;
    *factor = u->units.p[u->last].factor;
    return;
  }
  resolve_unit(h, text, loc, 1, dim, factor);
  if (!isfinite(*factor) || *factor == 0) hx_error_at(h, loc, "number too large: the unit '%s' is out of range", text->s);
  for (uint32_t i = u->units.n; i-- > 0;)
    if (u->units.p[i].name == text) { u->last = i; break; }
}

static int combine(H *h, int a, int b, int sign) {
  int8_t e[HX_MAX_BASE_DIMS];
  const int8_t *x = dim_vec(h, a), *y = dim_vec(h, b);
  for (int i = 0; i < HX_MAX_BASE_DIMS; i++) {
    int v = x[i] + sign * y[i];
    if (v > 100 || v < -100) hx_error_at(h, (Loc){-1, 0, 0}, "unit exponent out of range");
    e[i] = (int8_t)v;
  }
  return dim_intern(h, e);
}
int dim_mul(H *h, int a, int b) { return b == 0 ? a : a == 0 ? b : combine(h, a, b, 1); }
int dim_div(H *h, int a, int b) { return b == 0 ? a : combine(h, a, b, -1); }

int dim_pow(H *h, int a, int k) {
  int8_t e[HX_MAX_BASE_DIMS];
  const int8_t *x = dim_vec(h, a);
  for (int i = 0; i < HX_MAX_BASE_DIMS; i++) {
    long v = (long)x[i] * k;
    if (v > 100 || v < -100) return -1;
    e[i] = (int8_t)v;
  }
  return dim_intern(h, e);
}

int dim_root(H *h, int a, double y) {
  int8_t e[HX_MAX_BASE_DIMS];
  const int8_t *x = dim_vec(h, a);
  for (int i = 0; i < HX_MAX_BASE_DIMS; i++) {
    double v = x[i] * y;
    if (v != (double)(long)v || v > 100 || v < -100) return -1;
    e[i] = (int8_t)v;
  }
  return dim_intern(h, e);
}

const char *dim_name(H *h, int dim, char *buf, size_t n) {
  const int8_t *e = dim_vec(h, dim);
  Units *u = h->units;
  size_t len = 0;
  buf[0] = 0;
  int any_pos = 0;
  for (int i = 0; i < u->nbase; i++) if (e[i] > 0) any_pos = 1;
  if (!any_pos) len += (size_t)snprintf(buf + len, n > len ? n - len : 0, "1");
  int first = 1;
  for (int i = 0; i < u->nbase && len < n; i++) {
    if (e[i] <= 0) continue;
    len += (size_t)snprintf(buf + len, n - len, "%s%s", first ? "" : "*", u->base[i]->s);
    if (e[i] > 1 && len < n) len += (size_t)snprintf(buf + len, n - len, "^%d", e[i]);
    first = 0;
  }
  for (int i = 0; i < u->nbase && len < n; i++) {
    if (e[i] >= 0) continue;
    len += (size_t)snprintf(buf + len, n - len, "/%s", u->base[i]->s);
    if (e[i] < -1 && len < n) len += (size_t)snprintf(buf + len, n - len, "^%d", -e[i]);
  }
  return buf;
}

uint32_t units_count(H *h) { return h->units->units.n; }
void units_truncate(H *h, uint32_t n, int nbase) {
  if (n < h->units->units.n) h->units->units.n = n;
  if (nbase < h->units->nbase) h->units->nbase = nbase;
}
