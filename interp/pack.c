/*
** pack.c: the packed world (docs/pack.md).
**
** What a pack holds. The program is run normally in a packed run (its
** declarations, lets, rules, scenarios, tests and Lua extensions are the
** program's, read from its files); only what each `load` statement brought
** into the world comes from the pack: the rows it appended to each table
** (the plain columns as they sit in memory, names and text as strings),
** the attribute columns it created or filled, the globals it declared (the
** names of loaded partners and commodities), its notes on skipped rows and
** the world's change counters after it. Then the dense indexes the rules
** built, with the index_version they were built at.
**
** File layout (all numbers in the writer's byte order; a pack from another
** byte order, word size or format version is refused):
**   header      PackHeader at offset 0, its own checksum last
**   arrays      each at a 64-byte aligned offset, as they are in memory
**   meta        a stream of u32/u64/strings describing the sources, the
**               loads and the indexes, with (offset, bytes, checksum) of
**               each array
** The header and the meta are checksummed and checked on every use; every
** array's checksum is recorded too but not recomputed on use (that would
** cost as much again as checksumming the sources, every run). Every offset
** and length is checked against the file's size before use, and the
** contents are checked before the world uses them (entity ids in range,
** date precisions and value tags known, index cells adding up, index rows
** in range), so a damaged or hostile pack gives an error, never a crash.
**
** A packed run maps the file MAP_PRIVATE: a scenario or test writing into
** a mapped column changes the process's copy, never the file. The arrays
** stay owned by the mapping: mem.c never frees them and copies one out
** before it grows (H.map_lo..map_hi).
**
** Checked means: the pack names every file the packing run read (the
** .hedge files, imported files, Lua extensions, the CSV files and code
** tables), each with its size and a checksum of all its bytes; a packed run
** reads and checksums them all again before it uses anything, and refuses
** the pack, naming the first file that differs, when one changed, moved or
** disappeared.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pack.h"
#include "prog.h"
#include "world.h"
#include "index.h"
#include "units.h"
#include "checksum.h"

#define PACK_MAGIC "HEDGEPK\x01"
#define PACK_FORMAT 2u   /* 2: the sources' checksums of checksum.c */
#define PACK_BYTEORDER 0x01020304u
#define PACK_ALIGN 64

typedef struct PackHeader {
  char magic[8];
  uint32_t format, byteorder;
  uint16_t sz_ptr, sz_value, sz_header, sz_long;
  char version[16];            /* HEDGE_VERSION of the writer */
  uint64_t file_size;
  uint64_t meta_off, meta_len, meta_hash;
  uint64_t header_hash;        /* of the bytes above */
} PackHeader;

/* ---- the checksum ---------------------------------------------------------------- */

#define P1 11400714785092886401ull
#define P2 14029467366897019727ull
#define P3 1609587929392839161ull
#define P4 9650029242287828579ull
#define P5 2870177450012600261ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t round64(uint64_t acc, uint64_t in) { acc += in * P2; acc = rotl(acc, 31); return acc * P1; }
static inline uint64_t merge64(uint64_t acc, uint64_t v) { acc ^= round64(0, v); return acc * P1 + P4; }

static uint64_t hash_block(const unsigned char *p, size_t n, uint64_t seed) {
  const unsigned char *end = p + n;
  uint64_t h;
  if (n >= 32) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    const unsigned char *lim = end - 32;
    do {
      v1 = round64(v1, rd64(p)); v2 = round64(v2, rd64(p + 8));
      v3 = round64(v3, rd64(p + 16)); v4 = round64(v4, rd64(p + 24));
      p += 32;
    } while (p <= lim);
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge64(h, v1); h = merge64(h, v2); h = merge64(h, v3); h = merge64(h, v4);
  } else h = seed + P5;
  h += (uint64_t)n;
  for (; p + 8 <= end; p += 8) h = rotl(h ^ round64(0, rd64(p)), 27) * P1 + P4;
  if (p + 4 <= end) { h = rotl(h ^ ((uint64_t)rd32(p) * P1), 23) * P2 + P3; p += 4; }
  for (; p < end; p++) h = rotl(h ^ (*p * P5), 11) * P1;
  h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
  return h;
}

#define HASH_BLOCK ((size_t)1 << 20)

/* Blocks of 1 MiB, each hashed with the previous block's hash as its seed:
** a file read in 1 MiB pieces gets the same checksum as the bytes at once. */
uint64_t pack_hash(const void *p, size_t n, uint64_t seed) {
  const unsigned char *s = p;
  uint64_t h = seed;
  do {
    size_t k = n < HASH_BLOCK ? n : HASH_BLOCK;
    h = hash_block(s, k, h);
    s += k;
    n -= k;
  } while (n);
  return h;
}

/* ---- the sources' checksums ------------------------------------------------------
** Every byte of every source is read and checksummed on every packed run
** (checksum.c). The work is cut into blocks of 1 MiB (CHECKSUM_BLOCK): a
** second thread and, once it has checked the pack's contents, the main
** thread take blocks in turn, so the two cores share it. Each block is
** read with pread into a buffer of 256 KiB that stays in the cache while
** it is hashed: a file cut short or grown while it is read is found
** changed (never a SIGBUS, as a mapping of it could give). The threads
** touch nothing of the state but the interrupt flag; they stop at the
** time limit or an interrupt, which the main thread then raises. */

#define SOURCE_READ ((size_t)1 << 18)

typedef struct Source1 {
  char path[PATH_MAX];
  uint64_t size, hash;           /* as packed */
  uint64_t got_size, got_hash;   /* as found now */
  int fd, err;                   /* err: an errno, or SOURCE_CHANGED */
  uint64_t first, nblocks;       /* its blocks: jobs [first, first + nblocks) */
} Source1;

#define SOURCE_CHANGED (-1)      /* cut short or grown while it was read */

