/*
** stdlib/dump.c: a build step, not part of hedge. Compiles one Lua file of
** the standard library and writes its bytecode (lua_dump, debug information
** kept: tracebacks and error messages still name stdlib/FILE.lua and its
** lines), which the Makefile embeds in the binary (build/stdlib_embed.h).
** Loading bytecode at start-up skips the compiler: about 1 ms of the
** 3-4 ms that `hedge eval 1` takes. It is built against the same liblua5.4
** hedge links, so the bytecode's format is the one hedge loads.
**
** Usage: dump FILE.lua OUT      (the chunk is named "@FILE.lua", as given)
*/
#include <stdio.h>
#include <lua.h>
#include <lauxlib.h>

static int write_out(lua_State *L, const void *p, size_t n, void *ud) {
  (void)L;
  return fwrite(p, 1, n, (FILE *)ud) != n;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: dump FILE.lua OUT\n");
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "dump: out of memory\n");
    return 1;
  }
  if (luaL_loadfilex(L, argv[1], "t") != LUA_OK) {
    fprintf(stderr, "dump: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  FILE *f = fopen(argv[2], "wb");
  if (!f) {
    perror(argv[2]);
    lua_close(L);
    return 1;
  }
  int bad = lua_dump(L, write_out, f, 0);
  bad |= fclose(f) != 0;
  lua_close(L);
  if (bad) fprintf(stderr, "dump: cannot write %s\n", argv[2]);
  return bad ? 1 : 0;
}
