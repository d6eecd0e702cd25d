/*
** load.c: the reader of `load KIND from "FILE.csv" { MAPPING }` (SPEC
** section 10): opening the file, the row parser and the two threads of a
** parallel load. The plain column-to-field path and the scanner that
** converts cells while tokenising (the hot path of every plain load) are
** loadscan.c's. The mapping (computed fields, where:, missing tokens, wide tables,
** codes from other schemes, the presets `as baci` and iso3166) is planned
** by loadmap.c; what the two share is in loadint.h.
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
** reported by check and run (loadmap_note_skips).
**
** In order: the code maps, attribute texts and bad rows, a reader's part
** (errors, new codes), the cells, the row (load_fill_row), the file, parallel
** loading, the rows, and the load statement itself (load_exec).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "eval.h"
#include "prog.h"
#include "csv.h"
#include "date.h"
#include "utf8.h"
#include "load.h"
#include "loadint.h"
#include "loadmap.h"
#include "files.h"
#include "pack.h"

/* Entities a load declares get provisional ids at or above PROV_BASE while
** the rows are read (a worker thread cannot add to the world); they are
** declared in file order and patched once the rows are in. */
#define PROV_BASE 0xF0000000u

/* ---- the code maps --------------------------------------------------------------- */

/* Builds the code map of the live entities of kind: every name, open addressing
** at most half full. */
void load_codemap_build(H *h, CodeMap *m, int kind) {
  Table *t = &h->world->t[kind];
  uint32_t cap = 64;
  while (cap < t->n * 2 + 2) cap *= 2;
  m->slots = mem_alloc(h, cap * sizeof(CodeSlot));
  for (uint32_t i = 0; i < cap; i++) m->slots[i] = (CodeSlot){0, UINT32_MAX, 0};
  m->cap = cap;
  m->kind = kind;
  for (uint32_t r = 0; r < t->n; r++) {
    HStr *name = t->names[r];
    if (!name || !world_alive(h->world, kind, r)) continue;
    uint64_t key = name->len <= 8 ? pack8(name->s, name->len) : name->hash;
    uint32_t i = slot_of(key, name->len, cap);
    while (m->slots[i].row != UINT32_MAX) i = (i + 1) & (cap - 1);
    m->slots[i] = (CodeSlot){key, r, (uint32_t)name->len};
  }
}

/* Frees a code map (one never built is left alone). */
static void codemap_free(H *h, CodeMap *m) {
  if (!m->cap) return;
  mem_free(h, m->slots, m->cap * sizeof(CodeSlot));
  m->cap = 0;
}

/* The entity row of code s[0..n), or NO_ROW; a map never built finds nothing. */
uint32_t load_codemap_find(H *h, CodeMap *m, const char *s, size_t n) {
  if (!m->cap) return NO_ROW;
  return codemap_probe(h, m, n <= 8 ? pack8(s, n) : mem_hash(s, n), s, n);
}

/* ---- attribute texts and bad rows ------------------------------------------------ */

