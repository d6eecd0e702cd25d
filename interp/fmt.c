/*
** fmt.c: the canonical layout of hedge source, and the position-free dump
** of the syntax tree that proves a layout changed nothing else.
**
** The formatter works on the token stream, not on the tree: it keeps every
** token (its text, a number's unit normalised to one space) and every
** comment in order, keeps each line break of the source (hedge is
** sensitive to some: `f\n(x)` is not a call), and decides only the
** whitespace. It adds line breaks in three places where the grammar does
** not care: before a statement that shared a line with another, inside a
** scenario or test block's braces, and before `and` / `or` of a line
** longer than FMT_WIDTH. The parser is used for one thing: which tokens
** start statements (so new statements of the grammar need no change
** here). Before returning, the result is parsed again and its tree dump
** compared with the source's: a difference is an internal error and the
** text is not returned.
**
** Layout, line by line:
**  - a statement starts at its block's indentation (2 per scenario/test);
**  - inside a bracket that ends its line ("hanging"), lines are indented 2
**    more than the opener's line and the closer goes back to it; inside a
**    bracket followed by text, lines align with that text;
**  - a line after one ending in ':' (a rule's head, a quantifier) is
**    indented 2 more; other continuation lines 2 more than the clause they
**    continue (`partner` and `commodity` lists align after the keyword).
** Then alignment: the values of consecutive one-field lines of a record,
** the fields of consecutive one-line `deal` (or `loan`) statements with the
** same field names (a table), and trailing comments of a run of lines.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utf8.h"
#include "lex.h"
#include "ast.h"
#include "exec.h"
#include "fmt.h"

#define FMT_WIDTH 100   /* longer rule lines are broken before and/or */
#define MAX_CELLS 64

/* ---- text builders in the temp arena (released by the boundary) ----------- */

typedef struct SB { char *p; size_t n, cap; } SB;

static void sb_put(H *h, SB *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap * 2 : 64;
    while (c < b->n + n + 1) c *= 2;
    char *q = arena_alloc(h, &h->temp, c);
    if (b->n) memcpy(q, b->p, b->n);
    b->p = q;
    b->cap = c;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void sb_puts(H *h, SB *b, const char *s) { sb_put(h, b, s, strlen(s)); }
static void sb_spaces(H *h, SB *b, int n) { while (n-- > 0) sb_put(h, b, " ", 1); }

/* ---- the item stream: tokens and comments ---------------------------------- */

typedef struct Item {
  int comment;          /* a '#' comment (start..end without the newline) */
  TokKind kind;
  int start, end;
  int nl;               /* a line break before it in the source */
  int blank;            /* a blank line before it */
  int brk;              /* a line break the formatter adds before it */
  int stmt;             /* the first token of a statement */
  HStr *unit;           /* a number's unit */
} Item;

typedef VEC(Item) ItemList;
typedef VEC(int) IntList;

typedef struct Src { const char *text; int len; int bom; } Src;

/* Scans the gap between two tokens for comments and line breaks. */
static void scan_gap(H *h, const Src *s, int from, int to, ItemList *items, int *nl, int *blank) {
  int lines = 0;
  for (int i = from; i < to; i++) {
    char c = s->text[i];
    if (c == '\n') {
      lines++;
      if (lines >= 1) *nl = 1;
      if (lines >= 2) *blank = 1;
    } else if (c == '#') {
      int e = i;
      while (e < to && s->text[e] != '\n') e++;
      int t = e;
      while (t > i && (s->text[t - 1] == ' ' || s->text[t - 1] == '\t' || s->text[t - 1] == '\r')) t--;
      Item it;
      memset(&it, 0, sizeof it);
      it.comment = 1;
      it.start = i;
      it.end = t;
      it.nl = *nl;
      it.blank = *blank;
      avec_push(h, &h->temp, items, it);
      *nl = 0;
      *blank = 0;
      lines = 0;
      i = e - 1;
    }
  }
}

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }

static void collect_starts(H *h, NodeList *l, IntList *starts) {
  for (uint32_t i = 0; i < l->n; i++) {
    Node *n = l->p[i];
    avec_push(h, &h->temp, starts, n->start);
    if (n->kind == S_SCENARIO || n->kind == S_TEST) collect_starts(h, &n->u.scen.body, starts);
  }
}

static int has_start(IntList *starts, int pos) {
  int lo = 0, hi = (int)starts->n - 1;
  while (lo <= hi) {
    int m = (lo + hi) / 2;
    if (starts->p[m] == pos) return 1;
    if (starts->p[m] < pos) lo = m + 1; else hi = m - 1;
  }
  return 0;
}

/* Lexes source src into items; parses it to mark statement starts. */
static void read_items(H *h, int src, ItemList *items, NodeList *stmts) {
  Src s = {h->sources.p[src]->text, (int)h->sources.p[src]->len, 0};
  parse_program(h, src, stmts, NULL);
  IntList starts = {0};
  collect_starts(h, stmts, &starts);
  if (starts.n) qsort(starts.p, starts.n, sizeof(int), cmp_int);
  Lexer lx;
  lex_init(&lx, h, src);
  int prev_end = lx.pos;
  for (;;) {
    Token t;
    lex_next(&lx, &t);
    int nl = 0, blank = 0;
    scan_gap(h, &s, prev_end, t.start, items, &nl, &blank);
    if (t.kind == TK_EOF) break;
    Item it;
    memset(&it, 0, sizeof it);
    it.kind = t.kind;
    it.start = t.start;
    it.end = t.end;
    it.nl = nl;
    it.blank = blank;
    it.stmt = has_start(&starts, t.start);
    if (t.kind == TK_NUMBER) it.unit = t.str;
    avec_push(h, &h->temp, items, it);
    prev_end = t.end;
  }
}

