/*
** csv.c: streaming RFC 4180 reader (see csv.h for the accepted dialect).
**
** How it is fast. The file is read() in big chunks into one buffer followed
** by CSV_PAD zero bytes. A record is split by scanning 64-byte blocks for the
** three bytes that matter outside quotes (',' '\n' '"'): SSE2 compares and
** movemasks on x86-64, an exact SWAR equivalent on other little-endian
** machines, a byte loop elsewhere. Each set bit of the 64-bit mask is one
** field boundary, so the per-byte work is a few vector instructions (64-byte
** blocks measured ~10% faster than 16-byte ones on W1's deals.csv).
** Unquoted fields point straight into the buffer; only quoted fields are
** copied (unescaped) into a scratch area that is at least as large as the
** buffer (plus CSV_FIELD_PAD zero bytes, as the buffer has CSV_PAD: every
** field may be read 8 bytes past its end, csv.h), so it never has to grow
** in the middle of a record (unescaping only
** shrinks text).
**
** Numbers: csv_parse_double scans digits once into a 64-bit mantissa and
** takes Clinger's exact fast path (one multiply or divide by an exact power
** of ten); anything else goes to strtod through a canonical copy.
**
** Records that cross the end of the buffered data: parse_record reports
** R_MORE, csv_next moves the partial record to the front of the buffer (or
** doubles the buffer when the record already fills it), reads more and parses
** the record again from its start. That re-parse happens at most once per
** chunk, so it costs nothing measurable.
**
** Line numbers count physical lines: a record's line is where it starts, and
** newlines inside quoted fields advance the count for the next record.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "csv.h"
#include "hfile.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* -DHX_CSV_NO_SIMD forces the portable scanner (tests build it too);
** -DHX_CSV_NO_SWAR additionally forces the byte loop. */
#if defined(__SSE2__) && !defined(HX_CSV_NO_SIMD) && !defined(HX_CSV_NO_SWAR)
#include <emmintrin.h>
#define CSV_SCAN_SSE2 1
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(HX_CSV_NO_SWAR)
#define CSV_SCAN_SWAR 1
#endif

/* Zero bytes kept after the buffered data: a CSV_BLOCK-byte block load that
** starts before the end of the data stays inside the allocation and sees no
** special byte past the end. */
#define CSV_PAD 128
#define CSV_BLOCK 64
#define CSV_MIN_BUFSIZE 16

enum { R_MORE = -2, R_ERR = -1, R_EOF = 0 };

struct CsvReader {
  hx_Alloc alloc;
  void *ud;
  int fd;
  int own_fd;        /* csv_close closes fd (not for csv_open_range readers) */
  long long off;     /* file offset of the next read (every read is a pread) */
  size_t max_record; /* longest record, bytes (0: no bound) */
  int eof;           /* read() returned 0: no more data after r->end */
  int started;       /* first chunk read and BOM skipped */
  int state;         /* 0 ok, 1 at end of file, -1 failed (msg holds why) */
  char *buf;         /* cap + CSV_PAD bytes */
  size_t cap;
  size_t pos;    /* start of the next record */
  size_t end;    /* end of buffered data */
  char *scratch; /* unescaped quoted fields; scap >= cap once used */
  size_t scap;
  size_t slen;
  CsvField *fields;
  int fcap;
  long line;  /* physical line of the next record */
  char sep;   /* the field separator (',' unless csv_set_separator) */
  int ranged; /* csv_open_range: stop after `remaining` more bytes */
  long long remaining;
  char msg[192];
};

/* ---------------------------------------------------------------- helpers */

/* The reader's allocator: (re)allocates p from o to n bytes, frees when n is 0. */
static void *xalloc(CsvReader *r, void *p, size_t o, size_t n) { return r->alloc(r->ud, p, o, n); }

