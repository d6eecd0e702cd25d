/*
** lsp.c: `hedge lsp`, a Language Server (LSP 3.17) over standard input and
** output: JSON-RPC messages framed by Content-Length headers.
**
** What it offers, for documents the editor opens (full-text sync):
**  - diagnostics on open, change and save: the load error of the document
**    (syntax, names, units, CSV, imports) and the load's warnings ("did you
**    mean 40%?") with their ranges from the message's line, column and caret
**    span; then every rule and warn checked, a rule
**    whose evaluation raised an error as an error, a failed rule as a
**    warning and a failed warn as information, each with its counterexamples;
**  - hover: the `:help` text of the name under the cursor (a function's
**    usage and documentation, a let's value, a partner's attributes, a rule,
**    a keyword);
**  - completion: variables bound on the statement (`p in partners`),
**    keywords, declared names, functions and collections, and after a `.`
**    the fields of what comes before, also of a bound variable (the REPL's
**    completion, through introspect.h);
**  - go to definition: where a partner, commodity, deal, loan, function,
**    rule, warn, let, scenario or unit is declared (also in other files);
**  - document formatting: `hedge fmt` (fmt.h) as one whole-document edit.
**
** Each analysis opens a fresh state and loads the document's current text
** under its own path (so relative import, use and load resolve as they do
** for `hedge check`). The last state that loaded answers hover, completion
** and definition, so they keep working while the text does not parse.
** Positions are UTF-16 code units, as LSP requires by default; hedge
** columns count code points, and the two are converted on the line's text.
** Only the CLI uses this file: it prints, it exits.
*/
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "hedge.h"
#include "introspect.h"
#include "fmt.h"
#include "cli.h"

/* ---- growable text ------------------------------------------------------------- */

typedef struct Str { char *p; size_t n, cap; } Str;

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) { fprintf(stderr, "hedge lsp: out of memory\n"); exit(2); }
  return p;
}

static void s_put(Str *s, const char *t, size_t n) {
  if (s->n + n + 1 > s->cap) {
    size_t c = s->cap ? s->cap * 2 : 256;
    while (c < s->n + n + 1) c *= 2;
    char *q = realloc(s->p, c);
    if (!q) { fprintf(stderr, "hedge lsp: out of memory\n"); exit(2); }
    s->p = q;
    s->cap = c;
  }
  memcpy(s->p + s->n, t, n);
  s->n += n;
  s->p[s->n] = 0;
}
static void s_puts(Str *s, const char *t) { s_put(s, t, strlen(t)); }
static void s_printf(Str *s, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof buf) { s_put(s, buf, (size_t)n); return; }
  char *big = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s_put(s, big, (size_t)n);
  free(big);
}

/* A JSON string literal of t[0..n). */
static void s_json(Str *s, const char *t, size_t n) {
  s_put(s, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)t[i];
    if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; s_put(s, e, 2); }
    else if (c == '\n') s_puts(s, "\\n");
    else if (c == '\r') s_puts(s, "\\r");
    else if (c == '\t') s_puts(s, "\\t");
    else if (c < 32 || c == 127) s_printf(s, "\\u%04x", c);
    else s_put(s, (const char *)&c, 1);
  }
  s_put(s, "\"", 1);
}
static void s_jsonz(Str *s, const char *t) { if (t) s_json(s, t, strlen(t)); else s_puts(s, "null"); }

/* ---- a small JSON reader ---------------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JKind;
typedef struct J {
  JKind kind;
  double num;
  char *str; size_t len;           /* J_STR (decoded, NUL-terminated) */
  struct J **items; char **keys;   /* J_ARR, J_OBJ */
  int n;
  char *raw; size_t rawlen;        /* the source text of the value (ids) */
} J;

typedef struct JP { const char *s; size_t n, i; int depth; } JP;

static void jfree(J *j) {
  if (!j) return;
  free(j->str);
  for (int i = 0; i < j->n; i++) { jfree(j->items[i]); if (j->keys) free(j->keys[i]); }
  free(j->items);
  free(j->keys);
  free(j->raw);
  free(j);
}

static void jws(JP *p) { while (p->i < p->n && strchr(" \t\r\n", p->s[p->i])) p->i++; }

