/*
** index.c: aggregate indexes over deals. The standard library asks "value
** of deals with importer a, exporter b, commodity c, year y", with any of
** them left open. For each combination of fields a program actually uses
** (a mask of 4 bits, so at most 16), the first query builds an index in
** one pass, and later queries cost one lookup:
**  - dense: when the fields' cardinalities multiply to a number of the
**    order of the rows, the groups are the cells of an array (no hashing);
**    each cell holds a compensated sum and a count, and its rows are placed
**    (a counting sort) only when a query asks for rows;
**  - one field finer: a mask too fine for an array is answered from a
**    coarser dense index (one already built first) whose cells' rows are
**    sub-ordered by the missing field: a binary search finds the matching
**    rows, so a skewed cell (a popular importer) costs no more than others;
**  - hashed: otherwise, an open-addressing table of groups.
** Adding or dropping rows or changing their keys bumps the world's
** index_version, and indexes are rebuilt lazily on the next query; a new
** value of a deal re-sums only the cells that hold it.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "index.h"

enum { M_EXP = 1, M_IMP = 2, M_COM = 4, M_YEAR = 8 };

/* One group of deals: its compensated sum, its count, and where its rows
** start in the index's row arrays. */
typedef struct Cell { KSum sum; uint32_t count, start; } Cell;
/* A group of a hashed index also keeps its key. */
typedef struct Group { Cell cell; uint32_t k[4]; } Group;

typedef struct MaskIndex {
  int built;
  uint64_t version;
  int dense;                           /* groups are the cells of a dense array */
  uint32_t card[4]; int32_t ymin;      /* dense: cardinality of each field */
  uint32_t stride[4];                  /* dense: cell = sum of field x stride (0: not in mask) */
  Cell *cells; uint32_t ncells;        /* dense */
  Group *groups; uint32_t ngroups, gcap;  /* hashed */
  uint32_t *slots; uint32_t scap;      /* hashed: group id + 1, 0 empty */
  int starts;                          /* dense: cells' start offsets computed */
  uint32_t *rows; uint32_t nrows;      /* each group's rows in row order (dense: NULL until asked for) */
  /* dense: each cell's rows ordered by (field sub_bit, row), for queries
  ** one field finer than the mask (NULL until asked for) */
  int sub_bit; uint32_t *sub;
  uint32_t living;
  /* dense, with neither rows nor sub: cells whose deals' values changed
  ** (dirty[g] = 1), their sums not yet recomputed (flush_dirty; NULL until
  ** a value changes) */
  uint8_t *dirty; uint32_t ndirty;
} MaskIndex;

struct DealIndex {
  MaskIndex m[16];
  uint64_t ly_version; int ly_valid; int32_t latest;
  uint64_t lly_version; int lly_valid; int32_t latest_loan;   /* loans only */
  uint64_t yr_version; int32_t ymin, ymax;    /* year range of the deals (year_range) */
  int yr_any;                                 /* some deal has a year */
  uint64_t plan_version;                      /* plans below are for it */
  int8_t plan[16];                            /* mask: -2 unknown, -1 own index, else coarser mask */
  Cell scratch_cell;                          /* answer of a filtered query */
  /* loans grouped by borrower (a counting sort), for debt figures */
  uint64_t loan_version; int loans_built;
  uint32_t *loan_start; uint32_t nstart;     /* borrower b: rows [start[b], start[b+1]) */
  uint32_t *loan_rows; uint32_t nloan_rows;
  /* indexes offered by a packed world (index_offer), taken at the first
  ** query while index_version is pending_version */
  IndexBlocks pending[16]; int npending; uint64_t pending_version;
  /* index_prepare's temporaries (row order and cells of sub-orderings,
  ** key counts): kept here while it runs so that an allocation failing
  ** halfway leaks nothing (index_free frees them) */
  uint32_t *tmp; size_t ntmp;
  uint16_t unchecked;   /* masks taken from a pack whose contents are not yet checked (contents_checked) */
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
  mem_free(h, m->cells, (size_t)m->ncells * sizeof(Cell));
  mem_free(h, m->groups, (size_t)m->gcap * sizeof(Group));
  mem_free(h, m->slots, (size_t)m->scap * sizeof(uint32_t));
  mem_free(h, m->rows, (size_t)m->nrows * sizeof(uint32_t));
  mem_free(h, m->sub, (size_t)m->nrows * sizeof(uint32_t));
  mem_free(h, m->dirty, m->dirty ? (size_t)m->ncells : 0);
  memset(m, 0, sizeof *m);
}

/* Frees the world's indexes (world_free, through IndexHooks.free). */
static void index_free(H *h) {
  DealIndex *ix = h->world->idx;
  if (!ix) return;
  for (int i = 0; i < 16; i++) mask_free(h, &ix->m[i]);
  mem_free(h, ix->loan_start, (size_t)ix->nstart * sizeof(uint32_t));
  mem_free(h, ix->loan_rows, (size_t)ix->nloan_rows * sizeof(uint32_t));
  mem_free(h, ix->tmp, ix->ntmp * sizeof(uint32_t));
  mem_free(h, ix, sizeof *ix);
  h->world->idx = NULL;
}

static void index_deal_value_changed(H *h, uint32_t row);
/* What the world calls when it goes or a deal's value changes: the index
** sits above the world, which reaches it only through these. */
static const IndexHooks hooks = {index_free, index_deal_value_changed};

static DealIndex *get_index(H *h) {
  World *w = h->world;
  if (!w->idx) {
    w->idx = mem_alloc(h, sizeof(DealIndex));
    memset(w->idx, 0, sizeof(DealIndex));
    w->idx_hooks = &hooks;
  }
  return w->idx;
}

static inline void key_of(Table *t, uint32_t r, int mask, uint32_t k[4]) {
  k[0] = (mask & M_EXP) ? t->a[r] : 0;
  k[1] = (mask & M_IMP) ? t->b[r] : 0;
  k[2] = (mask & M_COM) ? t->c[r] : 0;
  k[3] = (mask & M_YEAR) ? (uint32_t)t->year[r] : 0;
}

/* ---- hashed indexes ---------------------------------------------------------
** For a mask whose cells would be too many for an array and that no
** coarser array can answer: an open-addressing table of the groups that
** occur. */

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
  uint32_t *s = mem_alloc(h, (size_t)cap * sizeof(uint32_t));
  memset(s, 0, (size_t)cap * sizeof(uint32_t));
  for (uint32_t g = 0; g < m->ngroups; g++) {
    const uint32_t *k = m->groups[g].k;
    uint32_t i = mix(k[0], k[1], k[2], k[3]) & (cap - 1);
    while (s[i]) i = (i + 1) & (cap - 1);
    s[i] = g + 1;
  }
  mem_free(h, m->slots, (size_t)m->scap * sizeof(uint32_t));
  m->slots = s;
  m->scap = cap;
}

static void build_hashed(H *h, MaskIndex *m, int mask) {
  World *w = h->world;
  Table *t = &w->t[K_DEAL];
  mask_free(h, m);
  uint32_t n = t->n;
  uint32_t *gid = mem_alloc(h, (size_t)(n ? n : 1) * sizeof(uint32_t));
  m->gcap = 64;
  m->groups = mem_alloc(h, m->gcap * sizeof(Group));
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
          m->groups = mem_realloc(h, m->groups, (size_t)m->gcap * sizeof(Group), (size_t)m->gcap * 2 * sizeof(Group));
          m->gcap *= 2;
        }
        g = m->ngroups++;
        Group *gr = &m->groups[g];
        memcpy(gr->k, k, sizeof gr->k);
        memset(&gr->cell, 0, sizeof gr->cell);
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
    Cell *c = &m->groups[g].cell;
    ksum_add(&c->sum, t->value[r]);
    c->count++;
    living++;
  }
  /* pass 2: each group's rows, contiguous and in row order */
  uint32_t off = 0;
  for (uint32_t g = 0; g < m->ngroups; g++) { m->groups[g].cell.start = off; off += m->groups[g].cell.count; }
  m->rows = mem_alloc(h, (size_t)(living ? living : 1) * sizeof(uint32_t));
  m->nrows = living ? living : 1;
  uint32_t *fill = mem_alloc(h, (size_t)(m->ngroups ? m->ngroups : 1) * sizeof(uint32_t));
  for (uint32_t g = 0; g < m->ngroups; g++) fill[g] = m->groups[g].cell.start;
  for (uint32_t r = 0; r < n; r++)
    if (gid[r] != UINT32_MAX) m->rows[fill[gid[r]]++] = r;
  mem_free(h, fill, (size_t)(m->ngroups ? m->ngroups : 1) * sizeof(uint32_t));
  mem_free(h, gid, (size_t)(n ? n : 1) * sizeof(uint32_t));
  m->living = living;
  m->built = 1;
  m->version = w->index_version;
}

