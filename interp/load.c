/*
** load.c: `load KIND from "FILE.csv" { field: column [UNIT], key: column }`
** (SPEC section 10) and the mappings that meet real tables where they are
** (docs/data.md): computed fields `field: = EXPR` over `row.NAME`, `where:`
** filters, `missing:` tokens, wide tables (`each "FY*"`), codes mapped from
** other schemes (`via name`, `via "codes.csv" FROM -> TO`), entities
** declared from the data (`declare:`), separators and number styles, the
** BACI layout (`as baci`) and ISO 3166 (`load partners from iso3166`).
**
** One streaming pass over the file (two halves read by two threads, for a
** large file of deals or loans whose mapping needs no evaluation): codes
** are resolved through a hash table built for the load, numbers are parsed
** in place, rows are written straight into the world's columns. A plain
** mapping costs what it always did; a computed field costs one evaluation
** of its expression per row. Bad rows are collected (up to HX_LOAD_BAD_ROWS
** quoted, the rest counted) and the load then fails as a whole: the
** caller's boundary rolls the world back, so a file that fails loads
** nothing. Rows skipped on purpose (where:, a missing required cell under
** missing:, unmapped codes under unmapped: skip) are counted by reason and
** reported by check and run (load_notes).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include "eval.h"
#include "exec.h"
#include "resolve.h"
#include "units.h"
#include "csv.h"
#include "date.h"
#include "utf8.h"
#include "hfile.h"
#include "load.h"
#include "files.h"

void table_reserve(H *h, int kind, uint32_t need);
int world_column(H *h, int kind, HStr *name, int numeric, int dim);

#define HX_LOAD_BAD_ROWS 20      /* bad rows quoted in a failing load's message */
#define HX_LOAD_UNMAPPED 20      /* distinct unmapped codes listed */
#define ISO3166_JSON "/usr/share/iso-codes/json/iso_3166-1.json"   /* Debian's iso-codes */

/* Entities a load declares get provisional ids at or above PROV_BASE while
** the rows are read (a worker thread cannot add to the world); they are
** declared in file order and patched once the rows are in. */
#define PROV_BASE 0xF0000000u

/* How a CSV column feeds the table. */
typedef enum { C_SKIP, C_KEY, C_ENT_A, C_ENT_B, C_ENT_C, C_VALUE, C_DATE, C_TERM, C_ATTR } ColRole;
/* The role of a column that fills a built-in field, by where the world keeps
** the field (world.h's schema). */
static const int column_role[] = {
  [WC_NAME] = C_ATTR, [WC_A] = C_ENT_A, [WC_B] = C_ENT_B, [WC_C] = C_ENT_C, [WC_VALUE] = C_VALUE,
  [WC_DATE] = C_DATE, [WC_YEAR] = C_DATE, [WC_TERM] = C_TERM, [WC_ATTR] = C_ATTR};

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
  if (!m->cap) return;
  hx_free(h, m->keys, m->cap * sizeof(uint64_t));
  hx_free(h, m->rows, m->cap * sizeof(uint32_t));
  m->cap = 0;
}

static uint32_t codemap_find(H *h, CodeMap *m, const char *s, size_t n) {
  if (!m->cap) return NO_ROW;
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

/* ---- codes from other schemes ---------------------------------------------------
** A Via maps a foreign code (a name, an alpha-2 or numeric code, a BACI
** code) to the code of an entity. Keys are normalised the same way when the
** map is built and when a cell is looked up: spaces trimmed; all digits:
** leading zeros dropped ("004" is "4"); names: lower case, words sorted,
** "the", "of", "and" dropped ("Congo, The Democratic Republic of the" is
** "Democratic Republic of Congo"). */
struct Via {
  HStr **keys; HStr **to; HStr **names; uint32_t *rows; uint32_t cap, n;
  int by_name;
  const char *what;         /* for messages: "'country_codes.csv'", "the partners' name" */
};

static int is_stop(const char *w, size_t n) {
  return (n == 3 && memcmp(w, "the", 3) == 0) || (n == 2 && memcmp(w, "of", 2) == 0) || (n == 3 && memcmp(w, "and", 3) == 0);
}

/* Normalises a key into out (cap bytes); returns its length. */
static size_t via_norm(int by_name, const char *s, size_t n, char *out, size_t cap) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  if (!by_name) {
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == n && n > 1) { while (n > 1 && *s == '0') s++, n--; }
    if (n > cap) n = cap;
    memcpy(out, s, n);
    return n;
  }
  /* words: letters and digits (and any byte of a UTF-8 sequence) */
  const char *w[32]; size_t wl[32]; int nw = 0;
  char low[512];
  if (n > sizeof low) n = sizeof low;
  for (size_t i = 0; i < n; i++) low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
  for (size_t i = 0; i < n && nw < 32;) {
    unsigned char c = (unsigned char)low[i];
    int wc = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
    if (!wc) { i++; continue; }
    size_t j = i;
    while (j < n) {
      unsigned char d = (unsigned char)low[j];
      if (!((d >= 'a' && d <= 'z') || (d >= '0' && d <= '9') || d >= 0x80)) break;
      j++;
    }
    if (!is_stop(low + i, j - i)) { w[nw] = low + i; wl[nw] = j - i; nw++; }
    i = j;
  }
  for (int a = 1; a < nw; a++)   /* insertion sort: a handful of words */
    for (int b = a; b > 0; b--) {
      size_t m = wl[b - 1] < wl[b] ? wl[b - 1] : wl[b];
      int c = memcmp(w[b - 1], w[b], m);
      if (c < 0 || (c == 0 && wl[b - 1] <= wl[b])) break;
      const char *tw = w[b]; w[b] = w[b - 1]; w[b - 1] = tw;
      size_t tl = wl[b]; wl[b] = wl[b - 1]; wl[b - 1] = tl;
    }
  size_t o = 0;
  for (int a = 0; a < nw; a++) {
    if (a && o < cap) out[o++] = ' ';
    for (size_t k = 0; k < wl[a] && o < cap; k++) out[o++] = w[a][k];
  }
  return o;
}

static Via *via_new(H *h, int by_name, const char *what) {
  Via *v = arena_alloc(h, &h->temp, sizeof *v);
  memset(v, 0, sizeof *v);
  v->by_name = by_name;
  v->what = arena_strdup(h, &h->temp, what, strlen(what));
  v->cap = 64;
  v->keys = arena_alloc(h, &h->temp, v->cap * sizeof(HStr *));
  v->to = arena_alloc(h, &h->temp, v->cap * sizeof(HStr *));
  v->names = arena_alloc(h, &h->temp, v->cap * sizeof(HStr *));
  v->rows = arena_alloc(h, &h->temp, v->cap * sizeof(uint32_t));
  memset(v->keys, 0, v->cap * sizeof(HStr *));
  return v;
}

static uint32_t via_slot(Via *v, const char *k, size_t n) {
  uint32_t i = hx_hash(k, n) & (v->cap - 1);
  while (v->keys[i] && !(v->keys[i]->len == n && memcmp(v->keys[i]->s, k, n) == 0)) i = (i + 1) & (v->cap - 1);
  return i;
}

/* Adds key -> code (the first mapping of a key wins; to NULL: maps to nothing). */
static void via_add(H *h, Via *v, const char *key, size_t n, HStr *to, HStr *name) {
  char nk[512];
  size_t kn = via_norm(v->by_name, key, n, nk, sizeof nk);
  if (kn == 0) return;
  if ((v->n + 1) * 2 > v->cap) {
    Via old = *v;
    v->cap *= 2;
    v->keys = arena_alloc(h, &h->temp, v->cap * sizeof(HStr *));
    v->to = arena_alloc(h, &h->temp, v->cap * sizeof(HStr *));
    v->names = arena_alloc(h, &h->temp, v->cap * sizeof(HStr *));
    v->rows = arena_alloc(h, &h->temp, v->cap * sizeof(uint32_t));
    memset(v->keys, 0, v->cap * sizeof(HStr *));
    for (uint32_t i = 0; i < old.cap; i++) if (old.keys[i]) {
      uint32_t j = via_slot(v, old.keys[i]->s, old.keys[i]->len);
      v->keys[j] = old.keys[i]; v->to[j] = old.to[i]; v->names[j] = old.names[i];
    }
  }
  uint32_t i = via_slot(v, nk, kn);
  if (v->keys[i]) return;
  v->keys[i] = hx_intern(h, nk, kn);
  v->to[i] = to;
  v->names[i] = name;
  v->n++;
}

/* Resolves every target to its entity row (NO_ROW: not declared yet). */
static void via_finish(H *h, Via *v, CodeMap *m) {
  for (uint32_t i = 0; i < v->cap; i++)
    if (v->keys[i]) v->rows[i] = v->to[i] ? codemap_find(h, m, v->to[i]->s, v->to[i]->len) : NO_ROW;
}

/* The slot of a cell's key, or UINT32_MAX when the table has no such key. */
static uint32_t via_find(Via *v, const char *s, size_t n) {
  char nk[512];
  size_t kn = via_norm(v->by_name, s, n, nk, sizeof nk);
  uint32_t i = via_slot(v, nk, kn);
  return v->keys[i] ? i : UINT32_MAX;
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
      if (!is_stop(lw, j - i)) out[o++] = (char)(s[i] & ~32);
    }
    i = j;
  }
  return o;
}

/* A partner or commodity whose name, official name or common name has the
** initials s (case ignored) or equals s; NULL when none. */
const char *load_suggest_by_name(H *h, int kind, const char *s, size_t n) {
  if (n < 2 || n > 16 || kind < 0 || kind > K_COMMODITY) return NULL;
  World *w = h->world;
  Table *t = &w->t[kind];
  /* looked up, not interned: this may run in a loader thread */
  HStr *fields[3] = {w->f_name, hx_intern_find(h, "official_name", 13), hx_intern_find(h, "common_name", 11)};
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
};

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

/* A row that keeps its slot but not its cells (skipped or bad, in a
** parallel half): an empty text for each attribute column, so the texts of
** the rows after it stay in step. */
static int side_blank(Part *p) {
  Load *L = p->L;
  for (int i = 0; i < L->ncols; i++)
    if (L->cols[i].role == C_ATTR && !L->cols[i].has_unit && side_put(p->side, "", 0)) return part_oom(p);
  return 0;
}

/* Records the failed row (p->err) among the bad rows; the reading goes on. */
static void part_bad_row(Part *p, CsvField *f, int n) {
  if (p->nbad < HX_LOAD_BAD_ROWS) {
    BadRow *b = &p->bad[p->nbad++];
    b->line = p->err_line;
    snprintf(b->msg, sizeof b->msg, "%s", p->err);
    if (f) quote_row(&b->q, f, n, p->err_col); else b->q.len = 0;
  }
  p->total_bad++;
  p->failed = 0;
}

