/*
** load.c: `load KIND from "FILE.csv" { field: column [UNIT], key: column }`
** (docs/language.md, Bulk data). One streaming pass over the file (two halves read by
** two threads, for a large file of deals or loans): codes are resolved
** through a hash table built for the load, numbers are parsed in place,
** rows are written straight into the world's columns. Every bad row is an
** error "FILE:LINE: ..." naming the column and quoting the value; the
** caller's boundary rolls the world back, so a file that fails loads
** nothing.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include "eval.h"
#include "units.h"
#include "csv.h"
#include "date.h"
#include "utf8.h"
#include "hfile.h"
#include "load.h"
#include "files.h"

void table_reserve(H *h, int kind, uint32_t need);
int world_column(H *h, int kind, HStr *name, int numeric, int dim);

/* How a CSV column feeds the table. */
typedef enum { C_SKIP, C_KEY, C_ENT_A, C_ENT_B, C_ENT_C, C_VALUE, C_DATE, C_TERM, C_ATTR } ColRole;
/* The role of a column that fills a built-in field, by where the world keeps
** the field (world.h's schema). */
static const int column_role[] = {
  [WC_NAME] = C_ATTR, [WC_A] = C_ENT_A, [WC_B] = C_ENT_B, [WC_C] = C_ENT_C, [WC_VALUE] = C_VALUE,
  [WC_DATE] = C_DATE, [WC_YEAR] = C_DATE, [WC_TERM] = C_TERM, [WC_ATTR] = C_ATTR};

typedef struct ColMap {
  ColRole role;
  int want;            /* entity kind for C_ENT_*, */
  HStr *field;         /* field name */
  double factor; int dim;   /* unit given in the mapping (dim 0: plain) */
  int has_unit;
  int attr;            /* column index in the table, C_ATTR */
  int src;             /* the CSV column read (one column may feed two fields) */
  int textual;         /* C_ATTR: some value is not a number: strings */
  Loc loc;             /* mapping entry, for errors */
} ColMap;

/* A hash from code to entity row, built once per load and kind. Codes are
** short: up to 8 bytes are packed into one 64-bit key, so a lookup is a
** multiply, a shift and one compare. */
typedef struct CodeMap { uint64_t *keys; uint32_t *rows; uint32_t cap; int kind; } CodeMap;

static inline uint64_t pack8(const char *s, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x |= (uint64_t)(unsigned char)s[i] << (8 * i);
  return x;
}

