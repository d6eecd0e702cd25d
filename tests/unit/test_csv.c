/*
** test_csv.c: unit tests for interp/csv.c.
**
** Each TEST function is one case; a failed CHECK prints what went wrong to
** stderr and marks the case failed. The last line on stdout is
** "N passed, M failed"; the exit status is 1 if anything failed.
** Temporary files are made with mkstemp under /tmp and removed.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_passed, g_failed, g_case_failed;
static const char *g_case;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FAIL %s (%s:%d): ", g_case, __FILE__, __LINE__);  \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            g_case_failed = 1;                                                 \
        }                                                                      \
    } while (0)

/* ------------------------------------------------------------ allocator */

/* Counts live bytes, checks that osize is right, and can fail the Nth
** allocation (fail_at, counted from 1; 0 = never). */
typedef struct {
    long live_blocks;
    size_t live_bytes;
    long nallocs;
    long fail_at;
    int bad_osize;
} Heap;

static void *test_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    Heap *h = ud;
    size_t *hdr;
    if (ptr) {
        hdr = (size_t *)ptr - 2;
        if (hdr[0] != osize)
            h->bad_osize = 1;
    }
    if (nsize == 0) {
        if (ptr) {
            h->live_blocks--;
            h->live_bytes -= osize;
            free((size_t *)ptr - 2);
        }
        return NULL;
    }
    h->nallocs++;
    if (h->fail_at && h->nallocs == h->fail_at)
        return NULL;
    hdr = realloc(ptr ? (size_t *)ptr - 2 : NULL, nsize + 2 * sizeof(size_t));
    if (!hdr)
        return NULL;
    if (!ptr)
        h->live_blocks++;
    else
        h->live_bytes -= osize;
    h->live_bytes += nsize;
    hdr[0] = nsize;
    return hdr + 2;
}

static void check_heap(Heap *h)
{
    CHECK(h->live_blocks == 0 && h->live_bytes == 0, "leak: %ld blocks, %zu bytes",
          h->live_blocks, h->live_bytes);
    CHECK(!h->bad_osize, "allocator called with a wrong osize");
}

/* ------------------------------------------------------------ files */

static char *tmpfile_with(const void *data, size_t len)
{
    static char path[64];
    int fd;
    strcpy(path, "/tmp/hedge_csv_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(2);
    }
    if (len && write(fd, data, len) != (ssize_t)len) {
        perror("write");
        exit(2);
    }
    close(fd);
    return path;
}

/* Growable string. */
typedef struct { char *s; size_t n, cap; } Str;

static void str_add(Str *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            exit(2);
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = 0;
}
static void str_addz(Str *b, const char *z) { str_add(b, z, strlen(z)); }

/* Reads the whole file into "LINE:[f1][f2]\n" lines (\n and \r in fields
** shown as \n and \r), then "ERR:message" if reading failed. */
static char *dump_file(const char *path, size_t bufsize, Heap *h)
{
    char err[256];
    Str b = {0};
    CsvReader *r = csv_open_ex(path, bufsize, test_alloc, h, err, sizeof err);
    CsvField *f;
    long line;
    int n;
    str_addz(&b, "");
    if (!r) {
        str_addz(&b, "OPEN:");
        str_addz(&b, err);
        return b.s;
    }
    while ((n = csv_next(r, &f, &line, err, sizeof err)) > 0) {
        char num[32];
        snprintf(num, sizeof num, "%ld:", line);
        str_addz(&b, num);
        for (int i = 0; i < n; i++) {
            /* csv.h's padding: CSV_FIELD_PAD bytes after every field may be
            ** read (ASan catches a field that ends at its allocation's end),
            ** and a code of up to 8 bytes packs as its bytes do */
            /* byte by byte: ASan may not see an unaligned 8-byte load
            ** that crosses the end */
            volatile unsigned char after = 0;
            uint64_t want = 0;
            for (size_t k = 0; k < CSV_FIELD_PAD; k++)
                after ^= (unsigned char)f[i].p[f[i].len + k];
            (void)after;
            for (size_t k = 0; k < f[i].len && k < 8; k++)
                want |= (uint64_t)(unsigned char)f[i].p[k] << (8 * k);
            CHECK(csv_code8(f[i].p, f[i].len < 8 ? f[i].len : 8) == want, "csv_code8 of field %d", i);
            str_addz(&b, "[");
            for (size_t k = 0; k < f[i].len; k++) {
                char c = f[i].p[k];
                if (c == '\n')
                    str_addz(&b, "\\n");
                else if (c == '\r')
                    str_addz(&b, "\\r");
                else
                    str_add(&b, &c, 1);
            }
            str_addz(&b, "]");
        }
        str_addz(&b, "\n");
    }
    if (n < 0) {
        char again[256];
        str_addz(&b, "ERR:");
        str_addz(&b, err);
        /* errors are sticky */
        if (csv_next(r, &f, &line, again, sizeof again) != -1 || strcmp(again, err) != 0)
            str_addz(&b, " (NOT STICKY)");
    } else if (csv_next(r, &f, &line, err, sizeof err) != 0) {
        str_addz(&b, "(EOF NOT STICKY)");
    }
    csv_close(r);
    return b.s;
}

