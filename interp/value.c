/*
** value.c: equality, ordering, printing and copying of values.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "value.h"
#include "units.h"
#include "date.h"
#include "numfmt.h"

const char *const kind_names[K_NKINDS] = {"partner", "commodity", "deal", "loan"};
const char *const kind_plural[K_NKINDS] = {"partners", "commodities", "deals", "loans"};


const char *v_typename(H *h, Value v, char *buf, size_t n) {
  switch (v.tag) {
    case T_NIL: return "nil";
    case T_BOOL: return "boolean";
    case T_NUM: return "number";
    case T_QTY: {
      char d[64];
      snprintf(buf, n, "quantity (%s)", dim_name(h, v.dim, d, sizeof d));
      return buf;
    }
    case T_STR: return "string";
    case T_DATE: return "date";
    case T_LIST: return "list";
    case T_REC: return "record";
    case T_ENT: return kind_names[v.kind];
    case T_FUNC: return "function";
    case T_COLL: return "list";
  }
  return "?";
}

int v_truthy(Value v) { return !(v.tag == T_NIL || (v.tag == T_BOOL && !v.as.b)); }

int v_equal(H *h, Value a, Value b) {
  /* the plain number 0 equals a zero quantity of any dimension */
  if (a.tag == T_QTY && b.tag == T_NUM && b.as.num == 0) return num_eq(a.as.num, 0);
  if (b.tag == T_QTY && a.tag == T_NUM && a.as.num == 0) return num_eq(b.as.num, 0);
  if (a.tag == T_COLL || b.tag == T_COLL) {
    if (a.tag == T_COLL && b.tag == T_COLL) return a.kind == b.kind;
    Value c = a.tag == T_COLL ? a : b, l = a.tag == T_COLL ? b : a;
    if (l.tag != T_LIST) return 0;
    uint32_t n = h->entities->count(h, c.kind);
    if (n != l.as.list->n) return 0;
    for (uint32_t i = 0; i < n; i++) {
      Value x = l.as.list->items[i];
      if (x.tag != T_ENT || x.kind != c.kind || (uint32_t)x.i != h->entities->nth(h, c.kind, i)) return 0;
    }
    return 1;
  }
  if (a.tag != b.tag) return 0;
  switch (a.tag) {
    case T_NIL: return 1;
    case T_BOOL: return a.as.b == b.as.b;
    case T_NUM: return num_eq(a.as.num, b.as.num);
    case T_QTY: return a.dim == b.dim && num_eq(a.as.num, b.as.num);
    case T_STR: return a.as.str == b.as.str || (a.as.str->len == b.as.str->len && memcmp(a.as.str->s, b.as.str->s, a.as.str->len) == 0);
    case T_DATE: return a.i == b.i;
    case T_ENT: return a.kind == b.kind && a.i == b.i;
    case T_FUNC: return a.as.fn == b.as.fn;
    case T_LIST: {
      List *x = a.as.list, *y = b.as.list;
      if (x->n != y->n) return 0;
      for (uint32_t i = 0; i < x->n; i++) if (!v_equal(h, x->items[i], y->items[i])) return 0;
      return 1;
    }
    case T_REC: {
      Rec *x = a.as.rec, *y = b.as.rec;
      if (x->n != y->n) return 0;
      for (uint32_t i = 0; i < x->n; i++) {
        Value *o = rec_get(y, x->keys[i]);
        if (!o || !v_equal(h, x->vals[i], *o)) return 0;
      }
      return 1;
    }
    default: return 0;
  }
}

int v_compare(H *h, Value a, Value b, Loc loc) {
  char b1[80], b2[80], d1[64], d2[64];
  if ((a.tag == T_NUM || a.tag == T_QTY) && (b.tag == T_NUM || b.tag == T_QTY)) {
    int da = a.tag == T_QTY ? a.dim : 0, db = b.tag == T_QTY ? b.dim : 0;
    if (da != db && !(da == 0 && a.as.num == 0) && !(db == 0 && b.as.num == 0)) {
      hx_error_at(h, loc, "cannot compare %s with %s: the units differ",
                  da ? dim_name(h, da, d1, sizeof d1) : "a plain number",
                  db ? dim_name(h, db, d2, sizeof d2) : "a plain number");
    }
    if (isnan(a.as.num) || isnan(b.as.num)) hx_error_at(h, loc, "cannot compare an undefined number (NaN)");
    return num_cmp(a.as.num, b.as.num);
  }
  if (a.tag == T_DATE && b.tag == T_DATE) return a.i < b.i ? -1 : a.i > b.i;
  if (a.tag == T_STR && b.tag == T_STR) {
    size_t n = a.as.str->len < b.as.str->len ? a.as.str->len : b.as.str->len;
    int c = memcmp(a.as.str->s, b.as.str->s, n);
    if (c) return c < 0 ? -1 : 1;
    return a.as.str->len < b.as.str->len ? -1 : a.as.str->len > b.as.str->len;
  }
  if (a.tag == T_NIL || b.tag == T_NIL)
    hx_error_at(h, loc, "cannot compare %s with %s (a missing field is nil)",
                v_typename(h, a, b1, sizeof b1), v_typename(h, b, b2, sizeof b2));
  hx_error_at(h, loc, "cannot compare %s with %s", v_typename(h, a, b1, sizeof b1), v_typename(h, b, b2, sizeof b2));
}

