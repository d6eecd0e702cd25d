/*
** loadscan.c: the hot path of a plain load (load.c reads the file, this
** file turns its rows into the world's columns when the mapping is plain).
** Two forms: the plain path (steps planned once per file, one per column,
** over fields the reader has split) and the scanner that converts each cell
** where it starts, over spans of quote-free lines, without splitting them
** first. Any row not in its common form goes to load_fill_row (load.c),
** which gives the same values or the same error. What both files share is
** in loadint.h.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prog.h"
#include "csv.h"
#include "date.h"
#include "load.h"
#include "loadint.h"

/* ---- the plain path ---------------------------------------------------------------
** A file of deals or loans whose mapping is plain (columns only: no
** computed field, wide table, missing tokens, number style, codes through
** a table or padded) is read by steps made once per file (plan_plain), one
** per column, with every decision fill_row makes per cell (role, unit,
** missing tokens, code scheme) taken before the first row: a code is one
** masked load and one probe, a number is read eight digits at a time, a
** year comes from a memo, and a fresh row is written once (no defaults for
** the fields the file fills). A cell not in its common form (an unknown or
** empty code, a number written otherwise, a date that is not a bare year,
** a value that fails a check) sends the whole row through fill_row, which
** gives the same cells or the same error: the plain path is only faster. */
typedef enum { FS_A, FS_B, FS_C, FS_VALUE, FS_DATE, FS_TERM, FS_NUM, FS_NUMTEXT, FS_TEXT, FS_SKIP } FastStep;
typedef struct FastCol { FastStep step; int src, ci, attr; double factor; const CodeMap *codes; } FastCol;

/* The plain path's steps for L, or none (L->fast NULL) when its mapping is
** not plain. After plan: the world's attribute columns exist. */
void loadscan_plan_plain(H *h, Load *L) {
  int kind = L->kind;
  L->fast = NULL;
  if ((kind != K_DEAL && kind != K_LOAN) || L->ncomp || L->has_wide || L->has_missing || L->nmissing || L->decimal || L->thousands) return;
  Table *t = &h->world->t[kind];
  FastCol *fc = arena_alloc(h, &h->temp, (size_t)(L->ncols + 1) * sizeof(FastCol));
  uint8_t *cf = arena_alloc(h, &h->temp, (size_t)t->cols.n + 1);
  memset(cf, 0, (size_t)t->cols.n + 1);
  unsigned filled = 0;
  int n = 0;
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    if (c->role == C_SKIP) continue;
    if (c->role == C_KEY || c->via || c->pad || c->missing) return;
    FastCol *x = &fc[n++];
    x->src = c->src; x->ci = i; x->attr = c->attr; x->factor = c->factor; x->codes = NULL;
    switch (c->role) {
      case C_ENT_A: x->step = FS_A; filled |= 1u << WC_A; x->codes = &L->codes[c->want]; break;
      case C_ENT_B: x->step = FS_B; filled |= 1u << WC_B; x->codes = &L->codes[c->want]; break;
      case C_ENT_C: x->step = FS_C; filled |= 1u << WC_C; x->codes = &L->codes[c->want]; break;
      case C_VALUE: x->step = FS_VALUE; filled |= 1u << WC_VALUE; break;
      case C_DATE: x->step = FS_DATE; filled |= 1u << WC_DATE; break;
      case C_TERM: x->step = FS_TERM; filled |= 1u << WC_TERM; break;
      case C_ATTR:
        if (!t->cols.p[c->attr].is_num) {   /* strings already: the defaults' nil */
          if (c->has_unit) return;
          x->step = FS_TEXT;
          break;
        }   /* strings already: the defaults' nil */
        x->step = c->has_unit ? FS_NUM : FS_NUMTEXT;
        if (!c->has_unit) x->factor = 1;
        cf[c->attr] = 1;
        break;
      default: return;
    }
    if ((x->step == FS_A || x->step == FS_B || x->step == FS_C) && !x->codes->cap) return;
  }
  L->fast = fc;
  L->nfast = n;
  L->filled = filled;
  L->col_filled = cf;
  /* which fields the defaults still write */
  unsigned all = (1u << WC_A) | (1u << WC_B) | (1u << WC_VALUE) | (1u << WC_DATE) | (1u << (kind == K_DEAL ? WC_C : WC_TERM));
  L->defaults = t->names != NULL || (filled & all) != all;
  for (uint32_t k = 0; k < t->cols.n; k++) L->defaults |= !cf[k];
}