static void put_utf8(Str *s, unsigned cp) {
  char b[4];
  int n;
  if (cp < 0x80) { b[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { b[0] = (char)(0xC0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) { b[0] = (char)(0xE0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (char)(0x80 | (cp & 0x3F)); n = 3; }
  else { b[0] = (char)(0xF0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)); b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); n = 4; }
  s_put(s, b, (size_t)n);
}

static int hex4(JP *p, unsigned *v) {
  if (p->i + 4 > p->n) return 0;
  *v = 0;
  for (int k = 0; k < 4; k++) {
    char c = p->s[p->i++];
    *v <<= 4;
    if (c >= '0' && c <= '9') *v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') *v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') *v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  return 1;
}

static J *jparse(JP *p);

static int jstring(JP *p, Str *out) {
  if (p->i >= p->n || p->s[p->i] != '"') return 0;
  p->i++;
  while (p->i < p->n) {
    char c = p->s[p->i++];
    if (c == '"') { if (!out->p) s_put(out, "", 0); return 1; }
    if (c != '\\') { s_put(out, &c, 1); continue; }
    if (p->i >= p->n) return 0;
    char e = p->s[p->i++];
    switch (e) {
      case 'n': s_put(out, "\n", 1); break;
      case 't': s_put(out, "\t", 1); break;
      case 'r': s_put(out, "\r", 1); break;
      case 'b': s_put(out, "\b", 1); break;
      case 'f': s_put(out, "\f", 1); break;
      case '/': case '\\': case '"': s_put(out, &e, 1); break;
      case 'u': {
        unsigned v, w;
        if (!hex4(p, &v)) return 0;
        if (v >= 0xD800 && v < 0xDC00 && p->i + 6 <= p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
          p->i += 2;
          if (!hex4(p, &w)) return 0;
          v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
        }
        put_utf8(out, v);
        break;
      }
      default: return 0;
    }
  }
  return 0;
}

static J *jparse(JP *p) {
  jws(p);
  if (p->i >= p->n || ++p->depth > 200) return NULL;
  size_t start = p->i;
  J *j = xmalloc(sizeof *j);
  memset(j, 0, sizeof *j);
  char c = p->s[p->i];
  int okv = 1;
  if (c == '{' || c == '[') {
    int obj = c == '{';
    j->kind = obj ? J_OBJ : J_ARR;
    p->i++;
    jws(p);
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) p->i++;
    else for (;;) {
      char *key = NULL;
      if (obj) {
        Str k = {0};
        jws(p);
        if (!jstring(p, &k)) { free(k.p); okv = 0; break; }
        key = k.p;
        jws(p);
        if (p->i >= p->n || p->s[p->i] != ':') { free(key); okv = 0; break; }
        p->i++;
      }
      J *v = jparse(p);
      if (!v) { free(key); okv = 0; break; }
      j->items = realloc(j->items, (size_t)(j->n + 1) * sizeof *j->items);
      if (obj) j->keys = realloc(j->keys, (size_t)(j->n + 1) * sizeof *j->keys);
      if (!j->items || (obj && !j->keys)) { fprintf(stderr, "hedge lsp: out of memory\n"); exit(2); }
      j->items[j->n] = v;
      if (obj) j->keys[j->n] = key;
      j->n++;
      jws(p);
      if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
      if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) { p->i++; break; }
      okv = 0;
      break;
    }
  } else if (c == '"') {
    Str s = {0};
    j->kind = J_STR;
    okv = jstring(p, &s);
    j->str = s.p;
    j->len = s.n;
  } else if (!strncmp(p->s + p->i, "true", 4) || !strncmp(p->s + p->i, "false", 5)) {
    j->kind = J_BOOL;
    j->num = c == 't';
    p->i += c == 't' ? 4 : 5;
  } else if (!strncmp(p->s + p->i, "null", 4)) {
    j->kind = J_NULL;
    p->i += 4;
  } else {
    char *end;
    j->kind = J_NUM;
    j->num = strtod(p->s + p->i, &end);
    if (end == p->s + p->i) okv = 0;
    else p->i = (size_t)(end - p->s);
  }
  p->depth--;
  if (!okv) { jfree(j); return NULL; }
  j->rawlen = p->i - start;
  j->raw = xmalloc(j->rawlen + 1);
  memcpy(j->raw, p->s + start, j->rawlen);
  j->raw[j->rawlen] = 0;
  return j;
}

static J *jget(const J *j, const char *key) {
  if (!j || j->kind != J_OBJ) return NULL;
  for (int i = 0; i < j->n; i++) if (!strcmp(j->keys[i], key)) return j->items[i];
  return NULL;
}
static J *jpath(const J *j, const char *a, const char *b) { return jget(jget(j, a), b); }
static const char *jstr(const J *j) { return j && j->kind == J_STR ? j->str : NULL; }
static int jint(const J *j, int dflt) { return j && j->kind == J_NUM ? (int)j->num : dflt; }

/* ---- transport -------------------------------------------------------------------- */

static void send(const Str *body) {
  printf("Content-Length: %zu\r\n\r\n", body->n);
  fwrite(body->p, 1, body->n, stdout);
  fflush(stdout);
}

/* Reads one message body (malloc'd), or NULL at the end of input. */
static char *read_message(size_t *len) {
  char line[1024];
  long clen = -1;
  for (;;) {
    if (!fgets(line, sizeof line, stdin)) return NULL;
    if (!strcmp(line, "\r\n") || !strcmp(line, "\n")) { if (clen >= 0) break; continue; }
    if (!strncasecmp(line, "Content-Length:", 15)) clen = strtol(line + 15, NULL, 10);
  }
  if (clen < 0 || clen > (1L << 30)) return NULL;
  char *b = xmalloc((size_t)clen + 1);
  if (fread(b, 1, (size_t)clen, stdin) != (size_t)clen) { free(b); return NULL; }
  b[clen] = 0;
  *len = (size_t)clen;
  return b;
}

static void reply(const J *id, const char *result_json) {
  Str s = {0};
  s_puts(&s, "{\"jsonrpc\":\"2.0\",\"id\":");
  s_puts(&s, id ? id->raw : "null");
  s_puts(&s, ",\"result\":");
  s_puts(&s, result_json);
  s_puts(&s, "}");
  send(&s);
  free(s.p);
}

static void reply_error(const J *id, int code, const char *msg) {
  Str s = {0};
  s_puts(&s, "{\"jsonrpc\":\"2.0\",\"id\":");
  s_puts(&s, id ? id->raw : "null");
  s_printf(&s, ",\"error\":{\"code\":%d,\"message\":", code);
  s_jsonz(&s, msg);
  s_puts(&s, "}}");
  send(&s);
  free(s.p);
}