/* ---- dense indexes ----------------------------------------------------------
** When the fields' cardinalities multiply to a number of the order of the
** rows (partners x commodities x years usually does), the groups are the
** cells of an array: no hashing, one pass to sum and count, one to place
** the rows. The array is sized to the data: at most DENSE_ROWS_FACTOR
** cells a row (DENSE_MIN_CELLS for small worlds), never DENSE_MAX_CELLS or
** more, so a 100K-deal world never pays for a million cells. */

#define DENSE_MIN_CELLS (1u << 16)
#define DENSE_ROWS_FACTOR 2
#define DENSE_MAX_CELLS (1u << 24)

/* The smallest and largest year of the deals (dropped ones too: a superset
** of the living deals' years does for the indexes), cached per
** index_version. One pass in blocks of 16 rows, whose min and max the
** compiler keeps in vector registers: at 1M deals this pass is the one
** read of the year column a packed check makes. */
static void year_range(H *h, DealIndex *ix) {
  World *w = h->world;
  if (ix->yr_version == w->index_version && ix->yr_version) return;
  Table *t = &w->t[K_DEAL];
  const int32_t *Y = t->year;
  size_t n = t->n, r = 0;
  int32_t lo16[16], hi16[16];
  for (int j = 0; j < 16; j++) { lo16[j] = INT32_MAX; hi16[j] = INT32_MIN; }
  /* NO_YEAR is INT32_MIN: it never raises a max, and counts as INT32_MAX
  ** for a min */
  for (; r + 16 <= n; r += 16)
    for (int j = 0; j < 16; j++) {
      const int32_t *q = Y + r;
      int32_t y = q[j], yl = y == NO_YEAR ? INT32_MAX : y;
      hi16[j] = y > hi16[j] ? y : hi16[j];
      lo16[j] = yl < lo16[j] ? yl : lo16[j];
    }
  int32_t lo = INT32_MAX, hi = INT32_MIN;
  for (int j = 0; j < 16; j++) { lo = lo16[j] < lo ? lo16[j] : lo; hi = hi16[j] > hi ? hi16[j] : hi; }
  for (; r < n; r++) {
    int32_t y = Y[r];
    if (y == NO_YEAR) continue;
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  ix->yr_any = hi != NO_YEAR;
  if (!ix->yr_any) lo = hi = 0;
  ix->ymin = lo;
  ix->ymax = hi;
  ix->yr_version = w->index_version;
}

int index_deal_years(H *h, int32_t *lo, int32_t *hi) {
  DealIndex *ix = get_index(h);
  year_range(h, ix);
  *lo = ix->ymin;
  *hi = ix->ymax;
  return ix->yr_any;
}

/* Cardinality of each field of mask (1 for fields outside it). */
static void cards_of(H *h, DealIndex *ix, int mask, uint32_t card[4]) {
  World *w = h->world;
  year_range(h, ix);
  uint32_t np = w->t[K_PARTNER].n, nc = w->t[K_COMMODITY].n;
  card[0] = mask & M_EXP ? (np ? np : 1) : 1;
  card[1] = mask & M_IMP ? (np ? np : 1) : 1;
  card[2] = mask & M_COM ? (nc ? nc : 1) : 1;
  /* one more cell for deals without a year */
  card[3] = mask & M_YEAR ? (uint32_t)(ix->ymax - ix->ymin) + 2 : 1;
}

/* Cells a dense index of mask would need, or 0 when too many. */
static uint64_t dense_cells(H *h, DealIndex *ix, int mask, uint32_t card[4]) {
  cards_of(h, ix, mask, card);
  uint64_t cells = 1;
  for (int i = 0; i < 4; i++) {
    cells *= card[i];
    if (cells >= DENSE_MAX_CELLS) return 0;
  }
  uint64_t limit = (uint64_t)h->world->t[K_DEAL].n * DENSE_ROWS_FACTOR;
  if (limit < DENSE_MIN_CELLS) limit = DENSE_MIN_CELLS;
  return cells <= limit ? cells : 0;
}

/* Cell of a row: fields not in the mask have stride 0 (no branches but the
** year's, which is predictable: few deals lack a date). */
static inline uint32_t cell_of(const MaskIndex *m, uint32_t e, uint32_t i, uint32_t c, int32_t y) {
  uint32_t yc = y == NO_YEAR ? m->card[3] - 1 : (uint32_t)(y - m->ymin);
  return e * m->stride[0] + i * m->stride[1] + c * m->stride[2] + yc * m->stride[3];
}

static void set_strides(MaskIndex *m, int mask) {
  uint32_t acc = 1;
  for (int k = 3; k >= 0; k--) {
    int in = mask & (1 << k);
    m->stride[k] = in ? acc : 0;
    if (in) acc *= m->card[k];
  }
}

static void build_dense(H *h, MaskIndex *m, int mask, uint64_t cells) {
  World *w = h->world;
  Table *t = &w->t[K_DEAL];
  DealIndex *ix = w->idx;
  uint32_t card[4];
  cards_of(h, ix, mask, card);
  mask_free(h, m);
  memcpy(m->card, card, sizeof card);
  m->ymin = ix->ymin;
  set_strides(m, mask);
  m->dense = 1;
  m->ncells = (uint32_t)cells;
  m->cells = mem_alloc(h, (size_t)cells * sizeof(Cell));
  memset(m->cells, 0, (size_t)cells * sizeof(Cell));
  uint32_t n = t->n, living = 0;
  const uint32_t *A = t->a, *B = t->b, *C = t->c;
  const int32_t *Y = t->year;
  const double *V = t->value;
  const uint8_t *D = t->dropped;
  for (uint32_t r = 0; r < n; r++) {
    if (D && D[r]) continue;
    Cell *g = &m->cells[cell_of(m, A[r], B[r], C[r], Y[r])];
    ksum_add(&g->sum, V[r]);
    g->count++;
    living++;
  }
  m->living = living;
  m->nrows = living ? living : 1;
  m->built = 1;
  m->version = w->index_version;
}

static void dense_starts(MaskIndex *m) {
  if (m->starts) return;
  uint32_t off = 0;
  for (uint32_t g = 0; g < m->ncells; g++) { m->cells[g].start = off; off += m->cells[g].count; }
  m->starts = 1;
}

/* The rows of every cell in row order, placed only when a query asks for
** rows (sums alone never pay for it). */
static void dense_rows(H *h, MaskIndex *m) {
  Table *t = &h->world->t[K_DEAL];
  dense_starts(m);
  m->rows = mem_alloc(h, (size_t)m->nrows * sizeof(uint32_t));
  /* place rows: advance each cell's start, then step it back */
  for (uint32_t r = 0; r < t->n; r++) {
    if (t->dropped && t->dropped[r]) continue;
    Cell *g = &m->cells[cell_of(m, t->a[r], t->b[r], t->c[r], t->year[r])];
    m->rows[g->start++] = r;
  }
  for (uint32_t g = 0; g < m->ncells; g++) m->cells[g].start -= m->cells[g].count;
}

/* The value of field bit of row r, as a sort key (years offset from the
** smallest, deals without a year last). */
static inline uint32_t field_key(const Table *t, int bit, uint32_t r, int32_t ymin) {
  switch (bit) {
  case M_EXP: return t->a[r];
  case M_IMP: return t->b[r];
  case M_COM: return t->c[r];
  default: return t->year[r] == NO_YEAR ? UINT32_MAX : (uint32_t)(t->year[r] - ymin);
  }
}

/* The rows of every cell ordered by field bit, then by row: a query one
** field finer than the mask (imports(F, from: p, commodity: c, year: y)
** against the cells of (F, c, y)) finds its rows by binary search, at a
** cost that does not grow with the size of the cell, so skewed data (a
** few importers with most of the deals) stays fast. Two stable counting
** sorts: by the field (reading the table in row order, each row's cell
** computed there and kept beside it), then by cell (reading those pairs in
** order). No pass reads the table's columns in any order but row order: at
** 10M deals a gather of four columns per row in key order cost more than
** everything else here. */
static void dense_sub(H *h, MaskIndex *m, int bit) {
  World *w = h->world;
  Table *t = &w->t[K_DEAL];
  DealIndex *ix = w->idx;
  dense_starts(m);
  uint32_t card[4];
  cards_of(h, ix, bit, card);
  uint32_t nk = bit == M_EXP ? card[0] : bit == M_IMP ? card[1] : bit == M_COM ? card[2] : card[3];
  uint32_t *kstart = mem_alloc(h, ((size_t)nk + 1) * sizeof(uint32_t));
  memset(kstart, 0, ((size_t)nk + 1) * sizeof(uint32_t));
  size_t nr = m->nrows;
  uint32_t *order = mem_alloc(h, nr * sizeof(uint32_t));
  uint32_t *ocell = mem_alloc(h, nr * sizeof(uint32_t));
  const uint32_t *A = t->a, *B = t->b, *C = t->c;
  const int32_t *Y = t->year;
  const uint8_t *D = t->dropped;
  uint32_t n = t->n;
  /* deals without a year sort after every year */
  #define KEY_SLOT(r) (bit == M_YEAR && Y[r] == NO_YEAR ? nk - 1 : field_key(t, bit, r, m->ymin))
  for (uint32_t r = 0; r < n; r++) {
    if (D && D[r]) continue;
    kstart[KEY_SLOT(r) + 1]++;
  }
  for (uint32_t k = 0; k < nk; k++) kstart[k + 1] += kstart[k];
  for (uint32_t r = 0; r < n; r++) {
    if (D && D[r]) continue;
    uint32_t pos = kstart[KEY_SLOT(r)]++;
    order[pos] = r;
    ocell[pos] = cell_of(m, A[r], B[r], C[r], Y[r]);
  }
  #undef KEY_SLOT
  mem_free(h, kstart, ((size_t)nk + 1) * sizeof(uint32_t));
  m->sub = mem_alloc(h, nr * sizeof(uint32_t));
  Cell *cells = m->cells;
  for (uint32_t i = 0; i < m->living; i++) m->sub[cells[ocell[i]].start++] = order[i];
  for (uint32_t g = 0; g < m->ncells; g++) cells[g].start -= cells[g].count;
  mem_free(h, ocell, nr * sizeof(uint32_t));
  mem_free(h, order, nr * sizeof(uint32_t));
  m->sub_bit = bit;
}

static Cell *dense_lookup(H *h, MaskIndex *m, DealFilter f) {
  World *w = h->world;
  uint32_t np = w->t[K_PARTNER].n, nc = w->t[K_COMMODITY].n;
  if ((m->stride[0] && f.exporter >= np) || (m->stride[1] && f.importer >= np) || (m->stride[2] && f.commodity >= nc))
    return NULL;
  if (m->stride[3] && f.year != NO_YEAR && (f.year < m->ymin || f.year - m->ymin >= (int32_t)m->card[3] - 1)) return NULL;
  return &m->cells[cell_of(m, f.exporter, f.importer, f.commodity, f.year)];
}

static int mask_of(DealFilter f) {
  return (f.exporter != NO_ROW ? M_EXP : 0) | (f.importer != NO_ROW ? M_IMP : 0) |
         (f.commodity != NO_ROW ? M_COM : 0) | (f.year != NO_YEAR ? M_YEAR : 0);
}

static int is_current(H *h, MaskIndex *m) { return m->built && m->version == h->world->index_version; }

static void flush_dirty(H *h, MaskIndex *m);
static int contents_checked(H *h, DealIndex *ix, int mask);

static MaskIndex *ensure(H *h, int mask) {
  DealIndex *ix = get_index(h);
  MaskIndex *m = &ix->m[mask];
  if (is_current(h, m)) {
    if (m->ndirty) flush_dirty(h, m);
    return m;
  }
  uint32_t card[4];
  uint64_t cells = dense_cells(h, ix, mask, card);
  if (cells) build_dense(h, m, mask, cells);
  else build_hashed(h, m, mask);
  return m;
}

/* The planner. A mask whose cells fit an array gets its own dense index.
** A finer mask is answered from a coarser dense index one field short,
** whose cells are sub-ordered by the missing field: an index that is
** already built wins (it costs only the sub-ordering; among those, the one
** with the fewest cells), otherwise the one with the most cells. Only when no such index exists is a hashed index
** built. Returns -1 (own index) or the coarser mask. */
static int plan_mask_with(H *h, int mask, unsigned planned);
static int plan_mask(H *h, int mask) { return plan_mask_with(h, mask, 0); }

/* plan_mask, counting the dense indexes of the masks in `planned` (bit
** 1 << mask) as built: index_prepare plans with the set it is about to
** build, so that the plan made at query time, when they are built, is the
** same. */
static int plan_mask_with(H *h, int mask, unsigned planned) {
  DealIndex *ix = get_index(h);
  uint32_t card[4];
  if (dense_cells(h, ix, mask, card)) return -1;
  int best = -1, best_built = 0;
  uint64_t best_cells = 0;
  for (int bit = 1; bit < 16; bit <<= 1) {
    if (!(mask & bit)) continue;
    int m2 = mask & ~bit;
    uint64_t cells = dense_cells(h, ix, m2, card);
    if (!cells) continue;
    int built = (is_current(h, &ix->m[m2]) && ix->m[m2].dense) || ((planned >> m2) & 1);
    /* built: the fewest cells (its sub-ordering places rows into a smaller,
    ** cache-friendlier array); not built: the most cells (short searches) */
    int better = best < 0 || (built && !best_built) ||
                 (built == best_built && (built ? cells < best_cells : cells > best_cells));
    if (better) { best = m2; best_cells = cells; best_built = built; }
  }
  return best;
}

/* A query one field finer than the dense index of coarse: the matching
** rows are a contiguous run of the cell's sub-ordered rows, in row order
** (so sums add in the same order as any other path). */
static Cell *filtered(H *h, DealFilter f, int fine, int coarse, const uint32_t **rows) {
  DealIndex *ix = get_index(h);
  MaskIndex *m = ensure(h, coarse);
  if (!contents_checked(h, ix, coarse)) m = ensure(h, coarse);
  int bit = fine & ~coarse;
  if (!m->sub || m->sub_bit != bit) {
    if (m->sub) { mem_free(h, m->sub, (size_t)m->nrows * sizeof(uint32_t)); m->sub = NULL; }
    dense_sub(h, m, bit);
  }
  Cell *out = &ix->scratch_cell;
  memset(out, 0, sizeof *out);
  Cell *g = dense_lookup(h, m, f);
  if (rows) *rows = NULL;
  if (!g || !g->count) return out;
  Table *t = &h->world->t[K_DEAL];
  uint32_t want = bit == M_EXP ? f.exporter : bit == M_IMP ? f.importer : bit == M_COM ? f.commodity
                : f.year == NO_YEAR ? UINT32_MAX : (uint32_t)(f.year - m->ymin);
  if (bit == M_YEAR && (f.year < m->ymin)) return out;
  const uint32_t *run = m->sub + g->start;
  /* lower and upper bounds of want among the cell's keys */
  uint32_t lo = 0, hi = g->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (field_key(t, bit, run[mid], m->ymin) < want) lo = mid + 1; else hi = mid;
  }
  uint32_t first = lo;
  hi = g->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (field_key(t, bit, run[mid], m->ymin) <= want) lo = mid + 1; else hi = mid;
  }
  for (uint32_t k = first; k < lo; k++) ksum_add(&out->sum, t->value[run[k]]);
  out->count = lo - first;
  if (rows && out->count) *rows = run + first;
  return out;
}

