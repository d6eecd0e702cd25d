/*
** cli.h: what main.c and repl.c share (the command line's own helpers;
** not part of the library).
*/
#ifndef CLI_H
#define CLI_H
#include <stdio.h>
#include "hedge.h"

#include <stdint.h>

/* --timeout, --max-memory, --max-steps, --max-record: given once on the
** command line, applied to every state the CLI or the REPL opens. */
typedef struct CliLimits { double seconds; size_t memory; uint64_t steps; size_t record; } CliLimits;
extern CliLimits cli_limits;
/* Handles option name (with its value); returns 1 if it is a limit, 0 if
** not; exits 2 with a message on a bad value. */
int cli_limit_option(const char *name, const char *val);
void cli_apply_limits(hedge_Options *o);

const char *cli_stdlib_dir(void);

/* --pack FILE (docs/pack.md): the packed world later runs map; NULL: none.
** cli_use_pack applies it to a state before its files load: returns 0, or
** prints why the pack cannot be used (stale, damaged) and returns 2. */
extern const char *cli_pack_path;
int cli_use_pack(hedge_State *H, const char *const *files, int nfiles);
hedge_State *cli_open(unsigned caps, FILE *print_stream);
int cli_load(hedge_State *H, const char *path);
/* table, report and batch (cli_outputs.c): returns the exit code. */
typedef struct CliOutputs {
  const char *cmd; const char **files; int nfiles;
  const char *format, *scenario, *compare, *output;
  unsigned caps;
  int misplaced;   /* --rule, --explain, --repair, --margins or --emit given: not for these commands */
} CliOutputs;
int cli_outputs(const CliOutputs *o);
/* A JUnit document for a run that could not start (the files did not load). */
void cli_junit_error(FILE *out, const char *msg);
_Noreturn void cli_die_usage(const char *msg, const char *arg);

/* The REPL (repl.c): returns the process exit code. */
int cli_repl(const char **files, int nfiles, unsigned caps, int color);

/* `hedge fmt` (cli_fmt.c): argv[0] is "fmt"; returns the exit code. */
int cli_fmt(int argc, char **argv);

/* `hedge lsp` (lsp.c): the Language Server; returns the exit code. */
int cli_lsp(int argc, char **argv);
/* --watch (watch.c): is it among the arguments; run the command again on
** every change of a file it read (returns only on an error); and, in the
** run itself, report the files the state read to the watcher. */
int cli_watch_wanted(int argc, char **argv);
int cli_watch(int argc, char **argv);
void cli_watch_report(hedge_State *H);
/* A file the command line loads (watched even when it cannot be read). */
void cli_watch_note(const char *path);

#endif