static inline uint32_t slot_of(uint64_t key, size_t n, uint32_t cap) {
  return (uint32_t)(((key ^ (n * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull) >> 32) & (cap - 1);
}

static void codemap_build(H *h, CodeMap *m, int kind) {
  Table *t = &h->world->t[kind];
  uint32_t cap = 64;
  while (cap < t->n * 2 + 2) cap *= 2;
  m->keys = hx_alloc(h, cap * sizeof(uint64_t));
  m->rows = hx_alloc(h, cap * sizeof(uint32_t));
  memset(m->rows, 0xff, cap * sizeof(uint32_t));
  m->cap = cap;
  m->kind = kind;
  for (uint32_t r = 0; r < t->n; r++) {
    HStr *name = t->names[r];
    if (!name || !world_alive(h->world, kind, r)) continue;
    uint64_t key = name->len <= 8 ? pack8(name->s, name->len) : name->hash;
    uint32_t i = slot_of(key, name->len, cap);
    while (m->rows[i] != UINT32_MAX) i = (i + 1) & (cap - 1);
    m->keys[i] = key;
    m->rows[i] = r;
  }
}

static void codemap_free(H *h, CodeMap *m) {
  hx_free(h, m->keys, m->cap * sizeof(uint64_t));
  hx_free(h, m->rows, m->cap * sizeof(uint32_t));
}

static uint32_t codemap_find(H *h, CodeMap *m, const char *s, size_t n) {
  Table *t = &h->world->t[m->kind];
  uint64_t key = n <= 8 ? pack8(s, n) : hx_hash(s, n);
  for (uint32_t i = slot_of(key, n, m->cap);; i = (i + 1) & (m->cap - 1)) {
    uint32_t r = m->rows[i];
    if (r == UINT32_MAX) return NO_ROW;
    if (m->keys[i] != key) continue;
    HStr *name = t->names[r];
    if (name->len == n && (n <= 8 || memcmp(name->s, s, n) == 0)) return r;
  }
}

/* The text of the attribute cells (columns without a unit), kept as the
** rows are read: a varint length, then the bytes. A column found not to be
** all numbers becomes strings from here at the end of the load, so the file
** is read once, from one descriptor, and no second pass can see other
** bytes (a file replaced while it loads). One per reader (two in a
** parallel load, each filled by its own thread through its own hook). */
typedef struct Side { char *p; size_t n, cap; hx_Alloc alloc; void *ud; uint32_t first; } Side;

static int side_put(Side *s, const char *x, size_t len) {
  if (s->cap - s->n < len + 10) {
    size_t ncap = s->cap ? s->cap : 4096;
    while (ncap - s->n < len + 10) {
      if (ncap > ((size_t)-1) / 4) return -1;
      ncap *= 2;
    }
    char *q = s->alloc(s->ud, s->p, s->cap, ncap);
    if (!q) return -1;
    s->p = q;
    s->cap = ncap;
  }
  size_t v = len;
  while (v >= 0x80) { s->p[s->n++] = (char)(v | 0x80); v >>= 7; }
  s->p[s->n++] = (char)v;
  memcpy(s->p + s->n, x, len);
  s->n += len;
  return 0;
}

static size_t side_get(const Side *s, size_t *pos) {
  size_t v = 0;
  int sh = 0;
  unsigned char c;
  do { c = (unsigned char)s->p[(*pos)++]; v |= (size_t)(c & 0x7f) << sh; sh += 7; } while (c & 0x80);
  return v;
}

/* Whether a cell's text may enter the world: no NUL byte, valid UTF-8, and
** for a name (code = 1) no control character either (names reach the
** terminal unescaped in reports). Returns 0, or 1 with the reason in why. */
static int bad_text(const char *p, size_t n, int code, char *why, size_t whylen) {
  int ch = 1;
  for (size_t i = 0; i < n; ch++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c < 0x7f) { i++; continue; }
    if (c == 0) { snprintf(why, whylen, "a NUL byte at character %d", ch); return 1; }
    if (c < 0x80) {
      if (code || c == 0x7f) { snprintf(why, whylen, "a control character (byte 0x%02X) at character %d; names must be printable", c, ch); return 1; }
      i++;
      continue;
    }
    int k = utf8_seq_len(p + i, n - i);
    if (k == 0) { snprintf(why, whylen, "invalid UTF-8 (byte 0x%02X) at character %d; CSV files must be UTF-8 text", c, ch); return 1; }
    if (code && c == 0xC2 && (unsigned char)p[i + 1] < 0xA0) {   /* C1 controls */
      snprintf(why, whylen, "a control character (U+%04X) at character %d; names must be printable", (unsigned char)p[i + 1], ch);
      return 1;
    }
    i += (size_t)k;
  }
  return 0;
}

/* A bad row as the message shows it: its fields joined by commas (cut at
** 200 bytes), and where to put the caret (the failing column). */
typedef struct RowQuote { char text[208]; int len, caret, width; } RowQuote;

static void quote_row(RowQuote *q, CsvField *f, int n, int col) {
  q->len = 0;
  q->caret = q->width = -1;
  for (int i = 0; i < n && q->len < 200; i++) {
    if (i) q->text[q->len++] = ',';
    if (i == col) q->caret = q->len;
    for (size_t k = 0; k < f[i].len && q->len < 200;) {
      unsigned char c = (unsigned char)f[i].p[k];
      int u = c < 0x80 ? 1 : utf8_seq_len(f[i].p + k, f[i].len - k);
      if (u > 1 && q->len + u <= 200) {   /* whole characters, valid UTF-8 only */
        memcpy(q->text + q->len, f[i].p + k, (size_t)u);
        q->len += u;
        k += (size_t)u;
        continue;
      }
      q->text[q->len++] = c < 32 || c >= 0x7f ? '?' : (char)c;
      k++;
    }
    if (i == col) q->width = q->len - q->caret;
  }
  q->text[q->len] = 0;
}

typedef struct Load {
  Node *stmt;
  const char *path;       /* as found (for messages) */
  const char *shown;      /* as written in the statement, relative */
  int kind;
  CsvReader *csv;
  ColMap *cols; int ncols;
  CodeMap codes[2];       /* partners, commodities */
  HStr **header; int nheader;
  int fy_start;           /* the world's fiscal year start, for deal years */
  long line;
  uint32_t first_row;
  uint8_t *textual;       /* per column: some value is not a number */
  RowQuote quote;         /* the bad row, shown under the next row_error */
  Side side[2];           /* attribute texts: serial load [0], parallel halves [0] [1] */
  int nside;              /* readers that filled a Side */
} Load;

_Noreturn static void row_error(H *h, Load *L, const char *fmt, ...) {
  va_list ap;
  h->err.n = 0;
  buf_printf(h, &h->err, "%s:%ld: error: ", L->shown, L->line);
  va_start(ap, fmt);
  buf_vprintf(h, &h->err, fmt, ap);
  va_end(ap);
  RowQuote *q = &L->quote;
  if (q->len > 0) {   /* the row itself, with a caret under the column */
    buf_printf(h, &h->err, "\n  %s", q->text);
    if (q->caret >= 0) {
      buf_puts(h, &h->err, "\n  ");
      for (int i = 0; i < q->caret; i++) buf_putc(h, &h->err, ' ');
      buf_putc(h, &h->err, '^');
      for (int i = 1; i < q->width && i < 80; i++) buf_putc(h, &h->err, '~');
    }
  }
  hx_error_note(h, L->stmt->loc, "while loading this file (nothing from it was loaded)");
  hx_throw(h, HEDGE_ERROR);
}

static void quote(char *out, size_t n, const char *p, size_t len) {
  size_t k = 0, i = 0;
  while (i < len && k + 5 < n && k < 60) {
    unsigned char c = (unsigned char)p[i];
    int u = c < 0x80 ? 1 : utf8_seq_len(p + i, len - i);
    if (u > 1) { memcpy(out + k, p + i, (size_t)u); k += (size_t)u; i += (size_t)u; continue; }
    out[k++] = c < 32 || c >= 0x7f ? '?' : (char)c;
    i++;
  }
  out[k] = 0;
}

/* One reader's pass over rows: the whole file, or one half of it in a
** parallel load. Row errors are recorded here, not raised, so that a worker
** thread can report them; the main thread raises the first in file order. */
typedef struct Part {
  Load *L;
  CsvReader *csv;
  long line;                 /* physical line of the current row */
  long long last_year; int32_t last_days;
  uint8_t *textual;          /* per column: a value that is not a number was seen */
  Side *side;                /* attribute texts of this reader's rows */
  int failed;
  int oom;                   /* the failure is "out of memory" */
  int interrupted;           /* hedge_interrupt was called during the load */
  long err_line;
  int cur_col, err_col;      /* the column being read; the one that failed (-1: the row) */
  RowQuote quote;            /* the failing row, for the message */
  char err[700];
} Part;

static int part_fail(Part *p, const char *fmt, ...) {
  if (!p->failed) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    p->failed = 1;
    p->err_line = p->line;
    p->err_col = p->cur_col;
  }
  return -1;
}

