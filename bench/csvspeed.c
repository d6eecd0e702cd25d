/*
** csvspeed: how fast interp/csv.c reads a CSV.
**
**   gcc -std=c11 -O2 -iquote interp -o build/csvspeed bench/csvspeed.c interp/csv.c
**   build/csvspeed /tmp/w1data/1m/deals.csv [RUNS [BUFSIZE]]
**
** Reads the file RUNS times (default 5; the page cache is warm after the
** first), sums the last column of every row after the header with
** csv_parse_double, and prints the rows, the sum and the best and median
** MB/s (1 MB = 10^6 bytes). A field that is not a number is an error.
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void *alloc(void *ud, void *p, size_t o, size_t n)
{
    (void)ud;
    (void)o;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    char err[256];
    struct stat st;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    size_t bufsize = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : CSV_DEFAULT_BUFSIZE;
    double times[64];

    if (argc < 2) {
        fprintf(stderr, "usage: csvspeed FILE.csv [RUNS [BUFSIZE]]\n");
        return 2;
    }
    if (stat(argv[1], &st) != 0) {
        perror(argv[1]);
        return 2;
    }
    if (runs < 1)
        runs = 1;
    if (runs > 64)
        runs = 64;
    for (int k = 0; k < runs; k++) {
        double t0 = now(), sum = 0;
        long rows = 0, line;
        CsvField *f;
        int n;
        CsvReader *r = csv_open_ex(argv[1], bufsize, alloc, NULL, err, sizeof err);
        if (!r) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        if (csv_next(r, &f, &line, err, sizeof err) < 0) { /* header */
            fprintf(stderr, "%s:%s\n", argv[1], err);
            return 1;
        }
        while ((n = csv_next(r, &f, &line, err, sizeof err)) > 0) {
            double v;
            if (!csv_parse_double(f[n - 1].p, f[n - 1].len, &v)) {
                fprintf(stderr, "%s:%ld: not a number: '%.*s'\n", argv[1], line,
                        (int)f[n - 1].len, f[n - 1].p);
                return 1;
            }
            sum += v;
            rows++;
        }
        if (n < 0) {
            fprintf(stderr, "%s:%s\n", argv[1], err);
            return 1;
        }
        csv_close(r);
        times[k] = now() - t0;
        if (k == 0)
            printf("rows %ld  sum %.2f\n", rows, sum);
    }
    qsort(times, (size_t)runs, sizeof times[0], cmp);
    printf("%.1f MB in best %.1f ms, median %.1f ms: %.0f MB/s best, %.0f MB/s median\n",
           (double)st.st_size / 1e6, times[0] * 1e3, times[runs / 2] * 1e3,
           (double)st.st_size / 1e6 / times[0], (double)st.st_size / 1e6 / times[runs / 2]);
    return 0;
}
