/*
** core.h: what every module of the interpreter shares: the allocator,
** arenas, growable buffers, interned strings, source locations and the one
** protected boundary that errors unwind to. Nothing here knows about the
** language itself.
*/
#ifndef CORE_H
#define CORE_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include "hconf.h"
#include "hedge.h"

typedef struct hedge_State H;   /* the state is the first argument of every call */

/* ---- locations ---------------------------------------------------------- */

/* A place in a loaded source: index into H->sources, 1-based line/col. */
typedef struct Loc { int32_t src, line, col; } Loc;

typedef struct Source {
  char *name;        /* path as given (or a chunk name such as "<eval>") */
  char *text;        /* NUL-terminated contents */
  size_t len;
  char *dir;         /* folder of the file, for relative import/use/load */
} Source;

/* ---- memory ------------------------------------------------------------- */

/* Raw allocation through the host's allocator hook; raises a memory error
** (longjmp) on failure or when the cap is reached. */
void *mem_alloc(H *h, size_t n);
void *mem_realloc(H *h, void *p, size_t oldn, size_t newn);
void mem_free(H *h, void *p, size_t n);
/* The allocator hook as modules that take one (CSV reader, libffi binder,
** Lua) see it: ud is the state; counts bytes and honours the cap. */
void *mem_hook(void *ud, void *ptr, size_t osize, size_t nsize);
/* The same without raising: NULL on failure (used where no boundary exists). */
void *mem_try_alloc(H *h, size_t n);

typedef struct ArenaChunk ArenaChunk;
/* A bump allocator: objects die together when the arena is reset. */
typedef struct Arena {
  ArenaChunk *head; size_t used;
  ArenaChunk *spare;   /* one standard chunk kept by arena_release, so that a
                          mark released at a chunk boundary over and over (a
                          call per element) does not allocate a chunk each time */
} Arena;
typedef struct ArenaMark { ArenaChunk *chunk; size_t used; } ArenaMark;
void *arena_alloc(H *h, Arena *a, size_t n);
char *arena_strdup(H *h, Arena *a, const char *s, size_t n);
ArenaMark arena_mark(Arena *a);
void arena_release(H *h, Arena *a, ArenaMark m);  /* frees what came after m */
void arena_free(H *h, Arena *a);

/* A growable byte buffer (through the allocator). */
typedef struct Buf { char *p; size_t n, cap; } Buf;
void buf_put(H *h, Buf *b, const char *s, size_t n);
void buf_puts(H *h, Buf *b, const char *s);
void buf_putc(H *h, Buf *b, char c);
void buf_printf(H *h, Buf *b, const char *fmt, ...);
void buf_vprintf(H *h, Buf *b, const char *fmt, va_list ap);
void buf_free(H *h, Buf *b);
const char *buf_cstr(H *h, Buf *b);   /* NUL-terminates (not counted in n) */

/* Growable arrays of any element type, through the allocator. */
#define VEC(T) struct { T *p; uint32_t n, cap; }
void vec_grow_(H *h, void **p, uint32_t *cap, uint32_t need, size_t elem);
#define vec_push(h, v, x) do { \
    if ((v)->n == (v)->cap) vec_grow_((h), (void **)&(v)->p, &(v)->cap, (v)->n + 1, sizeof *(v)->p); \
    (v)->p[(v)->n++] = (x); } while (0)
#define vec_reserve(h, v, need) do { \
    if ((need) > (v)->cap) vec_grow_((h), (void **)&(v)->p, &(v)->cap, (need), sizeof *(v)->p); } while (0)
/* The same growth inside an arena (syntax trees): the old block is left to
** the arena, which frees everything at once. */
void vec_grow_arena_(H *h, Arena *a, void **p, uint32_t *cap, uint32_t need, size_t elem, uint32_t n);
#define avec_push(h, a, v, x) do { \
    if ((v)->n == (v)->cap) vec_grow_arena_((h), (a), (void **)&(v)->p, &(v)->cap, (v)->n + 1, sizeof *(v)->p, (v)->n); \
    (v)->p[(v)->n++] = (x); } while (0)