/* Copies msg into the caller's err buffer, when there is one. */
static void put_err(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* Puts the reader in its failed state with "LINE: what" as the message; returns R_ERR. */
static int fail(CsvReader *r, long line, const char *what) {
  snprintf(r->msg, sizeof r->msg, "%ld: %s", line, what);
  r->state = -1;
  return R_ERR;
}

#if defined(__GNUC__) || defined(__clang__)
#define CTZ(x) ((unsigned)__builtin_ctzll(x))
#else
/* Index of the lowest set bit of x (x != 0), for compilers without the builtin. */
static unsigned CTZ(uint64_t x) {
  unsigned n = 0;
  while (!(x & 1u)) {
    x >>= 1;
    n++;
  }
  return n;
}
#endif

/* Bit i set <=> p[i] is ',' '\n' or '"', for i in [0, CSV_BLOCK). */
#if defined(CSV_SCAN_SSE2)
/* The special-byte mask of the 16 bytes at p. */
static inline uint64_t mask16(const char *p, char sep) {
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
  __m128i a = _mm_cmpeq_epi8(v, _mm_set1_epi8(sep));
  __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'));
  __m128i c = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), c));
}
static inline uint64_t special_mask(const char *p, char sep) {
  return mask16(p, sep) | mask16(p + 16, sep) << 16 | mask16(p + 32, sep) << 32 | mask16(p + 48, sep) << 48;
}
#elif defined(CSV_SCAN_SWAR)
#define ONES 0x0101010101010101ull
#define LOW7 0x7f7f7f7f7f7f7f7full
/* 0x80 in exactly the bytes of x equal to byte b (no carries between
** bytes, so every bit is exact, not just the first one). */
static inline uint64_t eq_bytes(uint64_t x, unsigned char b) {
  uint64_t t = x ^ (ONES * b);
  uint64_t y = (t & LOW7) + LOW7;
  return ~(y | t | LOW7);
}
/* The special-byte mask of the 8 bytes at p, one bit per byte. */
static inline uint64_t word_mask(const char *p, char sep) {
  uint64_t x, m;
  memcpy(&x, p, 8);
  m = eq_bytes(x, (unsigned char)sep) | eq_bytes(x, '\n') | eq_bytes(x, '"');
  return ((m >> 7) * 0x0102040810204080ull) >> 56;
}
static inline uint64_t special_mask(const char *p, char sep) {
  uint64_t m = 0;
  for (unsigned i = 0; i < CSV_BLOCK; i += 8) m |= word_mask(p + i, sep) << i;
  return m;
}
#else
static inline uint64_t special_mask(const char *p, char sep) {
  uint64_t m = 0;
  for (unsigned i = 0; i < CSV_BLOCK; i++) {
    char c = p[i];
    if (c == sep || c == '\n' || c == '"') m |= (uint64_t)1 << i;
  }
  return m;
}
#endif

/* ---------------------------------------------------------------- open/close */

/* See csv.h. A small regular file gets a buffer its own size; own: csv_close
** closes fd. */
CsvReader *csv_open_fd(int fd, int own, size_t bufsize, hx_Alloc alloc, void *ud, char *err, size_t errlen) {
  CsvReader *r;

  if (own) {
    /* a small file needs no 1 MiB buffer: its size (plus room to see
    ** the end) is enough, and a record longer than the buffer grows it */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 && (unsigned long long)st.st_size + 64 < bufsize)
      bufsize = (size_t)st.st_size + 64;
  }
  if (bufsize < CSV_MIN_BUFSIZE) bufsize = CSV_MIN_BUFSIZE;
  if (bufsize > ((size_t)-1) / 4) bufsize = ((size_t)-1) / 4;
  r = alloc(ud, NULL, 0, sizeof *r);
  if (!r) goto oom;
  memset(r, 0, sizeof *r);
  r->alloc = alloc;
  r->ud = ud;
  r->fd = fd;
  r->own_fd = own;
  r->line = 1;
  r->sep = ',';
  r->cap = bufsize;
  r->max_record = CSV_DEFAULT_MAX_RECORD;
  r->buf = alloc(ud, NULL, 0, bufsize + CSV_PAD);
  r->fcap = 16;
  r->fields = alloc(ud, NULL, 0, (size_t)r->fcap * sizeof(CsvField));
  if (!r->buf || !r->fields) {
    if (r->buf) alloc(ud, r->buf, bufsize + CSV_PAD, 0);
    if (r->fields) alloc(ud, r->fields, (size_t)r->fcap * sizeof(CsvField), 0);
    alloc(ud, r, sizeof *r, 0);
    goto oom;
  }
  memset(r->buf, 0, CSV_PAD);
