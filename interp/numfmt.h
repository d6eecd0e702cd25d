/*
** numfmt.h: numbers for people. The forms every human-facing output uses
** (print, text reports, the REPL, HTML) and the patterns of fmt(x, "0.0%").
** Pure functions over char buffers: no state, no allocation, no errors
** raised (a bad pattern is reported through the return value).
** JSON and CSV never use these: they keep every digit (v_num_print).
*/
#ifndef NUMFMT_H
#define NUMFMT_H
#include <stddef.h>

/* A plain number: exact when it has at most 12 significant digits (what a
** person typed or counted: 2025, 0.05, 1234567.25); otherwise (a computed
** fraction such as 0.30000000000000004 or 4923.624362202129) six
** significant digits, never fewer than the digits before the point. */
void numfmt_plain(char *out, size_t n, double v);

/* A share as a percentage with at most two decimals, trailing zeros
** trimmed (0.2676836 -> "26.77%", 0.4 -> "40%"); a non-zero share below
** 1% keeps three significant digits ("0.00123%") so it never reads as 0. */
void numfmt_share(char *out, size_t n, double v);

/* The magnitude of a quantity scaled by K/M/B/T with at most two decimals
** and digit grouping ("6.03B", "393.95K", "1,250T"); below 1,000 two
** decimals, or three significant digits below 1. The caller appends the
** unit. */
void numfmt_scaled(char *out, size_t n, double v);

/* The same forms with every digit that tells the value apart (shortest
** round trip): used when two different values would print alike. */
void numfmt_share_exact(char *out, size_t n, double v);
void numfmt_scaled_exact(char *out, size_t n, double v);

/* fmt(x, PATTERN): a spreadsheet-like pattern.
**   "0"  "0.00"  "0.##"     fixed or optional decimals
**   "#,##0"  "#,##0.0"      digit grouping with commas
**   "00"                    at least that many integer digits
**   "0.0%"                  a share as a percentage
**   "0.00K" ... "0.00T"     divided by a thousand ... a trillion, letter kept
**   "0.00E"                 scientific notation ("6.03E+09")
** Returns 1 and the text, or 0 with *why saying what is wrong. */
int numfmt_pattern(char *out, size_t n, double v, const char *pattern, const char **why);

#endif