static int part_oom(Part *p) {
  if (!p->failed) p->oom = 1;
  return part_fail(p, "out of memory (keeping the text of the attribute columns)");
}

static int text_field(Part *p, int col, CsvField *f) {
  char why[160];
  if (!bad_text(f->p, f->len, 0, why, sizeof why)) return 0;
  return part_fail(p, "column '%s': %s", p->L->header[col]->s, why);
}

static int entity_field(H *h, Part *p, ColMap *c, CsvField *f, uint32_t *out) {
  Load *L = p->L;
  uint32_t r = codemap_find(h, &L->codes[c->want], f->p, f->len);
  if (r != NO_ROW) { *out = r; return 0; }
  char q[80];
  quote(q, sizeof q, f->p, f->len);
  if (f->len == 0) return part_fail(p, "column '%s' is empty (a %s code is needed)", c->field->s, kind_names[c->want]);
  Suggest sg;
  suggest_init(&sg, f->p, f->len);
  Table *t = &h->world->t[c->want];
  for (uint32_t i = 0; i < t->n; i++) if (t->names[i]) suggest_try(&sg, t->names[i]->s);
  if (sg.best) return part_fail(p, "unknown %s '%s' in column '%s' (did you mean %s?)", kind_names[c->want], q, c->field->s, sg.best);
  return part_fail(p, "unknown %s '%s' in column '%s'", kind_names[c->want], q, c->field->s);
}

static int number_field(Part *p, int col, CsvField *f, double *out) {
  if (csv_parse_double(f->p, f->len, out)) return 0;
  char q[80];
  quote(q, sizeof q, f->p, f->len);
  return part_fail(p, "column '%s': '%s' is not a number", p->L->header[col]->s, q);
}

/* A date column: a year (2025) or an ISO date (2025-10, 2025-10-15). */
static int date_field(Part *p, int col, CsvField *f, int32_t *days, uint8_t *prec, int32_t *year) {
  long long y;
  if (csv_parse_int(f->p, f->len, &y) && y >= 1 && y <= 9999) {
    /* rows of one year come in runs: remember the last conversion */
    if (y != p->last_year) { p->last_year = y; p->last_days = date_from_civil((int)y, 1, 1); }
    *days = p->last_days;
    *prec = DATE_YEAR;
    *year = (int32_t)y;
    return 0;
  }
  const char *s = f->p;
  if ((f->len == 7 || f->len == 10) && s[4] == '-') {
    int yy = 0, mm = 0, dd = 1, ok = 1;
    for (int i = 0; i < 4; i++) ok &= s[i] >= '0' && s[i] <= '9', yy = yy * 10 + (s[i] - '0');
    ok &= s[5] >= '0' && s[5] <= '9' && s[6] >= '0' && s[6] <= '9';
    mm = (s[5] - '0') * 10 + (s[6] - '0');
    if (f->len == 10) {
      ok &= s[7] == '-' && s[8] >= '0' && s[8] <= '9' && s[9] >= '0' && s[9] <= '9';
      dd = (s[8] - '0') * 10 + (s[9] - '0');
    }
    if (ok && mm >= 1 && mm <= 12 && dd >= 1 && dd <= date_days_in_month(yy, mm)) {
      *days = date_from_civil(yy, mm, dd);
      *prec = f->len == 10 ? DATE_DAY : DATE_MONTH;
      *year = world_fiscal_year(p->L->fy_start, yy, mm, *prec);
      return 0;
    }
  }
  char q[80];
  quote(q, sizeof q, f->p, f->len);
  return part_fail(p, "column '%s': '%s' is not a year or a date (2025, 2025-10, 2025-10-15)", p->L->header[col]->s, q);
}

/* Every column of row r but the key: reads only the world's code maps and
** writes only row r, so two threads may fill disjoint rows at once. */
static int fill_row(H *h, Part *p, Table *t, uint32_t r, CsvField *f) {
  Load *L = p->L;
  int kind = L->kind;
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    int col = c->src;
    CsvField *x = &f[col];
    double v;
    p->cur_col = col;
    switch (c->role) {
      case C_ENT_A: if (entity_field(h, p, c, x, &t->a[r])) return -1; break;
      case C_ENT_B: if (entity_field(h, p, c, x, &t->b[r])) return -1; break;
      case C_ENT_C: if (entity_field(h, p, c, x, &t->c[r])) return -1; break;
      case C_VALUE:
        if (x->len == 0) return part_fail(p, "column '%s' is empty (a %s needs it)", L->header[col]->s, kind == K_DEAL ? "deal's value" : "loan's principal");
        if (number_field(p, col, x, &v)) return -1;
        v *= c->factor;
        if (!isfinite(v)) return part_fail(p, "column '%s': number too large", L->header[col]->s);
        if (kind == K_LOAN && v < 0) return part_fail(p, "column '%s': a principal cannot be negative", L->header[col]->s);
        t->value[r] = v;
        break;
      case C_DATE:
        if (x->len && date_field(p, col, x, &t->date[r], &t->prec[r], &t->year[r])) return -1;
        break;
      case C_TERM:
        if (x->len) {
          if (number_field(p, col, x, &v)) return -1;
          v *= c->factor;
          if (!isfinite(v)) return part_fail(p, "column '%s': number too large", L->header[col]->s);
          if (!(v > 0)) return part_fail(p, "column '%s': a loan's term must be positive", L->header[col]->s);
          t->term[r] = v;
        }
        break;
      case C_ATTR: {
        /* the text is kept until the end of the load: if the column turns
        ** out not to be all numbers, its values are strings */
        if (!c->has_unit && side_put(p->side, x->p, x->len)) return part_oom(p);
        if (x->len == 0) break;   /* empty: nil */
        if (p->textual[i]) { if (text_field(p, col, x)) return -1; break; }
        if (csv_parse_double(x->p, x->len, &v)) {
          v *= c->has_unit ? c->factor : 1;
          if (!isfinite(v)) return part_fail(p, "column '%s': number too large", L->header[col]->s);
          t->cols.p[c->attr].nums[r] = v;
          break;
        }
        if (c->has_unit) {
          char q[80];
          quote(q, sizeof q, x->p, x->len);
          return part_fail(p, "column '%s': '%s' is not a number", L->header[col]->s, q);
        }
        if (text_field(p, col, x)) return -1;
        p->textual[i] = 1;   /* not every value is a number: strings */
        break;
      }
      default: break;
    }
  }
  p->cur_col = -1;
  if ((kind == K_DEAL || kind == K_LOAN) && t->a[r] == t->b[r])
    return part_fail(p, "%s and %s are both '%s'", kind == K_DEAL ? "exporter" : "lender", kind == K_DEAL ? "importer" : "borrower",
                     h->world->t[K_PARTNER].names[t->a[r]]->s);
  return 0;
}