/* Days of January 1st of year y (1..9999), through a memo of the years
** seen (rows of a few years, in any order). */
static inline int32_t year_days(Part *p, int32_t y) {
  unsigned k = (unsigned)y & 15;
  if (p->memo_year[k] != y) { p->memo_year[k] = y; p->memo_days[k] = date_from_civil(y, 1, 1); }
  return p->memo_days[k];
}

/* fill_row by the plain path's steps (L->fast); a fresh row r. */
int loadscan_fill_row_plain(H *h, Part *p, Table *t, uint32_t r, CsvField *f) {
  Load *L = p->L;
  size_t s0 = p->side->n;
  if (L->defaults) world_row_defaults_except(t, L->kind, r, L->filled, L->col_filled);
  for (int k = 0; k < L->nfast; k++) {
    const FastCol *c = &L->fast[k];
    const CsvField *x = &f[c->src];
    double v;
    switch (c->step) {
      case FS_A: if ((t->a[r] = codemap_find_cell(h, c->codes, x->p, x->len)) == NO_ROW) goto general; break;
      case FS_B: if ((t->b[r] = codemap_find_cell(h, c->codes, x->p, x->len)) == NO_ROW) goto general; break;
      case FS_C: if ((t->c[r] = codemap_find_cell(h, c->codes, x->p, x->len)) == NO_ROW) goto general; break;
      case FS_VALUE:
        if (!x->len || !csv_parse_double_padded(x->p, x->len, &v)) goto general;
        v *= c->factor;
        if (L->kind == K_LOAN && v < 0) goto general;
        t->value[r] = v;
        break;
      case FS_DATE: {
        if (!x->len) { t->date[r] = NO_DATE; t->year[r] = NO_YEAR; t->prec[r] = 0; break; }
        uint64_t w = csv_load8(x->p);
        if (x->len != 4 || csv_digit_run(w) < 4) goto general;   /* a date, or a year written otherwise */
        int32_t y = (int32_t)csv_digits_value(w, 4);
        if (y < 1) goto general;
        t->date[r] = year_days(p, y); t->year[r] = y; t->prec[r] = DATE_YEAR;
        break;
      }
      case FS_TERM:
        if (!x->len) { t->term[r] = NAN; break; }
        if (!csv_parse_double_padded(x->p, x->len, &v)) goto general;
        v *= c->factor;
        if (!(v > 0)) goto general;
        t->term[r] = v;
        break;
      case FS_NUM:
        if (!x->len) { t->cols.p[c->attr].nums[r] = NAN; break; }
        if (!csv_parse_double_padded(x->p, x->len, &v)) goto general;
        t->cols.p[c->attr].nums[r] = v * c->factor;
        break;
      case FS_NUMTEXT:
        /* the text is kept as fill_row keeps it (the column may turn out
        ** to be strings) */
        if (side_put_cell(p->side, x->p, x->len)) goto general;
        if (!x->len) { t->cols.p[c->attr].nums[r] = NAN; break; }
        if (p->textual[c->ci]) {
          char why[160];
          if (load_bad_text(x->p, x->len, 0, why, sizeof why)) goto general;
          t->cols.p[c->attr].nums[r] = NAN;   /* unused: the column becomes strings */
          break;
        }
        if (!csv_parse_double_padded(x->p, x->len, &v)) goto general;
        t->cols.p[c->attr].nums[r] = v;
        break;
      case FS_TEXT: {
        char why[160];
        if (side_put_cell(p->side, x->p, x->len)) goto general;
        if (x->len && load_bad_text(x->p, x->len, 0, why, sizeof why)) goto general;
        break;
      }
      case FS_SKIP: break;   /* only in L->scan */
    }
  }
  if (t->a[r] == t->b[r]) goto general;
  return 0;
general:
  p->side->n = s0;
  world_row_defaults(t, L->kind, r);
  return load_fill_row(h, p, t, r, f);
}

/* ---- converting cells while tokenising ---------------------------------------------
** For a file read by spans of whole lines with no load_quote (csv.h), the plain
** path's steps run in the file's column order straight on the text: each
** step converts its cell where it starts and stops at the cell's end (a
** code by one 8-byte load and a mask of its separators, a number by the
** digits it reads, a year by four), and the next cell starts after the
** separator. No field list is written and read back. A row any cell of
** which is not in its common form (or with the wrong number of cells, a
** CR alone, a blank line) is split into fields as csv_next would split it
** and goes through the rows' general code (fill_row_plain, then fill_row):
** the same values or the same error, with the same line and caret. */