/* ---- documents ----------------------------------------------------------------------- */

typedef struct Doc {
  char *uri, *path, *text;
  hedge_State *H;        /* the last state the document loaded into, or NULL */
  struct Doc *next;
} Doc;

static Doc *docs;
static unsigned lsp_caps;

static Doc *doc_find(const char *uri) {
  for (Doc *d = docs; d; d = d->next) if (!strcmp(d->uri, uri)) return d;
  return NULL;
}

static int hexv(int c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

/* file:///a/b%20c.hedge -> /a/b c.hedge; other schemes: the URI itself. */
static char *uri_to_path(const char *uri) {
  if (strncmp(uri, "file://", 7)) return strdup(uri);
  const char *p = uri + 7;
  if (strncmp(p, "localhost/", 10) == 0) p += 9;
  char *out = xmalloc(strlen(p) + 1);
  size_t n = 0;
  for (; *p; p++) {
    if (*p == '%' && hexv(p[1]) >= 0 && hexv(p[2]) >= 0) { out[n++] = (char)(hexv(p[1]) * 16 + hexv(p[2])); p += 2; }
    else out[n++] = *p;
  }
  out[n] = 0;
  return out;
}

static void path_to_uri(Str *s, const char *path) {
  s_puts(s, "file://");
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
      s_put(s, (const char *)p, 1);
    else s_printf(s, "%%%02X", *p);
  }
}

/* The bytes of line `line` (0-based) of text: start offset and length. */
static int line_span(const char *text, int line, size_t *start, size_t *len) {
  const char *p = text;
  for (int l = 0; l < line; l++) {
    p = strchr(p, '\n');
    if (!p) return 0;
    p++;
  }
  const char *e = strchr(p, '\n');
  size_t n = e ? (size_t)(e - p) : strlen(p);
  if (n && p[n - 1] == '\r') n--;
  *start = (size_t)(p - text);
  *len = n;
  return 1;
}

static int utf8_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

/* Code-point column (1-based, hedge) -> UTF-16 offset (0-based, LSP) on a line. */
static int col_to_utf16(const char *text, int line, int col) {
  size_t st, n;
  if (!line_span(text, line, &st, &n)) return col > 0 ? col - 1 : 0;
  const char *p = text + st;
  int u = 0;
  size_t i = 0;
  for (int c = 1; c < col; c++) {
    if (i >= n) { u += col - c; break; }   /* past the line's end: one unit each */
    int k = utf8_len((unsigned char)p[i]);
    u += k == 4 ? 2 : 1;
    i += (size_t)k;
  }
  return u;
}

/* UTF-16 offset -> byte offset into text (the position's byte). */
static size_t pos_to_byte(const char *text, int line, int character) {
  size_t st, n;
  if (!line_span(text, line, &st, &n)) return strlen(text);
  size_t i = 0;
  int u = 0;
  while (i < n && u < character) {
    int k = utf8_len((unsigned char)text[st + i]);
    u += k == 4 ? 2 : 1;
    i += (size_t)k;
  }
  return st + (i < n ? i : n);
}

/* ---- analysis: diagnostics ---------------------------------------------------------- */

static void discard(void *ud, const char *s, size_t n) { (void)ud; (void)s; (void)n; }

static hedge_State *open_state(void) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.capabilities = lsp_caps | HEDGE_CAP_FILES;   /* like the command line: the document reads its files */
  o.stdlib_dir = cli_stdlib_dir();
  o.search_path = getenv("HEDGE_PATH");
  o.print = discard;   /* stdout is the protocol's */
  o.load_threads = 1;
  char err[1024];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) fprintf(stderr, "hedge lsp: cannot start an interpreter: %s\n", err);
  return H;
}

/* A located message "PATH:LINE:COL: error: MSG\n  quoted\n  ^~~" split up. */
typedef struct Located { char path[PATH_MAX]; int line, col, width; const char *msg; size_t msglen; } Located;

static int parse_located(const char *m, Located *L) {
  memset(L, 0, sizeof *L);
  const char *e = strstr(m, ": error: ");
  const char *nl = strchr(m, '\n');
  const char *w = strstr(m, ": warning: ");
  if (w && (!e || w < e) && (!nl || w < nl)) e = w;
  if (!e || (nl && e > nl)) return 0;
  /* PATH:LINE:COL before ": error: " (PATH may itself contain ':') */
  const char *c2 = e;
  while (c2 > m && c2[-1] >= '0' && c2[-1] <= '9') c2--;
  if (c2 == e || c2 == m || c2[-1] != ':') return 0;
  const char *c1 = c2 - 1;
  while (c1 > m && c1[-1] >= '0' && c1[-1] <= '9') c1--;
  if (c1 == c2 - 1 || c1 == m || c1[-1] != ':') return 0;
  size_t pl = (size_t)(c1 - 1 - m);
  if (pl >= sizeof L->path) return 0;
  memcpy(L->path, m, pl);
  L->path[pl] = 0;
  L->line = atoi(c1);
  L->col = atoi(c2);
  L->msg = e + (e == w ? 11 : 9);
  L->msglen = nl ? (size_t)(nl - L->msg) : strlen(L->msg);
  L->width = 1;
  /* the caret line: "  ^~~~" is the third line */
  if (nl) {
    const char *q = strchr(nl + 1, '\n');
    if (q) {
      const char *r = q + 1;
      while (*r == ' ' || *r == '\t') r++;
      if (*r == '^') {
        int w = 0;
        while (r[w] == '^' || r[w] == '~') w++;
        L->width = w;
      }
    }
  }
  return 1;
}

