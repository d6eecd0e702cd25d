/*
** files.h: reading files as a capability (files.c): which files a script
** may read, and opening them.
*/
#ifndef FILES_H
#define FILES_H
#include "core.h"

/* Resolves hedge_Options.file_roots into h->file_roots (at open). */
void files_init(H *h, const char *roots);
/* Raises a located error unless the host granted HEDGE_CAP_FILES; what is
** "import", "use" or "load", path the file as written. */
void files_require(H *h, Loc at, int width, const char *what, const char *path);
/* Whether a script may read path (capability, roots, the host's hook);
** prog_find_file skips candidates it may not read, so they "cannot be found". */
int files_allowed(H *h, const char *path, const char *what);
/* Opens path (shown: as the program wrote it) for what, a regular file
** only, and checks the opened file against the roots and the hook. Returns
** the descriptor, or raises a located error at `at`. */
int files_open(H *h, const char *path, const char *shown, Loc at, const char *what);

#endif