/* 0x80 in the first byte of x equal to the byte repeated in pat (and
** perhaps in later bytes too: a borrow runs upward from a match, never
** below it, so the lowest set bit is exact and the mask is 0 only when no
** byte matches). */
static inline uint64_t bytes_first(uint64_t x, uint64_t pat) {
  uint64_t t = x ^ pat;
  return (t - UINT64_C(0x0101010101010101)) & ~t & UINT64_C(0x8080808080808080);
}

/* Where the cell starting at s ends: its first separator or newline, or e
** (the span's end: the last line of a file may have no newline). seps is
** the separator repeated in every byte. Reads 8 bytes at a time: the span
** is padded (csv.h). In the last cell, a CR just before the newline is not
** part of the cell (csv_next's rule). */
static inline const char *cell_end(const char *s, const char *e, uint64_t seps, int last) {
  const char *q = s;
  for (;;) {
    uint64_t x = csv_load8(q);
    uint64_t m = bytes_first(x, seps) | bytes_first(x, UINT64_C(0x0a0a0a0a0a0a0a0a));
    if (m) { q += __builtin_ctzll(m) >> 3; break; }
    q += 8;
    if (q >= e) { q = e; break; }
  }
  if (q > e) q = e;
  if (last && q > s && q[-1] == '\r') q--;
  return q;
}

/* Whether s starts no cell text: at a separator, a line end or the span's end. */
static inline int cell_empty(const char *s, const char *e, char sep) {
  return s == e || *s == sep || *s == '\n' || *s == '\r';
}


/* One step of the scanner: what to do with the next cell of a line. A code
** cell that is not the line's last ends at the separator; the last one at
** CR or LF. */
typedef enum { SC_CODE, SC_CODE_LAST, SC_VALUE, SC_DATE, SC_TERM, SC_NUM, SC_NUMTEXT, SC_TEXT, SC_SKIP, SC_END } ScanOp;

/* Codes of up to 7 bytes for the scanner: the key is the code's bytes
** packed as csv_load8 packs them with a 1 bit just above them (so it holds
** the length too, and is never 0, the empty slot), found by one multiply. */
typedef struct ScanSlot { uint64_t key; uint32_t row; } ScanSlot;
typedef struct ScanCodes { ScanSlot *slots; uint32_t mask; int shift; } ScanCodes;

typedef struct ScanStep {
  ScanOp op;
  char term;              /* what ends the cell: the separator, or '\n' for the last */
  int which;              /* SC_CODE*: 0 exporter/lender, 1 importer/borrower, 2 commodity */
  int ci, attr;           /* the ColMap and the attribute column */
  double factor;
  const ScanCodes *codes; /* SC_CODE*: codes of up to 7 bytes */
  const CodeMap *map;     /* SC_CODE*: every code (longer ones) */
} ScanStep;

/* The scanner's table of the codes of map: those of up to 7 bytes with no
** separator, CR or LF in them (a cell holding one of those bytes then finds
** nothing and goes through the general reader, which splits it as csv_next
** does). */
static const ScanCodes *scan_codes(H *h, const CodeMap *map, char sep) {
  ScanCodes *sc = arena_alloc(h, &h->temp, sizeof *sc);
  uint32_t cap = 64;
  int bits = 6;
  while (cap < map->cap * 2) cap *= 2, bits++;
  sc->slots = arena_alloc(h, &h->temp, cap * sizeof(ScanSlot));
  memset(sc->slots, 0, cap * sizeof(ScanSlot));
  sc->mask = cap - 1;
  sc->shift = 64 - bits;
  Table *t = &h->world->t[map->kind];
  for (uint32_t i = 0; i < map->cap; i++) {
    const CodeSlot *e = &map->slots[i];
    if (e->row == UINT32_MAX || e->len > 7 || e->len == 0) continue;
    const char *nm = t->names[e->row]->s;
    if (memchr(nm, sep, e->len) || memchr(nm, '\n', e->len) || memchr(nm, '\r', e->len)) continue;
    uint64_t key = e->key | (UINT64_C(1) << (8 * e->len));
    uint32_t k = (uint32_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> sc->shift);
    while (sc->slots[k].key) k = (k + 1) & sc->mask;
    sc->slots[k] = (ScanSlot){key, e->row};
  }
  return sc;
}