static int same_file(const char *a, const char *b) {
  if (!strcmp(a, b)) return 1;
  char ra[PATH_MAX], rb[PATH_MAX];
  return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

static void range_json(Str *s, const char *text, int line0, int col1, int width) {
  int a = col_to_utf16(text, line0, col1), b = col_to_utf16(text, line0, col1 + (width > 0 ? width : 1));
  s_printf(s, "{\"start\":{\"line\":%d,\"character\":%d},\"end\":{\"line\":%d,\"character\":%d}}", line0, a, line0, b);
}

/* A diagnostic for a located message; one in another file is placed on the
** document's import/load/use line that names that file, else on line 1. */
static void diag_from_message(Str *s, int *first, Doc *d, const char *msg, int severity, const char *code) {
  Located L;
  int line0 = 0, col = 1, width = 1;
  Str text = {0};
  if (parse_located(msg, &L)) {
    if (same_file(L.path, d->path)) { line0 = L.line - 1; col = L.col; width = L.width; }
    else {
      const char *base = strrchr(L.path, '/');
      base = base ? base + 1 : L.path;
      const char *hit = *base ? strstr(d->text, base) : NULL;
      if (hit) {
        for (const char *p = d->text; p < hit; p++) if (*p == '\n') line0++;
        const char *ls = hit;
        while (ls > d->text && ls[-1] != '\n') ls--;
        col = 1;
        for (const char *p = ls; p < hit; p += utf8_len((unsigned char)*p)) col++;
        width = (int)strlen(base);
      }
      s_printf(&text, "%s:%d:%d: ", L.path, L.line, L.col);
    }
    s_put(&text, L.msg, L.msglen);
  } else {
    const char *nl = strchr(msg, '\n');
    s_put(&text, msg, nl ? (size_t)(nl - msg) : strlen(msg));
  }
  /* notes ("PATH:L:C: note: ...") follow on their own lines */
  for (const char *p = strchr(msg, '\n'); p; p = strchr(p + 1, '\n')) {
    const char *note = strstr(p, ": note: ");
    const char *next = strchr(p + 1, '\n');
    if (note && (!next || note < next)) {
      s_puts(&text, "\n");
      s_put(&text, note + 2, next ? (size_t)(next - note - 2) : strlen(note + 2));
    }
  }
  if (!*first) s_puts(s, ",");
  *first = 0;
  s_puts(s, "{\"range\":");
  range_json(s, d->text, line0, col, width);
  s_printf(s, ",\"severity\":%d,\"source\":\"hedge\",\"code\":\"%s\",\"message\":", severity, code);
  s_json(s, text.p ? text.p : "", text.n);
  s_puts(s, "}");
  free(text.p);
}

static int is_word(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

/* The width of the rule's head on its line: `rule NAME`. */
static int rule_head_width(const char *text, int line0, int col) {
  size_t st, n;
  if (!line_span(text, line0, &st, &n)) return 1;
  size_t i = 0;
  for (int c = 1; c < col && i < n; c++) i += (size_t)utf8_len((unsigned char)text[st + i]);
  size_t j = i;
  while (j < n && text[st + j] != ' ') j++;                       /* rule / warn */
  while (j < n && text[st + j] == ' ') j++;
  while (j < n && (is_word((unsigned char)text[st + j]) || text[st + j] == '`')) j++;
  return j > i ? (int)(j - i) : 1;
}

static void publish(Doc *d) {
  Str s = {0};
  int first = 1;
  s_puts(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\",\"params\":{\"uri\":");
  s_jsonz(&s, d->uri);
  s_puts(&s, ",\"diagnostics\":[");
  hedge_State *H = open_state();
  if (H) {
    int st = hedge_load_string(H, d->path, d->text);
    /* warnings of the load ("did you mean 40%?"): each a located message of
    ** three lines, the header, the quoted line and the caret */
    const char *warns = hedge_warnings(H);
    for (const char *p = warns; p && *p;) {
      const char *e1 = strchr(p, '\n');
      const char *e2 = e1 ? strchr(e1 + 1, '\n') : NULL;
      const char *e3 = e2 ? strchr(e2 + 1, '\n') : NULL;
      const char *end = e3 ? e3 : p + strlen(p);
      if (*p != ' ' && strstr(p, ": warning: ") && strstr(p, ": warning: ") < (e1 ? e1 : end)) {
        char *one = strndup(p, (size_t)(end - p));
        if (one) { diag_from_message(&s, &first, d, one, 2, "warning"); free(one); }
        p = *end ? end + 1 : end;
      } else p = e1 ? e1 + 1 : p + strlen(p);
    }
    if (st != HEDGE_OK) {
      diag_from_message(&s, &first, d, hedge_errmsg(H), 1, "error");
      hedge_close(H);
    } else {
      hedge_Report *r = NULL;
      hedge_check(H, NULL, NULL, &r);
      for (int i = 0; r && i < hedge_report_rules(r); i++) {
        int status = hedge_rule_status(r, i);
        if (status == HEDGE_PASS) continue;
        int line = 0, col = 0;
        const char *file = hedge_rule_location(r, i, &line, &col);
        if (!file || !same_file(file, d->path)) continue;
        if (status == HEDGE_ERRORED) {
          const char *err = hedge_rule_error(r, i);
          Located L;
          if (err && parse_located(err, &L) && same_file(L.path, d->path)) diag_from_message(&s, &first, d, err, 1, "rule-error");
          else {
            if (!first) s_puts(&s, ",");
            first = 0;
            s_puts(&s, "{\"range\":");
            range_json(&s, d->text, line - 1, col, rule_head_width(d->text, line - 1, col));
            s_puts(&s, ",\"severity\":1,\"source\":\"hedge\",\"code\":\"rule-error\",\"message\":");
            s_jsonz(&s, err ? err : "error");
            s_puts(&s, "}");
          }
          continue;
        }
        int warn = hedge_rule_is_warn(r, i);
        Str m = {0};
        s_printf(&m, "%s %s fails", warn ? "warn" : "rule", hedge_rule_name(r, i));
        const char *title = hedge_rule_title(r, i);
        if (title) s_printf(&m, " (\"%s\")", title);
        int ncx = hedge_rule_counterexamples(r, i);
        for (int k = 0; k < ncx && k < 10; k++) {
          s_puts(&m, "\n  ");
          for (int b = 0; b < hedge_cx_bindings(r, i, k); b++) {
            const char *val = NULL;
            const char *var = hedge_cx_binding(r, i, k, b, &val);
            s_printf(&m, "%s%s = %s", b ? ", " : "", var ? var : "?", val ? val : "?");
          }
          for (int v = 0; v < hedge_cx_values(r, i, k); v++) {
            double num;
            const char *unit = NULL, *txt = NULL;
            const char *expr = hedge_cx_value(r, i, k, v, &num, &unit, &txt);
            s_printf(&m, "%s%s = %s", v || hedge_cx_bindings(r, i, k) ? "    " : "", expr ? expr : "?", txt ? txt : "?");
          }
        }
        if (ncx > 10) s_printf(&m, "\n  ... and %d more", ncx - 10);
        if (!first) s_puts(&s, ",");
        first = 0;
        s_puts(&s, "{\"range\":");
        range_json(&s, d->text, line - 1, col, rule_head_width(d->text, line - 1, col));
        s_printf(&s, ",\"severity\":%d,\"source\":\"hedge\",\"code\":\"%s\",\"message\":", warn ? 3 : 2, warn ? "warn-failed" : "rule-failed");
        s_json(&s, m.p ? m.p : "", m.n);
        s_puts(&s, "}");
        free(m.p);
      }
      hedge_report_free(H, r);
      if (d->H) hedge_close(d->H);
      d->H = H;
    }
  }
  s_puts(&s, "]}}");
  send(&s);
  free(s.p);
}

/* ---- hover, completion, definition -------------------------------------------------- */

/* The name at a position (a word or a `backquoted name`), malloc'd; NULL if none. */
static char *word_at(const char *text, int line, int character, size_t *wstart) {
  size_t st, n;
  if (!line_span(text, line, &st, &n)) return NULL;
  size_t p = pos_to_byte(text, line, character) - st;
  const char *l = text + st;
  /* backquoted: the cursor between two backquotes of the line */
  size_t a = p;
  while (a > 0 && l[a - 1] != '`') a--;
  if (a > 0) {
    size_t b = p;
    while (b < n && l[b] != '`') b++;
    int before = 0;
    for (size_t i = 0; i + 1 < a; i++) if (l[i] == '`') before++;
    if (b < n && before % 2 == 0 && b > a) {
      char *w = xmalloc(b - a + 1);
      memcpy(w, l + a, b - a);
      w[b - a] = 0;
      if (wstart) *wstart = st + a;
      return w;
    }
  }
  size_t s0 = p, e0 = p;
  while (s0 > 0 && is_word((unsigned char)l[s0 - 1])) s0--;
  while (e0 < n && is_word((unsigned char)l[e0])) e0++;
  if (e0 == s0 || (l[s0] >= '0' && l[s0] <= '9')) return NULL;
  char *w = xmalloc(e0 - s0 + 1);
  memcpy(w, l + s0, e0 - s0);
  w[e0 - s0] = 0;
  if (wstart) *wstart = st + s0;
  return w;
}

/* A state to answer from: the document's last good one, else a fresh one
** with only the standard library (closed by the caller when *fresh). */
static hedge_State *state_for(Doc *d, int *fresh) {
  *fresh = 0;
  if (d && d->H) return d->H;
  *fresh = 1;
  return open_state();
}

static void on_hover(const J *id, const J *params) {
  Doc *d = doc_find(jstr(jpath(params, "textDocument", "uri")) ? jstr(jpath(params, "textDocument", "uri")) : "");
  J *pos = jget(params, "position");
  if (!d || !pos) { reply(id, "null"); return; }
  char *w = word_at(d->text, jint(jget(pos, "line"), 0), jint(jget(pos, "character"), 0), NULL);
  if (!w) { reply(id, "null"); return; }
  int fresh;
  hedge_State *H = state_for(d, &fresh);
  const char *help = H ? hedge_help(H, w) : NULL;
  if (!help) { reply(id, "null"); if (fresh && H) hedge_close(H); free(w); return; }
  Str md = {0}, s = {0};
  s_puts(&md, "```\n");
  s_puts(&md, help);
  s_puts(&md, "```");
  s_puts(&s, "{\"contents\":{\"kind\":\"markdown\",\"value\":");
  s_json(&s, md.p, md.n);
  s_puts(&s, "}}");
  reply(id, s.p);
  free(md.p);
  free(s.p);
  free(w);
  if (fresh && H) hedge_close(H);
}

typedef struct Comp { Str *out; const char *prefix; size_t plen; int kind; int n; char **seen; int nseen; } Comp;

static int comp_add(void *ud, const char *name, const char *detail) {
  Comp *c = ud;
  if (strncmp(name, c->prefix, c->plen) != 0) return 0;
  for (int i = 0; i < c->nseen; i++) if (!strcmp(c->seen[i], name)) return 0;
  c->seen = realloc(c->seen, (size_t)(c->nseen + 1) * sizeof *c->seen);
  if (!c->seen) { fprintf(stderr, "hedge lsp: out of memory\n"); exit(2); }
  c->seen[c->nseen++] = strdup(name);
  if (c->n++) s_puts(c->out, ",");
  s_puts(c->out, "{\"label\":");
  s_jsonz(c->out, name);
  s_printf(c->out, ",\"kind\":%d", c->kind);
  if (detail) { s_puts(c->out, ",\"detail\":"); s_jsonz(c->out, detail); }
  s_puts(c->out, "}");
  return 0;
}

/* The collection a variable is bound to by `var in COLL` earlier in the text. */
static int binder_of(const char *text, size_t upto, const char *var, size_t vlen, char *out, size_t outn) {
  int found = 0;
  for (size_t i = 0; i < upto; i++) {
    if (!is_word((unsigned char)text[i]) || (i > 0 && is_word((unsigned char)text[i - 1]))) continue;
    size_t j = i;
    while (j < upto && is_word((unsigned char)text[j])) j++;
    size_t q = j;
    while (q < upto && (text[q] == ' ' || text[q] == '\t' || text[q] == '\n')) q++;
    if (j - i == vlen && !memcmp(text + i, var, vlen) && q + 2 < upto && text[q] == 'i' && text[q + 1] == 'n' && !is_word((unsigned char)text[q + 2])) {
      q += 2;
      while (q < upto && (text[q] == ' ' || text[q] == '\t')) q++;
      size_t c = q;
      while (q < upto && (is_word((unsigned char)text[q]) || text[q] == '.')) q++;
      if (q > c && q - c < outn) { memcpy(out, text + c, q - c); out[q - c] = 0; found = 1; }
    }
    i = j;
  }
  return found;
}

static void on_completion(const J *id, const J *params) {
  const char *uri = jstr(jpath(params, "textDocument", "uri"));
  Doc *d = uri ? doc_find(uri) : NULL;
  J *pos = jget(params, "position");
  if (!d || !pos) { reply(id, "[]"); return; }
  int line = jint(jget(pos, "line"), 0);
  size_t at = pos_to_byte(d->text, line, jint(jget(pos, "character"), 0));
  size_t s0 = at;
  while (s0 > 0 && is_word((unsigned char)d->text[s0 - 1])) s0--;
  char prefix[256];
  snprintf(prefix, sizeof prefix, "%.*s", (int)(at - s0), d->text + s0);
  int fresh;
  hedge_State *H = state_for(d, &fresh);
  Str out = {0};
  Comp c = {&out, prefix, strlen(prefix), 6, 0, NULL, 0};
  s_puts(&out, "{\"isIncomplete\":false,\"items\":[");
  if (H && s0 > 0 && d->text[s0 - 1] == '.') {
    /* fields of the chain of names before the dot */
    size_t b = s0 - 1;
    while (b > 0 && (is_word((unsigned char)d->text[b - 1]) || d->text[b - 1] == '.')) b--;
    char chain[512];
    snprintf(chain, sizeof chain, "%.*s", (int)(s0 - 1 - b), d->text + b);
    size_t first = strcspn(chain, ".");
    char coll[256];
    c.kind = 5;   /* Field */
    if (*chain && hedge_fields(H, chain, NULL, NULL) < 0 && binder_of(d->text, b, chain, first, coll, sizeof coll)) {
      char alt[800];
      snprintf(alt, sizeof alt, "%s%s", coll, chain + first);
      hedge_fields(H, alt, comp_add, &c);
    } else if (*chain) hedge_fields(H, chain, comp_add, &c);
  } else if (H) {
    static const struct { int what, kind; } lists[] = {
      {HEDGE_NAMES_LETS, 6}, {HEDGE_NAMES_PARTNERS, 20}, {HEDGE_NAMES_COMMODITIES, 20},
      {HEDGE_NAMES_DEALS, 20}, {HEDGE_NAMES_LOANS, 20}, {HEDGE_NAMES_FUNCTIONS, 3},
      {HEDGE_NAMES_BUILTINS, 3}, {HEDGE_NAMES_RULES, 21}, {HEDGE_NAMES_SCENARIOS, 9},
      {HEDGE_NAMES_COLLECTIONS, 9}, {HEDGE_NAMES_UNITS, 11}, {HEDGE_NAMES_KEYWORDS, 14}};
    /* variables bound before the cursor on its statement (`p in partners`),
    ** as the REPL offers them: from the last line that starts a statement */
    size_t from = s0;
    while (from > 0) {
      size_t ls = from - 1;
      while (ls > 0 && d->text[ls - 1] != '\n') ls--;
      from = ls;
      if (d->text[ls] != ' ' && d->text[ls] != '\t') break;
    }
    c.kind = 6;   /* Variable */
    for (size_t i = from; i < s0; i++) {
      if (!is_word((unsigned char)d->text[i]) || (i > from && is_word((unsigned char)d->text[i - 1]))) continue;
      size_t j = i;
      while (j < s0 && is_word((unsigned char)d->text[j])) j++;
      size_t q = j;
      while (q < s0 && (d->text[q] == ' ' || d->text[q] == '\t')) q++;
      if (q + 2 < s0 && d->text[q] == 'i' && d->text[q + 1] == 'n' && !is_word((unsigned char)d->text[q + 2]) && j - i < 128) {
        char v[128];
        memcpy(v, d->text + i, j - i);
        v[j - i] = 0;
        if (strcmp(v, "in") && strcmp(v, "where")) comp_add(&c, v, "bound variable");
      }
      i = j;
    }
    for (size_t k = 0; k < sizeof lists / sizeof *lists; k++) {
      c.kind = lists[k].kind;
      hedge_names(H, lists[k].what, 1, comp_add, &c);
    }
  }
  s_puts(&out, "]}");
  reply(id, out.p);
  for (int i = 0; i < c.nseen; i++) free(c.seen[i]);
  free(c.seen);
  free(out.p);
  if (fresh && H) hedge_close(H);
}

static void on_definition(const J *id, const J *params) {
  const char *uri = jstr(jpath(params, "textDocument", "uri"));
  Doc *d = uri ? doc_find(uri) : NULL;
  J *pos = jget(params, "position");
  if (!d || !pos || !d->H) { reply(id, "null"); return; }
  char *w = word_at(d->text, jint(jget(pos, "line"), 0), jint(jget(pos, "character"), 0), NULL);
  const char *help = w ? hedge_help(d->H, w) : NULL;
  const char *at = help ? strstr(help, "declared at ") : NULL;
  Located L;
  char probe[PATH_MAX + 64];
  if (!at) { reply(id, "null"); free(w); return; }
  /* "declared at PATH:LINE:COL" -> reuse the message parser */
  const char *e = strchr(at, '\n');
  snprintf(probe, sizeof probe, "%.*s: error: x", (int)(e ? e - at - 12 : (long)strlen(at + 12)), at + 12);
  if (!parse_located(probe, &L)) { reply(id, "null"); free(w); return; }
  /* the range of the name itself when it is on that line */
  char *ftext = NULL;
  const char *text = NULL;
  if (same_file(L.path, d->path)) text = d->text;
  else {
    Doc *o = NULL;
    for (Doc *x = docs; x; x = x->next) if (same_file(L.path, x->path)) o = x;
    if (o) text = o->text;
    else {
      FILE *f = fopen(L.path, "rb");
      if (f) {
        Str t = {0};
        char buf[65536];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, f)) > 0) s_put(&t, buf, k);
        fclose(f);
        ftext = t.p;
        text = ftext;
      }
    }
  }
  int col = L.col, width = (int)strlen(w);
  size_t st, n;
  if (text && line_span(text, L.line - 1, &st, &n)) {
    /* the statement's keyword may come first (`let F`, `rule r`): find the name */
    const char *ln = text + st;
    size_t i = 0;
    for (int c = 1; c < L.col && i < n; c++) i += (size_t)utf8_len((unsigned char)ln[i]);
    size_t wl = strlen(w);
    for (size_t j = i; j + wl <= n; j++)
      if (!memcmp(ln + j, w, wl) && (j == 0 || !is_word((unsigned char)ln[j - 1])) && (j + wl == n || !is_word((unsigned char)ln[j + wl]))) {
        col = L.col;
        for (size_t q = i; q < j; q += (size_t)utf8_len((unsigned char)ln[q])) col++;
        break;
      }
  }
  Str s = {0};
  s_puts(&s, "{\"uri\":\"");
  Str u = {0};
  char abs[PATH_MAX];
  path_to_uri(&u, realpath(L.path, abs) ? abs : L.path);
  s_put(&s, u.p, u.n);
  s_puts(&s, "\",\"range\":");
  range_json(&s, text ? text : "", L.line - 1, col, width);
  s_puts(&s, "}");
  reply(id, s.p);
  free(s.p);
  free(u.p);
  free(ftext);
  free(w);
}

