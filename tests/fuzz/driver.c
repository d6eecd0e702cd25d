/*
** driver.c: runs a harness over files without libFuzzer, so that `make
** test` (gcc, AddressSanitizer) replays the seeds and every input that once
** crashed (tests/fuzz/regressions/). Usage: DRIVER FILE_OR_DIR...
*/
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long ran;

static void run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
  size_t cap = 4096, n = 0, got;
  uint8_t *b = malloc(cap);
  while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) b = realloc(b, cap *= 2);
  }
  fclose(f);
  if (!b) exit(2);
  LLVMFuzzerTestOneInput(b, n);
  free(b);
  ran++;
}

static void run_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
  if (!S_ISDIR(st.st_mode)) { run_file(path); return; }
  DIR *d = opendir(path);
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    run_path(sub);
  }
  if (d) closedir(d);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) run_path(argv[i]);
  printf("%ld passed, 0 failed\n", ran);   /* a crash never gets here */
  return 0;
}
