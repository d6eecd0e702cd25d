/*
** watch.c: `hedge check --watch` and `hedge test --watch`. The command runs
** again, from scratch, whenever a file it read changes.
**
** Each run is a child process: the same binary with the same arguments
** minus --watch, so every run reloads everything (sources, CSV files, Lua
** extensions) into a fresh interpreter, and a crash or a limit cannot take
** the watcher down. Before it exits, the child writes the list of files its
** state read (hedge_files) and the files the command line asked it to load
** (even one that could not be read) to the pipe named by HEDGE_WATCH_FD;
** the watcher then polls those files (size, modification time, inode: an editor's save-by-rename counts) every
** WATCH_POLL_MS, and starts the next run after a change. On a terminal the
** screen is cleared before each run. Ctrl-C stops both.
*/
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hedge.h"
#include "introspect.h"
#include "cli.h"

#define WATCH_POLL_MS 200
#define WATCH_FD_ENV "HEDGE_WATCH_FD"

int cli_watch_wanted(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) return 0;
    if (!strcmp(argv[i], "--watch")) return 1;
  }
  return 0;
}

static int write_name(void *ud, const char *name, const char *detail) {
  (void)detail;
  int fd = *(int *)ud;
  size_t n = strlen(name) + 1;   /* with its NUL: names are NUL-separated */
  const char *p = name;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return 1; }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The files the command line asked to load, in this run (the CLI's own
** state, not the library's). */
static char **noted;
static int nnoted;

void cli_watch_note(const char *path) {
  if (!getenv(WATCH_FD_ENV)) return;
  char **q = realloc(noted, (size_t)(nnoted + 1) * sizeof *noted);
  if (!q) return;
  noted = q;
  noted[nnoted] = strdup(path);
  if (noted[nnoted]) nnoted++;
}

void cli_watch_report(hedge_State *H) {
  const char *e = getenv(WATCH_FD_ENV);
  if (!e || !*e || !H) return;
  int fd = atoi(e);
  if (fd <= 2) return;
  for (int i = 0; i < nnoted; i++) { write_name(&fd, noted[i], NULL); free(noted[i]); }
  free(noted);
  noted = NULL;
  nnoted = 0;
  hedge_files(H, write_name, &fd);
  close(fd);
  unsetenv(WATCH_FD_ENV);
}

typedef struct Watched { char *path; int exists; off_t size; struct timespec mtime; ino_t ino; } Watched;

static void snap(Watched *w) {
  struct stat st;
  w->exists = stat(w->path, &st) == 0;
  if (!w->exists) return;
  w->size = st.st_size;
  w->mtime = st.st_mtim;
  w->ino = st.st_ino;
}

static int changed(const Watched *w) {
  Watched now = *w;
  snap(&now);
  if (now.exists != w->exists) return 1;
  if (!now.exists) return 0;
  return now.size != w->size || now.ino != w->ino || now.mtime.tv_sec != w->mtime.tv_sec ||
         now.mtime.tv_nsec != w->mtime.tv_nsec;
}

static void add_watch(Watched **ws, int *n, const char *path) {
  for (int i = 0; i < *n; i++) if (!strcmp((*ws)[i].path, path)) return;
  Watched *q = realloc(*ws, (size_t)(*n + 1) * sizeof **ws);
  if (!q) { fprintf(stderr, "hedge: out of memory\n"); exit(2); }
  *ws = q;
  memset(&q[*n], 0, sizeof q[*n]);
  q[*n].path = strdup(path);
  if (!q[*n].path) { fprintf(stderr, "hedge: out of memory\n"); exit(2); }
  snap(&q[*n]);
  (*n)++;
}

static void sleep_ms(int ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

int cli_watch(int argc, char **argv) {
  const char *cmd = argc >= 2 ? argv[1] : "";
  if (strcmp(cmd, "check") && strcmp(cmd, "test")) {
    fprintf(stderr, "hedge: --watch goes with check and test\n(hedge --help for usage)\n");
    return 2;
  }
  /* the child's arguments: the same, without --watch */
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (!args) return 2;
  int nargs = 0, dashdash = 0;
  for (int i = 0; i < argc; i++) {
    if (!dashdash && !strcmp(argv[i], "--watch")) continue;
    if (!strcmp(argv[i], "--")) dashdash = 1;
    args[nargs++] = argv[i];
  }
  int tty = isatty(STDOUT_FILENO) && !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));
  for (int run = 1;; run++) {
    if (tty) { fputs("\033[H\033[2J\033[3J", stdout); fflush(stdout); }
    int pfd[2];
    if (pipe(pfd) != 0) { perror("hedge: pipe"); return 2; }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) { perror("hedge: fork"); return 2; }
    if (pid == 0) {
      close(pfd[0]);
      char fdbuf[16];
      snprintf(fdbuf, sizeof fdbuf, "%d", pfd[1]);
      setenv(WATCH_FD_ENV, fdbuf, 1);
      execv("/proc/self/exe", args);
      execvp(args[0], args);
      perror("hedge: cannot run itself");
      _exit(2);
    }
    close(pfd[1]);
    /* the list of files the run read, NUL-separated */
    char *list = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
      if (n + 4096 > cap) {
        cap = cap ? cap * 2 : 8192;
        char *q = realloc(list, cap);
        if (!q) { fprintf(stderr, "hedge: out of memory\n"); return 2; }
        list = q;
      }
      ssize_t r = read(pfd[0], list + n, cap - n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      n += (size_t)r;
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    Watched *ws = NULL;
    int nw = 0;
    for (size_t i = 0; i < n;) {
      size_t l = strnlen(list + i, n - i);
      if (l < n - i) add_watch(&ws, &nw, list + i);
      i += l + 1;
    }
    free(list);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    fprintf(stderr, "hedge --watch: run %d exited %d; watching %d file%s (Ctrl-C to stop)\n", run, code, nw, nw == 1 ? "" : "s");
    fflush(stderr);
    int which = -1;
    while (which < 0) {
      sleep_ms(WATCH_POLL_MS);
      for (int i = 0; i < nw && which < 0; i++) if (changed(&ws[i])) which = i;
    }
    /* let an editor finish writing (several files saved at once) */
    sleep_ms(WATCH_POLL_MS / 2);
    fprintf(stderr, "hedge --watch: %s changed\n", ws[which].path);
    for (int i = 0; i < nw; i++) free(ws[i].path);
    free(ws);
  }
}