/* Checks one input against the expected dump for many buffer sizes (every
** size from 16 to past the input's length, so that every record boundary
** and every quote lands on a chunk boundary once) and the default size. */
static void expect_csv(const char *name, const char *data, size_t len, const char *want)
{
    char *path = tmpfile_with(data, len);
    size_t maxbuf = len + 2 * 64 + 8;
    for (size_t bs = 0; bs <= maxbuf; bs++) {
        Heap h = {0};
        size_t use = bs == 0 ? CSV_DEFAULT_BUFSIZE : bs;
        char *got;
        if (bs > 0 && bs < 16)
            continue;
        got = dump_file(path, use, &h);
        CHECK(strcmp(got, want) == 0, "%s (bufsize %zu):\n--- want\n%s\n--- got\n%s", name, use,
              want, got);
        check_heap(&h);
        free(got);
        if (g_case_failed)
            break;
    }
    unlink(path);
}
#define EXPECT(name, lit, want) expect_csv(name, lit, sizeof(lit) - 1, want)

/* ------------------------------------------------------------ reader cases */

static void test_basic(void)
{
    EXPECT("simple", "a,b,c\n1,2,3\n", "1:[a][b][c]\n2:[1][2][3]\n");
    EXPECT("one column", "x\n1\n2\n", "1:[x]\n2:[1]\n3:[2]\n");
    EXPECT("empty fields", ",,\n,\na,\n,b\n", "1:[][][]\n2:[][]\n3:[a][]\n4:[][b]\n");
    EXPECT("spaces kept", " a , b \n", "1:[ a ][ b ]\n");
    EXPECT("empty file", "", "");
    EXPECT("only newline", "\n", "");
    EXPECT("lone CR in unquoted field is data", "a\rb,c\n", "1:[a\\rb][c]\n");
    EXPECT("literal quote inside unquoted field", "a\"b,c\"\n", "1:[a\"b][c\"]\n");
}

static void test_line_endings(void)
{
    EXPECT("CRLF", "a,b\r\n1,2\r\n", "1:[a][b]\n2:[1][2]\n");
    EXPECT("mixed LF and CRLF", "a,b\n1,2\r\n3,4\n", "1:[a][b]\n2:[1][2]\n3:[3][4]\n");
    EXPECT("no final newline", "a,b\n1,2", "1:[a][b]\n2:[1][2]\n");
    EXPECT("no final newline, trailing CR", "a,b\r\n1,2\r", "1:[a][b]\n2:[1][2]\n");
    EXPECT("no final newline, empty last field", "a,b\n1,", "1:[a][b]\n2:[1][]\n");
    EXPECT("blank trailing line", "a\n1\n\n", "1:[a]\n2:[1]\n");
    EXPECT("blank trailing CRLF line", "a\r\n1\r\n\r\n", "1:[a]\n2:[1]\n");
    EXPECT("blank lines in the middle are skipped but counted", "a\n\n\nb\n\r\nc",
           "1:[a]\n4:[b]\n6:[c]\n");
    EXPECT("leading blank line", "\nh\n1\n", "2:[h]\n3:[1]\n");
}

static void test_bom(void)
{
    EXPECT("BOM", "\xEF\xBB\xBF" "a,b\n1,2\n", "1:[a][b]\n2:[1][2]\n");
    EXPECT("BOM then quoted", "\xEF\xBB\xBF\"a\",b\n", "1:[a][b]\n");
    EXPECT("only BOM", "\xEF\xBB\xBF", "");
    EXPECT("BOM bytes later are data", "a\n\xEF\xBB\xBF" "b\n", "1:[a]\n2:[\xEF\xBB\xBF" "b]\n");
}

