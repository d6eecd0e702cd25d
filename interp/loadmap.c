/*
** loadmap.c: the mapping layer of a load, the part that meets real tables
** where they are (docs/data.md): the plan that decides the role of every
** column from the header and the mapping, computed fields `field: = EXPR`
** over `row.NAME`, `where:` filters, `missing:` tokens, wide tables
** (`each "FY*"`), codes mapped from other schemes (`via name`,
** `via "codes.csv" FROM -> TO`), entities declared from the data
** (`declare:`), the BACI layout (`as baci`), ISO 3166 (`load partners
** from iso3166`) and the notes on rows skipped on purpose. The reader
** (load.c) runs the plan over the rows; what the two share is in loadint.h.
**
** In order: codes from other schemes (Via), suggestions by name, computed
** fields and wide cells, where:, the plan, ISO 3166, skipped rows.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "eval.h"
#include "prog.h"
#include "resolve.h"
#include "units.h"
#include "csv.h"
#include "date.h"
#include "hfile.h"
#include "files.h"
#include "loadint.h"
#include "loadmap.h"

#define ISO3166_JSON "/usr/share/iso-codes/json/iso_3166-1.json"   /* Debian's iso-codes */

/* The role of a column that fills a built-in field, by where the world keeps
** the field (world.h's schema). */
static const int column_role[] = {
  [WC_NAME] = C_ATTR, [WC_A] = C_ENT_A, [WC_B] = C_ENT_B, [WC_C] = C_ENT_C, [WC_VALUE] = C_VALUE,
  [WC_DATE] = C_DATE, [WC_YEAR] = C_DATE, [WC_TERM] = C_TERM, [WC_ATTR] = C_ATTR};

/* ---- codes from other schemes ---------------------------------------------------
** A Via maps a foreign code (a name, an alpha-2 or numeric code, a BACI
** code) to the code of an entity. Keys are normalised the same way when the
** map is built and when a cell is looked up: spaces trimmed; all digits:
** leading zeros dropped ("004" is "4"); names: lower case, words sorted,
** "the", "of", "and" dropped ("Congo, The Democratic Republic of the" is
** "Democratic Republic of Congo"). */

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
    if (!world_stop_word(low + i, j - i)) { w[nw] = low + i; wl[nw] = j - i; nw++; }
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

/* An empty via table (in the temporary arena); what names it in messages. */
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

/* The slot of normalised key k: where it is, or the empty slot it would take. */
static uint32_t via_slot(Via *v, const char *k, size_t n) {
  uint32_t i = mem_hash(k, n) & (v->cap - 1);
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
  v->keys[i] = mem_intern(h, nk, kn);
  v->to[i] = to;
  v->names[i] = name;
  v->n++;
}

/* Resolves every target to its entity row (NO_ROW: not declared yet). */
static void via_finish(H *h, Via *v, CodeMap *m) {
  for (uint32_t i = 0; i < v->cap; i++)
    if (v->keys[i]) v->rows[i] = v->to[i] ? load_codemap_find(h, m, v->to[i]->s, v->to[i]->len) : NO_ROW;
}

/* The slot of a cell's key, or UINT32_MAX when the table has no such key. */
uint32_t loadmap_via_find(Via *v, const char *s, size_t n) {
  char nk[512];
  size_t kn = via_norm(v->by_name, s, n, nk, sizeof nk);
  uint32_t i = via_slot(v, nk, kn);
  return v->keys[i] ? i : UINT32_MAX;
}

/* ---- computed fields -------------------------------------------------------------- */

typedef struct EvalCtx { Node *expr; int nslots; Value out; } EvalCtx;