static void adopt_pending(H *h, DealIndex *ix);

static Cell *lookup(H *h, DealFilter f, const uint32_t **rows) {
  if (h->world->idx && h->world->idx->npending) adopt_pending(h, h->world->idx);
  if (h->trace) {   /* repair.c tracing a figure (world.h) */
    SumTraceItem it = {K_DEAL, f, NO_ROW, NO_ROW, 0, 0};
    sum_trace_add(h->trace, it);
  }
  if (h->reads) read_track_deals(h->reads, f);   /* rules.c tracking a binding (world.h) */
  int mask = mask_of(f);
  DealIndex *ix = get_index(h);
  /* how to answer a mask is decided once per version of the world */
  if (ix->plan_version != h->world->index_version || !ix->plan_version) {
    memset(ix->plan, -2, sizeof ix->plan);
    ix->plan_version = h->world->index_version;
  }
  if (ix->plan[mask] == -2) ix->plan[mask] = (int8_t)plan_mask(h, mask);
  int c = ix->plan[mask];
  if (c >= 0) return filtered(h, f, mask, c, rows);
  MaskIndex *m = ensure(h, mask);
  if (rows && !contents_checked(h, ix, mask)) m = ensure(h, mask);
  Cell *g;
  if (m->dense) {
    if (rows && !m->rows) dense_rows(h, m);
    g = dense_lookup(h, m, f);
  } else {
    uint32_t k[4] = {mask & M_EXP ? f.exporter : 0, mask & M_IMP ? f.importer : 0,
                     mask & M_COM ? f.commodity : 0, mask & M_YEAR ? (uint32_t)f.year : 0};
    uint32_t gi = find_group(m, k);
    g = gi == UINT32_MAX ? NULL : &m->groups[gi].cell;
  }
  if (rows) *rows = g ? m->rows + g->start : NULL;
  return g;
}