/* Appends one text (varint length, bytes), growing through the Side's own hook.
** Returns 0, or -1 when out of memory. */
int load_side_put(Side *s, const char *x, size_t len) {
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

/* The length of the text at *pos (its bytes follow); advances *pos past the length. */
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
int load_bad_text(const char *p, size_t n, int code, char *why, size_t whylen) {
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

/* Quotes row f[0..n) into q for a message, the caret under column col (-1: none):
** control bytes shown as '?', whole UTF-8 characters only. */
void load_quote_row(RowQuote *q, CsvField *f, int n, int col) {
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

/* Raises "FILE:LINE: error: ..." for the load's current line, with the quoted row
** (L->quote) and its caret under it, and a note at the load statement. */
_Noreturn void load_row_error(H *h, Load *L, const char *fmt, ...) {
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

/* A cell's text for a message: at most 60 bytes, control bytes shown as '?'. */
void load_quote(char *out, size_t n, const char *p, size_t len) {
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

/* ---- a reader's part: errors ----------------------------------------------------- */

/* Marks the current row of p failed with this message, at its line and column (the
** first failure of a row wins). Returns -1, what the row's callers return. */
int load_part_fail(Part *p, const char *fmt, ...) {
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

/* The current row failed for want of memory: the load stops (not a bad row). */
int load_part_oom(Part *p) {
  if (!p->failed) p->oom = 1;
  return load_part_fail(p, "out of memory (keeping the text of the attribute columns)");
}

/* Checks an attribute cell's text (load_bad_text); -1 with the row failed. */
static int text_field(Part *p, int col, CsvField *f) {
  char why[160];
  if (!load_bad_text(f->p, f->len, 0, why, sizeof why)) return 0;
  return load_part_fail(p, "column '%s': %s", p->L->header[col]->s, why);
}

/* A row that keeps its slot but not its cells (skipped or bad, in a
** parallel half): an empty text for each attribute column, so the texts of
** the rows after it stay in step. */
static int side_blank(Part *p) {
  Load *L = p->L;
  for (int i = 0; i < L->ncols; i++)
    if (L->cols[i].role == C_ATTR && !L->cols[i].has_unit && load_side_put(p->side, "", 0)) return load_part_oom(p);
  return 0;
}

/* Records the failed row (p->err) among the bad rows; the reading goes on. */
static void part_bad_row(Part *p, CsvField *f, int n) {
  if (p->nbad < HX_LOAD_BAD_ROWS) {
    BadRow *b = &p->bad[p->nbad++];
    b->line = p->err_line;
    snprintf(b->msg, sizeof b->msg, "%s", p->err);
    if (f) load_quote_row(&b->q, f, n, p->err_col); else b->q.len = 0;
  }
  p->total_bad++;
  p->failed = 0;
}

/* A code that maps to nothing: remembered by code (the first lines). */
static int part_unmapped(Part *p, const char *s, size_t n) {
  p->total_unm++;
  char c[48];
  load_quote(c, sizeof c, s, n);
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

/* Grows *ptr (through the part's hook) to hold need bytes; -1 when out of memory. */
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
  uint32_t hsh = mem_hash(s, n);
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
      uint32_t i = mem_hash(c->bytes + c->off[k], c->len[k]) & (ns - 1);
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

/* Frees what a part holds: the new codes of both kinds it recorded and
** its split row (split_line). */
static void part_free(Part *p) {
  if (p->rowcap) p->alloc(p->aud, p->rowf, (size_t)p->rowcap * sizeof(CsvField), 0);
  p->rowf = NULL;
  p->rowcap = 0;
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
int load_is_missing(const Load *L, const CsvField *f, int takes_tokens) {
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

/* Fails the row on an unknown code, with the nearest name (by initials first:
** UAE -> ARE, then by spelling); via says through which table it was mapped. */
static int unknown_entity(H *h, Part *p, int want, const char *what, const char *s, size_t n, const char *via) {
  char q[80];
  load_quote(q, sizeof q, s, n);
  Suggest sg;
  suggest_init(&sg, s, n);
  Table *t = &h->world->t[want];
  for (uint32_t i = 0; i < t->n; i++) if (t->names[i]) suggest_try(&sg, t->names[i]->s);
  const char *best = world_suggest_by_name(h, want, s, n);   /* UAE -> ARE first */
  if (!best) best = sg.best;
  if (best) return load_part_fail(p, "unknown %s '%s' in column '%s'%s (did you mean %s?)", kind_names[want], q, what, via, best);
  return load_part_fail(p, "unknown %s '%s' in column '%s'%s", kind_names[want], q, what, via);
}

/* The entity row of a code (or a provisional id under declare:); -1 with
** the row failed, -2 unmapped (counted), 1 missing (the row is skipped). */
int load_code_entity(H *h, Part *p, int want, const ColMap *c, const char *what, const char *s, size_t n, uint32_t *out) {
  Load *L = p->L;
  char pbuf[40];
  if (c && c->pad) s = pad_code(c, s, &n, pbuf);
  if (c && c->via) {
    uint32_t i = loadmap_via_find(c->via, s, n);
    if (i == UINT32_MAX || !c->via->to[i]) {
      if (L->opt && L->opt->unmapped_skip) { p->skipped[SK_UNMAPPED]++; return 2; }
      return part_unmapped(p, s, n);
    }
    if (c->via->rows[i] != NO_ROW) { *out = c->via->rows[i]; return 0; }
    HStr *to = c->via->to[i];
    if (L->declare & (1 << want)) {
      if (newcode_id(p, want, to->s, to->len, i, out)) return load_part_fail(p, "out of memory for new %s", kind_plural[want]);
      p->nc[want].via = c->via;
      return 0;
    }
    char via[160];
    snprintf(via, sizeof via, " (from '%.40s' via %s)", s, c->via->what);
    return unknown_entity(h, p, want, what, to->s, to->len, via);
  }
  uint32_t r = load_codemap_find(h, &L->codes[want], s, n);
  if (r != NO_ROW) { *out = r; return 0; }
  if (n == 0) {
    if (L->has_missing) return 1;
    return load_part_fail(p, "column '%s' is empty (a %s code is needed)", what, kind_names[want]);
  }
  if (L->declare & (1 << want)) {
    if (n > HX_MAX_NAME) return load_part_fail(p, "column '%s': a name of %zu bytes is too long", what, n);
    if (newcode_id(p, want, s, n, UINT32_MAX, out)) return load_part_fail(p, "out of memory for new %s", kind_plural[want]);
    return 0;
  }
  return unknown_entity(h, p, want, what, s, n, "");
}

/* The entity of a code cell of column c (see load_code_entity). */
static int entity_field(H *h, Part *p, ColMap *c, CsvField *f, uint32_t *out) {
  return load_code_entity(h, p, c->want, c, p->L->header[p->cur_col]->s, f->p, f->len, out);
}

/* A number cell of column col in the load's style; -1 with the row failed. */
int load_number_field(Part *p, int col, CsvField *f, double *out) {
  if (parse_num(p->L, f->p, f->len, out)) return 0;
  char q[80];
  load_quote(q, sizeof q, f->p, f->len);
  return load_part_fail(p, "column '%s': '%s' is not a number", p->L->header[col]->s, q);
}

/* A year (2025) or an ISO date (2025-10, 2025-10-15) in text; 0 if neither. */
int load_parse_date_text(int fy, const char *s, size_t n, int32_t *days, uint8_t *prec, int32_t *year) {
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
  if (load_parse_date_text(p->L->fy_start, f->p, f->len, days, prec, year)) return 0;
  char q[80];
  load_quote(q, sizeof q, f->p, f->len);
  return load_part_fail(p, "column '%s': '%s' is not a year or a date (2025, 2025-10, 2025-10-15)", p->L->header[col]->s, q);
}

/* ---- the row -------------------------------------------------------------------- */

/* The value of a cell for `row.NAME`: nil when missing, a number where it
** reads as one, else a string. Called by eval (N_CELL) during a load. */
Value load_cell(H *h, int col, Loc loc) {
  Load *L = h->load_row;
  if (!L || !L->cur || col < 0 || col >= L->ncur) hx_error_at(h, loc, "row is only known while a file loads");
  CsvField *f = &L->cur[col];
  if (load_is_missing(L, f, L->cols[col].missing)) return v_nil();
  double d;
  if (parse_num(L, f->p, f->len, &d)) return v_num(d);
  return v_str(mem_intern(h, f->p, f->len));
}

/* Every column of row r but the key: reads only the world's code maps and
** writes only row r, so two threads may fill disjoint rows at once (loads
** with computed fields run in one thread). Returns 0, -1 (the row failed:
** p->err), -2 (an unmapped code, counted) or 1 (skipped on purpose). */
int load_fill_row(H *h, Part *p, Table *t, uint32_t r, CsvField *f) {
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
        if (load_is_missing(L, x, c->missing)) {
          if (L->has_missing) { rc = 1; goto out; }
          return load_part_fail(p, "column '%s' is empty (a %s needs it)", L->header[col]->s, kind == K_DEAL ? "deal's value" : "loan's principal");
        }
        if (load_number_field(p, col, x, &v)) return -1;
        v *= c->factor;
        if (kind == K_LOAN && v < 0) return load_part_fail(p, "column '%s': a principal cannot be negative", L->header[col]->s);
        t->value[r] = v;
        break;
      case C_DATE:
        if (!load_is_missing(L, x, c->missing) && date_field(p, col, x, &t->date[r], &t->prec[r], &t->year[r])) return -1;
        break;
      case C_TERM:
        if (!load_is_missing(L, x, c->missing)) {
          if (load_number_field(p, col, x, &v)) return -1;
          v *= c->factor;
          if (!(v > 0)) return load_part_fail(p, "column '%s': a loan's term must be positive", L->header[col]->s);
          t->term[r] = v;
        }
        break;
      case C_ATTR: {
        /* the text is kept until the end of the load: if the column turns
        ** out not to be all numbers, its values are strings (a missing
        ** cell keeps an empty text: nil) */
        int miss = load_is_missing(L, x, c->missing);
        if (!c->has_unit && load_side_put(p->side, x->p, miss ? 0 : x->len)) return load_part_oom(p);
        if (miss) break;   /* missing: nil */
        if (p->textual[i]) { if (text_field(p, col, x)) return -1; break; }
        if (parse_num(L, x->p, x->len, &v)) { t->cols.p[c->attr].nums[r] = v * (c->has_unit ? c->factor : 1); break; }
        if (c->has_unit) {
          char q[80];
          load_quote(q, sizeof q, x->p, x->len);
          return load_part_fail(p, "column '%s': '%s' is not a number", L->header[col]->s, q);
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
  if (L->has_wide) {   /* the cell of this row's entity in a wide table */
    int rc = loadmap_wide_cell(p, t, r, f);
    if (rc) return rc;
  }
  if (L->ncomp) {   /* computed fields */
    int rc = loadmap_computed(h, p, t, r);
    if (rc) return rc;
  }
  if ((kind == K_DEAL || kind == K_LOAN) && t->a[r] == t->b[r]) {
    const char *nm = t->a[r] >= PROV_BASE ? "a new code" : h->world->t[K_PARTNER].names[t->a[r]]->s;
    return load_part_fail(p, "%s and %s are both '%s'", kind == K_DEAL ? "exporter" : "lender", kind == K_DEAL ? "importer" : "borrower", nm);
  }
  return 0;
}

/* ---- the file -------------------------------------------------------------------- */

/* Opens the file once: everything the load reads comes from this one
** descriptor (the parallel halves and the pre-pass pread it too). */
static void open_csv(H *h, Load *L) {
  char err[512];
  int fd = files_open(h, L->path, L->shown, L->stmt->loc, "load");
  L->csv = csv_open_fd(fd, 1, CSV_DEFAULT_BUFSIZE, mem_hook, h, err, sizeof err);
  if (!L->csv) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "cannot open '%s': out of memory", L->shown);
  csv_set_max_record(L->csv, h->max_record);
  if (L->sep) csv_set_separator(L->csv, L->sep);
}

/* Stops a long load on hedge_interrupt or the step limit (a load charges
** a step per row and per header column). */
void load_check(H *h, Load *L) {
  if (atomic_load(&h->interrupted)) {
    h->fatal = 1;
    hx_error_status(h, HEDGE_EINTERRUPT, L->stmt->loc, "interrupted while loading '%s' (nothing from it was loaded)", L->shown);
  }
  if ((h->max_steps && h->steps > h->max_steps) || eval_time_up(h)) eval_limit_error(h, L->stmt->loc);
}

/* The reader's "LINE: what" as "FILE:LINE: error: what". */
static void csv_message(H *h, Load *L, const char *err) {
  const char *colon = strstr(err, ": ");
  h->err.n = 0;
  if (colon) buf_printf(h, &h->err, "%s:%.*s: error: %s", L->shown, (int)(colon - err), err, colon + 2);
  else buf_printf(h, &h->err, "%s: error: %s", L->shown, err);
}

/* Raises the reader's error err ("LINE: what") as the load's. */
static _Noreturn void reader_error(H *h, Load *L, const char *err) {
  csv_message(h, L, err);
  hx_error_note(h, L->stmt->loc, "while loading this file (nothing from it was loaded)");
  hx_throw(h, strstr(err, "out of memory") ? HEDGE_EMEMORY : HEDGE_ERROR);
}

/* The next record of the file (its field count, 0 at the end); a reader error
** (bad quoting, a record too long, out of memory) raises. */
int load_next_row(H *h, Load *L, CsvField **f) {
  char err[512];
  int n = csv_next(L->csv, f, &L->line, err, sizeof err);
  if (n < 0) reader_error(h, L, err);
  return n;
}

/* ---- parallel loading ---------------------------------------------------------
** A large file of deals or loans (no key column, no quotes) is read by two
** threads at once: a pre-pass counts the rows of each half (split at a line
** start), the table is sized for them, and each thread fills its own rows
** with fill_row. Nothing in a worker allocates but its CSV reader, whose
** hook is serialised by a mutex; errors come back as the first in file
** order. hedge_Options.load_threads = 1 turns this off; 2 reads every such
** file without a quote in two halves, however small (for tests). */

#define PAR_MIN_BYTES (8u << 20)

typedef struct LockedHook { H *h; pthread_mutex_t mu; } LockedHook;

/* The state's hook under a mutex: what a worker thread allocates with. */
static void *locked_hook(void *ud, void *ptr, size_t osize, size_t nsize) {
  LockedHook *lh = ud;
  pthread_mutex_lock(&lh->mu);
  void *r = mem_hook(lh->h, ptr, osize, nsize);
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
  Rows rw = {NULL, NULL, 0, 0, L->scan != NULL};
  for (;;) {
    if (rw.s < rw.e && r < end) {
      /* rows in their common form, converted as they are read */
      uint32_t k = loadscan_rows(w->h, p, w->t, r, end - r < 4096 ? end - r : 4096, &rw);
      r += k;
      if (k) {
        if (atomic_load(&w->h->interrupted)) { p->interrupted = 1; return; }   /* Ctrl-C in a long load */
        continue;
      }
    }
    n = loadscan_next_row(p, &rw, &f, err, sizeof err);
    if (n == ROWS_SPAN) continue;
    if (n == 0) break;
    if (n < 0 && p->oom) return;   /* out of memory: the main thread raises it */
    if (n < 0) {
      w->csv_error = 1;
      load_part_fail(p, "%s", err);
      return;
    }
    if (n != L->nheader) {
      if (n == 1 && f[0].len == 0) continue;
      p->cur_col = -1;
      load_part_fail(p, "the row has %d field%s, the header has %d", n, n == 1 ? "" : "s", L->nheader);
      part_bad_row(p, f, n);
      if (r < end) { w->skip[r - w->first] = 1; side_blank(p); r++; }
      continue;
    }
    if (r >= end) { load_part_fail(p, "internal: more rows than the pre-pass counted"); w->csv_error = 1; return; }
    if ((r & 0xFFF) == 0 && atomic_load(&w->h->interrupted)) {   /* Ctrl-C in a long load */
      p->interrupted = 1;
      return;
    }
    size_t s0 = p->side->n;
    int rc;
    if (L->fast) rc = loadscan_fill_row_plain(w->h, p, w->t, r, f);
    else {
      world_row_defaults(w->t, L->kind, r);
      rc = load_fill_row(w->h, p, w->t, r, f);
    }
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
** split offset (a line start near the middle), the physical lines of each
** half (blank ones included: a half's reader skips those, and the rows it
** does not fill are compacted away) and the physical lines before the
** split. Returns 0 when the file should be read serially. */
typedef struct Plan2 { long long split; uint32_t rows1, rows2; long lines1; } Plan2;

/* The newlines in [p, p + n): 16 bytes a step with SSE2 (compare, then
** subtract the all-ones bytes from byte counters, summed every 255 steps). */
static uint64_t count_newlines(const char *p, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
  while (n - i >= 16) {
    size_t steps = (n - i) / 16;
    if (steps > 255) steps = 255;
    __m128i acc = zero;
    size_t k = 0;
    for (; k + 4 <= steps; k += 4, i += 64) {   /* four at a time: the loop's own steps are a quarter */
      __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), nl);
      __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 16)), nl);
      __m128i c2 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 32)), nl);
      __m128i d = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 48)), nl);
      acc = _mm_sub_epi8(acc, _mm_add_epi8(_mm_add_epi8(a, b), _mm_add_epi8(c2, d)));
    }
    for (; k < steps; k++, i += 16)
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), nl));
    __m128i sum = _mm_sad_epu8(acc, zero);
    c += (uint64_t)_mm_cvtsi128_si64(sum) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
  }
