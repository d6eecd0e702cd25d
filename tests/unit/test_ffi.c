/*
** test_ffi.c: unit tests for interp/ffi.c.
**
** Calls real libc/libm functions, plus a few functions defined here and found
** through hffi_bind(NULL, ...): link this program with -rdynamic so they are
** exported. The last line on stdout is "N passed, M failed"; exit 1 on any
** failure.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "ffi.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct {
    long live;
    long nallocs;
    long fail_at; /* fail the Nth allocation (from 1); 0 = never */
} Heap;

static void *test_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    Heap *h = ud;
    (void)osize;
    if (nsize == 0) {
        if (ptr)
            h->live--;
        free(ptr);
        return NULL;
    }
    h->nallocs++;
    if (h->fail_at && h->nallocs == h->fail_at)
        return NULL;
    if (!ptr)
        h->live++;
    return realloc(ptr, nsize);
}

static Heap g_heap;

static HffiFn *bind(const char *lib, const char *sym, const char *sig, char *err)
{
    /* sig: return type then params, one letter each: i l d b s v */
    HffiType p[32], ret = HFFI_VOID;
    int n = 0;
    for (const char *c = sig; *c; c++) {
        HffiType t = HFFI_VOID;
        switch (*c) {
        case 'i': t = HFFI_INT; break;
        case 'l': t = HFFI_LONG; break;
        case 'd': t = HFFI_DOUBLE; break;
        case 'b': t = HFFI_BOOL; break;
        case 's': t = HFFI_STRING; break;
        case 'v': t = HFFI_VOID; break;
        }
        if (c == sig)
            ret = t;
        else
            p[n++] = t;
    }
    err[0] = 0;
    return hffi_bind(lib, sym, p, n, ret, test_alloc, &g_heap, err, 256);
}

/* ------------------------------------------------------------ exported helpers */

bool hffi_test_is_even(long x);
bool hffi_test_not(bool b);
int hffi_test_neg(int x);
const char *hffi_test_null(void);
int hffi_test_zero_args(void);
double hffi_test_mix(int a, long b, double c, bool d, const char *s, int e, double f, long g,
                     bool h, int i, int j, int k, int l, int m, int n, double o);
void hffi_test_store(long x);
long hffi_test_stored(void);

bool hffi_test_is_even(long x) { return x % 2 == 0; }
bool hffi_test_not(bool b) { return !b; }
int hffi_test_neg(int x) { return -x; }
const char *hffi_test_null(void) { return NULL; }
int hffi_test_zero_args(void) { return 42; }
double hffi_test_mix(int a, long b, double c, bool d, const char *s, int e, double f, long g,
                     bool h, int i, int j, int k, int l, int m, int n, double o)
{
    return a + (double)b * 10 + c + (d ? 1000 : 0) + (double)strlen(s) * 1e4 + e * 1e5 + f +
           (double)g * 1e6 + (h ? 0.5 : 0) + i + j + k + l + m + n + o;
}
static long stored;
void hffi_test_store(long x) { stored = x; }
long hffi_test_stored(void) { return stored; }

/* ------------------------------------------------------------ cases */

static void test_type_names(void)
{
    static const char *names[] = {"int", "long", "double", "bool", "string", "void"};
    HffiType t;
    for (int i = 0; i < 6; i++) {
        CHECK(hffi_type_from_name(names[i], strlen(names[i]), &t) == 0 && (int)t == i,
              "'%s' not parsed", names[i]);
        CHECK(strcmp(hffi_type_name((HffiType)i), names[i]) == 0, "name of %d", i);
    }
    CHECK(hffi_type_from_name("float", 5, &t) == -1, "float accepted");
    CHECK(hffi_type_from_name("Int", 3, &t) == -1, "Int accepted");
    CHECK(hffi_type_from_name("int", 2, &t) == -1, "'in' accepted");
    CHECK(hffi_type_from_name("integer", 7, &t) == -1, "integer accepted");
    CHECK(hffi_type_from_name("long double", 4, &t) == 0 && t == HFFI_LONG, "len not respected");
    CHECK(hffi_type_from_name("", 0, &t) == -1, "empty accepted");
    CHECK(strcmp(hffi_type_name((HffiType)99), "?") == 0, "bad type name");
}