/* ---- predicted indexes, built in one fused pass ------------------------------
** The lazy path above builds each index in passes of its own at its first
** query: W1 reads the deals' five columns seven times (four sums, a row
** placement, a sub-ordering's two passes). When the program's rules say
** beforehand which queries they make (stdfast_prepare reads the calls), the
** dense indexes they need are built together:
**  1. one pass over the deals in row order adds each row's value to its
**     cell in every index (so each cell's sum is the same additions in the
**     same order as build_dense's), and counts the rows of each key of
**     every sub-ordering;
**  2. prefix sums give each cell's and each key's first slot;
**  3. a second pass in row order places the rows of the indexes whose rows
**     are asked for (dense_rows) and orders the rows of each sub-ordering
**     by key, its cells kept beside them (dense_sub's first pass);
**  4. each sub-ordering's rows are placed by cell from those pairs.
** Both passes go by blocks of rows: a block's columns are read from memory
** once, then each index takes the block in a loop of its own. The results
** are the arrays the lazy path builds, bit for bit. */

/* At most this many indexes are built in one pass: every mask's (W1 needs four). */
#define FUSED_MAX 16

typedef struct Fused {
  MaskIndex *m;
  Cell *cells;
  uint32_t s[4];       /* strides of exporter, importer, commodity, year cell */
} Fused;

typedef struct FusedSub {
  MaskIndex *m;
  int field;           /* 0 exporter, 1 importer, 2 commodity, 3 year */
  uint32_t *kstart;    /* nk + 1 counts, then first slots, of each key */
  uint32_t *order, *ocell;
} FusedSub;

/* Rows a block of the fused passes holds (its columns stay in the
** first-level cache while every index reads them). */
#define FUSED_BLOCK 1024

/* The year cells of n rows: the year's offset from ymin, deals without a
** year in cell ynone (cell_of's year term). */
static void year_cells(const int32_t *Y, uint32_t n, uint32_t ymin, uint32_t ynone, uint32_t *out) {
  for (uint32_t r = 0; r < n; r++) out[r] = Y[r] == NO_YEAR ? ynone : (uint32_t)Y[r] - ymin;
}

/* The cells of a block of n rows in an index with strides s (cell_of):
** col holds the block's exporter, importer, commodity and year-cell
** columns. Only the fields of the index are read; a loop per count of
** them, which the compiler can vectorize. */
static void block_cells(const uint32_t *const col[4], const uint32_t s[4], uint32_t n, uint32_t *restrict out) {
  const uint32_t *c[4] = {NULL, NULL, NULL, NULL};
  uint32_t st[4] = {0, 0, 0, 0};
  int k = 0;
  for (int j = 0; j < 4; j++)
    if (s[j]) { c[k] = col[j]; st[k] = s[j]; k++; }
  const uint32_t *restrict c0 = c[0], *restrict c1 = c[1], *restrict c2 = c[2], *restrict c3 = c[3];
  uint32_t s0 = st[0], s1 = st[1], s2 = st[2], s3 = st[3];
  if (n == FUSED_BLOCK) {   /* a whole block: a trip count the compiler knows */
    switch (k) {
    case 0: memset(out, 0, FUSED_BLOCK * sizeof *out); break;
    case 1: for (uint32_t i = 0; i < FUSED_BLOCK; i++) out[i] = c0[i] * s0; break;
    case 2: for (uint32_t i = 0; i < FUSED_BLOCK; i++) out[i] = c0[i] * s0 + c1[i] * s1; break;
    case 3: for (uint32_t i = 0; i < FUSED_BLOCK; i++) out[i] = c0[i] * s0 + c1[i] * s1 + c2[i] * s2; break;
    default: for (uint32_t i = 0; i < FUSED_BLOCK; i++) out[i] = c0[i] * s0 + c1[i] * s1 + c2[i] * s2 + c3[i] * s3;
    }
    return;
  }
  switch (k) {
  case 0: memset(out, 0, (size_t)n * sizeof *out); break;
  case 1: for (uint32_t i = 0; i < n; i++) out[i] = c0[i] * s0; break;
  case 2: for (uint32_t i = 0; i < n; i++) out[i] = c0[i] * s0 + c1[i] * s1; break;
  case 3: for (uint32_t i = 0; i < n; i++) out[i] = c0[i] * s0 + c1[i] * s1 + c2[i] * s2; break;
  default: for (uint32_t i = 0; i < n; i++) out[i] = c0[i] * s0 + c1[i] * s1 + c2[i] * s2 + c3[i] * s3;
  }
}

static int bit_field(int bit) { return bit == M_EXP ? 0 : bit == M_IMP ? 1 : bit == M_COM ? 2 : 3; }

/* Takes n words of ix->tmp from offset *used. */
static uint32_t *tmp_take(DealIndex *ix, size_t *used, size_t n) {
  uint32_t *p = ix->tmp + *used;
  *used += n;
  return p;
}

typedef struct Prepare {
  DealNeeds needs;
  unsigned touched;    /* masks whose index this call changed (freed if it fails) */
} Prepare;