#endif
  for (; i < n; i++) c += p[i] == '\n';
  return c;
}

/* See Plan2 above. */
static int prepass(H *h, int fd, long long start, long long size, Plan2 *pl) {
  size_t cap = 1u << 20;
  char *buf = mem_try_alloc(h, cap);
  if (!buf) return 0;
  long long mid = start + (size - start) / 2, last_nl = start - 1;
  uint64_t lines1 = 0, lines2 = 0;
  int ok = 1;
  pl->split = -1;
  /* the header too must hold no quote: it is one physical line then */
  for (long long off = 0; off < size && ok;) {
    if (atomic_load(&h->interrupted)) { ok = 0; break; }   /* the serial read then stops */
    ssize_t n = pread(fd, buf, cap, (off_t)off);
    if (n <= 0) { ok = 0; break; }
    if (memchr(buf, '"', (size_t)n)) { ok = 0; break; }
    const char *end = buf + n, *q = buf;
    if (off < start) q = buf + (start - off < n ? start - off : n);
    if (q < end) {
      if (pl->split < 0 && off + n > mid - 1) {
        /* the split: after the first newline at or after mid - 1 */
        const char *from = buf + (mid - 1 > off ? mid - 1 - off : 0);
        if (from < q) from = q;
        const char *nl = memchr(from, '\n', (size_t)(end - from));
        if (nl) {
          lines1 += count_newlines(q, (size_t)(nl + 1 - q));
          pl->split = off + (nl + 1 - buf);
          q = nl + 1;
        }
      }
      uint64_t c = count_newlines(q, (size_t)(end - q));
      if (pl->split < 0) lines1 += c; else lines2 += c;
      const char *ln = csv_last_newline(buf, end);
      if (ln) last_nl = off + (ln - buf);
    }
    off += n;
  }
  if (ok && last_nl + 1 < size) {   /* a last line without a newline */
    if (pl->split < 0) lines1++; else lines2++;
  }
  mem_free(h, buf, cap);
  if (!ok || pl->split < 0 || pl->split >= size || lines1 + lines2 >= 0xfffffff0ULL) return 0;
  pl->rows1 = (uint32_t)lines1;
  pl->rows2 = (uint32_t)lines2;
  pl->lines1 = (long)lines1;
  return 1;
}

