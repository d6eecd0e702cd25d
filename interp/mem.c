/*
** mem.c: every byte the interpreter holds passes through here. The host's
** allocator hook is wrapped with a byte count, which doubles as the memory
** cap: going over it is an ordinary HEDGE_EMEMORY error.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

void *mem_try_alloc(H *h, size_t n) {
  if (n == 0) n = 1;
  if (h->mem_cap && h->mem_used + n > h->mem_cap) return NULL;
  void *p = h->alloc(h->alloc_ud, NULL, 0, n);
  if (p) {
    h->mem_used += n;
    if (h->mem_used > h->mem_peak) h->mem_peak = h->mem_used;
  }
  return p;
}

_Noreturn static void mem_out_of_memory(H *h, size_t n) {
  Loc none = h->here;   /* where evaluation was, if it was */
  h->fatal = 1;
  if (h->mem_cap && h->mem_used + n > h->mem_cap)
    hx_error_status(h, HEDGE_EMEMORY, none, "memory limit reached (%zu bytes)", h->mem_cap);
  hx_error_status(h, HEDGE_EMEMORY, none, "out of memory (allocating %zu bytes)", n);
}

void *mem_alloc(H *h, size_t n) {
  void *p = mem_try_alloc(h, n);
  if (!p) mem_out_of_memory(h, n);
  return p;
}

/* Whether p lies in the mapped pack (its arrays belong to the mapping). */
static inline int mapped(const H *h, const void *p) {
  return h->map_lo && (const char *)p >= h->map_lo && (const char *)p < h->map_hi;
}

/* A mapped array grows by a copy into fresh memory; the mapping keeps it. */
static void *copy_out(H *h, const void *p, size_t oldn, size_t newn) {
  void *q = mem_try_alloc(h, newn);
  if (q) memcpy(q, p, oldn < newn ? oldn : newn);
  return q;
}

void *mem_realloc(H *h, void *p, size_t oldn, size_t newn) {
  if (!p) return mem_alloc(h, newn);
  if (mapped(h, p)) {
    void *q = copy_out(h, p, oldn, newn);
    if (!q) mem_out_of_memory(h, newn);
    return q;
  }
  if (newn > oldn && h->mem_cap && h->mem_used + (newn - oldn) > h->mem_cap)
    mem_out_of_memory(h, newn - oldn);
  void *q = h->alloc(h->alloc_ud, p, oldn, newn);
  if (!q) mem_out_of_memory(h, newn);
  h->mem_used = h->mem_used - oldn + newn;
  if (h->mem_used > h->mem_peak) h->mem_peak = h->mem_used;
  return q;
}

void *mem_hook(void *ud, void *ptr, size_t osize, size_t nsize) {
  H *h = ud;
  if (ptr && mapped(h, ptr)) return nsize ? copy_out(h, ptr, osize, nsize) : NULL;
  if (nsize == 0) {
    if (ptr) { h->alloc(h->alloc_ud, ptr, osize, 0); h->mem_used -= osize; }
    return NULL;
  }
  size_t old = ptr ? osize : 0;
  if (nsize > old && h->mem_cap && h->mem_used + (nsize - old) > h->mem_cap) return NULL;
  void *q = h->alloc(h->alloc_ud, ptr, old, nsize);
  if (!q) return NULL;
  h->mem_used = h->mem_used - old + nsize;
  if (h->mem_used > h->mem_peak) h->mem_peak = h->mem_used;
  return q;
}

void mem_free(H *h, void *p, size_t n) {
  if (!p || mapped(h, p)) return;
  if (n == 0) n = 1;
  h->alloc(h->alloc_ud, p, n, 0);
  h->mem_used -= n;
}

/* ---- arenas ------------------------------------------------------------- */

struct ArenaChunk { ArenaChunk *prev; size_t size; max_align_t align[]; };

void *arena_alloc(H *h, Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!a->head || a->used + n > a->head->size) {
    size_t size = n > HX_ARENA_CHUNK / 2 ? n : HX_ARENA_CHUNK;
    ArenaChunk *c;
    if (size == HX_ARENA_CHUNK && a->spare) { c = a->spare; a->spare = NULL; }
    else c = mem_alloc(h, sizeof(ArenaChunk) + size);
    c->prev = a->head;
    c->size = size;
    a->head = c;
    a->used = 0;
  }
  void *p = (char *)a->head->align + a->used;
  a->used += n;
  return p;
}