static void test_quoting(void)
{
    EXPECT("quoted comma and escaped quote", "a,\"b,c\",\"d\"\"e\"\n",
           "1:[a][b,c][d\"e]\n");
    EXPECT("quoted empty", "\"\"\n\"\",\"\"\n", "1:[]\n2:[][]\n");
    EXPECT("only escaped quotes", "\"\"\"\"\"\"\n", "1:[\"\"]\n");
    EXPECT("quoted at EOF", "a,\"b\"", "1:[a][b]\n");
    EXPECT("quoted then comma at EOF", "\"a\",", "1:[a][]\n");
    EXPECT("quoted then CR at EOF", "\"a\"\r", "1:[a]\n");
    EXPECT("quoted CRLF", "\"a\",\"b\"\r\n\"c\"\r\n", "1:[a][b]\n2:[c]\n");
    EXPECT("quoted field next to unquoted", "x,\"y\",z\n", "1:[x][y][z]\n");
    EXPECT("quoted with spaces", "\" a \",b\n", "1:[ a ][b]\n");
    EXPECT("escaped quote at field end", "\"ab\"\"\",c\n", "1:[ab\"][c]\n");
    /* a quoted field that fills the buffer ends near the end of the
    ** scratch area: its padding must still be there (dump_file reads it) */
    EXPECT("long quoted field", "\"abcdefghijklmnopqrstuvwxyz0123\"\nx,\"0123456789abcdefghijklmnopq\"",
           "1:[abcdefghijklmnopqrstuvwxyz0123]\n2:[x][0123456789abcdefghijklmnopq]\n");
}

static void test_embedded_newlines(void)
{
    EXPECT("embedded LF", "h1,h2\n\"x\ny\",z\n3,4\n", "1:[h1][h2]\n2:[x\\ny][z]\n4:[3][4]\n");
    EXPECT("embedded CRLF", "\"a\r\nb\",c\r\nd,e\r\n", "1:[a\\r\\nb][c]\n3:[d][e]\n");
    EXPECT("several embedded lines", "a,\"1\n2\n3\",b\nc\n", "1:[a][1\\n2\\n3][b]\n4:[c]\n");
    EXPECT("two multi-line fields in one record", "\"a\nb\",\"c\nd\"\ne\n",
           "1:[a\\nb][c\\nd]\n4:[e]\n");
    EXPECT("blank line inside quotes is data", "\"a\n\nb\"\nc\n", "1:[a\\n\\nb]\n4:[c]\n");
}

static void test_many_fields(void)
{
    Str in = {0}, want = {0};
    str_addz(&want, "1:");
    for (int i = 0; i < 300; i++) {
        char f[32];
        snprintf(f, sizeof f, i % 3 == 0 ? "\"q%d\"" : "%d", i);
        if (i)
            str_addz(&in, ",");
        str_addz(&in, f);
        snprintf(f, sizeof f, i % 3 == 0 ? "[q%d]" : "[%d]", i);
        str_addz(&want, f);
    }
    str_addz(&in, "\nz\n");
    str_addz(&want, "\n2:[z]\n");
    expect_csv("300 fields", in.s, in.n, want.s);
    free(in.s);
    free(want.s);
}

static void test_errors(void)
{
    EXPECT("unterminated quote", "a\n\"abc\nd\n", "1:[a]\nERR:2: unterminated quoted field");
    EXPECT("unterminated quote at EOF", "a,\"", "ERR:1: unterminated quoted field");
    EXPECT("unterminated quote opened on a later line", "h\n\"a\nb\",\"c\nd\n",
           "1:[h]\nERR:2: unterminated quoted field (quote opened on line 3)");
    EXPECT("text after closing quote", "a\nb,\"x\ny\"z\n",
           "1:[a]\nERR:2: field 2: unexpected 'z' after closing quote");
    EXPECT("space after closing quote", "\"x\" ,y\n",
           "ERR:1: field 1: unexpected ' ' after closing quote");
    EXPECT("bare CR after closing quote", "\"x\"\ry\n",
           "ERR:1: field 1: unexpected byte 0x0d after closing quote");
}

