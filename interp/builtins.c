/*
** builtins.c: functions written in C: the aggregates of docs/language.md, Expressions
** (they take comprehensions natively, see eval.c) and "the usual" of
** section 7: abs round floor ceil sqrt log exp min max len sort year month.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "units.h"
#include "builtins.h"
#include "numfmt.h"

static Loc call_loc(CallArgs *a) { return a->call ? a->call->loc : (Loc){-1, 0, 0}; }

static void arity(H *h, CallArgs *a, const char *name, int lo, int hi) {
  if (a->nnamed) hx_error_at(h, call_loc(a), "%s takes no named argument '%s'", name, a->names[0]->s);
  if (a->npos < lo || a->npos > hi) {
    if (lo == hi) hx_error_at(h, call_loc(a), "%s takes %d argument%s, got %d", name, lo, lo == 1 ? "" : "s", a->npos);
    hx_error_at(h, call_loc(a), "%s takes %d to %d arguments, got %d", name, lo, hi, a->npos);
  }
}

static Value numeric_arg(H *h, CallArgs *a, const char *name, int i) {
  Value v = a->pos[i];
  if (v.tag != T_NUM && v.tag != T_QTY) {
    char b1[80];
    hx_error_at(h, call_loc(a), "%s needs a number, got %s", name, v_typename(h, v, b1, sizeof b1));
  }
  return v;
}

static Value bi_abs(H *h, CallArgs *a) {
  arity(h, a, "abs", 1, 1);
  Value v = numeric_arg(h, a, "abs", 0);
  v.as.num = fabs(v.as.num);
  return v;
}

/* round(x) to an integer; round(x, n) to n decimals (in base units). */
static Value rounding(H *h, CallArgs *a, const char *name, double (*f)(double)) {
  arity(h, a, name, 1, 2);
  Value v = numeric_arg(h, a, name, 0);
  double scale = 1;
  if (a->npos == 2) {
    Value d = a->pos[1];
    if (d.tag != T_NUM || d.as.num != floor(d.as.num) || fabs(d.as.num) > 15)
      hx_error_at(h, call_loc(a), "%s: the number of decimals must be a whole number from -15 to 15", name);
    scale = pow(10, d.as.num);
  }
  double x = v.as.num * scale;
  /* 2.675 is stored as 2.67499999...: nudge values within tolerance of .5 */
  double r = f(x);
  if (f == round) {
    double fl = floor(x);
    if (fabs((x - fl) - 0.5) <= 5.684341886080802e-14 * fabs(x)) r = x >= 0 ? fl + 1 : fl;
  }
  v.as.num = r / scale;
  return v;
}
static Value bi_round(H *h, CallArgs *a) { return rounding(h, a, "round", round); }
static Value bi_floor(H *h, CallArgs *a) { return rounding(h, a, "floor", floor); }
static Value bi_ceil(H *h, CallArgs *a) { return rounding(h, a, "ceil", ceil); }

static double plain(H *h, CallArgs *a, const char *name) {
  arity(h, a, name, 1, 1);
  Value v = a->pos[0];
  if (v.tag != T_NUM) {
    char b1[80];
    hx_error_at(h, call_loc(a), "%s needs a plain number, got %s (divide by a unit first, e.g. x / 1 USD)", name, v_typename(h, v, b1, sizeof b1));
  }
  return v.as.num;
}