#define vec_free(h, v) do { mem_free((h), (v)->p, (size_t)(v)->cap * sizeof *(v)->p); \
    (v)->p = NULL; (v)->n = (v)->cap = 0; } while (0)

/* ---- interned strings ---------------------------------------------------- */

/* Immutable strings. Interned ones (names, field keys, units) compare by
** pointer; runtime strings (concatenations) are not interned. */
typedef struct HStr { uint32_t len; uint32_t hash; char s[]; } HStr;
uint32_t mem_hash(const char *s, size_t n);
HStr *mem_intern(H *h, const char *s, size_t n);
HStr *mem_intern_c(H *h, const char *s);
HStr *mem_intern_find(H *h, const char *s, size_t n);   /* NULL if never interned */
HStr *mem_newstr(H *h, Arena *a, const char *s, size_t n);  /* not interned */

/* ---- errors ------------------------------------------------------------- */

/* One frame of the protected-call chain (see hx_pcall). */
typedef struct Protect { struct Protect *prev; jmp_buf jb; int status; } Protect;

/* Raise an error at loc: formats "file:line:col: error: MSG", the quoted
** source line and a caret into h->err, then unwinds to the innermost
** boundary with the given status (HEDGE_ERROR, HEDGE_EMEMORY, ...). */
_Noreturn void hx_error_at(H *h, Loc loc, const char *fmt, ...);
_Noreturn void hx_error_span(H *h, Loc loc, int width, const char *fmt, ...);
_Noreturn void hx_error_status(H *h, int status, Loc loc, const char *fmt, ...);
_Noreturn void hx_throw(H *h, int status);   /* h->err already set */
/* Append a note line ("  note: first declared here: file:line:col") to the
** message being built; call between hx_error_begin and hx_error_end. */
void hx_error_begin(H *h, int status, Loc loc, int width, const char *fmt, ...);
void hx_error_note(H *h, Loc loc, const char *fmt, ...);
/* A located warning for the host (see hedge_warnings); an error instead
** (raised) when the state is strict (hedge_set_strict). */
void hx_warn_at(H *h, Loc loc, int width, const char *fmt, ...);
void hx_note_at(H *h, Loc loc, const char *fmt, ...);
_Noreturn void hx_error_end(H *h);

/* Run f(h, ud) under a boundary. Returns HEDGE_OK or the error's status;
** h->err keeps the message. Boundaries nest. */
int hx_pcall(H *h, void (*f)(H *h, void *ud), void *ud);

/* Deeply nested input (a chain of 10000 `+`) must end in an error, not a
** stack overflow: evaluation and resolution measure the C stack they use. */
_Noreturn void hx_stack_error(H *h, Loc loc);

/* "file:line:col" of loc into a small buffer. */
const char *hx_locstr(H *h, Loc loc, char *buf, size_t n);
/* The nearest of candidate names to name (Damerau-Levenshtein <= 2 or a
** case-insensitive match), or NULL. Used for "did you mean". */
typedef struct Suggest { const char *best; int dist; const char *name; size_t len; } Suggest;
void suggest_init(Suggest *s, const char *name, size_t len);
void suggest_try(Suggest *s, const char *cand);

/* ---- the state ---------------------------------------------------------- */

struct World; struct Units; struct Globals; struct LuaBridge; struct Program;