/* A code that maps to nothing: remembered by code (the first lines). */
static int part_unmapped(Part *p, const char *s, size_t n) {
  p->total_unm++;
  char c[48];
  quote(c, sizeof c, s, n);
  for (int i = 0; i < p->nunm; i++) if (strcmp(p->unm[i].code, c) == 0) { p->unm[i].rows++; return -2; }
  if (p->nunm < HX_LOAD_UNMAPPED) {
    Unmapped *u = &p->unm[p->nunm++];
    snprintf(u->code, sizeof u->code, "%s", c);
    u->rows = 1;
    u->first_line = p->line;
  }
  return -2;
}

/* ---- new codes ------------------------------------------------------------------ */

static int nc_grow(Part *p, void **ptr, size_t *cap_bytes, size_t need) {
  if (need <= *cap_bytes) return 0;
  size_t nc = *cap_bytes ? *cap_bytes * 2 : 256;
  while (nc < need) nc *= 2;
  void *q = p->alloc(p->aud, *ptr, *cap_bytes, nc);
  if (!q) { p->oom = 1; return -1; }
  *ptr = q;
  *cap_bytes = nc;
  return 0;
}

/* The provisional id of a code to declare (added on first sight). */
static int newcode_id(Part *p, int kind, const char *s, size_t n, uint32_t via_slot, uint32_t *out) {
  NewCodes *c = &p->nc[kind];
  uint32_t hsh = hx_hash(s, n);
  if (c->scap) {
    for (uint32_t i = hsh & (c->scap - 1);; i = (i + 1) & (c->scap - 1)) {
      uint32_t k = c->slots[i];
      if (!k) break;
      k--;
      if (c->len[k] == n && memcmp(c->bytes + c->off[k], s, n) == 0) { *out = PROV_BASE + k; return 0; }
    }
  }
  if (c->n >= 0x0FFFFFFF) return -1;
  if ((c->n + 1) * 2 > c->scap) {   /* grow and rehash the slots */
    uint32_t ns = c->scap ? c->scap * 2 : 64;
    uint32_t *sl = p->alloc(p->aud, NULL, 0, ns * sizeof(uint32_t));
    if (!sl) { p->oom = 1; return -1; }
    memset(sl, 0, ns * sizeof(uint32_t));
    for (uint32_t k = 0; k < c->n; k++) {
      uint32_t i = hx_hash(c->bytes + c->off[k], c->len[k]) & (ns - 1);
      while (sl[i]) i = (i + 1) & (ns - 1);
      sl[i] = k + 1;
    }
    if (c->scap) p->alloc(p->aud, c->slots, c->scap * sizeof(uint32_t), 0);
    c->slots = sl;
    c->scap = ns;
  }
  if (c->n == c->cap) {
    size_t ob = (size_t)c->cap * sizeof(uint32_t), nb = ob;
    size_t ob2 = ob, ob3 = ob;
    if (nc_grow(p, (void **)&c->off, &nb, ob + 256 * sizeof(uint32_t))) return -1;
    if (nc_grow(p, (void **)&c->len, &ob2, nb)) return -1;
    if (nc_grow(p, (void **)&c->via_slot, &ob3, nb)) return -1;
    c->cap = (uint32_t)(nb / sizeof(uint32_t));
  }
  if (nc_grow(p, (void **)&c->bytes, &c->bcap, c->blen + n)) return -1;
  memcpy(c->bytes + c->blen, s, n);
  uint32_t k = c->n++;
  c->off[k] = (uint32_t)c->blen;
  c->len[k] = (uint32_t)n;
  c->via_slot[k] = via_slot;
  c->blen += n;
  uint32_t i = hsh & (c->scap - 1);
  while (c->slots[i]) i = (i + 1) & (c->scap - 1);
  c->slots[i] = k + 1;
  *out = PROV_BASE + k;
  return 0;
}

static void newcodes_free(Part *p) {
  for (int k = 0; k < 2; k++) {
    NewCodes *c = &p->nc[k];
    if (c->bcap) p->alloc(p->aud, c->bytes, c->bcap, 0);
    if (c->cap) {
      p->alloc(p->aud, c->off, c->cap * sizeof(uint32_t), 0);
      p->alloc(p->aud, c->len, c->cap * sizeof(uint32_t), 0);
      p->alloc(p->aud, c->via_slot, c->cap * sizeof(uint32_t), 0);
    }
    if (c->scap) p->alloc(p->aud, c->slots, c->scap * sizeof(uint32_t), 0);
    memset(c, 0, sizeof *c);
  }
}

/* ---- cells ---------------------------------------------------------------------- */

/* A cell that stands for "no value": empty, or one of the load's tokens
** (spaces around it ignored: BACI writes "          NA"). */
static int is_missing(const Load *L, const CsvField *f, int takes_tokens) {
  if (f->len == 0) return 1;
  if (!takes_tokens || !L->nmissing) return 0;
  const char *s = f->p; size_t n = f->len;
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  if (n == 0) return 1;
  for (int i = 0; i < L->nmissing; i++)
    if (L->missing[i]->len == n && memcmp(L->missing[i]->s, s, n) == 0) return 1;
  return 0;
}

/* A number in the load's style (decimal: ",", thousands: "."). */
static int parse_num(const Load *L, const char *s, size_t n, double *out) {
  if (!L->decimal && !L->thousands) return csv_parse_double(s, n, out);
  char b[128];
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (L->thousands && c == L->thousands) continue;
    if (L->decimal && c == L->decimal) c = '.';
    else if (L->decimal && L->decimal != '.' && c == '.') return 0;   /* 1.5 under decimal: "," is a misread */
    if (o + 1 >= sizeof b) return 0;
    b[o++] = c;
  }
  return csv_parse_double(b, o, out);
}

/* A code cell as the entity's name: zero-padded to pad digits when asked. */
static const char *pad_code(const ColMap *c, const char *s, size_t *n, char *buf) {
  if (!c->pad || *n >= (size_t)c->pad) return s;
  for (size_t i = 0; i < *n; i++) if (s[i] < '0' || s[i] > '9') return s;
  size_t z = (size_t)c->pad - *n;
  memset(buf, '0', z);
  memcpy(buf + z, s, *n);
  *n = (size_t)c->pad;
  return buf;
}

static int unknown_entity(H *h, Part *p, int want, const char *what, const char *s, size_t n, const char *via) {
  char q[80];
  quote(q, sizeof q, s, n);
  Suggest sg;
  suggest_init(&sg, s, n);
  Table *t = &h->world->t[want];
  for (uint32_t i = 0; i < t->n; i++) if (t->names[i]) suggest_try(&sg, t->names[i]->s);
  const char *best = load_suggest_by_name(h, want, s, n);   /* UAE -> ARE first */
  if (!best) best = sg.best;
  if (best) return part_fail(p, "unknown %s '%s' in column '%s'%s (did you mean %s?)", kind_names[want], q, what, via, best);
  return part_fail(p, "unknown %s '%s' in column '%s'%s", kind_names[want], q, what, via);
}

/* The entity row of a code (or a provisional id under declare:); -1 with
** the row failed, -2 unmapped (counted), 1 missing (the row is skipped). */
static int code_entity(H *h, Part *p, int want, const ColMap *c, const char *what, const char *s, size_t n, uint32_t *out) {
  Load *L = p->L;
  char pbuf[40];
  if (c && c->pad) s = pad_code(c, s, &n, pbuf);
  if (c && c->via) {
    uint32_t i = via_find(c->via, s, n);
    if (i == UINT32_MAX || !c->via->to[i]) {
      if (L->opt && L->opt->unmapped_skip) { p->skipped[SK_UNMAPPED]++; return 2; }
      return part_unmapped(p, s, n);
    }
    if (c->via->rows[i] != NO_ROW) { *out = c->via->rows[i]; return 0; }
    HStr *to = c->via->to[i];
    if (L->declare & (1 << want)) {
      if (newcode_id(p, want, to->s, to->len, i, out)) return part_fail(p, "out of memory for new %s", kind_plural[want]);
      p->nc[want].via = c->via;
      return 0;
    }
    char via[160];
    snprintf(via, sizeof via, " (from '%.40s' via %s)", s, c->via->what);
    return unknown_entity(h, p, want, what, to->s, to->len, via);
  }
  uint32_t r = codemap_find(h, &L->codes[want], s, n);
  if (r != NO_ROW) { *out = r; return 0; }
  if (n == 0) {
    if (L->has_missing) return 1;
    return part_fail(p, "column '%s' is empty (a %s code is needed)", what, kind_names[want]);
  }
  if (L->declare & (1 << want)) {
    if (n > HX_MAX_NAME) return part_fail(p, "column '%s': a name of %zu bytes is too long", what, n);
    if (newcode_id(p, want, s, n, UINT32_MAX, out)) return part_fail(p, "out of memory for new %s", kind_plural[want]);
    return 0;
  }
  return unknown_entity(h, p, want, what, s, n, "");
}

static int entity_field(H *h, Part *p, ColMap *c, CsvField *f, uint32_t *out) {
  return code_entity(h, p, c->want, c, p->L->header[p->cur_col]->s, f->p, f->len, out);
}

static int number_field(Part *p, int col, CsvField *f, double *out) {
  if (parse_num(p->L, f->p, f->len, out)) return 0;
  char q[80];
  quote(q, sizeof q, f->p, f->len);
  return part_fail(p, "column '%s': '%s' is not a number", p->L->header[col]->s, q);
}

/* A year (2025) or an ISO date (2025-10, 2025-10-15) in text; 0 if neither. */
static int parse_date_text(int fy, const char *s, size_t n, int32_t *days, uint8_t *prec, int32_t *year) {
  long long y;
  if (csv_parse_int(s, n, &y) && y >= 1 && y <= 9999) {
    *days = date_from_civil((int)y, 1, 1);
    *prec = DATE_YEAR;
    *year = (int32_t)y;
    return 1;
  }
  if ((n == 7 || n == 10) && s[4] == '-') {
    int yy = 0, mm = 0, dd = 1, ok = 1;
    for (int i = 0; i < 4; i++) ok &= s[i] >= '0' && s[i] <= '9', yy = yy * 10 + (s[i] - '0');
    ok &= s[5] >= '0' && s[5] <= '9' && s[6] >= '0' && s[6] <= '9';
    mm = (s[5] - '0') * 10 + (s[6] - '0');
    if (n == 10) {
      ok &= s[7] == '-' && s[8] >= '0' && s[8] <= '9' && s[9] >= '0' && s[9] <= '9';
      dd = (s[8] - '0') * 10 + (s[9] - '0');
    }
    if (ok && mm >= 1 && mm <= 12 && dd >= 1 && dd <= date_days_in_month(yy, mm)) {
      *days = date_from_civil(yy, mm, dd);
      *prec = n == 10 ? DATE_DAY : DATE_MONTH;
      *year = world_fiscal_year(fy, yy, mm, *prec);   /* the fiscal year, when one is declared */
      return 1;
    }
  }
  return 0;
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
  if (parse_date_text(p->L->fy_start, f->p, f->len, days, prec, year)) return 0;
  char q[80];
  quote(q, sizeof q, f->p, f->len);
  return part_fail(p, "column '%s': '%s' is not a year or a date (2025, 2025-10, 2025-10-15)", p->L->header[col]->s, q);
}