/* The canonical text of a token: its source, a number's unit after one space. */
static void token_text(H *h, const char *text, const Item *it, SB *out) {
  if (it->kind == TK_NUMBER && it->unit) {
    int ustart = it->end - (int)it->unit->len;
    int p = it->start;
    while (p < ustart && text[p] != ' ' && text[p] != '\t') p++;
    sb_put(h, out, text + it->start, (size_t)(p - it->start));
    sb_put(h, out, " ", 1);
    sb_put(h, out, it->unit->s, it->unit->len);
    return;
  }
  sb_put(h, out, text + it->start, (size_t)(it->end - it->start));
}

/* ---- layout ------------------------------------------------------------------ */

typedef struct Line {
  int indent;
  SB text;                  /* code, without the indentation */
  const char *comment;      /* trailing comment, or the whole line's comment */
  int clen;
  int comment_only;
  int blank_before;
  /* a one-line deal/loan statement: where its top-level fields start */
  TokKind table;
  int brace_off;            /* where its record's '{' is (before the space) */
  int ncells, cell[MAX_CELLS];
  uint32_t sig;
  /* a line of a hanging record starting with `label:` */
  int rec_id, colon_off, nlabels;
} Line;

typedef struct Open {
  TokKind kind;
  int block;                /* a scenario/test block */
  int hanging;              /* the opener ends its line */
  int line_indent;          /* indentation of the opener's line */
  int align_col;            /* column of the first token after it (visual) */
  int id;
} Open;

typedef struct Layout {
  H *h;
  const char *text;
  ItemList *items;
  VEC(Line) lines;
  VEC(Open) stack;
  VEC(int) tokline;         /* per item: its line (tokens only) */
  VEC(int) tokdepth;        /* per item: the bracket depth it was emitted at */
  VEC(char) tokstmt;        /* per item: emitted outside brackets (blocks aside) */
  int block_indent;
  int stmt_indent, clause_indent;
  TokKind stmt_kw;
  int stmt_depth;           /* stack size at the statement's start */
  int stmt_first;           /* index of the statement's first item */
  int last_tok;             /* index of the last token emitted, -1 */
  int last_line_indent;     /* indentation of its line */
  int last_unary;           /* the last token was a unary minus */
  int pending_align;        /* stack index waiting for its align column, -1 */
  int table_line;           /* the line of the current one-line deal, -1 */
  int next_id;
} Layout;

static int is_opener(TokKind k) { return k == TK_LPAREN || k == TK_LBRACK || k == TK_LBRACE; }
static int is_closer(TokKind k) { return k == TK_RPAREN || k == TK_RBRACK || k == TK_RBRACE; }
static int ends_operand(TokKind k) {
  return k == TK_IDENT || k == TK_NUMBER || k == TK_STRING || k == TK_DATE || k == TK_TRUE ||
         k == TK_FALSE || k == TK_NIL || k == TK_RPAREN || k == TK_RBRACK || k == TK_RBRACE;
}

static Line *cur_line(Layout *L) { return &L->lines.p[L->lines.n - 1]; }

static int line_col(Layout *L) {
  Line *l = cur_line(L);
  return l->indent + utf8_width(l->text.p ? l->text.p : "", l->text.n);
}

static void new_line(Layout *L, int indent, int blank) {
  Line l;
  memset(&l, 0, sizeof l);
  l.indent = indent;
  l.blank_before = blank && L->lines.n > 0;
  avec_push(L->h, &L->h->temp, &L->lines, l);
}

static int next_token(Layout *L, int i) {
  for (int j = i; j < (int)L->items->n; j++) if (!L->items->p[j].comment) return j;
  return -1;
}

static int item_nl(const Item *it) { return it->nl || it->brk; }

/* The indentation of a line whose first token is item i (-1: end of input).
** A comment line before a closer is indented like the bracket's contents. */
static int indent_for(Layout *L, int i, int for_comment) {
  Item *it = i >= 0 ? &L->items->p[i] : NULL;
  Open *top = L->stack.n ? &L->stack.p[L->stack.n - 1] : NULL;
  int closer = it && is_closer(it->kind);
  if (it && it->stmt) return L->block_indent;
  if (top && !top->block) {
    int inner = top->hanging ? top->line_indent + 2 : top->align_col;
    if (closer && !for_comment) return top->line_indent;
    return inner;
  }
  if (!it) return L->block_indent;
  if (closer) return for_comment ? L->block_indent : L->block_indent - 2;
  if (L->last_tok >= 0 && L->items->p[L->last_tok].kind == TK_COLON) return L->last_line_indent + 2;
  if (L->stmt_kw == TK_PARTNER || L->stmt_kw == TK_COMMODITY)
    return L->stmt_indent + (int)strlen(lex_keyword_spelling(L->stmt_kw)) + 1;
  return L->clause_indent + 2;
}

