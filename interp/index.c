/*
** index.c: aggregate indexes over deals. The standard library asks "value
** of deals with importer a, exporter b, commodity c, year y", with any of
** them left open. For each combination of fields a program actually uses
** (a mask of 4 bits, so at most 16), the first query builds, in one pass,
** a hash table from the fields' values to a group: compensated sum,
** count, and the group's rows (a counting sort into one array). Later
** queries cost one hash lookup. Any change to the world bumps its version
** and the indexes are rebuilt lazily on the next query.
*/
#include <math.h>
#include <string.h>
#include "world.h"
#include "lex.h"

enum { M_EXP = 1, M_IMP = 2, M_COM = 4, M_YEAR = 8 };

typedef struct Group { uint32_t k[4]; KSum sum; uint32_t count, start; } Group;

typedef struct MaskIndex {
  int built;
  uint64_t version;
  Group *groups; uint32_t ngroups, gcap;
  uint32_t *slots; uint32_t scap;     /* hash: group id + 1, 0 empty */
  uint32_t *rows; uint32_t nrows;
} MaskIndex;

struct DealIndex {
  MaskIndex m[16];
  uint64_t ly_version; int ly_valid; int32_t latest;
};

static inline uint32_t mix(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  uint64_t x = (uint64_t)a * 0x9E3779B97F4A7C15ull;
  x ^= (uint64_t)b * 0xC2B2AE3D27D4EB4Full;
  x ^= (uint64_t)c * 0x165667B19E3779F9ull;
  x ^= (uint64_t)d * 0x27D4EB2F165667C5ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  return (uint32_t)(x >> 32);
}

static void mask_free(H *h, MaskIndex *m) {
  hx_free(h, m->groups, (size_t)m->gcap * sizeof(Group));
  hx_free(h, m->slots, (size_t)m->scap * sizeof(uint32_t));
  hx_free(h, m->rows, (size_t)m->nrows * sizeof(uint32_t));
  memset(m, 0, sizeof *m);
}

void index_free(H *h) {
  DealIndex *ix = h->world->idx;
  if (!ix) return;
  for (int i = 0; i < 16; i++) mask_free(h, &ix->m[i]);
  hx_free(h, ix, sizeof *ix);
  h->world->idx = NULL;
}

static DealIndex *get_index(H *h) {
  World *w = h->world;
  if (!w->idx) {
    w->idx = hx_alloc(h, sizeof(DealIndex));
    memset(w->idx, 0, sizeof(DealIndex));
  }
  return w->idx;
}

static inline void key_of(Table *t, uint32_t r, int mask, uint32_t k[4]) {
  k[0] = (mask & M_EXP) ? t->a[r] : 0;
  k[1] = (mask & M_IMP) ? t->b[r] : 0;
  k[2] = (mask & M_COM) ? t->c[r] : 0;
  k[3] = (mask & M_YEAR) ? (uint32_t)t->year[r] : 0;
}

static uint32_t find_group(MaskIndex *m, const uint32_t k[4]) {
  uint32_t mask = m->scap - 1;
  for (uint32_t i = mix(k[0], k[1], k[2], k[3]) & mask;; i = (i + 1) & mask) {
    uint32_t g = m->slots[i];
    if (!g) return UINT32_MAX;
    Group *gr = &m->groups[g - 1];
    if (gr->k[0] == k[0] && gr->k[1] == k[1] && gr->k[2] == k[2] && gr->k[3] == k[3]) return g - 1;
  }
}

static void grow_slots(H *h, MaskIndex *m) {
  uint32_t cap = m->scap ? m->scap * 2 : 1024;
  uint32_t *s = hx_alloc(h, (size_t)cap * sizeof(uint32_t));
  memset(s, 0, (size_t)cap * sizeof(uint32_t));
  for (uint32_t g = 0; g < m->ngroups; g++) {
    const uint32_t *k = m->groups[g].k;
    uint32_t i = mix(k[0], k[1], k[2], k[3]) & (cap - 1);
    while (s[i]) i = (i + 1) & (cap - 1);
    s[i] = g + 1;
  }
  hx_free(h, m->slots, (size_t)m->scap * sizeof(uint32_t));
  m->slots = s;
  m->scap = cap;
}

