/*
** load.h: `load KIND from "FILE.csv" { MAPPING }` (load.c, the reader; its
** mapping layer is loadmap.c, loadmap.h).
*/
#ifndef LOAD_H
#define LOAD_H
#include "core.h"
#include "ast.h"
#include "value.h"

/* Runs an S_LOAD statement: reads the file into the world, all or nothing. */
void load_exec(H *h, Node *s);
/* A cell of the row being loaded, for `row.NAME` in a computed field (N_CELL). */
Value load_cell(H *h, int col, Loc loc);
#endif
