/*
** fuzz.h: what the libFuzzer harnesses share (tests/fuzz/README.md).
**
** A harness opens ONE state with limits (the first input pays for the
** standard library), marks the program, and after every input rolls the
** program and the world back to that mark: each input runs against the
** same fresh world, at thousands of inputs a second instead of the ~280 a
** second of opening a state per input. The state is reopened every
** FUZZ_REOPEN inputs, or when its memory grew past FUZZ_REOPEN_BYTES (the
** syntax trees of rolled-back inputs stay in the permanent arena).
**
** The harness is an in-tree test: it includes the interpreter's internal
** headers for prog_mark/prog_rollback, the reset the API itself uses when a
** load fails.
*/
#ifndef FUZZ_H
#define FUZZ_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hedge.h"
#include "eval.h"
#include "scenario.h"

#define FUZZ_REOPEN 20000
#define FUZZ_REOPEN_BYTES ((size_t)48 << 20)
/* Limits of every input: small enough that a runaway input costs
** milliseconds, large enough that real programs run. */
#define FUZZ_MAX_MEMORY ((size_t)64 << 20)
#define FUZZ_MAX_STEPS 200000
#define FUZZ_MAX_SECONDS 0.5

typedef struct Fuzz {
  hedge_State *H;
  ProgMark mark;
  long inputs;
  void (*setup)(hedge_State *H);   /* declarations every input sees */
  unsigned caps;
  const char *roots;
  size_t max_record;
  int load_threads;   /* hedge_Options.load_threads (0: 1, one thread) */
} Fuzz;

static inline void fuzz_open(Fuzz *f) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.stdlib_dir = NULL;   /* the standard library embedded in the library */
  o.max_memory = FUZZ_MAX_MEMORY;
  o.max_steps = FUZZ_MAX_STEPS;
  o.max_seconds = FUZZ_MAX_SECONDS;
  o.capabilities = f->caps;
  o.file_roots = f->roots;
  o.max_record = f->max_record;
  o.load_threads = f->load_threads ? f->load_threads : 1;
  char err[512];
  f->H = hedge_open(&o, err, sizeof err);
  if (!f->H) {
    /* the harness cannot run (a broken build, a stdlib_dir override):
    ** not a finding, but say so rather than abort silently */
    fprintf(stderr, "fuzz: cannot open a state: %s\n", err);
    abort();
  }
  if (f->setup) f->setup(f->H);
  f->mark = prog_mark(f->H);
}

/* The state for the next input, fresh as after setup. */
static inline hedge_State *fuzz_state(Fuzz *f) {
  size_t mem = 0;
  if (f->H) mem = hedge_memory(f->H, NULL);
  if (f->H && (++f->inputs % FUZZ_REOPEN == 0 || mem > FUZZ_REOPEN_BYTES)) {
    hedge_close(f->H);
    f->H = NULL;
  }
  if (!f->H) fuzz_open(f);
  return f->H;
}

/* Back to the mark: the program, the world, the output, the limits. */
static inline void fuzz_reset(Fuzz *f) {
  H *h = f->H;
  prog_rollback(h, f->mark);
  hedge_output_clear(h);
  hedge_set_limits(h, FUZZ_MAX_MEMORY, FUZZ_MAX_STEPS, 0);
  hedge_set_time_limit(h, FUZZ_MAX_SECONDS);
  /* a usable state is part of the contract: this must always work */
  const char *r = NULL;
  if (hedge_eval(h, "1 + 1", &r) != HEDGE_OK || !r || strcmp(r, "2") != 0) abort();
}

/* The input as a NUL-terminated string (NUL bytes inside stay: the
** library sees a shorter string, as a C host would pass it). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = 0;
  return s;
}

#endif