/* Opens the file once: everything the load reads comes from this one
** descriptor (the parallel halves and the pre-pass pread it too). */
static void open_csv(H *h, Load *L) {
  char err[512];
  int fd = files_open(h, L->path, L->shown, L->stmt->loc, "load");
  L->csv = csv_open_fd(fd, 1, CSV_DEFAULT_BUFSIZE, hx_hook, h, err, sizeof err);
  if (!L->csv) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "cannot open '%s': out of memory", L->shown);
  csv_set_max_record(L->csv, h->max_record);
}

/* Stops a long load on hedge_interrupt or the step limit (a load charges
** a step per row and per header column). */
static void load_check(H *h, Load *L) {
  if (atomic_load(&h->interrupted)) {
    h->fatal = 1;
    hx_error_status(h, HEDGE_EINTERRUPT, L->stmt->loc, "interrupted while loading '%s' (nothing from it was loaded)", L->shown);
  }
  if ((h->max_steps && h->steps > h->max_steps) || hx_time_up(h)) hx_limit_error(h, L->stmt->loc);
}

/* The reader's "LINE: what" as "FILE:LINE: error: what". */
static void csv_message(H *h, Load *L, const char *err) {
  const char *colon = strstr(err, ": ");
  h->err.n = 0;
  if (colon) buf_printf(h, &h->err, "%s:%.*s: error: %s", L->shown, (int)(colon - err), err, colon + 2);
  else buf_printf(h, &h->err, "%s: error: %s", L->shown, err);
}

static int next_row(H *h, Load *L, CsvField **f) {
  char err[512];
  int n = csv_next(L->csv, f, &L->line, err, sizeof err);
  if (n < 0) {
    csv_message(h, L, err);
    hx_error_note(h, L->stmt->loc, "while loading this file (nothing from it was loaded)");
    hx_throw(h, strstr(err, "out of memory") ? HEDGE_EMEMORY : HEDGE_ERROR);
  }
  return n;
}

