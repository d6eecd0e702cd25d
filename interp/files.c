/*
** files.c: files as a capability. A script reads files through `import`,
** `use` and `load` only, and every one of them goes through here:
**
**   - without HEDGE_CAP_FILES nothing is looked up or opened (a located
**     error, quoting nothing of any file);
**   - with it, only regular files are opened (hfile.h: no FIFO, device,
**     folder, /proc or /sys entry, and open(2) cannot block);
**   - hedge_Options.file_roots confines reading to folders: the check is
**     made on the file actually opened (its /proc/self/fd link), so a
**     symbolic link swapped in between cannot lead outside;
**   - hedge_Options.file_access lets the host decide per path.
**
** The file is then read from that one descriptor only.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core.h"
#include "hfile.h"
#include "files.h"

void files_init(H *h, const char *roots) {
  h->file_roots = NULL;
  if (!roots) return;
  Buf b = {0};
  /* each root resolved once (symbolic links, ".."): prefixes compare exactly */
  const char *s = roots;
  for (;;) {
    const char *e = strchr(s, ':');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n && n < PATH_MAX) {
      char one[PATH_MAX], real[PATH_MAX];
      memcpy(one, s, n);
      one[n] = 0;
      /* a root that does not exist admits nothing: keep it as written */
      const char *r = realpath(one, real) ? real : one;
      if (b.n) buf_putc(h, &b, ':');
      buf_puts(h, &b, r);
    }
    if (!e) break;
    s = e + 1;
  }
  h->file_roots = arena_strdup(h, &h->perm, b.p ? b.p : "", b.n);
  buf_free(h, &b);
}

/* Whether the absolute, resolved path lies inside one of the roots. */
static int inside_roots(H *h, const char *real) {
  if (!h->file_roots) return 1;
  const char *s = h->file_roots;
  for (;;) {
    const char *e = strchr(s, ':');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n) {
      if (n == 1 && s[0] == '/') return 1;
      if (strncmp(real, s, n) == 0 && (real[n] == '/' || real[n] == 0)) return 1;
    }
    if (!e) return 0;
    s = e + 1;
  }
}

/* The policy on a resolved path: roots, then the host's hook. */
static int policy(H *h, const char *real, const char *what) {
  if (!inside_roots(h, real)) return 0;
  if (h->file_access && !h->file_access(h->file_access_ud, real, what)) return 0;
  return 1;
}

int files_allowed(H *h, const char *path, const char *what) {
  if (!(h->caps & HEDGE_CAP_FILES)) return 0;
  if (!h->file_roots && !h->file_access) return 1;
  char real[PATH_MAX];
  if (!realpath(path, real)) return 1;   /* missing: opening it will say so */
  return policy(h, real, what);
}

void files_require(H *h, Loc at, int width, const char *what, const char *path) {
  if (h->caps & HEDGE_CAP_FILES) return;
  hx_error_span(h, at, width,
                "cannot %s '%s': this program may not read files (the host did not grant HEDGE_CAP_FILES)",
                what, path);
}

int files_open(H *h, const char *path, const char *shown, Loc at, const char *what) {
  char err[PATH_MAX + 128];
  int fd = hfile_open(path, shown, err, sizeof err);
  if (fd < 0) hx_error_at(h, at, "%s", err);
  if (h->file_roots || h->file_access) {
    /* decide on the file actually opened, not on the name */
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n > 0) real[n] = 0;
    else if (!realpath(path, real)) { close(fd); hx_error_at(h, at, "cannot open '%s': cannot resolve its path", shown); }
    if (!policy(h, real, what)) {
      close(fd);
      hx_error_at(h, at, "cannot %s '%s': not allowed by the host (outside the folders it may read)", what, shown);
    }
  }
  return fd;
}