/* The row of the code whose scanner key is key, or NO_ROW. */
static inline uint32_t scan_code_find(const ScanCodes *sc, uint64_t key) {
  for (uint32_t k = (uint32_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> sc->shift);; k = (k + 1) & sc->mask) {
    if (sc->slots[k].key == key) return sc->slots[k].row;
    if (!sc->slots[k].key) return NO_ROW;
  }
}

/* The plain path's steps in the file's column order (L->scan: one per
** header column, SC_SKIP for a column nothing reads, then SC_END), for
** scan_rows; none when the rows need more than the steps (a where:
** filter, evaluation) or one column feeds two fields. */
void loadscan_plan(H *h, Load *L) {
  L->scan = NULL;
  if (!L->fast || L->where || L->evaluates || L->nheader < 1) return;
  char sep = L->sep ? L->sep : ',';
  ScanStep *sc = arena_alloc(h, &h->temp, (size_t)(L->nheader + 1) * sizeof(ScanStep));
  for (int i = 0; i <= L->nheader; i++)
    sc[i] = (ScanStep){i == L->nheader ? SC_END : SC_SKIP, i == L->nheader - 1 ? '\n' : sep, 0, -1, 0, 1, NULL, NULL};
  const ScanCodes *codes[2] = {NULL, NULL};
  for (int k = 0; k < L->nfast; k++) {
    const FastCol *c = &L->fast[k];
    if (c->src < 0 || c->src >= L->nheader || sc[c->src].op != SC_SKIP) return;
    ScanStep *x = &sc[c->src];
    x->ci = c->ci; x->attr = c->attr; x->factor = c->factor;
    switch (c->step) {
      case FS_A: case FS_B: case FS_C: {
        int kind = c->codes->kind;
        if (!codes[kind]) codes[kind] = scan_codes(h, c->codes, sep);
        x->op = x->term == '\n' ? SC_CODE_LAST : SC_CODE;
        x->which = c->step == FS_A ? 0 : c->step == FS_B ? 1 : 2;
        x->codes = codes[kind];
        x->map = c->codes;
        break;
      }
      case FS_VALUE: x->op = SC_VALUE; break;
      case FS_DATE: x->op = SC_DATE; break;
      case FS_TERM: x->op = SC_TERM; break;
      case FS_NUM: x->op = SC_NUM; break;
      case FS_NUMTEXT: x->op = SC_NUMTEXT; break;
      case FS_TEXT: x->op = SC_TEXT; break;
      case FS_SKIP: return;
    }
  }
  L->scan = sc;
  L->nscan = L->nheader;
}

/* Converts the rows at rw->s into rows r, r + 1, ... of t (fresh, within
** capacity), at most nmax, while every cell is in its common form; returns
** how many. rw->s stops at the first row it cannot take (the caller splits
** that one with split_line). The steps run as one loop over the cells of
** all the rows: after a cell, what ends it (the separator, or the line's
** end for the last) is checked and skipped; SC_END closes the row. */
uint32_t loadscan_rows(H *h, Part *p, Table *t, uint32_t r, uint32_t nmax, Rows *rw) {
  Load *L = p->L;
  const ScanStep *first = L->scan, *c = first;
  const char sep = L->sep ? L->sep : ',';
  const uint64_t seps = UINT64_C(0x0101010101010101) * (unsigned char)sep;
  const uint64_t lfs = UINT64_C(0x0a0a0a0a0a0a0a0a), crs = UINT64_C(0x0d0d0d0d0d0d0d0d);
  const char *s = rw->s, *e = rw->e, *q = s, *ce = s;
  Side *side = p->side;
  uint32_t *codecol[3] = {t->a, t->b, t->c};
  const int loan = L->kind == K_LOAN, defaults = L->defaults;
  uint32_t done = 0, row;
  size_t s0 = side->n;
  double v;
  uint64_t x, m;
  char why[160];
  if (!nmax || s >= e) return 0;
  if (defaults) world_row_defaults_except(t, L->kind, r, L->filled, L->col_filled);
  /* each step's code is a label; the next step is one indirect jump (GCC
  ** and Clang), or a switch that jumps to the label (other compilers) */
#if defined(__GNUC__) && !defined(HX_SCAN_SWITCH)
  static const void *const ops[] = {
    [SC_CODE] = &&op_code, [SC_CODE_LAST] = &&op_code_last, [SC_VALUE] = &&op_value, [SC_DATE] = &&op_date,
    [SC_TERM] = &&op_term, [SC_NUM] = &&op_num, [SC_NUMTEXT] = &&op_numtext, [SC_TEXT] = &&op_text,
    [SC_SKIP] = &&op_skip, [SC_END] = &&op_end};
#define SCAN_NEXT() goto *ops[c->op]
#else
#define SCAN_NEXT() do { switch (c->op) { \
    case SC_CODE: goto op_code; case SC_CODE_LAST: goto op_code_last; case SC_VALUE: goto op_value; \
    case SC_DATE: goto op_date; case SC_TERM: goto op_term; case SC_NUM: goto op_num; \
    case SC_NUMTEXT: goto op_numtext; case SC_TEXT: goto op_text; case SC_SKIP: goto op_skip; \
    case SC_END: goto op_end; } } while (0)
