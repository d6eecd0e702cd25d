/*
** hconf.h: every limit of the interpreter, with the reason for its value.
** Hosts may override any of these with -D at build time; the run-time limits
** (memory, steps, depth) are also settable per state through hedge_Options.
*/
#ifndef HCONF_H
#define HCONF_H

/* Nesting of brackets/expressions the parser accepts. Each level costs a few
** hundred bytes of C stack in the recursive-descent parser and the evaluator;
** 200 levels stays far below an 8 MiB stack even under AddressSanitizer,
** and no policy script nests deeper than a dozen. */
#define HX_MAX_NESTING 200

/* C stack the evaluator may use below the outermost API call before it
** reports "nesting too deep". 8 MiB is the usual main-thread stack; 3 MiB
** leaves room for the host and for AddressSanitizer's larger frames. */
#define HX_C_STACK (3u * 1024 * 1024)

/* Default depth of hedge function calls (recursion). A call costs about
** 1-2 KiB of C stack in eval (more under ASan); 400 keeps within 2 MiB so
** hosts that run hedge on small thread stacks stay safe. */
#define HX_DEFAULT_DEPTH 400

/* How often (in evaluation steps) the evaluator looks at the interrupt
** flag and the step limit: frequent enough for a prompt Ctrl-C, rare enough
** to cost nothing measurable. */
#define HX_CHECK_INTERVAL 1024

/* Longest identifier or unit name: names longer than this are certainly
** junk, and the cap keeps messages readable. */
#define HX_MAX_NAME 256

/* Counterexamples shown per rule in text output; JSON keeps them all. */
#define HX_TEXT_CAP 10

/* Size of one arena chunk: large enough that rule checking over a million
** deals allocates a handful of chunks, small enough for an embedded host. */
#define HX_ARENA_CHUNK (64 * 1024)

/* Attribute columns of one table (and columns of one CSV header): a file
** with more is junk or an attack (F08: a 2 MB header line), and the cap
** keeps every per-column loop of a load short. */
#define HX_MAX_COLUMNS 30000

/* Largest hedge source file (import, use, hedge_load_file): sources are
** read whole into memory, and no policy script comes near 64 MiB. */
#define HX_MAX_SOURCE ((size_t)64 << 20)

/* Base dimensions (money, mass, volume, time and user-declared ones). */
#define HX_MAX_BASE_DIMS 16

/* Parameters of a function (user fn, host function, extern). */
#define HX_MAX_PARAMS 32

/* Depth of scenario `extends` chains before we call it a cycle-like abuse. */
#define HX_MAX_EXTENDS 64

#endif