static Value bi_sqrt(H *h, CallArgs *a) {
  if (a->npos == 1 && a->pos[0].tag == T_QTY && !a->nnamed) {
    /* sqrt of a squared quantity keeps units: sqrt(4 t*t) is 2 t */
    Value v = a->pos[0];
    if (v.as.num < 0) hx_error_at(h, call_loc(a), "sqrt of a negative number");
    for (uint32_t d = 1; d < h->units->dims.n; d++)
      if (dim_mul(h, (int)d, (int)d) == v.dim) return v_qty(sqrt(v.as.num), (int)d);
    hx_error_at(h, call_loc(a), "sqrt of a quantity whose unit is not a square");
  }
  double x = plain(h, a, "sqrt");
  if (x < 0) hx_error_at(h, call_loc(a), "sqrt of a negative number (%g)", x);
  return v_num(sqrt(x));
}
static Value bi_log(H *h, CallArgs *a) {
  double x = plain(h, a, "log");
  if (x <= 0) hx_error_at(h, call_loc(a), "log of a number that is not positive (%g)", x);
  return v_num(log(x));
}
static Value bi_exp(H *h, CallArgs *a) {
  double x = exp(plain(h, a, "exp"));
  if (isinf(x)) hx_error_at(h, call_loc(a), "exp overflows");
  return v_num(x);
}

static Value bi_len(H *h, CallArgs *a) {
  arity(h, a, "len", 1, 1);
  Value v = a->pos[0];
  char b1[80];
  switch (v.tag) {
    case T_LIST: case T_COLL: return v_num(eval_coll_len(h, v));
    case T_STR: {
      /* characters, not bytes */
      double n = 0;
      for (uint32_t i = 0; i < v.as.str->len; i++) if ((v.as.str->s[i] & 0xC0) != 0x80) n++;
      return v_num(n);
    }
    case T_REC: return v_num(v.as.rec->n);
    default: hx_error_at(h, call_loc(a), "len needs a list, string or record, got %s", v_typename(h, v, b1, sizeof b1));
  }
}

typedef struct SortCtx { H *h; Loc loc; } SortCtx;

/* Entities sort by name (byte-wise, as W1 orders codes); anything else as
** v_compare orders it. */
static int sort_cmp(SortCtx *c, Value a, Value b) {
  if (a.tag == T_ENT && b.tag == T_ENT) {
    char b1[128], b2[128];
    return strcmp(world_name(c->h, a.kind, (uint32_t)a.i, b1, sizeof b1),
                  world_name(c->h, b.kind, (uint32_t)b.i, b2, sizeof b2));
  }
  return v_compare(c->h, a, b, c->loc);
}

/* merge sorts below: stable, and v_compare may raise (no qsort callbacks across longjmp) */

/* Named options of sort and top: `by: f` (a function of one argument
** giving each element's key) and `desc: true|false`. */
typedef struct SortOpts { Value by; int has_by; int desc; } SortOpts;

static SortOpts sort_opts(H *h, CallArgs *a, const char *name, int desc_default) {
  SortOpts o = {v_nil(), 0, desc_default};
  char b1[80];
  for (int i = 0; i < a->nnamed; i++) {
    const char *k = a->names[i]->s;
    Value v = a->named[i];
    if (strcmp(k, "by") == 0) {
      if (v.tag != T_FUNC) hx_error_at(h, call_loc(a), "%s: by: must be a function of one argument (fn key(x) = ...), not %s", name, v_typename(h, v, b1, sizeof b1));
      o.by = v; o.has_by = 1;
    } else if (strcmp(k, "desc") == 0) {
      if (v.tag != T_BOOL) hx_error_at(h, call_loc(a), "%s: desc: must be true or false, not %s", name, v_typename(h, v, b1, sizeof b1));
      o.desc = v.as.b;
    } else {
      Suggest sg;
      suggest_init(&sg, k, strlen(k));
      suggest_try(&sg, "by");
      suggest_try(&sg, "desc");
      if (sg.best) hx_error_at(h, call_loc(a), "%s has no named argument '%s' (did you mean %s?)", name, k, sg.best);
      hx_error_at(h, call_loc(a), "%s has no named argument '%s' (it takes by: and desc:)", name, k);
    }
  }
  if (o.has_by && a->keys) hx_error_at(h, call_loc(a), "%s: give the key either as by: or as the comprehension's value, not both", name);
  return o;
}

