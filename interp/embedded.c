/*
** embedded.c: the standard library's modules as the build embedded them, as Lua bytecode
** (build/stdlib_embed.h, generated from the Lua files of stdlib/ by the Makefile).
*/
#include <string.h>
#include "embedded.h"
#include "stdlib_embed.h"

const char *embedded_stdlib(const char *name, size_t *len) {
  for (size_t i = 0; stdlib_embedded[i].name; i++)
    if (strcmp(stdlib_embedded[i].name, name) == 0) {
      *len = stdlib_embedded[i].len;
      return (const char *)stdlib_embedded[i].text;
    }
  return NULL;
}