/* Header and mapping: decide the role of every column. */
static void plan(H *h, Load *L) {
  CsvField *f;
  int n = next_row(h, L, &f);
  if (n == 0) hx_error_at(h, L->stmt->loc, "'%s' is empty: a CSV file starts with a header line", L->shown);
  L->nheader = n;
  if (n > HX_MAX_COLUMNS) row_error(h, L, "the header has %d columns; a file may have at most %d", n, HX_MAX_COLUMNS);
  L->header = arena_alloc(h, &h->temp, (size_t)n * sizeof(HStr *));
  FieldList *map = &L->stmt->u.load.map;
  /* one ColMap per CSV column, plus one per mapping of a column mapped before */
  size_t ncap = (size_t)n + map->n;
  L->cols = arena_alloc(h, &h->temp, ncap * sizeof(ColMap));
  memset(L->cols, 0, ncap * sizeof(ColMap));
  L->ncols = n;
  uint8_t *mapped = arena_alloc(h, &h->temp, (size_t)n);
  memset(mapped, 0, (size_t)n);
  h->steps += (uint64_t)n;
  load_check(h, L);
  /* duplicate names through a hash of the interned names: O(n), not n^2 */
  uint32_t hcap = 16;
  while (hcap < (uint32_t)n * 2) hcap *= 2;
  HStr **seen = arena_alloc(h, &h->temp, hcap * sizeof(HStr *));
  memset(seen, 0, hcap * sizeof(HStr *));
  for (int i = 0; i < n; i++) {
    char why[160];
    if (bad_text(f[i].p, f[i].len, 1, why, sizeof why)) {
      quote_row(&L->quote, f, n, i);
      row_error(h, L, "column %d of the header: %s", i + 1, why);
    }
    HStr *name = L->header[i] = hx_intern(h, f[i].p, f[i].len);
    uint32_t k = (uint32_t)(((uintptr_t)name >> 4) * 0x9E3779B1u) & (hcap - 1);
    while (seen[k] && seen[k] != name) k = (k + 1) & (hcap - 1);
    if (seen[k]) hx_error_at(h, L->stmt->loc, "'%s' has two columns named '%s'", L->shown, name->s);
    seen[k] = name;
    if ((i & 1023) == 1023) load_check(h, L);
  }
  World *w = h->world;
  int kind = L->kind;
  /* every column starts as a free attribute of the same name */
  for (int i = 0; i < n; i++) { L->cols[i].role = C_ATTR; L->cols[i].field = L->header[i]; L->cols[i].loc = L->stmt->loc; L->cols[i].src = i; }
  int keycol = -1;
  HStr *key = L->stmt->u.load.key ? L->stmt->u.load.key : hx_intern_c(h, "code");
  if (kind == K_PARTNER || kind == K_COMMODITY) {
    for (int i = 0; i < n; i++) if (L->header[i] == key) keycol = i;
    if (keycol < 0) {
      if (L->stmt->u.load.key) hx_error_at(h, L->stmt->loc, "'%s' has no column '%s' to take names from", L->shown, key->s);
      hx_error_at(h, L->stmt->loc, "'%s' has no column 'code' for the %s names (name another with `key: COLUMN`)", L->shown, kind_plural[kind]);
    }
    L->cols[keycol].role = C_KEY;
  }
  /* mapped columns: field: column [UNIT] */
  for (uint32_t m = 0; m < map->n; m++) {
    Field *fe = &map->p[m];
    Node *cn = fe->value;
    int ci = -1;
    for (int i = 0; i < n; i++) if (L->header[i] == cn->u.col.column) ci = i;
    if (ci < 0) {
      Suggest sg;
      suggest_init(&sg, cn->u.col.column->s, cn->u.col.column->len);
      for (int i = 0; i < n; i++) suggest_try(&sg, L->header[i]->s);
      if (sg.best) hx_error_at(h, cn->loc, "'%s' has no column '%s' (did you mean %s?)", L->shown, cn->u.col.column->s, sg.best);
      hx_error_at(h, cn->loc, "'%s' has no column '%s'", L->shown, cn->u.col.column->s);
    }
    ColMap *c = &L->cols[ci];
    if (mapped[ci] && c->role != C_KEY) {
      /* a column mapped again also feeds this field: a ColMap of its own
      ** reading the same column */
      c = &L->cols[L->ncols++];
      c->src = ci;
      c->role = C_ATTR;
    }
    mapped[ci] = 1;
    c->field = fe->name;
    c->loc = fe->loc;
    if (cn->u.col.unit) {
      units_resolve(h, cn->u.col.unit, cn->loc, &c->dim, &c->factor);
      c->has_unit = 1;
    }
    if (c->role != C_KEY) c->role = C_ATTR;
  }
  /* built-in fields by name */
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    if (c->role == C_KEY) continue;
    HStr *fn = c->field;
    const FieldSpec *f = kind == K_DEAL || kind == K_LOAN ? world_schema_field(kind, fn->s) : NULL;
    if (f) {
      int role = column_role[f->column];
      if (role != C_ATTR) c->role = role;
      if (f->type == FT_ENTITY) c->want = f->entity;
      /* a deals file's `year` column gives the date at year precision */
      if (f->type == FT_YEAR) { c->role = C_DATE; c->field = w->f_date; }
    }
    if ((c->role == C_VALUE) && c->has_unit && c->dim != dim_money(h))
      hx_error_at(h, c->loc, "%s must be money: map it with a money unit, as in `%s: %s USD`", fn->s, fn->s, L->header[c->src]->s);
    if (c->role == C_VALUE && !c->has_unit) { c->dim = dim_money(h); c->factor = 1; c->has_unit = 1; }
    if (c->role == C_TERM) {
      if (!c->has_unit) hx_error_at(h, c->loc, "term needs a time unit: `term: %s years`", L->header[c->src]->s);
      if (c->dim != dim_time(h)) hx_error_at(h, c->loc, "term must be a time (years, months, days)");
    }
    if ((c->role == C_ENT_A || c->role == C_ENT_B || c->role == C_ENT_C || c->role == C_DATE) && c->has_unit)
      hx_error_at(h, c->loc, "%s takes no unit", fn->s);
  }
  /* required fields */
  int have[9] = {0};
  for (int i = 0; i < L->ncols; i++) have[L->cols[i].role] = 1;
  if (kind == K_DEAL || kind == K_LOAN)
    for (const FieldSpec *f = world_schema(kind); f->name; f++)
      if (f->required && !have[column_role[f->column]])
        hx_error_at(h, L->stmt->loc, "'%s' gives no %s for the %s: map a column to it (%s: COLUMN)", L->shown, f->name,
                    kind_plural[kind], f->name);
  {
    Table *t = &w->t[kind];
    /* columns the table lacks so far, through a hash of the ones it has */
    int fresh = 0;
    uint32_t ecap = 16;
    while (ecap < t->cols.n * 2 + 2) ecap *= 2;
    HStr **have_col = arena_alloc(h, &h->temp, ecap * sizeof(HStr *));
    memset(have_col, 0, ecap * sizeof(HStr *));
    for (uint32_t k = 0; k < t->cols.n; k++) {
      HStr *name = t->cols.p[k].name;
      uint32_t j = (uint32_t)(((uintptr_t)name >> 4) * 0x9E3779B1u) & (ecap - 1);
      while (have_col[j] && have_col[j] != name) j = (j + 1) & (ecap - 1);
      have_col[j] = name;
    }
    for (int i = 0; i < L->ncols; i++) {
      ColMap *c = &L->cols[i];
      if (c->role != C_ATTR) continue;
      uint32_t j = (uint32_t)(((uintptr_t)c->field >> 4) * 0x9E3779B1u) & (ecap - 1);
      while (have_col[j] && have_col[j] != c->field) j = (j + 1) & (ecap - 1);
      fresh += !have_col[j];
    }
    if ((long)t->cols.n + fresh > HX_MAX_COLUMNS)
      hx_error_at(h, L->stmt->loc, "'%s' would give the %s %ld attribute columns; at most %d", L->shown, kind_plural[kind], (long)t->cols.n + fresh, HX_MAX_COLUMNS);
  }
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    if (c->role != C_ATTR) continue;
    if (kind == K_DEAL && c->field == w->f_year) continue;
    c->attr = world_column(h, kind, c->field, 1, c->has_unit ? c->dim : 0);
    Table *t = &w->t[kind];
    if (!t->cols.p[c->attr].is_num) c->textual = 1;
    else if (t->cols.p[c->attr].dim != (c->has_unit ? c->dim : 0))
      hx_error_at(h, c->loc, "column '%s' would mix units with the existing field %s", L->header[c->src]->s, c->field->s);
  }
  if (have[C_ENT_A] || have[C_ENT_B]) codemap_build(h, &L->codes[K_PARTNER], K_PARTNER);
  if (have[C_ENT_C]) codemap_build(h, &L->codes[K_COMMODITY], K_COMMODITY);
}