static void test_libm(void)
{
    char err[256];
    HffiValue a[2], r;
    HffiFn *f = bind("libm.so.6", "cbrt", "dd", err);
    CHECK(f != NULL, "bind cbrt: %s", err);
    if (f) {
        CHECK(hffi_nparams(f) == 1 && hffi_param(f, 0) == HFFI_DOUBLE && hffi_ret(f) == HFFI_DOUBLE,
              "signature");
        /* compare with libm's own cbrt at run time (the compiler would fold
        ** cbrt(constant) with a correctly rounded value; glibc's cbrt(27) is
        ** 3.0000000000000004) */
        double (*volatile libm_cbrt)(double) = cbrt;
        a[0].d = 27.0;
        CHECK(hffi_call(f, a, &r) == 0 && fabs(r.d - 3.0) < 1e-15 && r.d == libm_cbrt(27.0),
              "cbrt(27) = %.17g", r.d);
        a[0].d = -2.0;
        hffi_call(f, a, &r);
        CHECK(r.d == libm_cbrt(-2.0), "cbrt(-2) = %.17g", r.d);
        hffi_free(f);
    }
    f = bind("libm.so.6", "hypot", "ddd", err);
    CHECK(f != NULL, "bind hypot: %s", err);
    if (f) {
        a[0].d = 3;
        a[1].d = 4;
        hffi_call(f, a, &r);
        CHECK(r.d == 5.0, "hypot(3,4) = %.17g", r.d);
        a[0].d = 1e300;
        a[1].d = 1e300;
        hffi_call(f, a, &r);
        {
            double (*volatile libm_hypot)(double, double) = hypot;
            CHECK(r.d == libm_hypot(1e300, 1e300), "hypot big = %.17g", r.d);
        }
        hffi_free(f);
    }
}

static void test_libc_ints(void)
{
    char err[256];
    HffiValue a[1], r;
    HffiFn *f = bind("libc.so.6", "labs", "ll", err);
    CHECK(f != NULL, "bind labs: %s", err);
    if (f) {
        a[0].i = -5;
        hffi_call(f, a, &r);
        CHECK(r.i == 5, "labs(-5) = %lld", r.i);
        a[0].i = LONG_MIN + 1;
        hffi_call(f, a, &r);
        CHECK(r.i == LONG_MAX, "labs(LONG_MIN+1) = %lld", r.i);
        hffi_free(f);
    }
    f = bind("libc.so.6", "atoi", "is", err); /* negative int return: sign extension */
    CHECK(f != NULL, "bind atoi: %s", err);
    if (f) {
        a[0].s = "-12";
        hffi_call(f, a, &r);
        CHECK(r.i == -12, "atoi(\"-12\") = %lld", r.i);
        a[0].s = "2147483647";
        hffi_call(f, a, &r);
        CHECK(r.i == INT_MAX, "atoi(INT_MAX) = %lld", r.i);
        hffi_free(f);
    }
    f = bind("libc.so.6", "abs", "ii", err); /* int param truncation is the caller's */
    CHECK(f != NULL, "bind abs: %s", err);
    if (f) {
        a[0].i = -7;
        hffi_call(f, a, &r);
        CHECK(r.i == 7, "abs(-7) = %lld", r.i);
        hffi_free(f);
    }
    /* a C function returning int used as a truth value is declared int */
    f = bind("libc.so.6", "isalpha", "ii", err);
    CHECK(f != NULL, "bind isalpha: %s", err);
    if (f) {
        a[0].i = 'a';
        hffi_call(f, a, &r);
        CHECK(r.i != 0 && r.i == isalpha('a'), "isalpha('a') = %lld", r.i);
        a[0].i = '1';
        hffi_call(f, a, &r);
        CHECK(r.i == 0, "isalpha('1') = %lld", r.i);
        hffi_free(f);
    }
}

