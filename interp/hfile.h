/*
** hfile.h: opening a file that a script names, safely. Plain POSIX, no
** dependency on the rest of the interpreter (the CSV reader's unit tests
** link it alone).
**
** Only regular files are opened: a FIFO, a device, a socket, a folder or an
** entry of /proc or /sys is refused. The file is opened with O_NONBLOCK, so
** a FIFO with no writer cannot block open(2); fstat then decides, and the
** flag is cleared before any read. Everything a caller reads afterwards
** comes from this one descriptor: nobody reopens the path, so a file
** renamed into place while hedge reads it cannot mix two versions.
*/
#ifndef HX_HFILE_H
#define HX_HFILE_H

#include <stddef.h>

/* Opens path for reading. Returns a descriptor (O_CLOEXEC), or -1 with a
** message in err[0..errlen) that names the file as name: "cannot open
** 'NAME': No such file or directory", "cannot open 'NAME': it is a FIFO,
** not a regular file", ... */
int hfile_open(const char *path, const char *name, char *err, size_t errlen);

/* Whether path names a regular file (stat follows links): what import,
** use and load take as "found" (prog.c, exec.c). */
int hfile_is_regular(const char *path);

/* The text of errno e, in b (n bytes) or a static string. */
const char *hfile_errtext(int e, char *b, size_t n);

/* Reads the whole of fd (a regular file from hfile_open) into a buffer
** got from alloc (lua_Alloc contract), NUL-terminated; *len gets its
** length. Stops with an error when the file holds more than max bytes
** (0: no bound). Returns the buffer (size *len + 1), or NULL with a message
** in err. The descriptor is left open. */
typedef void *(*hfile_Alloc)(void *ud, void *ptr, size_t osize, size_t nsize);
char *hfile_read_all(int fd, const char *path, size_t max, hfile_Alloc alloc, void *ud,
                     size_t *len, char *err, size_t errlen, int *oom);

#endif
