/*
** value.h: hedge values (docs/language.md, Units and quantities). A Value is 16 bytes: a tag, a
** small payload (dimension id of a quantity, precision of a date, kind of an
** entity) and a double or a pointer. Quantities hold their magnitude in the
** base unit of their dimension; dimensions are interned (units.h).
*/
#ifndef VALUE_H
#define VALUE_H
#include "core.h"
#include <math.h>

typedef enum {
  T_NIL, T_BOOL, T_NUM, T_QTY, T_STR, T_DATE, T_LIST, T_REC, T_ENT, T_FUNC, T_COLL
} ValTag;

struct List; struct Rec; struct Function;

typedef struct Value {
  uint8_t tag;
  uint8_t kind;      /* T_ENT: entity kind; T_DATE: precision 0 day 1 month 2 year; T_COLL: kind */
  uint16_t dim;      /* T_QTY: dimension id (never 0: a dimensionless quantity is a T_NUM) */
  int32_t i;         /* T_ENT: row index; T_DATE: days since 1970-01-01 */
  union {
    double num;      /* T_NUM, T_QTY */
    int b;           /* T_BOOL */
    HStr *str;       /* T_STR */
    struct List *list;
    struct Rec *rec;
    struct Function *fn;
  } as;
} Value;

typedef struct List { uint32_t n; Value *items; } List;
typedef struct Rec { uint32_t n; HStr **keys; Value *vals; } Rec;

enum { DATE_DAY = 0, DATE_MONTH = 1, DATE_YEAR = 2 };
/* T_NUM's kind byte: how people read the number. A share (a percent
** literal such as 40%, the result of a function named *_share, a quantity
** divided by one of the same unit, a sum or difference of shares) prints as
** a percentage. Only printing looks at it: equality and arithmetic ignore it. */
enum { NUMK_PLAIN = 0, NUMK_SHARE = 1 };

static inline Value v_nil(void) { Value v = {0}; v.tag = T_NIL; return v; }
static inline Value v_bool(int b) { Value v = {0}; v.tag = T_BOOL; v.as.b = !!b; return v; }
static inline Value v_num(double d) { Value v = {0}; v.tag = T_NUM; v.as.num = d; return v; }
static inline Value v_qty(double d, int dim) {
  Value v = {0};
  if (dim == 0) { v.tag = T_NUM; v.as.num = d; return v; }
  v.tag = T_QTY; v.dim = (uint16_t)dim; v.as.num = d; return v;
}
static inline Value v_share(double d) { Value v = {0}; v.tag = T_NUM; v.kind = NUMK_SHARE; v.as.num = d; return v; }
static inline int v_is_share(Value v) { return v.tag == T_NUM && v.kind == NUMK_SHARE; }
static inline Value v_str(HStr *s) { Value v = {0}; v.tag = T_STR; v.as.str = s; return v; }
static inline Value v_date(int32_t days, int prec) { Value v = {0}; v.tag = T_DATE; v.i = days; v.kind = (uint8_t)prec; return v; }
static inline Value v_ent(int kind, int32_t row) { Value v = {0}; v.tag = T_ENT; v.kind = (uint8_t)kind; v.i = row; return v; }
static inline Value v_coll(int kind) { Value v = {0}; v.tag = T_COLL; v.kind = (uint8_t)kind; return v; }
static inline Value v_list(struct List *l) { Value v = {0}; v.tag = T_LIST; v.as.list = l; return v; }
static inline Value v_rec(struct Rec *r) { Value v = {0}; v.tag = T_REC; v.as.rec = r; return v; }
static inline Value v_fn(struct Function *f) { Value v = {0}; v.tag = T_FUNC; v.as.fn = f; return v; }
/* The name of a function value (NULL: anonymous). Every Function (exec.h)
** starts with its name, so printing needs nothing of the program's layer. */
static inline HStr *v_fn_name(Value v) { return *(HStr **)(void *)v.as.fn; }

/* The name of a value's type for messages: "number", "quantity (USD)",
** "partner", ... (buf is used for quantities). */
const char *v_typename(H *h, Value v, char *buf, size_t n);