/* Is item i a field label: a token followed by ':' right after '{' or ','
** inside a record? */
static int is_label(Layout *L, int i) {
  int n = next_token(L, i + 1);
  if (n < 0 || L->items->p[n].kind != TK_COLON) return 0;
  if (!L->stack.n || L->stack.p[L->stack.n - 1].kind != TK_LBRACE || L->stack.p[L->stack.n - 1].block) return 0;
  if (L->last_tok < 0) return 0;
  TokKind pk = L->items->p[L->last_tok].kind;
  return pk == TK_LBRACE || pk == TK_COMMA;
}

static void emit_token(Layout *L, int i) {
  H *h = L->h;
  Item *it = &L->items->p[i];
  int starts_line = L->last_tok < 0 || item_nl(it);
  /* a line of the current one-line deal table row ends the row's hopes */
  if (starts_line && L->table_line >= 0 && !it->stmt && !(is_closer(it->kind) && L->stack.n && L->stack.p[L->stack.n - 1].block))
    L->lines.p[L->table_line].table = 0;
  if (starts_line && (it->stmt || is_closer(it->kind))) L->table_line = -1;
  if (starts_line) {
    int blank = it->blank && !(i > 0 && !L->items->p[i - 1].comment && is_opener(L->items->p[i - 1].kind)) && !is_closer(it->kind);
    /* comments before this token already started their own lines */
    int ind = indent_for(L, i, 0);
    if (it->stmt) {
      L->stmt_indent = L->clause_indent = ind;
      L->stmt_kw = it->kind;
      L->stmt_depth = (int)L->stack.n;
      L->stmt_first = i;
    } else if (!(L->stack.n && !L->stack.p[L->stack.n - 1].block) && L->last_tok >= 0 &&
               L->items->p[L->last_tok].kind == TK_COLON)
      L->clause_indent = ind;
    new_line(L, ind, blank);
    if (it->stmt && (it->kind == TK_DEAL || it->kind == TK_LOAN || it->kind == TK_PARTNER || it->kind == TK_COMMODITY)) {
      cur_line(L)->table = it->kind;
      L->table_line = (int)L->lines.n - 1;
    }
  } else {
    if (it->stmt) {   /* (cannot happen: statements get a break) */
      L->stmt_indent = L->clause_indent = cur_line(L)->indent;
      L->stmt_kw = it->kind;
      L->stmt_depth = (int)L->stack.n;
      L->stmt_first = i;
    }
    TokKind pk = L->items->p[L->last_tok].kind, k = it->kind;
    int space;
    if (pk == TK_LPAREN || pk == TK_LBRACK) space = 0;
    else if (k == TK_RPAREN || k == TK_RBRACK || k == TK_COMMA || k == TK_COLON) space = 0;
    else if (pk == TK_DOT || k == TK_DOT) space = 0;
    else if (pk == TK_LBRACE) space = k != TK_RBRACE;
    else if (k == TK_RBRACE) space = 1;
    else if (k == TK_LPAREN || k == TK_LBRACK) space = !ends_operand(pk);
    else if (L->last_unary) space = 0;
    else if (pk == TK_COLON && L->stack.n && L->stack.p[L->stack.n - 1].kind == TK_LBRACK) space = 0;   /* xs[a:b] */
    else space = 1;
    if (space) sb_put(h, &cur_line(L)->text, " ", 1);
  }
  Line *line = cur_line(L);
  int line_no = (int)L->lines.n - 1;
  if (L->pending_align >= 0) {
    L->stack.p[L->pending_align].align_col = line_col(L);
    L->pending_align = -1;
  }
  /* labels: record alignment and deal tables */
  if (is_label(L, i)) {
    Open *top = &L->stack.p[L->stack.n - 1];
    if (top->hanging) {
      if (starts_line) line->rec_id = top->id;
      if (line->rec_id == top->id) line->nlabels++;
    }
    if (line_no == L->table_line && (int)L->stack.n == L->stmt_depth + 1) {
      if (line->ncells < MAX_CELLS) {
        line->cell[line->ncells++] = (int)line->text.n;
        uint32_t hsh = mem_hash(L->text + it->start, (size_t)(it->end - it->start));
        line->sig = line->sig * 31u + hsh;
      } else line->table = 0;
    }
  }
  if (is_closer(it->kind) && L->stack.n) {
    Open *top = &L->stack.p[L->stack.n - 1];
    if (top->block) L->block_indent -= 2;
    L->stack.n--;
  }
  if (it->kind == TK_LBRACE && line_no == L->table_line && (int)L->stack.n == L->stmt_depth && !line->brace_off)
    line->brace_off = (int)line->text.n - 1;   /* before the space */
  token_text(h, L->text, it, &line->text);
  if (it->kind == TK_COLON && line->rec_id && L->last_tok >= 0 && is_label(L, L->last_tok) == 0 &&
      line->colon_off == 0 && line->nlabels == 1)
    line->colon_off = (int)line->text.n;
  L->last_unary = it->kind == TK_MINUS && (L->last_tok < 0 || !ends_operand(L->items->p[L->last_tok].kind));
  L->tokline.p[i] = line_no;
  L->tokdepth.p[i] = (int)L->stack.n;
  L->tokstmt.p[i] = (char)(L->stack.n == 0 || L->stack.p[L->stack.n - 1].block);
  if (is_opener(it->kind)) {
    Open o;
    memset(&o, 0, sizeof o);
    o.kind = it->kind;
    o.id = ++L->next_id;
    o.line_indent = line->indent;
    int nx = i + 1 < (int)L->items->n ? i + 1 : -1;
    /* a scenario/test block: its statements follow, or it is the first
    ** brace of a scenario/test statement */
    int nt = next_token(L, i + 1);
    o.block = it->kind == TK_LBRACE && (int)L->stack.n == L->stmt_depth &&
              ((nt >= 0 && L->items->p[nt].stmt) ||
               ((L->stmt_kw == TK_SCENARIO || L->stmt_kw == TK_TEST) && L->items->p[L->stmt_first].stmt));
    o.hanging = nx < 0 || item_nl(&L->items->p[nx]) || L->items->p[nx].comment;
    avec_push(h, &h->temp, &L->stack, o);
    if (o.block) L->block_indent += 2;
    else if (!o.hanging) L->pending_align = (int)L->stack.n - 1;
  }
  L->last_tok = i;
  L->last_line_indent = line->indent;
}

