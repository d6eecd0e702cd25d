/*
** eval_batch.c: `hedge eval` for many expressions against one loaded world,
** for tests/run.py (a test tool, not part of hedge).
**
**   eval_batch [--allow-ffi] [--allow-io] FILE < EXPRESSIONS
**
** Opens a state the way the CLI does (cli_open from main.c, linked in with
** its main renamed), loads FILE, then reads one expression per line from
** stdin and does for each exactly what `hedge eval EXPR FILE` does after
** loading: the result on stdout, or the error message on stderr. After each
** expression it writes the line "\036END N RC" to stdout and to stderr (N
** counts from 0, RC is the exit code `hedge eval` would have had), so the
** runner can cut both streams into per-expression outputs. Print statements
** inside an expression go to stdout before the marker, as they do with
** `hedge eval`.
**
** Exit 0 when every expression ran; 2 when FILE does not load (no markers;
** the runner then runs each expression with `hedge eval` itself), or on a
** bad command line.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedge.h"
#include "cli.h"

static void marker(int n, int rc) {
  fflush(stdout);
  printf("\036END %d %d\n", n, rc);
  fflush(stdout);
  fprintf(stderr, "\036END %d %d\n", n, rc);
  fflush(stderr);
}

int main(int argc, char **argv) {
  unsigned caps = 0;
  const char *file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--allow-ffi")) caps |= HEDGE_CAP_FFI;
    else if (!strcmp(argv[i], "--allow-io")) caps |= HEDGE_CAP_IO;
    else if (!file && argv[i][0] != '-') file = argv[i];
    else { fprintf(stderr, "eval_batch: unexpected argument %s\n", argv[i]); return 2; }
  }
  if (!file) { fputs("usage: eval_batch [--allow-ffi] [--allow-io] FILE < EXPRESSIONS\n", stderr); return 2; }
  hedge_State *H = cli_open(caps, stdout);
  if (cli_load(H, file) != HEDGE_OK) { hedge_close(H); return 2; }
  size_t cap = 0;
  char *line = NULL;
  ssize_t len;
  int n = 0;
  while ((len = getline(&line, &cap, stdin)) >= 0) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
    const char *out;
    int rc = 0;
    if (hedge_eval(H, line, &out) == HEDGE_OK) printf("%s\n", out);
    else { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; }
    marker(n++, rc);
  }
  free(line);
  hedge_close(H);
  return 0;
}
