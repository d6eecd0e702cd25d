/*
** loadint.h: what the two files of the loader share (not for the rest of
** hedge, which sees load.h and loadmap.h): the state of one load (Load), of
** one reader's pass over rows (Part), how each column feeds the table
** (ColMap, Computed, Wide), the code maps, and the functions of load.c the
** mapping calls. load.c reads the file and fills rows; loadmap.c plans the
** mapping and computes what is not a plain column.
*/
#ifndef LOADINT_H
#define LOADINT_H
#include "core.h"
#include "ast.h"
#include "value.h"
#include "world.h"
#include "csv.h"

#define HX_LOAD_BAD_ROWS 20      /* bad rows quoted in a failing load's message */
#define HX_LOAD_UNMAPPED 20      /* distinct unmapped codes listed */

/* How a CSV column feeds the table. */
typedef enum { C_SKIP, C_KEY, C_ENT_A, C_ENT_B, C_ENT_C, C_VALUE, C_DATE, C_TERM, C_ATTR } ColRole;


/* Why a row was skipped (counted, reported by check and run). */
enum { SK_WHERE, SK_UNMAPPED, SK_MISSING /* + role */, SK_N = SK_MISSING + C_ATTR + 1 };

typedef struct Via Via;

typedef struct ColMap {
  ColRole role;
  int want;            /* entity kind for C_ENT_*, */
  HStr *field;         /* field name */
  double factor; int dim;   /* unit given in the mapping (dim 0: plain) */
  int has_unit;
  int attr;            /* column index in the table, C_ATTR */
  int src;             /* the CSV column read (one column may feed two fields) */
  int textual;         /* C_ATTR: some value is not a number: strings */
  int missing;         /* the load's missing tokens apply to this column */
  int pad;             /* codes of digits padded with zeros to this width */
  Via *via;            /* codes mapped through a table (NULL: the codes themselves) */
  Loc loc;             /* mapping entry, for errors */
} ColMap;

/* A computed field: `field: = EXPR`, one evaluation per row. */
typedef struct Computed {
  ColRole role; int want; HStr *field;
  Node *expr; int nslots; Loc loc;
} Computed;

/* A wide table: `field: each "FY*" [UNIT]`, one entity per (row, column). */
typedef struct Wide {
  ColRole role; HStr *field; double factor; int dim, has_unit, attr;
  int n; int *cols; int32_t *days, *year; uint8_t *prec;
  Loc loc;
} Wide;

/* A hash from code to entity row, built once per load and kind. Codes are
** short: up to 8 bytes are packed into one 64-bit key (longer ones: their
** hash), kept with the code's length in the slot, so a lookup is a
** multiply, a shift and one compare, and a cell of the reader (padded:
** csv.h) packs its code with one load and a mask. */
typedef struct CodeSlot { uint64_t key; uint32_t row, len; } CodeSlot;
typedef struct CodeMap { CodeSlot *slots; uint32_t cap; int kind; } CodeMap;

/* A Via maps a foreign code (a name, an alpha-2 or numeric code, a BACI
** code) to the code of an entity; loadmap.c builds them and looks cells up. */
struct Via {
  HStr **keys; HStr **to; HStr **names; uint32_t *rows; uint32_t cap, n;
  int by_name;
  const char *what;         /* for messages: "'country_codes.csv'", "the partners' name" */
};

/* The text of the attribute cells (columns without a unit), kept as the
** rows are read: a varint length, then the bytes. A column found not to be
** all numbers becomes strings from here at the end of the load, so the file
** is read once, from one descriptor, and no second pass can see other
** bytes (a file replaced while it loads). One per reader (two in a
** parallel load, each filled by its own thread through its own hook). */
typedef struct Side { char *p; size_t n, cap; hx_Alloc alloc; void *ud; uint32_t first; } Side;

/* A bad row as the message shows it: its fields joined by commas (cut at
** 200 bytes), and where to put the caret (the failing column). */
typedef struct RowQuote { char text[208]; int len, caret, width; } RowQuote;

/* A row the load could not take: listed in the error. */
typedef struct BadRow { long line; char msg[360]; RowQuote q; } BadRow;

/* A code that mapped to nothing: listed in the error. */
typedef struct Unmapped { char code[48]; long rows, first_line; } Unmapped;