/* The elements of xs (copied) and their keys: the comprehension's values,
** by: f applied to each, or the elements themselves. */
static void sort_items(H *h, CallArgs *a, Value xs, SortOpts *o, const char *name, Value **items, Value **keys, uint32_t *n) {
  char b1[80];
  if (xs.tag != T_LIST && xs.tag != T_COLL) hx_error_at(h, call_loc(a), "%s needs a list, got %s", name, v_typename(h, xs, b1, sizeof b1));
  uint32_t len = eval_coll_len(h, xs);
  Value *it = arena_alloc(h, &h->temp, (len ? len : 1) * sizeof(Value));
  Value *ky = arena_alloc(h, &h->temp, (len ? len : 1) * sizeof(Value));
  for (uint32_t i = 0; i < len; i++) {
    it[i] = eval_coll_get(h, xs, i);
    if (a->keys) ky[i] = a->keys->items[i];
    else if (o->has_by) {
      CallArgs fa;
      memset(&fa, 0, sizeof fa);
      fa.call = a->call;
      fa.pos = &it[i];
      fa.npos = 1;
      ky[i] = eval_call_function(h, o->by.as.fn, &fa);
    } else ky[i] = it[i];
  }
  *items = it; *keys = ky; *n = len;
}

/* Stable merge sort of the index permutation ix by keys, v_compare order
** (entities by name), descending when desc: equal keys keep their order. */
static void msort_ix(SortCtx *c, const Value *keys, int desc, uint32_t *ix, uint32_t *tmp, uint32_t n) {
  if (n < 2) return;
  uint32_t m = n / 2;
  msort_ix(c, keys, desc, ix, tmp, m);
  msort_ix(c, keys, desc, ix + m, tmp, n - m);
  uint32_t i = 0, j = m, k = 0;
  while (i < m && j < n) {
    int cmp = sort_cmp(c, keys[ix[j]], keys[ix[i]]);
    tmp[k++] = (desc ? cmp > 0 : cmp < 0) ? ix[j++] : ix[i++];
  }
  while (i < m) tmp[k++] = ix[i++];
  while (j < n) tmp[k++] = ix[j++];
  memcpy(ix, tmp, n * sizeof *ix);
}

static List *sorted(H *h, CallArgs *a, Value *items, Value *keys, uint32_t n, int desc, int skip_nil, const char *name) {
  uint32_t *ix = arena_alloc(h, &h->temp, (n ? n : 1) * sizeof *ix);
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (keys[i].tag == T_NIL) {
      if (skip_nil) continue;   /* top: nil (a missing field) takes no part, as in argmax */
      char b1[128];
      hx_error_at(h, call_loc(a), "%s: the key of %s is nil (leave such elements out with `where`)", name, v_show(h, items[i], b1, sizeof b1));
    }
    ix[m++] = i;
  }
  uint32_t *tmp = arena_alloc(h, &h->temp, (m ? m : 1) * sizeof *tmp);
  SortCtx c = {h, call_loc(a)};
  msort_ix(&c, keys, desc, ix, tmp, m);
  List *l = list_new(h, &h->temp, m);
  for (uint32_t i = 0; i < m; i++) l->items[i] = items[ix[i]];
  return l;
}

/* sort(xs [, by: f] [, desc: true]); sort(x in xs: EXPR) sorts the values
** of EXPR, as any function given a comprehension receives its list */
static Value bi_sort(H *h, CallArgs *a) {
  if (a->npos != 1) hx_error_at(h, call_loc(a), "sort takes 1 list, got %d arguments", a->npos);
  SortOpts o = sort_opts(h, a, "sort", 0);
  Value *items, *keys;
  uint32_t n;
  sort_items(h, a, a->pos[0], &o, "sort", &items, &keys, &n);
  return v_list(sorted(h, a, items, keys, n, o.desc, 0, "sort"));
}