static void test_open_errors(void)
{
    char err[256];
    Heap h = {0};
    CsvReader *r;
    r = csv_open("/tmp/hedge-csv-does-not-exist.csv", test_alloc, &h, err, sizeof err);
    CHECK(r == NULL, "open of a missing file succeeded");
    CHECK(strcmp(err, "cannot open '/tmp/hedge-csv-does-not-exist.csv': No such file or directory") == 0,
          "message: %s", err);
    r = csv_open("/tmp", test_alloc, &h, err, sizeof err);
    CHECK(r == NULL, "open of a directory succeeded");
    CHECK(strcmp(err, "cannot open '/tmp': it is a folder, not a regular file") == 0, "message: %s", err);
    /* a tiny err buffer is truncated, not overrun */
    {
        char small[8];
        memset(small, 'x', sizeof small);
        r = csv_open("/nonexistent/x.csv", test_alloc, &h, small, 5);
        CHECK(r == NULL && strcmp(small, "cann") == 0 && small[5] == 'x', "small err: %.8s", small);
        r = csv_open("/nonexistent/x.csv", test_alloc, &h, NULL, 0);
        CHECK(r == NULL, "NULL err");
    }
    csv_close(NULL);
    check_heap(&h);
}

/* A file larger than the default buffer, with quoted multi-line fields,
** escaped quotes and CRLF, so records cross chunk boundaries many times. */
static void test_big_file(void)
{
    Str in = {0};
    const long rows = 120000;
    char path[64], err[256], want[128], got[128];
    long expect_line = 2, line;
    CsvField *f;
    int n;
    for (size_t bs = 0; bs < 3; bs++) {
        size_t sizes[3] = {CSV_DEFAULT_BUFSIZE, 4096, 1000};
        Heap h = {0};
        CsvReader *r;
        long i = 0;
        if (bs == 0) {
            str_addz(&in, "id,name,note,value\r\n");
            for (long k = 0; k < rows; k++) {
                char row[128];
                if (k % 7 == 3)
                    snprintf(row, sizeof row, "%ld,n%ld,\"multi\nline \"\"%ld\"\"\",%ld.%02ld\r\n",
                             k, k, k, k * 3, k % 100);
                else
                    snprintf(row, sizeof row, "%ld,n%ld,plain,%ld.%02ld\r\n", k, k, k * 3, k % 100);
                str_addz(&in, row);
            }
            CHECK(in.n > 2 * CSV_DEFAULT_BUFSIZE, "test file too small: %zu", in.n);
            strcpy(path, tmpfile_with(in.s, in.n));
        }
        expect_line = 2;
        r = csv_open_ex(path, sizes[bs], test_alloc, &h, err, sizeof err);
        CHECK(r != NULL, "open: %s", err);
        if (!r)
            break;
        n = csv_next(r, &f, &line, err, sizeof err);
        CHECK(n == 4 && line == 1, "header: n=%d line=%ld", n, line);
        while ((n = csv_next(r, &f, &line, err, sizeof err)) > 0) {
            CHECK(n == 4, "row %ld: %d fields", i, n);
            CHECK(line == expect_line, "row %ld: line %ld, want %ld", i, line, expect_line);
            if (i % 7 == 3) {
                snprintf(want, sizeof want, "%ld|n%ld|multi\nline \"%ld\"|%ld.%02ld", i, i, i,
                         i * 3, i % 100);
                expect_line += 2;
            } else {
                snprintf(want, sizeof want, "%ld|n%ld|plain|%ld.%02ld", i, i, i * 3, i % 100);
                expect_line += 1;
            }
            if (n == 4)
                snprintf(got, sizeof got, "%.*s|%.*s|%.*s|%.*s", (int)f[0].len, f[0].p,
                         (int)f[1].len, f[1].p, (int)f[2].len, f[2].p, (int)f[3].len, f[3].p);
            CHECK(n == 4 && strcmp(got, want) == 0, "row %ld (bufsize %zu): got '%s' want '%s'", i,
                  sizes[bs], got, want);
            if (g_case_failed)
                break;
            i++;
        }
        CHECK(n == 0, "ended with %d: %s", n, err);
        CHECK(i == rows, "read %ld rows, want %ld", i, rows);
        csv_close(r);
        check_heap(&h);
        if (g_case_failed)
            break;
    }
    unlink(path);
    free(in.s);
}