static void prepare_body(H *h, void *ud) {
  Prepare *pr = ud;
  unsigned sums = pr->needs.sums, rows = pr->needs.rows;
  World *w = h->world;
  DealIndex *ix = get_index(h);
  if (ix->npending) adopt_pending(h, ix);   /* a pack's indexes first: never built again */
  Table *t = &w->t[K_DEAL];
  uint32_t card[4];
  unsigned want = (sums | rows) & 0xffffu;
  /* the masks with an index of their own, then the coarser indexes that
  ** answer the finer masks (plan_mask, counting what will be built) */
  unsigned own = 0, fine = 0;
  for (int mask = 0; mask < 16; mask++) {
    if (!((want >> mask) & 1)) continue;
    if (dense_cells(h, ix, mask, card)) own |= 1u << mask;
    else fine |= 1u << mask;
  }
  for (int mask = 0; mask < 16; mask++) {
    if (!((fine >> mask) & 1)) continue;
    int c = plan_mask_with(h, mask, own);
    if (c >= 0) own |= 1u << c;   /* a hashed index stays lazy */
  }
  int sub_bit[16] = {0};
  for (int mask = 0; mask < 16; mask++) {
    if (!((fine >> mask) & 1)) continue;
    int c = plan_mask_with(h, mask, own);
    if (c >= 0 && !sub_bit[c]) sub_bit[c] = mask & ~c;
  }
  Fused f[FUSED_MAX];
  int nf = 0;
  unsigned place = 0;             /* rows placed in pass 3 */
  FusedSub sb[FUSED_MAX];
  int ns = 0;
  for (int mask = 0; mask < 16; mask++) {
    if (!((own >> mask) & 1)) continue;
    MaskIndex *m = &ix->m[mask];
    int current = is_current(h, m);
    if (current && !m->dense) continue;
    /* a packed index about to get rows or a sub-ordering placed by its
    ** cells' starts: its contents are checked first (a failing one is
    ** dropped, and built here) */
    if (current && ((((rows >> mask) & 1) && !m->rows) || (sub_bit[mask] && !m->sub)) &&
        !contents_checked(h, ix, mask))
      current = 0;
    if (!current) {
      if (nf == FUSED_MAX) continue;   /* left to the lazy path */
      uint64_t cells = dense_cells(h, ix, mask, card);
      pr->touched |= 1u << mask;
      mask_free(h, m);
      memcpy(m->card, card, sizeof card);
      m->ymin = ix->ymin;
      set_strides(m, mask);
      m->dense = 1;
      m->cells = mem_alloc(h, (size_t)cells * sizeof(Cell));
      m->ncells = (uint32_t)cells;
      memset(m->cells, 0, (size_t)cells * sizeof(Cell));
      f[nf].m = m;
      f[nf].cells = m->cells;
      memcpy(f[nf].s, m->stride, sizeof f[nf].s);
      nf++;
    }   /* dirty cells: re-summed at the index's first query (ensure), so an
        ** index the rules then never ask (every binding kept, rules.c) is not */
    if (((rows >> mask) & 1) && !m->rows) { place |= 1u << mask; pr->touched |= 1u << mask; }
    if (sub_bit[mask] && !m->sub && ns < FUSED_MAX) {
      sb[ns].m = m;
      sb[ns].field = bit_field(sub_bit[mask]);
      ns++;
      pr->touched |= 1u << mask;
    }
  }
  if (!nf && !place && !ns) return;
  year_range(h, ix);
  uint32_t ymin = (uint32_t)ix->ymin;
  cards_of(h, ix, M_EXP | M_IMP | M_COM | M_YEAR, card);
  uint32_t ynone = card[3] - 1;   /* the cell of deals without a year */
  const uint32_t *A = t->a, *B = t->b, *C = t->c;
  const int32_t *Y = t->year;
  const double *V = t->value;
  const uint8_t *D = t->dropped;
  uint32_t n = t->n;
  /* the temporaries: per sub-ordering, its key counts and two words a row */
  size_t need = 0;
  for (int k = 0; k < ns; k++) need += (size_t)card[sb[k].field] + 1 + 2 * (size_t)(n ? n : 1);
  if (need > ix->ntmp) {
    mem_free(h, ix->tmp, ix->ntmp * sizeof(uint32_t));
    ix->tmp = NULL; ix->ntmp = 0;
    ix->tmp = mem_alloc(h, need * sizeof(uint32_t));
    ix->ntmp = need;
  }
  size_t used = 0;
  for (int k = 0; k < ns; k++) {
    uint32_t nk = card[sb[k].field];
    sb[k].kstart = tmp_take(ix, &used, (size_t)nk + 1);
    memset(sb[k].kstart, 0, ((size_t)nk + 1) * sizeof(uint32_t));
    sb[k].order = tmp_take(ix, &used, n ? n : 1);
    sb[k].ocell = tmp_take(ix, &used, n ? n : 1);
  }
  /* pass 1, by blocks of rows: each block's columns are read from memory
  ** once and stay in the first-level cache while each index in turn adds
  ** the block's rows to its cells, in row order, in a loop of its own
  ** (one array written at random at a time, its strides in registers:
  ** one loop over every index per row was slower than four passes) */
  uint32_t yb[FUSED_BLOCK], cb[FUSED_BLOCK];
  if (nf || ns) {
    for (uint32_t r0 = 0; r0 < n; r0 += FUSED_BLOCK) {
      uint32_t len = n - r0 < FUSED_BLOCK ? n - r0 : FUSED_BLOCK;
      year_cells(Y + r0, len, ymin, ynone, yb);
      const uint32_t *col[4] = {A + r0, B + r0, C + r0, yb};
      const uint8_t *Db = D ? D + r0 : NULL;
      const double *Vb = V + r0;
      for (int k = 0; k < nf; k++) {
        Cell *cells = f[k].cells;
        block_cells(col, f[k].s, len, cb);
        if (!Db) {
          for (uint32_t i = 0; i < len; i++) {
            Cell *g = &cells[cb[i]];
            ksum_add(&g->sum, Vb[i]);
            g->count++;
          }
        } else {
          for (uint32_t i = 0; i < len; i++) {
            if (Db[i]) continue;
            Cell *g = &cells[cb[i]];
            ksum_add(&g->sum, Vb[i]);
            g->count++;
          }
        }
      }
      for (int k = 0; k < ns; k++) {
        uint32_t *ks = sb[k].kstart + 1;
        const uint32_t *key = col[sb[k].field];
        for (uint32_t i = 0; i < len; i++)
          if (!(Db && Db[i])) ks[key[i]]++;
      }
    }
  }
  uint32_t living = n - t->ndropped;
  for (int k = 0; k < nf; k++) {
    MaskIndex *m = f[k].m;
    m->living = living;
    m->nrows = living ? living : 1;
    m->built = 1;
    m->version = w->index_version;
  }
  /* pass 2, by blocks too: rows placed by cell; sub-orderings' rows
  ** ordered by key, each row's cell kept beside it */
  MaskIndex *pm[16];
  int np = 0;
  for (int mask = 0; mask < 16; mask++) {
    if (!((place >> mask) & 1)) continue;
    MaskIndex *m = &ix->m[mask];
    dense_starts(m);
    m->rows = mem_alloc(h, (size_t)m->nrows * sizeof(uint32_t));
    pm[np++] = m;
  }
  for (int k = 0; k < ns; k++) {
    dense_starts(sb[k].m);
    uint32_t nk = card[sb[k].field], *ks = sb[k].kstart;
    for (uint32_t x = 0; x < nk; x++) ks[x + 1] += ks[x];
  }
  if (np || ns) {
    for (uint32_t r0 = 0; r0 < n; r0 += FUSED_BLOCK) {
      uint32_t len = n - r0 < FUSED_BLOCK ? n - r0 : FUSED_BLOCK;
      year_cells(Y + r0, len, ymin, ynone, yb);
      const uint32_t *col[4] = {A + r0, B + r0, C + r0, yb};
      const uint8_t *Db = D ? D + r0 : NULL;
      const MaskIndex *last = NULL;   /* whose cells cb holds */
      for (int k = 0; k < np; k++) {
        MaskIndex *m = pm[k];
        Cell *cells = m->cells;
        uint32_t *out = m->rows;
        block_cells(col, m->stride, len, cb);
        last = m;
        for (uint32_t i = 0; i < len; i++)
          if (!(Db && Db[i])) out[cells[cb[i]].start++] = r0 + i;
      }
      for (int k = 0; k < ns; k++) {
        MaskIndex *m = sb[k].m;
        uint32_t *ks = sb[k].kstart, *order = sb[k].order, *ocell = sb[k].ocell;
        const uint32_t *key = col[sb[k].field];
        if (m != last) { block_cells(col, m->stride, len, cb); last = m; }
        for (uint32_t i = 0; i < len; i++) {
          if (Db && Db[i]) continue;
          uint32_t pos = ks[key[i]]++;
          order[pos] = r0 + i;
          ocell[pos] = cb[i];
        }
      }
    }
  }
  for (int k = 0; k < np; k++) {
    MaskIndex *m = pm[k];
    for (uint32_t g = 0; g < m->ncells; g++) m->cells[g].start -= m->cells[g].count;
  }
  for (int k = 0; k < ns; k++) {
    MaskIndex *m = sb[k].m;
    m->sub = mem_alloc(h, (size_t)m->nrows * sizeof(uint32_t));
    Cell *cells = m->cells;
    const uint32_t *order = sb[k].order, *ocell = sb[k].ocell;
    for (uint32_t x = 0; x < m->living; x++) m->sub[cells[ocell[x]].start++] = order[x];
    for (uint32_t g = 0; g < m->ncells; g++) cells[g].start -= cells[g].count;
    m->sub_bit = sub_bit[m - ix->m];
  }
}