/* top(k, xs [, by: f]) | top(k, x in xs [where C]: KEY): the k elements
** with the largest keys, largest first; ties keep the collection's order;
** elements whose key is nil take no part. desc: false gives the smallest. */
static Value bi_top(H *h, CallArgs *a) {
  char b1[80];
  if (a->npos != 2) hx_error_at(h, call_loc(a), "top takes a count and a list: top(k, xs) or top(k, x in xs: EXPR), got %d arguments", a->npos);
  Value k = a->pos[0];
  if (k.tag != T_NUM || k.as.num != floor(k.as.num) || k.as.num < 0)
    hx_error_at(h, call_loc(a), "top: the count must be a whole number >= 0, not %s", v_show(h, k, b1, sizeof b1));
  SortOpts o = sort_opts(h, a, "top", 1);
  Value *items, *keys;
  uint32_t n;
  sort_items(h, a, a->pos[1], &o, "top", &items, &keys, &n);
  List *l = sorted(h, a, items, keys, n, o.desc, 1, "top");
  if (k.as.num < l->n) l->n = (uint32_t)k.as.num;
  return v_list(l);
}

/* The two figures of growth and cagr: numbers, or quantities of one
** dimension (the plain number 0 goes with any). */
static void two_figures(H *h, CallArgs *a, const char *name, double *x, double *y) {
  Value va = numeric_arg(h, a, name, 0), vb = numeric_arg(h, a, name, 1);
  int da = va.tag == T_QTY ? va.dim : 0, db = vb.tag == T_QTY ? vb.dim : 0;
  if (da != db && !(da == 0 && va.as.num == 0) && !(db == 0 && vb.as.num == 0)) {
    char b1[80], b2[80];
    hx_error_at(h, call_loc(a), "%s: the two figures must have one unit, got %s and %s", name,
                v_show(h, va, b1, sizeof b1), v_show(h, vb, b2, sizeof b2));
  }
  *x = va.as.num;
  *y = vb.as.num;
}

/* growth(a, b) = (b - a) / a, a plain ratio (0.1 for 10%). A base of 0 has
** no growth rate and a negative base none that reads as one: both errors. */
static Value bi_growth(H *h, CallArgs *a) {
  arity(h, a, "growth", 2, 2);
  double x, y;
  two_figures(h, a, "growth", &x, &y);
  char b1[80];
  if (x == 0) hx_error_at(h, call_loc(a), "growth from 0 is undefined: the base figure (the first argument) is 0");
  if (x < 0) hx_error_at(h, call_loc(a), "growth from a negative base (%s) has no meaning as a rate; compare the figures with b - a", v_show(h, a->pos[0], b1, sizeof b1));
  return v_num((y - x) / x);
}

/* cagr(a, b, years) = (b / a)^(1 / years) - 1: the compound annual growth
** rate from a to b over `years` (a number or a time such as 5 years). */
static Value bi_cagr(H *h, CallArgs *a) {
  arity(h, a, "cagr", 3, 3);
  double x, y;
  two_figures(h, a, "cagr", &x, &y);
  Value n = a->pos[2];
  char b1[80];
  double years;
  if (n.tag == T_NUM) years = n.as.num;
  else if (n.tag == T_QTY && n.dim == dim_time(h)) years = n.as.num;
  else hx_error_at(h, call_loc(a), "cagr: the period must be a number of years or a time (5 years), not %s", v_show(h, n, b1, sizeof b1));
  if (!(years > 0)) hx_error_at(h, call_loc(a), "cagr: the period must be positive, not %s", v_show(h, n, b1, sizeof b1));
  if (x == 0) hx_error_at(h, call_loc(a), "cagr from 0 is undefined: the base figure (the first argument) is 0");
  if (x < 0 || y < 0) hx_error_at(h, call_loc(a), "cagr needs figures >= 0 with a positive base, got %s", v_show(h, a->pos[x < 0 ? 0 : 1], b1, sizeof b1));
  return v_num(pow(y / x, 1 / years) - 1);
}

