/*
** pack.h: the packed world (pack.c, docs/pack.md). `hedge pack` runs a
** program once and writes what its `load` statements brought into the
** world, and the dense indexes its rules built, to one file; a later run
** maps that file and replays each load from it instead of reading CSV.
*/
#ifndef PACK_H
#define PACK_H
#include "core.h"
#include "ast.h"

/* The world's shape before a load, taken by load_exec for pack_load_done. */
typedef struct PackMark {
  uint32_t n[4], ncols[4], nglobals, nnotes;
  uint64_t version, index_version;
} PackMark;

/* Starts writing a pack to `out` (a temporary file beside it until
** pack_finish renames it): every load from now on is recorded. files: the
** program's files as the command line gives them. Raises on error. */
void pack_begin(H *h, const char *out, const char *const *files, int nfiles);
/* Writes the indexes built so far, the checksums of every file the program
** read, and the header; renames the temporary file to `out`. Raises. */
void pack_finish(H *h);
/* Maps a pack for this run: checks its format, that it was packed from the
** same files, and the checksum of every source; raises (naming the file
** that changed) when it is stale or damaged. */
void pack_use(H *h, const char *path, const char *const *files, int nfiles);
/* Unmaps the pack or removes an unfinished one; after the world is freed. */
void pack_close(H *h);

/* load_exec's hooks. pack_mark before a load; pack_load_done after it
** loaded (recording). pack_replay returns 1 when the load was answered
** from the mapped pack (the world then holds exactly what the CSV load
** would have put there), 0 when the CSV must be read. */
void pack_mark(H *h, PackMark *m);
void pack_load_done(H *h, Node *s, const PackMark *m);
int pack_replay(H *h, Node *s);

/* The 64-bit checksum of a pack and its sources (XXH64-like, blocks of
** 1 MiB chained): fast, not cryptographic. */
uint64_t pack_hash(const void *p, size_t n, uint64_t seed);

#endif