#if defined(POSIX_FADV_SEQUENTIAL)
  if (own) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  return r;
oom:
  put_err(err, errlen, "out of memory");
  if (own) close(fd);
  return NULL;
}

/* See csv.h: opens path through hfile_open (regular files only). */
CsvReader *csv_open_ex(const char *path, size_t bufsize, hx_Alloc alloc, void *ud, char *err, size_t errlen) {
  char msg[512];
  CsvReader *r;
  int fd = hfile_open(path, path, msg, sizeof msg);

  if (fd < 0) {
    put_err(err, errlen, msg);
    return NULL;
  }
  r = csv_open_fd(fd, 1, bufsize, alloc, ud, NULL, 0);
  if (!r) {
    snprintf(msg, sizeof msg, "cannot open '%s': out of memory", path);
    put_err(err, errlen, msg);
  }
  return r;
}

/* See csv.h: a reader of [offset, offset + length) of base's file, sharing its descriptor. */
CsvReader *csv_open_range(const CsvReader *base, long long offset, long long length, long first_line, hx_Alloc alloc,
                          void *ud, char *err, size_t errlen) {
  CsvReader *r = csv_open_fd(base->fd, 0, CSV_DEFAULT_BUFSIZE, alloc, ud, err, errlen);
  if (!r) return NULL;
  r->off = offset;
  r->ranged = 1;
  r->remaining = length;
  r->line = first_line;
  r->max_record = base->max_record;
  return r;
}

/* See csv.h: csv_open_ex with the default buffer. */
CsvReader *csv_open(const char *path, hx_Alloc alloc, void *ud, char *err, size_t errlen) {
  return csv_open_ex(path, CSV_DEFAULT_BUFSIZE, alloc, ud, err, errlen);
}

/* See csv.h. */
void csv_set_max_record(CsvReader *r, size_t max) { r->max_record = max; }

/* See csv.h. */
int csv_fd(const CsvReader *r) { return r->fd; }

/* See csv.h: frees the reader; closes its descriptor only if it owns it. */
void csv_close(CsvReader *r) {
  if (!r) return;
  if (r->own_fd && r->fd >= 0) close(r->fd);
  if (r->scratch) xalloc(r, r->scratch, r->scap + CSV_FIELD_PAD, 0);
  xalloc(r, r->fields, (size_t)r->fcap * sizeof(CsvField), 0);
  xalloc(r, r->buf, r->cap + CSV_PAD, 0);
  xalloc(r, r, sizeof *r, 0);
}

/* ---------------------------------------------------------------- buffering */

