/*
** world.h: the declared and loaded world (docs/internals.md). Partners and
** commodities are small tables of names and attribute records. Deals and
** loans are columns, not structs of pointers: 32-bit entity ids, doubles in
** base units, dates as day numbers, free attributes in side columns. Every
** change goes through an undo log, so a scenario or a test block is an
** overlay that is rolled back afterwards instead of a copy of the world.
*/
#ifndef WORLD_H
#define WORLD_H
#include "core.h"
#include "value.h"
#include "ast.h"

#define NO_DATE INT32_MIN
#define NO_ROW UINT32_MAX
#define NO_YEAR INT32_MIN

/* A free attribute: one column per name per table. Numbers (the common
** case for CSV columns) are stored as doubles; anything else as Values. */
typedef struct Column {
  HStr *name;
  int is_num;            /* nums[] is used, vals[] NULL */
  int dim;               /* is_num: the dimension shared by every value */
  double *nums;          /* NaN marks "absent" (nil) */
  Value *vals;
  uint32_t cap;
} Column;

/* A packed world (pack.c) writes and replays every per-row array of a
** Table and every field of a Column by name: a new one goes there too. */
typedef struct Table {
  uint32_t n, cap;
  HStr **names;          /* entity name, or NULL for an anonymous deal/loan;
                            deals and loans: NULL until one is named */
  uint8_t *dropped;      /* scenario: 1 = dropped (NULL: none dropped) */
  uint32_t ndropped;
  VEC(Column) cols;
  /* deal/loan columns */
  uint32_t *a, *b, *c;   /* deal: exporter, importer, commodity; loan: lender, borrower, - */
  double *value;         /* deal: value (USD); loan: principal (USD) */
  int32_t *date;         /* deal: date; loan: start (NO_DATE: none) */
  int32_t *year;         /* year of date (NO_YEAR: none), kept for the indexes */
  uint8_t *prec;         /* precision of date */
  double *term;          /* loan: term in years or NaN */
} Table;

/* The aggregate indexes (index.c, a layer above the world) and what the
** world asks of them: index.c sets both when it attaches its DealIndex, so
** that the world, which must drop or update them, never calls it by name. */
typedef struct DealIndex DealIndex;
typedef struct IndexHooks {
  void (*free)(H *h);                          /* world_free: frees w->idx */
  void (*value_changed)(H *h, uint32_t row);   /* a deal's value, and nothing else, changed */
} IndexHooks;

typedef struct World {
  Table t[K_NKINDS];
  /* well-known field names, interned once */
  HStr *f_exporter, *f_importer, *f_commodity, *f_value, *f_date, *f_year,
       *f_lender, *f_borrower, *f_principal, *f_start, *f_term, *f_name;
  DealIndex *idx;        /* lazily built aggregate indexes over deals (index.c) */
  const IndexHooks *idx_hooks;   /* set with idx */
  uint64_t version;      /* bumped on every change (world_changed, world_touched) */
  uint64_t index_version; /* bumped when what the indexes hold changes (world_changed) */
  VEC(struct Undo) undo;
  int logging;           /* > 0 while an overlay (scenario/test) is active */
  int fy_start;          /* month a fiscal year starts (1: calendar years);
                            t->year holds the fiscal year of each date */
  Loc fy_loc;            /* where `fiscal year starts MM` was declared */
  /* Every time a table was cut back (a scenario, test or failed load
  ** rolled back rows it added), the row count it was cut to. A Lua handle
  ** made before a cut to n rows names, if its row is n or above, a row that
  ** may now hold another entity: it is stale (world_row_current). */
  struct { uint32_t *p; uint32_t n, cap; } cuts[K_NKINDS];
} World;

/* The year a date counts in: its calendar year, or with a fiscal year
** starting in month S > 1, the year in which that fiscal year ends
** (FY2024-25 is 2025). A date known only to the year is taken as the
** fiscal year it names. */
static inline int32_t world_fiscal_year(int fy_start, int y, int m, int prec) {
  if (prec == 2 || fy_start <= 1) return y;
  return m >= fy_start ? y + 1 : y;
}
/* Declares the fiscal year (1..12) and recomputes every row's year. */
void world_set_fiscal(H *h, int month);

/* ---- the schema: the built-in fields of each kind, one table for every file ---- */

/* What a built-in field holds. */
typedef enum {
  FT_NAME,       /* the entity's name (partners, commodities) */
  FT_ENTITY,     /* an entity of kind FieldSpec.entity */
  FT_MONEY,      /* a quantity in money (stored in USD) */
  FT_QUANTITY,   /* a quantity of any dimension */
  FT_DATE,       /* a date (an integer: a year) */
  FT_YEAR,       /* computed: the year of the row's date; cannot be set */
  FT_RATIO,      /* a plain number such as 4.5% */
  FT_TIME        /* a quantity of time (stored in years) */
} FieldType;

/* Where a row keeps a built-in field: a column of Table, or a free one. */
typedef enum { WC_NAME, WC_A, WC_B, WC_C, WC_VALUE, WC_DATE, WC_YEAR, WC_TERM, WC_ATTR } WorldColumn;