void index_prepare(H *h, DealNeeds needs) {
  World *w = h->world;
  if (!w || !((needs.sums | needs.rows) & 0xffffu)) return;
  Prepare pr = {needs, 0};
  int st = hx_pcall(h, prepare_body, &pr);
  DealIndex *ix = w->idx;
  if (!ix) return;
  if (st != HEDGE_OK) {
    /* an allocation refused (a memory limit): what this call began is
    ** dropped, and the lazy path builds it at its first query, meeting the
    ** limit, if it does, inside the rule that needs it */
    for (int mask = 0; mask < 16; mask++)
      if ((pr.touched >> mask) & 1) mask_free(h, &ix->m[mask]);
    h->fatal = 0;
  }
  mem_free(h, ix->tmp, ix->ntmp * sizeof(uint32_t));
  ix->tmp = NULL; ix->ntmp = 0;
  /* plans made before this call may name other indexes: made again */
  memset(ix->plan, -2, sizeof ix->plan);
  ix->plan_version = w->index_version;
}

/* ---- changes of a value ------------------------------------------------------
** A scenario that changes the value of a few deals of a million must not
** rebuild every index. A changed value leaves every row in its cells, so
** the sums of the cells that hold the row are recomputed from their rows,
** in row order: the same additions in the same order as a rebuild, so the
** same bits. A dense index whose rows were never placed marks the cell
** dirty instead, and its next query re-sums every dirty cell in one pass
** over the deals (flush_dirty), which costs less than the rebuild it saves. */

static int row_cmp(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return (a > b) - (a < b);
}

static void resum(H *h, Cell *g, const uint32_t *rows, int in_row_order) {
  const double *V = h->world->t[K_DEAL].value;
  KSum s = {0, 0};
  if (in_row_order) {
    for (uint32_t i = 0; i < g->count; i++) ksum_add(&s, V[rows[i]]);
  } else {
    ArenaMark mk = arena_mark(&h->temp);
    uint32_t *tmp = arena_alloc(h, &h->temp, (size_t)(g->count ? g->count : 1) * sizeof *tmp);
    memcpy(tmp, rows, (size_t)g->count * sizeof *tmp);
    qsort(tmp, g->count, sizeof *tmp, row_cmp);
    for (uint32_t i = 0; i < g->count; i++) ksum_add(&s, V[tmp[i]]);
    arena_release(h, &h->temp, mk);
  }
  g->sum = s;
}

/* Recomputes the sums of m's dirty cells in one pass over the deals in row
** order: the same additions in the same order as resum (and a rebuild).
** A dense index without its cells' row lists would otherwise build them
** (a counting sort of every deal) at the first changed value; one pass
** that adds only the rows of dirty cells costs less, and a scenario that
** changes many values pays it once, at the next query. Rows are first
** tested on one field of the index, the one whose values in the dirty
** cells are the smallest share of its values (ten changed deals: ten
** exporters of 200): a row whose value there is in no dirty cell is in
** none. (A year-only index tests every row.) */
static void flush_dirty(H *h, MaskIndex *m) {
  Table *t = &h->world->t[K_DEAL];
  ArenaMark mk = arena_mark(&h->temp);
  /* per field of the index (exporter, importer, commodity): which of its
  ** values the dirty cells have (one byte more: out of range, never set) */
  uint8_t *want[3] = {NULL, NULL, NULL};
  uint32_t nwant[3] = {0, 0, 0}, nset[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    if (!m->stride[k]) continue;
    nwant[k] = m->card[k];
    want[k] = arena_alloc(h, &h->temp, (size_t)nwant[k] + 1);
    memset(want[k], 0, (size_t)nwant[k] + 1);
  }
  const uint8_t *dirty = m->dirty, *D = t->dropped;
  Cell *cells = m->cells;
  for (uint32_t g = 0; g < m->ncells; g++)
    if (dirty[g]) {
      cells[g].sum.s = 0; cells[g].sum.c = 0;
      for (int k = 0; k < 3; k++)
        if (want[k]) {
          uint8_t *w = &want[k][(g / m->stride[k]) % m->card[k]];
          nset[k] += !*w;
          *w = 1;
        }
    }
  int pre = -1;   /* the smallest share of its values: nset/nwant */
  for (int k = 0; k < 3; k++)
    if (want[k] && (pre < 0 || (uint64_t)nset[k] * nwant[pre] < (uint64_t)nset[pre] * nwant[k])) pre = k;
  const uint32_t *A = t->a, *B = t->b, *C = t->c;
  const int32_t *Y = t->year;
  const double *V = t->value;
  uint32_t n = t->n;
  const uint32_t *P = NULL;
  const uint8_t *W = NULL;
  uint32_t nw = 0;
  if (pre >= 0 && pre < 3) { P = pre == 0 ? A : pre == 1 ? B : C; W = want[pre]; nw = nwant[pre]; }
  for (uint32_t r = 0; r < n; r++) {
    if (P) {   /* most rows end here: a load and a byte test */
      uint32_t v = P[r];
      if (v >= nw || !W[v]) continue;
    }
    if (D && D[r]) continue;
    uint32_t g = cell_of(m, A[r], B[r], C[r], Y[r]);
    if (dirty[g]) ksum_add(&cells[g].sum, V[r]);
  }
  arena_release(h, &h->temp, mk);
  memset(m->dirty, 0, m->ncells);
  m->ndirty = 0;
}

void index_deal_value_changed(H *h, uint32_t row) {
  World *w = h->world;
  DealIndex *ix = w->idx;
  if (!ix) return;
  /* offered indexes (a pack) hold the sums of the values before this
  ** change, which leaves index_version as it is: never take them now */
  ix->npending = 0;
  Table *t = &w->t[K_DEAL];
  if (row >= t->n || (t->dropped && t->dropped[row])) return;   /* in no cell */
  for (int mask = 0; mask < 16; mask++) {
    MaskIndex *m = &ix->m[mask];
    if (!is_current(h, m)) continue;
    /* its rows are read below: a packed index's contents are checked
    ** first (one that fails is dropped, and built at its next query) */
    if ((m->rows || m->sub) && !contents_checked(h, ix, mask)) continue;
    if (m->dense) {
      uint32_t gi = cell_of(m, t->a[row], t->b[row], t->c[row], t->year[row]);
      if (!m->rows && !m->sub) {   /* summed again at the next query (flush_dirty) */
        if (!m->dirty) {
          m->dirty = mem_alloc(h, m->ncells);
          memset(m->dirty, 0, m->ncells);
        }
        if (!m->dirty[gi]) { m->dirty[gi] = 1; m->ndirty++; }
        continue;
      }
      Cell *g = &m->cells[gi];
      resum(h, g, (m->rows ? m->rows : m->sub) + g->start, m->rows != NULL);
    } else {
      uint32_t k[4];
      key_of(t, row, mask, k);
      uint32_t gi = find_group(m, k);
      if (gi != UINT32_MAX) resum(h, &m->groups[gi].cell, m->rows + m->groups[gi].cell.start, 1);
    }
  }
}

double index_deal_sum(H *h, DealFilter f, uint32_t *count) {
  Cell *g = lookup(h, f, NULL);
  if (count) *count = g ? g->count : 0;
  return g ? ksum_get(&g->sum) : 0.0;
}