/* Reads the rows in two halves at once; 0 when the file does not qualify
** (then the caller reads it serially). */
static int load_parallel(H *h, Load *L) {
  int kind = L->kind;
  if (h->load_threads == 1 || (kind != K_DEAL && kind != K_LOAN) || L->evaluates) return 0;
  int forced = h->load_threads == 2;   /* two threads at any size (tests) */
  if (!forced && sysconf(_SC_NPROCESSORS_ONLN) < 2) return 0;
  long long header_end, size;
  if (!csv_progress(L->csv, &header_end, &size) || (!forced && size - header_end < PAR_MIN_BYTES)) return 0;
  Plan2 pl;
  if (!prepass(h, csv_fd(L->csv), header_end, size, &pl)) return 0;
  /* a step per row, charged up front: the threads cannot raise */
  h->steps += (uint64_t)pl.rows1 + pl.rows2;
  load_check(h, L);
  Table *t = &h->world->t[kind];
  world_table_reserve(h, kind, L->first_row + pl.rows1 + pl.rows2);
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
    for (int k = 0; k < 2; k++) { L->side[k].alloc = mem_hook; L->side[k].ud = h; }
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
  for (int k = 0; k < 2; k++) { w[k].part.alloc = mem_hook; w[k].part.aud = h; }
  for (int k = 0; k < 2; k++) { L->side[k].alloc = mem_hook; L->side[k].ud = h; }   /* lh is gone */
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
    if (!p->total_bad && !p->total_unm && w[k].got > w[k].expect) load_row_error(h, L, "internal: the halves of the file disagree on their rows");
    if (!p->total_bad && !p->total_unm && w[k].got < w[k].expect) {
      /* blank lines: the pre-pass counted every line, the rows not filled are compacted away */
      for (uint32_t i = w[k].got; i < w[k].expect; i++) w[k].skip[i] = 1;
      w[k].nskip += w[k].expect - w[k].got;
      h->steps -= w[k].expect - w[k].got;
    }
  }
  t->n = L->first_row + pl.rows1 + pl.rows2;
  for (int i = 0; i < L->ncols; i++) L->textual[i] = w[0].part.textual[i] | w[1].part.textual[i];
  return 1;
}