typedef struct Load {
  Node *stmt;
  LoadOpts *opt;          /* NULL: none */
  const char *path;       /* as found (for messages) */
  const char *shown;      /* as written in the statement, relative */
  int kind;
  CsvReader *csv;
  ColMap *cols; int ncols;
  Computed *comp; int ncomp;
  Wide wide; int has_wide;
  Node *where; int where_slots;
  HStr **missing; int nmissing;   /* tokens (empty cells are always missing) */
  int has_missing;        /* a missing: option was given: a missing required cell skips the row */
  char sep, decimal, thousands;
  int declare;            /* kinds whose unknown codes are declared */
  int evaluates;          /* computed fields, where: or wide: rows go through eval (serial) */
  CodeMap codes[2];       /* partners, commodities */
  HStr **header; int nheader;
  int fy_start;           /* the world's fiscal year start, for deal years */
  long line;
  uint32_t first_row;
  uint32_t first_n[K_NKINDS];
  uint8_t *textual;       /* per column: some value is not a number */
  RowQuote quote;         /* the bad row, shown under the next row_error */
  long long skipped[SK_N];
  uint32_t loaded;
  CsvField *cur; int ncur; /* the row computed fields read (load_cell) */
  HStr *row_name;         /* "row" */
  struct Part *serial;    /* the reader's state in a serial load */
  struct Half *halves;    /* the two halves of a parallel load */
  char *text; size_t textcap;   /* iso3166: the JSON file */
  Side side[2];           /* attribute texts: serial load [0], parallel halves [0] [1] */
  int nside;              /* readers that filled a Side */
  struct FastCol *fast; int nfast;   /* the plain path's steps (load.c), NULL: none */
  struct ScanStep *scan; int nscan; /* the same steps in the file's column order, for
                                     ** converting cells while tokenising (load.c
                                     ** scan_rows); NULL: rows go through csv_next */
  unsigned filled;        /* plain path: built-in columns the steps write (1 << WC_x) */
  uint8_t *col_filled;    /* plain path: attribute columns the steps write */
  int defaults;           /* plain path: some field of a row is not written by the steps */
} Load;

/* Codes a load declares, seen first while reading (provisional ids). */
typedef struct NewCodes {
  char *bytes; size_t blen, bcap;
  uint32_t *off, *len; uint32_t n, cap;
  uint32_t *slots; uint32_t scap;      /* index + 1, 0 empty */
  Via *via;                            /* names of entities mapped through a table */
  uint32_t *via_slot;                  /* per code: its Via slot (UINT32_MAX: none) */
} NewCodes;

/* One reader's pass over rows: the whole file, or one half of it in a
** parallel load. Row errors are recorded here, not raised, so that a worker
** thread can report them; the main thread raises them in file order. */
typedef struct Part Part;
struct Part {
  Load *L;
  CsvReader *csv;
  hx_Alloc alloc; void *aud;  /* for the new codes (a worker's is locked) */
  long line;                 /* physical line of the current row */
  long long last_year; int32_t last_days;
  int32_t memo_year[16], memo_days[16];   /* the plain path's years (0: none) */
  uint8_t *textual;          /* per column: a value that is not a number was seen */
  int failed;                /* the current row failed (err, err_col) */
  int interrupted;           /* hedge_interrupt was called during the load */
  int wk;                    /* wide tables: the column of this entity */
  int oom;                   /* the failure is "out of memory" */
  Side *side;                /* attribute texts of this reader's rows */
  long err_line;
  int cur_col, err_col;      /* the column being read; the one that failed (-1: the row) */
  RowQuote quote;            /* the failing row, for the message */
  char err[360];
  BadRow bad[HX_LOAD_BAD_ROWS]; int nbad; long long total_bad;
  Unmapped unm[HX_LOAD_UNMAPPED]; int nunm; long long total_unm;
  long long skipped[SK_N];
  NewCodes nc[2];
  CsvField *rowf; int rowcap;   /* a row of a span split into fields (load.c split_line) */
};

/* ---- load.c, for the mapping ---- */

/* Builds the code map of the entities of kind (partners, commodities). */
void load_codemap_build(H *h, CodeMap *m, int kind);
/* The entity row of code s[0..n), or NO_ROW. */
uint32_t load_codemap_find(H *h, CodeMap *m, const char *s, size_t n);
/* Whether a cell's text may enter the world (code = 1: a name); 1 with the reason in why. */
int load_bad_text(const char *p, size_t n, int code, char *why, size_t whylen);
/* Quotes a row for a message, the caret under column col. */
void load_quote_row(RowQuote *q, CsvField *f, int n, int col);
/* Raises "FILE:LINE: error: ..." with the quoted row (L->quote) under it. */
_Noreturn void load_row_error(H *h, Load *L, const char *fmt, ...);
/* Marks the current row of p failed with this message (the first one wins); returns -1. */
int load_part_fail(Part *p, const char *fmt, ...);
/* Whether a cell stands for "no value": empty, or one of the load's missing tokens. */
int load_is_missing(const Load *L, const CsvField *f, int takes_tokens);
/* A number cell of column col in the load's style; -1 with the row failed. */
int load_number_field(Part *p, int col, CsvField *f, double *out);
/* The entity row of a code: 0, -1 (the row failed), -2 (unmapped), 1 or 2 (the row is skipped). */
int load_code_entity(H *h, Part *p, int want, const ColMap *c, const char *what, const char *s, size_t n, uint32_t *out);
/* A year (2025) or an ISO date (2025-10, 2025-10-15) in text; 0 if neither. */
int load_parse_date_text(int fy, const char *s, size_t n, int32_t *days, uint8_t *prec, int32_t *year);
/* Stops a long load on hedge_interrupt or the step limit. */
void load_check(H *h, Load *L);
/* The next record of the file (0 at its end); raises the reader's errors. */
int load_next_row(H *h, Load *L, CsvField **f);

