/*
** loadmap.h: the mapping layer of a load (loadmap.c): the plan of the
** columns, computed fields, where:, wide tables, codes from other schemes,
** ISO 3166. load.c calls all of it.
*/
#ifndef LOADMAP_H
#define LOADMAP_H
#include "core.h"
#include "csv.h"
#include "world.h"

typedef struct Load Load;
typedef struct Part Part;
typedef struct Via Via;

/* Header and mapping: decides the role of every column, builds the code maps and via tables. */
void loadmap_plan(H *h, Load *L);
/* The where: filter for the current row: 1 keep, 0 skip, -1 failed. */
int loadmap_row_kept(H *h, Part *p);
/* The computed fields of row r: 0, -1 (failed), -2 (unmapped) or 1 (skipped). */
int loadmap_computed(H *h, Part *p, Table *t, uint32_t r);
/* The cell of row r in a wide table: 0, -1 (failed) or 1 (skipped). */
int loadmap_wide_cell(Part *p, Table *t, uint32_t r, CsvField *f);
/* The slot of a cell's key in a via table, or UINT32_MAX when it has no such key. */
uint32_t loadmap_via_find(Via *v, const char *s, size_t n);
/* `load partners from iso3166`: every country of ISO 3166-1 as a partner. */
void loadmap_iso3166(H *h, Load *L);
/* Records the rows the load skipped on purpose, by reason, for check and run. */
void loadmap_note_skips(H *h, Load *L);
#endif