typedef struct FieldSpec {
  const char *name;
  FieldType type;
  int entity;            /* FT_ENTITY: K_PARTNER or K_COMMODITY */
  WorldColumn column;
  int required;          /* a declaration or a load must give it */
  const char *unit;      /* the unit values are stored in, or NULL */
} FieldSpec;

/* The built-in fields of kind, in the order people read them; the list ends
** with a NULL name. Every file that names built-in fields walks this table. */
const FieldSpec *world_schema(int kind);
/* The built-in field of kind with that name, or NULL. */
const FieldSpec *world_schema_field(int kind, const char *name);

void world_init(H *h);
void world_free(H *h);

/* A new row's cells: no name, no entities, NaN values, no date, nil attributes. */
void world_row_defaults(Table *t, int kind, uint32_t r);
/* world_row_defaults for the fields a load fills itself left out: filled
** has bit (1 << WC_x) for each built-in column the caller writes (WC_DATE:
** date, year and precision), col_filled a byte per attribute column (NULL:
** none). A load that writes every cell of a fresh row touches it once. */
void world_row_defaults_except(Table *t, int kind, uint32_t r, unsigned filled, const uint8_t *col_filled);
/* Adds a row; returns its index. name may be NULL (deals, loans). */
uint32_t world_add(H *h, int kind, HStr *name, Loc loc);
/* Sets a free attribute of a row. */
void world_set_attr(H *h, int kind, uint32_t row, HStr *name, Value v);
/* Reads a field of an entity by name: built-in fields first, then free
** attributes; *found = 0 when the entity has no such field (nil). */
Value world_field(H *h, int kind, uint32_t row, HStr *name, int *found);
/* Makes room for need rows in every array of kind's table, all or none
** (the loader and pack.c fill rows in bulk). */
void world_table_reserve(H *h, int kind, uint32_t need);
/* The index of kind's attribute column name, added (numeric: numbers of
** dimension dim; else any values) when the table has none yet. */
int world_column(H *h, int kind, HStr *name, int numeric, int dim);
/* A column of numbers turned into Values (text arrives): pack.c replaying
** a load that boxed it. */
void world_column_text(H *h, int kind, int col);
/* A partner or commodity whose name, official name or common name has the
** initials s (UAE -> ARE, KSA -> SAU) or equals s, case ignored; NULL when
** none. The "did you mean" of an unknown partner, in a program (resolve.c)
** or a loaded file (load.c); it interns nothing, so a loader thread may
** call it. */
const char *world_suggest_by_name(H *h, int kind, const char *s, size_t n);
/* Whether w (n bytes, lower case) is a word a name's key and initials leave
** out: "the", "of", "and". */
int world_stop_word(const char *w, size_t n);
/* Sets a field of a row, built-in or free, checking its type (a deal's
** exporter must be a partner, its value money, ...); logged in overlays. */
void world_set_field(H *h, int kind, uint32_t row, HStr *name, Value v, Loc loc);
/* After all fields of a new deal/loan are set: the required ones present? */
void world_check_required(H *h, int kind, uint32_t row, Loc loc);
void world_drop(H *h, int kind, uint32_t row);
static inline int world_alive(World *w, int kind, uint32_t row) {
  return !w->t[kind].dropped || !w->t[kind].dropped[row];
}
/* Name of an entity for printing: its name or "deal#N" (1-based position). */
const char *world_name(H *h, int kind, uint32_t row, char *buf, size_t n);
/* The 1-based position among living rows (deal#N). */
uint32_t world_position(H *h, int kind, uint32_t row);
/* Number of living rows. */
uint32_t world_count(H *h, int kind);
/* The living row at 0-based position i (deals[i]), or NO_ROW. */
uint32_t world_nth(H *h, int kind, uint32_t i);

/* Overlays. A mark remembers the table sizes and the undo position;
** rollback returns the world to it exactly. */
typedef struct WorldMark { uint32_t n[K_NKINDS]; uint32_t undo; uint32_t ncols[K_NKINDS]; int logging; } WorldMark;
WorldMark world_mark(H *h);
void world_rollback(H *h, WorldMark m);
/* The deal rows changed since mark m (in h->temp, a row may come twice):
** rows whose value, attributes or dropped flag changed and rows added.
** UINT32_MAX when anything else changed since m: a deal's exporter,
** importer, commodity or date, or a row or column of another kind. What a
** filter of deals sums is the same as at the mark if none of these rows
** matches it (rules.c, reusing a binding's result under --compare). */
uint32_t world_deal_changes(H *h, WorldMark m, uint32_t **rows);
/* Cuts table kind back to n rows, remembering the cut (see World.cuts). */
void world_truncate(H *h, int kind, uint32_t n);
/* Whether row of kind is the entity a handle made when cuts[kind] had
** *seen entries names: no cut at or below it since. Advances
** *seen when it is. */
int world_row_current(World *w, int kind, uint32_t row, uint32_t *seen);
void world_changed(H *h);   /* rows, entities or keys changed: invalidates the indexes */
void world_touched(H *h);   /* a change the indexes follow or do not hold (values, attributes) */

#endif
