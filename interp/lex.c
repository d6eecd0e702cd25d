/*
** lex.c: the lexer. Notable rules (docs/language.md, Lexical structure):
**  - a number may carry a scale suffix (K M B T) or % written right after
**    its digits;
**  - an identifier on the same line right after a number is its unit, and
**    units join identifiers with / or * with no spaces (USD/t);
**  - DDDD-DD and DDDD-DD-DD are dates, never subtractions; DDDD-D (a
**    one-digit month or day, 2025-9) is an error that shows both readings.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lex.h"
#include "date.h"
#include "utf8.h"

static const char *const kw_names[] = {
  "partner", "commodity", "deal", "loan", "unit", "let", "fn", "rule",
  "warn", "print", "import", "use", "extern", "load", "from", "scenario",
  "extends", "drop", "update", "test", "expect", "pass", "fail", "forall",
  "exists", "in", "where", "and", "or", "not", "if", "then", "else",
  "true", "false", "nil"};

static const char *const punct_names[] = {
  "'('", "')'", "'['", "']'", "'{'", "'}'", "','", "':'", "'.'", "'+'", "'-'",
  "'*'", "'/'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "'='", "'->'", "'^'"};

const char *lex_token_name(TokKind k) {
  static const char *const names[] = {"end of input", "identifier", "number", "unit", "string", "date"};
  if (k <= TK_DATE) return names[k];
  if (k >= TK_FIRST_KW && k <= TK_LAST_KW) return kw_names[k - TK_FIRST_KW];
  if (k >= TK_LPAREN && k < TK_COUNT_) return punct_names[k - TK_LPAREN];
  return "?";
}

int lex_is_keyword(TokKind k) { return k >= TK_FIRST_KW && k <= TK_LAST_KW; }
const char *lex_keyword_spelling(TokKind k) { return lex_is_keyword(k) ? kw_names[k - TK_FIRST_KW] : NULL; }

/* Keywords by first letter (kw_names indices + 1, 0 ends a row): lex_keyword_lookup runs
** once per identifier, so it compares only the few keywords that start with
** the same letter and have the same length (tests/errors/lex_keywords.hedge and
** tests/lang/lex_identifiers.hedge check every keyword and near misses). */
static const unsigned char kw_first[26][6] = {
  ['a' - 'a'] = {28},
  ['c' - 'a'] = {2},
  ['d' - 'a'] = {3, 18},
  ['e' - 'a'] = {13, 17, 21, 25, 33},
  ['f' - 'a'] = {7, 15, 23, 24, 35},
  ['i' - 'a'] = {11, 26, 31},
  ['l' - 'a'] = {4, 6, 14},
  ['n' - 'a'] = {30, 36},
  ['o' - 'a'] = {29},
  ['p' - 'a'] = {1, 10, 22},
  ['r' - 'a'] = {8},
  ['s' - 'a'] = {16},
  ['t' - 'a'] = {20, 32, 34},
  ['u' - 'a'] = {5, 12, 19},
  ['w' - 'a'] = {9, 27},
};

/* The lengths of the keywords by first letter, as bits (1 << length): most
** names are turned away by it without comparing a byte. */
static const uint16_t kw_lengths[26] = {
  ['a' - 'a'] = 1 << 3,
  ['c' - 'a'] = 1 << 9,
  ['d' - 'a'] = 1 << 4,
  ['e' - 'a'] = 1 << 4 | 1 << 6 | 1 << 7,
  ['f' - 'a'] = 1 << 2 | 1 << 4 | 1 << 5 | 1 << 6,
  ['i' - 'a'] = 1 << 2 | 1 << 6,
  ['l' - 'a'] = 1 << 3 | 1 << 4,
  ['n' - 'a'] = 1 << 3,
  ['o' - 'a'] = 1 << 2,
  ['p' - 'a'] = 1 << 4 | 1 << 5 | 1 << 7,
  ['r' - 'a'] = 1 << 4,
  ['s' - 'a'] = 1 << 8,
  ['t' - 'a'] = 1 << 4,
  ['u' - 'a'] = 1 << 3 | 1 << 4 | 1 << 6,
  ['w' - 'a'] = 1 << 4 | 1 << 5,
};

