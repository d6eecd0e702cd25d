/*
** cli_fmt.c: `hedge fmt [--check] [--diff] [--tree] FILE...` (the command
** line side of fmt.c).
**  - no option: each file is rewritten in the canonical layout, atomically
**    (a temporary file in the same folder, then rename), and only when it
**    changes; a file that does not parse is left untouched and its error
**    printed;
**  - --check: nothing is written; exit 1 when some file would change, and
**    its name is printed;
**  - --diff: nothing is written; a unified diff of each change is printed
**    (through diff(1), which every Debian system has);
**  - --tree: print the syntax tree without positions (what fmt compares);
**  - FILE `-`: read standard input, write the result to standard output.
** Exit codes: 0 done (or nothing to change), 1 --check/--diff found a file
** to change, 2 an error (a file that does not parse, cannot be written).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hedge.h"
#include "fmt.h"
#include "cli.h"

static const char fmt_usage[] =
  "usage: hedge fmt [--check] [--diff] [--tree] FILE...   (FILE - : standard input)\n";

/* Reads a whole file (or stdin for "-") into a malloc'd buffer. */
static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  char *p = malloc(cap);
  size_t k;
  while (p && (k = fread(p + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (n + 1 >= cap) {
      char *q = realloc(p, cap * 2);
      if (!q) { free(p); p = NULL; break; }
      p = q;
      cap *= 2;
    }
  }
  int err = ferror(f);
  if (f != stdin) fclose(f);
  if (!p || err) { free(p); errno = err ? EIO : ENOMEM; return NULL; }
  p[n] = 0;
  *len = n;
  return p;
}

/* Writes text to a new temporary file beside path; returns its name
** (malloc'd) or NULL with errno set. */
static char *write_temp(const char *path, const char *text, size_t len, mode_t mode) {
  const char *slash = strrchr(path, '/');
  size_t dl = slash ? (size_t)(slash - path + 1) : 0;
  const char *base = slash ? slash + 1 : path;
  size_t n = dl + strlen(base) + 32;
  char *tmp = malloc(n);
  if (!tmp) return NULL;
  snprintf(tmp, n, "%.*s.%s.fmt-XXXXXX", (int)dl, path, base);
  int fd = mkstemp(tmp);
  if (fd < 0) { free(tmp); return NULL; }
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, text + done, len - done);
    if (w < 0) { if (errno == EINTR) continue; int e = errno; close(fd); unlink(tmp); free(tmp); errno = e; return NULL; }
    done += (size_t)w;
  }
  if (fchmod(fd, mode & 07777) != 0 || fsync(fd) != 0) { int e = errno; close(fd); unlink(tmp); free(tmp); errno = e; return NULL; }
  if (close(fd) != 0) { int e = errno; unlink(tmp); free(tmp); errno = e; return NULL; }
  return tmp;
}

/* Prints a unified diff of path against the formatted text via diff -u. */
static int print_diff(const char *path, const char *text, size_t len) {
  char tmpl[] = "/tmp/hedge-fmt-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, text + done, len - done);
    if (w < 0) { if (errno == EINTR) continue; close(fd); unlink(tmpl); return -1; }
    done += (size_t)w;
  }
  close(fd);
  fflush(stdout);
  char la[4096], lb[4096];
  snprintf(la, sizeof la, "a/%s", path);
  snprintf(lb, sizeof lb, "b/%s", path);
  pid_t pid = fork();
  if (pid == 0) {
    execlp("diff", "diff", "-u", "--label", la, "--label", lb, path, tmpl, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  unlink(tmpl);
  return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? 0 : -1;
}

int cli_fmt(int argc, char **argv) {
  int check = 0, diff = 0, tree = 0, nfiles = 0, dashdash = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!dashdash && !strcmp(a, "--")) { dashdash = 1; continue; }
    if (!dashdash && a[0] == '-' && a[1] == '-') {
      if (!strcmp(a, "--check")) check = 1;
      else if (!strcmp(a, "--diff")) diff = 1;
      else if (!strcmp(a, "--tree")) tree = 1;
      else if (!strcmp(a, "--help")) { fputs(fmt_usage, stdout); return 0; }
      else { fprintf(stderr, "hedge: unknown option %s\n%s", a, fmt_usage); return 2; }
      continue;
    }
    nfiles++;
  }
  if (!nfiles) { fprintf(stderr, "hedge: no file given to fmt\n%s", fmt_usage); return 2; }
  hedge_State *H = cli_open(0, stderr);
  int rc = 0;
  dashdash = 0;
  for (int i = 1; i < argc; i++) {
    const char *path = argv[i];
    if (!dashdash && !strcmp(path, "--")) { dashdash = 1; continue; }
    if (!dashdash && path[0] == '-' && path[1] == '-') continue;
    int is_stdin = !strcmp(path, "-");
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!text) { fprintf(stderr, "hedge: cannot read %s: %s\n", path, strerror(errno)); rc = 2; continue; }
    const char *name = is_stdin ? "<stdin>" : path;
    if (memchr(text, 0, len)) {
      fprintf(stderr, "%s: error: a NUL byte: not hedge source (left untouched)\n", name);
      free(text); rc = 2; continue;
    }
    const char *out;
    size_t outlen = 0;
    int st = tree ? hedge_syntax_tree(H, name, text, len, &out) : hedge_format(H, name, text, len, &out, &outlen);
    if (st != HEDGE_OK) {
      fprintf(stderr, "%s\n", hedge_errmsg(H));
      if (!tree && !is_stdin) fprintf(stderr, "hedge: %s left untouched\n", path);
      free(text); rc = 2; continue;
    }
    if (tree) {
      if (nfiles > 1) printf("== %s\n", name);
      fputs(out, stdout);
      free(text);
      continue;
    }
    int changed = outlen != len || memcmp(out, text, len) != 0;
    if (is_stdin) {
      if (check) { if (changed) { if (rc == 0) rc = 1; fprintf(stderr, "<stdin>: not formatted\n"); } }
      else fwrite(out, 1, outlen, stdout);
    } else if (check || diff) {
      if (changed) {
        if (rc == 0) rc = 1;
        if (diff) { if (print_diff(path, out, outlen) != 0) { fprintf(stderr, "hedge: cannot run diff -u\n"); rc = 2; } }
        else printf("%s\n", path);
      }
    } else if (changed) {
      struct stat sb;
      mode_t mode = stat(path, &sb) == 0 ? sb.st_mode : 0644;
      /* through a symbolic link: replace the file it points to, not the link */
      char *real = realpath(path, NULL);
      const char *target = real ? real : path;
      char *tmp = write_temp(target, out, outlen, mode);
      if (!tmp || rename(tmp, target) != 0) {
        fprintf(stderr, "hedge: cannot write %s: %s (left untouched)\n", path, strerror(errno));
        if (tmp) { unlink(tmp); free(tmp); }
        rc = 2;
      } else free(tmp);
      free(real);
    }
    free(text);
  }
  fflush(stdout);
  hedge_close(H);
  return rc;
}
