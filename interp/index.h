/*
** index.h: aggregate queries over deals and loans (index.c), answered from
** indexes built lazily over the world's columns; the sums a figure reads,
** traced for repairs; a built index as plain blocks for a packed world.
** The index sits above the world: the world reaches it only through the
** IndexHooks (world.h) index.c sets when it attaches to a world.
*/
#ifndef INDEX_H
#define INDEX_H
#include "world.h"

/* A filter on deals: any field may be left open (NO_ROW / NO_YEAR). */
typedef struct DealFilter { uint32_t exporter, importer, commodity; int32_t year; } DealFilter;
static inline DealFilter deal_filter_any(void) { DealFilter f = {NO_ROW, NO_ROW, NO_ROW, NO_YEAR}; return f; }
/* Sum of value (USD, compensated) and count of the matching living deals. */
double index_deal_sum(H *h, DealFilter f, uint32_t *count);
/* Rows of the matching deals, in declaration order: *rows points into the
** index (valid until the world changes). */
uint32_t index_deal_rows(H *h, DealFilter f, const uint32_t **rows);
/* Year of a deal row (NO_YEAR when it has no date). */
static inline int32_t deal_year(World *w, uint32_t row) { return w->t[K_DEAL].year[row]; }
int32_t index_latest_year(H *h);   /* NO_YEAR when none */
/* The smallest and largest year of a deal, dropped deals included (cached
** until the rows change); 0 when no deal has a year. */
int index_deal_years(H *h, int32_t *lo, int32_t *hi);
/* The latest start year of a living loan (NO_YEAR when none): the default
** year of debt figures, which read loans only. */
int32_t index_latest_loan_year(H *h);
/* Rows of the living loans of a borrower, in row order (*rows valid until
** the world changes). */
uint32_t index_loan_rows_of(H *h, uint32_t borrower, const uint32_t **rows);
/* Sums of deal values grouped by field (0 exporter, 1 importer, 2 commodity,
** 3 year) over the deals that match f: one DealGroup per key with deals, by
** the key's name (byte-wise; years ascending), in h->temp. Returns the count. */
typedef struct DealGroup { HStr *name; uint32_t id; int32_t year; KSum sum; } DealGroup;
uint32_t index_deal_sums_by(H *h, DealFilter f, int field, DealGroup **out);
/* A filter on loans: lender, borrower (NO_ROW: any); with has_year, only the
** loans outstanding in year. */
typedef struct LoanFilter { uint32_t lender, borrower; int has_year; double year; } LoanFilter;
int index_loan_matches(const Table *t, uint32_t row, const LoanFilter *f);
/* Whether loan row is outstanding in year y: (no start or year(start) <= y)
** and (no term or y < year(start) + term); year(start) is the fiscal year
** when one is declared. The one definition in C. */
int index_loan_outstanding(H *h, uint32_t row, double y);
/* Principal (USD, compensated) and count of the living loans matching f. */
double index_debt_sum(H *h, LoanFilter f, uint32_t *count);

/* The deal queries a program is about to make, by the fields their filters
** set (the values do not matter): bit 1 << m of sums for a filter whose
** set fields are m (exporter 1, importer 2, commodity 4, year 8), of rows
** when its rows are read too (index_deal_rows). */
typedef struct DealNeeds { unsigned sums, rows; } DealNeeds;
static inline void index_needs_add(DealNeeds *n, DealFilter f, int rows) {
  unsigned m = (f.exporter != NO_ROW ? 1u : 0) | (f.importer != NO_ROW ? 2u : 0) |
               (f.commodity != NO_ROW ? 4u : 0) | (f.year != NO_YEAR ? 8u : 0);
  n->sums |= 1u << m;
  if (rows) n->rows |= 1u << m;
}
/* Builds the dense indexes that will answer the queries of needs (their
** own, or the coarser ones, sub-ordered, that the planner answers finer
** queries from), all in one pass over the deals plus one to place rows:
** the same arrays, bit for bit, as the lazy builds at the first queries
** (index.c). Indexes already current (a pack's, taken first) are kept;
** what needs no dense index (a hashed one) stays lazy. Never raises: an
** allocation refused (a memory limit) leaves the rest to the lazy path. */
void index_prepare(H *h, DealNeeds needs);