/* ---- parallel loading ---------------------------------------------------------
** A large file of deals or loans (no key column, no quotes) is read by two
** threads at once: a pre-pass counts the rows of each half (split at a line
** start), the table is sized for them, and each thread fills its own rows
** with fill_row. Nothing in a worker allocates but its CSV reader, whose
** hook is serialised by a mutex; errors come back as the first in file
** order. hedge_Options.load_threads = 1 turns this off. */

#define PAR_MIN_BYTES (8u << 20)

typedef struct LockedHook { H *h; pthread_mutex_t mu; } LockedHook;

static void *locked_hook(void *ud, void *ptr, size_t osize, size_t nsize) {
  LockedHook *lh = ud;
  pthread_mutex_lock(&lh->mu);
  void *r = hx_hook(lh->h, ptr, osize, nsize);
  pthread_mutex_unlock(&lh->mu);
  return r;
}

typedef struct Half {
  H *h; Part part; Table *t;
  uint32_t first, expect, got;
  int csv_error;             /* the reader's own message (already "LINE: ...") */
} Half;

/* Fills rows [first, first + expect) from one half of the file. */
static void run_half(Half *w) {
  Part *p = &w->part;
  Load *L = p->L;
  CsvField *f;
  char err[512];
  uint32_t r = w->first, end = w->first + w->expect;
  int n;
  while ((n = csv_next(p->csv, &f, &p->line, err, sizeof err)) != 0) {
    if (n < 0) {
      w->csv_error = 1;
      part_fail(p, "%s", err);
      return;
    }
    if (n != L->nheader) {
      if (n == 1 && f[0].len == 0) continue;
      p->cur_col = -1;
      part_fail(p, "the row has %d field%s, the header has %d", n, n == 1 ? "" : "s", L->nheader);
      quote_row(&p->quote, f, n, -1);
      return;
    }
    if (r >= end) { part_fail(p, "internal: more rows than the pre-pass counted"); return; }
    if ((r & 0xFFF) == 0 && atomic_load(&w->h->interrupted)) {   /* Ctrl-C in a long load */
      p->interrupted = 1;
      part_fail(p, "interrupted");
      return;
    }
    world_row_defaults(w->t, L->kind, r);
    if (fill_row(w->h, p, w->t, r, f)) {
      quote_row(&p->quote, f, n, p->err_col);
      return;
    }
    r++;
  }
  w->got = r - w->first;
}

static void *half_main(void *ud) { run_half(ud); return NULL; }

/* The pre-pass: no quote anywhere (else rows could span the split), the
** split offset (a line start near the middle), the non-blank lines of each
** half and the physical lines before the split. Returns 0 when the file
** should be read serially. */
typedef struct Plan2 { long long split; uint32_t rows1, rows2; long lines1; } Plan2;

static int prepass(H *h, int fd, long long start, long long size, Plan2 *pl) {
  size_t cap = 1u << 20;
  char *buf = hx_try_alloc(h, cap);
  if (!buf) return 0;
  long long mid = start + (size - start) / 2, line_start = start, pos = 0;
  uint64_t rows1 = 0, rows2 = 0;
  long lines1 = 0;
  int ok = 1, prev = -1;
  pl->split = -1;
  /* the header too must hold no quote: it is one physical line then */
  for (long long off = 0; off < size && ok;) {
    if (atomic_load(&h->interrupted)) { ok = 0; break; }   /* the serial read then stops */
    ssize_t n = pread(fd, buf, cap, (off_t)off);
    if (n <= 0) { ok = 0; break; }
    if (memchr(buf, '"', (size_t)n)) { ok = 0; break; }
    /* newlines by memchr: a byte loop here would cost what the threads save */
    const char *base = buf, *end = buf + n, *q = buf;
    if (off < start) q = buf + (start - off < n ? start - off : n);
    while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
      pos = off + (q - base);
      long long len = pos - line_start;
      int before = q > base ? (unsigned char)q[-1] : prev;
      int blank = len == 0 || (len == 1 && before == '\r');
      if (pl->split < 0) { lines1++; if (!blank) rows1++; }
      else if (!blank) rows2++;
      line_start = pos + 1;
      if (pl->split < 0 && line_start >= mid) pl->split = line_start;
      q++;
    }
    prev = (unsigned char)buf[n - 1];
    off += n;
  }
  if (ok && line_start < size) {   /* a last line without a newline */
    long long len = size - line_start;
    int blank = len == 1 && prev == '\r';
    if (!blank) { if (pl->split < 0) rows1++; else rows2++; }
  }
  hx_free(h, buf, cap);
  if (!ok || pl->split < 0 || pl->split >= size || rows1 + rows2 >= 0xfffffff0ULL) return 0;
  pl->rows1 = (uint32_t)rows1;
  pl->rows2 = (uint32_t)rows2;
  pl->lines1 = lines1;
  return 1;
}