/* ---- the rows ---------------------------------------------------------------- */

/* Reports how far a load that has taken over a second is (rows so far: up
** to row nextrow); sets *reporting once it has said something. */
static void load_progress(H *h, Load *L, const struct timespec *t0, uint32_t nextrow, int *reporting) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double el = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
  long long done, total;
  if (el > 1.0 && csv_progress(L->csv, &done, &total) && total > 0) {
    *reporting = 1;
    h->progress(h->progress_ud, L->shown, (long)(nextrow - L->first_row), (double)done / (double)total, 0);
  }
}

/* Reads every row in this thread: the key column (partners, commodities),
** the where: filter, then fill_row for each entity of the row (one per column
** of a wide table); charges a step per row and reports progress after a second. */
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
  P->alloc = mem_hook;
  P->aud = h;
  L->side[0].alloc = mem_hook;
  L->side[0].ud = h;
  L->side[0].first = L->first_row;
  L->nside = 1;
  P->side = &L->side[0];
  int nout = L->has_wide ? L->wide.n : 1;
  long rows_read = 0;
  Rows rw = {NULL, NULL, 0, 0, L->scan != NULL};
  char err[512];
  for (;;) {
    if (rw.s < rw.e) {
      /* rows in their common form, converted as they are read */
      if (sized && nextrow == L->first_row) {
        /* size the columns once from the first line's length (below) */
        const char *nl = memchr(rw.s, '\n', (size_t)(rw.e - rw.s));
        long long len = (nl ? nl + 1 : rw.e) - rw.s, est = total / len;
        est += est / 10 + 16;
        if (est > 0 && est < 0x7fffffffLL && (uint64_t)t->n + (uint64_t)est < 0xfffffff0ULL)
          world_table_reserve(h, kind, t->n + (uint32_t)est);
        sized = 0;
      }
      if (nextrow >= t->cap) world_table_reserve(h, kind, nextrow + 1);
      uint32_t lim = t->cap - nextrow < 1024 ? t->cap - nextrow : 1024;
      uint32_t k = loadscan_rows(h, P, t, nextrow, lim, &rw);
      if (k) {
        nextrow += k;
        t->n = nextrow;
        long was = rows_read;
        rows_read += k;
        h->steps += k;
        load_check(h, L);
        if (h->progress && (rows_read >> 16) != (was >> 16)) load_progress(h, L, &t0, nextrow, &reporting);
        continue;
      }
    }
    n = loadscan_next_row(P, &rw, &f, err, sizeof err);
    if (n == ROWS_SPAN) continue;
    if (n == 0) break;
    if (n < 0) {
      if (P->oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s'", L->shown);
      reader_error(h, L, err);
    }
    L->line = P->line;
    if (sized && nextrow == L->first_row && csv_progress(L->csv, &after, &total) && after > before) {
      /* size the columns once from the first row's length: no copying as
      ** a million rows arrive (10% slack; growth still works past it) */
      long long est = total / (after - before) * nout;
      est += est / 10 + 16;
      if (est > 0 && est < 0x7fffffffLL && (uint64_t)t->n + (uint64_t)est < 0xfffffff0ULL)
        world_table_reserve(h, kind, t->n + (uint32_t)est);
    }
    rows_read++;
    h->steps++;
    if ((rows_read & 0x3FF) == 0x3FF) load_check(h, L);
    if (h->progress && (rows_read & 0xFFFF) == 0xFFFF) load_progress(h, L, &t0, nextrow, &reporting);
    if (n != L->nheader) {
      if (n == 1 && f[0].len == 0) continue;
      P->cur_col = -1;
      load_part_fail(P, "the row has %d field%s, the header has %d", n, n == 1 ? "" : "s", L->nheader);
      part_bad_row(P, f, n);
      continue;
    }
    L->cur = f;
    L->ncur = n;
    int kept = loadmap_row_kept(h, P);
    if (kept < 0) { part_bad_row(P, f, n); continue; }
    if (!kept) { P->skipped[SK_WHERE]++; continue; }
    for (int k = 0; k < nout; k++) {
      if (nextrow >= t->cap) world_table_reserve(h, kind, nextrow + 1);
      uint32_t r = nextrow;
      /* a fresh row: defaults, then the columns */
      if (!L->fast) world_row_defaults(t, kind, r);   /* the plain path writes the defaults it needs */
      t->n = r + 1;   /* visible to the code map only after the key is checked */
      int bad = 0;
      char why[160];
      size_t s0 = P->side->n;
      for (int i = 0; i < n && !bad; i++) {
        if (L->cols[i].role != C_KEY) continue;
        CsvField *x = &f[i];
        P->cur_col = i;
        if (x->len == 0) bad = load_part_fail(P, "column '%s' is empty: every %s needs a name", L->header[i]->s, kind_names[kind]);
        else if (x->len > HX_MAX_NAME) bad = load_part_fail(P, "column '%s': name too long", L->header[i]->s);
        else if (load_bad_text(x->p, x->len, 1, why, sizeof why)) bad = load_part_fail(P, "column '%s': %s", L->header[i]->s, why);
        else {
          HStr *name = mem_intern(h, x->p, x->len);
          Global *g = prog_global_find(h, name);
          if (g) {
            char lb[256];
            bad = load_part_fail(P, "'%s' is already declared (at %s)", name->s, hx_locstr(h, g->loc, lb, sizeof lb));
          } else {
            t->names[r] = name;
            Loc loc = {L->stmt->loc.src, L->stmt->loc.line, L->stmt->loc.col};
            prog_global_add(h, name, G_ENTITY, v_ent(kind, (int32_t)r), loc);
          }
        }
      }
      P->wk = k;
      int rc = bad ? -1 : L->fast ? loadscan_fill_row_plain(h, P, t, r, f) : load_fill_row(h, P, t, r, f);
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
  t->a[dst] = t->a[src]; t->b[dst] = t->b[src];
  if (t->c) t->c[dst] = t->c[src];   /* deals only */
  t->value[dst] = t->value[src]; t->date[dst] = t->date[src]; t->year[dst] = t->year[src];
  t->prec[dst] = t->prec[src];
  if (t->term) t->term[dst] = t->term[src];   /* loans only */
  for (uint32_t i = 0; i < t->cols.n; i++) {
    Column *c = &t->cols.p[i];
    if (c->is_num) { if (c->nums && src < c->cap) c->nums[dst] = c->nums[src]; }
    else if (c->vals && src < c->cap) c->vals[dst] = c->vals[src];
  }
}

/* The failing load's message: every bad row (up to HX_LOAD_BAD_ROWS) in
** file order, then "and N more", or the codes that mapped to nothing. */
_Noreturn static void load_raise_bad(H *h, Load *L, Part **ps, int np) {
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
      HStr *name = mem_intern(h, c->bytes + c->off[k], c->len[k]);
      Global *g = prog_global_find(h, name);
      if (g) {
        if (g->kind == G_ENTITY && g->value.kind == kind) { remap[kind][k] = (uint32_t)g->value.i; continue; }
        char lb[256];
        hx_error_at(h, L->stmt->loc, "'%s' names a %s in '%s' but is already declared as something else (at %s)", name->s, kind_names[kind], L->shown, hx_locstr(h, g->loc, lb, sizeof lb));
      }
      uint32_t row = world_add(h, kind, name, L->stmt->loc);
      prog_global_add(h, name, G_ENTITY, v_ent(kind, (int32_t)row), L->stmt->loc);
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
        Value *v = mem_alloc(h, (size_t)col->cap * sizeof(Value));
        for (uint32_t k = 0; k < t->n; k++) v[k] = (k < L->first_row && !isnan(col->nums[k])) ? v_qty(col->nums[k], col->dim) : v_nil();
        mem_free(h, col->nums, (size_t)col->cap * sizeof(double));
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
      if (r >= t->n) load_row_error(h, L, "internal: more attribute texts than rows");
      for (int i = 0; i < L->ncols; i++) {
        ColMap *c = &L->cols[i];
        if (c->role != C_ATTR || c->has_unit) continue;
        size_t len = side_get(sd, &pos);
        if (c->textual && len) t->cols.p[c->attr].vals[r] = v_str(mem_intern(h, sd->p + pos, len));
        pos += len;
      }
      if ((++h->steps & 0x3FF) == 0) load_check(h, L);
    }
  }
}