static void emit_comment(Layout *L, int i) {
  Item *it = &L->items->p[i];
  if (!it->nl && L->last_tok >= 0 && L->lines.n) {
    Line *l = cur_line(L);
    l->comment = L->text + it->start;
    l->clen = it->end - it->start;
    return;
  }
  int nt = next_token(L, i + 1);
  int blank = it->blank && !(i > 0 && !L->items->p[i - 1].comment && is_opener(L->items->p[i - 1].kind));
  new_line(L, indent_for(L, nt, 1), blank);
  Line *l = cur_line(L);
  l->comment_only = 1;
  l->comment = L->text + it->start;
  l->clen = it->end - it->start;
}

static void layout(Layout *L) {
  H *h = L->h;
  L->lines.n = 0;
  L->stack.n = 0;
  L->block_indent = 0;
  L->stmt_indent = L->clause_indent = 0;
  L->stmt_kw = TK_EOF;
  L->stmt_depth = 0;
  L->stmt_first = 0;
  L->last_tok = -1;
  L->last_line_indent = 0;
  L->last_unary = 0;
  L->pending_align = -1;
  L->table_line = -1;
  L->next_id = 0;
  L->tokline.n = L->tokdepth.n = L->tokstmt.n = 0;
  for (uint32_t i = 0; i < L->items->n; i++) {
    avec_push(h, &h->temp, &L->tokline, -1);
    avec_push(h, &h->temp, &L->tokdepth, 0);
    avec_push(h, &h->temp, &L->tokstmt, (char)0);
  }
  for (uint32_t i = 0; i < L->items->n; i++) {
    if (L->items->p[i].comment) emit_comment(L, (int)i);
    else emit_token(L, (int)i);
  }
}

/* Forced breaks: before a statement that shares a line with the one
** before. Marks them in items; returns how many it added. */
static int statement_breaks(Layout *L) {
  int added = 0;
  ItemList *it = L->items;
  int seen = 0;
  for (uint32_t i = 0; i < it->n; i++) {
    Item *x = &it->p[i];
    if (x->comment) continue;
    if (seen && x->stmt && !item_nl(x)) { x->brk = 1; added++; }
    seen = 1;
  }
  return added;
}

/* Breaks before the closer of every non-empty block whose closer shares a
** line (the statement breaks above put its contents on their own lines). */
static int block_close_breaks(Layout *L) {
  int added = 0;
  ItemList *it = L->items;
  VEC(int) st = {0};
  H *h = L->h;
  VEC(char) isblock = {0};
  /* replay the bracket structure with the block flags the layout found */
  for (uint32_t i = 0; i < it->n; i++) {
    Item *x = &it->p[i];
    if (x->comment) continue;
    if (is_opener(x->kind)) {
      int nt = next_token(L, (int)i + 1);
      int blk = x->kind == TK_LBRACE && nt >= 0 && it->p[nt].stmt;
      avec_push(h, &h->temp, &st, (int)i);
      avec_push(h, &h->temp, &isblock, (char)blk);
    } else if (is_closer(x->kind) && st.n) {
      int op = st.p[st.n - 1];
      int blk = isblock.p[isblock.n - 1];
      st.n--;
      isblock.n--;
      if (blk && op != (int)i - 1 && !item_nl(x)) { x->brk = 1; added++; }
    }
  }
  return added;
}