struct hedge_State {
  hedge_Alloc alloc; void *alloc_ud;
  size_t mem_used, mem_cap, mem_peak;
  uint64_t steps, max_steps;
  int depth, max_depth;
  unsigned caps;
  atomic_int interrupted;
  Protect *protect;           /* innermost boundary */
  Buf err;                    /* last error message */
  int err_status;
  Arena perm;                 /* lives until close/reset: AST, globals, entity data */
  Arena temp;                 /* evaluation temporaries: reset per top-level call */
  VEC(Source *) sources;
  /* intern table */
  HStr **strtab; uint32_t strtab_n, strtab_cap;
  char *stdlib_dir, *search_path;
  struct Units *units;
  struct World *world;
  const struct EntityView *entities;  /* the world as values see it (value.h; set by world.c) */
  struct Program *prog;       /* globals, functions, rules, scenarios, tests */
  struct LuaBridge *lua;
  Buf out;                    /* print output for the host (no print hook) */
  Buf result;                 /* the last eval/compare/test text */
  struct hedge_Report *reports;  /* every live report: hedge_close frees them */
  void (*print_fn)(void *ud, const char *s, size_t n);  /* NULL: collect in out */
  void *print_ud;
  int repl_mode;               /* let/fn/rule may be redefined */
  int fatal;                   /* the error stops the whole call (interrupt,
                                  step limit, memory), not just one rule */
  char *stack_base;            /* C stack at the outermost boundary */
  size_t stack_budget;         /* C stack the call may use below stack_base */
  void *stack_lo;              /* lowest address of the calling thread's stack */
  pthread_t stack_thread;      /* the thread stack_lo belongs to */
  int stack_known;
  void (*progress)(void *ud, const char *file, long rows, double fraction, int done);
  void *progress_ud;
  int load_threads;            /* hedge_Options.load_threads */
  int native_off;              /* hedge_Options.lua_stdlib_only */
  int compare_full;            /* hedge_Options.compare_full */
  int lazy_indexes;            /* hedge_Options.lazy_indexes */
  size_t max_record;           /* hedge_Options.max_record (resolved) */
  double max_seconds;          /* time limit per API call (0: none) */
  uint64_t deadline;           /* CLOCK_MONOTONIC ns when this call must stop (0: none) */
  Loc here;                    /* the node being evaluated (src -1: none), for
                                  errors raised where no place is known */
  char *file_roots;            /* hedge_Options.file_roots, each resolved; NULL: any */
  int (*file_access)(void *ud, const char *path, const char *what);
  void *file_access_ud;
  struct SumTrace *trace;      /* repair.c: records the sums a figure reads (index.h), or NULL */
  struct ReadTrack *reads;     /* rules.c under --compare: what one binding's evaluation read (index.h), or NULL */
  /* Shares and concentrations of a zero total (a commodity nobody imports,
  ** a year without data): counted while a rule is checked, so the checker
  ** can tell a verdict that rests on nothing (rules.c, vacuous rules). */
  long zero_totals;
  char zero_note[256];         /* why the first one was zero, "" none yet */
  char default_note[160];      /* a figure's year came from a default: which */
  Buf warnings;                /* located warnings not yet read (hedge_warnings) */
  Buf warnings_out;            /* what hedge_warnings returned last */
  int strict;                  /* hedge_set_strict: warnings are errors */
  void *load_row;              /* the load whose row computed fields read (load.c) */
  /* deals left out of by: volume figures while the current rule is checked
  ** (a bit per deal row; rules.c resets it and notes the count) */
  uint8_t *left_out; uint32_t left_out_cap, left_out_n;
  /* a packed world in use (pack.c), or being written; NULL: none */
  struct Pack *pack;
  /* the bytes of the mapped pack: arrays inside are borrowed, never freed
  ** or resized in place (mem.c copies them out first); NULL: none */
  const char *map_lo, *map_hi;
};

/* Whether the current call's time limit has passed (clock read only when
** one is set). */
int eval_time_up(H *h);
/* Starts the current call's time limit (at each API entry). */
void eval_deadline_start(H *h);

/* (see hx_stack_error) */
static inline void hx_check_stack(H *h, Loc loc) {
  char here;
  if (h->stack_base && (size_t)(h->stack_base > &here ? h->stack_base - &here : &here - h->stack_base) > h->stack_budget)
    hx_stack_error(h, loc);
}


#endif