/* ---- computed fields -------------------------------------------------------------- */

/* The value of a cell for `row.NAME`: nil when missing, a number where it
** reads as one, else a string. Called by eval (N_CELL) during a load. */
Value load_cell(H *h, int col, Loc loc) {
  Load *L = h->load_row;
  if (!L || !L->cur || col < 0 || col >= L->ncur) hx_error_at(h, loc, "row is only known while a file loads");
  CsvField *f = &L->cur[col];
  if (is_missing(L, f, L->cols[col].missing)) return v_nil();
  double d;
  if (parse_num(L, f->p, f->len, &d)) return v_num(d);
  return v_str(hx_intern(h, f->p, f->len));
}

typedef struct EvalCtx { Node *expr; int nslots; Value out; } EvalCtx;

static void eval_body(H *h, void *ud) {
  EvalCtx *e = ud;
  e->out = eval_root(h, e->expr, e->nslots);
}

/* Evaluates a computed field or the where: filter for the current row.
** An error in it becomes a bad row (the message's first line), unless it
** stops everything (interrupt, memory, step limit). */
static int eval_cell_expr(H *h, Part *p, Node *expr, int nslots, const char *what, Value *out) {
  EvalCtx e = {expr, nslots, v_nil()};
  int st = hx_pcall(h, eval_body, &e);
  if (st != HEDGE_OK) {
    if (h->fatal || st != HEDGE_ERROR) hx_throw(h, st);
    /* "file:line:col: error: MSG\n..." -> MSG */
    const char *m = h->err.p ? h->err.p : "";
    const char *e1 = strstr(m, "error: ");
    if (e1) m = e1 + 7;
    size_t len = strcspn(m, "\n");
    return part_fail(p, "%s: %.*s", what, (int)(len > 300 ? 300 : len), m);
  }
  *out = e.out;
  return 0;
}

/* Stores a computed value into the field; 1: missing (the row is skipped). */
static int put_computed(H *h, Part *p, Table *t, uint32_t r, Computed *c, Value v) {
  Load *L = p->L;
  World *w = h->world;
  char b1[64];
  const char *fn = c->field->s;
  switch (c->role) {
    case C_ENT_A: case C_ENT_B: case C_ENT_C: {
      uint32_t *dst = c->role == C_ENT_A ? &t->a[r] : c->role == C_ENT_B ? &t->b[r] : &t->c[r];
      if (v.tag == T_NIL) { if (L->has_missing) { p->skipped[SK_MISSING + c->role]++; return 1; } return part_fail(p, "%s: = ... gives nil (a %s is needed)", fn, kind_names[c->want]); }
      if (v.tag == T_ENT) {
        if (v.kind != c->want) return part_fail(p, "%s: = ... gives a %s, not a %s", fn, kind_names[v.kind], kind_names[c->want]);
        *dst = (uint32_t)v.i;
        return 0;
      }
      char nb[64]; const char *s; size_t n;
      if (v.tag == T_STR) { s = v.as.str->s; n = v.as.str->len; }
      else if (v.tag == T_NUM && v.as.num == floor(v.as.num) && fabs(v.as.num) < 1e15) { n = (size_t)snprintf(nb, sizeof nb, "%.0f", v.as.num); s = nb; }
      else return part_fail(p, "%s: = ... gives %s, not a %s or its code", fn, v_typename(h, v, b1, sizeof b1), kind_names[c->want]);
      int rc = code_entity(h, p, c->want, NULL, fn, s, n, dst);
      if (rc == 1) p->skipped[SK_MISSING + c->role]++;
      return rc > 0 ? 1 : rc;
    }
    case C_VALUE:
      if (v.tag == T_NIL) { if (L->has_missing) { p->skipped[SK_MISSING + C_VALUE]++; return 1; } return part_fail(p, "%s: = ... gives nil (a value is needed)", fn); }
      if (v.tag != T_QTY || v.dim != dim_money(h))
        return part_fail(p, "%s: = ... gives %s, not money (write it with a unit: = row.v * 1K USD)", fn, v_typename(h, v, b1, sizeof b1));
      if (L->kind == K_LOAN && v.as.num < 0) return part_fail(p, "%s: a principal cannot be negative", fn);
      t->value[r] = v.as.num;
      return 0;
    case C_DATE: {
      if (v.tag == T_NIL) return 0;
      if (v.tag == T_DATE) {
        int y, m, d;
        date_to_civil(v.i, &y, &m, &d);
        t->date[r] = v.i; t->prec[r] = v.kind; t->year[r] = world_fiscal_year(L->fy_start, y, m, v.kind);
        return 0;
      }
      if (v.tag == T_NUM && v.as.num == floor(v.as.num) && v.as.num >= 1 && v.as.num <= 9999) {
        t->date[r] = date_from_civil((int)v.as.num, 1, 1); t->prec[r] = DATE_YEAR; t->year[r] = (int32_t)v.as.num; return 0;
      }
      if (v.tag == T_STR && parse_date_text(L->fy_start, v.as.str->s, v.as.str->len, &t->date[r], &t->prec[r], &t->year[r])) return 0;
      return part_fail(p, "%s: = ... gives %s, not a year or a date", fn, v_typename(h, v, b1, sizeof b1));
    }
    case C_TERM:
      if (v.tag == T_NIL) return 0;
      if (v.tag != T_QTY || v.dim != dim_time(h) || !(v.as.num > 0)) return part_fail(p, "%s: = ... must be a positive time (years)", fn);
      t->term[r] = v.as.num;
      return 0;
    default:
      if (v.tag == T_NIL) return 0;
      if (v.tag == T_ENT || v.tag == T_FUNC || v.tag == T_COLL) {
        /* entities are stored by name: a field holds data, not a link */
        if (v.tag != T_ENT) return part_fail(p, "%s: = ... gives %s, which a field cannot hold", fn, v_typename(h, v, b1, sizeof b1));
      }
      (void)w;
      world_set_attr(h, L->kind, r, c->field, v);
      return 0;
  }
}

