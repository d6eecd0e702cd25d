/*
** utf8.h: UTF-8 helpers (utf8.c).
*/
#ifndef UTF8_H
#define UTF8_H
#include <stddef.h>

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when the bytes
** there are not UTF-8 (overlong, surrogate, truncated, stray continuation). */
int utf8_seq_len(const char *s, size_t n);
/* The number of code points in s[0..n) (continuation bytes do not count). */
int utf8_width(const char *s, size_t n);

#endif
