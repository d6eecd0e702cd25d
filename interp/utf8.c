/*
** utf8.c: UTF-8 helpers shared by the lexer, the diagnostics (columns count
** code points) and the CSV loader (text cells must be UTF-8). No state.
*/
#include "utf8.h"

int utf8_seq_len(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  if (n == 0) return 0;
  unsigned c = s[0];
  if (c < 0x80) return 1;
  int len;
  unsigned lo = 0x80, hi = 0xBF;            /* range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;               /* overlong */
    if (c == 0xED) hi = 0x9F;               /* UTF-16 surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;               /* overlong */
    if (c == 0xF4) hi = 0x8F;               /* above U+10FFFF */
  } else return 0;                          /* stray continuation, C0, C1, F5..FF */
  if (n < (size_t)len || s[1] < lo || s[1] > hi) return 0;
  for (int i = 2; i < len; i++) if ((s[i] & 0xC0) != 0x80) return 0;
  return len;
}

int utf8_width(const char *s, size_t n) {
  int w = 0;
  for (size_t i = 0; i < n; i++) if (((unsigned char)s[i] & 0xC0) != 0x80) w++;
  return w;
}