/* Breaks in every line longer than FMT_WIDTH, loosest first: after a ':'
** that ends a rule's head or a quantifier's binders (outside brackets),
** else before the `or`s, else before the `and`s, at the outermost depth of
** the line that has any; the next rounds break what is still too long.
** Returns how many breaks it added. */
static int long_line_breaks(Layout *L) {
  int added = 0;
  ItemList *it = L->items;
  uint32_t i = 0;
  while (i < it->n) {
    if (it->p[i].comment || L->tokline.p[i] < 0) { i++; continue; }
    int ln = L->tokline.p[i];
    /* the tokens of line ln: [i, j) (comments between them are trailing) */
    uint32_t j = i;
    while (j < it->n && (it->p[j].comment || L->tokline.p[j] == ln)) j++;
    Line *l = &L->lines.p[ln];
    if (l->indent + utf8_width(l->text.p ? l->text.p : "", l->text.n) <= FMT_WIDTH) { i = j; continue; }
    int mind = 1 << 30, maxd = 0;
    for (uint32_t k = i; k < j; k++) {
      if (it->p[k].comment) continue;
      int d = L->tokdepth.p[k];
      if (d < mind) mind = d;
      if (d > maxd) maxd = d;
    }
    int done = 0;
    /* a statement-level ':' with more on the line: the body goes below */
    for (uint32_t k = i; k < j; k++) {
      if (it->p[k].comment || it->p[k].kind != TK_COLON || !L->tokstmt.p[k]) continue;
      uint32_t n = k + 1;
      while (n < j && it->p[n].comment) n++;
      if (n < j && !item_nl(&it->p[n])) { it->p[n].brk = 1; added++; done = 1; }
    }
    for (int d = mind; !done && d <= maxd; d++) {
      for (int pass = 0; pass < 2 && !done; pass++) {
        TokKind op = pass == 0 ? TK_OR : TK_AND;
        for (uint32_t k = i + 1; k < j; k++) {
          Item *x = &it->p[k];
          if (x->comment || x->kind != op || L->tokdepth.p[k] != d || item_nl(x)) continue;
          x->brk = 1;
          added++;
          done = 1;
        }
      }
    }
    i = j;
  }
  return added;
}

/* ---- alignment and output ------------------------------------------------------- */

static int width_of(const char *s, size_t n) { return utf8_width(s, n); }

static void pad_at(H *h, SB *text, int off, int spaces) {
  if (spaces <= 0) return;
  SB n = {0};
  sb_put(h, &n, text->p, (size_t)off);
  sb_spaces(h, &n, spaces);
  sb_put(h, &n, text->p + off, text->n - (size_t)off);
  *text = n;
}

static void align_tables(Layout *L) {
  H *h = L->h;
  uint32_t i = 0;
  /* the braces of consecutive one-line declarations of one kind */
  while (i < L->lines.n) {
    Line *a = &L->lines.p[i];
    if (!a->table || a->brace_off <= 0 || a->comment_only) { i++; continue; }
    uint32_t j = i + 1;
    while (j < L->lines.n) {
      Line *b = &L->lines.p[j];
      if (b->table != a->table || b->brace_off <= 0 || b->blank_before || b->indent != a->indent) break;
      j++;
    }
    int maxw = 0;
    for (uint32_t k = i; k < j; k++) {
      int w = width_of(L->lines.p[k].text.p, (size_t)L->lines.p[k].brace_off);
      if (w > maxw) maxw = w;
    }
    for (uint32_t k = i; k < j; k++) {
      Line *x = &L->lines.p[k];
      int pad = maxw - width_of(x->text.p, (size_t)x->brace_off);
      pad_at(h, &x->text, x->brace_off, pad);
      for (int d = 0; d < x->ncells; d++) x->cell[d] += pad;
    }
    i = j;
  }
  i = 0;
  while (i < L->lines.n) {
    Line *a = &L->lines.p[i];
    if (!a->table || a->ncells < 1 || a->comment_only) { i++; continue; }
    uint32_t j = i + 1;
    while (j < L->lines.n) {
      Line *b = &L->lines.p[j];
      if (b->table != a->table || b->ncells != a->ncells || b->sig != a->sig || b->blank_before || b->indent != a->indent) break;
      j++;
    }
    if (j - i >= 2) {
      /* cells: prefix [0, c0), field k [ck, ck+1); the last is not padded */
      for (int c = a->ncells - 1; c >= 0; c--) {
        int maxw = 0;
        for (uint32_t k = i; k < j; k++) {
          Line *x = &L->lines.p[k];
          int from = c ? x->cell[c - 1] : 0;
          int w = width_of(x->text.p + from, (size_t)(x->cell[c] - from));
          if (w > maxw) maxw = w;
        }
        for (uint32_t k = i; k < j; k++) {
          Line *x = &L->lines.p[k];
          int from = c ? x->cell[c - 1] : 0;
          int w = width_of(x->text.p + from, (size_t)(x->cell[c] - from));
          pad_at(h, &x->text, x->cell[c], maxw - w);
          for (int d = c; d < x->ncells; d++) x->cell[d] += maxw - w;
        }
      }
    }
    i = j;
  }
}

static void align_records(Layout *L) {
  H *h = L->h;
  uint32_t i = 0;
  while (i < L->lines.n) {
    Line *a = &L->lines.p[i];
    if (!a->rec_id || a->nlabels != 1 || !a->colon_off || a->comment_only) { i++; continue; }
    uint32_t j = i + 1;
    while (j < L->lines.n) {
      Line *b = &L->lines.p[j];
      if (b->rec_id != a->rec_id || b->nlabels != 1 || !b->colon_off || b->blank_before || b->comment_only) break;
      j++;
    }
    if (j - i >= 2) {
      int maxw = 0;
      for (uint32_t k = i; k < j; k++) {
        int w = width_of(L->lines.p[k].text.p, (size_t)L->lines.p[k].colon_off);
        if (w > maxw) maxw = w;
      }
      for (uint32_t k = i; k < j; k++) {
        Line *x = &L->lines.p[k];
        pad_at(h, &x->text, x->colon_off, maxw - width_of(x->text.p, (size_t)x->colon_off));
      }
    }
    i = j;
  }
}

