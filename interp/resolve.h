/*
** resolve.h: name resolution (resolve.c). Names are bound once, before
** evaluation, to slots and globals; evaluation never looks a name up by
** string.
*/
#ifndef RESOLVE_H
#define RESOLVE_H
#include "prog.h"

/* Resolution. Resolves an expression with no enclosing locals; returns the
** number of slots its frame needs. */
int resolve_expr(H *h, Node *n);
int resolve_with(H *h, Node *n, HStr **bound, int nbound);
void resolve_function(H *h, Function *f);
void resolve_rule(H *h, Rule *r);
/* A near global, built-in or collection name for an unknown one (NULL: none). */
const char *resolve_suggest_name(H *h, HStr *name);
/* Whether a resolved expression may read the world: it names a collection
** or a field, calls a Lua, host or C-library function, or reads a `let`
** that does. Pure arithmetic on literals and C builtins does not. */
int resolve_reads_world(H *h, Node *n);
/* Load-time checks of a resolved rule that warn (hx_warn_at) about what
** reads two ways: a ratio compared with a bare number outside [0, 1]
** (`import_share(...) <= 40`: did you mean 40%?). */
void resolve_lint_rule(H *h, Rule *r);

#endif