/* One record far longer than the buffer: the buffer must grow. */
static void test_huge_record(void)
{
    const size_t big = 3 * CSV_DEFAULT_BUFSIZE + 12345;
    char *data = malloc(2 * big + 100), *path, err[256];
    size_t n = 0;
    Heap h = {0};
    CsvReader *r;
    CsvField *f;
    long line;
    int nf;
    memcpy(data + n, "a,b\n", 4);
    n += 4;
    for (size_t i = 0; i < big; i++) /* unquoted */
        data[n++] = (char)('a' + i % 26);
    data[n++] = ',';
    data[n++] = '"';
    for (size_t i = 0; i < big / 2; i++) { /* quoted: alternating "" and \n */
        if (i % 2) {
            data[n++] = '"';
            data[n++] = '"';
        } else {
            data[n++] = '\n';
        }
    }
    data[n++] = '"';
    memcpy(data + n, "\nlast,row", 9);
    n += 9;
    path = tmpfile_with(data, n);
    r = csv_open_ex(path, 4096, test_alloc, &h, err, sizeof err);
    CHECK(r != NULL, "open: %s", err);
    if (r) {
        nf = csv_next(r, &f, &line, err, sizeof err);
        CHECK(nf == 2 && line == 1, "header");
        nf = csv_next(r, &f, &line, err, sizeof err);
        CHECK(nf == 2 && line == 2, "huge record: nf=%d line=%ld err=%s", nf, line, err);
        if (nf == 2) {
            int ok = f[0].len == big && f[1].len == big / 2;
            for (size_t i = 0; ok && i < big; i++)
                ok = f[0].p[i] == (char)('a' + i % 26);
            for (size_t i = 0; ok && i < big / 2; i++)
                ok = f[1].p[i] == (i % 2 ? '"' : '\n');
            CHECK(ok, "huge record content wrong (len %zu, %zu)", f[0].len, f[1].len);
        }
        nf = csv_next(r, &f, &line, err, sizeof err);
        CHECK(nf == 2 && line == 2 + (long)((big / 2 + 1) / 2) + 1, "last row: nf=%d line=%ld", nf, line);
        CHECK(csv_next(r, &f, &line, err, sizeof err) == 0, "EOF");
        csv_close(r);
    }
    check_heap(&h);
    unlink(path);
    free(data);
}

/* Every allocation failure is reported as an error, never a crash, and
** leaks nothing. */
static void test_out_of_memory(void)
{
    static const char data[] = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t\n"
                               "\"quoted\nfield\",2\n" "a very long unquoted record that is longer than the buffer\n";
    char *path = tmpfile_with(data, sizeof data - 1);
    int saw_success = 0;
    for (long fail_at = 1; fail_at < 40 && !saw_success; fail_at++) {
        Heap h = {0};
        char err[256] = "";
        CsvReader *r;
        CsvField *f;
        long line;
        int n, rows = 0;
        h.fail_at = fail_at;
        r = csv_open_ex(path, 16, test_alloc, &h, err, sizeof err);
        if (!r) {
            CHECK(strstr(err, "out of memory") != NULL, "fail_at %ld: open: %s", fail_at, err);
            check_heap(&h);
            continue;
        }
        while ((n = csv_next(r, &f, &line, err, sizeof err)) > 0)
            rows++;
        if (n < 0)
            CHECK(strstr(err, "out of memory") != NULL, "fail_at %ld: %s", fail_at, err);
        else {
            CHECK(rows == 3, "fail_at %ld: %d rows", fail_at, rows);
            saw_success = 1;
        }
        csv_close(r);
        check_heap(&h);
    }
    CHECK(saw_success, "never succeeded");
    unlink(path);
}

/* ------------------------------------------------------------ numbers */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* csv_parse_double must agree bit for bit with strtod (which is correctly
** rounded in glibc), or reject exactly what strtod would turn to infinity. */
static void check_vs_strtod(const char *s)
{
    double want = strtod(s, NULL), got = -12345.0;
    int ok = csv_parse_double(s, strlen(s), &got);
    if (isinf(want))
        CHECK(!ok, "'%s' overflows but was accepted as %.17g", s, got);
    else
        CHECK(ok && same_double(got, want), "'%s': got %.17g (ok=%d), strtod %.17g", s, got, ok,
              want);
}

static void test_double_money(void)
{
    char s[64];
    for (int i = 0; i < 300000 && !g_case_failed; i++) {
        int digits = 1 + (int)(rnd() % 13);
        uint64_t ip = rnd() % 10000000000000ull, mod = 1;
        for (int k = 0; k < digits; k++)
            mod *= 10;
        snprintf(s, sizeof s, "%s%llu.%02u", rnd() % 5 == 0 ? "-" : "",
                 (unsigned long long)(ip % mod), (unsigned)(rnd() % 100));
        check_vs_strtod(s);
    }
    check_vs_strtod("1528749.69");
    check_vs_strtod("3587111.97");
    check_vs_strtod("0.01");
}