/* Makes room after the unparsed data and reads until the buffer is full or
** the file ends. Returns 0, or R_ERR with r->msg set. */
static int refill(CsvReader *r) {
  char eb[128], what[160];

  if (r->pos > 0) {
    size_t keep = r->end - r->pos;
    memmove(r->buf, r->buf + r->pos, keep);
    r->pos = 0;
    r->end = keep;
  } else if (r->end == r->cap) {
    /* one record fills the whole buffer: double it */
    size_t ncap = r->cap * 2;
    char *nb;
    if (r->max_record && r->cap >= r->max_record) {
      char what[160];
      if (r->max_record >= (1u << 20) && r->max_record % (1u << 20) == 0)
        snprintf(what, sizeof what,
                 "record longer than %zu MiB, the most a record may hold (a file with no line ends?)",
                 r->max_record >> 20);
      else
        snprintf(what, sizeof what,
                 "record longer than %zu bytes, the most a record may hold (a file with no line ends?)", r->max_record);
      return fail(r, r->line, what);
    }
    if (r->max_record && ncap > r->max_record) ncap = r->max_record;
    if (ncap / 2 > r->cap || ncap + CSV_PAD < ncap) return fail(r, r->line, "record too long");
    nb = xalloc(r, r->buf, r->cap + CSV_PAD, ncap + CSV_PAD);
    if (!nb) return fail(r, r->line, "out of memory (record too long?)");
    r->buf = nb;
    r->cap = ncap;
  }
  while (r->end < r->cap && !r->eof) {
    size_t want = r->cap - r->end;
    if (r->ranged && (long long)want > r->remaining) want = (size_t)r->remaining;
    if (want == 0) {
      r->eof = 1;
      break;
    }
    ssize_t n = pread(r->fd, r->buf + r->end, want, (off_t)r->off);
    if (n > 0) {
      r->end += (size_t)n;
      r->off += n;
      if (r->ranged) r->remaining -= n;
    } else if (n == 0) {
      r->eof = 1;
    } else if (errno != EINTR) {
      snprintf(what, sizeof what, "read error: %s", hfile_errtext(errno, eb, sizeof eb));
      return fail(r, r->line, what);
    }
  }
  memset(r->buf + r->end, 0, CSV_PAD);
  return 0;
}

/* Doubles the field array. Returns 0, or -1 when out of memory (fields left intact). */
static int grow_fields(CsvReader *r) {
  size_t o = (size_t)r->fcap * sizeof(CsvField);
  CsvField *nf;
  if (r->fcap > INT_MAX / 4) return -1;
  nf = xalloc(r, r->fields, o, o * 2);
  if (!nf) return -1;
  r->fields = nf;
  r->fcap *= 2;
  return 0;
}

/* ---------------------------------------------------------------- parsing */

/* Reads the quoted field whose opening quote is at q. On success sets
** *fp and *flen to the unescaped text (in scratch), *after to the byte after the
** closing quote, and adds the newlines inside to *nl. */
static int parse_quoted(CsvReader *r, const char *q, const char *end, long *nl, const char **fp, size_t *flen,
                        const char **after, long recline) {
  const char *p = q + 1;
  char *start, *dst;
  long opened = recline + *nl;

  if (r->scap < r->cap) {
    /* first quoted field of this parse: slen == 0, nothing points here */
    char *ns;
    if (r->scratch) xalloc(r, r->scratch, r->scap + CSV_FIELD_PAD, 0);
    r->scratch = NULL;
    r->scap = 0;
    /* padded and zeroed as the read buffer is: csv.h's padded helpers
    ** read up to CSV_FIELD_PAD bytes past a field */
    ns = xalloc(r, NULL, 0, r->cap + CSV_FIELD_PAD);
    if (!ns) return fail(r, recline, "out of memory");
    memset(ns, 0, r->cap + CSV_FIELD_PAD);
    r->scratch = ns;
    r->scap = r->cap;
  }
  start = dst = r->scratch + r->slen;
  for (;;) {
    const char *c = memchr(p, '"', (size_t)(end - p));
    const char *s;
    if (!c) {
      if (!r->eof) return R_MORE;
      if (opened != recline) {
        char what[96];
        snprintf(what, sizeof what, "unterminated quoted field (quote opened on line %ld)", opened);
        return fail(r, recline, what);
      }
      return fail(r, recline, "unterminated quoted field");
    }
    memcpy(dst, p, (size_t)(c - p));
    dst += c - p;
    for (s = memchr(p, '\n', (size_t)(c - p)); s; s = memchr(s + 1, '\n', (size_t)(c - s - 1))) (*nl)++;
    if (c + 1 == end && !r->eof) return R_MORE; /* cannot tell "" from a closing quote yet */
    if (c + 1 < end && c[1] == '"') {
      *dst++ = '"';
      p = c + 2;
      continue;
    }
    *after = c + 1;
    break;
  }
  *fp = start;
  *flen = (size_t)(dst - start);
  r->slen += *flen;
  return 0;
}

