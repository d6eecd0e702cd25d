/*
** hfile.c: opening files that scripts name (see hfile.h for the rules).
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "hfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

static void put_err(char *err, size_t errlen, const char *fmt, const char *path, const char *why) {
  if (err && errlen) snprintf(err, errlen, fmt, path, why);
}

/* See hfile.h: GNU and XSI strerror_r alike. */
const char *hfile_errtext(int e, char *b, size_t n) {
#if defined(_GNU_SOURCE)
  return strerror_r(e, b, n);
#else
  if (strerror_r(e, b, n) != 0) snprintf(b, n, "error %d", e);
  return b;
#endif
}

/* What a non-regular file is, for the message. */
static const char *kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

/* /proc and /sys entries claim to be regular files of size 0 (or 4096)
** whose contents are generated on read: never data a script should see. */
static int is_pseudo_fs(int fd) {
#if defined(__linux__)
  struct statfs sf;
  if (fstatfs(fd, &sf) != 0) return 0;
  return sf.f_type == 0x9fa0 /* PROC_SUPER_MAGIC */ || sf.f_type == 0x62656572 /* SYSFS_MAGIC */ ||
         sf.f_type == 0x64626720 /* DEBUGFS_MAGIC */ || sf.f_type == 0x73636673 /* SECURITYFS_MAGIC */;
#else
  (void)fd;
  return 0;
#endif
}

int hfile_open(const char *path, const char *name, char *err, size_t errlen) {
  char eb[128];
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    put_err(err, errlen, "cannot open '%s': %s", name, hfile_errtext(e, eb, sizeof eb));
    return -1;
  }
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    put_err(err, errlen, "cannot open '%s': %s", name, hfile_errtext(e, eb, sizeof eb));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    put_err(err, errlen, "cannot open '%s': it is %s, not a regular file", name, kind_of(st.st_mode));
    return -1;
  }
  if (is_pseudo_fs(fd)) {
    close(fd);
    put_err(err, errlen, "cannot open '%s': %s", name, "it is a system file (/proc or /sys), not data");
    return -1;
  }
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

char *hfile_read_all(int fd, const char *path, size_t max, hfile_Alloc alloc, void *ud,
                     size_t *len, char *err, size_t errlen, int *oom) {
  char eb[128], num[32];
  struct stat st;
  size_t cap = 4096, n = 0;
  *oom = 0;
  if (fstat(fd, &st) == 0 && st.st_size > 0) cap = (size_t)st.st_size + 1;
  if (max && cap > max + 1) cap = max + 1;
  char *b = alloc(ud, NULL, 0, cap);
  if (!b) {
    *oom = 1;
    put_err(err, errlen, "out of memory reading '%s'%s", path, "");
    return NULL;
  }
  for (;;) {
    if (n + 1 >= cap) {
      if (max && n > max) break;
      size_t ncap = cap * 2;
      if (max && ncap > max + 2) ncap = max + 2;
      char *nb = alloc(ud, b, cap, ncap);
      if (!nb) {
        alloc(ud, b, cap, 0);
        *oom = 1;
        put_err(err, errlen, "out of memory reading '%s'%s", path, "");
        return NULL;
      }
      b = nb;
      cap = ncap;
    }
    ssize_t got = pread(fd, b + n, cap - 1 - n, (off_t)n);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      alloc(ud, b, cap, 0);
      put_err(err, errlen, "cannot read '%s': %s", path, hfile_errtext(e, eb, sizeof eb));
      return NULL;
    }
    n += (size_t)got;
  }
  if (max && n > max) {
    alloc(ud, b, cap, 0);
    snprintf(num, sizeof num, "%zu MiB", max >> 20);
    put_err(err, errlen, "'%s' is larger than %s, the most a source file may hold", path, max >= (1u << 20) ? num : "the limit");
    return NULL;
  }
  b[n] = 0;
  /* give back the slack: callers free with the size they were told */
  if (cap != n + 1) {
    char *nb = alloc(ud, b, cap, n + 1);
    if (nb) b = nb;
    else {   /* shrinking failed: copy into an exact block */
      nb = alloc(ud, NULL, 0, n + 1);
      if (!nb) { alloc(ud, b, cap, 0); *oom = 1; put_err(err, errlen, "out of memory reading '%s'%s", path, ""); return NULL; }
      memcpy(nb, b, n + 1);
      alloc(ud, b, cap, 0);
      b = nb;
    }
  }
  *len = n;
  return b;
}

int hfile_is_regular(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