static void test_strings(void)
{
    char err[256];
    HffiValue a[1], r;
    HffiFn *f = bind("libc.so.6", "strlen", "ls", err);
    CHECK(f != NULL, "bind strlen: %s", err);
    if (f) {
        a[0].s = "hello";
        hffi_call(f, a, &r);
        CHECK(r.i == 5, "strlen(hello) = %lld", r.i);
        a[0].s = "";
        hffi_call(f, a, &r);
        CHECK(r.i == 0, "strlen('') = %lld", r.i);
        hffi_free(f);
    }
    f = bind("libc.so.6", "strerror", "si", err);
    CHECK(f != NULL, "bind strerror: %s", err);
    if (f) {
        a[0].i = ENOENT;
        hffi_call(f, a, &r);
        CHECK(r.s && strcmp(r.s, "No such file or directory") == 0, "strerror(ENOENT) = %s",
              r.s ? r.s : "(null)");
        hffi_free(f);
    }
    f = bind("libc.so.6", "getenv", "ss", err);
    CHECK(f != NULL, "bind getenv: %s", err);
    if (f) {
        setenv("HFFI_TEST_VAR", "abc", 1);
        a[0].s = "HFFI_TEST_VAR";
        hffi_call(f, a, &r);
        CHECK(r.s && strcmp(r.s, "abc") == 0, "getenv = %s", r.s ? r.s : "(null)");
        unsetenv("HFFI_TEST_VAR");
        hffi_call(f, a, &r);
        CHECK(r.s == NULL, "getenv of an unset variable = %p", (const void *)r.s);
        hffi_free(f);
    }
}

static void test_void_return(void)
{
    char err[256];
    HffiValue a[1], r;
    HffiFn *f = bind("libc.so.6", "srand", "vi", err);
    CHECK(f != NULL, "bind srand: %s", err);
    if (f) {
        int x1, x2, y1, y2;
        srand(42);
        x1 = rand();
        x2 = rand();
        srand(7);
        a[0].i = 42;
        r.i = 99;
        CHECK(hffi_call(f, a, &r) == 0 && r.i == 0, "void call");
        y1 = rand();
        y2 = rand();
        CHECK(x1 == y1 && x2 == y2, "srand(42) through ffi had no effect");
        CHECK(hffi_ret(f) == HFFI_VOID, "ret type");
        hffi_free(f);
    }
}

static void test_program_symbols(void)
{
    char err[256];
    HffiValue a[16], r;
    HffiFn *f = bind(NULL, "hffi_test_is_even", "bl", err);
    CHECK(f != NULL, "bind is_even (linked with -rdynamic?): %s", err);
    if (f) {
        a[0].i = 10;
        hffi_call(f, a, &r);
        CHECK(r.i == 1, "is_even(10) = %lld", r.i);
        a[0].i = -3;
        hffi_call(f, a, &r);
        CHECK(r.i == 0, "is_even(-3) = %lld", r.i);
        hffi_free(f);
    }
    f = bind(NULL, "hffi_test_not", "bb", err);
    CHECK(f != NULL, "bind not: %s", err);
    if (f) {
        a[0].i = 0;
        hffi_call(f, a, &r);
        CHECK(r.i == 1, "not(false) = %lld", r.i);
        a[0].i = 256; /* any nonzero is true, even with a zero low byte */
        hffi_call(f, a, &r);
        CHECK(r.i == 0, "not(256) = %lld", r.i);
        hffi_free(f);
    }
    f = bind(NULL, "hffi_test_neg", "ii", err);
    CHECK(f != NULL, "bind neg: %s", err);
    if (f) {
        a[0].i = 123456;
        hffi_call(f, a, &r);
        CHECK(r.i == -123456, "neg = %lld", r.i);
        a[0].i = INT_MIN + 1;
        hffi_call(f, a, &r);
        CHECK(r.i == INT_MAX, "neg(INT_MIN+1) = %lld", r.i);
        hffi_free(f);
    }
    f = bind(NULL, "hffi_test_null", "s", err);
    CHECK(f != NULL, "bind null: %s", err);
    if (f) {
        r.s = "x";
        hffi_call(f, NULL, &r);
        CHECK(r.s == NULL, "NULL string return");
        hffi_free(f);
    }
    f = bind(NULL, "hffi_test_zero_args", "i", err);
    CHECK(f != NULL && hffi_nparams(f) == 0, "bind zero_args: %s", err);
    if (f) {
        hffi_call(f, NULL, &r);
        CHECK(r.i == 42, "zero_args = %lld", r.i);
        hffi_free(f);
    }
    f = bind(NULL, "hffi_test_mix", "dildbsidlbiiiiiid", err);
    CHECK(f != NULL && hffi_nparams(f) == 16, "bind mix (16 params): %s", err);
    if (f) {
        double want = hffi_test_mix(1, 2, 0.25, true, "abc", 3, 0.125, 4, true, 5, 6, 7, 8, 9,
                                    10, 0.0625);
        a[0].i = 1; a[1].i = 2; a[2].d = 0.25; a[3].i = 1; a[4].s = "abc"; a[5].i = 3;
        a[6].d = 0.125; a[7].i = 4; a[8].i = 1; a[9].i = 5; a[10].i = 6; a[11].i = 7;
        a[12].i = 8; a[13].i = 9; a[14].i = 10; a[15].d = 0.0625;
        hffi_call(f, a, &r);
        CHECK(r.d == want, "mix = %.17g, want %.17g", r.d, want);
        CHECK(hffi_param(f, 4) == HFFI_STRING && hffi_param(f, 3) == HFFI_BOOL &&
              hffi_param(f, 16) == HFFI_VOID && hffi_param(f, -1) == HFFI_VOID,
              "hffi_param");
        hffi_free(f);
    }
    f = bind(NULL, "hffi_test_store", "vl", err);
    CHECK(f != NULL, "bind store: %s", err);
    if (f) {
        a[0].i = -9876543210LL;
        hffi_call(f, a, &r);
        CHECK(hffi_test_stored() == -9876543210L, "store(long) = %ld", hffi_test_stored());
        hffi_free(f);
    }
    f = bind(NULL, "hffi_no_such_function_xyz", "i", err);
    CHECK(f == NULL && strcmp(err, "this program has no symbol 'hffi_no_such_function_xyz'") == 0,
          "missing program symbol: %s", err);
}