/* ---- printing ---------------------------------------------------------- */

/* Shortest digits that read back to d, written positionally (4400,
** 0.0001, 1234567.25) unless the exponent is extreme (1e+21, 1e-07). */
static void shortest(char *out, size_t n, double d, int maxdigits) {
  char e[48];
  int p;
  if (!isfinite(d)) {   /* never reached from hedge values; printing must not crash */
    snprintf(out, n, "%s", isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
    return;
  }
  for (p = 1; p <= 17; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, d);
    if (p >= maxdigits || strtod(e, NULL) == d) break;
  }
  const char *ex = strchr(e, 'e');
  int exp10 = ex ? atoi(ex + 1) : 0;
  if (exp10 < -7 || exp10 >= 21) {
    /* mantissa without trailing zeros, exponent as %e writes it */
    char m[32];
    snprintf(m, sizeof m, "%.*e", p - 1, d);
    char *ep = strchr(m, 'e');
    if (ep) *ep = 0;
    snprintf(out, n, "%se%c%02d", m, exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    return;
  }
  int decimals = p - 1 - exp10;
  if (decimals < 0) decimals = 0;
  snprintf(out, n, "%.*f", decimals, d);
}

void v_num_print(Buf *b, H *h, double d) {
  char s[64];
  if (isnan(d)) { buf_puts(h, b, "nan"); return; }
  if (isinf(d)) { buf_puts(h, b, d > 0 ? "inf" : "-inf"); return; }
  if (d == 0) { buf_puts(h, b, "0"); return; }
  shortest(s, sizeof s, d, 17);
  buf_puts(h, b, s);
}

/* Readable form (numfmt.h). */
void v_num_print_short(Buf *b, H *h, double d) {
  char s[128];
  numfmt_plain(s, sizeof s, d);
  buf_puts(h, b, s);
}

void v_pct_print(Buf *b, H *h, double d) {
  char s[128];
  numfmt_share(s, sizeof s, d);
  buf_puts(h, b, s);
}

static void qty_print(Buf *b, H *h, double v, int dim) {
  char dn[64], s[128];
  numfmt_scaled(s, sizeof s, v);
  buf_puts(h, b, s);
  buf_putc(h, b, ' ');
  buf_puts(h, b, dim_name(h, dim, dn, sizeof dn));
}

static void str_print(Buf *b, H *h, HStr *s) {
  buf_putc(h, b, '"');
  for (uint32_t i = 0; i < s->len; i++) {
    unsigned char c = (unsigned char)s->s[i];
    if (c == '"') buf_puts(h, b, "\\\"");
    else if (c == '\\') buf_puts(h, b, "\\\\");
    else if (c == '\n') buf_puts(h, b, "\\n");
    else if (c == '\t') buf_puts(h, b, "\\t");
    else if (c < 32 || c == 127) buf_printf(h, b, "\\u{%X}", c);
    else buf_putc(h, b, (char)c);
  }
  buf_putc(h, b, '"');
}

static void date_print(Buf *b, H *h, Value v) {
  int y, m, d;
  date_to_civil(v.i, &y, &m, &d);
  if (v.kind == DATE_YEAR) buf_printf(h, b, "%04d", y);
  else if (v.kind == DATE_MONTH) buf_printf(h, b, "%04d-%02d", y, m);
  else buf_printf(h, b, "%04d-%02d-%02d", y, m, d);
}

typedef struct ToStr { Value v; int quote; Buf b; char *s; size_t n; } ToStr;
static void tostr_body(H *h, void *ud) {
  ToStr *c = ud;
  v_print(h, &c->b, c->v, c->quote);
  c->n = c->b.n;
  c->s = arena_strdup(h, &h->temp, c->b.p ? c->b.p : "", c->b.n);
}

char *v_tostr(H *h, Value v, int quote, size_t *len) {
  ToStr c = {v, quote, {0}, NULL, 0};
  int st = hx_pcall(h, tostr_body, &c);
  buf_free(h, &c.b);
  if (st != HEDGE_OK) hx_throw(h, st);
  if (len) *len = c.n;
  return c.s;
}

void v_print(H *h, Buf *b, Value v, int quote) {
  char nb[128];
  switch (v.tag) {
    case T_NIL: buf_puts(h, b, "nil"); break;
    case T_BOOL: buf_puts(h, b, v.as.b ? "true" : "false"); break;
    case T_NUM: if (v.kind == NUMK_SHARE) v_pct_print(b, h, v.as.num); else v_num_print_short(b, h, v.as.num); break;
    case T_QTY: qty_print(b, h, v.as.num, v.dim); break;
    case T_STR: if (quote) str_print(b, h, v.as.str); else buf_put(h, b, v.as.str->s, v.as.str->len); break;
    case T_DATE: date_print(b, h, v); break;
    case T_ENT: buf_puts(h, b, h->entities->name(h, v.kind, (uint32_t)v.i, nb, sizeof nb)); break;
    case T_FUNC: buf_printf(h, b, "<function %s>", v_fn_name(v) ? v_fn_name(v)->s : "?"); break;
    case T_LIST: {
      buf_putc(h, b, '[');
      for (uint32_t i = 0; i < v.as.list->n; i++) {
        if (i) buf_puts(h, b, ", ");
        if (b->n > 100000) { buf_puts(h, b, "..."); break; }
        v_print(h, b, v.as.list->items[i], 1);
      }
      buf_putc(h, b, ']');
      break;
    }
    case T_COLL: {
      uint32_t n = h->entities->count(h, v.kind);
      buf_putc(h, b, '[');
      for (uint32_t i = 0; i < n; i++) {
        if (i) buf_puts(h, b, ", ");
        if (i >= 50) { buf_printf(h, b, "... (%u in all)", n); break; }
        buf_puts(h, b, h->entities->name(h, v.kind, h->entities->nth(h, v.kind, i), nb, sizeof nb));
      }
      buf_putc(h, b, ']');
      break;
    }
    case T_REC: {
      buf_putc(h, b, '{');
      for (uint32_t i = 0; i < v.as.rec->n; i++) {
        if (i) buf_puts(h, b, ", ");
        buf_put(h, b, v.as.rec->keys[i]->s, v.as.rec->keys[i]->len);
        buf_puts(h, b, ": ");
        v_print(h, b, v.as.rec->vals[i], 1);
      }
      buf_putc(h, b, '}');
      break;
    }
  }
}

/* ---- lists, records, copies ---------------------------------------------- */

List *list_new(H *h, Arena *a, uint32_t n) {
  List *l = arena_alloc(h, a, sizeof *l);
  l->n = n;
  l->items = n ? arena_alloc(h, a, n * sizeof(Value)) : NULL;
  return l;
}

Rec *rec_new(H *h, Arena *a, uint32_t n) {
  Rec *r = arena_alloc(h, a, sizeof *r);
  r->n = n;
  r->keys = n ? arena_alloc(h, a, n * sizeof(HStr *)) : NULL;
  r->vals = n ? arena_alloc(h, a, n * sizeof(Value)) : NULL;
  return r;
}

Value *rec_get(Rec *r, HStr *key) {
  for (uint32_t i = 0; i < r->n; i++)
    if (r->keys[i] == key) return &r->vals[i];
  return NULL;
}

Value v_copy(H *h, Arena *a, Value v) {
  switch (v.tag) {
    case T_STR: return v_str(mem_newstr(h, a, v.as.str->s, v.as.str->len));
    case T_LIST: {
      List *l = list_new(h, a, v.as.list->n);
      for (uint32_t i = 0; i < l->n; i++) l->items[i] = v_copy(h, a, v.as.list->items[i]);
      return v_list(l);
    }
    case T_REC: {
      Rec *r = rec_new(h, a, v.as.rec->n);
      for (uint32_t i = 0; i < r->n; i++) {
        r->keys[i] = v.as.rec->keys[i];
        r->vals[i] = v_copy(h, a, v.as.rec->vals[i]);
      }
      return v_rec(r);
    }
    default: return v;
  }
}

/* ---- dates ----------------------------------------------------------------- */

int v_date_year(Value d) { int y, m, dd; date_to_civil(d.i, &y, &m, &dd); return y; }
int v_date_month(Value d) { int y, m, dd; date_to_civil(d.i, &y, &m, &dd); return m; }

Value v_date_add_months(H *h, Value d, long months, Loc loc) {
  int y, m, dd;
  date_to_civil(d.i, &y, &m, &dd);
  long total = (long)y * 12 + (m - 1) + months;
  if (total < 0 || total > 9999L * 12) hx_error_at(h, loc, "date out of range");
  int ny = (int)(total / 12), nm = (int)(total % 12) + 1;
  int dim = date_days_in_month(ny, nm);
  if (dd > dim) dd = dim;   /* 2025-01-31 + 1 months is 2025-02-28 */
  Value r = v_date(date_from_civil(ny, nm, dd), d.kind);
  return r;
}

const char *v_show(H *h, Value v, char *buf, size_t n) {
  size_t len;
  const char *s = v_tostr(h, v, 1, &len);   /* no Buf to leak on out of memory */
  snprintf(buf, n, "%s", s);
  if (len >= n && n > 4) memcpy(buf + n - 4, "...", 4);
  return buf;
}
