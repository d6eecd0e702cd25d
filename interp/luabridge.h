/*
** luabridge.h: the Lua bridge (luabridge.c): the Lua state of a hedge
** state, extensions (`use`), and calls of Lua functions.
*/
#ifndef LUABRIDGE_H
#define LUABRIDGE_H
#include "prog.h"

int luabridge_open(H *h, char *err, size_t errlen);
void luabridge_close(H *h);
void luabridge_use(H *h, const char *path, Loc loc);   /* loads an extension */
/* The same from an open descriptor, read once (closes fd). */
void luabridge_use_fd(H *h, int fd, const char *path, Loc loc);
Value luabridge_call(H *h, Function *f, CallArgs *a);

#endif