/* A built dense index as plain blocks, for a packed world (pack.c writes
** and maps them without knowing their fields): the index's header record
** and its arrays (cells; rows and sub-ordered rows, when built). */
typedef struct IndexBlocks {
  int mask;                    /* the fields it groups by (0..15) */
  const void *head; size_t head_size;
  const void *arr[3]; size_t bytes[3];   /* NULL, 0: not built */
  uint32_t checked_rows;       /* index_check_blocks passed for this many deal rows (0: not checked) */
} IndexBlocks;
/* The dense index of mask as blocks, if it is built and current (returns
** 1; the blocks point into the index until the world changes), else 0. */
int index_export(H *h, int mask, IndexBlocks *out);
/* Offers indexes read from a pack, built when the world's index_version
** was `version`: they are taken (checked against the world first, so a
** damaged pack is rebuilt from the rows, never trusted) at the first query
** made while index_version is exactly that, else never. The blocks'
** arrays must stay valid (the mapping) until the world is freed; the
** index may write into them (a scenario re-sums cells). */
void index_offer(H *h, const IndexBlocks *b, int n, uint64_t version);
/* The checks of the blocks' own contents that need no world (every cell's
** rows within the rows, the counts adding up, every row below nrows): done
** once, ahead (pack.c runs them while another thread checksums the
** sources), so that taking the index later only compares its shape with
** the world's. Returns 1 and sets b->checked_rows, or 0 (b->mask = -1: it
** will not be taken). */
int index_check_blocks(IndexBlocks *b, uint32_t nrows);

/* The deal and loan sums a figure reads, recorded while repair.c traces it
** (h->trace; NULL otherwise): the levers of a figure written in Lua or in a
** user function are the rows of these sums. Distinct entries only, at most
** SUM_TRACE_MAX (later ones are dropped). */
#define SUM_TRACE_MAX 64
typedef struct SumTraceItem { int kind; DealFilter f; uint32_t lender, borrower; int has_year; double year; } SumTraceItem;
typedef struct SumTrace { uint32_t n; SumTraceItem item[SUM_TRACE_MAX]; } SumTrace;
static inline void sum_trace_add(SumTrace *t, SumTraceItem it) {
  for (uint32_t i = 0; i < t->n; i++) {
    SumTraceItem *x = &t->item[i];
    if (x->kind == it.kind && x->f.exporter == it.f.exporter && x->f.importer == it.f.importer &&
        x->f.commodity == it.f.commodity && x->f.year == it.f.year && x->lender == it.lender &&
        x->borrower == it.borrower && x->has_year == it.has_year && x->year == it.year) return;
  }
  if (t->n < SUM_TRACE_MAX) t->item[t->n++] = it;
}

/* What one binding of a rule read while rules.c tracks it (h->reads;
** NULL otherwise), so that under --compare the scenario's check can keep
** the base world's result of a binding that read nothing the scenario
** changed. Tracked reads are the deal sums and row lists of the indexes
** (lookup in index.c: a filter) and the lets that follow the world (their
** values). Anything else a binding may read of the world or of a state
** outside it (a deal's or loan's field, the deals or loans themselves, a
** Lua, C or built-in function, a loaded cell) makes it opaque: it is
** evaluated again. Past READ_TRACK_MAX filters or lets it is opaque too. */
#define READ_TRACK_MAX 16
#define READ_TRACK_LETS 4
typedef struct ReadTrack {
  int opaque;
  uint32_t n; DealFilter f[READ_TRACK_MAX];
  uint32_t nlet; struct Global *let[READ_TRACK_LETS]; Value letv[READ_TRACK_LETS];
} ReadTrack;
static inline void read_opaque(H *h) { if (h->reads) h->reads->opaque = 1; }
static inline void read_track_deals(ReadTrack *t, DealFilter f) {
  if (t->n) {   /* a query asked twice in a row (a sum, then its rows) */
    DealFilter *x = &t->f[t->n - 1];
    if (x->exporter == f.exporter && x->importer == f.importer && x->commodity == f.commodity && x->year == f.year) return;
  }
  if (t->n == READ_TRACK_MAX) { t->opaque = 1; return; }
  t->f[t->n++] = f;
}

#endif