/* The rows of the file into the table: in two halves when load_parallel takes
** them, else serially; then the bad rows raise, new codes are declared, texts
** are given and the skips are added up. */
static void load_rows(H *h, Load *L) {
  World *w = h->world;
  int kind = L->kind;
  Table *t = &w->t[kind];
  L->textual = arena_alloc(h, &h->temp, (size_t)L->ncols);
  for (int i = 0; i < L->ncols; i++) L->textual[i] = (uint8_t)L->cols[i].textual;
  loadscan_plan_plain(h, L);
  loadscan_plan(h, L);
  L->serial = arena_alloc(h, &h->temp, sizeof(Part));
  memset(L->serial, 0, sizeof(Part));
  L->serial->alloc = mem_hook;
  L->serial->aud = h;
  Part *ps[2];
  int np;
  if (load_parallel(h, L)) {
    Half *hv = L->halves;
    ps[0] = &hv[0].part; ps[1] = &hv[1].part; np = 2;
    for (int k = 0; k < 2; k++)
      if (ps[k]->oom) hx_error_status(h, HEDGE_EMEMORY, L->stmt->loc, "out of memory while loading '%s'", L->shown);
    if (ps[0]->total_bad || ps[1]->total_bad || ps[0]->total_unm || ps[1]->total_unm) load_raise_bad(h, L, ps, 2);
    for (int k = 0; k < 2; k++) declare_new(h, L, ps[k], hv[k].first, hv[k].first + hv[k].got);
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
    if (ps[0]->total_bad || ps[0]->total_unm) load_raise_bad(h, L, ps, 1);
    declare_new(h, L, ps[0], L->first_row, t->n);
    load_texts(h, L);
  }
  for (int k = 0; k < np; k++)
    for (int s = 0; s < SK_N; s++) L->skipped[s] += ps[k]->skipped[s];
  L->loaded = t->n - L->first_row;
  world_changed(h);
}

