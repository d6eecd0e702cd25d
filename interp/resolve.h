/*
** resolve.h: name resolution (resolve.c). Names are bound once, before
** evaluation, to slots and globals; evaluation never looks a name up by
** string.
*/
#ifndef RESOLVE_H
#define RESOLVE_H
#include "exec.h"

/* Resolution. Resolves an expression with no enclosing locals; returns the
** number of slots its frame needs. */
int resolve_expr(H *h, Node *n);
int resolve_with(H *h, Node *n, HStr **bound, int nbound);
void resolve_function(H *h, Function *f);
void resolve_rule(H *h, Rule *r);

#endif