/* yoy and prior reach here only when called without their call syntax
** (from Lua, or as a value): eval.c handles `yoy(FIGURE)` itself. */
static Value bi_lazy(H *h, CallArgs *a) {
  hx_error_at(h, call_loc(a), "yoy and prior take a figure written as a call in hedge source, as in yoy(exports(PAK, year: 2025))");
}

static Value date_arg(H *h, CallArgs *a, const char *name) {
  arity(h, a, name, 1, 1);
  Value v = a->pos[0];
  char b1[80];
  if (v.tag != T_DATE) hx_error_at(h, call_loc(a), "%s needs a date, got %s", name, v_typename(h, v, b1, sizeof b1));
  return v;
}
static Value bi_year(H *h, CallArgs *a) { return v_num(v_date_year(date_arg(h, a, "year"))); }
static Value bi_month(H *h, CallArgs *a) {
  Value d = date_arg(h, a, "month");
  if (d.kind == DATE_YEAR) hx_error_at(h, call_loc(a), "month of a date known only to the year");
  return v_num(v_date_month(d));
}

/* str(x): the printed form of any value, for building labels. */
static Value bi_str(H *h, CallArgs *a) {
  arity(h, a, "str", 1, 1);
  if (a->pos[0].tag == T_STR) return a->pos[0];
  size_t len;
  const char *s = v_tostr(h, a->pos[0], 0, &len);
  return v_str(mem_newstr(h, &h->temp, s, len));
}

/* fmt(x) the form people read (str of a number); fmt(x, PATTERN) a
** spreadsheet-like pattern (numfmt.h): "0.0%", "#,##0", "0.00B", ...
** A quantity keeps its unit after the number. */
static Value bi_fmt(H *h, CallArgs *a) {
  arity(h, a, "fmt", 1, 2);
  Value v = numeric_arg(h, a, "fmt", 0);
  char out[600], dn[64];
  if (a->npos == 1) {
    size_t len;
    const char *s = v_tostr(h, v, 0, &len);
    return v_str(mem_newstr(h, &h->temp, s, len));
  }
  Value p = a->pos[1];
  if (p.tag != T_STR) {
    char b1[80];
    hx_error_at(h, call_loc(a), "fmt: the pattern must be a string such as \"0.0%%\" or \"#,##0\", not %s", v_typename(h, p, b1, sizeof b1));
  }
  char pat[64];
  if (p.as.str->len >= sizeof pat || memchr(p.as.str->s, 0, p.as.str->len))
    hx_error_at(h, call_loc(a), "fmt: pattern too long");
  memcpy(pat, p.as.str->s, p.as.str->len);
  pat[p.as.str->len] = 0;
  const char *why;
  if (v.tag == T_QTY && strchr(pat, '%'))
    hx_error_at(h, call_loc(a), "fmt: %% shows a share, but this is a quantity in %s", dim_name(h, v.dim, dn, sizeof dn));
  if (!numfmt_pattern(out, sizeof out, v.as.num, pat, &why))
    hx_error_at(h, call_loc(a), "fmt: bad pattern \"%s\": %s", pat, why);
  if (v.tag == T_QTY) {
    size_t l = strlen(out);
    snprintf(out + l, sizeof out - l, " %s", dim_name(h, v.dim, dn, sizeof dn));
  }
  return v_str(mem_newstr(h, &h->temp, out, strlen(out)));
}