uint32_t index_deal_rows(H *h, DealFilter f, const uint32_t **rows) {
  Cell *g = lookup(h, f, rows);
  if (!g || !g->count) { *rows = NULL; return 0; }
  return g->count;
}

int32_t index_latest_loan_year(H *h) {
  World *w = h->world;
  DealIndex *ix = get_index(h);
  if (ix->lly_valid && ix->lly_version == w->version) return ix->latest_loan;
  int32_t best = NO_YEAR;
  Table *t = &w->t[K_LOAN];
  for (uint32_t r = 0; r < t->n; r++) {
    if (t->dropped && t->dropped[r]) continue;
    if (t->year[r] != NO_YEAR && t->year[r] > best) best = t->year[r];
  }
  ix->latest_loan = best;
  ix->lly_valid = 1;
  ix->lly_version = w->version;
  return best;
}

int32_t index_latest_year(H *h) {
  World *w = h->world;
  DealIndex *ix = get_index(h);
  if (ix->ly_valid && ix->ly_version == w->index_version) return ix->latest;
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
  ix->ly_version = w->index_version;
  return best;
}

/* The living loans of a borrower, in row order: one counting sort per
** version of the world, then a slice per query. */
uint32_t index_loan_rows_of(H *h, uint32_t borrower, const uint32_t **rows) {
  World *w = h->world;
  DealIndex *ix = get_index(h);
  Table *t = &w->t[K_LOAN];
  uint32_t np = w->t[K_PARTNER].n;
  if (!ix->loans_built || ix->loan_version != w->index_version) {
    mem_free(h, ix->loan_start, (size_t)ix->nstart * sizeof(uint32_t));
    mem_free(h, ix->loan_rows, (size_t)ix->nloan_rows * sizeof(uint32_t));
    ix->loan_start = NULL; ix->loan_rows = NULL; ix->nstart = ix->nloan_rows = 0; ix->loans_built = 0;
    uint32_t *start = mem_alloc(h, (size_t)(np + 2) * sizeof(uint32_t));
    memset(start, 0, (size_t)(np + 2) * sizeof(uint32_t));
    ix->loan_start = start;
    ix->nstart = np + 2;
    uint32_t living = 0;
    for (uint32_t r = 0; r < t->n; r++)
      if (world_alive(w, K_LOAN, r) && t->b[r] < np) { start[t->b[r] + 1]++; living++; }
    for (uint32_t p = 0; p < np; p++) start[p + 1] += start[p];
    ix->loan_rows = mem_alloc(h, (size_t)(living ? living : 1) * sizeof(uint32_t));
    ix->nloan_rows = living ? living : 1;
    /* place rows: start[p] advances to the next free slot, then is restored */
    for (uint32_t r = 0; r < t->n; r++)
      if (world_alive(w, K_LOAN, r) && t->b[r] < np) ix->loan_rows[start[t->b[r]]++] = r;
    for (uint32_t p = np; p > 0; p--) start[p] = start[p - 1];
    start[0] = 0;
    ix->loans_built = 1;
    ix->loan_version = w->index_version;
  }
  if (borrower >= np) { *rows = NULL; return 0; }
  *rows = ix->loan_rows + ix->loan_start[borrower];
  return ix->loan_start[borrower + 1] - ix->loan_start[borrower];
}

/* ---- grouped sums and debt figures (the hedge module reads them) ---------- */

static int group_cmp_name(const void *x, const void *y) {
  const HStr *a = ((const DealGroup *)x)->name, *b = ((const DealGroup *)y)->name;
  if (!a || !b) return (a != NULL) - (b != NULL);
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  if (c) return c;
  if (a->len != b->len) return (a->len > b->len) - (a->len < b->len);
  return (((const DealGroup *)x)->id > ((const DealGroup *)y)->id) - (((const DealGroup *)x)->id < ((const DealGroup *)y)->id);
}

uint32_t index_deal_sums_by(H *h, DealFilter f, int field, DealGroup **out) {
  World *w = h->world;
  const uint32_t *rows;
  uint32_t n = index_deal_rows(h, f, &rows);
  Table *t = &w->t[K_DEAL];
  if (field < 3) {
    uint32_t *col = field == 0 ? t->a : field == 1 ? t->b : t->c;
    int kind = field == 2 ? K_COMMODITY : K_PARTNER;
    uint32_t nk = w->t[kind].n;
    uint32_t *slot = arena_alloc(h, &h->temp, (size_t)(nk ? nk : 1) * sizeof *slot);
    memset(slot, 0xff, (size_t)(nk ? nk : 1) * sizeof *slot);
    uint32_t cap = n < nk ? n : nk;
    DealGroup *g = arena_alloc(h, &h->temp, (size_t)(cap ? cap : 1) * sizeof *g);
    uint32_t ng = 0;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t row = rows[i], id = col[row];
      if (id >= nk) continue;
      if (slot[id] == UINT32_MAX) {
        slot[id] = ng;
        g[ng].name = w->t[kind].names ? w->t[kind].names[id] : NULL;
        g[ng].id = id;
        g[ng].year = 0;
        g[ng].sum.s = g[ng].sum.c = 0;
        ng++;
      }
      ksum_add(&g[slot[id]].sum, t->value[row]);
    }
    qsort(g, ng, sizeof *g, group_cmp_name);
    *out = g;
    return ng;
  }
  /* by year: few distinct years, kept sorted (binary search insertion);
  ** deals without a date have no year and belong to no group */
  uint32_t cap = 16, ng = 0;
  DealGroup *g = arena_alloc(h, &h->temp, cap * sizeof *g);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t row = rows[i];
    int32_t y = deal_year(w, row);
    if (y == NO_YEAR) continue;
    uint32_t lo = 0, hi = ng;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (g[mid].year < y) lo = mid + 1;
      else hi = mid;
    }
    if (lo == ng || g[lo].year != y) {
      if (ng == cap) {
        DealGroup *ng2 = arena_alloc(h, &h->temp, (size_t)cap * 2 * sizeof *g);
        memcpy(ng2, g, (size_t)ng * sizeof *g);
        g = ng2;
        cap *= 2;
      }
      memmove(g + lo + 1, g + lo, (size_t)(ng - lo) * sizeof *g);
      g[lo].name = NULL;
      g[lo].id = 0;
      g[lo].year = y;
      g[lo].sum.s = g[lo].sum.c = 0;
      ng++;
    }
    ksum_add(&g[lo].sum, t->value[row]);
  }
  *out = g;
  return ng;
}

int index_loan_matches(const Table *t, uint32_t row, const LoanFilter *f) {
  return (f->lender == NO_ROW || t->a[row] == f->lender) && (f->borrower == NO_ROW || t->b[row] == f->borrower);
}

int index_loan_outstanding(H *h, uint32_t row, double y) {
  const Table *t = &h->world->t[K_LOAN];
  int32_t d = t->date ? t->date[row] : NO_DATE;
  if (d == NO_DATE) return 1;
  int sy = t->year[row];   /* the fiscal year when one is declared */
  if (y < sy) return 0;
  double term = t->term ? t->term[row] : NAN;
  return isnan(term) || y < sy + term;
}

/* Principal (USD, compensated) and count of the living loans that match f:
** a borrower's loans come from the index by borrower, otherwise every loan
** is seen. */
double index_debt_sum(H *h, LoanFilter f, uint32_t *count) {
  KSum s = {0, 0};
  uint32_t c = 0;
  const Table *t = &h->world->t[K_LOAN];
  const uint32_t *rows = NULL;
  uint32_t n = f.borrower != NO_ROW ? index_loan_rows_of(h, f.borrower, &rows) : t->n;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t row = rows ? rows[i] : i;
    if (!world_alive(h->world, K_LOAN, row) || !index_loan_matches(t, row, &f)) continue;
    if (f.has_year && !index_loan_outstanding(h, row, f.year)) continue;
    ksum_add(&s, t->value[row]);
    c++;
  }
  *count = c;
  return ksum_get(&s);
}