/* The load under the protected boundary: ISO 3166, or open, plan, rows, notes. */
static void load_body(H *h, void *ud) {
  Load *L = ud;
  if (L->opt && L->opt->preset == LP_ISO3166) { loadmap_iso3166(h, L); return; }
  open_csv(h, L);
  loadmap_plan(h, L);
  load_rows(h, L);
  loadmap_note_skips(h, L);
}

/* See load.h. Frees everything the load held whatever happened; on failure cuts
** every table back to its size before the load and raises again. */
void load_exec(H *h, Node *s) {
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
    char *found = prog_find_file(h, s->loc.src, s->u.load.path->s, 0);
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
  /* a packed world answers the load from its mapping (pack.c) */
  if (h->pack && pack_replay(h, s)) return;
  PackMark pm;
  if (h->pack) pack_mark(h, &pm);
  for (int k = 0; k < K_NKINDS; k++) L.first_n[k] = h->world->t[k].n;
  L.first_row = h->world->t[L.kind].n;
  void *saved_row = h->load_row;
  h->load_row = &L;
  int st = hx_pcall(h, load_body, &L);
  h->load_row = saved_row;
  csv_close(L.csv);
  for (int k = 0; k < 2; k++) {
    codemap_free(h, &L.codes[k]);
    mem_hook(h, L.side[k].p, L.side[k].cap, 0);
  }
  if (L.serial) part_free(L.serial);
  if (L.halves) for (int k = 0; k < 2; k++) { Half *hv = L.halves; part_free(&hv[k].part); csv_close(hv[k].part.csv); }
  if (L.text) mem_free(h, L.text, L.textcap);
  if (st != HEDGE_OK) {
    /* nothing from this file stays: cut the tables back (the caller's
    ** boundary also rolls back the globals it declared) */
    for (int k = 0; k < K_NKINDS; k++) world_truncate(h, k, L.first_n[k]);
    world_changed(h);
    hx_throw(h, st);
  }
  if (h->pack) pack_load_done(h, s, &pm);
}