TokKind lex_keyword_lookup(const char *s, size_t n) {
  if (n < 2 || n > 9 || s[0] < 'a' || s[0] > 'z' || !(kw_lengths[s[0] - 'a'] & (1u << n))) return TK_IDENT;
  const unsigned char *row = kw_first[s[0] - 'a'];
  for (int j = 0; j < 6 && row[j]; j++) {
    const char *k = kw_names[row[j] - 1];
    size_t i = 1;
    while (i < n && k[i] && k[i] == s[i]) i++;
    if (i == n && k[n] == 0) return (TokKind)(TK_FIRST_KW + row[j] - 1);
  }
  return TK_IDENT;
}

static Loc here_utf8(Lexer *lx, int pos);

static inline Loc here(Lexer *lx, int pos) {
  if (lx->ascii) {   /* one byte, one column */
    Loc l = {lx->src, lx->line, 1 + (pos < lx->len ? pos : lx->len) - lx->linestart};
    return l;
  }
  return here_utf8(lx, pos);
}

static Loc here_utf8(Lexer *lx, int pos) {
  /* columns count code points; tokens are scanned forward, so the count
  ** resumes where the last one stopped on the same line */
  if (lx->cbase != lx->linestart || pos < lx->cpos) {
    lx->cbase = lx->linestart;
    lx->cpos = lx->linestart;
    lx->ccol = 1;
  }
  for (; lx->cpos < pos && lx->cpos < lx->len; lx->cpos++)
    if (((unsigned char)lx->text[lx->cpos] & 0xC0) != 0x80) lx->ccol++;
  Loc l = {lx->src, lx->line, lx->ccol};
  return l;
}

/* Source text must be UTF-8 throughout: the first malformed sequence is an
** error at its first byte. */
static void check_utf8(Lexer *lx) {
  const char *s = lx->text;
  int i = lx->pos, n = lx->len;
  lx->ascii = 1;
  while (i < n) {
    /* ASCII text eight bytes at a time */
    uint64_t w;
    while (i + 8 <= n && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) i += 8;
    if (i >= n) break;
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) { i++; continue; }
    lx->ascii = 0;
    int k = utf8_seq_len(s + i, (size_t)(n - i));
    if (k == 0) {
      int line = 1, ls = 0;
      for (int j = 0; j < i; j++) if (s[j] == '\n') { line++; ls = j + 1; }
      if (ls < lx->pos) ls = lx->pos;   /* after the byte order mark */
      Loc l = {lx->src, line, 1 + utf8_width(s + ls, (size_t)(i - ls))};
      hx_error_at(lx->h, l, "invalid UTF-8 (byte 0x%02X): hedge source must be UTF-8 text", c);
    }
    i += k;
  }
}

void lex_init(Lexer *lx, H *h, int src) {
  memset(lx, 0, sizeof *lx);
  lx->h = h;
  lx->src = src;
  lx->text = h->sources.p[src]->text;
  lx->len = (int)h->sources.p[src]->len;
  lx->line = 1;
  lx->cbase = -1;
  /* a UTF-8 byte order mark is not part of the program */
  if (lx->len >= 3 && memcmp(lx->text, "\xEF\xBB\xBF", 3) == 0) lx->pos = lx->linestart = 3;
  check_utf8(lx);
}

