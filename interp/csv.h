/*
** csv.h: a streaming RFC 4180 CSV reader and exact number parsing.
**
** The reader read()s the file in large chunks into one buffer (1 MiB by
** default, grown only when a single record is longer than the buffer), splits
** records in place and hands out (pointer, length) fields: no allocation per
** record, resident memory stays about one buffer. Fields are NOT
** NUL-terminated.
**
** Accepted input: LF or CRLF line endings (a CR not followed by LF is data),
** an optional UTF-8 BOM at the start, quoted fields with "" escapes and
** embedded commas, CR and LF, empty fields, a missing final newline. Blank
** lines (empty, or a lone CR) are skipped wherever they occur but still
** counted, so line numbers are physical lines. A quote inside an unquoted
** field is literal data (a"b); text after a closing quote ("a"b) is an error,
** as is a quoted field still open at end of file.
**
** Library rules: no global mutable state, no printing, no exit; every byte
** goes through the hx_Alloc hook and csv_close returns all of it.
*/
#ifndef HX_CSV_H
#define HX_CSV_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef HX_ALLOC_DEFINED
#define HX_ALLOC_DEFINED
/* Same contract as lua_Alloc: nsize == 0 frees ptr and returns NULL;
** otherwise (re)allocates, returning NULL on failure (ptr left intact). */
typedef void *(*hx_Alloc)(void *ud, void *ptr, size_t osize, size_t nsize);
#endif

/* Default read buffer. 1 MiB: few read() calls per file, yet small enough to
** keep resident memory low; a longer record grows the buffer. */
#define CSV_DEFAULT_BUFSIZE (1u << 20)

/* Longest record by default. A record longer than this (a file with no
** line ends, a sparse file of zeros) is an error, not a buffer as large as
** the file: 64 MiB is far above any real row. csv_set_max_record changes it. */
#define CSV_DEFAULT_MAX_RECORD ((size_t)64 << 20)

typedef struct CsvReader CsvReader;
typedef struct CsvField { const char *p; size_t len; } CsvField;

/* Opens path (a regular file only: see hfile.h). On failure returns NULL and writes a message like
** "cannot open 'x.csv': No such file or directory" into err. */
CsvReader *csv_open(const char *path, hx_Alloc alloc, void *ud,
                    char *err, size_t errlen);

/* csv_open with an explicit initial buffer size (bytes, at least 16; smaller
** values are raised). Tests use tiny buffers to push records across chunk
** boundaries. */
CsvReader *csv_open_ex(const char *path, size_t bufsize, hx_Alloc alloc,
                       void *ud, char *err, size_t errlen);

/* A reader of the descriptor fd, from its start; own != 0 makes csv_close
** close it. Every read is a pread, so readers made with csv_open_range
** from this one share the descriptor. On failure returns NULL (err:
** "out of memory"), and closes fd if own. */
CsvReader *csv_open_fd(int fd, int own, size_t bufsize, hx_Alloc alloc, void *ud,
                       char *err, size_t errlen);

/* Bounds a record's length in bytes (0: no bound); longer is an error. */
void csv_set_max_record(CsvReader *r, size_t max);
/* The reader's descriptor (for a pre-pass that preads the same file). */
int csv_fd(const CsvReader *r);

/* Reads the next record. Returns the number of fields (>= 1), 0 at end of
** file, -1 on error (message in err, prefixed with "LINE: ", e.g.
** "7: unterminated quoted field"). *fields points into reader-owned memory
** valid until the next call or csv_close. *line gets the 1-based physical
** line where the record starts (the header is line 1). After an error every
** later call fails again with the same message; after end of file every
** later call returns 0. */
int csv_next(CsvReader *r, CsvField **fields, long *line,
             char *err, size_t errlen);