static void build(H *h, MaskIndex *m, int mask) {
  World *w = h->world;
  Table *t = &w->t[K_DEAL];
  mask_free(h, m);
  uint32_t n = t->n;
  uint32_t *gid = hx_alloc(h, (size_t)(n ? n : 1) * sizeof(uint32_t));
  m->gcap = 64;
  m->groups = hx_alloc(h, m->gcap * sizeof(Group));
  grow_slots(h, m);
  uint32_t living = 0;
  /* pass 1: group of each row, sums and counts (the last group is cached:
  ** loaded files are often sorted by the leading fields) */
  uint32_t last = UINT32_MAX, lk[4] = {0};
  for (uint32_t r = 0; r < n; r++) {
    if (t->dropped && t->dropped[r]) { gid[r] = UINT32_MAX; continue; }
    uint32_t k[4];
    key_of(t, r, mask, k);
    uint32_t g;
    if (last != UINT32_MAX && k[0] == lk[0] && k[1] == lk[1] && k[2] == lk[2] && k[3] == lk[3]) g = last;
    else {
      g = find_group(m, k);
      if (g == UINT32_MAX) {
        if (m->ngroups == m->gcap) {
          m->groups = hx_realloc(h, m->groups, (size_t)m->gcap * sizeof(Group), (size_t)m->gcap * 2 * sizeof(Group));
          m->gcap *= 2;
        }
        g = m->ngroups++;
        Group *gr = &m->groups[g];
        memcpy(gr->k, k, sizeof gr->k);
        gr->sum.s = gr->sum.c = 0;
        gr->count = 0;
        if (m->ngroups * 2 > m->scap) grow_slots(h, m);
        else {
          uint32_t i = mix(k[0], k[1], k[2], k[3]) & (m->scap - 1);
          while (m->slots[i]) i = (i + 1) & (m->scap - 1);
          m->slots[i] = g + 1;
        }
      }
      last = g;
      memcpy(lk, k, sizeof lk);
    }
    gid[r] = g;
    Group *gr = &m->groups[g];
    ksum_add(&gr->sum, t->value[r]);
    gr->count++;
    living++;
  }
  /* pass 2: each group's rows, contiguous and in row order */
  uint32_t off = 0;
  for (uint32_t g = 0; g < m->ngroups; g++) { m->groups[g].start = off; off += m->groups[g].count; }
  m->rows = hx_alloc(h, (size_t)(living ? living : 1) * sizeof(uint32_t));
  m->nrows = living ? living : 1;
  uint32_t *fill = hx_alloc(h, (size_t)(m->ngroups ? m->ngroups : 1) * sizeof(uint32_t));
  for (uint32_t g = 0; g < m->ngroups; g++) fill[g] = m->groups[g].start;
  for (uint32_t r = 0; r < n; r++)
    if (gid[r] != UINT32_MAX) m->rows[fill[gid[r]]++] = r;
  hx_free(h, fill, (size_t)(m->ngroups ? m->ngroups : 1) * sizeof(uint32_t));
  hx_free(h, gid, (size_t)(n ? n : 1) * sizeof(uint32_t));
  m->built = 1;
  m->version = w->version;
}

static Group *lookup(H *h, DealFilter f, MaskIndex **mi) {
  int mask = (f.exporter != NO_ROW ? M_EXP : 0) | (f.importer != NO_ROW ? M_IMP : 0) |
             (f.commodity != NO_ROW ? M_COM : 0) | (f.year != NO_YEAR ? M_YEAR : 0);
  DealIndex *ix = get_index(h);
  MaskIndex *m = &ix->m[mask];
  if (!m->built || m->version != h->world->version) build(h, m, mask);
  *mi = m;
  uint32_t k[4] = {mask & M_EXP ? f.exporter : 0, mask & M_IMP ? f.importer : 0,
                   mask & M_COM ? f.commodity : 0, mask & M_YEAR ? (uint32_t)f.year : 0};
  uint32_t g = find_group(m, k);
  return g == UINT32_MAX ? NULL : &m->groups[g];
}

double deal_sum(H *h, DealFilter f, uint32_t *count) {
  MaskIndex *m;
  Group *g = lookup(h, f, &m);
  if (count) *count = g ? g->count : 0;
  return g ? ksum_get(&g->sum) : 0.0;
}

uint32_t deal_rows(H *h, DealFilter f, const uint32_t **rows) {
  MaskIndex *m;
  Group *g = lookup(h, f, &m);
  if (!g) { *rows = NULL; return 0; }
  *rows = m->rows + g->start;
  return g->count;
}

int32_t world_latest_year(H *h) {
  World *w = h->world;
  DealIndex *ix = get_index(h);
  if (ix->ly_valid && ix->ly_version == w->version) return ix->latest;
  int32_t best = NO_YEAR;
  for (int k = K_DEAL; k <= K_LOAN; k++) {
    Table *t = &w->t[k];
    for (uint32_t r = 0; r < t->n; r++) {
      if (t->dropped && t->dropped[r]) continue;
      if (t->year[r] != NO_YEAR && t->year[r] > best) best = t->year[r];
    }
  }
  ix->latest = best;
  ix->ly_valid = 1;
  ix->ly_version = w->version;
  return best;
}