/* 1: may start a name (letter, '_'); 2: may continue one (letter, digit, '_') */
static const unsigned char id_class[256] = {
  ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
  ['_'] = 3,
  ['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3, ['i'] = 3,
  ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3, ['q'] = 3, ['r'] = 3,
  ['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3, ['y'] = 3, ['z'] = 3,
  ['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3, ['G'] = 3, ['H'] = 3, ['I'] = 3,
  ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3,
  ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3, ['Y'] = 3, ['Z'] = 3,
};
static inline int is_id0(int c) { return id_class[(unsigned char)c] & 1; }
static inline int is_id(int c) { return id_class[(unsigned char)c] & 2; }
static int isdigit_c(int c) { return c >= '0' && c <= '9'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* mem_intern of a name, through the lexer's cache of short names: the bytes of
** a name of up to 8 bytes are its key, so a hit is the same string. Interned
** strings live as long as the state, longer than any lexer. */
static HStr *lex_intern(Lexer *lx, const char *s, size_t n) {
  if (n == 0 || n > 8) return mem_intern(lx->h, s, n);
  uint64_t key = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (s + 8 <= lx->text + lx->len) {   /* eight bytes at once, the ones past the name masked off */
    memcpy(&key, s, 8);
    if (n < 8) key &= (UINT64_C(1) << (8 * n)) - 1;
  } else
#endif
  for (size_t k = 0; k < n; k++) key |= (uint64_t)(unsigned char)s[k] << (8 * k);
  uint32_t slot = (uint32_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
  if (lx->names[slot].len == n && lx->names[slot].key == key) return lx->names[slot].str;
  HStr *str = mem_intern(lx->h, s, n);
  lx->names[slot].key = key;
  lx->names[slot].len = (uint32_t)n;
  lx->names[slot].str = str;
  return str;
}

/* ---- the scanner ------------------------------------------------------------ */

static void skip_space(Lexer *lx, Token *t) {
  const char *s = lx->text;
  for (;;) {
    if (lx->pos >= lx->len) return;
    char c = s[lx->pos];
    if (c == '\n') { lx->pos++; lx->line++; lx->linestart = lx->pos; t->nl_before = 1; }
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') lx->pos++;
    else if (c == '#') { while (lx->pos < lx->len && s[lx->pos] != '\n') lx->pos++; }
    else return;
  }
}

/* 4 digits '-' 2 digits ['-' 2 digits], not followed by a digit or letter */
static int date_shape(const char *s, int pos, int len) {
  for (int i = 0; i < 4; i++) if (pos + i >= len || !is_digit(s[pos + i])) return 0;
  if (pos + 4 > 0 && pos > 0 && (is_id(s[pos - 1]) || s[pos - 1] == '.')) return 0;
  if (pos + 7 > len || s[pos + 4] != '-' || !is_digit(s[pos + 5]) || !is_digit(s[pos + 6])) return 0;
  int n = 7;
  if (pos + 10 <= len && s[pos + 7] == '-' && is_digit(s[pos + 8]) && is_digit(s[pos + 9])) n = 10;
  if (pos + n < len && (is_id(s[pos + n]) || s[pos + n] == '.')) return 0;
  if (n == 7 && pos + 7 < len && s[pos + 7] == '-' && pos + 8 < len && is_digit(s[pos + 8])) return 0;
  return n;
}

/* A date with a one-digit month or day, written without spaces: 2025-9,
** 2025-9-15, 2025-10-5. Read as numbers it would be a subtraction (2025-9
** is 2016), so it is an error that shows the date meant (the fix, into
** fix) and the subtraction (with spaces). Returns its length, or 0. */
static int date_typo(const char *s, int pos, int len, char *fix, size_t fixn, const char **part) {
  for (int i = 0; i < 4; i++) if (pos + i >= len || !is_digit(s[pos + i])) return 0;
  if (pos > 0 && (is_id(s[pos - 1]) || s[pos - 1] == '.')) return 0;
  int p = pos + 4, nums[2] = {0, 0}, widths[2] = {0, 0}, k = 0;
  while (k < 2 && p + 1 < len && s[p] == '-' && is_digit(s[p + 1])) {
    int q = p + 1;
    while (q < len && is_digit(s[q]) && q - p - 1 < 3) q++;
    if (q - p - 1 > 2) return 0;
    widths[k] = q - p - 1;
    nums[k] = atoi(s + p + 1);
    k++;
    p = q;
  }
  if (k == 0 || (widths[0] == 2 && (k == 1 || widths[1] == 2))) return 0;
  if (p < len && (is_id(s[p]) || s[p] == '.' || is_digit(s[p]))) return 0;
  *part = widths[0] == 1 ? "month" : "day";
  if (k == 1) snprintf(fix, fixn, "%.4s-%02d", s + pos, nums[0]);
  else snprintf(fix, fixn, "%.4s-%02d-%02d", s + pos, nums[0], nums[1]);
  return p - pos;
}

static void lex_date(Lexer *lx, Token *t, int n) {
  const char *s = lx->text + lx->pos;
  /* date_shape saw four digits, '-', two digits */
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0'), d = 1;
  if (n == 10) d = (s[8] - '0') * 10 + (s[9] - '0');
  if (m < 1 || m > 12) hx_error_span(lx->h, t->loc, n, "invalid date: month %d is not 1 to 12", m);
  if (d < 1 || d > date_days_in_month(y, m))
    hx_error_span(lx->h, t->loc, n, "invalid date: %04d-%02d has no day %d", y, m, d);
  t->kind = TK_DATE;
  t->days = date_from_civil(y, m, d);
  t->prec = n == 10 ? 0 : 1;
  lx->pos += n;
}

static void lex_unit(Lexer *lx, Token *t) {
  /* An identifier on the same line right after a number is its unit. */
  const char *s = lx->text;
  int p = lx->pos;
  while (p < lx->len && (s[p] == ' ' || s[p] == '\t')) p++;
  if (p >= lx->len || !is_id0(s[p])) return;
  int q = p;
  while (q < lx->len && is_id(s[q])) q++;
  if (lex_keyword_lookup(s + p, (size_t)(q - p)) != TK_IDENT) return;   /* `1 and x` */
  /* compound: USD/t, t*USD: no spaces around the operator */
  for (;;) {
    /* a power of a unit part, written without spaces: t^2, USD/t^2, m^-1 */
    if (q + 1 < lx->len && s[q] == '^' && (isdigit_c(s[q + 1]) || (s[q + 1] == '-' && q + 2 < lx->len && isdigit_c(s[q + 2])))) {
      q += s[q + 1] == '-' ? 2 : 1;
      while (q < lx->len && isdigit_c(s[q])) q++;
    }
    if (!(q + 1 < lx->len && (s[q] == '/' || s[q] == '*') && is_id0(s[q + 1]))) break;
    q++;
    while (q < lx->len && is_id(s[q])) q++;
  }
  t->uloc = here(lx, p);
  if (q - p > HX_MAX_NAME) hx_error_at(lx->h, t->uloc, "unit name too long");
  t->str = lex_intern(lx, s + p, (size_t)(q - p));
  t->end = q;
  lx->pos = q;
  t->kind = TK_NUMBER;   /* still a number; the parser sees t->str != NULL */
}

static void lex_number(Lexer *lx, Token *t) {
  const char *s = lx->text;
  char buf[128];
  int n = 0, p = lx->pos;
  int seen_dot = 0;
  /* the digits as an integer and the count after the point, while it is exact */
  uint64_t mant = 0;
  int frac = 0, exact = 1;
  while (p < lx->len) {
    char c = s[p];
    if (is_digit(c)) {
      if (n < 120) buf[n++] = c;
      if (mant >= (UINT64_C(1) << 53) / 10) exact = 0;
      mant = mant * 10 + (uint64_t)(c - '0');
      frac += seen_dot;
      p++;
    }
    else if (c == '_' && p + 1 < lx->len && is_digit(s[p + 1]) && is_digit(s[p - 1])) p++;
    else if (c == '.' && !seen_dot && p + 1 < lx->len && is_digit(s[p + 1])) { seen_dot = 1; buf[n++] = c; p++; }
    else break;
  }
  if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
    exact = 0;
    int q = p + 1;
    if (q < lx->len && (s[q] == '+' || s[q] == '-')) q++;
    if (q < lx->len && is_digit(s[q])) {
      buf[n++] = 'e';
      for (int i = p + 1; i < q; i++) buf[n++] = s[i];
      p = q;
      while (p < lx->len && is_digit(s[p])) { if (n < 126) buf[n++] = s[p]; p++; }
    }
  }
  buf[n] = 0;
  /* An integer below 2^53 and a power of ten up to 1e22 are exact doubles, so
  ** one division rounds correctly: the value strtod gives, without its cost. */
  static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double v = exact && frac <= 22 ? (double)mant / pow10[frac] : strtod(buf, NULL);
  if (n >= 120 || isinf(v))
    hx_error_span(lx->h, t->loc, p - lx->pos, "number too large: %.*s", p - lx->pos > 40 ? 40 : p - lx->pos, s + lx->pos);
  t->kind = TK_NUMBER;
  t->numflags = 0;
  /* scale suffix right after the digits, not the start of a longer name */
  if (p < lx->len && strchr("KMBT", s[p]) && s[p] && !(p + 1 < lx->len && is_id(s[p + 1]))) {
    static const double scale[] = {1e3, 1e6, 1e9, 1e12};
    v *= scale[strchr("KMBT", s[p]) - "KMBT"];
    p++;
    t->numflags |= NUMF_SCALED;
  }
  if (p < lx->len && s[p] == '%') { v /= 100; p++; t->numflags |= NUMF_PERCENT; }
  if (isinf(v)) hx_error_span(lx->h, t->loc, p - lx->pos, "number too large");
  t->num = v;
  t->str = NULL;
  lx->pos = p;
  t->end = p;
  if (!(t->numflags & NUMF_PERCENT)) lex_unit(lx, t);
}

static int hexval(int c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(char *out, int *n, uint32_t cp) {
  if (cp < 0x80) out[(*n)++] = (char)cp;
  else if (cp < 0x800) { out[(*n)++] = (char)(0xC0 | (cp >> 6)); out[(*n)++] = (char)(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) {
    out[(*n)++] = (char)(0xE0 | (cp >> 12)); out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*n)++] = (char)(0xF0 | (cp >> 18)); out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  }
}

static void lex_string(Lexer *lx, Token *t) {
  H *h = lx->h;
  const char *s = lx->text;
  int p = lx->pos + 1;
  /* decoded text is never longer than the source text: one buffer in the
  ** temp arena, sized for the source up to the closing quote (or the end of
  ** the line), never grows and needs no free (nothing leaks on an error) */
  int q = p;
  while (q < lx->len && s[q] != '\n' && s[q] != '"') q += s[q] == '\\' && q + 1 < lx->len && s[q + 1] != '\n' ? 2 : 1;
  int n = 0;
  Buf tmp = {arena_alloc(h, &h->temp, (size_t)(q - p) + 8), 0, (size_t)(q - p) + 8};
  for (;;) {
    if (p >= lx->len) {
      if (lx->incomplete) *lx->incomplete = 1;
      hx_error_at(h, t->loc, "unterminated string");
    }
    char c = s[p];
    if (c == '"') { p++; break; }
    if (c == '\n') { hx_error_at(h, t->loc, "unterminated string (strings end on the same line; use \\n for a newline)"); }
    if (c != '\\') { tmp.p[n++] = c; p++; continue; }
    Loc el = here(lx, p);
    char e = p + 1 < lx->len ? s[p + 1] : 0;
    p += 2;
    switch (e) {
      case 'n': tmp.p[n++] = '\n'; break;
      case 't': tmp.p[n++] = '\t'; break;
      case '"': tmp.p[n++] = '"'; break;
      case '\\': tmp.p[n++] = '\\'; break;
      case 'u': {
        uint32_t cp = 0;
        int digits = 0;
        if (p < lx->len && s[p] == '{') {
          p++;
          while (p < lx->len && hexval(s[p]) >= 0 && digits < 7) { cp = cp * 16 + (uint32_t)hexval(s[p]); p++; digits++; }
          if (p < lx->len && s[p] == '}' && digits > 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) { p++; put_utf8(tmp.p, &n, cp); break; }
        }
        hx_error_at(h, el, "bad unicode escape: write \\u{1F30D} with 1 to 6 hex digits of a valid code point");
      }
      default:
        hx_error_at(h, el, "unknown escape '\\%c' in string (use \\n \\t \\\" \\\\ or \\u{...})", e ? e : '?');
    }
  }
  t->kind = TK_STRING;
  t->str = mem_newstr(h, &h->perm, tmp.p, (size_t)n);
  lx->pos = p;
}

void lex_next(Lexer *lx, Token *t) {
  H *h = lx->h;
  t->nl_before = 0;
  skip_space(lx, t);
  t->start = lx->pos;
  t->loc = here(lx, lx->pos);
  t->uloc = t->loc;
  t->str = NULL;
  t->numflags = 0;
  if (lx->pos >= lx->len) { t->kind = TK_EOF; t->end = lx->pos; return; }
  const char *s = lx->text;
  int c = (unsigned char)s[lx->pos];
  if (is_digit(c)) {
    int n = date_shape(s, lx->pos, lx->len);
    char fix[32];
    const char *part;
    int typo = n ? 0 : date_typo(s, lx->pos, lx->len, fix, sizeof fix, &part);
    if (typo) {
      char sub[48];
      int k = 0;
      for (int i = 0; i < typo && k + 4 < (int)sizeof sub; i++) {
        if (s[lx->pos + i] == '-') { sub[k++] = ' '; sub[k++] = '-'; sub[k++] = ' '; }
        else sub[k++] = s[lx->pos + i];
      }
      sub[k] = 0;
      hx_error_span(h, t->loc, typo, "write the %s with two digits: %s (a date; for a subtraction put spaces around '-': %s)",
                    part, fix, sub);
    }
    if (n) lex_date(lx, t, n);
    else lex_number(lx, t);
    t->end = lx->pos;
    return;
  }
  if (is_id0(c)) {
    int q = lx->pos;
    while (q < lx->len && is_id(s[q])) q++;
    if (q - lx->pos > HX_MAX_NAME) hx_error_at(h, t->loc, "name too long (%d characters; at most %d)", q - lx->pos, HX_MAX_NAME);
    TokKind k = lex_keyword_lookup(s + lx->pos, (size_t)(q - lx->pos));
    t->kind = k;
    if (k == TK_IDENT) t->str = lex_intern(lx, s + lx->pos, (size_t)(q - lx->pos));
    lx->pos = q;
    t->end = q;
    return;
  }
  if (c == '`') {
    int q = lx->pos + 1;
    while (q < lx->len && s[q] != '`' && s[q] != '\n') q++;
    if (q >= lx->len || s[q] != '`') hx_error_at(h, t->loc, "unterminated backquoted name");
    if (q == lx->pos + 1) hx_error_at(h, t->loc, "empty backquoted name");
    if (q - lx->pos - 1 > HX_MAX_NAME) hx_error_at(h, t->loc, "name too long");
    t->kind = TK_IDENT;
    t->str = mem_intern(h, s + lx->pos + 1, (size_t)(q - lx->pos - 1));
    lx->pos = q + 1;
    t->end = lx->pos;
    return;
  }
  if (c == '"') { lex_string(lx, t); t->end = lx->pos; return; }
  int two = lx->pos + 1 < lx->len ? s[lx->pos + 1] : 0;
  TokKind k;
  int w = 1;
  switch (c) {
    case '(': k = TK_LPAREN; break;
    case ')': k = TK_RPAREN; break;
    case '[': k = TK_LBRACK; break;
    case ']': k = TK_RBRACK; break;
    case '{': k = TK_LBRACE; break;
    case '}': k = TK_RBRACE; break;
    case ',': k = TK_COMMA; break;
    case ':': k = TK_COLON; break;
    case '.': k = TK_DOT; break;
    case '+': k = TK_PLUS; break;
    case '-': if (two == '>') { k = TK_ARROW; w = 2; } else k = TK_MINUS; break;
    case '*': k = TK_STAR; break;
    case '/': k = TK_SLASH; break;
    case '^': k = TK_CARET; break;
    case '=': if (two == '=') { k = TK_EQ; w = 2; } else k = TK_ASSIGN; break;
    case '!': if (two == '=') { k = TK_NE; w = 2; break; }
      hx_error_at(h, t->loc, "unexpected '!' (write 'not' for negation, '!=' for inequality)");
    case '<': if (two == '=') { k = TK_LE; w = 2; } else k = TK_LT; break;
    case '>': if (two == '=') { k = TK_GE; w = 2; } else k = TK_GT; break;
    default:
      if (c >= 0x80) hx_error_at(h, t->loc, "unexpected character (non-ASCII text belongs in a string or a `backquoted` name)");
      if (c < 32 || c == 127) hx_error_at(h, t->loc, "unexpected control byte 0x%02x (is this a binary file?)", c);
      hx_error_at(h, t->loc, "unexpected character '%c'", c);
  }
  t->kind = k;
  lx->pos += w;
  t->end = lx->pos;
}