/* ---- shared by load.c and loadscan.c (the hot path: inline) ---- */

/* A reader's rows by spans (csv.h): [s, e) is what is left of the span,
** line the physical line at s, line0 the span's first. */
typedef struct Rows { const char *s, *e; long line, line0; int spans; } Rows;

#define ROWS_SPAN (-3)

/* Appends one text (varint length, bytes) to a Side; 0, or -1 out of memory. */
int load_side_put(Side *s, const char *x, size_t len);

/* Up to 8 bytes of a code as one little-endian 64-bit key. */
static inline uint64_t pack8(const char *s, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x |= (uint64_t)(unsigned char)s[i] << (8 * i);
  return x;
}

/* The home slot of a key of n bytes in a table of cap slots (a power of two). */
static inline uint32_t slot_of(uint64_t key, size_t n, uint32_t cap) {
  return (uint32_t)(((key ^ (n * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull) >> 32) & (cap - 1);
}

/* The row of the code s[0..n) whose key (pack8, or the hash past 8 bytes) is key, or NO_ROW. */
static inline uint32_t codemap_probe(H *h, const CodeMap *m, uint64_t key, const char *s, size_t n) {
  for (uint32_t i = slot_of(key, n, m->cap);; i = (i + 1) & (m->cap - 1)) {
    const CodeSlot *e = &m->slots[i];
    if (e->row == UINT32_MAX) return NO_ROW;
    if (e->key != key || e->len != n) continue;
    if (n <= 8 || memcmp(h->world->t[m->kind].names[e->row]->s, s, n) == 0) return e->row;
  }
}

/* load_codemap_find for a cell of the reader (padded, csv.h): a code of up
** to 8 bytes packed by one load and a mask. */
static inline uint32_t codemap_find_cell(H *h, const CodeMap *m, const char *s, size_t n) {
  if (!m->cap || n - 1 >= 8) return n ? load_codemap_find(h, (CodeMap *)m, s, n) : NO_ROW;
  return codemap_probe(h, m, csv_code8(s, n), s, n);
}

/* side_put for a cell of the reader (padded, csv.h): a short text is one
** length byte and one 8-byte copy. */
static inline int side_put_cell(Side *s, const char *x, size_t len) {
  if (len > 8 || s->cap - s->n < 9 + CSV_FIELD_PAD) return load_side_put(s, x, len);
  s->p[s->n] = (char)len;
  memcpy(s->p + s->n + 1, x, 8);
  s->n += 1 + len;
  return 0;
}


/* The general row: every cell through its column's mapping; 0, or -1 with
** the row failed (p's message) or skipped. */
int load_fill_row(H *h, Part *p, Table *t, uint32_t r, CsvField *f);
/* Marks p out of memory; returns -1. */
int load_part_oom(Part *p);
/* A cell's text quoted for a message into out[0..n). */
void load_quote(char *out, size_t n, const char *p, size_t len);

/* loadscan.c: the plain path and the converting scanner. */
/* The plain path's steps for L (L->fast), or none when its mapping is not plain. */
void loadscan_plan_plain(H *h, Load *L);
/* The plain path's steps in the file's column order (L->scan), for spans. */
void loadscan_plan(H *h, Load *L);
/* A row through the plain steps, else through load_fill_row: 0 or -1 as load_fill_row. */
int loadscan_fill_row_plain(H *h, Part *p, Table *t, uint32_t r, CsvField *f);
/* Converts the lines of the span rw from row r, at most nmax rows; returns
** the rows written (stops at a line not in the common form). */
uint32_t loadscan_rows(H *h, Part *p, Table *t, uint32_t r, uint32_t nmax, Rows *rw);
/* The next row the general way (fields in *f), ROWS_SPAN, 0 at the end, -1 on error. */
int loadscan_next_row(Part *p, Rows *rw, CsvField **f, char *err, size_t errlen);

#endif