/* csv_parse_double_padded (csv.h) must give csv_parse_double's answer, bit
** for bit, for any text, whatever digits follow the field in its padding. */
static void test_double_padded(void)
{
    static const char alpha[] = "0123456789.-+e ,x";
    char s[64 + CSV_FIELD_PAD];
    for (int i = 0; i < 600000 && !g_case_failed; i++) {
        size_t len = rnd() % 26;
        int mode = (int)(rnd() % 4);
        for (size_t k = 0; k < len; k++)
            s[k] = mode ? (char)('0' + rnd() % 10) : alpha[rnd() % (sizeof alpha - 1)];
        if (mode == 1 && len > 2)
            s[rnd() % len] = '.';
        if (mode == 2 && len > 1)
            s[0] = '-';
        if (mode == 3 && len > 3) {
            s[0] = '0';
            s[1] = '.';
        }
        for (size_t k = len; k < len + CSV_FIELD_PAD; k++)
            s[k] = "5,.\n"[rnd() % 4];
        double a = -1, b = -2;
        int ra = csv_parse_double(s, len, &a), rb = csv_parse_double_padded(s, len, &b);
        CHECK(ra == rb && (!ra || same_double(a, b)), "'%.*s': %d %.17g, padded %d %.17g", (int)len, s,
              ra, a, rb, b);
    }
    static const char *fixed[] = {"1528749.69", "417.825", ".5", "5.", "-0", "-0.0", "12345678",
                                  "123456789", "12345678.12345678", "12345678.123456789",
                                  "9007199254740993", "0.1", "-", ".", ""};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        size_t len = strlen(fixed[i]);
        memcpy(s, fixed[i], len);
        memset(s + len, '7', CSV_FIELD_PAD);
        double a = -1, b = -2;
        int ra = csv_parse_double(s, len, &a), rb = csv_parse_double_padded(s, len, &b);
        CHECK(ra == rb && (!ra || same_double(a, b)), "'%s': %d %.17g, padded %d %.17g", fixed[i], ra,
              a, rb, b);
    }
}

/* csv_scan_number (csv.h) reads a number where a cell starts, its end
** unknown: wherever it stops, the text before must be a number and the
** value csv_parse_double's (so strtod's), bit for bit; and the common forms
** ([-]digits[.digits], up to 8 digits a side, at most 2^53 in all) must be
** taken, whatever follows them (the next cell, a line end, padding). */
static void test_scan_number(void)
{
    static const char alpha[] = "0123456789.-+e ,x\n";
    char s[64 + CSV_FIELD_PAD + 32];
    for (int i = 0; i < 600000 && !g_case_failed; i++) {
        size_t len = rnd() % 26;
        int mode = (int)(rnd() % 4);
        for (size_t k = 0; k < len; k++)
            s[k] = mode ? (char)('0' + rnd() % 10) : alpha[rnd() % (sizeof alpha - 1)];
        if (mode == 1 && len > 2)
            s[rnd() % len] = '.';
        if (mode == 2 && len > 1)
            s[0] = '-';
        if (mode == 3 && len > 3) {
            s[0] = '0';
            s[1] = '.';
        }
        for (size_t k = len; k < len + CSV_FIELD_PAD + 20; k++)
            s[k] = ",\n\r5.x"[rnd() % 6];
        double a = -1, b = -2;
        const char *end = csv_scan_number(s, &b);
        if (!end)
            continue;
        size_t n = (size_t)(end - s);
        int ra = csv_parse_double(s, n, &a);
        CHECK(ra && same_double(a, b) && (*end < '0' || *end > '9'),
              "'%.*s' (stopped at %zu): %d %.17g, scanned %.17g", (int)len, s, n, ra, a, b);
    }
    for (int i = 0; i < 300000 && !g_case_failed; i++) {
        size_t n = 0;
        int ni = (int)(rnd() % 9), nf = (int)(rnd() % 9);
        if (ni + nf == 0)
            ni = 1;
        if (rnd() % 4 == 0)
            s[n++] = '-';
        for (int k = 0; k < ni; k++)
            s[n++] = (char)('0' + rnd() % 10);
        if (nf) {
            s[n++] = '.';
            for (int k = 0; k < nf; k++)
                s[n++] = (char)('0' + rnd() % 10);
        }
        for (size_t k = n; k < n + CSV_FIELD_PAD + 20; k++)
            s[k] = ",\n\r"[rnd() % 3];
        double a = -1, b = -2;
        int ra = csv_parse_double(s, n, &a);
        const char *end = csv_scan_number(s, &b);
        uint64_t m = 0;
        for (size_t k = 0; k < n; k++)
            if (s[k] >= '0' && s[k] <= '9')
                m = m * 10 + (uint64_t)(s[k] - '0');
        if (m > (UINT64_C(1) << 53))
            continue;   /* may go either way: the general parser then decides */
        CHECK(ra && end == s + n && same_double(a, b), "'%.*s': %d %.17g, scanned %s %.17g", (int)n, s, ra,
              a, end ? "to its end" : "nothing", b);
    }
    static const char *fixed[] = {"1528749.69", "417.825", ".5", "-.5", "-0", "-0.0", "12345678", "1234.5678",
                                  "12345678.12345678", "90071992.54740992", "0.00000001", "7"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        size_t len = strlen(fixed[i]);
        memcpy(s, fixed[i], len);
        memset(s + len, ',', CSV_FIELD_PAD + 20);
        double a = -1, b = -2;
        int ra = csv_parse_double(s, len, &a);
        const char *end = csv_scan_number(s, &b);
        CHECK(ra && end == s + len && same_double(a, b), "'%s': %.17g, scanned %.17g", fixed[i], a, b);
    }
    static const char *refused[] = {"5.", ".", "-", "", "+1", " 1", "1e3", "123456789", "1.123456789", "x"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        size_t len = strlen(refused[i]);
        memcpy(s, refused[i], len);
        memset(s + len, ',', CSV_FIELD_PAD + 20);
        double b = -2;
        const char *end = csv_scan_number(s, &b);
        CHECK(!end || end != s + len, "'%s' taken as %.17g", refused[i], b);
    }
}