/* ---- packed indexes (pack.c) ---------------------------------------------------
** A dense index is plain data: its MaskIndex record (whose pointers are
** replaced when it is taken back) and its arrays. A pack stores them as
** they are; index_offer hands them back, and they are checked against the
** world before they are used: the shape must be what this world would
** build (cardinalities, strides, year range), the counts must add up to
** the living deals, every start and row must be in bounds. A block that
** fails a check is dropped and the index is built from the rows as usual. */

int index_export(H *h, int mask, IndexBlocks *out) {
  DealIndex *ix = h->world->idx;
  memset(out, 0, sizeof *out);
  if (!ix || mask < 0 || mask > 15) return 0;
  MaskIndex *m = &ix->m[mask];
  if (!is_current(h, m) || !m->dense || !m->living || !contents_checked(h, ix, mask)) return 0;
  if (m->ndirty) flush_dirty(h, m);
  dense_starts(m);
  out->mask = mask;
  out->head = m;
  out->head_size = sizeof *m;
  out->arr[0] = m->cells; out->bytes[0] = (size_t)m->ncells * sizeof(Cell);
  if (m->rows) { out->arr[1] = m->rows; out->bytes[1] = (size_t)m->nrows * sizeof(uint32_t); }
  if (m->sub) { out->arr[2] = m->sub; out->bytes[2] = (size_t)m->nrows * sizeof(uint32_t); }
  return 1;
}

void index_offer(H *h, const IndexBlocks *b, int n, uint64_t version) {
  DealIndex *ix = get_index(h);
  if (n > 16) n = 16;
  memcpy(ix->pending, b, (size_t)n * sizeof *b);
  ix->npending = n;
  ix->pending_version = version;
}

/* Every row below limit: a max in blocks of 16, which the compiler keeps
** in vector registers (a loop of unknown length it does not vectorise). */
static int rows_in_bounds(const uint32_t *r, uint32_t n, uint32_t limit) {
  uint32_t top16[16] = {0}, top = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint32_t *q = r + i;
    for (int j = 0; j < 16; j++) top16[j] = q[j] > top16[j] ? q[j] : top16[j];
  }
  for (int j = 0; j < 16; j++) top = top16[j] > top ? top16[j] : top;
  for (; i < n; i++) top = r[i] > top ? r[i] : top;
  return !n || top < limit;
}

/* The shape of blocks, in constant time: the record's sizes agree with
** each other and with the arrays' lengths, the sub-ordering names a field
** outside the mask. Fills *in with the record. */
static int blocks_shape_ok(const IndexBlocks *b, MaskIndex *in) {
  int ok = b->mask >= 0 && b->mask <= 15 && b->head_size == sizeof *in && b->head;
  if (ok) memcpy(in, b->head, sizeof *in);
  ok = ok && in->dense && in->starts && in->living && in->nrows == in->living && b->arr[0] &&
       b->bytes[0] == (size_t)in->ncells * sizeof(Cell);
  size_t rb = ok ? (size_t)in->nrows * sizeof(uint32_t) : 0;
  if (ok && b->arr[1]) ok = b->bytes[1] == rb;
  if (ok && b->arr[2]) {
    int sb = in->sub_bit;
    ok = b->bytes[2] == rb && (sb == M_EXP || sb == M_IMP || sb == M_COM || sb == M_YEAR) && !(b->mask & sb);
  }
  return ok;
}

/* The contents of blocks (see index.h): every cell's start and count
** within the rows, the counts adding up to the living rows the record
** says, every row and sub-ordered row below nrows. */
int index_check_blocks(IndexBlocks *b, uint32_t nrows) {
  b->checked_rows = 0;
  MaskIndex in;
  int ok = blocks_shape_ok(b, &in);
  if (ok) {
    const Cell *c = b->arr[0];
    uint64_t total = 0;
    uint32_t over = 0;
    for (uint32_t g = 0; g < in.ncells; g++) {
      total += c[g].count;
      over |= (uint64_t)c[g].start + c[g].count > in.nrows;
    }
    ok = !over && total == in.living;
  }
  if (ok && b->arr[1]) ok = rows_in_bounds(b->arr[1], in.nrows, nrows);
  if (ok && b->arr[2]) ok = rows_in_bounds(b->arr[2], in.nrows, nrows);
  if (!ok) { b->mask = -1; return 0; }
  b->checked_rows = nrows;
  return 1;
}

/* A packed index is taken (adopt_pending) once its shape is checked; its
** contents (index_check_blocks: a scan of its cells, rows and sub-ordered
** rows, 21 MB at 1M deals for W1) are checked the first time a query
** reads rows through it, here. A query of a sum and a count reads one cell
** and nothing through it: the cell's place comes from the record's shape,
** checked against the world, and its sum and count are plain numbers, like
** a column's values (docs/pack.md). Returns 0 when the contents fail: the
** index is then dropped (its mapped arrays are the mapping's, not freed)
** and the caller builds it from the rows. */
static int contents_checked(H *h, DealIndex *ix, int mask) {
  uint32_t bit = 1u << mask;
  if (!(ix->unchecked & bit)) return 1;
  ix->unchecked &= ~bit;
  MaskIndex *m = &ix->m[mask];
  const char *cells = (const char *)m->cells;
  /* built here since it was taken: nothing of the pack's left to check */
  if (!is_current(h, m) || !m->dense || !h->map_lo || cells < h->map_lo || cells >= h->map_hi) return 1;
  IndexBlocks b;
  memset(&b, 0, sizeof b);
  b.mask = mask;
  b.head = m;
  b.head_size = sizeof *m;
  b.arr[0] = m->cells; b.bytes[0] = (size_t)m->ncells * sizeof(Cell);
  if (m->rows) { b.arr[1] = m->rows; b.bytes[1] = (size_t)m->nrows * sizeof(uint32_t); }
  if (m->sub) { b.arr[2] = m->sub; b.bytes[2] = (size_t)m->nrows * sizeof(uint32_t); }
  if (index_check_blocks(&b, h->world->t[K_DEAL].n)) return 1;
  mask_free(h, m);
  return 0;
}

/* Takes the offered indexes whose shape passes every check (see above):
** their records and array lengths (blocks_shape_ok) and their shape
** against the world. Their contents are checked when first read through
** (contents_checked), unless they were checked ahead (checked_rows). */
static void adopt_pending(H *h, DealIndex *ix) {
  World *w = h->world;
  int n = ix->npending;
  ix->npending = 0;
  if (ix->pending_version != w->index_version) return;
  Table *t = &w->t[K_DEAL];
  uint32_t living = t->n - t->ndropped;
  for (int i = 0; i < n; i++) {
    IndexBlocks *b = &ix->pending[i];
    MaskIndex in, chk;
    if (!blocks_shape_ok(b, &in)) continue;
    int ahead = b->checked_rows && b->checked_rows <= t->n;
    MaskIndex *m = &ix->m[b->mask];
    if (is_current(h, m)) continue;
    uint32_t card[4];
    uint64_t cells = dense_cells(h, ix, b->mask, card);
    if (!cells || cells != in.ncells || memcmp(card, in.card, sizeof card) || in.ymin != ix->ymin) continue;
    memcpy(chk.card, card, sizeof card);
    set_strides(&chk, b->mask);
    if (memcmp(chk.stride, in.stride, sizeof chk.stride) || in.living != living) continue;
    mask_free(h, m);
    *m = in;
    m->cells = (Cell *)(uintptr_t)b->arr[0];
    m->rows = b->arr[1] ? (uint32_t *)(uintptr_t)b->arr[1] : NULL;
    m->sub = b->arr[2] ? (uint32_t *)(uintptr_t)b->arr[2] : NULL;
    if (!m->sub) m->sub_bit = 0;
    m->groups = NULL; m->ngroups = m->gcap = 0;
    m->slots = NULL; m->scap = 0;
    m->dirty = NULL; m->ndirty = 0;   /* the packing process's, or a forged value */
    m->built = 1;
    m->version = w->index_version;
    if (ahead) ix->unchecked &= ~(1u << b->mask);
    else ix->unchecked |= 1u << b->mask;
  }
}