typedef struct SourceCheck {
  uint32_t n;
  uint64_t njobs;
  atomic_uint_fast64_t next;     /* the next job to take */
  atomic_int stop;               /* the time limit or an interrupt: no more jobs */
  uint64_t deadline;             /* CLOCK_MONOTONIC ns (0: none) */
  atomic_int *interrupted;
  uint32_t *job_src;             /* job -> source */
  uint64_t *job_hash;
  int *job_err;
  Source1 *src;
} SourceCheck;

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads up to n bytes at off (fewer only at the end of the file). */
static ssize_t pread_full(int fd, unsigned char *buf, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* One block of a source: its hash, or an error in job_err. */
static void hash_job(SourceCheck *sc, uint64_t j, unsigned char *buf) {
  Source1 *x = &sc->src[sc->job_src[j]];
  uint64_t blk = j - x->first, off = blk * CHECKSUM_BLOCK;
  uint64_t len = x->got_size - off < CHECKSUM_BLOCK ? x->got_size - off : CHECKSUM_BLOCK;
  ChecksumBlock b;
  checksum_block_begin(&b, blk);
  uint64_t done = 0;
  for (;;) {
    size_t want = len - done < SOURCE_READ ? (size_t)(len - done) : SOURCE_READ;
    ssize_t got = pread_full(x->fd, buf, want, off + done);
    if (got < 0) { sc->job_err[j] = errno ? errno : EIO; return; }
    if ((size_t)got < want) { sc->job_err[j] = SOURCE_CHANGED; return; }
    done += want;
    if (done == len) { sc->job_hash[j] = checksum_block_end(&b, buf, want); break; }
    checksum_block_update(&b, buf, want);
    if (atomic_load(&sc->stop)) return;
  }
  /* the last block: nothing may follow the size the file had */
  if (blk + 1 == x->nblocks) {
    unsigned char one;
    ssize_t r;
    while ((r = pread(x->fd, &one, 1, (off_t)x->got_size)) < 0 && errno == EINTR) {}
    if (r != 0) sc->job_err[j] = r < 0 ? (errno ? errno : EIO) : SOURCE_CHANGED;
  }
}

/* Takes jobs until none is left (or a limit stops them all). */
static void *hash_jobs(void *ud) {
  SourceCheck *sc = ud;
  unsigned char *buf = malloc(SOURCE_READ);   /* not the state's memory: this thread's scratch */
  for (;;) {
    uint64_t j = atomic_fetch_add(&sc->next, 1);
    if (j >= sc->njobs) break;
    if (!buf) { sc->job_err[j] = ENOMEM; continue; }
    if (atomic_load(&sc->stop) || (sc->interrupted && atomic_load(sc->interrupted)) ||
        (sc->deadline && mono_ns() >= sc->deadline)) {
      atomic_store(&sc->stop, 1);
      break;
    }
    hash_job(sc, j, buf);
  }
  free(buf);
  return NULL;
}

/* Opens the sources and cuts them into jobs. packed: the sizes they were
** packed with are known, and a source of another size is changed without
** reading it. */
static void hash_prepare(H *h, struct Pack *pk, SourceCheck *sc, int packed);
static void *owned_alloc(H *h, struct Pack *pk, size_t n);

/* After every job: each source's checksum (or error); closes them. */
static void hash_finish(SourceCheck *sc) {
  for (uint32_t i = 0; i < sc->n; i++) {
    Source1 *x = &sc->src[i];
    if (x->fd >= 0) close(x->fd);
    x->fd = -1;
    if (x->err || !x->nblocks) continue;
    for (uint64_t j = x->first; j < x->first + x->nblocks; j++)
      if (sc->job_err[j]) { x->err = sc->job_err[j]; break; }
    if (!x->err) x->got_hash = checksum_combine(sc->job_hash + x->first, x->nblocks, x->got_size);
  }
}

/* The time limit or an interrupt stopped the jobs: raised with the
** evaluator's messages and statuses (eval.c, hx_step_check and
** hx_limit_error, which this layer cannot include). */
static void hash_stopped(H *h, SourceCheck *sc) {
  if (!atomic_load(&sc->stop)) return;
  h->fatal = 1;
  if (atomic_load(&h->interrupted)) hx_error_status(h, HEDGE_EINTERRUPT, (Loc){-1, 0, 0}, "interrupted");
  char b[32];
  snprintf(b, sizeof b, "%.3f", h->max_seconds);
  char *e = b + strlen(b) - 1;   /* "5 s", "0.5 s" */
  while (*e == '0') *e-- = 0;
  if (*e == '.') *e = 0;
  hx_error_status(h, HEDGE_ELIMIT, (Loc){-1, 0, 0}, "time limit of %s s reached", b);
}

/* ---- the state of a pack ---------------------------------------------------------- */

typedef struct PArr { const void *p; uint64_t bytes; } PArr;
typedef struct PCol { uint32_t name; int is_num; uint32_t dim; PArr data; } PCol;
typedef struct PTable {
  uint32_t n0, n1, ncols0;
  int has_names; PArr names;
  PArr a, b, c, value, date, year, prec, term;
  uint32_t ncols; PCol *cols;
} PTable;
typedef struct PStr { const char *s; uint32_t len; } PStr;
typedef struct PGlobal { uint32_t name, kind, row; } PGlobal;
typedef struct PNote { uint32_t file, loaded, n; uint32_t reason[8]; int64_t count[8]; } PNote;
typedef struct PLoad {
  int packed;
  PStr src, path; uint32_t line, col;
  uint64_t v0, iv0, v1, iv1;
  uint32_t nglob0, nnotes0;
  PTable t[K_NKINDS];
  uint32_t nstr; PStr *str;
  uint32_t nglob; PGlobal *glob;
  uint32_t nnotes; PNote *notes;
} PLoad;

struct Pack {
  /* writing */
  int writing;
  int fd;
  char *out, *tmp;             /* malloc'd paths */
  uint64_t off;                /* end of what is written */
  Buf meta;                    /* the loads' descriptions so far */
  uint32_t nloads_w;
  Buf files_w;                 /* the command line's files (realpaths), as meta */
  uint32_t nfiles_w;
  /* reading */
  char *path;                  /* malloc'd */
  unsigned char *map; size_t size;
  PLoad *loads; uint32_t nloads, next;
  uint64_t index_version;
  uint32_t nidx;
  IndexBlocks idx[16];
  /* allocations of the parsed meta, freed at close */
  VEC(struct Owned { void *p; size_t n; }) owned;
  /* the sources being checksummed (their files are open from hash_prepare
  ** to hash_finish; pack_close closes them after an error in between) */
  SourceCheck *sc;
};

static void *owned_alloc(H *h, struct Pack *pk, size_t n) {
  if (!n) n = 1;
  vec_reserve(h, &pk->owned, pk->owned.n + 1);
  void *p = mem_alloc(h, n);
  memset(p, 0, n);
  struct Owned o = {p, n};
  vec_push(h, &pk->owned, o);
  return p;
}

static void hash_prepare(H *h, struct Pack *pk, SourceCheck *sc, int packed) {
  uint64_t jobs = 0;
  for (uint32_t i = 0; i < sc->n; i++) {
    Source1 *x = &sc->src[i];
    x->err = 0; x->nblocks = 0; x->got_size = x->got_hash = 0;
    x->fd = open(x->path, O_RDONLY | O_CLOEXEC);
    if (x->fd < 0) { x->err = errno; continue; }
    struct stat st;
    if (fstat(x->fd, &st) != 0 || !S_ISREG(st.st_mode)) { x->err = EINVAL; continue; }
    x->got_size = (uint64_t)st.st_size;
    if (packed && x->got_size != x->size) continue;   /* changed: no need to read it */
    x->first = jobs;
    x->nblocks = x->got_size ? (x->got_size + CHECKSUM_BLOCK - 1) / CHECKSUM_BLOCK : 1;
    jobs += x->nblocks;
  }
  sc->njobs = jobs;
  sc->job_src = owned_alloc(h, pk, (size_t)jobs * sizeof *sc->job_src);
  sc->job_hash = owned_alloc(h, pk, (size_t)jobs * sizeof *sc->job_hash);
  sc->job_err = owned_alloc(h, pk, (size_t)jobs * sizeof *sc->job_err);
  for (uint32_t i = 0; i < sc->n; i++)
    for (uint64_t j = 0; j < sc->src[i].nblocks; j++) sc->job_src[sc->src[i].first + j] = i;
  atomic_init(&sc->next, 0);
  atomic_init(&sc->stop, 0);
  sc->deadline = h->deadline;
  sc->interrupted = &h->interrupted;
}

/* A SourceCheck of n sources (paths and packed sizes filled by the caller). */
static SourceCheck *source_check_new(H *h, struct Pack *pk, uint32_t n) {
  SourceCheck *sc = owned_alloc(h, pk, sizeof *sc);
  sc->src = owned_alloc(h, pk, (size_t)n * sizeof *sc->src);
  for (uint32_t i = 0; i < n; i++) sc->src[i].fd = -1;
  sc->n = n;
  pk->sc = sc;
  return sc;
}

void pack_close(H *h) {
  struct Pack *pk = h->pack;
  if (!pk) return;
  if (pk->writing) {
    if (pk->fd >= 0) close(pk->fd);
    if (pk->tmp) unlink(pk->tmp);
    buf_free(h, &pk->meta);
    buf_free(h, &pk->files_w);
  }
  if (pk->sc)
    for (uint32_t i = 0; i < pk->sc->n; i++)
      if (pk->sc->src[i].fd >= 0) close(pk->sc->src[i].fd);
  if (pk->map) munmap(pk->map, pk->size);
  h->map_lo = h->map_hi = NULL;
  for (uint32_t i = 0; i < pk->owned.n; i++) mem_free(h, pk->owned.p[i].p, pk->owned.p[i].n);
  vec_free(h, &pk->owned);
  free(pk->out); free(pk->tmp); free(pk->path);
  mem_free(h, pk, sizeof *pk);
  h->pack = NULL;
}

/* ---- writing ------------------------------------------------------------------ */

static void put(H *h, Buf *b, const void *p, size_t n) { if (n) buf_put(h, b, p, n); }
static void put_u32(H *h, Buf *b, uint32_t v) { put(h, b, &v, 4); }
static void put_u64(H *h, Buf *b, uint64_t v) { put(h, b, &v, 8); }
static void put_str(H *h, Buf *b, const char *s, size_t n) { put_u32(h, b, (uint32_t)n); put(h, b, s, n); }

_Noreturn static void pack_write_failed(H *h, struct Pack *pk, int err) {
  hx_error_at(h, (Loc){-1, 0, 0}, "cannot write the pack %s: %s", pk->tmp ? pk->tmp : "", strerror(err));
}

/* Writes n bytes at the end of the file, 64-byte aligned; records
** (offset, bytes, checksum) in the meta. */
static void put_arr(H *h, struct Pack *pk, Buf *m, const void *p, size_t n) {
  static const char zeros[PACK_ALIGN];
  uint64_t pad = (PACK_ALIGN - pk->off % PACK_ALIGN) % PACK_ALIGN;
  if (pad && write(pk->fd, zeros, pad) != (ssize_t)pad) pack_write_failed(h, pk, errno ? errno : EIO);
  pk->off += pad;
  uint64_t at = pk->off;
  const char *s = p;
  size_t left = n;
  while (left) {
    ssize_t w = write(pk->fd, s, left > (1u << 30) ? (1u << 30) : left);
    if (w < 0) { if (errno == EINTR) continue; pack_write_failed(h, pk, errno); }
    s += w;
    left -= (size_t)w;
  }
  pk->off += n;
  put_u64(h, m, n ? at : 0);
  put_u64(h, m, n);
  put_u64(h, m, n ? pack_hash(p, n, 0) : 0);
}

void pack_begin(H *h, const char *out, const char *const *files, int nfiles) {
  if (h->pack) hx_error_at(h, (Loc){-1, 0, 0}, "a pack is already in use by this state");
  if (h->prog->read.n) hx_error_at(h, (Loc){-1, 0, 0}, "a pack must be started before any file is loaded");
  struct Pack *pk = mem_alloc(h, sizeof *pk);
  memset(pk, 0, sizeof *pk);
  pk->fd = -1;
  pk->writing = 1;
  h->pack = pk;
  pk->out = strdup(out);
  size_t tl = strlen(out) + 32;
  pk->tmp = malloc(tl);
  if (!pk->out || !pk->tmp) hx_error_status(h, HEDGE_EMEMORY, (Loc){-1, 0, 0}, "out of memory");
  snprintf(pk->tmp, tl, "%s.tmp%ld", out, (long)getpid());
  pk->fd = open(pk->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (pk->fd < 0) {
    int e = errno;
    free(pk->tmp);
    pk->tmp = NULL;
    hx_error_at(h, (Loc){-1, 0, 0}, "cannot write the pack %s: %s", out, strerror(e));
  }
  PackHeader hd;
  memset(&hd, 0, sizeof hd);
  if (write(pk->fd, &hd, sizeof hd) != (ssize_t)sizeof hd) pack_write_failed(h, pk, errno ? errno : EIO);
  pk->off = sizeof hd;
  for (int i = 0; i < nfiles; i++) {
    char *real = realpath(files[i], NULL);
    const char *p = real ? real : files[i];
    put_str(h, &pk->files_w, p, strlen(p));
    free(real);
    pk->nfiles_w++;
  }
}

void pack_mark(H *h, PackMark *m) {
  World *w = h->world;
  memset(m, 0, sizeof *m);
  for (int k = 0; k < K_NKINDS; k++) { m->n[k] = w->t[k].n; m->ncols[k] = w->t[k].cols.n; }
  m->nglobals = h->prog->globals.n;
  m->nnotes = h->prog->load_notes.n;
  m->version = w->version;
  m->index_version = w->index_version;
}

/* The realpath of the file a statement is in (or its name). */
static void source_path(H *h, Loc loc, char *out, size_t n) {
  const char *name = loc.src >= 0 && (uint32_t)loc.src < h->sources.n ? h->sources.p[loc.src]->name : "";
  char real[PATH_MAX];
  snprintf(out, n, "%s", realpath(name, real) ? real : name);
}

/* Interned strings of one load, numbered as met. */
typedef struct StrIds { HStr **s; uint32_t n, cap; uint32_t *slot; uint32_t scap; } StrIds;

static uint32_t str_id(H *h, StrIds *t, HStr *s) {
  if (t->n * 2 >= t->scap) {
    uint32_t cap = t->scap ? t->scap * 2 : 1024;
    uint32_t *sl = mem_alloc(h, (size_t)cap * sizeof *sl);
    memset(sl, 0xff, (size_t)cap * sizeof *sl);
    for (uint32_t i = 0; i < t->n; i++) {
      uint32_t j = t->s[i]->hash & (cap - 1);
      while (sl[j] != UINT32_MAX) j = (j + 1) & (cap - 1);
      sl[j] = i;
    }
    mem_free(h, t->slot, (size_t)t->scap * sizeof *t->slot);
    t->slot = sl;
    t->scap = cap;
  }
  uint32_t j = s->hash & (t->scap - 1);
  for (;; j = (j + 1) & (t->scap - 1)) {
    uint32_t i = t->slot[j];
    if (i == UINT32_MAX) break;
    if (t->s[i] == s) return i;
  }
  if (t->n == t->cap) {
    uint32_t cap = t->cap ? t->cap * 2 : 64;
    t->s = mem_realloc(h, t->s, (size_t)t->cap * sizeof *t->s, (size_t)cap * sizeof *t->s);
    t->cap = cap;
  }
  t->slot[j] = t->n;
  t->s[t->n] = s;
  return t->n++;
}

/* A value of a text column as 16 plain bytes: a string becomes its id. */
static int value_plain(H *h, StrIds *ids, Value v, Value *out) {
  *out = v;
  switch (v.tag) {
    case T_NIL: case T_BOOL: case T_NUM: case T_QTY: case T_DATE: case T_ENT: return 1;
    case T_STR: {
      HStr *s = v.as.str;
      if (mem_intern_find(h, s->s, s->len) != s) s = mem_intern(h, s->s, s->len);
      uint64_t id = str_id(h, ids, s);
      memset(&out->as, 0, sizeof out->as);
      memcpy(&out->as, &id, sizeof id);
      return 1;
    }
    default: return 0;   /* lists, records, functions: not packed */
  }
}

/* Can the load's delta be packed (every text column holds plain values)? */
static int packable(H *h, const PackMark *m) {
  World *w = h->world;
  for (int k = 0; k < K_NKINDS; k++) {
    Table *t = &w->t[k];
    if (t->n < m->n[k] || t->cols.n < m->ncols[k]) return 0;
    if (t->dropped) for (uint32_t r = m->n[k]; r < t->n; r++) if (t->dropped[r]) return 0;
    for (uint32_t c = 0; c < t->cols.n; c++) {
      Column *col = &t->cols.p[c];
      if (col->is_num) continue;
      for (uint32_t r = m->n[k]; r < t->n; r++) {
        uint8_t tag = col->vals[r].tag;
        if (tag == T_LIST || tag == T_REC || tag == T_FUNC || tag == T_COLL) return 0;
      }
    }
  }
  return 1;
}

void pack_load_done(H *h, Node *s, const PackMark *m) {
  struct Pack *pk = h->pack;
  if (!pk || !pk->writing) return;
  World *w = h->world;
  Program *pr = h->prog;
  Buf *b = &pk->meta;
  /* ISO 3166 comes from a system file that is no source of the program:
  ** such a load reads it again in a packed run */
  int ok = !(s->u.load.opt && s->u.load.opt->preset == LP_ISO3166) && packable(h, m);
  put_u32(h, b, (uint32_t)ok);
  char src[PATH_MAX];
  source_path(h, s->loc, src, sizeof src);
  put_str(h, b, src, strlen(src));
  put_u32(h, b, (uint32_t)s->loc.line);
  put_u32(h, b, (uint32_t)s->loc.col);
  HStr *path = s->u.load.path;
  put_str(h, b, path ? path->s : "", path ? path->len : 0);
  put_u64(h, b, m->version); put_u64(h, b, m->index_version);
  put_u64(h, b, w->version); put_u64(h, b, w->index_version);
  put_u32(h, b, m->nglobals); put_u32(h, b, m->nnotes);
  for (int k = 0; k < K_NKINDS; k++) { put_u32(h, b, m->n[k]); put_u32(h, b, w->t[k].n); put_u32(h, b, m->ncols[k]); }
  pk->nloads_w++;
  if (!ok) return;
  /* the strings: names, text cells, globals, notes */
  StrIds ids;
  memset(&ids, 0, sizeof ids);
  ArenaMark am = arena_mark(&h->temp);
  Buf body = {0};
  for (int k = 0; k < K_NKINDS; k++) {
    Table *t = &w->t[k];
    uint32_t n0 = m->n[k], rows = t->n - n0;
    int kd = k == K_DEAL || k == K_LOAN;
    put_u32(h, &body, t->names != NULL);
    if (t->names) {
      uint32_t *nm = mem_alloc(h, (size_t)(rows ? rows : 1) * 4);
      for (uint32_t r = 0; r < rows; r++) nm[r] = t->names[n0 + r] ? str_id(h, &ids, t->names[n0 + r]) : UINT32_MAX;
      put_arr(h, pk, &body, nm, (size_t)rows * 4);
      mem_free(h, nm, (size_t)(rows ? rows : 1) * 4);
    }
    /* the rows [n0, n) of an array (an empty table may have none) */
#define ROWS(p) ((p) && rows ? (const void *)((p) + n0) : NULL)
    if (kd) {
      put_arr(h, pk, &body, ROWS(t->a), (size_t)rows * 4);
      put_arr(h, pk, &body, ROWS(t->b), (size_t)rows * 4);
      if (k == K_DEAL) put_arr(h, pk, &body, ROWS(t->c), (size_t)rows * 4);
      else put_arr(h, pk, &body, ROWS(t->term), (size_t)rows * 8);
      put_arr(h, pk, &body, ROWS(t->value), (size_t)rows * 8);
      put_arr(h, pk, &body, ROWS(t->date), (size_t)rows * 4);
      put_arr(h, pk, &body, ROWS(t->year), (size_t)rows * 4);
      put_arr(h, pk, &body, ROWS(t->prec), (size_t)rows);
    }
    put_u32(h, &body, t->cols.n);
    for (uint32_t c = 0; c < t->cols.n; c++) {
      Column *col = &t->cols.p[c];
      put_u32(h, &body, str_id(h, &ids, col->name));
      put_u32(h, &body, (uint32_t)col->is_num);
      put_u32(h, &body, (uint32_t)col->dim);
      if (col->is_num) put_arr(h, pk, &body, ROWS(col->nums), (size_t)rows * 8);
      else {
        Value *v = mem_alloc(h, (size_t)(rows ? rows : 1) * sizeof(Value));
        for (uint32_t r = 0; r < rows; r++) value_plain(h, &ids, col->vals[n0 + r], &v[r]);
        put_arr(h, pk, &body, v, (size_t)rows * sizeof(Value));
        mem_free(h, v, (size_t)(rows ? rows : 1) * sizeof(Value));
      }
    }
#undef ROWS
  }
  put_u32(h, &body, pr->globals.n - m->nglobals);
  for (uint32_t i = m->nglobals; i < pr->globals.n; i++) {
    Global *g = pr->globals.p[i];
    put_u32(h, &body, str_id(h, &ids, g->name));
    put_u32(h, &body, g->value.kind);
    put_u32(h, &body, (uint32_t)g->value.i);
  }
  put_u32(h, &body, pr->load_notes.n - m->nnotes);
  for (uint32_t i = m->nnotes; i < pr->load_notes.n; i++) {
    LoadNote *nt = &pr->load_notes.p[i];
    put_u32(h, &body, str_id(h, &ids, nt->file));
    put_u32(h, &body, nt->loaded);
    put_u32(h, &body, (uint32_t)nt->n);
    for (int j = 0; j < nt->n && j < 8; j++) {
      put_u32(h, &body, str_id(h, &ids, nt->reason[j]));
      put_u64(h, &body, (uint64_t)nt->count[j]);
    }
  }
  /* strings first, then the body that numbers them */
  put_u32(h, b, ids.n);
  for (uint32_t i = 0; i < ids.n; i++) put_str(h, b, ids.s[i]->s, ids.s[i]->len);
  put(h, b, body.p, body.n);
  buf_free(h, &body);
  mem_free(h, ids.s, (size_t)ids.cap * sizeof *ids.s);
  mem_free(h, ids.slot, (size_t)ids.scap * sizeof *ids.slot);
  arena_release(h, &h->temp, am);
}

void pack_finish(H *h) {
  struct Pack *pk = h->pack;
  if (!pk || !pk->writing) hx_error_at(h, (Loc){-1, 0, 0}, "no pack is being written");
  Program *pr = h->prog;
  Buf meta = {0};
  /* the files of the command line */
  put_u32(h, &meta, pk->nfiles_w);
  put(h, &meta, pk->files_w.p, pk->files_w.n);
  /* the sources and their checksums */
  SourceCheck *sc = source_check_new(h, pk, pr->read.n);
  for (uint32_t i = 0; i < pr->read.n; i++) {
    char real[PATH_MAX];
    const char *p = realpath(pr->read.p[i]->s, real) ? real : pr->read.p[i]->s;
    snprintf(sc->src[i].path, sizeof sc->src[i].path, "%s", p);
  }
  hash_prepare(h, pk, sc, 0);
  hash_jobs(sc);
  hash_finish(sc);
  hash_stopped(h, sc);
  put_u32(h, &meta, pr->read.n);
  for (uint32_t i = 0; i < pr->read.n; i++) {
    Source1 *x = &sc->src[i];
    if (x->err)
      hx_error_at(h, (Loc){-1, 0, 0}, "cannot read %s to checksum it: %s", x->path,
                  x->err == SOURCE_CHANGED ? "it changed while it was read" : strerror(x->err));
    put_str(h, &meta, x->path, strlen(x->path));
    put_u64(h, &meta, x->got_size);
    put_u64(h, &meta, x->got_hash);
  }
  put_u32(h, &meta, pk->nloads_w);
  put(h, &meta, pk->meta.p, pk->meta.n);
  /* the indexes */
  put_u64(h, &meta, h->world->index_version);
  IndexBlocks bl[16];
  uint32_t n = 0;
  for (int mask = 0; mask < 16; mask++) if (index_export(h, mask, &bl[n])) n++;
  put_u32(h, &meta, n);
  for (uint32_t i = 0; i < n; i++) {
    put_u32(h, &meta, (uint32_t)bl[i].mask);
    put_arr(h, pk, &meta, bl[i].head, bl[i].head_size);
    for (int j = 0; j < 3; j++) put_arr(h, pk, &meta, bl[i].arr[j], bl[i].arr[j] ? bl[i].bytes[j] : 0);
  }
  /* the meta, then the header */
  uint64_t pad = (8 - pk->off % 8) % 8;
  static const char zeros[8];
  if (pad && write(pk->fd, zeros, pad) != (ssize_t)pad) pack_write_failed(h, pk, errno ? errno : EIO);
  pk->off += pad;
  PackHeader hd;
  memset(&hd, 0, sizeof hd);
  memcpy(hd.magic, PACK_MAGIC, 8);
  hd.format = PACK_FORMAT;
  hd.byteorder = PACK_BYTEORDER;
  hd.sz_ptr = sizeof(void *); hd.sz_value = sizeof(Value); hd.sz_header = sizeof(PackHeader); hd.sz_long = sizeof(long);
  snprintf(hd.version, sizeof hd.version, "%s", HEDGE_VERSION);
  hd.meta_off = pk->off;
  hd.meta_len = meta.n;
  hd.meta_hash = pack_hash(meta.p, meta.n, 0);
  const char *mp = meta.p;
  size_t left = meta.n;
  while (left) {
    ssize_t wr = write(pk->fd, mp, left);
    if (wr < 0) { if (errno == EINTR) continue; buf_free(h, &meta); pack_write_failed(h, pk, errno); }
    mp += wr;
    left -= (size_t)wr;
  }
  pk->off += meta.n;
  buf_free(h, &meta);
  hd.file_size = pk->off;
  hd.header_hash = pack_hash(&hd, offsetof(PackHeader, header_hash), 0);
  if (pwrite(pk->fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd) pack_write_failed(h, pk, errno ? errno : EIO);
  if (fsync(pk->fd) != 0 && errno != EINVAL) pack_write_failed(h, pk, errno);
  if (close(pk->fd) != 0) { pk->fd = -1; pack_write_failed(h, pk, errno); }
  pk->fd = -1;
  if (rename(pk->tmp, pk->out) != 0) pack_write_failed(h, pk, errno);
  free(pk->tmp);
  pk->tmp = NULL;
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct Rd { const unsigned char *p, *end; int bad; } Rd;

static uint32_t get_u32(Rd *r) {
  if (r->end - r->p < 4) { r->bad = 1; r->p = r->end; return 0; }
  uint32_t v; memcpy(&v, r->p, 4); r->p += 4; return v;
}
static uint64_t get_u64(Rd *r) {
  if (r->end - r->p < 8) { r->bad = 1; r->p = r->end; return 0; }
  uint64_t v; memcpy(&v, r->p, 8); r->p += 8; return v;
}
static PStr get_str(Rd *r) {
  PStr s = {"", 0};
  uint32_t n = get_u32(r);
  if ((uint64_t)(r->end - r->p) < n) { r->bad = 1; r->p = r->end; return s; }
  s.s = (const char *)r->p; s.len = n;
  r->p += n;
  return s;
}
/* A count of items of at least `each` bytes: at most what is left. */
static uint32_t get_count(Rd *r, size_t each) {
  uint32_t n = get_u32(r);
  if ((uint64_t)n * each > (uint64_t)(r->end - r->p)) { r->bad = 1; return 0; }
  return n;
}

_Noreturn static void pack_damaged(H *h, const char *path, const char *why) {
  hx_error_at(h, (Loc){-1, 0, 0}, "%s is not a usable pack: %s (hedge pack FILE.hedge -o %s writes it again)", path, why, path);
}

/* An array reference, checked: inside the file, aligned. Its checksum (in
** the file since format 1) is not recomputed on use: that would cost as
** much again as checksumming the sources, on every run, and what a damaged
** array could do is caught by the content checks (entity ids, dates,
** value tags, index cells) before anything reads it. */
static PArr get_arr(H *h, struct Pack *pk, Rd *r, size_t align) {
  PArr a = {NULL, 0};
  uint64_t off = get_u64(r), n = get_u64(r), sum = get_u64(r);
  if (r->bad) return a;
  if (!n) { a.p = pk->map; return a; }
  if (off < sizeof(PackHeader) || off > pk->size || n > pk->size - off || off % align)
    pack_damaged(h, pk->path, "an array lies outside the file");
  (void)sum;
  a.p = pk->map + off;
  a.bytes = n;
  return a;
}

static int pstr_eq(PStr a, const char *s) { return strlen(s) == a.len && !memcmp(a.s, s, a.len); }

typedef struct ParseCtx { struct Pack *pk; Rd *r; } ParseCtx;
static void parse_rest(H *h, void *ud);
static void check_load(H *h, struct Pack *pk, const PLoad *L);

static void parse_meta(H *h, struct Pack *pk, Rd *r, const char *const *files, int nfiles) {
  /* the command line's files */
  uint32_t nf = get_count(r, 4);
  int same = (int)nf == nfiles;
  for (uint32_t i = 0; i < nf; i++) {
    PStr p = get_str(r);
    if (same && (int)i < nfiles) {
      char real[PATH_MAX];
      const char *x = realpath(files[i], real) ? real : files[i];
      if (!pstr_eq(p, x)) same = 0;
    }
  }
  if (r->bad) pack_damaged(h, pk->path, "its description is cut short");
  if (!same) {
    hx_error_at(h, (Loc){-1, 0, 0}, "%s was packed from other files than the ones given (hedge pack FILE.hedge -o %s packs these)", pk->path, pk->path);
  }
  /* the sources: every one must be as it was. Their checksums are
  ** computed by another thread while this one checks the pack's own */
  uint32_t ns = get_count(r, 20);
  SourceCheck *sc = source_check_new(h, pk, ns);
  for (uint32_t i = 0; i < ns && !r->bad; i++) {
    PStr p = get_str(r);
    sc->src[i].size = get_u64(r);
    sc->src[i].hash = get_u64(r);
    snprintf(sc->src[i].path, sizeof sc->src[i].path, "%.*s", (int)p.len, p.s);
  }
  if (r->bad) pack_damaged(h, pk->path, "its description is cut short");
  hash_prepare(h, pk, sc, 1);
  pthread_t th;
  int threaded = sc->njobs > 1 && pthread_create(&th, NULL, hash_jobs, sc) == 0;
  ParseCtx pc = {pk, r};
  int st = hx_pcall(h, parse_rest, &pc);
  hash_jobs(sc);   /* this thread takes the jobs still left */
  if (threaded) pthread_join(th, NULL);
  hash_finish(sc);
  hash_stopped(h, sc);
  /* a stale source is the first thing to say: the pack is then stale,
  ** whatever else is wrong with it */
  for (uint32_t i = 0; i < ns; i++) {
    Source1 *x = &sc->src[i];
    if (x->err && x->err != SOURCE_CHANGED)
      hx_error_at(h, (Loc){-1, 0, 0}, "%s is stale: %s, which it was packed from, cannot be read (%s); pack again: hedge pack FILE.hedge -o %s",
                  pk->path, x->path, strerror(x->err), pk->path);
    if (x->err || x->got_size != x->size || x->got_hash != x->hash)
      hx_error_at(h, (Loc){-1, 0, 0}, "%s is stale: %s changed since it was packed (%s); pack again: hedge pack FILE.hedge -o %s",
                  pk->path, x->path, x->got_size != x->size || x->err ? "its size differs" : "its checksum differs", pk->path);
  }
  if (st != HEDGE_OK) hx_throw(h, st);
}

/* The loads and the indexes of the description (after the sources). */
static void parse_rest(H *h, void *ud) {
  ParseCtx *pc = ud;
  struct Pack *pk = pc->pk;
  Rd *r = pc->r;
  /* the loads */
  uint32_t nl = get_count(r, 40);
  pk->loads = owned_alloc(h, pk, (size_t)nl * sizeof(PLoad));
  pk->nloads = nl;
  for (uint32_t i = 0; i < nl && !r->bad; i++) {
    PLoad *L = &pk->loads[i];
    L->packed = get_u32(r) == 1;
    L->src = get_str(r);
    L->line = get_u32(r); L->col = get_u32(r);
    L->path = get_str(r);
    L->v0 = get_u64(r); L->iv0 = get_u64(r); L->v1 = get_u64(r); L->iv1 = get_u64(r);
    L->nglob0 = get_u32(r); L->nnotes0 = get_u32(r);
    for (int k = 0; k < K_NKINDS; k++) { L->t[k].n0 = get_u32(r); L->t[k].n1 = get_u32(r); L->t[k].ncols0 = get_u32(r); }
    if (!L->packed) continue;
    L->nstr = get_count(r, 4);
    L->str = owned_alloc(h, pk, (size_t)L->nstr * sizeof(PStr));
    for (uint32_t j = 0; j < L->nstr; j++) L->str[j] = get_str(r);
    for (int k = 0; k < K_NKINDS && !r->bad; k++) {
      PTable *t = &L->t[k];
      if (t->n1 < t->n0) pack_damaged(h, pk->path, "a table shrinks");
      uint64_t rows = t->n1 - t->n0;
      t->has_names = get_u32(r) == 1;
      if (t->has_names) t->names = get_arr(h, pk, r, 4);
      if (k == K_DEAL || k == K_LOAN) {
        t->a = get_arr(h, pk, r, 4); t->b = get_arr(h, pk, r, 4);
        if (k == K_DEAL) t->c = get_arr(h, pk, r, 4); else t->term = get_arr(h, pk, r, 8);
        t->value = get_arr(h, pk, r, 8); t->date = get_arr(h, pk, r, 4);
        t->year = get_arr(h, pk, r, 4); t->prec = get_arr(h, pk, r, 1);
        if (t->a.bytes != rows * 4 || t->b.bytes != rows * 4 || t->value.bytes != rows * 8 || t->date.bytes != rows * 4 ||
            t->year.bytes != rows * 4 || t->prec.bytes != rows || (k == K_DEAL ? t->c.bytes != rows * 4 : t->term.bytes != rows * 8))
          pack_damaged(h, pk->path, "a column's length is not its table's");
      }
      if (t->has_names && t->names.bytes != rows * 4) pack_damaged(h, pk->path, "a column's length is not its table's");
      t->ncols = get_count(r, 36);
      if (t->ncols > HX_MAX_COLUMNS) pack_damaged(h, pk->path, "too many columns");
      t->cols = owned_alloc(h, pk, (size_t)t->ncols * sizeof(PCol));
      for (uint32_t c = 0; c < t->ncols; c++) {
        PCol *col = &t->cols[c];
        col->name = get_u32(r);
        col->is_num = get_u32(r) == 1;
        col->dim = get_u32(r);
        col->data = get_arr(h, pk, r, 8);
        if (col->name >= L->nstr || col->data.bytes != rows * (col->is_num ? 8 : sizeof(Value)))
          pack_damaged(h, pk->path, "a column is not what its table says");
      }
    }
    L->nglob = get_count(r, 12);
    L->glob = owned_alloc(h, pk, (size_t)L->nglob * sizeof(PGlobal));
    for (uint32_t j = 0; j < L->nglob; j++) { L->glob[j].name = get_u32(r); L->glob[j].kind = get_u32(r); L->glob[j].row = get_u32(r); }
    L->nnotes = get_count(r, 12);
    L->notes = owned_alloc(h, pk, (size_t)L->nnotes * sizeof(PNote));
    for (uint32_t j = 0; j < L->nnotes; j++) {
      PNote *nt = &L->notes[j];
      nt->file = get_u32(r); nt->loaded = get_u32(r); nt->n = get_u32(r);
      if (nt->n > 8) { r->bad = 1; break; }
      for (uint32_t q = 0; q < nt->n; q++) { nt->reason[q] = get_u32(r); nt->count[q] = (int64_t)get_u64(r); }
    }
  }
  if (r->bad) pack_damaged(h, pk->path, "its description is cut short");
  /* the indexes */
  pk->index_version = get_u64(r);
  uint32_t ni = get_count(r, 4 + 4 * 24);
  if (ni > 16) pack_damaged(h, pk->path, "too many indexes");
  for (uint32_t i = 0; i < ni && !r->bad; i++) {
    IndexBlocks *b = &pk->idx[i];
    memset(b, 0, sizeof *b);
    b->mask = (int)get_u32(r);
    PArr hd = get_arr(h, pk, r, 8);
    b->head = hd.p; b->head_size = hd.bytes;
    for (int j = 0; j < 3; j++) {
      PArr a = get_arr(h, pk, r, 8);
      b->arr[j] = a.bytes ? a.p : NULL;
      b->bytes[j] = a.bytes;
    }
  }
  pk->nidx = ni;
  if (r->bad) pack_damaged(h, pk->path, "its description is cut short");
  /* the contents, checked now (while the sources' checksums are computed
  ** by the other thread) rather than when each load replays */
  for (uint32_t i = 0; i < pk->nloads; i++)
    if (pk->loads[i].packed) check_load(h, pk, &pk->loads[i]);
  /* the indexes' contents are checked when a query first reads rows
  ** through them (index.c, contents_checked), their shape when taken */
}

void pack_use(H *h, const char *path, const char *const *files, int nfiles) {
  if (h->pack) hx_error_at(h, (Loc){-1, 0, 0}, "a pack is already in use by this state");
  if (h->prog->read.n) hx_error_at(h, (Loc){-1, 0, 0}, "a pack must be given before any file is loaded");
  struct Pack *pk = mem_alloc(h, sizeof *pk);
  memset(pk, 0, sizeof *pk);
  pk->fd = -1;
  h->pack = pk;
  pk->path = strdup(path);
  if (!pk->path) hx_error_status(h, HEDGE_EMEMORY, (Loc){-1, 0, 0}, "out of memory");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) hx_error_at(h, (Loc){-1, 0, 0}, "cannot open the pack %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); hx_error_at(h, (Loc){-1, 0, 0}, "the pack %s is not a regular file", path); }
  if ((uint64_t)st.st_size < sizeof(PackHeader)) { close(fd); pack_damaged(h, path, "it is too short to be a pack"); }
  /* MAP_PRIVATE: writes (scenarios, tests) go to this process's copy of a
  ** page, never to the file. Mapped read-only with its pages populated
  ** (no fault per page), then made writable: a write copies its page. */
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) hx_error_at(h, (Loc){-1, 0, 0}, "cannot map the pack %s: %s", path, strerror(errno));
  if (mprotect(m, (size_t)st.st_size, PROT_READ | PROT_WRITE) != 0) {
    munmap(m, (size_t)st.st_size);
    hx_error_at(h, (Loc){-1, 0, 0}, "cannot map the pack %s: %s", path, strerror(errno));
  }
  pk->map = m;
  pk->size = (size_t)st.st_size;
  PackHeader hd;
  memcpy(&hd, pk->map, sizeof hd);
  if (memcmp(hd.magic, PACK_MAGIC, 8)) pack_damaged(h, path, "it is not a hedge pack");
  if (hd.byteorder != PACK_BYTEORDER || hd.sz_ptr != sizeof(void *) || hd.sz_value != sizeof(Value) ||
      hd.sz_long != sizeof(long) || hd.sz_header != sizeof(PackHeader))
    pack_damaged(h, path, "it was written on another kind of machine (byte order or word size)");
  if (hd.format != PACK_FORMAT) {
    char why[128];
    snprintf(why, sizeof why, "it has format %u, this hedge reads format %u", hd.format, PACK_FORMAT);
    pack_damaged(h, path, why);
  }
  if (pack_hash(&hd, offsetof(PackHeader, header_hash), 0) != hd.header_hash) pack_damaged(h, path, "its header's checksum is wrong");
  if (strncmp(hd.version, HEDGE_VERSION, sizeof hd.version)) {
    char why[128];
    snprintf(why, sizeof why, "it was written by hedge %.16s, this is hedge %s", hd.version, HEDGE_VERSION);
    pack_damaged(h, path, why);
  }
  if (hd.file_size != pk->size) pack_damaged(h, path, "its size is not the size it was written with (cut short or appended to)");
  if (hd.meta_off < sizeof hd || hd.meta_off > pk->size || hd.meta_len > pk->size - hd.meta_off)
    pack_damaged(h, path, "its description lies outside the file");
  if (pack_hash(pk->map + hd.meta_off, (size_t)hd.meta_len, 0) != hd.meta_hash) pack_damaged(h, path, "its description's checksum is wrong");
  Rd r = {pk->map + hd.meta_off, pk->map + hd.meta_off + hd.meta_len, 0};
  parse_meta(h, pk, &r, files, nfiles);
  /* from here on the mapped arrays belong to the world */
  h->map_lo = (const char *)pk->map;
  h->map_hi = (const char *)pk->map + pk->size;
}

/* ---- replaying a load ------------------------------------------------------------ */

/* The world must be exactly as it was before the packed load. */
static int same_before(H *h, const PLoad *L) {
  World *w = h->world;
  if (w->version != L->v0 || w->index_version != L->iv0) return 0;
  if (h->prog->globals.n != L->nglob0 || h->prog->load_notes.n != L->nnotes0) return 0;
  for (int k = 0; k < K_NKINDS; k++)
    if (w->t[k].n != L->t[k].n0 || w->t[k].cols.n != L->t[k].ncols0) return 0;
  return 1;
}

/* The largest of n ids (0 for none), in blocks of 16 whose maxima the
** compiler keeps in vector registers (a loop of unknown length it would
** not vectorise at -O2): a packed check reads three million ids at 1M
** deals here. */
static uint32_t max_u32(const uint32_t *p, uint64_t n) {
  uint32_t top16[16] = {0}, top = 0;
  uint64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint32_t *q = p + i;
    for (int j = 0; j < 16; j++) top16[j] = q[j] > top16[j] ? q[j] : top16[j];
  }
  for (int j = 0; j < 16; j++) top = top16[j] > top ? top16[j] : top;
  for (; i < n; i++) top = p[i] > top ? p[i] : top;
  return top;
}

static uint8_t max_u8(const uint8_t *p, uint64_t n) {
  uint8_t top16[16] = {0}, top = 0;
  uint64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const uint8_t *q = p + i;
    for (int j = 0; j < 16; j++) top16[j] = q[j] > top16[j] ? q[j] : top16[j];
  }
  for (int j = 0; j < 16; j++) top = top16[j] > top ? top16[j] : top;
  for (; i < n; i++) top = p[i] > top ? p[i] : top;
  return top;
}

static int ids_below(const uint32_t *p, uint64_t n, uint32_t limit) { return !n || max_u32(p, n) < limit; }

static HStr *pstr_intern(H *h, const PLoad *L, uint32_t id) { return mem_intern(h, L->str[id].s, L->str[id].len); }

/* Every check a table's rows need before anything of them enters the world. */
static void check_rows(H *h, struct Pack *pk, const PLoad *L, int k, const uint32_t nafter[K_NKINDS]) {
  const PTable *t = &L->t[k];
  uint64_t rows = t->n1 - t->n0;
  const char *why = NULL;
  if (t->has_names) {
    const uint32_t *nm = t->names.p;
    for (uint64_t r = 0; r < rows && !why; r++) if (nm[r] != UINT32_MAX && nm[r] >= L->nstr) why = "a name is not among its strings";
  }
  if (!why && (k == K_DEAL || k == K_LOAN)) {
    uint32_t np = nafter[K_PARTNER], nc = nafter[K_COMMODITY];
    if (!ids_below(t->a.p, rows, np) || !ids_below(t->b.p, rows, np) || (k == K_DEAL && !ids_below(t->c.p, rows, nc)))
      why = "a deal or loan names a partner or commodity that does not exist";
    /* a precision names a date format; a year outside the years of the
    ** rows is impossible (the indexes take the range from the rows) */
    if (max_u8(t->prec.p, rows) > DATE_YEAR) why = "a date is malformed";
  }
  for (uint32_t c = 0; c < t->ncols && !why; c++) {
    const PCol *col = &t->cols[c];
    if (col->is_num && col->dim && col->dim >= h->units->dims.n) why = "a column's unit is unknown";
    if (col->is_num || why) continue;
    const Value *v = col->data.p;
    for (uint64_t r = 0; r < rows && !why; r++) {
      switch (v[r].tag) {
        case T_NIL: case T_BOOL: case T_NUM: break;
        case T_QTY: if (!v[r].dim || v[r].dim >= h->units->dims.n) why = "a value's unit is unknown"; break;
        case T_DATE: if (v[r].kind > DATE_YEAR) why = "a date is malformed"; break;
        case T_ENT: if (v[r].kind >= K_NKINDS || v[r].i < 0 || (uint32_t)v[r].i >= nafter[v[r].kind]) why = "an entity does not exist"; break;
        case T_STR: { uint64_t id; memcpy(&id, &v[r].as, 8); if (id >= L->nstr) why = "a string is not among its strings"; break; }
        default: why = "a value has an unknown type";
      }
    }
  }
  if (why) pack_damaged(h, pk->path, why);
}

/* Every check a packed load's contents need, before anything of it is
** used: its rows, its declared names, its notes. */
static void check_load(H *h, struct Pack *pk, const PLoad *L) {
  uint32_t nafter[K_NKINDS];
  for (int k = 0; k < K_NKINDS; k++) nafter[k] = L->t[k].n1;
  for (int k = 0; k < K_NKINDS; k++) check_rows(h, pk, L, k, nafter);
  for (uint32_t j = 0; j < L->nglob; j++) {
    const PGlobal *g = &L->glob[j];
    if (g->name >= L->nstr || g->kind >= K_NKINDS || g->row >= nafter[g->kind]) pack_damaged(h, pk->path, "a declared name is malformed");
  }
  for (uint32_t j = 0; j < L->nnotes; j++) {
    const PNote *nt = &L->notes[j];
    if (nt->file >= L->nstr) pack_damaged(h, pk->path, "a note is malformed");
    for (uint32_t q = 0; q < nt->n; q++) if (nt->reason[q] >= L->nstr) pack_damaged(h, pk->path, "a note is malformed");
  }
}

static Value plain_value(H *h, const PLoad *L, Value v) {
  if (v.tag == T_STR) {
    uint64_t id;
    memcpy(&id, &v.as, 8);
    return v_str(pstr_intern(h, L, (uint32_t)id));
  }
  return v;
}


/* pack_load_done and replay_table name every per-row array of a Table and
** every field of a Column: a new one must be written and replayed there too
** (and PACK_FORMAT bumped), or a packed world would lack it. These
** assertions make such a change stop here first (on 64-bit machines). */
_Static_assert(sizeof(void *) != 8 || sizeof(Table) == 112, "Table changed: pack.c must write and replay the new per-row array; bump PACK_FORMAT");
_Static_assert(sizeof(void *) != 8 || sizeof(Column) == 40, "Column changed: pack.c must write and replay the new field; bump PACK_FORMAT");

static void replay_table(H *h, const PLoad *L, int k) {
  World *w = h->world;
  Table *t = &w->t[k];
  const PTable *p = &L->t[k];
  uint32_t n0 = p->n0, rows = p->n1 - p->n0;
  int kd = k == K_DEAL || k == K_LOAN;
  /* the columns this load found must be the world's */
  for (uint32_t c = 0; c < p->ncols0 && c < p->ncols; c++) {
    HStr *nm = pstr_intern(h, L, p->cols[c].name);
    if (t->cols.p[c].name != nm) hx_error_at(h, (Loc){-1, 0, 0}, "internal: a packed load's columns differ from the world's");
  }
  if (p->ncols < p->ncols0) hx_error_at(h, (Loc){-1, 0, 0}, "internal: a packed load lost a column");
  int borrow = kd && n0 == 0 && t->cap == 0 && t->cols.n == 0 && !t->names && !t->dropped && rows > 0;
  if (borrow) {
    /* the mapped columns become the table's: no copy */
    t->a = (uint32_t *)(uintptr_t)p->a.p; t->b = (uint32_t *)(uintptr_t)p->b.p;
    if (k == K_DEAL) t->c = (uint32_t *)(uintptr_t)p->c.p; else t->term = (double *)(uintptr_t)p->term.p;
    t->value = (double *)(uintptr_t)p->value.p; t->date = (int32_t *)(uintptr_t)p->date.p;
    t->year = (int32_t *)(uintptr_t)p->year.p; t->prec = (uint8_t *)(uintptr_t)p->prec.p;
    t->cap = rows;
    if (p->has_names) { t->names = mem_alloc(h, (size_t)rows * sizeof *t->names); memset(t->names, 0, (size_t)rows * sizeof *t->names); }
    for (uint32_t c = 0; c < p->ncols; c++) {
      const PCol *pc = &p->cols[c];
      Column col;
      memset(&col, 0, sizeof col);
      col.name = pstr_intern(h, L, pc->name);
      col.is_num = pc->is_num;
      col.dim = (int)pc->dim;
      col.cap = rows;
      if (pc->is_num) col.nums = (double *)(uintptr_t)pc->data.p;
      else col.vals = mem_alloc(h, (size_t)rows * sizeof(Value));
      vec_push(h, &t->cols, col);
    }
  } else {
    world_table_reserve(h, k, n0 + rows);
    if (p->has_names && !t->names) {
      t->names = mem_alloc(h, (size_t)t->cap * sizeof *t->names);
      memset(t->names, 0, (size_t)t->cap * sizeof *t->names);
    }
    if (kd && rows) {
      memcpy(t->a + n0, p->a.p, (size_t)rows * 4); memcpy(t->b + n0, p->b.p, (size_t)rows * 4);
      if (k == K_DEAL) memcpy(t->c + n0, p->c.p, (size_t)rows * 4); else memcpy(t->term + n0, p->term.p, (size_t)rows * 8);
      memcpy(t->value + n0, p->value.p, (size_t)rows * 8); memcpy(t->date + n0, p->date.p, (size_t)rows * 4);
      memcpy(t->year + n0, p->year.p, (size_t)rows * 4); memcpy(t->prec + n0, p->prec.p, rows);
    }
    if (t->dropped) memset(t->dropped + n0, 0, rows);
    for (uint32_t c = 0; c < p->ncols; c++) {
      const PCol *pc = &p->cols[c];
      if (c >= p->ncols0) world_column(h, k, pstr_intern(h, L, pc->name), pc->is_num, (int)pc->dim);
      Column *col = &t->cols.p[c];
      if (!pc->is_num && col->is_num) world_column_text(h, k, (int)c);
      if (pc->is_num && !col->is_num) hx_error_at(h, (Loc){-1, 0, 0}, "internal: a packed column holds numbers, the world's text");
      if (pc->is_num && rows) memcpy(col->nums + n0, pc->data.p, (size_t)rows * 8);
    }
  }
  t->n = n0 + rows;
  if (t->names) {
    const uint32_t *nm = p->names.p;
    for (uint32_t r = 0; r < rows; r++) t->names[n0 + r] = p->has_names && nm[r] != UINT32_MAX ? pstr_intern(h, L, nm[r]) : NULL;
  }
  for (uint32_t c = 0; c < p->ncols; c++) {
    const PCol *pc = &p->cols[c];
    if (pc->is_num) continue;
    const Value *v = pc->data.p;
    Value *dst = t->cols.p[c].vals + n0;
    for (uint32_t r = 0; r < rows; r++) dst[r] = plain_value(h, L, v[r]);
  }
}

int pack_replay(H *h, Node *s) {
  struct Pack *pk = h->pack;
  if (!pk || pk->writing || !pk->map || pk->next >= pk->nloads) return 0;
  PLoad *L = &pk->loads[pk->next];
  char src[PATH_MAX];
  source_path(h, s->loc, src, sizeof src);
  HStr *path = s->u.load.path;
  /* the n-th load of the run is the n-th of the pack, at the same place,
  ** of the same file, into the same world: else the CSV is read */
  if (!pstr_eq(L->src, src) || L->line != (uint32_t)s->loc.line || L->col != (uint32_t)s->loc.col ||
      !pstr_eq(L->path, path ? path->s : "") || !same_before(h, L)) {
    pk->next = pk->nloads;   /* the run went another way: no more replays */
    return 0;
  }
  pk->next++;
  if (!L->packed) return 0;
  World *w = h->world;
  /* (its contents were checked by pack_use: check_load) */
  for (uint32_t j = 0; j < L->nglob; j++) {
    HStr *nm = pstr_intern(h, L, L->glob[j].name);
    Global *g = prog_global_find(h, nm);
    if (g) {
      char lb[256];
      hx_error_at(h, s->loc, "'%s' is already declared (at %s)", nm->s, hx_locstr(h, g->loc, lb, sizeof lb));
    }
  }
  for (int k = 0; k < K_NKINDS; k++) replay_table(h, L, k);
  for (uint32_t j = 0; j < L->nglob; j++) {
    const PGlobal *g = &L->glob[j];
    prog_global_add(h, pstr_intern(h, L, g->name), G_ENTITY, v_ent((int)g->kind, (int32_t)g->row), s->loc);
  }
  for (uint32_t j = 0; j < L->nnotes; j++) {
    const PNote *pn = &L->notes[j];
    LoadNote note;
    memset(&note, 0, sizeof note);
    note.file = pstr_intern(h, L, pn->file);
    note.loc = s->loc;
    note.loaded = pn->loaded;
    note.n = (int)pn->n;
    for (uint32_t q = 0; q < pn->n; q++) { note.reason[q] = pstr_intern(h, L, pn->reason[q]); note.count[q] = pn->count[q]; }
    vec_push(h, &h->prog->load_notes, note);
  }
  /* a load charges a step per row (--max-steps) */
  for (int k = 0; k < K_NKINDS; k++) h->steps += L->t[k].n1 - L->t[k].n0;
  if (h->max_steps && h->steps > h->max_steps)
    hx_error_status(h, HEDGE_ELIMIT, s->loc, "step limit reached (%llu steps) while loading", (unsigned long long)h->max_steps);
  /* the counters as the CSV load left them: what follows counts the same */
  w->version = L->v1;
  w->index_version = L->iv1;
  if (pk->next == pk->nloads && pk->nidx) index_offer(h, pk->idx, (int)pk->nidx, pk->index_version);
  return 1;
}