static void write_out(Layout *L, const Src *s, SB *out) {
  H *h = L->h;
  if (s->bom) sb_put(h, out, "\xEF\xBB\xBF", 3);
  uint32_t i = 0;
  while (i < L->lines.n) {
    /* a run: consecutive code lines (no blank line, no comment-only line);
    ** its trailing comments start in one column */
    uint32_t j = i;
    int col = 0;
    if (!L->lines.p[i].comment_only) {
      while (j < L->lines.n && !L->lines.p[j].comment_only && (j == i || !L->lines.p[j].blank_before)) {
        Line *x = &L->lines.p[j];
        int w = x->indent + width_of(x->text.p ? x->text.p : "", x->text.n);
        if (x->comment && w > col) col = w;
        j++;
      }
    } else j = i + 1;
    for (uint32_t k = i; k < j; k++) {
      Line *x = &L->lines.p[k];
      if (x->blank_before) sb_put(h, out, "\n", 1);
      if (x->comment_only) {
        sb_spaces(h, out, x->indent);
        sb_put(h, out, x->comment, (size_t)x->clen);
      } else {
        sb_spaces(h, out, x->indent);
        if (x->text.n) sb_put(h, out, x->text.p, x->text.n);
        if (x->comment) {
          int w = x->indent + width_of(x->text.p ? x->text.p : "", x->text.n);
          sb_spaces(h, out, col - w + 2);
          sb_put(h, out, x->comment, (size_t)x->clen);
        }
      }
      sb_put(h, out, "\n", 1);
    }
    i = j;
  }
}

/* ---- the tree dump ------------------------------------------------------------------ */

typedef struct Dump { H *h; SB *out; const char *text; ItemList *items; } Dump;

/* Indentation shows depth; past 40 levels (10000-term chains) a number
** does, so the dump stays linear in the size of the tree. */
static void dindent(Dump *d, int depth) {
  if (depth <= 40) { sb_spaces(d->h, d->out, depth * 2); return; }
  char b[32];
  snprintf(b, sizeof b, "(depth %d) ", depth);
  sb_spaces(d->h, d->out, 80);
  sb_puts(d->h, d->out, b);
}

static void dline(Dump *d, int depth, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  dindent(d, depth);
  sb_puts(d->h, d->out, buf);
  sb_put(d->h, d->out, "\n", 1);
}

static void dstr(Dump *d, int depth, const char *label, const HStr *s) {
  dindent(d, depth);
  sb_puts(d->h, d->out, label);
  if (!s) { sb_puts(d->h, d->out, " -\n"); return; }
  sb_puts(d->h, d->out, " \"");
  for (uint32_t i = 0; i < s->len; i++) {
    char c = s->s[i];
    if (c == '\n') sb_puts(d->h, d->out, "\\n");
    else if (c == '"' || c == '\\') { sb_put(d->h, d->out, "\\", 1); sb_put(d->h, d->out, &c, 1); }
    else sb_put(d->h, d->out, &c, 1);
  }
  sb_puts(d->h, d->out, "\"\n");
}

static void dnode(Dump *d, int depth, const Node *n);

static void dlist(Dump *d, int depth, const char *label, const NodeList *l) {
  dline(d, depth, "%s [%u]", label, l->n);
  for (uint32_t i = 0; i < l->n; i++) dnode(d, depth + 1, l->p[i]);
}

static void dfields(Dump *d, int depth, const char *label, const FieldList *l) {
  dline(d, depth, "%s [%u]", label, l->n);
  for (uint32_t i = 0; i < l->n; i++) {
    dstr(d, depth + 1, "field", l->p[i].name);
    dnode(d, depth + 2, l->p[i].value);
  }
}

static void dcompr(Dump *d, int depth, const Compr *c) {
  for (uint32_t i = 0; i < c->binders.n; i++) {
    dstr(d, depth, "binder", c->binders.p[i].name);
    dnode(d, depth + 1, c->binders.p[i].coll);
  }
  dline(d, depth, "where");
  dnode(d, depth + 1, c->where);
  dline(d, depth, "body");
  dnode(d, depth + 1, c->body);
}

/* A node of a kind this dump does not know (a newer grammar): its tokens. */
static void dtokens(Dump *d, int depth, const Node *n) {
  dindent(d, depth);
  sb_puts(d->h, d->out, "tokens");
  for (uint32_t i = 0; i < d->items->n; i++) {
    Item *it = &d->items->p[i];
    if (it->comment || it->start < n->start || it->end > n->end) continue;
    sb_put(d->h, d->out, " ", 1);
    token_text(d->h, d->text, it, d->out);
  }
  sb_put(d->h, d->out, "\n", 1);
}