static void test_errors(void)
{
    char err[256];
    const char *pre = "cannot load library 'libdoesnotexist.so.9': ";
    HffiFn *f = bind("libdoesnotexist.so.9", "foo", "i", err);
    CHECK(f == NULL, "missing library bound");
    CHECK(strncmp(err, pre, strlen(pre)) == 0 && strstr(err, "cannot open shared object file"),
          "missing library message: %s", err);
    f = bind("libm.so.6", "cbrtx", "dd", err);
    CHECK(f == NULL && strcmp(err, "library 'libm.so.6' has no symbol 'cbrtx'") == 0,
          "missing symbol message: %s", err);
    f = bind("libm.so.6", "cbrt", "dv", err);
    CHECK(f == NULL && strcmp(err, "parameter 1 of 'cbrt' cannot be void") == 0,
          "void param: %s", err);
    f = bind("libm.so.6", "cbrt", "dddddddddddddddddd", err); /* 17 params */
    CHECK(f == NULL && strcmp(err, "'cbrt' has 17 parameters; at most 16 are supported") == 0,
          "17 params: %s", err);
    {
        HffiType p[1] = {HFFI_DOUBLE};
        f = hffi_bind("libm.so.6", "cbrt", p, -1, HFFI_DOUBLE, test_alloc, &g_heap, err, sizeof err);
        CHECK(f == NULL, "negative nparams accepted");
        f = hffi_bind("libm.so.6", "cbrt", p, 1, (HffiType)42, test_alloc, &g_heap, err, sizeof err);
        CHECK(f == NULL && strstr(err, "invalid return type"), "bad return type: %s", err);
        /* err may be NULL or tiny */
        f = hffi_bind("libm.so.6", "cbrtx", p, 1, HFFI_DOUBLE, test_alloc, &g_heap, NULL, 0);
        CHECK(f == NULL, "NULL err");
        memset(err, 'x', 16);
        f = hffi_bind("libm.so.6", "cbrtx", p, 1, HFFI_DOUBLE, test_alloc, &g_heap, err, 8);
        CHECK(f == NULL && strcmp(err, "library") == 0 && err[8] == 'x', "tiny err: %.16s", err);
    }
    hffi_free(NULL);
}

static void test_out_of_memory(void)
{
    char err[256];
    HffiType p[1] = {HFFI_DOUBLE};
    Heap h = {0};
    HffiFn *f;
    h.fail_at = 1;
    f = hffi_bind("libm.so.6", "cbrt", p, 1, HFFI_DOUBLE, test_alloc, &h, err, sizeof err);
    CHECK(f == NULL && strcmp(err, "cannot bind 'cbrt': out of memory") == 0, "oom: %s", err);
    CHECK(h.live == 0, "leak after oom");
}

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
    RUN(test_type_names);
    RUN(test_libm);
    RUN(test_libc_ints);
    RUN(test_strings);
    RUN(test_void_return);
    RUN(test_program_symbols);
    RUN(test_errors);
    RUN(test_out_of_memory);
    g_case = "no leaks";
    g_case_failed = 0;
    CHECK(g_heap.live == 0, "%ld blocks still allocated", g_heap.live);
    if (g_case_failed)
        g_failed++;
    else
        g_passed++;
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed ? 1 : 0;
}
