/*
** cli.h: what main.c and repl.c share (the command line's own helpers;
** not part of the library).
*/
#ifndef CLI_H
#define CLI_H
#include <stdio.h>
#include "hedge.h"

const char *cli_stdlib_dir(void);
hedge_State *cli_open(unsigned caps, FILE *print_stream);
int cli_load(hedge_State *H, const char *path);
/* The REPL (repl.c): returns the process exit code. */
int cli_repl(const char **files, int nfiles, unsigned caps, int color);

#endif