char *arena_strdup(H *h, Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(h, a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

ArenaMark arena_mark(Arena *a) { ArenaMark m = {a->head, a->used}; return m; }

void arena_release(H *h, Arena *a, ArenaMark m) {
  while (a->head && a->head != m.chunk) {
    ArenaChunk *c = a->head;
    a->head = c->prev;
    if (!a->spare && c->size == HX_ARENA_CHUNK) a->spare = c;
    else mem_free(h, c, sizeof(ArenaChunk) + c->size);
  }
  a->used = a->head ? m.used : 0;
}

void arena_free(H *h, Arena *a) {
  ArenaMark none = {NULL, 0};
  arena_release(h, a, none);
  if (a->spare) mem_free(h, a->spare, sizeof(ArenaChunk) + a->spare->size);
  a->spare = NULL;
}

/* ---- buffers and vectors -------------------------------------------------- */

static void buf_reserve(H *h, Buf *b, size_t extra) {
  if (b->n + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->n + extra + 1) cap *= 2;
  b->p = mem_realloc(h, b->p, b->cap, cap);
  b->cap = cap;
}

void buf_put(H *h, Buf *b, const char *s, size_t n) {
  buf_reserve(h, b, n);
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
void buf_puts(H *h, Buf *b, const char *s) { buf_put(h, b, s, strlen(s)); }
void buf_putc(H *h, Buf *b, char c) { buf_put(h, b, &c, 1); }

void buf_vprintf(H *h, Buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof small) buf_put(h, b, small, (size_t)n);
  else {
    buf_reserve(h, b, (size_t)n);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap2);
    b->n += (size_t)n;
  }
  va_end(ap2);
}

void buf_printf(H *h, Buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(h, b, fmt, ap);
  va_end(ap);
}

void buf_free(H *h, Buf *b) { mem_free(h, b->p, b->cap); b->p = NULL; b->n = b->cap = 0; }

const char *buf_cstr(H *h, Buf *b) {
  if (!b->p) buf_reserve(h, b, 0), b->p[0] = 0;
  return b->p;
}

void vec_grow_(H *h, void **p, uint32_t *cap, uint32_t need, size_t elem) {
  uint32_t c = *cap ? *cap : 8;
  while (c < need) c *= 2;
  *p = mem_realloc(h, *p, (size_t)*cap * elem, (size_t)c * elem);
  *cap = c;
}

void vec_grow_arena_(H *h, Arena *a, void **p, uint32_t *cap, uint32_t need, size_t elem, uint32_t n) {
  uint32_t c = *cap ? *cap * 2 : 4;
  while (c < need) c *= 2;
  void *q = arena_alloc(h, a, (size_t)c * elem);
  if (n) memcpy(q, *p, (size_t)n * elem);
  *p = q;
  *cap = c;
}

/* ---- interned strings --------------------------------------------------- */

uint32_t mem_hash(const char *s, size_t n) {   /* FNV-1a */
  uint32_t x = 2166136261u;
  for (size_t i = 0; i < n; i++) x = (x ^ (unsigned char)s[i]) * 16777619u;
  return x;
}

HStr *mem_newstr(H *h, Arena *a, const char *s, size_t n) {
  HStr *r = arena_alloc(h, a, sizeof(HStr) + n + 1);
  r->len = (uint32_t)n;
  r->hash = mem_hash(s, n);
  memcpy(r->s, s, n);
  r->s[n] = 0;
  return r;
}

HStr *mem_intern_find(H *h, const char *s, size_t n) {
  if (!h->strtab_cap) return NULL;
  uint32_t hash = mem_hash(s, n), mask = h->strtab_cap - 1;
  for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
    HStr *e = h->strtab[i];
    if (!e) return NULL;
    if (e->hash == hash && e->len == n && memcmp(e->s, s, n) == 0) return e;
  }
}

HStr *mem_intern(H *h, const char *s, size_t n) {
  if ((h->strtab_n + 1) * 2 > h->strtab_cap) {
    uint32_t cap = h->strtab_cap ? h->strtab_cap * 2 : 256;
    HStr **t = mem_alloc(h, cap * sizeof *t);
    memset(t, 0, cap * sizeof *t);
    for (uint32_t i = 0; i < h->strtab_cap; i++) {
      HStr *e = h->strtab[i];
      if (!e) continue;
      uint32_t j = e->hash & (cap - 1);
      while (t[j]) j = (j + 1) & (cap - 1);
      t[j] = e;
    }
    mem_free(h, h->strtab, h->strtab_cap * sizeof *t);
    h->strtab = t;
    h->strtab_cap = cap;
  }
  /* mem_hash and the comparison written out: the lexer interns every name it reads */
  uint32_t hash = 2166136261u, mask = h->strtab_cap - 1, i;
  for (size_t k = 0; k < n; k++) hash = (hash ^ (unsigned char)s[k]) * 16777619u;
  for (i = hash & mask; h->strtab[i]; i = (i + 1) & mask) {
    HStr *e = h->strtab[i];
    if (e->hash != hash || e->len != n) continue;
    size_t k = 0;
    while (k < n && e->s[k] == s[k]) k++;
    if (k == n) return e;
  }
  HStr *e = mem_newstr(h, &h->perm, s, n);
  h->strtab[i] = e;
  h->strtab_n++;
  return e;
}

HStr *mem_intern_c(H *h, const char *s) { return mem_intern(h, s, strlen(s)); }
