/*
** load.h: `load KIND from "FILE.csv" { MAPPING }` (load.c).
*/
#ifndef LOAD_H
#define LOAD_H
#include "core.h"
#include "ast.h"

/* Runs an S_LOAD statement: reads the file into the world, all or nothing. */
void exec_load(H *h, Node *s);
#endif
