/*
** builtins.h: the functions written in C (builtins.c): the aggregates and
** the core functions (abs, round, len, str, ...).
*/
#ifndef BUILTINS_H
#define BUILTINS_H
#include "core.h"

/* Adds every core function to the program's table of built-ins. */
void builtins_init(H *h);

#endif