/* Every column of row r but the key: reads only the world's code maps and
** writes only row r, so two threads may fill disjoint rows at once (loads
** with computed fields run in one thread). Returns 0, -1 (the row failed:
** p->err), -2 (an unmapped code, counted) or 1 (skipped on purpose). */
static int fill_row(H *h, Part *p, Table *t, uint32_t r, CsvField *f) {
  Load *L = p->L;
  int kind = L->kind;
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    int col = c->src;
    CsvField *x = &f[col];
    double v;
    int rc;
    p->cur_col = col;
    switch (c->role) {
      case C_ENT_A: if ((rc = entity_field(h, p, c, x, &t->a[r]))) goto out; break;
      case C_ENT_B: if ((rc = entity_field(h, p, c, x, &t->b[r]))) goto out; break;
      case C_ENT_C: if ((rc = entity_field(h, p, c, x, &t->c[r]))) goto out; break;
      case C_VALUE:
        if (is_missing(L, x, c->missing)) {
          if (L->has_missing) { rc = 1; goto out; }
          return part_fail(p, "column '%s' is empty (a %s needs it)", L->header[col]->s, kind == K_DEAL ? "deal's value" : "loan's principal");
        }
        if (number_field(p, col, x, &v)) return -1;
        v *= c->factor;
        if (kind == K_LOAN && v < 0) return part_fail(p, "column '%s': a principal cannot be negative", L->header[col]->s);
        t->value[r] = v;
        break;
      case C_DATE:
        if (!is_missing(L, x, c->missing) && date_field(p, col, x, &t->date[r], &t->prec[r], &t->year[r])) return -1;
        break;
      case C_TERM:
        if (!is_missing(L, x, c->missing)) {
          if (number_field(p, col, x, &v)) return -1;
          v *= c->factor;
          if (!(v > 0)) return part_fail(p, "column '%s': a loan's term must be positive", L->header[col]->s);
          t->term[r] = v;
        }
        break;
      case C_ATTR: {
        /* the text is kept until the end of the load: if the column turns
        ** out not to be all numbers, its values are strings (a missing
        ** cell keeps an empty text: nil) */
        int miss = is_missing(L, x, c->missing);
        if (!c->has_unit && side_put(p->side, x->p, miss ? 0 : x->len)) return part_oom(p);
        if (miss) break;   /* missing: nil */
        if (p->textual[i]) { if (text_field(p, col, x)) return -1; break; }
        if (parse_num(L, x->p, x->len, &v)) { t->cols.p[c->attr].nums[r] = v * (c->has_unit ? c->factor : 1); break; }
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
    continue;
  out:
    if (rc == 1) p->skipped[SK_MISSING + c->role]++;
    return rc > 0 ? 1 : rc;
  }
  p->cur_col = -1;
  if (L->has_wide) {
    Wide *wd = &L->wide;
    int col = wd->cols[p->wk];
    CsvField *x = &f[col];
    double v;
    p->cur_col = col;
    t->date[r] = wd->days[p->wk]; t->prec[r] = wd->prec[p->wk]; t->year[r] = wd->year[p->wk];
    if (is_missing(L, x, 1)) {
      if (wd->role == C_VALUE) { p->skipped[SK_MISSING + C_VALUE]++; return 1; }
    } else {
      if (number_field(p, col, x, &v)) return -1;
      v *= wd->has_unit ? wd->factor : 1;
      if (wd->role == C_VALUE) {
        if (kind == K_LOAN && v < 0) return part_fail(p, "column '%s': a principal cannot be negative", L->header[col]->s);
        t->value[r] = v;
      } else if (wd->role == C_TERM) t->term[r] = v;
      else t->cols.p[wd->attr].nums[r] = v;
    }
    p->cur_col = -1;
  }
  for (int i = 0; i < L->ncomp; i++) {
    Computed *c = &L->comp[i];
    Value v;
    char what[96];
    snprintf(what, sizeof what, "field '%s'", c->field->s);
    ArenaMark m = arena_mark(&h->temp);
    if (eval_cell_expr(h, p, c->expr, c->nslots, what, &v)) { arena_release(h, &h->temp, m); return -1; }
    int rc = put_computed(h, p, t, r, c, v);
    arena_release(h, &h->temp, m);
    if (rc) return rc;
  }
  if ((kind == K_DEAL || kind == K_LOAN) && t->a[r] == t->b[r]) {
    const char *nm = t->a[r] >= PROV_BASE ? "a new code" : h->world->t[K_PARTNER].names[t->a[r]]->s;
    return part_fail(p, "%s and %s are both '%s'", kind == K_DEAL ? "exporter" : "lender", kind == K_DEAL ? "importer" : "borrower", nm);
  }
  return 0;
}

/* The where: filter for the current row: 1 keep, 0 skip, -1 failed. */
static int row_kept(H *h, Part *p) {
  Load *L = p->L;
  if (!L->where) return 1;
  Value v;
  ArenaMark m = arena_mark(&h->temp);
  p->cur_col = -1;
  int rc = eval_cell_expr(h, p, L->where, L->where_slots, "where", &v);
  arena_release(h, &h->temp, m);
  if (rc) return -1;
  if (v.tag != T_BOOL) {
    char b1[64];
    return part_fail(p, "where: gives %s, not true or false", v_typename(h, v, b1, sizeof b1));
  }
  return v.as.b;
}

/* Opens the file once: everything the load reads comes from this one
** descriptor (the parallel halves and the pre-pass pread it too). */
static void open_csv(H *h, Load *L) {
  char err[512];
  int fd = files_open(h, L->path, L->shown, L->stmt->loc, "load");
  L->csv = csv_open_fd(fd, 1, CSV_DEFAULT_BUFSIZE, hx_hook, h, err, sizeof err);
  if (!L->csv) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "cannot open '%s': out of memory", L->shown);
  csv_set_max_record(L->csv, h->max_record);
  if (L->sep) csv_set_separator(L->csv, L->sep);
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

/* ---- the mapping ------------------------------------------------------------------ */

/* The built-in field a name fills in a table of this kind (C_ATTR: a free field). */
static ColRole role_of(World *w, int kind, HStr **fn, int *want) {
  const FieldSpec *f = kind == K_DEAL || kind == K_LOAN ? world_schema_field(kind, (*fn)->s) : NULL;
  if (!f) return C_ATTR;
  if (f->type == FT_ENTITY) *want = f->entity;
  /* a deals file's `year` column gives the date at year precision */
  if (f->type == FT_YEAR) { *fn = w->f_date; return C_DATE; }
  return (ColRole)column_role[f->column];
}

static int header_col(Load *L, HStr *name) {
  for (int i = 0; i < L->nheader; i++) if (L->header[i] == name) return i;
  return -1;
}

/* "'x.csv' has no column 'v'", with the near name or the separator that
** would have split the header into a column of that name. */
_Noreturn static void no_column(H *h, Load *L, HStr *want, Loc loc, const char *raw, size_t rawlen) {
  static const char seps[] = {',', ';', '\t', '|'};
  char cur = L->sep ? L->sep : ',';
  for (size_t k = 0; k < sizeof seps; k++) {
    char c = seps[k];
    if (c == cur) continue;
    for (size_t i = 0; i < rawlen;) {
      size_t j = i;
      while (j < rawlen && raw[j] != c) j++;
      const char *s = raw + i; size_t n = j - i;
      while (n && (s[n - 1] == '\r' || s[n - 1] == '"')) n--;
      if (n && *s == '"') s++, n--;
      if (n == want->len && memcmp(s, want->s, n) == 0 && j < rawlen + 1 && memchr(raw, c, rawlen))
        hx_error_at(h, loc, "'%s' has no column '%s': its header splits on %s, not %s (add `separator: %s`)", L->shown, want->s,
                    c == '\t' ? "tabs" : c == ';' ? "';'" : "'|'", cur == '\t' ? "tabs" : cur == ';' ? "';'" : cur == ',' ? "','" : "'|'",
                    c == '\t' ? "tab" : c == ';' ? "\";\"" : c == ',' ? "\",\"" : "\"|\"");
      i = j + 1;
    }
  }
  Suggest sg;
  suggest_init(&sg, want->s, want->len);
  for (int i = 0; i < L->nheader; i++) suggest_try(&sg, L->header[i]->s);
  if (sg.best) hx_error_at(h, loc, "'%s' has no column '%s' (did you mean %s?)", L->shown, want->s, sg.best);
  hx_error_at(h, loc, "'%s' has no column '%s'", L->shown, want->s);
}


/* Rewrites `row.NAME` and `row["a name"]` into cell reads (N_CELL) of this
** file's columns; any other use of `row` is an error. */
static void cells(H *h, Load *L, Node *n) {
  if (!n) return;
  hx_check_stack(h, n->loc);
  switch (n->kind) {
    case N_FIELD: {
      Node *o = n->u.field.obj;
      if (o->kind == N_NAME && o->u.name == L->row_name) {
        HStr *c = n->u.field.name;
        int ci = header_col(L, c);
        if (ci < 0) no_column(h, L, c, n->loc, "", 0);
        n->kind = N_CELL; n->u.cell.col = ci; n->u.cell.name = c;
        return;
      }
      cells(h, L, o);
      return;
    }
    case N_INDEX: {
      Node *o = n->u.index.obj, *ix = n->u.index.index;
      if (o->kind == N_NAME && o->u.name == L->row_name) {
        if (ix->kind != N_STR) hx_error_at(h, ix->loc, "row[...] takes a column name in quotes: row[\"a name\"]");
        HStr *c = hx_intern(h, ix->u.str->s, ix->u.str->len);
        int ci = header_col(L, c);
        if (ci < 0) no_column(h, L, c, ix->loc, "", 0);
        n->kind = N_CELL; n->u.cell.col = ci; n->u.cell.name = c;
        return;
      }
      cells(h, L, o); cells(h, L, ix);
      return;
    }
    case N_CELL: {
      int ci = header_col(L, n->u.cell.name);
      if (ci < 0) no_column(h, L, n->u.cell.name, n->loc, "", 0);
      n->u.cell.col = ci;
      return;
    }
    case N_NAME:
      if (n->u.name == L->row_name) hx_error_at(h, n->loc, "row is read one cell at a time: row.NAME or row[\"a name\"]");
      return;
    case N_LIST: for (uint32_t i = 0; i < n->u.items.n; i++) cells(h, L, n->u.items.p[i]); return;
    case N_REC: for (uint32_t i = 0; i < n->u.fields.n; i++) cells(h, L, n->u.fields.p[i].value); return;
    case N_CALL:
      cells(h, L, n->u.call.fn);
      for (uint32_t i = 0; i < n->u.call.args.n; i++) cells(h, L, n->u.call.args.p[i]);
      for (uint32_t i = 0; i < n->u.call.named.n; i++) cells(h, L, n->u.call.named.p[i].value);
      if (n->u.call.compr) {
        Compr *c = n->u.call.compr;
        for (uint32_t i = 0; i < c->binders.n; i++) cells(h, L, c->binders.p[i].coll);
        cells(h, L, c->where); cells(h, L, c->body);
      }
      return;
    case N_NEG: case N_NOT: cells(h, L, n->u.operand); return;
    case N_BIN: case N_AND: case N_OR: cells(h, L, n->u.bin.l); cells(h, L, n->u.bin.r); return;
    case N_IF: cells(h, L, n->u.cond.c); cells(h, L, n->u.cond.t); cells(h, L, n->u.cond.e); return;
    case N_QUANT: {
      Compr *c = &n->u.quant.c;
      for (uint32_t i = 0; i < c->binders.n; i++) cells(h, L, c->binders.p[i].coll);
      cells(h, L, c->where); cells(h, L, c->body);
      return;
    }
    default: return;
  }
}

/* An expression over row, ready to evaluate once per row; returns its frame size. */
static int row_expr(H *h, Load *L, Node *e) {
  cells(h, L, e);
  L->evaluates = 1;
  return resolve_expr(h, e) + 1;
}

/* A table file for `via "FILE" FROM -> TO` (and the BACI country file):
** every row maps its FROM code to its TO code (an empty TO maps to nothing);
** name_col, when >= 0 by name, gives the name of entities it declares. */
static Via *via_from_file(H *h, Load *L, HStr *file, HStr *from, HStr *to, const char *name_col, Loc loc) {
  /* beside the program (as every path), else beside the file being loaded */
  char *found = find_file(h, L->stmt->loc.src, file->s, 0);
  if (!found && file->s[0] != '/') {
    const char *slash = strrchr(L->path, '/');
    char b[4096];
    if (slash) snprintf(b, sizeof b, "%.*s/%s", (int)(slash - L->path), L->path, file->s);
    else snprintf(b, sizeof b, "%s", file->s);
    if (access(b, R_OK) == 0) found = arena_strdup(h, &h->temp, b, strlen(b));
  }
  if (!found) {
    char b[4096];
    snprintf(b, sizeof b, "%s/%s", h->sources.p[L->stmt->loc.src]->dir, file->s);
    found = arena_strdup(h, &h->temp, b, strlen(b));
  }
  char err[512], what[300];
  int fd = files_open(h, found, file->s, loc, "load");
  CsvReader *r = csv_open_fd(fd, 1, CSV_DEFAULT_BUFSIZE, hx_hook, h, err, sizeof err);
  if (!r) hx_error_status(h, HEDGE_EMEMORY, loc, "cannot open '%s': out of memory", file->s);
  csv_set_max_record(r, h->max_record);
  snprintf(what, sizeof what, "'%s'", file->s);
  Via *v = via_new(h, 0, what);
  CsvField *f;
  long line;
  int n = csv_next(r, &f, &line, err, sizeof err);
  int fc = -1, tc = -1, nc = -1;
  for (int i = 0; i < n; i++) {
    if (f[i].len == from->len && memcmp(f[i].p, from->s, from->len) == 0) fc = i;
    if (f[i].len == to->len && memcmp(f[i].p, to->s, to->len) == 0) tc = i;
    if (name_col && f[i].len == strlen(name_col) && memcmp(f[i].p, name_col, f[i].len) == 0) nc = i;
  }
  if (n <= 0 || fc < 0 || tc < 0) {
    csv_close(r);
    if (n < 0) hx_error_at(h, loc, "%s:%s", file->s, err);
    hx_error_at(h, loc, "'%s' has no column '%s' (its header must name the columns %s and %s)", file->s, fc < 0 ? from->s : to->s, from->s, to->s);
  }
  /* the codes and names enter the world: text only */
  for (int i = 0; i < n; i++) {
    char why[160];
    if (bad_text(f[i].p, f[i].len, 1, why, sizeof why)) { csv_close(r); hx_error_at(h, loc, "'%s': column %d of the header: %s", file->s, i + 1, why); }
  }
  while ((n = csv_next(r, &f, &line, err, sizeof err)) > 0) {
    if (fc >= n || tc >= n) continue;
    char why[160];
    int bt = tc, bad = bad_text(f[tc].p, f[tc].len, 1, why, sizeof why);
    if (!bad && nc >= 0 && nc < n) { bt = nc; bad = bad_text(f[nc].p, f[nc].len, 0, why, sizeof why); }
    if (bad) { csv_close(r); hx_error_at(h, loc, "%s:%ld: column %d: %s", file->s, line, bt + 1, why); }
    HStr *t = f[tc].len ? hx_intern(h, f[tc].p, f[tc].len) : NULL;
    HStr *nm = nc >= 0 && nc < n && f[nc].len ? hx_intern(h, f[nc].p, f[nc].len) : NULL;
    via_add(h, v, f[fc].p, f[fc].len, t, nm);
  }
  csv_close(r);
  if (n < 0) hx_error_at(h, loc, "%s:%s", file->s, err);
  return v;
}

/* `via FIELD`: the codes of the declared entities of this kind by one of
** their fields (name, alpha2, numeric, ...). Names also match the official
** and common names, and the load's aliases. */
static Via *via_from_field(H *h, Load *L, int kind, HStr *field, Loc loc) {
  (void)L;
  World *w = h->world;
  int by_name = field == w->f_name;
  char what[200];
  snprintf(what, sizeof what, "the %s' %s", kind_plural[kind], field->s);
  Via *v = via_new(h, by_name, what);
  Table *t = &w->t[kind];
  HStr *fields[3] = {field, by_name ? hx_intern_c(h, "common_name") : NULL, by_name ? hx_intern_c(h, "official_name") : NULL};
  uint32_t seen = 0;
  for (int k = 0; k < 3; k++) {
    if (!fields[k]) continue;
    for (uint32_t r = 0; r < t->n; r++) {
      if (!t->names[r] || !world_alive(w, kind, r)) continue;
      int found;
      Value x = world_field(h, kind, r, fields[k], &found);
      char b[64];
      if (x.tag == T_STR) { via_add(h, v, x.as.str->s, x.as.str->len, t->names[r], NULL); seen++; }
      else if (x.tag == T_NUM) { int m = snprintf(b, sizeof b, "%.17g", x.as.num); via_add(h, v, b, (size_t)m, t->names[r], NULL); seen++; }
    }
  }
  if (!seen) hx_error_at(h, loc, "no %s has a field '%s' to map codes through (load partners from iso3166 gives name, alpha2 and numeric)", kind_names[kind], field->s);
  return v;
}

static void add_aliases(H *h, Load *L, Via *v, int kind) {
  if (!L->opt) return;
  FieldList *al = &L->opt->aliases;
  for (uint32_t i = 0; i < al->n; i++) {
    Node *e = al->p[i].value;
    int ns = resolve_expr(h, e) + 1;
    Value x = eval_root(h, e, ns);
    HStr *to;
    if (x.tag == T_ENT && x.kind == kind) to = h->world->t[kind].names[x.i];
    else if (x.tag == T_STR) to = hx_intern(h, x.as.str->s, x.as.str->len);
    else hx_error_at(h, e->loc, "an alias names a %s (or its code in quotes)", kind_names[kind]);
    /* an alias replaces what the table says */
    char nk[512];
    size_t kn = via_norm(v->by_name, al->p[i].name->s, al->p[i].name->len, nk, sizeof nk);
    uint32_t s = via_slot(v, nk, kn);
    if (v->keys[s]) v->to[s] = to;
    else via_add(h, v, al->p[i].name->s, al->p[i].name->len, to, NULL);
  }
}

/* The BACI layout: t,i,j,k,v,q (docs/data.md). */
static void plan_baci(H *h, Load *L) {
  static const char *const need[] = {"t", "i", "j", "k", "v", "q"};
  int col[6];
  for (int k = 0; k < 6; k++) {
    col[k] = header_col(L, hx_intern_c(h, need[k]));
    if (col[k] < 0) hx_error_at(h, L->stmt->loc, "'%s' is not in the BACI layout: it has no column '%s' (BACI files have t,i,j,k,v,q)", L->shown, need[k]);
  }
  World *w = h->world;
  Via *v = via_from_file(h, L, L->opt->countries, hx_intern_c(h, "country_code"), hx_intern_c(h, "country_iso3"), "country_name", L->opt->countries_loc);
  ColMap *c;
  c = &L->cols[col[0]]; c->role = C_DATE; c->field = w->f_date;
  c = &L->cols[col[1]]; c->role = C_ENT_A; c->want = K_PARTNER; c->field = w->f_exporter; c->via = v;
  c = &L->cols[col[2]]; c->role = C_ENT_B; c->want = K_PARTNER; c->field = w->f_importer; c->via = v;
  c = &L->cols[col[3]]; c->role = C_ENT_C; c->want = K_COMMODITY; c->field = w->f_commodity; c->pad = 6;
  c = &L->cols[col[4]]; c->role = C_VALUE; c->field = w->f_value; c->has_unit = 1; c->dim = dim_money(h); c->factor = 1000;
  c = &L->cols[col[5]]; c->role = C_ATTR; c->field = hx_intern_c(h, "volume"); c->has_unit = 1;
  if (!units_lookup(h, "t", 1, &c->dim, &c->factor)) hx_error_at(h, L->stmt->loc, "internal: no unit t");
  c->missing = 1;
  L->declare |= (1 << K_PARTNER) | (1 << K_COMMODITY);
  if (!L->nmissing) {
    L->missing = arena_alloc(h, &h->temp, sizeof(HStr *));
    L->missing[0] = hx_intern_c(h, "NA");
    L->nmissing = 1;
  }
}

/* Header and mapping: decide the role of every column. */
static void plan(H *h, Load *L) {
  CsvField *f;
  int n = next_row(h, L, &f);
  if (n == 0) hx_error_at(h, L->stmt->loc, "'%s' is empty: a CSV file starts with a header line", L->shown);
  /* the raw header, for the separator hint */
  size_t rawlen = 0;
  for (int i = 0; i < n; i++) rawlen += f[i].len + 1;
  char *raw = arena_alloc(h, &h->temp, rawlen + 1);
  rawlen = 0;
  for (int i = 0; i < n; i++) {
    if (i) raw[rawlen++] = L->sep ? L->sep : ',';
    memcpy(raw + rawlen, f[i].p, f[i].len);
    rawlen += f[i].len;
  }
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
  ColMap **mapcol = arena_alloc(h, &h->temp, (map->n + 1) * sizeof(ColMap *));
  h->steps += (uint64_t)n;
  load_check(h, L);
  /* duplicate names through a hash of the interned names: O(n), not n^2 */
  uint32_t hcap = 16;
  while (hcap < (uint32_t)n * 2) hcap *= 2;
  HStr **seen = arena_alloc(h, &h->temp, hcap * sizeof(HStr *));
  memset(seen, 0, hcap * sizeof(HStr *));
  for (int i = 0; i < n; i++) {
    char why[160];
    if (L->sep != '\t' && memchr(f[i].p, '\t', f[i].len))   /* a tab-separated file read with another separator */
      hx_error_at(h, L->stmt->loc, "'%s' has tabs in its header: its header splits on tabs, not %s (add `separator: tab`)", L->shown,
                  L->sep == ';' ? "';'" : L->sep == '|' ? "'|'" : "','");
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
  LoadOpts *o = L->opt;
  L->row_name = hx_intern_c(h, "row");
  /* every column starts as a free attribute of the same name */
  for (int i = 0; i < n; i++) { L->cols[i].role = C_ATTR; L->cols[i].field = L->header[i]; L->cols[i].loc = L->stmt->loc; L->cols[i].src = i; }
  int keycol = -1;
  HStr *key = L->stmt->u.load.key ? L->stmt->u.load.key : hx_intern_c(h, "code");
  if (kind == K_PARTNER || kind == K_COMMODITY) {
    for (int i = 0; i < n; i++) if (L->header[i] == key) keycol = i;
    if (keycol < 0) {
      if (L->stmt->u.load.key) no_column(h, L, key, L->stmt->loc, raw, rawlen);
      for (int k = 0; k < 4 && !L->sep; k++) {   /* a header of one column that another separator splits */
        const char sp[] = ";\t|";
        if (k < 3 && memchr(raw, sp[k], rawlen)) no_column(h, L, key, L->stmt->loc, raw, rawlen);
      }
      hx_error_at(h, L->stmt->loc, "'%s' has no column 'code' for the %s names (name another with `key: COLUMN`)", L->shown, kind_plural[kind]);
    }
    L->cols[keycol].role = C_KEY;
  }
  if (o && o->preset == LP_BACI) plan_baci(h, L);
  /* computed and wide fields: the columns of the same name step aside */
  Computed *comp = arena_alloc(h, &h->temp, (map->n + 1) * sizeof(Computed));
  for (uint32_t m = 0; m < map->n; m++) {
    Field *fe = &map->p[m];
    Node *cn = fe->value;
    ColSpec *x = cn->u.col.x;
    if (!x || (!x->expr && !x->each)) continue;
    HStr *fname = fe->name;
    int want = -1;
    ColRole role = role_of(w, kind, &fname, &want);
    for (int i = 0; i < n; i++) {
      if (L->cols[i].role == C_KEY) continue;
      HStr *cf = L->cols[i].field; int wt;
      ColRole ri = role_of(w, kind, &cf, &wt);
      if ((role != C_ATTR && ri == role) || (role == C_ATTR && cf == fname)) L->cols[i].role = C_SKIP;
    }
    if (x->expr) {
      Computed *c = &comp[L->ncomp++];
      c->role = role; c->want = want; c->field = fname; c->expr = x->expr; c->loc = fe->loc;
      c->nslots = row_expr(h, L, x->expr);
      if (kind == K_PARTNER || kind == K_COMMODITY) {
        if (role != C_ATTR) hx_error_at(h, fe->loc, "%s: a %s has no such built-in field", fname->s, kind_names[kind]);
      }
      continue;
    }
    /* each "PATTERN": the columns that match, the `*` giving the date */
    if (L->has_wide) hx_error_at(h, fe->loc, "a load takes one `each` field");
    if (kind != K_DEAL && kind != K_LOAN) hx_error_at(h, fe->loc, "each: a wide table loads deals or loans");
    if (role != C_VALUE && role != C_ATTR && role != C_TERM) hx_error_at(h, fe->loc, "each: fills a number (value, volume, ...), not %s", fname->s);
    const char *star = strchr(x->each->s, '*');
    if (!star || strchr(star + 1, '*')) hx_error_at(h, cn->loc, "each takes a pattern with one `*` where the period is: each \"FY*\"");
    size_t pre = (size_t)(star - x->each->s), suf = x->each->len - pre - 1;
    Wide *wd = &L->wide;
    wd->role = role; wd->field = fname; wd->loc = fe->loc;
    wd->cols = arena_alloc(h, &h->temp, (size_t)n * sizeof(int));
    wd->days = arena_alloc(h, &h->temp, (size_t)n * sizeof(int32_t));
    wd->year = arena_alloc(h, &h->temp, (size_t)n * sizeof(int32_t));
    wd->prec = arena_alloc(h, &h->temp, (size_t)n);
    for (int i = 0; i < n; i++) {
      HStr *hd = L->header[i];
      if (hd->len <= pre + suf || memcmp(hd->s, x->each->s, pre) != 0 || memcmp(hd->s + hd->len - suf, star + 1, suf) != 0) continue;
      const char *cap = hd->s + pre; size_t cl = hd->len - pre - suf;
      int k = wd->n;
      if (!parse_date_text(L->fy_start, cap, cl, &wd->days[k], &wd->prec[k], &wd->year[k]))
        hx_error_at(h, cn->loc, "column '%s' matches \"%s\" but '%.*s' is not a year or a date (2025, 2025-10)", hd->s, x->each->s, (int)cl, cap);
      wd->cols[wd->n++] = i;
      L->cols[i].role = C_SKIP;
    }
    if (!wd->n) {
      Suggest sg;
      suggest_init(&sg, x->each->s, x->each->len);
      for (int i = 0; i < n; i++) suggest_try(&sg, L->header[i]->s);
      hx_error_at(h, cn->loc, "no column of '%s' matches \"%s\"%s%s%s", L->shown, x->each->s, sg.best ? " (its columns: " : "", sg.best ? sg.best : "", sg.best ? "...)" : "");
    }
    if (cn->u.col.unit) {
      units_resolve(h, cn->u.col.unit, cn->loc, &wd->dim, &wd->factor);
      wd->has_unit = 1;
      if (x->scale) wd->factor *= x->scale;
    }
    if (role == C_VALUE) {
      if (wd->has_unit && wd->dim != dim_money(h)) hx_error_at(h, cn->loc, "%s must be money: each \"...\" M USD", fname->s);
      if (!wd->has_unit) { wd->dim = dim_money(h); wd->factor = 1; wd->has_unit = 1; }
    }
    if (role == C_TERM && (!wd->has_unit || wd->dim != dim_time(h))) hx_error_at(h, cn->loc, "term needs a time unit");
    L->has_wide = 1;
    L->evaluates = 1;
    /* the date comes from the column: no other date */
    for (int i = 0; i < n; i++) { HStr *cf = L->cols[i].field; int wt; if (L->cols[i].role != C_SKIP && L->cols[i].role != C_KEY && role_of(w, kind, &cf, &wt) == C_DATE) L->cols[i].role = C_SKIP; }
  }
  L->comp = comp;
  /* mapped columns: field: column [UNIT] [pad N] [via ...] */
  for (uint32_t m = 0; m < map->n; m++) {
    Field *fe = &map->p[m];
    Node *cn = fe->value;
    ColSpec *x = cn->u.col.x;
    if (x && (x->expr || x->each)) continue;
    int ci = header_col(L, cn->u.col.column);
    if (ci < 0) no_column(h, L, cn->u.col.column, cn->loc, raw, rawlen);
    ColMap *c = &L->cols[ci];
    if (mapped[ci] && c->role != C_KEY) {
      /* a column mapped again also feeds this field: a ColMap of its own
      ** reading the same column */
      c = &L->cols[L->ncols++];
      c->src = ci;
      c->role = C_ATTR;
    }
    mapped[ci] = 1;
    mapcol[m] = c;
    c->field = fe->name;
    c->loc = fe->loc;
    if (cn->u.col.unit) {
      units_resolve(h, cn->u.col.unit, cn->loc, &c->dim, &c->factor);
      c->has_unit = 1;
      if (x && x->scale) c->factor *= x->scale;
    }
    if (x) c->pad = x->pad;
    if (c->role != C_KEY) c->role = C_ATTR;
  }
  /* built-in fields by name */
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    if (c->role == C_KEY || c->role == C_SKIP) continue;
    if (c->role != C_ATTR) continue;   /* set by a preset */
    c->role = role_of(w, kind, &c->field, &c->want);
  }
  for (int i = 0; i < L->ncols; i++) {
    ColMap *c = &L->cols[i];
    HStr *fn = c->field;
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
  for (int i = 0; i < L->ncomp; i++) have[comp[i].role] = 1;
  if (L->has_wide) have[L->wide.role] = 1;
  if (kind == K_DEAL || kind == K_LOAN)
    for (const FieldSpec *f = world_schema(kind); f->name; f++)
      if (f->required && !have[column_role[f->column]])
        hx_error_at(h, L->stmt->loc, "'%s' gives no %s for the %s: map a column to it (%s: COLUMN) or compute it (%s: = EXPR)", L->shown, f->name,
                    kind_plural[kind], f->name, f->name);
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
  if (L->has_wide && L->wide.role == C_ATTR) {
    Wide *wd = &L->wide;
    wd->attr = world_column(h, kind, wd->field, 1, wd->has_unit ? wd->dim : 0);
    Column *col = &w->t[kind].cols.p[wd->attr];
    if (!col->is_num || col->dim != (wd->has_unit ? wd->dim : 0))
      hx_error_at(h, wd->loc, "each: would mix units with the existing field %s", wd->field->s);
  }
  /* missing tokens: every column but codes, or the columns named */
  if (o && o->missing.n) {
    L->has_missing = 1;
    if (!L->nmissing) { L->missing = o->missing.p; L->nmissing = (int)o->missing.n; }
    for (int i = 0; i < L->ncols; i++) {
      ColMap *c = &L->cols[i];
      int code = c->role == C_KEY || c->role == C_ENT_A || c->role == C_ENT_B || c->role == C_ENT_C;
      if (o->missing_cols.n) {
        c->missing = 0;
        for (uint32_t k = 0; k < o->missing_cols.n; k++) if (o->missing_cols.p[k] == L->header[c->src]) c->missing = 1;
      } else c->missing = !code;
    }
    for (uint32_t k = 0; k < o->missing_cols.n; k++)
      if (header_col(L, o->missing_cols.p[k]) < 0) no_column(h, L, o->missing_cols.p[k], L->stmt->loc, raw, rawlen);
  }
  if (have[C_ENT_A] || have[C_ENT_B] || L->ncomp) codemap_build(h, &L->codes[K_PARTNER], K_PARTNER);
  if (have[C_ENT_C] || L->ncomp) codemap_build(h, &L->codes[K_COMMODITY], K_COMMODITY);
  /* via: codes from other schemes */
  for (uint32_t m = 0; m < map->n; m++) {
    Field *fe = &map->p[m];
    Node *cn = fe->value;
    ColSpec *x = cn->u.col.x;
    if (!x || (!x->via_field && !x->via_file)) continue;
    ColMap *c = mapcol[m];
    if (c->role != C_ENT_A && c->role != C_ENT_B && c->role != C_ENT_C)
      hx_error_at(h, cn->loc, "via maps codes of partners or commodities: %s is not one", fe->name->s);
    c->via = x->via_field ? via_from_field(h, L, c->want, x->via_field, cn->loc)
                          : via_from_file(h, L, x->via_file, x->via_from, x->via_to, NULL, x->via_loc);
    add_aliases(h, L, c->via, c->want);
  }
  for (int i = 0; i < L->ncols; i++) if (L->cols[i].via) via_finish(h, L->cols[i].via, &L->codes[L->cols[i].want]);
  if (o && o->where) { L->where = o->where; L->where_slots = row_expr(h, L, o->where); }
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
  uint8_t *skip; uint32_t nskip;   /* rows skipped (or bad): compacted away */
  int csv_error;             /* the reader's own message (already "LINE: ...") */
} Half;

/* Fills rows [first, first + expect) from one half of the file. A row that
** fails is recorded (the reading goes on, to list every bad row); a row
** skipped on purpose keeps its slot, marked in skip[], and is compacted
** away after the join. */
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
      part_bad_row(p, f, n);
      if (r < end) { w->skip[r - w->first] = 1; side_blank(p); r++; }
      continue;
    }
    if (r >= end) { part_fail(p, "internal: more rows than the pre-pass counted"); w->csv_error = 1; return; }
    if ((r & 0xFFF) == 0 && atomic_load(&w->h->interrupted)) {   /* Ctrl-C in a long load */
      p->interrupted = 1;
      return;
    }
    world_row_defaults(w->t, L->kind, r);
    size_t s0 = p->side->n;
    int rc = fill_row(w->h, p, w->t, r, f);
    if (rc) {
      int oom = p->oom;
      if (rc == -1) part_bad_row(p, f, n);
      if (oom) return;   /* out of memory: the main thread raises it */
      w->skip[r - w->first] = 1;
      w->nskip++;
      p->side->n = s0;
      if (side_blank(p)) return;
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
  if (h->load_threads == 1 || (kind != K_DEAL && kind != K_LOAN) || L->evaluates) return 0;
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
  Half *w = L->halves = arena_alloc(h, &h->temp, 2 * sizeof(Half));
  memset(w, 0, 2 * sizeof(Half));
  LockedHook lh;
  lh.h = h;
  if (pthread_mutex_init(&lh.mu, NULL) != 0) return 0;
  long first_line = L->line + 1;   /* the header is one line: no quotes */
  char err[512] = "";
  for (int k = 0; k < 2; k++) {
    w[k].h = h;
    w[k].t = t;
    w[k].part.L = L;
    w[k].part.alloc = locked_hook;
    w[k].part.aud = &lh;
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
    if (w[k].part.csv && L->sep) csv_set_separator(w[k].part.csv, L->sep);
    w[k].skip = arena_alloc(h, &h->temp, (size_t)w[k].expect + 1);
    memset(w[k].skip, 0, (size_t)w[k].expect + 1);
  }
  if (!w[0].part.csv || !w[1].part.csv) {
    csv_close(w[0].part.csv);
    csv_close(w[1].part.csv);
    pthread_mutex_destroy(&lh.mu);
    L->halves = NULL;
    for (int k = 0; k < 2; k++) { L->side[k].alloc = hx_hook; L->side[k].ud = h; }
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
  w[0].part.csv = w[1].part.csv = NULL;
  /* the new codes were allocated through lh: move them to the state's hook */
  for (int k = 0; k < 2; k++) { w[k].part.alloc = hx_hook; w[k].part.aud = h; }
  for (int k = 0; k < 2; k++) { L->side[k].alloc = hx_hook; L->side[k].ud = h; }   /* lh is gone */
  pthread_mutex_destroy(&lh.mu);
  if (w[0].part.interrupted || w[1].part.interrupted) {
    h->fatal = 1;
    hx_error_status(h, HEDGE_EINTERRUPT, L->stmt->loc, "interrupted while loading '%s' (nothing from it was loaded)", L->shown);
  }
  for (int k = 0; k < 2; k++) {
    Part *p = &w[k].part;
    if (w[k].csv_error) {
      /* the reader's own message starts with its line already */
      L->line = p->err_line;
      csv_message(h, L, p->err);
      hx_error_note(h, L->stmt->loc, "while loading this file (nothing from it was loaded)");
      hx_throw(h, HEDGE_ERROR);
    }
    if (p->oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s' (%s:%ld)", L->shown, L->shown, p->err_line);
    if (!p->total_bad && !p->total_unm && w[k].got != w[k].expect) row_error(h, L, "internal: the halves of the file disagree on their rows");
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
  Part *P = L->serial;
  P->L = L;
  P->csv = L->csv;
  P->textual = L->textual;
  P->alloc = hx_hook;
  P->aud = h;
  L->side[0].alloc = hx_hook;
  L->side[0].ud = h;
  L->side[0].first = L->first_row;
  L->nside = 1;
  P->side = &L->side[0];
  int nout = L->has_wide ? L->wide.n : 1;
  long rows_read = 0;
  while ((n = next_row(h, L, &f)) > 0) {
    if (sized && nextrow == L->first_row && csv_progress(L->csv, &after, &total) && after > before) {
      /* size the columns once from the first row's length: no copying as
      ** a million rows arrive (10% slack; growth still works past it) */
      long long est = total / (after - before) * nout;
      est += est / 10 + 16;
      if (est > 0 && est < 0x7fffffffLL && (uint64_t)t->n + (uint64_t)est < 0xfffffff0ULL)
        table_reserve(h, kind, t->n + (uint32_t)est);
    }
    rows_read++;
    h->steps++;
    if ((rows_read & 0x3FF) == 0x3FF) load_check(h, L);
    if (h->progress && (rows_read & 0xFFFF) == 0xFFFF) {
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
    P->line = L->line;
    if (n != L->nheader) {
      if (n == 1 && f[0].len == 0) continue;
      P->cur_col = -1;
      part_fail(P, "the row has %d field%s, the header has %d", n, n == 1 ? "" : "s", L->nheader);
      part_bad_row(P, f, n);
      continue;
    }
    L->cur = f;
    L->ncur = n;
    int kept = row_kept(h, P);
    if (kept < 0) { part_bad_row(P, f, n); continue; }
    if (!kept) { P->skipped[SK_WHERE]++; continue; }
    for (int k = 0; k < nout; k++) {
      if (nextrow >= t->cap) table_reserve(h, kind, nextrow + 1);
      uint32_t r = nextrow;
      /* a fresh row: defaults, then the columns */
      world_row_defaults(t, kind, r);
      t->n = r + 1;   /* visible to the code map only after the key is checked */
      int bad = 0;
      char why[160];
      size_t s0 = P->side->n;
      for (int i = 0; i < n && !bad; i++) {
        if (L->cols[i].role != C_KEY) continue;
        CsvField *x = &f[i];
        P->cur_col = i;
        if (x->len == 0) bad = part_fail(P, "column '%s' is empty: every %s needs a name", L->header[i]->s, kind_names[kind]);
        else if (x->len > HX_MAX_NAME) bad = part_fail(P, "column '%s': name too long", L->header[i]->s);
        else if (bad_text(x->p, x->len, 1, why, sizeof why)) bad = part_fail(P, "column '%s': %s", L->header[i]->s, why);
        else {
          HStr *name = hx_intern(h, x->p, x->len);
          Global *g = global_find(h, name);
          if (g) {
            char lb[256];
            bad = part_fail(P, "'%s' is already declared (at %s)", name->s, hx_locstr(h, g->loc, lb, sizeof lb));
          } else {
            t->names[r] = name;
            Loc loc = {L->stmt->loc.src, L->stmt->loc.line, L->stmt->loc.col};
            global_add(h, name, G_ENTITY, v_ent(kind, (int32_t)r), loc);
          }
        }
      }
      P->wk = k;
      int rc = bad ? -1 : fill_row(h, P, t, r, f);
      if (rc && P->oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s' (%s:%ld)", L->shown, L->shown, L->line);
      if (rc) P->side->n = s0;   /* the slot is taken by the next row */
      if (rc == -1) { part_bad_row(P, f, n); t->n = r; continue; }
      if (rc) { t->n = r; continue; }
      nextrow = r + 1;
    }
  }
  L->cur = NULL;
  t->n = nextrow;
  if (reporting) h->progress(h->progress_ud, L->shown, (long)(nextrow - L->first_row), 1.0, 1);
}

/* Moves row src of a deal or loan table to dst (compaction after skips). */
static void move_row(Table *t, uint32_t dst, uint32_t src) {
  if (t->names) t->names[dst] = t->names[src];
  t->a[dst] = t->a[src]; t->b[dst] = t->b[src]; t->c[dst] = t->c[src];
  t->value[dst] = t->value[src]; t->date[dst] = t->date[src]; t->year[dst] = t->year[src];
  t->prec[dst] = t->prec[src]; t->term[dst] = t->term[src];
  for (uint32_t i = 0; i < t->cols.n; i++) {
    Column *c = &t->cols.p[i];
    if (c->is_num) { if (c->nums && src < c->cap) c->nums[dst] = c->nums[src]; }
    else if (c->vals && src < c->cap) c->vals[dst] = c->vals[src];
  }
}

/* The failing load's message: every bad row (up to HX_LOAD_BAD_ROWS) in
** file order, then "and N more", or the codes that mapped to nothing. */
_Noreturn static void raise_bad(H *h, Load *L, Part **ps, int np) {
  long long total = 0, unm = 0;
  for (int k = 0; k < np; k++) { total += ps[k]->total_bad; unm += ps[k]->total_unm; }
  Buf *b = &h->err;
  b->n = 0;
  int shown = 0;
  if (unm) {
    /* the codes, merged across parts */
    Unmapped all[HX_LOAD_UNMAPPED * 2]; int na = 0; long long listed = 0;
    for (int k = 0; k < np; k++)
      for (int i = 0; i < ps[k]->nunm; i++) {
        int j;
        for (j = 0; j < na; j++) if (strcmp(all[j].code, ps[k]->unm[i].code) == 0) break;
        if (j < na) all[j].rows += ps[k]->unm[i].rows;
        else all[na++] = ps[k]->unm[i];
      }
    const char *via = "its code table";
    for (int i = 0; i < L->ncols; i++) if (L->cols[i].via) { via = L->cols[i].via->what; break; }
    buf_printf(h, b, "%s:%ld: error: %lld row%s of '%s' ha%s codes that map to nothing through %s:", L->shown, all[0].first_line, unm, unm == 1 ? "" : "s", L->shown, unm == 1 ? "s" : "ve", via);
    for (int i = 0; i < na && i < HX_LOAD_UNMAPPED; i++) {
      buf_printf(h, b, "%s '%s' (%ld row%s, first at line %ld)", i ? "," : "", all[i].code, all[i].rows, all[i].rows == 1 ? "" : "s", all[i].first_line);
      listed += all[i].rows;
    }
    if (unm > listed) buf_printf(h, b, " and more");
    buf_printf(h, b, "\n  map them (`aliases: { \"%s\": CODE }`, or add them to the table), or skip their rows with `unmapped: skip`", all[0].code);
    shown = 1;
  }
  for (int k = 0; k < np; k++)
    for (int i = 0; i < ps[k]->nbad && shown < HX_LOAD_BAD_ROWS + (unm ? 1 : 0); i++, shown++) {
      BadRow *r = &ps[k]->bad[i];
      if (b->n) buf_putc(h, b, '\n');
      buf_printf(h, b, "%s:%ld: error: %s", L->shown, r->line, r->msg);
      RowQuote *q = &r->q;
      if (q->len > 0) {
        buf_printf(h, b, "\n  %s", q->text);
        if (q->caret >= 0) {
          buf_puts(h, b, "\n  ");
          for (int j = 0; j < q->caret; j++) buf_putc(h, b, ' ');
          buf_putc(h, b, '^');
          for (int j = 1; j < q->width && j < 80; j++) buf_putc(h, b, '~');
        }
      }
    }
  long long listed = shown - (unm ? 1 : 0);
  if (total > listed) buf_printf(h, b, "\nand %lld more bad row%s", total - listed, total - listed == 1 ? "" : "s");
  hx_error_note(h, L->stmt->loc, "while loading this file (nothing from it was loaded)");
  hx_throw(h, HEDGE_ERROR);
}

/* Declares the codes the rows named that no entity has (declare:), in
** file order, and patches their provisional ids in rows [from, to). */
static void declare_new(H *h, Load *L, Part *p, uint32_t from, uint32_t to) {
  Table *t = &h->world->t[L->kind];
  uint32_t *remap[2] = {NULL, NULL};
  int any = 0;
  for (int kind = 0; kind < 2; kind++) {
    NewCodes *c = &p->nc[kind];
    if (!c->n) continue;
    any = 1;
    remap[kind] = arena_alloc(h, &h->temp, c->n * sizeof(uint32_t));
    for (uint32_t k = 0; k < c->n; k++) {
      HStr *name = hx_intern(h, c->bytes + c->off[k], c->len[k]);
      Global *g = global_find(h, name);
      if (g) {
        if (g->kind == G_ENTITY && g->value.kind == kind) { remap[kind][k] = (uint32_t)g->value.i; continue; }
        char lb[256];
        hx_error_at(h, L->stmt->loc, "'%s' names a %s in '%s' but is already declared as something else (at %s)", name->s, kind_names[kind], L->shown, hx_locstr(h, g->loc, lb, sizeof lb));
      }
      uint32_t row = world_add(h, kind, name, L->stmt->loc);
      global_add(h, name, G_ENTITY, v_ent(kind, (int32_t)row), L->stmt->loc);
      if (c->via && c->via_slot[k] != UINT32_MAX && c->via->names[c->via_slot[k]])
        world_set_attr(h, kind, row, h->world->f_name, v_str(c->via->names[c->via_slot[k]]));
      remap[kind][k] = row;
    }
  }
  if (!any) return;
  int ka = L->kind == K_DEAL || L->kind == K_LOAN;
  for (uint32_t r = from; r < to && ka; r++) {
    if (t->a[r] >= PROV_BASE && t->a[r] != NO_ROW) t->a[r] = remap[K_PARTNER][t->a[r] - PROV_BASE];
    if (t->b[r] >= PROV_BASE && t->b[r] != NO_ROW) t->b[r] = remap[K_PARTNER][t->b[r] - PROV_BASE];
    if (L->kind == K_DEAL && t->c[r] >= PROV_BASE && t->c[r] != NO_ROW) t->c[r] = remap[K_COMMODITY][t->c[r] - PROV_BASE];
  }
}

/* Strings for the columns that are not all numbers: box them, then give
** every row of this load its text, kept as the rows were read (the file
** is read once: no second pass). */
static void load_texts(H *h, Load *L) {
  Table *t = &h->world->t[L->kind];
  int any_text = 0;
  for (int i = 0; i < L->ncols; i++) if (L->textual[i]) { L->cols[i].textual = 1; any_text = 1; }
  if (!any_text) return;
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

static void load_rows(H *h, Load *L) {
  World *w = h->world;
  int kind = L->kind;
  Table *t = &w->t[kind];
  L->textual = arena_alloc(h, &h->temp, (size_t)L->ncols);
  for (int i = 0; i < L->ncols; i++) L->textual[i] = (uint8_t)L->cols[i].textual;
  L->serial = arena_alloc(h, &h->temp, sizeof(Part));
  memset(L->serial, 0, sizeof(Part));
  L->serial->alloc = hx_hook;
  L->serial->aud = h;
  Part *ps[2];
  int np;
  if (load_parallel(h, L)) {
    Half *hv = L->halves;
    ps[0] = &hv[0].part; ps[1] = &hv[1].part; np = 2;
    for (int k = 0; k < 2; k++)
      if (ps[k]->oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s'", L->shown);
    if (ps[0]->total_bad || ps[1]->total_bad || ps[0]->total_unm || ps[1]->total_unm) raise_bad(h, L, ps, 2);
    for (int k = 0; k < 2; k++) declare_new(h, L, ps[k], hv[k].first, hv[k].first + hv[k].expect);
    load_texts(h, L);
    if (hv[0].nskip || hv[1].nskip) {   /* compact the rows skipped on purpose */
      uint32_t dst = L->first_row;
      for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < hv[k].expect; i++) {
          if (hv[k].skip[i]) continue;
          if (dst != hv[k].first + i) move_row(t, dst, hv[k].first + i);
          dst++;
        }
      t->n = dst;
    }
  } else {
    load_rows_serial(h, L);
    ps[0] = L->serial; np = 1;
    if (ps[0]->total_bad || ps[0]->total_unm) raise_bad(h, L, ps, 1);
    declare_new(h, L, ps[0], L->first_row, t->n);
    load_texts(h, L);
  }
  for (int k = 0; k < np; k++)
    for (int s = 0; s < SK_N; s++) L->skipped[s] += ps[k]->skipped[s];
  L->loaded = t->n - L->first_row;
  world_changed(h);
}

/* ---- ISO 3166 from Debian's iso-codes --------------------------------------------- */

/* A JSON string at *p (after its opening quote) into out; advances *p. */
static size_t json_str(const char **p, const char *end, char *out, size_t cap) {
  const char *s = *p;
  size_t o = 0;
  while (s < end && *s != '"') {
    unsigned c = (unsigned char)*s++;
    if (c == '\\' && s < end) {
      char e = *s++;
      if (e == 'u' && end - s >= 4) {
        unsigned u = 0;
        for (int i = 0; i < 4; i++) {
          char d = *s++;
          u = u * 16 + (unsigned)(d >= '0' && d <= '9' ? d - '0' : d >= 'a' && d <= 'f' ? d - 'a' + 10 : d >= 'A' && d <= 'F' ? d - 'A' + 10 : 0);
        }
        char b[3]; int m;
        if (u < 0x80) { b[0] = (char)u; m = 1; }
        else if (u < 0x800) { b[0] = (char)(0xC0 | (u >> 6)); b[1] = (char)(0x80 | (u & 0x3F)); m = 2; }
        else { b[0] = (char)(0xE0 | (u >> 12)); b[1] = (char)(0x80 | ((u >> 6) & 0x3F)); b[2] = (char)(0x80 | (u & 0x3F)); m = 3; }
        for (int i = 0; i < m; i++) if (o < cap) out[o++] = b[i];
        continue;
      }
      c = (unsigned char)(e == 'n' ? '\n' : e == 't' ? '\t' : e);
    }
    if (o < cap) out[o++] = (char)c;
  }
  if (s < end) s++;
  *p = s;
  return o;
}

/* `load partners from iso3166`: every country of ISO 3166-1 as a partner
** keyed by alpha-3, with name, alpha2 and numeric (and official_name or
** common_name where the standard gives them). */
static void load_iso3166(H *h, Load *L) {
  const char *path = ISO3166_JSON;
  /* files are a capability: a host that denies them denies this one too */
  files_require(h, L->stmt->loc, 4, "load", "iso3166");
  char err[512];
  int fd = hfile_open(path, path, err, sizeof err);
  if (fd < 0) hx_error_at(h, L->stmt->loc, "%s: install Debian's iso-codes package (make deps)", err);
  size_t len = 0;
  int oom = 0;
  char *text = hfile_read_all(fd, path, 16u << 20, hx_hook, h, &len, err, sizeof err, &oom);
  close(fd);
  if (!text) hx_error_status(h, oom ? HEDGE_EMEMORY : HEDGE_ERROR, L->stmt->loc, "%s", err);
  L->text = text; L->textcap = len + 1;
  Buf b = {text, len, len + 1};
  World *w = h->world;
  HStr *f_a2 = hx_intern_c(h, "alpha2"), *f_num = hx_intern_c(h, "numeric");
  HStr *f_off = hx_intern_c(h, "official_name"), *f_com = hx_intern_c(h, "common_name");
  const char *end = b.p + b.n;
  const char *s = b.n ? memchr(b.p, '[', b.n) : NULL;   /* { "3166-1": [ {...}, ... ] } */
  s = s ? s + 1 : end;
  int count = 0;
  while (s < end) {
    const char *o = memchr(s, '{', (size_t)(end - s));
    if (!o) break;
    s = o + 1;
    char a2[8] = "", a3[8] = "", num[8] = "", name[256] = "", off[256] = "", com[256] = "";
    size_t la2 = 0, la3 = 0, lnum = 0, lname = 0, loff = 0, lcom = 0;
    while (s < end && *s != '}') {
      if (*s != '"') { s++; continue; }
      s++;
      char k[32];
      size_t kl = json_str(&s, end, k, sizeof k - 1);
      k[kl] = 0;
      while (s < end && *s != '"' && *s != '}') s++;
      if (s >= end || *s == '}') break;
      s++;
      char v[256];
      size_t vl = json_str(&s, end, v, sizeof v - 1);
      v[vl] = 0;
      if (!strcmp(k, "alpha_2")) { memcpy(a2, v, (la2 = vl < 7 ? vl : 7)); }
      else if (!strcmp(k, "alpha_3")) { memcpy(a3, v, (la3 = vl < 7 ? vl : 7)); }
      else if (!strcmp(k, "numeric")) { memcpy(num, v, (lnum = vl < 7 ? vl : 7)); }
      else if (!strcmp(k, "name")) { memcpy(name, v, (lname = vl)); }
      else if (!strcmp(k, "official_name")) { memcpy(off, v, (loff = vl)); }
      else if (!strcmp(k, "common_name")) { memcpy(com, v, (lcom = vl)); }
    }
    if (!la3) continue;
    HStr *code = hx_intern(h, a3, la3);
    Global *g = global_find(h, code);
    if (g) {
      char lb[256];
      hx_error_at(h, L->stmt->loc, "iso3166 declares %s, which is already declared (at %s): load iso3166 first, then add fields with `update`", code->s, hx_locstr(h, g->loc, lb, sizeof lb));
    }
    uint32_t row = world_add(h, K_PARTNER, code, L->stmt->loc);
    global_add(h, code, G_ENTITY, v_ent(K_PARTNER, (int32_t)row), L->stmt->loc);
    if (lname) world_set_attr(h, K_PARTNER, row, w->f_name, v_str(hx_intern(h, name, lname)));
    if (la2) world_set_attr(h, K_PARTNER, row, f_a2, v_str(hx_intern(h, a2, la2)));
    if (lnum) {
      double d;
      if (csv_parse_double(num, lnum, &d)) world_set_attr(h, K_PARTNER, row, f_num, v_num(d));
    }
    if (loff) world_set_attr(h, K_PARTNER, row, f_off, v_str(hx_intern(h, off, loff)));
    if (lcom) world_set_attr(h, K_PARTNER, row, f_com, v_str(hx_intern(h, com, lcom)));
    count++;
  }
  if (count < 200) hx_error_at(h, L->stmt->loc, "%s holds %d countries, not the ISO 3166 list (is iso-codes installed whole?)", path, count);
  L->loaded = (uint32_t)count;
  world_changed(h);
}

/* ---- skipped rows, reported by check and run ------------------------------------- */

static const char *skip_reason(int s, int kind) {
  static const char *const deal[] = {"missing exporter", "missing importer", "missing commodity", "missing value", "missing date", "missing term"};
  static const char *const loan[] = {"missing lender", "missing borrower", "missing commodity", "missing principal", "missing start", "missing term"};
  if (s == SK_WHERE) return "where";
  if (s == SK_UNMAPPED) return "unmapped code";
  int r = s - SK_MISSING;
  if (r < C_ENT_A || r > C_TERM) return "missing field";
  if (kind == K_LOAN) return loan[r - C_ENT_A];
  return deal[r - C_ENT_A];
  return "missing field";
}

static void note_skips(H *h, Load *L) {
  long long total = 0;
  for (int s = 0; s < SK_N; s++) total += L->skipped[s];
  if (!total) return;
  LoadNote note;
  memset(&note, 0, sizeof note);
  note.file = hx_intern_c(h, L->shown);
  note.loc = L->stmt->loc;
  note.loaded = L->loaded;
  for (int s = 0; s < SK_N && note.n < 8; s++) {
    if (!L->skipped[s]) continue;
    note.reason[note.n] = hx_intern_c(h, skip_reason(s, L->kind));
    note.count[note.n] = L->skipped[s];
    note.n++;
  }
  Program *pr = h->prog;
  vec_push(h, &pr->load_notes, note);
}

static void load_body(H *h, void *ud) {
  Load *L = ud;
  if (L->opt && L->opt->preset == LP_ISO3166) { load_iso3166(h, L); return; }
  open_csv(h, L);
  plan(h, L);
  load_rows(h, L);
  note_skips(h, L);
}

void exec_load(H *h, Node *s) {
  Load L;
  memset(&L, 0, sizeof L);
  L.stmt = s;
  h->here = s->loc;   /* memory errors during the load point here */
  L.opt = s->u.load.opt;
  L.kind = s->u.load.ekind;
  L.fy_start = h->world->fy_start;
  L.shown = s->u.load.path->s;
  if (L.opt) {
    L.sep = L.opt->sep;
    L.decimal = L.opt->decimal;
    L.thousands = L.opt->thousands;
    L.declare = L.opt->declare;
    if (L.decimal && L.decimal == L.thousands) hx_error_at(h, s->loc, "decimal: and thousands: cannot be the same character");
    if (L.sep && (L.sep == L.decimal || L.sep == L.thousands)) {
      /* allowed: such numbers are quoted in the file */
    }
  }
  if (!L.opt || L.opt->preset != LP_ISO3166) {
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
  }
  for (int k = 0; k < K_NKINDS; k++) L.first_n[k] = h->world->t[k].n;
  L.first_row = h->world->t[L.kind].n;
  void *saved_row = h->load_row;
  h->load_row = &L;
  int st = hx_pcall(h, load_body, &L);
  h->load_row = saved_row;
  csv_close(L.csv);
  for (int k = 0; k < 2; k++) {
    codemap_free(h, &L.codes[k]);
    hx_hook(h, L.side[k].p, L.side[k].cap, 0);
  }
  if (L.serial) newcodes_free(L.serial);
  if (L.halves) for (int k = 0; k < 2; k++) { Half *hv = L.halves; newcodes_free(&hv[k].part); csv_close(hv[k].part.csv); }
  if (L.text) hx_free(h, L.text, L.textcap);
  if (st != HEDGE_OK) {
    /* nothing from this file stays: cut the tables back (the caller's
    ** boundary also rolls back the globals it declared) */
    for (int k = 0; k < K_NKINDS; k++) world_truncate(h, k, L.first_n[k]);
    world_changed(h);
    hx_throw(h, st);
  }
}