/* Parses one record starting at r->pos. Returns the field count, R_EOF,
** R_MORE (the record continues past the buffered data) or R_ERR. */
static int parse_record(CsvReader *r, long *recline) {
  for (;;) {
    const char *buf = r->buf;
    const char *end = buf + r->end;
    const char *row = buf + r->pos;
    const char *fs = row, *base = row, *j;
    CsvField *fl = r->fields;
    long nl = 0;
    uint64_t mask;
    size_t len;
    int nf = 0;

    if (row == end) return r->eof ? R_EOF : R_MORE;
    r->slen = 0;
    mask = special_mask(base, r->sep);
    for (;;) {
      while (mask == 0) {
        base += CSV_BLOCK;
        if (base >= end) goto at_end;
        mask = special_mask(base, r->sep);
      }
      j = base + CTZ(mask);
      mask &= mask - 1;
      if (*j == r->sep) {
        if (nf == r->fcap) {
          if (grow_fields(r) != 0) return fail(r, r->line, "out of memory");
          fl = r->fields;
        }
        fl[nf].p = fs;
        fl[nf].len = (size_t)(j - fs);
        nf++;
        fs = j + 1;
      } else if (*j == '\n') {
        len = (size_t)(j - fs);
        if (len && j[-1] == '\r') len--;
        if (nf == 0 && len == 0) { /* blank line */
          r->pos = (size_t)(j + 1 - buf);
          r->line++;
          goto next_row;
        }
        if (nf == r->fcap) {
          if (grow_fields(r) != 0) return fail(r, r->line, "out of memory");
          fl = r->fields;
        }
        fl[nf].p = fs;
        fl[nf].len = len;
        nf++;
        r->pos = (size_t)(j + 1 - buf);
        goto done;
      } else if (j == fs) { /* '"' opening a quoted field */
        const char *fp = NULL, *after = NULL;
        size_t flen = 0;
        int rc = parse_quoted(r, j, end, &nl, &fp, &flen, &after, r->line);
        const char *next;
        if (rc != 0) return rc;
        if (after == end) {
          if (!r->eof) return R_MORE;
          next = end;
        } else if (*after == r->sep || *after == '\n') {
          next = after + 1;
        } else if (*after == '\r' && after + 1 < end && after[1] == '\n') {
          next = after + 2;
        } else if (*after == '\r' && after + 1 == end) {
          if (!r->eof) return R_MORE;
          next = end;
        } else {
          char what[96];
          unsigned char ch = (unsigned char)*after;
          if (ch >= 32 && ch < 127)
            snprintf(what, sizeof what, "field %d: unexpected '%c' after closing quote", nf + 1, ch);
          else
            snprintf(what, sizeof what, "field %d: unexpected byte 0x%02x after closing quote", nf + 1, ch);
          return fail(r, r->line, what);
        }
        if (nf == r->fcap) {
          if (grow_fields(r) != 0) return fail(r, r->line, "out of memory");
          fl = r->fields;
        }
        fl[nf].p = fp;
        fl[nf].len = flen;
        nf++;
        if (after == end || *after != r->sep) { /* record ends here */
          r->pos = (size_t)(next - buf);
          goto done;
        }
        fs = base = next;
        mask = special_mask(base, r->sep);
      }
      /* else: a quote inside an unquoted field is literal data */
    }
  at_end:
    if (!r->eof) return R_MORE;
    len = (size_t)(end - fs); /* last record, no final newline */
    if (len && end[-1] == '\r') len--;
    r->pos = r->end;
    if (nf == 0 && len == 0) return R_EOF;
    if (nf == r->fcap) {
      if (grow_fields(r) != 0) return fail(r, r->line, "out of memory");
      fl = r->fields;
    }
    fl[nf].p = fs;
    fl[nf].len = len;
    nf++;
  done:
    *recline = r->line;
    r->line += 1 + nl;
    return nf;
  next_row:;
  }
}

