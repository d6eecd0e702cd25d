/*
** units.h: dimensions and units (docs/language.md, Units and quantities). A dimension is a vector
** of exponents over the base dimensions (money, mass, volume, time, and any
** declared with `unit NAME`); each distinct vector is interned to a small id,
** so `USD/t` against `USD/t` compares by id. Id 0 is "no dimension".
*/
#ifndef UNITS_H
#define UNITS_H
#include "core.h"

typedef struct Unit { HStr *name; int dim; double factor; Loc loc; } Unit;

typedef struct Units {
  int nbase;
  HStr *base[HX_MAX_BASE_DIMS];             /* name of each base unit */
  VEC(int8_t *) dims;                       /* exponent vectors by id */
  VEC(Unit) units;                          /* declared + built-in units */
  uint32_t last;                            /* the unit a quantity named last (units_resolve_src) */
} Units;

enum { DIM_NONE = 0 };
void units_init(H *h);
void units_free(H *h);
/* Declares a base unit (`unit MWh`) or a derived one (`unit PKR = 0.0036 USD`).
** loc is the declaration's (kept for notes), nameloc where its name is (a
** duplicate is reported there), ofloc where the unit OF starts in the source. */
void units_declare_base(H *h, HStr *name, Loc loc, Loc nameloc);
void units_declare(H *h, HStr *name, double factor, HStr *of, Loc loc, Loc nameloc, Loc ofloc);
/* Looks up a unit, compound (USD/t, t*USD) included; on success returns 1
** with *dim and *factor (multiply a magnitude to get base units). An unknown
** part raises at loc with "(did you mean X?)". */
void units_resolve(H *h, HStr *text, Loc loc, int *dim, double *factor);
/* The same for a unit written in the source at loc: an unknown part is
** reported at that part (`USD/tt` at `tt`). */
void units_resolve_src(H *h, HStr *text, Loc loc, int *dim, double *factor);
int units_lookup(H *h, const char *text, size_t n, int *dim, double *factor); /* 0: unknown */
int dim_mul(H *h, int a, int b);
int dim_div(H *h, int a, int b);
/* The dimension a^k (k whole), or -1 when an exponent would leave -100..100. */
int dim_pow(H *h, int a, int k);
/* The dimension a^y for any y, or -1 unless every exponent times y is a
** whole number (t^2 to the 0.5 is t; t to the 0.5 is nothing). */
int dim_root(H *h, int a, double y);
/* Display name of a dimension in base units: "USD", "USD/t", "t^2". */
const char *dim_name(H *h, int dim, char *buf, size_t n);
/* Built-in dimension ids */
int dim_money(H *h);
int dim_time(H *h);
/* Number of snapshot-able units (for rollback of declarations). */
uint32_t units_count(H *h);
void units_truncate(H *h, uint32_t n, int nbase);

#endif