/* Evaluates e->expr into e->out (under hx_pcall). */
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
    return load_part_fail(p, "%s: %.*s", what, (int)(len > 300 ? 300 : len), m);
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
      if (v.tag == T_NIL) { if (L->has_missing) { p->skipped[SK_MISSING + c->role]++; return 1; } return load_part_fail(p, "%s: = ... gives nil (a %s is needed)", fn, kind_names[c->want]); }
      if (v.tag == T_ENT) {
        if (v.kind != c->want) return load_part_fail(p, "%s: = ... gives a %s, not a %s", fn, kind_names[v.kind], kind_names[c->want]);
        *dst = (uint32_t)v.i;
        return 0;
      }
      char nb[64]; const char *s; size_t n;
      if (v.tag == T_STR) { s = v.as.str->s; n = v.as.str->len; }
      else if (v.tag == T_NUM && v.as.num == floor(v.as.num) && fabs(v.as.num) < 1e15) { n = (size_t)snprintf(nb, sizeof nb, "%.0f", v.as.num); s = nb; }
      else return load_part_fail(p, "%s: = ... gives %s, not a %s or its code", fn, v_typename(h, v, b1, sizeof b1), kind_names[c->want]);
      int rc = load_code_entity(h, p, c->want, NULL, fn, s, n, dst);
      if (rc == 1) p->skipped[SK_MISSING + c->role]++;
      return rc > 0 ? 1 : rc;
    }
    case C_VALUE:
      if (v.tag == T_NIL) { if (L->has_missing) { p->skipped[SK_MISSING + C_VALUE]++; return 1; } return load_part_fail(p, "%s: = ... gives nil (a value is needed)", fn); }
      if (v.tag != T_QTY || v.dim != dim_money(h))
        return load_part_fail(p, "%s: = ... gives %s, not money (write it with a unit: = row.v * 1K USD)", fn, v_typename(h, v, b1, sizeof b1));
      if (L->kind == K_LOAN && v.as.num < 0) return load_part_fail(p, "%s: a principal cannot be negative", fn);
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
      if (v.tag == T_STR && load_parse_date_text(L->fy_start, v.as.str->s, v.as.str->len, &t->date[r], &t->prec[r], &t->year[r])) return 0;
      return load_part_fail(p, "%s: = ... gives %s, not a year or a date", fn, v_typename(h, v, b1, sizeof b1));
    }
    case C_TERM:
      if (v.tag == T_NIL) return 0;
      if (v.tag != T_QTY || v.dim != dim_time(h) || !(v.as.num > 0)) return load_part_fail(p, "%s: = ... must be a positive time (years)", fn);
      t->term[r] = v.as.num;
      return 0;
    default:
      if (v.tag == T_NIL) return 0;
      if (v.tag == T_ENT || v.tag == T_FUNC || v.tag == T_COLL) {
        /* entities are stored by name: a field holds data, not a link */
        if (v.tag != T_ENT) return load_part_fail(p, "%s: = ... gives %s, which a field cannot hold", fn, v_typename(h, v, b1, sizeof b1));
      }
      (void)w;
      world_set_attr(h, L->kind, r, c->field, v);
      return 0;
  }
}

/* The computed fields of row r (`field: = EXPR`), one evaluation each.
** Returns 0, -1 (the row failed: p->err), -2 (an unmapped code) or 1 (a
** missing value: the row is skipped). */
int loadmap_computed(H *h, Part *p, Table *t, uint32_t r) {
  Load *L = p->L;
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
  return 0;
}

/* The cell of row r in a wide table (`field: each "FY*"`): the column of
** p->wk gives the date and the number. Returns 0, -1 (the row failed) or 1
** (a missing value: the row is skipped). */
int loadmap_wide_cell(Part *p, Table *t, uint32_t r, CsvField *f) {
  Load *L = p->L;
  int kind = L->kind;
  Wide *wd = &L->wide;
  int col = wd->cols[p->wk];
  CsvField *x = &f[col];
  double v;
  p->cur_col = col;
  t->date[r] = wd->days[p->wk]; t->prec[r] = wd->prec[p->wk]; t->year[r] = wd->year[p->wk];
  if (load_is_missing(L, x, 1)) {
    if (wd->role == C_VALUE) { p->skipped[SK_MISSING + C_VALUE]++; return 1; }
  } else {
    if (load_number_field(p, col, x, &v)) return -1;
    v *= wd->has_unit ? wd->factor : 1;
    if (wd->role == C_VALUE) {
      if (kind == K_LOAN && v < 0) return load_part_fail(p, "column '%s': a principal cannot be negative", L->header[col]->s);
      t->value[r] = v;
    } else if (wd->role == C_TERM) t->term[r] = v;
    else t->cols.p[wd->attr].nums[r] = v;
  }
  p->cur_col = -1;
  return 0;
}