#endif
  SCAN_NEXT();

op_code:   /* a code that is not the line's last: it ends at the separator */
  x = csv_load8(q);
  if ((m = bytes_first(x, seps)) != 0) {
    uint64_t bit = (m & (0 - m)) >> 7;   /* the lowest bit of the byte after the code */
    if ((row = scan_code_find(c->codes, (x & (bit - 1)) | bit)) == NO_ROW) goto slow;
    codecol[c->which][r] = row;
    q += (__builtin_ctzll(m) >> 3) + 1;   /* found at its separator */
    c++;
    SCAN_NEXT();
  }
  goto code_long;
op_code_last:   /* the line's last code: it ends at CR or LF */
  x = csv_load8(q);
  if ((m = bytes_first(x, lfs) | bytes_first(x, crs)) != 0) {
    uint64_t bit = (m & (0 - m)) >> 7;
    if ((row = scan_code_find(c->codes, (x & (bit - 1)) | bit)) == NO_ROW) goto slow;
    codecol[c->which][r] = row;
    ce = q + (__builtin_ctzll(m) >> 3);
    goto cell_done;
  }
code_long:   /* 8 bytes or more, or the end of the file */
  ce = cell_end(q, e, seps, c->term == '\n');
  if ((row = load_codemap_find(h, (CodeMap *)c->map, q, (size_t)(ce - q))) == NO_ROW) goto slow;
  codecol[c->which][r] = row;
  goto cell_done;
op_value:
  if (!(ce = csv_scan_number(q, &v))) goto slow;
  v *= c->factor;
  if (loan && v < 0) goto slow;
  t->value[r] = v;
  goto cell_done;
op_date: {
  unsigned nd = csv_digit_run(x = csv_load8(q));
  if (nd == 4) {
    int32_t y = (int32_t)csv_digits_value(x, 4);
    if (y < 1) goto slow;
    t->date[r] = year_days(p, y); t->year[r] = y; t->prec[r] = DATE_YEAR;
    ce = q + 4;
  } else if (nd == 0 && cell_empty(q, e, sep)) {
    t->date[r] = NO_DATE; t->year[r] = NO_YEAR; t->prec[r] = 0;
    ce = q;
  } else goto slow;   /* a date, or a year written otherwise */
  goto cell_done;
}
op_term:
  if (!(ce = csv_scan_number(q, &v))) {
    if (!cell_empty(q, e, sep)) goto slow;
    t->term[r] = NAN;
    ce = q;
    goto cell_done;
  }
  v *= c->factor;
  if (!(v > 0)) goto slow;
  t->term[r] = v;
  goto cell_done;
op_num:
  if (!(ce = csv_scan_number(q, &v))) {
    if (!cell_empty(q, e, sep)) goto slow;
    v = NAN;
    ce = q;
  }
  t->cols.p[c->attr].nums[r] = v * c->factor;
  goto cell_done;
op_numtext:
  /* the text is kept as fill_row keeps it (the column may turn out to be strings) */
  if (p->textual[c->ci]) {
    ce = cell_end(q, e, seps, c->term == '\n');
    if (ce > q && load_bad_text(q, (size_t)(ce - q), 0, why, sizeof why)) goto slow;
    v = NAN;   /* unused: the column becomes strings */
  } else if (!(ce = csv_scan_number(q, &v))) {
    if (!cell_empty(q, e, sep)) goto slow;
    ce = q;
    v = NAN;
  }
  t->cols.p[c->attr].nums[r] = v;
  if (side_put_cell(side, q, (size_t)(ce - q))) goto slow;
  goto cell_done;