static void dnode(Dump *d, int depth, const Node *n) {
  static const char *const ops[] = {"+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "in"};
  if (!n) { dline(d, depth, "-"); return; }
  switch (n->kind) {
    case N_NUM: dline(d, depth, "num %.17g flags %d", n->u.num.v, n->u.num.flags); break;
    case N_QTY: dline(d, depth, "qty %.17g %s", n->u.qty.v, n->u.qty.unit ? n->u.qty.unit->s : "?"); break;
    case N_STR: dstr(d, depth, "str", n->u.str); break;
    case N_DATE: dline(d, depth, "date %d prec %d", (int)n->u.date.days, n->u.date.prec); break;
    case N_BOOL: dline(d, depth, "bool %d", n->u.b); break;
    case N_NIL: dline(d, depth, "nil"); break;
    case N_NAME: dstr(d, depth, "name", n->u.name); break;
    case N_LIST: dlist(d, depth, "list", &n->u.items); break;
    case N_REC: dfields(d, depth, "record", &n->u.fields); break;
    case N_FIELD: dstr(d, depth, "field-of", n->u.field.name); dnode(d, depth + 1, n->u.field.obj); break;
    case N_INDEX: dline(d, depth, "index"); dnode(d, depth + 1, n->u.index.obj); dnode(d, depth + 1, n->u.index.index); break;
    case N_CALL:
      dline(d, depth, "call");
      dnode(d, depth + 1, n->u.call.fn);
      dlist(d, depth + 1, "args", &n->u.call.args);
      dfields(d, depth + 1, "named", &n->u.call.named);
      if (n->u.call.compr) { dline(d, depth + 1, "comprehension"); dcompr(d, depth + 2, n->u.call.compr); }
      break;
    case N_NEG: dline(d, depth, "neg"); dnode(d, depth + 1, n->u.operand); break;
    case N_NOT: dline(d, depth, "not"); dnode(d, depth + 1, n->u.operand); break;
    case N_BIN:
      if ((unsigned)n->u.bin.op < sizeof ops / sizeof *ops) dline(d, depth, "bin %s", ops[n->u.bin.op]);
      else dline(d, depth, "bin op%d", (int)n->u.bin.op);
      dnode(d, depth + 1, n->u.bin.l);
      dnode(d, depth + 1, n->u.bin.r);
      break;
    case N_AND: case N_OR:
      dline(d, depth, n->kind == N_AND ? "and" : "or");
      dnode(d, depth + 1, n->u.bin.l);
      dnode(d, depth + 1, n->u.bin.r);
      break;
    case N_IF: dline(d, depth, "if"); dnode(d, depth + 1, n->u.cond.c); dnode(d, depth + 1, n->u.cond.t); dnode(d, depth + 1, n->u.cond.e); break;
    case N_QUANT: dline(d, depth, n->u.quant.exists ? "exists" : "forall"); dcompr(d, depth + 1, &n->u.quant.c); break;
    case N_COLUMN: dstr(d, depth, "column", n->u.col.column); dstr(d, depth + 1, "unit", n->u.col.unit); break;
    case S_UNIT: dstr(d, depth, "unit", n->u.unit.name); dline(d, depth + 1, "= %.17g", n->u.unit.factor); dstr(d, depth + 1, "of", n->u.unit.of); break;
    case S_ENTITY:
      dline(d, depth, "%s", n->u.ent.ekind >= 0 && n->u.ent.ekind < K_NKINDS ? kind_names[n->u.ent.ekind] : "entity?");
      dstr(d, depth + 1, "name", n->u.ent.name);
      dnode(d, depth + 1, n->u.ent.rec);
      break;
    case S_LET: dstr(d, depth, "let", n->u.let.name); dnode(d, depth + 1, n->u.let.value); break;
    case S_FN: case S_EXTERN:
      dstr(d, depth, n->kind == S_FN ? "fn" : "extern", n->u.fn.name);
      dstr(d, depth + 1, "lib", n->u.fn.lib);
      for (uint32_t i = 0; i < n->u.fn.params.n; i++) {
        dstr(d, depth + 1, "param", n->u.fn.params.p[i].name);
        dnode(d, depth + 2, n->u.fn.params.p[i].def);
      }
      dnode(d, depth + 1, n->u.fn.body);
      break;
    case S_RULE:
      dstr(d, depth, n->u.rule.warn ? "warn" : "rule", n->u.rule.name);
      dstr(d, depth + 1, "title", n->u.rule.title);
      dnode(d, depth + 1, n->u.rule.body);
      break;
    case S_PRINT: dline(d, depth, "print"); dnode(d, depth + 1, n->u.expr); break;
    case S_EXPR: dline(d, depth, "expr"); dnode(d, depth + 1, n->u.expr); break;
    case S_IMPORT: case S_USE:
      dstr(d, depth, n->kind == S_IMPORT ? "import" : "use", n->u.import.path);
      dline(d, depth + 1, "is_name %d", n->u.import.is_name);
      break;
    case S_LOAD:
      dline(d, depth, "load %d", n->u.load.ekind);
      dstr(d, depth + 1, "path", n->u.load.path);
      dstr(d, depth + 1, "key", n->u.load.key);
      dfields(d, depth + 1, "map", &n->u.load.map);
      break;
    case S_SCENARIO: case S_TEST:
      dstr(d, depth, n->kind == S_SCENARIO ? "scenario" : "test", n->u.scen.name);
      dstr(d, depth + 1, "title", n->u.scen.title);
      dstr(d, depth + 1, "extends", n->u.scen.parent);
      dlist(d, depth + 1, "body", &n->u.scen.body);
      break;
    case S_DROP: case S_UPDATE:
      dstr(d, depth, n->kind == S_DROP ? "drop" : "update", n->u.drop.b.name);
      dnode(d, depth + 1, n->u.drop.b.coll);
      dnode(d, depth + 1, n->u.drop.where);
      dfields(d, depth + 1, "set", &n->u.drop.set);
      break;
    case S_EXPECT:
      dline(d, depth, "expect %d", n->u.expect.what);
      dstr(d, depth + 1, "rule", n->u.expect.rule);
      dnode(d, depth + 1, n->u.expect.expr);
      break;
    default:
      dline(d, depth, "node%d", (int)n->kind);
      dtokens(d, depth + 1, n);
  }
}

static void dump_source(H *h, int src, SB *out) {
  ItemList items = {0};
  NodeList stmts = {0};
  read_items(h, src, &items, &stmts);
  Dump d = {h, out, h->sources.p[src]->text, &items};
  dlist(&d, 0, "program", &stmts);
}

/* ---- entry points -------------------------------------------------------------------- */

typedef struct FmtCall { const char *name, *text; size_t len; } FmtCall;

/* Leaves the result in h->result (copied out of the temp arena). */
static void set_result(H *h, const SB *s) {
  h->result.n = 0;
  buf_put(h, &h->result, s->p ? s->p : "", s->n);
  buf_cstr(h, &h->result);
}

static void format_body(H *h, void *ud) {
  FmtCall *c = ud;
  int src = prog_source_add_string(h, c->name, c->text, c->len);
  Src s = {h->sources.p[src]->text, (int)h->sources.p[src]->len, 0};
  s.bom = s.len >= 3 && memcmp(s.text, "\xEF\xBB\xBF", 3) == 0;
  ItemList items = {0};
  NodeList stmts = {0};
  read_items(h, src, &items, &stmts);
  Layout L;
  memset(&L, 0, sizeof L);
  L.h = h;
  L.text = s.text;
  L.items = &items;
  layout(&L);
  /* breaks change the layout, which may ask for more breaks: to a fixpoint
  ** (each round adds at least one break, and there are finitely many) */
  for (;;) {
    int added = statement_breaks(&L);
    added += block_close_breaks(&L);
    if (!added) added = long_line_breaks(&L);
    if (!added) break;
    layout(&L);
  }
  align_tables(&L);
  align_records(&L);
  SB out = {0};
  write_out(&L, &s, &out);
  /* the proof: the formatted text parses to the same tree, and has the
  ** same tokens, with a line break before the same '(' and '[' (the only
  ** tokens whose meaning depends on one: a call or index, or not) */
  SB before = {0}, after = {0};
  dump_source(h, src, &before);
  int src2 = prog_source_add_string(h, c->name, out.p ? out.p : "", out.n);
  ItemList items2 = {0};
  NodeList stmts2 = {0};
  read_items(h, src2, &items2, &stmts2);
  Dump d2 = {h, &after, h->sources.p[src2]->text, &items2};
  dlist(&d2, 0, "program", &stmts2);
  int same = before.n == after.n && (!before.n || memcmp(before.p, after.p, before.n) == 0);
  uint32_t a = 0, b = 0;
  while (same) {
    while (a < items.n && items.p[a].comment) a++;
    while (b < items2.n && items2.p[b].comment) b++;
    if (a >= items.n || b >= items2.n) { same = a >= items.n && b >= items2.n; break; }
    Item *x = &items.p[a], *y = &items2.p[b];
    SB tx = {0}, ty = {0};
    token_text(h, s.text, x, &tx);
    token_text(h, h->sources.p[src2]->text, y, &ty);
    if (x->kind != y->kind || tx.n != ty.n || (tx.n && memcmp(tx.p, ty.p, tx.n) != 0) ||
        ((x->kind == TK_LPAREN || x->kind == TK_LBRACK) && x->nl != y->nl))
      same = 0;
    a++;
    b++;
  }
  if (!same)
    hx_error_at(h, (Loc){src, 1, 1}, "internal error: formatting would change the program (please report this file)");
  set_result(h, &out);
}

static void tree_body(H *h, void *ud) {
  FmtCall *c = ud;
  int src = prog_source_add_string(h, c->name, c->text, c->len);
  SB out = {0};
  dump_source(h, src, &out);
  set_result(h, &out);
}

/* A boundary for calls that add nothing to the program (the sources they
** add stay, like those of hedge_eval). */
static int fmt_protect(H *h, void (*f)(H *h, void *ud), FmtCall *c, const char **out, size_t *outlen) {
  h->err_status = HEDGE_OK;
  h->steps = 0;
  h->depth = 0;
  ArenaMark am = arena_mark(&h->temp);
  int st = hx_pcall(h, f, c);
  if (st != HEDGE_OK && !h->err_status) h->err_status = st;
  arena_release(h, &h->temp, am);
  if (out) *out = st == HEDGE_OK ? h->result.p : NULL;
  if (outlen) *outlen = st == HEDGE_OK ? h->result.n : 0;
  return st;
}

int hedge_format(hedge_State *h, const char *chunkname, const char *text, size_t len,
                 const char **out, size_t *outlen) {
  if (out) *out = NULL;
  if (!h || !text) return HEDGE_EUSAGE;
  FmtCall c = {chunkname ? chunkname : "<string>", text, len};
  return fmt_protect(h, format_body, &c, out, outlen);
}

int hedge_syntax_tree(hedge_State *h, const char *chunkname, const char *text, size_t len,
                      const char **out) {
  if (out) *out = NULL;
  if (!h || !text) return HEDGE_EUSAGE;
  FmtCall c = {chunkname ? chunkname : "<string>", text, len};
  return fmt_protect(h, tree_body, &c, out, NULL);
}