/* Reads the first chunk and skips a UTF-8 BOM, once (on the first call of
** csv_next or csv_next_span). */
static void start(CsvReader *r) {
  if (r->state == 0 && !r->started) {
    if (refill(r) == 0) {
      r->started = 1;
      if (r->end >= 3 && (unsigned char)r->buf[0] == 0xEF && (unsigned char)r->buf[1] == 0xBB &&
          (unsigned char)r->buf[2] == 0xBF)
        r->pos = 3;
    }
  }
}

/* See csv.h. The first call reads the first chunk and skips a UTF-8 BOM; a record
** that runs past the buffered data is parsed again after a refill. */
int csv_next(CsvReader *r, CsvField **fields, long *line, char *err, size_t errlen) {
  long ln = 0;
  int rc;

  if (r->state == 1) return 0;
  start(r);
  while (r->state == 0) {
    size_t start = r->pos;
    rc = parse_record(r, &ln);
    if (rc > 0 && r->max_record && r->pos - start > r->max_record) {
      char what[160];
      snprintf(what, sizeof what, "record longer than %zu bytes, the most a record may hold", r->max_record);
      fail(r, ln, what);
      break;
    }
    if (rc == R_MORE) {
      refill(r);
      continue;
    }
    if (rc == R_ERR) break;
    if (rc == R_EOF) {
      r->state = 1;
      return 0;
    }
    if (fields) *fields = r->fields;
    if (line) *line = ln;
    return rc;
  }
  put_err(err, errlen, r->msg);
  return -1;
}

/* See csv.h. */
const char *csv_last_newline(const char *b, const char *e) {
#if defined(_GNU_SOURCE)
  return memrchr(b, '\n', (size_t)(e - b));
#else
  while (e > b)
    if (*--e == '\n') return e;
  return NULL;
#endif
}

/* See csv.h. The span ends after the last newline of the buffered data (or
** at the end of the file), and before the line holding the first quote;
** a buffer with no newline is refilled (grown, as csv_next grows it, up to
** the longest record). Spans are not given when a record may be shorter
** than the buffer yet longer than the longest record (csv_next checks
** every record's length then). */
int csv_next_span(CsvReader *r, const char **start_out, const char **end_out, long *line, char *err, size_t errlen) {
  if (r->state == 1) return 0;
  start(r);
  while (r->state == 0) {
    if (r->max_record && r->max_record < r->cap) return CSV_SPAN_NONE;
    const char *b = r->buf + r->pos, *e = r->buf + r->end, *nl;
    if (b == e) {
      if (r->eof) {
        r->state = 1;
        return 0;
      }
      if (refill(r) != 0) break;
      continue;
    }
    nl = csv_last_newline(b, e);
    if (!nl && !r->eof) {   /* not one whole line buffered: read more */
      if (refill(r) != 0) break;
      continue;
    }
    e = nl && !r->eof ? nl + 1 : e;   /* at the end of the file the last line needs no newline */
    const char *q = memchr(b, '"', (size_t)(e - b));
    if (q) {   /* up to the line of the quote: csv_next reads that one */
      const char *ls = q > b ? csv_last_newline(b, q) : NULL;
      if (!ls) return CSV_SPAN_NONE;
      e = ls + 1;
    }
    r->pos = (size_t)(e - r->buf);
    *start_out = b;
    *end_out = e;
    *line = r->line;
    return 1;
  }
  put_err(err, errlen, r->msg);
  return -1;
}

/* See csv.h. */
void csv_span_lines(CsvReader *r, long lines) { r->line += lines; }

/* ---------------------------------------------------------------- numbers */

/* Spaces and tabs around a number are ignored. */
static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Significant digits kept for strtod; beyond 768 only "some nonzero digit
** follows" matters for rounding, which one sticky '1' digit preserves. */
#define MAXDIG 800