/* Reads the rows in two halves at once; 0 when the file does not qualify
** (then the caller reads it serially). */
static int load_parallel(H *h, Load *L) {
  int kind = L->kind;
  if (h->load_threads == 1 || (kind != K_DEAL && kind != K_LOAN)) return 0;
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) return 0;
  long long header_end, size;
  if (!csv_progress(L->csv, &header_end, &size) || size - header_end < PAR_MIN_BYTES) return 0;
  Plan2 pl;
  if (!prepass(h, csv_fd(L->csv), header_end, size, &pl)) return 0;
  /* a step per row, charged up front: the threads cannot raise */
  h->steps += (uint64_t)pl.rows1 + pl.rows2;
  load_check(h, L);
  Table *t = &h->world->t[kind];
  table_reserve(h, kind, L->first_row + pl.rows1 + pl.rows2);
  Half w[2];
  memset(w, 0, sizeof w);
  LockedHook lh;
  lh.h = h;
  if (pthread_mutex_init(&lh.mu, NULL) != 0) return 0;
  long first_line = L->line + 1;   /* the header is one line: no quotes */
  char err[512] = "";
  for (int k = 0; k < 2; k++) {
    w[k].h = h;
    w[k].t = t;
    w[k].part.L = L;
    w[k].part.textual = arena_alloc(h, &h->temp, (size_t)L->ncols);
    memcpy(w[k].part.textual, L->textual, (size_t)L->ncols);
    w[k].first = L->first_row + (k ? pl.rows1 : 0);
    w[k].expect = k ? pl.rows2 : pl.rows1;
    L->side[k].alloc = locked_hook;
    L->side[k].ud = &lh;
    L->side[k].first = w[k].first;
    w[k].part.side = &L->side[k];
    long long off = k ? pl.split : header_end, len = k ? size - pl.split : pl.split - header_end;
    w[k].part.csv = csv_open_range(L->csv, off, len, first_line + (k ? pl.lines1 : 0), locked_hook, &lh, err, sizeof err);
  }
  if (!w[0].part.csv || !w[1].part.csv) {
    csv_close(w[0].part.csv);
    csv_close(w[1].part.csv);
    pthread_mutex_destroy(&lh.mu);
    h->steps -= (uint64_t)pl.rows1 + pl.rows2;   /* the serial read charges them */
    return 0;
  }
  L->nside = 2;
  pthread_t tid;
  int threaded = pthread_create(&tid, NULL, half_main, &w[1]) == 0;
  run_half(&w[0]);
  if (threaded) pthread_join(tid, NULL);
  else run_half(&w[1]);   /* no thread to be had: the same work, in turn */
  csv_close(w[0].part.csv);
  csv_close(w[1].part.csv);
  pthread_mutex_destroy(&lh.mu);
  for (int k = 0; k < 2; k++) { L->side[k].alloc = hx_hook; L->side[k].ud = h; }   /* lh is gone */
  if (w[0].part.interrupted || w[1].part.interrupted) {
    h->fatal = 1;
    hx_error_status(h, HEDGE_EINTERRUPT, L->stmt->loc, "interrupted while loading '%s' (nothing from it was loaded)", L->shown);
  }
  for (int k = 0; k < 2; k++) {
    Part *p = &w[k].part;
    if (p->failed) {
      L->line = p->err_line;
      if (w[k].csv_error) {
        /* the reader's message starts with its line already */
        csv_message(h, L, p->err);
        hx_error_note(h, L->stmt->loc, "while loading this file (nothing from it was loaded)");
        hx_throw(h, HEDGE_ERROR);
      }
      L->quote = p->quote;
      if (p->oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s' (%s:%ld)", L->shown, L->shown, L->line);
      row_error(h, L, "%s", p->err);
    }
    if (w[k].got != w[k].expect) row_error(h, L, "internal: the halves of the file disagree on their rows");
  }
  t->n = L->first_row + pl.rows1 + pl.rows2;
  for (int i = 0; i < L->ncols; i++) L->textual[i] = w[0].part.textual[i] | w[1].part.textual[i];
  return 1;
}

/* ---- the rows ---------------------------------------------------------------- */