void builtins_init(H *h) {
  static const struct { const char *name; int agg; const char *usage, *doc; } aggs[] = {
    {"sum", 1, "sum(x in xs [where C]: EXPR)", "Compensated (Neumaier) sum of numbers or quantities of one unit; 0 when empty."},
    {"count", 2, "count(x in xs [where C])", "How many bindings pass the condition (with `: EXPR`, how many values are not false or nil)."},
    {"min", 3, "min(x in xs: EXPR) | min(a, b, ...)", "Smallest value; an error when empty."},
    {"max", 4, "max(x in xs: EXPR) | max(a, b, ...)", "Largest value; an error when empty."},
    {"avg", 5, "avg(x in xs: EXPR)", "Mean of numbers or quantities; an error when empty."},
    {"all", 6, "all(x in xs: COND)", "True when every value is true (true when empty)."},
    {"any", 7, "any(x in xs: COND)", "True when some value is true (false when empty)."},
    {"argmax", 8, "argmax(x in xs: EXPR)", "The x whose EXPR is largest (the first on a tie); for a plain list, the index."},
    {"argmin", 9, "argmin(x in xs: EXPR)", "The x whose EXPR is smallest (the first on a tie); for a plain list, the index."},
    {"list", 10, "list(x in xs [where C]: EXPR)", "The values as a list."},
    {"distinct", 11, "distinct(xs) | distinct(x in xs [where C]: EXPR)", "The values without repeats, in the order they first appear (numbers compare tolerantly)."},
  };
  for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
    prog_builtin_add(h, aggs[i].name, NULL, aggs[i].agg, aggs[i].usage, aggs[i].doc);
  static const struct { const char *name; BuiltinFn fn; const char *usage, *doc; } fns[] = {
    {"abs", bi_abs, "abs(x)", "Absolute value; keeps the unit."},
    {"round", bi_round, "round(x [, decimals])", "Rounds half away from zero, in base units; keeps the unit."},
    {"floor", bi_floor, "floor(x [, decimals])", "Rounds down; keeps the unit."},
    {"ceil", bi_ceil, "ceil(x [, decimals])", "Rounds up; keeps the unit."},
    {"sqrt", bi_sqrt, "sqrt(x)", "Square root of a plain number (or of a squared quantity)."},
    {"log", bi_log, "log(x)", "Natural logarithm of a plain positive number."},
    {"exp", bi_exp, "exp(x)", "e to the power x, for a plain number."},
    {"len", bi_len, "len(x)", "Length of a list or collection, characters of a string, fields of a record."},
    {"sort", bi_sort, "sort(xs, by: f, desc: true)", "The list sorted ascending, or descending with desc: true, by the elements themselves or by f(x) (numbers, quantities of one unit, dates, strings, or entities by name); stable. sort(x in xs: EXPR) sorts the values of EXPR."},
    {"top", bi_top, "top(k, xs, by: f) | top(k, x in xs [where C]: KEY)", "The k elements with the largest keys, largest first (desc: false: the smallest); ties keep the collection's order; nil keys take no part."},
    {"year", bi_year, "year(d)", "The year of a date, as a number."},
    {"month", bi_month, "month(d)", "The month of a date, 1 to 12."},
    {"str", bi_str, "str(x)", "The printed form of a value, as a string."},
    {"growth", bi_growth, "growth(a, b)", "(b - a) / a as a plain ratio (0.1 for 10%); a and b numbers or quantities of one unit. A base a of 0 (or below) is an error, never infinity."},
    {"yoy", bi_lazy, "yoy(FIGURE(..., year: y))", "Year-on-year growth of a figure: the figure at year y against the same figure at y - 1 (since:/until: move too), as growth() does; a zero figure a year earlier is an error."},
    {"prior", bi_lazy, "prior(FIGURE(..., year: y), years: n)", "The same figure n years earlier (default 1): its year: (and since:/until:) moved back."},
    {"cagr", bi_cagr, "cagr(a, b, years)", "Compound annual growth rate (b / a)^(1 / years) - 1 from a to b over years (a number or a time); a base of 0 is an error."},
    {"fmt", bi_fmt, "fmt(x [, pattern])", "A number as text for people: fmt(x) as printed; fmt(x, \"0.0%\"), \"#,##0\", \"0.00B\", \"0.##\", \"0.00E\" (docs/language.md)."},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    Function *f = prog_builtin_add(h, fns[i].name, fns[i].fn, 0, fns[i].usage, fns[i].doc);
    f->pairs = fns[i].fn == bi_top;
    f->lazy = fns[i].fn == bi_lazy;
  }
}
