/*
** numfmt.c: numbers for people (numfmt.h). Every form goes through one
** fixed-point writer (decimals, grouping, minimum integer digits, trimmed
** zeros), so "6.03B", "26.77%" and fmt(x, "#,##0.0") round the same way.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "numfmt.h"

/* Copies s into out (n bytes), always NUL-terminated. */
static void put(char *out, size_t n, const char *s) {
  if (!n) return;
  size_t l = strlen(s);
  if (l >= n) l = n - 1;
  memcpy(out, s, l);
  out[l] = 0;
}

static int special(char *out, size_t n, double v) {
  if (isnan(v)) { put(out, n, "nan"); return 1; }
  if (isinf(v)) { put(out, n, v > 0 ? "inf" : "-inf"); return 1; }
  return 0;
}

/* v with `decimals` digits after the point (rounded as printf rounds),
** grouped by thousands when group, at least minint integer digits,
** trailing fractional zeros trimmed beyond keep digits when trim. A result
** that rounds to zero has no minus sign. */
static void fixed(char *out, size_t n, double v, int decimals, int group, int minint, int trim, int keep) {
  char raw[400];
  if (decimals > 40) decimals = 40;
  /* half away from zero, as round() and spreadsheets do (printf rounds
  ** the binary value, so 1234.5 would become 1234) */
  double scale = pow(10, decimals);
  if (fabs(v) * scale < 1e15) v = round(v * scale) / scale;
  snprintf(raw, sizeof raw, "%.*f", decimals, v);
  char *s = raw;
  int neg = 0;
  if (*s == '-') { neg = 1; s++; }
  char *dot = strchr(s, '.');
  size_t intlen = dot ? (size_t)(dot - s) : strlen(s);
  char *frac = dot ? dot + 1 : NULL;
  size_t fraclen = frac ? strlen(frac) : 0;
  if (trim && frac) {
    while (fraclen > (size_t)keep && frac[fraclen - 1] == '0') fraclen--;
  }
  /* negative zero after rounding reads as 0 */
  int allzero = 1;
  for (size_t i = 0; i < intlen; i++) if (s[i] != '0') allzero = 0;
  for (size_t i = 0; i < fraclen; i++) if (frac[i] != '0') allzero = 0;
  if (allzero) neg = 0;
  char res[512];
  size_t k = 0;
  if (neg) res[k++] = '-';
  for (int i = (int)intlen; i < minint && k < 40; i++) res[k++] = '0';
  for (size_t i = 0; i < intlen && k < sizeof res - 64; i++) {
    res[k++] = s[i];
    size_t left = intlen - i - 1;
    if (group && left && left % 3 == 0) res[k++] = ',';
  }
  if (fraclen) {
    res[k++] = '.';
    for (size_t i = 0; i < fraclen && k < sizeof res - 2; i++) res[k++] = frac[i];
  }
  res[k] = 0;
  put(out, n, res);
}

/* Significant digits the shortest round trip of v needs (1..17). */
static int sig_needed(double v) {
  char e[48];
  for (int p = 1; p <= 17; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    if (strtod(e, NULL) == v) return p;
  }
  return 17;
}

/* Decimals that show `sig` significant digits of v (0 when the integer
** part already has them). */
static int decimals_for(double v, int sig) {
  double a = fabs(v);
  if (a == 0) return 0;
  int exp10 = (int)floor(log10(a));
  int d = sig - 1 - exp10;
  return d < 0 ? 0 : d;
}

void numfmt_plain(char *out, size_t n, double v) {
  if (special(out, n, v)) return;
  if (v == 0) { put(out, n, "0"); return; }
  int sig = sig_needed(v);
  if (sig > 12) sig = 6;
  double a = fabs(v);
  if (a >= 1e21 || a < 1e-7) {
    char m[64];
    snprintf(m, sizeof m, "%.*e", sig - 1, v);
    /* mantissa without trailing zeros */
    char *e = strchr(m, 'e');
    char tail[16];
    snprintf(tail, sizeof tail, "%s", e);
    *e = 0;
    if (strchr(m, '.')) {
      size_t l = strlen(m);
      while (m[l - 1] == '0') m[--l] = 0;
      if (m[l - 1] == '.') m[--l] = 0;
    }
    char r[96];
    snprintf(r, sizeof r, "%s%s", m, tail);
    put(out, n, r);
    return;
  }
  fixed(out, n, v, decimals_for(v, sig), 0, 0, 1, 0);
}