op_text:
  ce = cell_end(q, e, seps, c->term == '\n');
  if (side_put_cell(side, q, (size_t)(ce - q))) goto slow;
  if (ce > q && load_bad_text(q, (size_t)(ce - q), 0, why, sizeof why)) goto slow;
  goto cell_done;
op_skip:
  ce = cell_end(q, e, seps, c->term == '\n');
  goto cell_done;
op_end:   /* the row is whole: q is past its line */
  if (codecol[0][r] == codecol[1][r]) goto slow;
  s = q;
  r++;
  s0 = side->n;
  if (++done == nmax || s >= e) goto out;
  c = first;
  if (defaults) world_row_defaults_except(t, L->kind, r, L->filled, L->col_filled);
  SCAN_NEXT();
cell_done:   /* what ends the cell: the separator, or the line's end */
  if (*ce != c->term) {
    if (c->term != '\n') goto slow;   /* too few cells, or a cell not in its common form */
    if (*ce == '\r' && ce[1] == '\n') ce++;
    else if (ce == e) ce--;   /* the last line of a file without a newline */
    else goto slow;   /* too many cells, or a cell not in its common form */
  }
  q = ce + 1;
  c++;
  SCAN_NEXT();
#undef SCAN_NEXT
slow:
  side->n = s0;
out:
  rw->line += (long)done;
  rw->s = s;
  return done;
}

/* Splits the line at rw->s into p->rowf as csv_next splits a record with no
** load_quote (fields at the separator; the line ends at a newline or the span's
** end, a CR before it dropped) and moves past it. Returns the field count,
** 0 for a blank line (skipped, counted), or -1 out of memory (p->oom).
** Sets p->line to the line's number. */
static int split_line(Part *p, Rows *rw, char sep) {
  const char *s = rw->s, *e = rw->e;
  const char *nl = memchr(s, '\n', (size_t)(e - s));
  const char *le = nl ? nl : e;
  int n = 0;
  p->line = rw->line++;
  rw->s = nl ? nl + 1 : e;
  for (const char *f = s;;) {
    const char *c = memchr(f, sep, (size_t)(le - f));
    const char *fe = c ? c : le;
    if (n == p->rowcap) {
      int ncap = p->rowcap ? p->rowcap * 2 : 16;
      CsvField *nf = p->rowcap > (1 << 26) ? NULL : p->alloc(p->aud, p->rowf, (size_t)p->rowcap * sizeof(CsvField), (size_t)ncap * sizeof(CsvField));
      if (!nf) { load_part_oom(p); return -1; }
      p->rowf = nf;
      p->rowcap = ncap;
    }
    size_t len = (size_t)(fe - f);
    if (!c && len && fe[-1] == '\r') len--;
    if (!c && n == 0 && len == 0) return 0;   /* blank line */
    p->rowf[n].p = f;
    p->rowf[n].len = len;
    n++;
    if (!c) return n;
    f = c + 1;
  }
}

/* The next row the general way: the line scan_rows stopped at, or a record
** from csv_next when no span applies; ROWS_SPAN when a new span is ready
** for loadscan_rows (rw->spans: the load has L->scan). Returns the field count
** (*f, p->line set), 0 at the end, -1 on a reader's error (message in err)
** or out of memory (p->oom). */
int loadscan_next_row(Part *p, Rows *rw, CsvField **f, char *err, size_t errlen) {
  char sep = p->L->sep ? p->L->sep : ',';
  for (;;) {
    if (rw->s < rw->e) {
      int n = split_line(p, rw, sep);
      if (n < 0) { snprintf(err, errlen, "%ld: out of memory", p->line); return -1; }
      if (n == 0) continue;
      *f = p->rowf;
      return n;
    }
    if (rw->line > rw->line0) csv_span_lines(p->csv, rw->line - rw->line0);
    rw->line = rw->line0 = 0;
    if (rw->spans) {
      int rc = csv_next_span(p->csv, &rw->s, &rw->e, &rw->line, err, errlen);
      if (rc == 1) { rw->line0 = rw->line; return ROWS_SPAN; }
      if (rc != CSV_SPAN_NONE) return rc;
    }
    return csv_next(p->csv, f, &p->line, err, errlen);
  }
}