static void on_formatting(const J *id, const J *params) {
  const char *uri = jstr(jpath(params, "textDocument", "uri"));
  Doc *d = uri ? doc_find(uri) : NULL;
  if (!d) { reply(id, "null"); return; }
  hedge_State *H = open_state();
  const char *out = NULL;
  size_t outlen = 0;
  size_t len = strlen(d->text);
  if (!H || hedge_format(H, d->path, d->text, len, &out, &outlen) != HEDGE_OK) {
    /* the text does not parse: no edits (the diagnostics say why) */
    reply(id, "[]");
    if (H) hedge_close(H);
    return;
  }
  if (outlen == len && !memcmp(out, d->text, len)) { reply(id, "[]"); hedge_close(H); return; }
  int lines = 0;
  for (const char *p = d->text; *p; p++) if (*p == '\n') lines++;
  Str s = {0};
  s_printf(&s, "[{\"range\":{\"start\":{\"line\":0,\"character\":0},\"end\":{\"line\":%d,\"character\":0}},\"newText\":", lines + 1);
  s_json(&s, out, outlen);
  s_puts(&s, "}]");
  reply(id, s.p);
  free(s.p);
  hedge_close(H);
}

/* ---- the session ---------------------------------------------------------------------- */

static const char capabilities[] =
  "{\"capabilities\":{"
  "\"positionEncoding\":\"utf-16\","
  "\"textDocumentSync\":{\"openClose\":true,\"change\":1,\"save\":{\"includeText\":false}},"
  "\"hoverProvider\":true,"
  "\"completionProvider\":{\"triggerCharacters\":[\".\"]},"
  "\"definitionProvider\":true,"
  "\"documentFormattingProvider\":true},"
  "\"serverInfo\":{\"name\":\"hedge\",\"version\":\"" HEDGE_VERSION "\"}}";