static void load_rows_serial(H *h, Load *L) {
  World *w = h->world;
  int kind = L->kind;
  Table *t = &w->t[kind];
  CsvField *f;
  int n;
  uint32_t nextrow = t->n;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int reporting = 0;
  long long before, after, total;
  int sized = csv_progress(L->csv, &before, &total);
  Part P;
  memset(&P, 0, sizeof P);
  P.L = L;
  P.csv = L->csv;
  P.textual = L->textual;
  L->side[0].alloc = hx_hook;
  L->side[0].ud = h;
  L->side[0].first = L->first_row;
  L->nside = 1;
  P.side = &L->side[0];
  while ((n = next_row(h, L, &f)) > 0) {
    if (sized && nextrow == L->first_row && csv_progress(L->csv, &after, &total) && after > before) {
      /* size the columns once from the first row's length: no copying as
      ** a million rows arrive (10% slack; growth still works past it) */
      long long est = total / (after - before);
      est += est / 10 + 16;
      if (est > 0 && est < 0x7fffffffLL && (uint64_t)t->n + (uint64_t)est < 0xfffffff0ULL)
        table_reserve(h, kind, t->n + (uint32_t)est);
    }
    h->steps++;
    if (((nextrow - L->first_row) & 0x3FF) == 0x3FF) load_check(h, L);
    if (h->progress && ((nextrow - L->first_row) & 0xFFFF) == 0xFFFF) {
      /* a load that takes over a second says how far it is */
      struct timespec t1;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
      long long done, total;
      if (el > 1.0 && csv_progress(L->csv, &done, &total) && total > 0) {
        reporting = 1;
        h->progress(h->progress_ud, L->shown, (long)(nextrow - L->first_row), (double)done / (double)total, 0);
      }
    }
    if (n != L->nheader) {
      if (n == 1 && f[0].len == 0) continue;
      quote_row(&L->quote, f, n, -1);
      row_error(h, L, "the row has %d field%s, the header has %d", n, n == 1 ? "" : "s", L->nheader);
    }
    if (nextrow >= t->cap) table_reserve(h, kind, nextrow + 1);
    uint32_t r = nextrow;
    /* a fresh row: defaults, then the columns */
    world_row_defaults(t, kind, r);
    t->n = r + 1;   /* visible to the code map only after the key is checked */
    for (int i = 0; i < n; i++) {
      if (L->cols[i].role != C_KEY) continue;
      CsvField *x = &f[i];
      quote_row(&L->quote, f, n, i);   /* for the errors of the key */
      if (x->len == 0) row_error(h, L, "column '%s' is empty: every %s needs a name", L->header[i]->s, kind_names[kind]);
      if (x->len > HX_MAX_NAME) row_error(h, L, "column '%s': name too long", L->header[i]->s);
      char why[160];
      if (bad_text(x->p, x->len, 1, why, sizeof why)) row_error(h, L, "column '%s': %s", L->header[i]->s, why);
      HStr *name = hx_intern(h, x->p, x->len);
      Global *g = global_find(h, name);
      if (g) {
        char lb[256];
        row_error(h, L, "'%s' is already declared (at %s)", name->s, hx_locstr(h, g->loc, lb, sizeof lb));
      }
      t->names[r] = name;
      Loc loc = {L->stmt->loc.src, L->stmt->loc.line, L->stmt->loc.col};
      global_add(h, name, G_ENTITY, v_ent(kind, (int32_t)r), loc);
      L->quote.len = 0;
    }
    P.line = L->line;
    if (fill_row(h, &P, t, r, f)) {
      L->line = P.err_line;
      if (P.oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s' (%s:%ld)", L->shown, L->shown, L->line);
      quote_row(&L->quote, f, n, P.err_col);
      row_error(h, L, "%s", P.err);
    }
    nextrow = r + 1;
  }
  if (reporting) h->progress(h->progress_ud, L->shown, (long)(nextrow - L->first_row), 1.0, 1);
}

static void load_rows(H *h, Load *L) {
  World *w = h->world;
  int kind = L->kind;
  Table *t = &w->t[kind];
  L->textual = arena_alloc(h, &h->temp, (size_t)L->ncols);
  for (int i = 0; i < L->ncols; i++) L->textual[i] = (uint8_t)L->cols[i].textual;
  if (!load_parallel(h, L)) load_rows_serial(h, L);
  int any_text = 0;
  for (int i = 0; i < L->ncols; i++) if (L->textual[i]) { L->cols[i].textual = 1; any_text = 1; }
  if (any_text) {
    /* columns that are not all numbers hold strings: box them, then give
    ** every row of this load its text, kept as the rows were read */
    for (int i = 0; i < L->ncols; i++) {
      ColMap *c = &L->cols[i];
      if (c->role == C_ATTR && c->textual) {
        Column *col = &t->cols.p[c->attr];
        if (col->is_num) {
          /* box the column: numbers become nil before the strings arrive */
          Value *v = hx_alloc(h, (size_t)col->cap * sizeof(Value));
          for (uint32_t k = 0; k < t->n; k++) v[k] = (k < L->first_row && !isnan(col->nums[k])) ? v_qty(col->nums[k], col->dim) : v_nil();
          hx_free(h, col->nums, (size_t)col->cap * sizeof(double));
          col->nums = NULL;
          col->vals = v;
          col->is_num = 0;
        }
      }
    }
    for (int k = 0; k < L->nside; k++) {
      Side *sd = &L->side[k];
      size_t pos = 0;
      for (uint32_t r = sd->first; pos < sd->n; r++) {
        if (r >= t->n) row_error(h, L, "internal: more attribute texts than rows");
        for (int i = 0; i < L->ncols; i++) {
          ColMap *c = &L->cols[i];
          if (c->role != C_ATTR || c->has_unit) continue;
          size_t len = side_get(sd, &pos);
          if (c->textual && len) t->cols.p[c->attr].vals[r] = v_str(hx_intern(h, sd->p + pos, len));
          pos += len;
        }
        if ((++h->steps & 0x3FF) == 0) load_check(h, L);
      }
    }
  }
  world_changed(h);
}

static void load_body(H *h, void *ud) {
  Load *L = ud;
  open_csv(h, L);
  plan(h, L);
  load_rows(h, L);
}

void exec_load(H *h, Node *s) {
  Load L;
  memset(&L, 0, sizeof L);
  L.stmt = s;
  h->here = s->loc;   /* memory errors during the load point here */
  L.kind = s->u.load.ekind;
  L.fy_start = h->world->fy_start;
  L.shown = s->u.load.path->s;
  files_require(h, s->loc, 4, "load", s->u.load.path->s);
  char *found = find_file(h, s->loc.src, s->u.load.path->s, 0);
  if (!found) {
    /* not found: open it anyway, for the reason (missing, a FIFO, ...) */
    char b[4096];
    const char *dir = h->sources.p[s->loc.src]->dir;
    if (s->u.load.path->s[0] == '/') snprintf(b, sizeof b, "%s", s->u.load.path->s);
    else snprintf(b, sizeof b, "%s/%s", dir, s->u.load.path->s);
    found = arena_strdup(h, &h->temp, b, strlen(b));
  }
  L.path = found;
  L.first_row = h->world->t[L.kind].n;
  int st = hx_pcall(h, load_body, &L);
  csv_close(L.csv);
  for (int k = 0; k < 2; k++) {
    codemap_free(h, &L.codes[k]);
    hx_hook(h, L.side[k].p, L.side[k].cap, 0);
  }
  if (st != HEDGE_OK) {
    /* nothing from this file stays: cut the table back (the caller's
    ** boundary also rolls back the globals it declared) */
    world_truncate(h, L.kind, L.first_row);
    world_changed(h);
    hx_throw(h, st);
  }
}