static void share_with(char *out, size_t n, double v, int exact) {
  if (special(out, n, v)) return;
  double p = v * 100;
  char num[96];
  if (exact) {
    /* as many digits of the percentage as v's shortest form has */
    int d = decimals_for(p, sig_needed(v));
    fixed(num, sizeof num, p, d < 2 ? 2 : d, 0, 0, 1, 0);
  } else {
    int d = 2;
    if (p != 0 && fabs(p) < 1) d = decimals_for(p, 3);
    fixed(num, sizeof num, p, d, 0, 0, 1, 0);
  }
  size_t l = strlen(num);
  if (l + 2 <= sizeof num) { num[l] = '%'; num[l + 1] = 0; }
  put(out, n, num);
}

void numfmt_share(char *out, size_t n, double v) { share_with(out, n, v, 0); }
void numfmt_share_exact(char *out, size_t n, double v) { share_with(out, n, v, 1); }

static const struct { double f; const char *s; } scales[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};

/* |number| of a text written by fixed(), commas skipped. */
static double rounded_abs(const char *s) {
  char t[128];
  size_t k = 0;
  for (; *s && k < sizeof t - 1; s++) if (*s != ',' && *s != '-') t[k++] = *s;
  t[k] = 0;
  return strtod(t, NULL);
}

static void scaled_with(char *out, size_t n, double v, int exact) {
  if (special(out, n, v)) return;
  char num[96];
  int i = 4;   /* no scale */
  for (int k = 0; k < 4; k++) if (fabs(v) >= scales[k].f) { i = k; break; }
  for (;;) {
    double m = i < 4 ? v / scales[i].f : v;
    int d = 2;
    if (exact) d = decimals_for(m, sig_needed(v)) > 2 ? decimals_for(m, sig_needed(v)) : 2;
    else if (i == 4 && m != 0 && fabs(m) < 1) d = decimals_for(m, 3);
    fixed(num, sizeof num, m, d, 1, 0, 1, 0);
    /* 999,999 rounds to "1,000K": say 1M instead */
    if (!exact && i > 0 && rounded_abs(num) >= 1000) { i = i == 4 ? 3 : i - 1; continue; }
    break;
  }
  char r[128];
  snprintf(r, sizeof r, "%s%s", num, i < 4 ? scales[i].s : "");
  put(out, n, r);
}

void numfmt_scaled(char *out, size_t n, double v) { scaled_with(out, n, v, 0); }
void numfmt_scaled_exact(char *out, size_t n, double v) { scaled_with(out, n, v, 1); }

int numfmt_pattern(char *out, size_t n, double v, const char *pat, const char **why) {
  const char *p = pat;
  int group = 0, minint = 0, zeros = 0, hashes = 0, pct = 0, sci = 0;
  double scale = 1;
  const char *letter = "";
  *why = NULL;
  while (*p == '#' || *p == ',') { if (*p == ',') group = 1; p++; }
  while (*p == '0') { minint++; p++; }
  if (!minint) { *why = "a pattern needs a 0 for the units digit, as in \"0\", \"#,##0\" or \"0.0%\""; return 0; }
  if (*p == '.') {
    p++;
    while (*p == '0') { zeros++; p++; }
    while (*p == '#') { hashes++; p++; }
    if (!zeros && !hashes) { *why = "a '.' must be followed by 0s (fixed decimals) or #s (optional ones)"; return 0; }
    if (zeros + hashes > 15) { *why = "at most 15 decimals"; return 0; }
  }
  for (int k = 0; k < 4; k++)
    if (*p == scales[k].s[0]) { scale = scales[k].f; letter = scales[k].s; p++; break; }
  if (*p == '%') { pct = 1; p++; }
  else if (*p == 'E') { sci = 1; p++; }
  if (*p) { *why = "unexpected text in the pattern: write digits as 0 and #, then an optional K/M/B/T, % or E"; return 0; }
  if (pct && *letter) { *why = "a pattern takes either a scale letter or %, not both"; return 0; }
  if (sci && (*letter || group)) { *why = "E (scientific) takes no grouping and no scale letter"; return 0; }
  if (special(out, n, v)) return 1;
  char num[512];
  if (sci) {
    snprintf(num, sizeof num, "%.*E", zeros + hashes, v);
    put(out, n, num);
    return 1;
  }
  double x = pct ? v * 100 : v / scale;
  fixed(num, sizeof num, x, zeros + hashes, group, minint, hashes > 0, zeros);
  size_t l = strlen(num);
  snprintf(num + l, sizeof num - l, "%s%s", letter, pct ? "%" : "");
  put(out, n, num);
  return 1;
}