/* ---- spans of whole lines --------------------------------------------------------
** A loader that converts cells as it finds them reads the file by spans:
** csv_next_span hands out the buffered whole lines from the reader's
** position, none holding a quote, so each physical line is one record
** whose fields are split at the separator and at the line end ("\r\n" or
** "\n"; the last line may have none), with blank lines to skip. The span
** is followed by at least CSV_FIELD_PAD readable bytes. Returns 1 with
** [*start, *end) and *line (the physical line of its first byte), 0 at the
** end of the file, -1 on error (err as csv_next's), or CSV_SPAN_NONE: the
** next record must be read by csv_next (its line holds a quote, or the
** reader bounds records below its buffer's size), and spans may follow.
** The span is valid until the next call; before the next call the caller
** reports the physical lines it held with csv_span_lines. csv_next and
** csv_next_span may be mixed freely. */
#define CSV_SPAN_NONE (-2)
int csv_next_span(CsvReader *r, const char **start, const char **end, long *line, char *err, size_t errlen);
/* Advances the reader's line count by the lines of the span just read. */
void csv_span_lines(CsvReader *r, long lines);

/* Bytes consumed so far and the file's size; 0 when unknown. */
int csv_progress(const CsvReader *r, long long *done, long long *total);
/* A reader of the bytes [offset, offset + length) of base's file only, on
** base's descriptor (not reopened, not closed by csv_close), whose first
** record is on physical line first_line (for the parallel loader: the
** range starts at the beginning of a line). */
CsvReader *csv_open_range(const CsvReader *base, long long offset, long long length, long first_line,
                          hx_Alloc alloc, void *ud, char *err, size_t errlen);
/* Fields are split on sep instead of ',' (';' or '\t' for tables from
** spreadsheets in other locales). Call before the first csv_next. */
void csv_set_separator(CsvReader *r, char sep);
/* Closes the file and frees everything. NULL is allowed. */
void csv_close(CsvReader *r);

/* Parses a whole field as a decimal number: [+-] digits [. digits]
** [(e|E) [+-] digits], or with the digits only after the point (".5") or only
** before it ("5."). Leading/trailing ASCII spaces and tabs are ignored.
** The result equals strtod's correctly rounded one (and is independent of the
** C locale). Returns 1 and sets *out, or 0 if the field is not a number:
** empty, "5OO000", "1.2.3", "1_000", "nan", "inf", "0x10", or a value that
** overflows a double ("1e999"). Underflow gives 0 or a subnormal. */
int csv_parse_double(const char *p, size_t len, double *out);

/* Parses [+-]digits (spaces/tabs trimmed) fitting in int64; returns 1/0. */
int csv_parse_int(const char *p, size_t len, long long *out);

/* ---- padded fields -------------------------------------------------------------
** Every field csv_next returns is followed by at least CSV_FIELD_PAD bytes
** that may be read (and are then ignored): the read buffer is padded with
** zeros, and so is the scratch area of quoted fields. So a code of up to 8
** bytes is one 8-byte load and a mask, and digits are read 8 at a time.
** These helpers read past p + len: use them on csv_next's fields only. */
#define CSV_FIELD_PAD 8

/* The 8 bytes at p, the first in the lowest byte (as a little-endian load). */
static inline uint64_t csv_load8(const char *p) {
  uint64_t x;
  memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  x = __builtin_bswap64(x);
#endif
  return x;
}

/* The first n (0..8) bytes of a padded field, packed as csv_load8 packs them. */
static inline uint64_t csv_code8(const char *p, size_t n) {
  uint64_t x = csv_load8(p);
  return n >= 8 ? x : x & ((UINT64_C(1) << (8 * n)) - 1);
}

/* How many of the leading bytes of x (first byte lowest) are ASCII digits. A
** byte above '9' sets its high bit after the add; one below '0' wraps to a
** high byte after the xor; a carry out of a non-digit byte only disturbs
** bytes after it, which the lowest set bit ignores. */
static inline unsigned csv_digit_run(uint64_t x) {
  uint64_t t = x ^ UINT64_C(0x3030303030303030);
  uint64_t nd = ((t + UINT64_C(0x7676767676767676)) | t) & UINT64_C(0x8080808080808080);
  return nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
}