/* The general case: keeps up to MAXDIG significant digits (plus a sticky
** digit), then asks strtod. s..e is the trimmed text after the sign. */
static int parse_double_slow(const char *s, const char *e, int neg, double *out) {
  char digs[MAXDIG + 32];
  long ex = 0;
  int nd = 0, any = 0, sticky = 0;

  for (; s < e && is_digit(*s); s++) {
    any = 1;
    if (nd == 0 && *s == '0') continue;
    if (nd < MAXDIG) {
      digs[nd++] = *s;
    } else {
      ex++;
      sticky |= *s != '0';
    }
  }
  if (s < e && *s == '.') {
    for (s++; s < e && is_digit(*s); s++) {
      any = 1;
      if (nd == 0 && *s == '0') {
        ex--;
      } else if (nd < MAXDIG) {
        digs[nd++] = *s;
        ex--;
      } else {
        sticky |= *s != '0';
      }
    }
  }
  if (!any) return 0;
  if (s < e && (*s == 'e' || *s == 'E')) {
    long x = 0;
    int eneg = 0;
    s++;
    if (s < e && (*s == '+' || *s == '-')) {
      eneg = *s == '-';
      s++;
    }
    if (s == e || !is_digit(*s)) return 0;
    for (; s < e && is_digit(*s); s++)
      if (x < 100000000L) x = x * 10 + (*s - '0');
    ex += eneg ? -x : x;
  }
  if (s != e) return 0;
  /* value = digits * 10^ex, in [10^(nd-1+ex), 10^(nd+ex)) */
  if (nd == 0 || nd + ex < -400) {
    *out = neg ? -0.0 : 0.0;
    return 1;
  }
  if (nd + ex > 310) return 0; /* overflows to infinity */
  {
    /* Canonical "DIGITSeEXP": no decimal point, so strtod's answer does
    ** not depend on the C locale. */
    int saved = errno;
    double v;
    if (sticky) {
      digs[nd++] = '1';
      ex--;
    }
    snprintf(digs + nd, 32, "e%ld", ex);
    v = strtod(digs, NULL);
    errno = saved;
    if (v > DBL_MAX) return 0;
    *out = neg ? -v : v;
    return 1;
  }
}

/* The common field first: [-]digits[.digits] with at most 19 digits and
** nothing else (no blanks, no exponent, no '+'), as CSV exports write
** money and volumes. One pass, no trimming; the mantissa and the power of
** ten are exact doubles (m <= 2^53, at most 19 fraction digits), so one
** IEEE division is the correctly rounded value, as in Clinger's fast path
** below. Returns 1 with *out set, or 0: not this form (the general parser
** decides). */
static inline int parse_plain_decimal(const char *p, size_t len, double *out) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
  const unsigned char *s = (const unsigned char *)p, *e = s + len, *d;
  uint64_t m = 0;
  unsigned c;
  size_t ni, nf = 0;
  int neg = s < e && *s == '-';

  s += neg;
  d = s;
  while (s < e && (c = (unsigned)*s - '0') < 10) {
    m = m * 10 + c;
    s++;
  }
  ni = (size_t)(s - d);
  if (s < e && *s == '.') {
    d = ++s;
    while (s < e && (c = (unsigned)*s - '0') < 10) {
      m = m * 10 + c;
      s++;
    }
    nf = (size_t)(s - d);
  }
  if (s != e || ni + nf == 0 || ni + nf > 19 || m > (UINT64_C(1) << 53)) return 0;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  {
    double v = (double)m;
    if (nf) v /= p10[nf];
    *out = neg ? -v : v;
    return 1;
  }
#else
  (void)p10;
  return 0;
#endif
}