static void doc_set(const char *uri, const char *text) {
  Doc *d = doc_find(uri);
  if (!d) {
    d = xmalloc(sizeof *d);
    memset(d, 0, sizeof *d);
    d->uri = strdup(uri);
    d->path = uri_to_path(uri);
    d->next = docs;
    docs = d;
  }
  free(d->text);
  d->text = strdup(text);
  if (!d->uri || !d->path || !d->text) { fprintf(stderr, "hedge lsp: out of memory\n"); exit(2); }
  publish(d);
}

static void doc_close(const char *uri) {
  for (Doc **pp = &docs; *pp; pp = &(*pp)->next) {
    Doc *d = *pp;
    if (strcmp(d->uri, uri)) continue;
    *pp = d->next;
    /* clear its diagnostics */
    Str s = {0};
    s_puts(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/publishDiagnostics\",\"params\":{\"uri\":");
    s_jsonz(&s, d->uri);
    s_puts(&s, ",\"diagnostics\":[]}}");
    send(&s);
    free(s.p);
    if (d->H) hedge_close(d->H);
    free(d->uri); free(d->path); free(d->text); free(d);
    return;
  }
}

int cli_lsp(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--allow-ffi")) lsp_caps |= HEDGE_CAP_FFI;
    else if (!strcmp(argv[i], "--allow-io")) lsp_caps |= HEDGE_CAP_IO;
    else if (!strcmp(argv[i], "--stdio")) continue;   /* what some clients pass */
    else if (!strcmp(argv[i], "--help")) {
      puts("usage: hedge lsp [--allow-ffi] [--allow-io]   (a Language Server on stdin/stdout)");
      return 0;
    } else { fprintf(stderr, "hedge: unknown option %s for lsp\n", argv[i]); return 2; }
  }
  int shutdown = 0;
  for (;;) {
    size_t len;
    char *body = read_message(&len);
    if (!body) break;
    JP p = {body, len, 0, 0};
    J *msg = jparse(&p);
    free(body);
    if (!msg || msg->kind != J_OBJ) { jfree(msg); reply_error(NULL, -32700, "parse error"); continue; }
    const char *method = jstr(jget(msg, "method"));
    J *id = jget(msg, "id");
    J *params = jget(msg, "params");
    if (!method) { jfree(msg); continue; }   /* a response to us: none expected */
    if (!strcmp(method, "initialize")) reply(id, capabilities);
    else if (!strcmp(method, "initialized")) { /* nothing to do */ }
    else if (!strcmp(method, "shutdown")) { shutdown = 1; reply(id, "null"); }
    else if (!strcmp(method, "exit")) { jfree(msg); break; }
    else if (!strcmp(method, "textDocument/didOpen")) {
      const char *uri = jstr(jpath(params, "textDocument", "uri"));
      const char *text = jstr(jpath(params, "textDocument", "text"));
      if (uri && text) doc_set(uri, text);
    } else if (!strcmp(method, "textDocument/didChange")) {
      const char *uri = jstr(jpath(params, "textDocument", "uri"));
      J *ch = jget(params, "contentChanges");
      const char *text = ch && ch->kind == J_ARR && ch->n ? jstr(jget(ch->items[ch->n - 1], "text")) : NULL;
      if (uri && text) doc_set(uri, text);
    } else if (!strcmp(method, "textDocument/didSave")) {
      Doc *d = doc_find(jstr(jpath(params, "textDocument", "uri")) ? jstr(jpath(params, "textDocument", "uri")) : "");
      if (d) publish(d);   /* a CSV or import it reads may have changed too */
    } else if (!strcmp(method, "textDocument/didClose")) {
      const char *uri = jstr(jpath(params, "textDocument", "uri"));
      if (uri) doc_close(uri);
    } else if (!strcmp(method, "textDocument/hover")) on_hover(id, params);
    else if (!strcmp(method, "textDocument/completion")) on_completion(id, params);
    else if (!strcmp(method, "textDocument/definition")) on_definition(id, params);
    else if (!strcmp(method, "textDocument/formatting")) on_formatting(id, params);
    else if (id) reply_error(id, -32601, "method not supported by hedge lsp");
    jfree(msg);
  }
  while (docs) {
    Doc *d = docs;
    docs = d->next;
    if (d->H) hedge_close(d->H);
    free(d->uri); free(d->path); free(d->text); free(d);
  }
  return shutdown ? 0 : 1;
}
