/*
** stdfast.h: native answers for the hot standard-library queries.
**
** imports, exports, trade, balance, world_exports, import_share,
** export_share, world_share, import_hhi, export_hhi, world_hhi and hhi are
** defined in stdlib/init.lua, and that definition is the reference. For
** their plain forms (entities and whole years, the named arguments of
** their usage line) the evaluator answers them from the deal indexes
** instead, with the same arithmetic in the same order, so the results are
** the same bits. Any other form (an argument of another type, a named
** argument the reference does not know or a later addition such as
** `by:`, a total of zero, an entity that no longer exists) goes to the Lua
** definition, which gives the answer or the error. A function replaced by
** an extension or by the user is never answered here.
*/
#ifndef STDFAST_H
#define STDFAST_H
#include "prog.h"

/* The fast-path id of a standard function's name (0: none). */
int stdfast_id(const char *name);

/* Answers f(a) natively: 1 with *out set, or 0 when the Lua definition
** must run (nothing was changed). f->fast must be non-zero. */
int stdfast_call(H *h, Function *f, CallArgs *a, Value *out);

/* Before a check: reads the calls of the standard functions above in the
** rules (those named in only, when only is not NULL), the lets they read
** and the user's functions they call, and builds the indexes their plain
** forms will query in one pass (index_prepare). Nothing when
** h->lazy_indexes (hedge_Options.lazy_indexes) is set. */
void stdfast_prepare(H *h, const char *const *only, int nonly);

#endif
