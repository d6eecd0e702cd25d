/*
** fmt.h: the canonical layout of hedge source (`hedge fmt`, the language
** server's document formatting) and a position-free dump of the syntax
** tree (to prove that formatting changed nothing but layout). Part of the
** library so that editor plugins embedding it format the same way. Same
** rules as hedge.h: every call takes the state first, nothing is printed,
** errors come back as a status plus hedge_errmsg(), and returned text is
** owned by the state (valid until the next call on it).
*/
#ifndef FMT_H
#define FMT_H
#include <stddef.h>
#include "hedge.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Formats text (len bytes of hedge source; chunkname names it in messages)
** into the one canonical layout: indentation by brackets and clauses,
** single spaces between tokens, aligned record fields, deal and loan tables
** and trailing comments, long rule lines broken before `and` / `or`,
** comments kept where they were, at most one blank line in a row. Only
** whitespace changes: the result is checked to give the same syntax tree
** as text (hedge_syntax_tree) before it is returned. A text that does not
** parse gives HEDGE_ERROR and the parser's message. *out receives the
** formatted text and *outlen (may be NULL) its length. */
int hedge_format(hedge_State *H, const char *chunkname, const char *text, size_t len,
                 const char **out, size_t *outlen);

/* The syntax tree of text as indented lines, one node per line, without
** line or column numbers: two texts with the same dump mean the same
** program. */
int hedge_syntax_tree(hedge_State *H, const char *chunkname, const char *text, size_t len,
                      const char **out);

#ifdef __cplusplus
}
#endif
#endif
