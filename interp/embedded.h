/*
** embedded.h: the standard library compiled into the binary (embedded.c).
** The Makefile turns the Lua files of stdlib/ into build/stdlib_embed.h at build time,
** so an installed hedge or libhedge needs no folder for its standard
** library; a folder given as hedge_Options.stdlib_dir (the CLI: HEDGE_STDLIB,
** or a stdlib/ beside the binary, as in a build tree) overrides it for
** development.
*/
#ifndef EMBEDDED_H
#define EMBEDDED_H
#include <stddef.h>

/* The text of standard library module name ("init" for init.lua), or NULL
** when there is no such module; *len gets its length. */
const char *embedded_stdlib(const char *name, size_t *len);

#endif