/* The value of the first k (1..8) bytes of x, all digits: three multiplies
** (pairs, then fours, then eight, with the unused bytes shifted out as
** leading zeros). */
static inline uint32_t csv_digits_value(uint64_t x, unsigned k) {
  uint64_t v = (x ^ UINT64_C(0x3030303030303030)) << (8 * (8 - k));
  v = v * 10 + (v >> 8);
  v = (((v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
       (((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >> 32;
  return (uint32_t)v;
}

/* csv_parse_double for a padded field: the common form [-]digits[.digits]
** with at most 8 digits on either side of the point is read eight digits at
** a time (two loads), then divided once by an exact power of ten: the same
** steps, so the same double, as csv_parse_double's own fast path (the
** mantissa is at most 2^53, Clinger's exact case). Any other text goes to
** csv_parse_double. */
static inline int csv_parse_double_padded(const char *p, size_t len, double *out) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  static const uint64_t u10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  int neg = len && *p == '-';
  const char *s = p + neg;
  size_t n = len - (size_t)neg;
  if (n - 1 >= 17) return csv_parse_double(p, len, out);   /* empty, or longer than 8.8 */
  uint64_t x = csv_load8(s);
  unsigned k = csv_digit_run(x);
  double v;
  if (k >= n) v = (double)csv_digits_value(x, (unsigned)n);   /* digits only: n <= 8 */
  else {
    size_t nf = n - k - 1;
    if (s[k] != '.' || nf - 1 >= 8) return csv_parse_double(p, len, out);
    uint64_t y = csv_load8(s + k + 1);
    if (csv_digit_run(y) < nf) return csv_parse_double(p, len, out);
    uint64_t m = (k ? csv_digits_value(x, k) : 0) * u10[nf] + csv_digits_value(y, (unsigned)nf);
    if (m > (UINT64_C(1) << 53)) return csv_parse_double(p, len, out);
    v = (double)m / p10[nf];
  }
  *out = neg ? -v : v;
  return 1;
#else
  return csv_parse_double(p, len, out);
#endif
}

/* A number [-]digits[.digits] with at most 8 digits on either side of the
** point, read where it starts, its end unknown (a loader converting cells
** as it finds them, load.c): returns the byte after it and sets *out to
** the value csv_parse_double gives that text (the same steps as
** csv_parse_double_padded: an exact mantissa of at most 2^53 divided once
** by an exact power of ten, so the double strtod gives), or NULL for any
** other text (then the caller finds the cell's end and asks the general
** parser). Reads at most CSV_FIELD_PAD bytes past the first byte that is
** not part of the number. With 8 digits or fewer in all, the two parts are
** one 8-byte word and one conversion. */
#if defined(__GNUC__)
__attribute__((always_inline))   /* in each step of the scanner: no call per cell */
#endif
static inline const char *csv_scan_number(const char *s, double *out) {
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
  static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  static const uint64_t u10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  int neg = *s == '-';
  const char *d = s + neg;
  uint64_t x = csv_load8(d);
  unsigned k = csv_digit_run(x);
  if (k == 8 && (unsigned)(d[8] - '0') < 10) return NULL;
  if (d[k] != '.') {
    if (!k) return NULL;
    double v = (double)csv_digits_value(x, k);
    *out = neg ? -v : v;
    return d + k;
  }
  const char *f = d + k + 1;
  uint64_t y = csv_load8(f), m;
  unsigned nf = csv_digit_run(y);
  if (!nf || (nf == 8 && (unsigned)(f[8] - '0') < 10)) return NULL;
  if (k + nf <= 8)   /* the integer digits, then the fraction's, in one word */
    m = csv_digits_value((k ? x & ((UINT64_C(1) << (8 * k)) - 1) : 0) | (y << (8 * k)), k + nf);
  else {
    m = (k ? csv_digits_value(x, k) : 0) * u10[nf] + csv_digits_value(y, nf);
    if (m > (UINT64_C(1) << 53)) return NULL;
  }
  double v = (double)m / p10[nf];
  *out = neg ? -v : v;
  return f + nf;
#else
  (void)s; (void)out;
  return NULL;
#endif
}

/* The last '\n' in [b, e), or NULL (the reader's spans and the loader's
** pre-pass both cut their blocks at a line's end). */
const char *csv_last_newline(const char *b, const char *e);

#endif