/* 2^-44: the relative tolerance of num_eq (docs/language.md, Units and
** quantities; APL's comparison tolerance). */
#define NUM_TOL 5.684341886080802e-14
/* Tolerant equality of doubles (docs/language.md, Units and quantities):
** |a-b| <= 2^-44 max(|a|,|b|). Inline: a scenario's `where` tests a
** column of a million deals with it. */
static inline int num_eq(double a, double b) {
  if (a == b) return 1;
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= NUM_TOL * m;
}
/* -1, 0, 1 under tolerant comparison. */
static inline int num_cmp(double a, double b) {
  if (num_eq(a, b)) return 0;
  return a < b ? -1 : 1;
}

/* Entity kinds: the kind of an entity value (Value.kind of a T_ENT). */
enum { K_PARTNER, K_COMMODITY, K_DEAL, K_LOAN, K_NKINDS };
extern const char *const kind_names[K_NKINDS];         /* "partner", ... */
extern const char *const kind_plural[K_NKINDS];        /* "partners", ... */

/* What comparing and printing entities and collections need of the world:
** world.c installs it in h->entities when the world opens, so the values
** layer calls the world without including it. */
typedef struct EntityView {
  uint32_t (*count)(H *h, int kind);             /* entities of a kind */
  uint32_t (*nth)(H *h, int kind, uint32_t i);   /* row of the i-th live one */
  const char *(*name)(H *h, int kind, uint32_t row, char *buf, size_t n);
} EntityView;

/* Structural equality (lists, records); numbers tolerant; entities by
** identity; values of different types are unequal (no error). */
int v_equal(H *h, Value a, Value b);
/* Ordering of two comparable values: numbers, same-dimension quantities
** (0 compares with any), dates, strings. Raises at loc otherwise. */
int v_compare(H *h, Value a, Value b, Loc loc);
int v_truthy(Value v);   /* false and nil are false */

/* Printing for people (docs/language.md, Printing): plain numbers exact
** when short, else six significant digits; shares as percentages
** ("26.77%"); quantities scaled by K/M/B/T with two decimals and grouping
** ("6.03B USD"); dates ISO, strings quoted when quote != 0, entities by
** name, lists and records in literal syntax (numfmt.h). JSON uses
** v_num_print (every digit). */
void v_print(H *h, Buf *b, Value v, int quote);
/* The same as a NUL-terminated string in h->temp (*len, when not NULL,
** gets its length): nothing to free, and nothing leaks if printing runs out
** of memory half-way, as a local Buf would. */
char *v_tostr(H *h, Value v, int quote, size_t *len);
/* The shortest decimal text that reads back to the same double. */
void v_num_print(Buf *b, H *h, double d);
/* A plain number for people (numfmt_plain). */
void v_num_print_short(Buf *b, H *h, double d);
/* Percent form of a ratio ("70%", "26.77%"). */
void v_pct_print(Buf *b, H *h, double d);

/* Values of expressions used in messages: "5M USD", "PAK", ... */
const char *v_show(H *h, Value v, char *buf, size_t n);

/* Deep copy into an arena (values that outlive the temporaries). */
Value v_copy(H *h, Arena *a, Value v);

/* Lists and records built in an arena. */
List *list_new(H *h, Arena *a, uint32_t n);
Rec *rec_new(H *h, Arena *a, uint32_t n);
/* Field of a record, or NULL. */
Value *rec_get(Rec *r, HStr *key);

/* Dates */
Value v_date_add_months(H *h, Value d, long months, Loc loc);
int v_date_year(Value d);
int v_date_month(Value d);

/* Compensated summation (Neumaier's scheme, with Knuth's branch-free
** TwoSum for the error of each addition): the order of rows does not
** change a result. */
typedef struct KSum { double s, c; } KSum;
static inline void ksum_add(KSum *k, double x) {
  double t = k->s + x;
  double xv = t - k->s;
  k->c += (k->s - (t - xv)) + (x - xv);
  k->s = t;
}
/* An overflowed sum stays infinite (never inf - inf = NaN): callers test
** isfinite and report "number too large". */
static inline double ksum_get(const KSum *k) { return isfinite(k->s) ? k->s + k->c : k->s; }

#endif