/* ---- where: ---------------------------------------------------------------------- */

/* The where: filter for the current row: 1 keep, 0 skip, -1 failed. */
int loadmap_row_kept(H *h, Part *p) {
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
    return load_part_fail(p, "where: gives %s, not true or false", v_typename(h, v, b1, sizeof b1));
  }
  return v.as.b;
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

/* The index of the header's column called name, or -1. */
static int header_col(Load *L, HStr *name) {
  for (int i = 0; i < L->nheader; i++) if (L->header[i] == name) return i;
  return -1;
}

/* "'x.csv' has no column 'v'", with the near name or the separator that
** would have split the header into a column of that name. */
_Noreturn static void loadmap_no_column(H *h, Load *L, HStr *want, Loc loc, const char *raw, size_t rawlen) {
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
        if (ci < 0) loadmap_no_column(h, L, c, n->loc, "", 0);
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
        HStr *c = mem_intern(h, ix->u.str->s, ix->u.str->len);
        int ci = header_col(L, c);
        if (ci < 0) loadmap_no_column(h, L, c, ix->loc, "", 0);
        n->kind = N_CELL; n->u.cell.col = ci; n->u.cell.name = c;
        return;
      }
      cells(h, L, o); cells(h, L, ix);
      return;
    }
    case N_CELL: {
      int ci = header_col(L, n->u.cell.name);
      if (ci < 0) loadmap_no_column(h, L, n->u.cell.name, n->loc, "", 0);
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
  char *found = prog_find_file(h, L->stmt->loc.src, file->s, 0);
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
  CsvReader *r = csv_open_fd(fd, 1, CSV_DEFAULT_BUFSIZE, mem_hook, h, err, sizeof err);
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
    if (load_bad_text(f[i].p, f[i].len, 1, why, sizeof why)) { csv_close(r); hx_error_at(h, loc, "'%s': column %d of the header: %s", file->s, i + 1, why); }
  }
  while ((n = csv_next(r, &f, &line, err, sizeof err)) > 0) {
    if (fc >= n || tc >= n) continue;
    char why[160];
    int bt = tc, bad = load_bad_text(f[tc].p, f[tc].len, 1, why, sizeof why);
    if (!bad && nc >= 0 && nc < n) { bt = nc; bad = load_bad_text(f[nc].p, f[nc].len, 0, why, sizeof why); }
    if (bad) { csv_close(r); hx_error_at(h, loc, "%s:%ld: column %d: %s", file->s, line, bt + 1, why); }
    HStr *t = f[tc].len ? mem_intern(h, f[tc].p, f[tc].len) : NULL;
    HStr *nm = nc >= 0 && nc < n && f[nc].len ? mem_intern(h, f[nc].p, f[nc].len) : NULL;
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
  HStr *fields[3] = {field, by_name ? mem_intern_c(h, "common_name") : NULL, by_name ? mem_intern_c(h, "official_name") : NULL};
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

/* `aliases: { "FOREIGN": CODE }`: each alias maps a foreign code to an entity,
** replacing what the table says. */
static void add_aliases(H *h, Load *L, Via *v, int kind) {
  if (!L->opt) return;
  FieldList *al = &L->opt->aliases;
  for (uint32_t i = 0; i < al->n; i++) {
    Node *e = al->p[i].value;
    int ns = resolve_expr(h, e) + 1;
    Value x = eval_root(h, e, ns);
    HStr *to;
    if (x.tag == T_ENT && x.kind == kind) to = h->world->t[kind].names[x.i];
    else if (x.tag == T_STR) to = mem_intern(h, x.as.str->s, x.as.str->len);
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
    col[k] = header_col(L, mem_intern_c(h, need[k]));
    if (col[k] < 0) hx_error_at(h, L->stmt->loc, "'%s' is not in the BACI layout: it has no column '%s' (BACI files have t,i,j,k,v,q)", L->shown, need[k]);
  }
  World *w = h->world;
  Via *v = via_from_file(h, L, L->opt->countries, mem_intern_c(h, "country_code"), mem_intern_c(h, "country_iso3"), "country_name", L->opt->countries_loc);
  ColMap *c;
  c = &L->cols[col[0]]; c->role = C_DATE; c->field = w->f_date;
  c = &L->cols[col[1]]; c->role = C_ENT_A; c->want = K_PARTNER; c->field = w->f_exporter; c->via = v;
  c = &L->cols[col[2]]; c->role = C_ENT_B; c->want = K_PARTNER; c->field = w->f_importer; c->via = v;
  c = &L->cols[col[3]]; c->role = C_ENT_C; c->want = K_COMMODITY; c->field = w->f_commodity; c->pad = 6;
  c = &L->cols[col[4]]; c->role = C_VALUE; c->field = w->f_value; c->has_unit = 1; c->dim = dim_money(h); c->factor = 1000;
  c = &L->cols[col[5]]; c->role = C_ATTR; c->field = mem_intern_c(h, "volume"); c->has_unit = 1;
  if (!units_lookup(h, "t", 1, &c->dim, &c->factor)) hx_error_at(h, L->stmt->loc, "internal: no unit t");
  c->missing = 1;
  L->declare |= (1 << K_PARTNER) | (1 << K_COMMODITY);
  if (!L->nmissing) {
    L->missing = arena_alloc(h, &h->temp, sizeof(HStr *));
    L->missing[0] = mem_intern_c(h, "NA");
    L->nmissing = 1;
  }
}

/* Header and mapping: decide the role of every column. */
void loadmap_plan(H *h, Load *L) {
  CsvField *f;
  int n = load_next_row(h, L, &f);
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
  if (n > HX_MAX_COLUMNS) load_row_error(h, L, "the header has %d columns; a file may have at most %d", n, HX_MAX_COLUMNS);
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
    if (load_bad_text(f[i].p, f[i].len, 1, why, sizeof why)) {
      load_quote_row(&L->quote, f, n, i);
      load_row_error(h, L, "column %d of the header: %s", i + 1, why);
    }
    HStr *name = L->header[i] = mem_intern(h, f[i].p, f[i].len);
    uint32_t k = (uint32_t)(((uintptr_t)name >> 4) * 0x9E3779B1u) & (hcap - 1);
    while (seen[k] && seen[k] != name) k = (k + 1) & (hcap - 1);
    if (seen[k]) hx_error_at(h, L->stmt->loc, "'%s' has two columns named '%s'", L->shown, name->s);
    seen[k] = name;
    if ((i & 1023) == 1023) load_check(h, L);
  }
  World *w = h->world;
  int kind = L->kind;
  LoadOpts *o = L->opt;
  L->row_name = mem_intern_c(h, "row");
  /* every column starts as a free attribute of the same name */
  for (int i = 0; i < n; i++) { L->cols[i].role = C_ATTR; L->cols[i].field = L->header[i]; L->cols[i].loc = L->stmt->loc; L->cols[i].src = i; }
  int keycol = -1;
  HStr *key = L->stmt->u.load.key ? L->stmt->u.load.key : mem_intern_c(h, "code");
  if (kind == K_PARTNER || kind == K_COMMODITY) {
    for (int i = 0; i < n; i++) if (L->header[i] == key) keycol = i;
    if (keycol < 0) {
      if (L->stmt->u.load.key) loadmap_no_column(h, L, key, L->stmt->loc, raw, rawlen);
      for (int k = 0; k < 4 && !L->sep; k++) {   /* a header of one column that another separator splits */
        const char sp[] = ";\t|";
        if (k < 3 && memchr(raw, sp[k], rawlen)) loadmap_no_column(h, L, key, L->stmt->loc, raw, rawlen);
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
      if (!load_parse_date_text(L->fy_start, cap, cl, &wd->days[k], &wd->prec[k], &wd->year[k]))
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
    if (ci < 0) loadmap_no_column(h, L, cn->u.col.column, cn->loc, raw, rawlen);
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
      if (header_col(L, o->missing_cols.p[k]) < 0) loadmap_no_column(h, L, o->missing_cols.p[k], L->stmt->loc, raw, rawlen);
  }
  if (have[C_ENT_A] || have[C_ENT_B] || L->ncomp) load_codemap_build(h, &L->codes[K_PARTNER], K_PARTNER);
  if (have[C_ENT_C] || L->ncomp) load_codemap_build(h, &L->codes[K_COMMODITY], K_COMMODITY);
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
void loadmap_iso3166(H *h, Load *L) {
  const char *path = ISO3166_JSON;
  /* files are a capability: a host that denies them denies this one too */
  files_require(h, L->stmt->loc, 4, "load", "iso3166");
  char err[512];
  int fd = hfile_open(path, path, err, sizeof err);
  if (fd < 0) hx_error_at(h, L->stmt->loc, "%s: install Debian's iso-codes package (make deps)", err);
  size_t len = 0;
  int oom = 0;
  char *text = hfile_read_all(fd, path, 16u << 20, mem_hook, h, &len, err, sizeof err, &oom);
  close(fd);
  if (!text) hx_error_status(h, oom ? HEDGE_EMEMORY : HEDGE_ERROR, L->stmt->loc, "%s", err);
  L->text = text; L->textcap = len + 1;
  Buf b = {text, len, len + 1};
  World *w = h->world;
  HStr *f_a2 = mem_intern_c(h, "alpha2"), *f_num = mem_intern_c(h, "numeric");
  HStr *f_off = mem_intern_c(h, "official_name"), *f_com = mem_intern_c(h, "common_name");
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
    HStr *code = mem_intern(h, a3, la3);
    Global *g = prog_global_find(h, code);
    if (g) {
      char lb[256];
      hx_error_at(h, L->stmt->loc, "iso3166 declares %s, which is already declared (at %s): load iso3166 first, then add fields with `update`", code->s, hx_locstr(h, g->loc, lb, sizeof lb));
    }
    uint32_t row = world_add(h, K_PARTNER, code, L->stmt->loc);
    prog_global_add(h, code, G_ENTITY, v_ent(K_PARTNER, (int32_t)row), L->stmt->loc);
    if (lname) world_set_attr(h, K_PARTNER, row, w->f_name, v_str(mem_intern(h, name, lname)));
    if (la2) world_set_attr(h, K_PARTNER, row, f_a2, v_str(mem_intern(h, a2, la2)));
    if (lnum) {
      double d;
      if (csv_parse_double(num, lnum, &d)) world_set_attr(h, K_PARTNER, row, f_num, v_num(d));
    }
    if (loff) world_set_attr(h, K_PARTNER, row, f_off, v_str(mem_intern(h, off, loff)));
    if (lcom) world_set_attr(h, K_PARTNER, row, f_com, v_str(mem_intern(h, com, lcom)));
    count++;
  }
  if (count < 200) hx_error_at(h, L->stmt->loc, "%s holds %d countries, not the ISO 3166 list (is iso-codes installed whole?)", path, count);
  L->loaded = (uint32_t)count;
  world_changed(h);
}

/* ---- skipped rows, reported by check and run ------------------------------------- */

/* Why rows were skipped, as the note says it (the field names of the kind). */
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

/* Adds a note on the rows this load skipped on purpose, by reason, to
** Program.load_notes (check and run print them). */
void loadmap_note_skips(H *h, Load *L) {
  long long total = 0;
  for (int s = 0; s < SK_N; s++) total += L->skipped[s];
  if (!total) return;
  LoadNote note;
  memset(&note, 0, sizeof note);
  note.file = mem_intern_c(h, L->shown);
  note.loc = L->stmt->loc;
  note.loaded = L->loaded;
  for (int s = 0; s < SK_N && note.n < 8; s++) {
    if (!L->skipped[s]) continue;
    note.reason[note.n] = mem_intern_c(h, skip_reason(s, L->kind));
    note.count[note.n] = L->skipped[s];
    note.n++;
  }
  Program *pr = h->prog;
  vec_push(h, &pr->load_notes, note);
}

