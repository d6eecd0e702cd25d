/*
** diag.c: diagnostics and the protected boundary. An error is formatted
** once, where it happens, into h->err ("file:line:col: error: message",
** the quoted source line, a caret, notes), then longjmp unwinds to the
** innermost hx_pcall. Nothing is printed here: the CLI prints h->err.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "core.h"
#include "utf8.h"

const char *hx_locstr(H *h, Loc loc, char *buf, size_t n) {
  if (loc.src < 0 || (uint32_t)loc.src >= h->sources.n) snprintf(buf, n, "?");
  else snprintf(buf, n, "%s:%d:%d", h->sources.p[loc.src]->name, loc.line, loc.col);
  return buf;
}

/* Quotes the source line of loc with a caret (or ^~~~ of width) under col.
** Columns count code points; width counts the bytes of the source text
** from there (a name's length), drawn as the characters they make up. */
static void quote_into(H *h, Buf *out, Loc loc, int width) {
  if (loc.src < 0 || (uint32_t)loc.src >= h->sources.n || loc.line <= 0) return;
  Source *s = h->sources.p[loc.src];
  const char *p = s->text, *end = s->text + s->len;
  for (int l = 1; l < loc.line && p < end; p++)
    if (*p == '\n') l++;
  if (loc.line == 1 && end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;   /* byte order mark */
  const char *e = p;
  while (e < end && *e != '\n' && *e != '\r') e++;
  size_t n = (size_t)(e - p);
  if (n > 200) {   /* a minified line must not flood the terminal */
    n = 200;
    while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80) n--;   /* not inside a character */
  }
  buf_puts(h, out, "\n  ");
  /* non-printable bytes (binary junk, malformed UTF-8) are shown as '?' so the terminal survives */
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)p[i];
    int k = utf8_seq_len(p + i, n - i);
    if (k == 0 || (c < 32 && c != '\t') || c == 127) { buf_putc(h, out, '?'); i++; continue; }
    buf_put(h, out, p + i, (size_t)k);
    i += (size_t)k;
  }
  buf_puts(h, out, "\n  ");
  /* one space per character before the column (a tab stays a tab) */
  size_t i = 0;
  for (int c = 1; c < loc.col && i < n; c++) {
    buf_putc(h, out, p[i] == '\t' ? '\t' : ' ');
    int k = utf8_seq_len(p + i, n - i);
    i += k ? (size_t)k : 1;
  }
  buf_putc(h, out, '^');
  /* the rest of the span, one '~' per character (past the line's end, per byte) */
  size_t stop = i + (width > 1 ? (size_t)width : 1);
  for (int first = 1, tildes = 0; i < stop && tildes < 79; first = 0) {
    int k = i < n ? utf8_seq_len(p + i, n - i) : 1;
    i += k ? (size_t)k : 1;
    if (!first) { buf_putc(h, out, '~'); tildes++; }
  }
}

static void quote_line(H *h, Loc loc, int width) { quote_into(h, &h->err, loc, width); }

static void begin(H *h, int status, Loc loc, int width, const char *fmt, va_list ap) {
  h->err.n = 0;
  h->err_status = status;
  char lb[512];
  if (loc.src >= 0) buf_printf(h, &h->err, "%s: error: ", hx_locstr(h, loc, lb, sizeof lb));
  else buf_puts(h, &h->err, "error: ");
  buf_vprintf(h, &h->err, fmt, ap);
  quote_line(h, loc, width);
}

void hx_error_begin(H *h, int status, Loc loc, int width, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); begin(h, status, loc, width, fmt, ap); va_end(ap);
}

void hx_error_note(H *h, Loc loc, const char *fmt, ...) {
  char lb[512];
  va_list ap;
  va_start(ap, fmt);
  buf_puts(h, &h->err, "\n");
  if (loc.src >= 0) buf_printf(h, &h->err, "%s: note: ", hx_locstr(h, loc, lb, sizeof lb));
  else buf_puts(h, &h->err, "note: ");
  buf_vprintf(h, &h->err, fmt, ap);
  va_end(ap);
  if (loc.src >= 0) quote_line(h, loc, 1);
}

_Noreturn void hx_throw(H *h, int status) {
  h->err_status = status;
  if (!h->protect) {
    /* Every entry point of the library installs a boundary, so a throw
    ** without one is a bug in hedge, never the user's doing. There is no
    ** frame to return to and going on would run with a broken state, so
    ** this traps, in every build (it is the one place the library stops
    ** the process; the tests never reach it). */
    __builtin_trap();
  }
  h->protect->status = status;
  longjmp(h->protect->jb, 1);
}

_Noreturn void hx_error_end(H *h) { hx_throw(h, h->err_status); }

_Noreturn void hx_error_at(H *h, Loc loc, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); begin(h, HEDGE_ERROR, loc, 1, fmt, ap); va_end(ap);
  hx_throw(h, HEDGE_ERROR);
}

_Noreturn void hx_error_span(H *h, Loc loc, int width, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); begin(h, HEDGE_ERROR, loc, width, fmt, ap); va_end(ap);
  hx_throw(h, HEDGE_ERROR);
}

/* Protect.status of the frame that formats a memory error's message. */
#define OOM_FRAME (-1)