static void test_double_random(void)
{
    char s[128];
    for (int i = 0; i < 300000 && !g_case_failed; i++) {
        size_t n = 0;
        int nd = 1 + (int)(rnd() % 25), dot = (int)(rnd() % (nd + 2)) - 1;
        if (rnd() % 3 == 0)
            s[n++] = rnd() % 2 ? '-' : '+';
        for (int k = 0; k < nd; k++) {
            if (k == dot)
                s[n++] = '.';
            s[n++] = (char)('0' + rnd() % 10);
        }
        if (rnd() % 2) {
            int e = (int)(rnd() % 700) - 350;
            n += (size_t)snprintf(s + n, sizeof s - n, "%c%d", rnd() % 2 ? 'e' : 'E', e);
        }
        s[n] = 0;
        check_vs_strtod(s);
    }
}

static void test_double_edges(void)
{
    static const char *cases[] = {
        "0", "-0", "+0", "0.0", "00000", "0e999999", "-0.000e-5", "1", "-1", "+5", ".5", "5.",
        "-.5", "1e22", "1e23", "1e-22", "1e-23", "123456789e22", "9007199254740992",
        "9007199254740993", "9007199254740994", "9007199254740995", "18446744073709551615",
        "18446744073709551616", "99999999999999999999", "0.1", "0.3", "1.1", "2.675",
        "123456789012345678901234567890", "1e308", "1.7976931348623157e308",
        "1.7976931348623158e308", "1e-308", "2.2250738585072014e-308", "2.2250738585072011e-308",
        "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-324", "1e-400",
        "123e-330", "1e-5", "12.5e3", "12.5E+3", "1.5e-7", "3.14159265358979323846264338327950288",
        "0.000000000000000000000000000001", "1e0000000000000000000000010",
        "1.000000000000000000000000000000000000001", "  42  ", "\t7\t", "1e+22", "5e-0",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_vs_strtod(cases[i]);
    {
        double d = 1;
        CHECK(csv_parse_double("-0", 2, &d) && d == 0 && signbit(d), "-0 lost its sign");
        CHECK(csv_parse_double("1e999", 5, &d) == 0, "1e999 accepted");
        CHECK(csv_parse_double("-1e999", 6, &d) == 0, "-1e999 accepted");
        CHECK(csv_parse_double("1e-999", 6, &d) == 1 && d == 0, "1e-999 not 0");
        /* length is respected: no read past len, no NUL needed */
        CHECK(csv_parse_double("12345", 3, &d) == 1 && d == 123, "len ignored: %g", d);
    }
}

/* Inputs far past 800 significant digits, where only a digit at the very end
** decides the rounding (2^53 + 1 is exactly halfway). */
static void test_double_long(void)
{
    Str s = {0};
    str_addz(&s, "9007199254740993.");
    for (int i = 0; i < 1500; i++)
        str_addz(&s, "0");
    check_vs_strtod(s.s); /* tie: to even, 2^53 */
    str_addz(&s, "1");
    check_vs_strtod(s.s); /* above the tie: 2^53 + 2 */
    free(s.s);
    s = (Str){0};
    for (int i = 0; i < 1200; i++)
        str_addz(&s, i % 3 ? "7" : "3");
    check_vs_strtod(s.s); /* ~1e1200: overflow, rejected */
    s.n = 500;
    s.s[500] = 0;
    check_vs_strtod(s.s); /* 500 digits: 1e500, rejected */
    s.n = 300;
    s.s[300] = 0;
    str_addz(&s, "e-200");
    check_vs_strtod(s.s);
    free(s.s);
    s = (Str){0};
    str_addz(&s, "0.");
    for (int i = 0; i < 1000; i++)
        str_addz(&s, "0");
    str_addz(&s, "123e1000");
    check_vs_strtod(s.s);
    free(s.s);
    s = (Str){0};
    str_addz(&s, "1");
    for (int i = 0; i < 1000; i++)
        str_addz(&s, "0");
    str_addz(&s, "e-1000");
    check_vs_strtod(s.s); /* exactly 1 */
    free(s.s);
}

static void test_double_reject(void)
{
    static const char *bad[] = {
        "", " ", "\t", "5OO000", "1.2.3", "nan", "NaN", "NAN", "inf", "-inf", "Infinity", "0x10",
        "0X1p3", "1_000", "1e", "1e+", "1e-", "e5", "E5", ".", "-", "+", "+-1", "--1", "1,5",
        "1 5", "1e5.5", "1.5e", "12abc", "abc", "\xD9\xA1", "1..2", ".e1", "-.e1", "1e5e5",
        "1d5", "1f", "0b101", "$5", "5%", "\"5\"", "1e 5", "1 e5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double d = 99;
        CHECK(csv_parse_double(bad[i], strlen(bad[i]), &d) == 0, "accepted '%s' as %g", bad[i], d);
        CHECK(d == 99, "'%s' wrote *out", bad[i]);
    }
    {
        double d = 99;
        CHECK(csv_parse_double("1\0002", 3, &d) == 0, "embedded NUL accepted");
    }
}

static void test_int(void)
{
    static const struct { const char *s; int ok; long long v; } cases[] = {
        {"0", 1, 0}, {"-0", 1, 0}, {"+7", 1, 7}, {"123", 1, 123}, {" 12 ", 1, 12},
        {"2025", 1, 2025}, {"007", 1, 7},
        {"9223372036854775807", 1, 9223372036854775807LL},
        {"-9223372036854775808", 1, -9223372036854775807LL - 1},
        {"9223372036854775808", 0, 0}, {"-9223372036854775809", 0, 0},
        {"99999999999999999999", 0, 0}, {"", 0, 0}, {" ", 0, 0}, {"-", 0, 0}, {"+", 0, 0},
        {"1.0", 0, 0}, {"1e3", 0, 0}, {"12a", 0, 0}, {"1_000", 0, 0}, {"0x10", 0, 0},
        {"--1", 0, 0}, {"1 2", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long long v = 42;
        int ok = csv_parse_int(cases[i].s, strlen(cases[i].s), &v);
        CHECK(ok == cases[i].ok, "'%s': ok=%d", cases[i].s, ok);
        if (ok && cases[i].ok)
            CHECK(v == cases[i].v, "'%s': got %lld", cases[i].s, v);
        if (!ok)
            CHECK(v == 42, "'%s' wrote *out", cases[i].s);
    }
    {
        long long v;
        CHECK(csv_parse_int("12345", 2, &v) == 1 && v == 12, "len ignored");
    }
}

/* ------------------------------------------------------------ main */

#define RUN(fn)                                                                \
    do {                                                                       \
        g_case = #fn;                                                          \
        g_case_failed = 0;                                                     \
        fn();                                                                  \
        if (g_case_failed)                                                     \
            g_failed++;                                                        \
        else                                                                   \
            g_passed++;                                                        \
    } while (0)

int main(void)
{
    RUN(test_basic);
    RUN(test_line_endings);
    RUN(test_bom);
    RUN(test_quoting);
    RUN(test_embedded_newlines);
    RUN(test_many_fields);
    RUN(test_errors);
    RUN(test_open_errors);
    RUN(test_big_file);
    RUN(test_huge_record);
    RUN(test_out_of_memory);
    RUN(test_double_money);
    RUN(test_double_random);
    RUN(test_double_padded);
    RUN(test_scan_number);
    RUN(test_double_edges);
    RUN(test_double_long);
    RUN(test_double_reject);
    RUN(test_int);
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
