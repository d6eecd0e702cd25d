/*
** introspect.h: what an interactive front end (the REPL, an editor plugin)
** needs beyond hedge.h: evaluating one typed input, listing what is
** declared, the fields of an entity, help text for a name. Same rules as
** hedge.h: every call takes the state first, nothing is printed (values go
** through the print hook given to hedge_open, like `print`), errors come
** back as a status plus hedge_errmsg(), and returned strings are owned by
** the state (valid until the next call on it).
*/
#ifndef INTROSPECT_H
#define INTROSPECT_H
#include "hedge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs one input typed at a prompt: any number of statements, and bare
** expressions as statements. chunkname names the input in messages (NULL:
** "<repl>").
** - If the input ends too early (open bracket, trailing operator, `:` or
**   `where` waiting for more), *incomplete (may be NULL) is
**   set to 1, nothing runs and HEDGE_ERROR is returned: read another line
**   and call again with the whole text. (A string still open at the end
**   is an error at once: strings end on their line.)
** - Otherwise the statements run in REPL mode (let, fn and rule names may be
**   rebound): a declaration joins the world; an expression's value is
**   printed (quoted, as hedge_eval shows it) through the print hook; a
**   `rule` or `warn`, or a bare rule name, is checked at once and its result
**   printed through the hook (colour when color != 0).
** - scenario (NULL: none) is the world expressions and rule checks see;
**   declarations always join the base world.
** - On error nothing of the input is kept (a rebound name gets its old
**   value back) and the status is returned; hedge_errmsg() has the message.
** hedge_interrupt() stops a long evaluation with HEDGE_EINTERRUPT. */
int hedge_repl_eval(hedge_State *H, const char *chunkname, const char *text,
                    const char *scenario, int color, int *incomplete);

/* What hedge_names lists. */
enum {
  HEDGE_NAMES_PARTNERS, HEDGE_NAMES_COMMODITIES, HEDGE_NAMES_DEALS, HEDGE_NAMES_LOANS,
  HEDGE_NAMES_RULES,        /* rules and warns */
  HEDGE_NAMES_FUNCTIONS,    /* fn and extern declared by the program */
  HEDGE_NAMES_BUILTINS,     /* C built-ins, the standard library (Lua), host functions */
  HEDGE_NAMES_LETS,
  HEDGE_NAMES_SCENARIOS,
  HEDGE_NAMES_UNITS,
  HEDGE_NAMES_TESTS,
  HEDGE_NAMES_COLLECTIONS,  /* partners commodities deals loans */
  HEDGE_NAMES_KEYWORDS,
  HEDGE_NAMES_GLOBALS,      /* every declared name: entities, lets, fns, rules, scenarios */
  HEDGE_NAMES_COUNT_
};

/* Receives one name and, when asked for, a one-line description (NULL
** otherwise). Returns 0 to go on, non-zero to stop being called. Must not
** call back into the library. */
typedef int (*hedge_NameFn)(void *ud, const char *name, const char *detail);

/* Calls fn for every name of the kind what, in declaration order (deals and
** loans without a name as deal#N / loan#N), with a description when
** detail != 0 (a partner's attributes, a deal's parties and value, a
** function's usage, a rule's title and location, ...). Returns how many
** there are (also those after fn asked to stop), or -1 after an error
** (bad `what`, out of memory: see hedge_errmsg). The base world is listed. */
int hedge_names(hedge_State *H, int what, int detail, hedge_NameFn fn, void *ud);
/* hedge_names in the world changed by scenario (NULL: the base world): its
** drops, additions, updates and lets (the REPL's :list under :scenario). */
int hedge_names_in(hedge_State *H, const char *scenario, int what, int detail, hedge_NameFn fn, void *ud);

/* Calls fn for every field name that `of.FIELD` can read, without
** evaluating anything: `of` is a declared entity (PAK, a named deal), a let
** bound to an entity or a record, a collection or kind (deals, deal), or
** such a name followed by entity-valued fields (deals.exporter: the fields
** of a partner). Built-in fields first (deals: exporter importer commodity
** value date year volume; loans: lender borrower principal rate start term;
** partners, commodities: name), then the attribute columns the world has
** for that kind. Returns the number of fields, or -1 when `of` denotes
** nothing with fields (no error is set). */
int hedge_fields(hedge_State *H, const char *of, hedge_NameFn fn, void *ud);

/* Help for a name: a function (built-in, standard library, host: usage and
** documentation; fn: its head and body), a rule or warn (title, location,
** source), an entity, a let, a scenario, a unit, a collection or a keyword.
** Returns the text (several lines, ending in a newline), or NULL when the
** name is unknown: hedge_errmsg() then says so, with "did you mean". */
const char *hedge_help(hedge_State *H, const char *name);

/* Calls fn (detail NULL) for every file the state has read, in the order
** first read: hedge sources (loaded and imported), CSV files of `load`, Lua
** extensions of `use`; also those of a load that failed (what a watcher
** must watch to see the fix). Paths are as opened (relative to the
** current folder when the program named them so). Returns how many. */
int hedge_files(hedge_State *H, hedge_NameFn fn, void *ud);

/* The candidate nearest to name (edit distance, as "did you mean" uses),
** or NULL; candidates is NULL-terminated. Needs no state. */
const char *hedge_suggest(const char *name, const char *const *candidates);

#ifdef __cplusplus
}
#endif
#endif