/* See csv.h: the plain-decimal path, then the fast scan with Clinger's exact
** case, then parse_double_slow for everything else. */
int csv_parse_double(const char *p, size_t len, double *out) {
  if (parse_plain_decimal(p, len, out)) return 1;
  const char *s = p, *e = p + len, *t, *ds;
  uint64_t m = 0;
  long ex = 0;
  int neg = 0;
  size_t nd;

  while (s < e && is_blank(*s)) s++;
  while (e > s && is_blank(e[-1])) e--;
  if (s < e && (*s == '+' || *s == '-')) {
    neg = *s == '-';
    s++;
  }
  /* Fast scan: digits [. digits] [e [+-] digits], accumulating all digits
  ** into m (it may wrap; then nd > 19 and m is not used). */
  t = ds = s;
  while (t < e && is_digit(*t)) m = m * 10 + (uint64_t)(*t++ - '0');
  nd = (size_t)(t - ds);
  if (t < e && *t == '.') {
    const char *fs = ++t;
    while (t < e && is_digit(*t)) m = m * 10 + (uint64_t)(*t++ - '0');
    ex = -(long)(t - fs);
    nd += (size_t)(t - fs);
  }
  if (nd == 0) return 0;
  if (t < e && (*t == 'e' || *t == 'E')) {
    const char *u = t + 1;
    long x = 0;
    int eneg = 0;
    if (u < e && (*u == '+' || *u == '-')) {
      eneg = *u == '-';
      u++;
    }
    if (u == e || !is_digit(*u)) return 0;
    while (u < e && is_digit(*u) && x < 100000) x = x * 10 + (*u++ - '0');
    if (u != e) return parse_double_slow(s, e, neg, out);
    ex += eneg ? -x : x;
    t = u;
  }
  if (t != e) return 0;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  /* Clinger's fast path: m and 10^|ex| are exact doubles, so one IEEE
  ** multiply or divide gives the correctly rounded result. */
  if (nd <= 19 && m <= (UINT64_C(1) << 53) && ex >= -22 && ex <= 22) {
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double v = (double)m;
    v = ex < 0 ? v / p10[-ex] : v * p10[ex];
    *out = neg ? -v : v;
    return 1;
  }
#endif
  return parse_double_slow(s, e, neg, out);
}

/* See csv.h: up to 18 plain digits without overflow checks, else the checked loop. */
int csv_parse_int(const char *p, size_t len, long long *out) {
  const char *s = p, *e = p + len;
  unsigned long long v = 0, limit;
  int neg = 0;

  /* plain digits, at most 18 of them, cannot overflow: no checks per digit */
  if (len && len <= 18) {
    unsigned c;
    size_t i = 0;
    while (i < len && (c = (unsigned)(unsigned char)p[i] - '0') < 10) {
      v = v * 10 + c;
      i++;
    }
    if (i == len) {
      *out = (long long)v;
      return 1;
    }
    v = 0;
  }

  while (s < e && is_blank(*s)) s++;
  while (e > s && is_blank(e[-1])) e--;
  if (s < e && (*s == '+' || *s == '-')) {
    neg = *s == '-';
    s++;
  }
  if (s == e) return 0;
  limit = neg ? (unsigned long long)LLONG_MAX + 1u : (unsigned long long)LLONG_MAX;
  for (; s < e; s++) {
    unsigned d;
    if (!is_digit(*s)) return 0;
    d = (unsigned)(*s - '0');
    if (v > (limit - d) / 10) return 0;
    v = v * 10 + d;
  }
  if (neg)
    *out = v == (unsigned long long)LLONG_MAX + 1u ? LLONG_MIN : -(long long)v;
  else
    *out = (long long)v;
  return 1;
}

/* See csv.h: ';' or '\t' instead of ','; a quote, newline or CR leaves the separator as it was. */
void csv_set_separator(CsvReader *r, char sep) {
  if (r && sep && sep != '"' && sep != '\n' && sep != '\r') r->sep = sep;
}

/* Bytes of the file consumed so far and its size (for progress reports). Returns 0
** when the file cannot be stat'ed. */
int csv_progress(const CsvReader *r, long long *done, long long *total) {
  struct stat st;
  if (fstat(r->fd, &st) != 0) return 0;
  *done = r->off - (long long)(r->end - r->pos);
  *total = (long long)st.st_size;
  return 1;
}