_Noreturn void hx_error_status(H *h, int status, Loc loc, const char *fmt, ...) {
  /* Memory errors must not allocate more: keep whatever fits. */
  if (status == HEDGE_EMEMORY) {
    /* the allocator failed while writing the message of a memory error:
    ** give up on the message (never recurse) */
    if (h->protect && h->protect->status == OOM_FRAME) hx_throw(h, status);
    size_t cap = h->mem_cap;
    h->mem_cap = 0;   /* let the message itself be written, past the cap */
    Protect p;
    p.prev = h->protect;
    p.status = OOM_FRAME;
    h->protect = &p;
    if (setjmp(p.jb) == 0) {
      va_list ap; va_start(ap, fmt); begin(h, status, loc, 1, fmt, ap); va_end(ap);
    } else {
      /* no room even for the message: a fixed one, in what the buffer has
      ** (hedge_errmsg falls back to the same text when it is empty) */
      static const char msg[] = "error: out of memory";
      h->err.n = 0;
      if (h->err.cap > sizeof msg) { memcpy(h->err.p, msg, sizeof msg); h->err.n = sizeof msg - 1; }
      else if (h->err.p) h->err.p[0] = 0;
    }
    h->protect = p.prev;
    h->mem_cap = cap;
    h->err_status = status;
  } else {
    va_list ap; va_start(ap, fmt); begin(h, status, loc, 1, fmt, ap); va_end(ap);
  }
  hx_throw(h, status);
}

_Noreturn void hx_stack_error(H *h, Loc loc) {
  hx_error_at(h, loc, "nesting too deep: this expression is nested or chained too deeply to evaluate");
}

/* C stack the interpreter may use below here: HX_C_STACK, or half of what
** the calling thread has left when that is less (a host thread with a
** 128 KiB stack, red-team F11). The thread's stack bounds are read once per
** thread (pthread_getattr_np reads /proc on the main thread). */
static size_t stack_budget(H *h, char *here) {
  size_t budget = HX_C_STACK;
#if defined(__linux__) && defined(__GLIBC__)
  pthread_t self = pthread_self();
  if (!h->stack_known || !pthread_equal(h->stack_thread, self)) {
    pthread_attr_t a;
    h->stack_lo = NULL;
    if (pthread_getattr_np(self, &a) == 0) {
      void *lo;
      size_t sz;
      if (pthread_attr_getstack(&a, &lo, &sz) == 0) h->stack_lo = lo;
      pthread_attr_destroy(&a);
    }
    h->stack_thread = self;
    h->stack_known = 1;
  }
  if (h->stack_lo && here > (char *)h->stack_lo) {
    size_t left = (size_t)(here - (char *)h->stack_lo);
    if (left / 2 < budget) budget = left / 2;
  }
#else
  (void)h; (void)here;
#endif
  return budget;
}

int hx_pcall(H *h, void (*f)(H *h, void *ud), void *ud) {
  Protect p;
  if (!h->protect) {   /* an outermost call: a fresh start */
    h->fatal = 0;
    h->stack_base = (char *)&p;
    h->stack_budget = stack_budget(h, (char *)&p);
  }
  p.prev = h->protect;
  p.status = HEDGE_OK;
  h->protect = &p;
  int depth = h->depth;
  if (setjmp(p.jb) == 0) {
    f(h, ud);
  }
  h->protect = p.prev;
  h->depth = depth;
  if (p.status == HEDGE_OK) h->err_status = HEDGE_OK;
  return p.status;
}

/* ---- did you mean ---------------------------------------------------------- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Optimal string alignment distance, capped: names are short. */
static int distance(const char *a, size_t n, const char *b, size_t m) {
  if (n > 64 || m > 64) return 99;
  int d[66][66];
  for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[n][m];
}

void suggest_init(Suggest *s, const char *name, size_t len) {
  s->best = NULL; s->dist = 99; s->name = name; s->len = len;
}

void suggest_try(Suggest *s, const char *cand) {
  size_t m = strlen(cand);
  if (m == s->len && memcmp(cand, s->name, m) == 0) return;   /* itself */
  int d = distance(s->name, s->len, cand, m);
  int limit = s->len <= 3 ? 1 : 2;
  if (d <= limit && d < s->dist) { s->dist = d; s->best = cand; }
}

/* A note at loc for the host, with the warnings: "file:line:col: note: MSG"
** (never an error, even when strict). */
void hx_note_at(H *h, Loc loc, const char *fmt, ...) {
  char lb[512];
  if (loc.src >= 0) buf_printf(h, &h->warnings, "%s: note: ", hx_locstr(h, loc, lb, sizeof lb));
  else buf_puts(h, &h->warnings, "note: ");
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(h, &h->warnings, fmt, ap);
  va_end(ap);
  buf_putc(h, &h->warnings, '\n');
}

/* A warning at loc: "file:line:col: warning: MSG", the quoted line and a
** caret, appended to h->warnings for the host to read (hedge_warnings);
** under hedge_set_strict it is an error instead. */
void hx_warn_at(H *h, Loc loc, int width, const char *fmt, ...) {
  va_list ap;
  if (h->strict) {
    va_start(ap, fmt);
    begin(h, HEDGE_ERROR, loc, width, fmt, ap);
    va_end(ap);
    buf_puts(h, &h->err, "\n(an error because of --strict; without it, a warning)");
    hx_throw(h, HEDGE_ERROR);
  }
  char lb[512];
  if (loc.src >= 0) buf_printf(h, &h->warnings, "%s: warning: ", hx_locstr(h, loc, lb, sizeof lb));
  else buf_puts(h, &h->warnings, "warning: ");
  va_start(ap, fmt);
  buf_vprintf(h, &h->warnings, fmt, ap);
  va_end(ap);
  quote_into(h, &h->warnings, loc, width);
  buf_putc(h, &h->warnings, '\n');
}
