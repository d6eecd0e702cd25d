/*
** check.h: the assertions the C API tests share. Each test prints only its
** failures ("FAIL file:line: ..."), then "N passed, M failed", and exits 1 on
** a failure. Header-only: each test is one translation unit.
*/
#ifndef TEST_CHECK_H
#define TEST_CHECK_H
#include <stdio.h>
#include <string.h>

static int npass, nfail;

#define CHECK(cond) check_((cond) != 0, #cond, __FILE__, __LINE__)
static int check_(int ok, const char *what, const char *file, int line) {
  if (ok) npass++;
  else { nfail++; printf("FAIL %s:%d: %s\n", file, line, what); }
  return ok;
}

#define CHECK_INT(got, want) check_int_((long)(got), (long)(want), #got, __FILE__, __LINE__)
static void check_int_(long got, long want, const char *what, const char *file, int line) {
  if (got == want) { npass++; return; }
  nfail++;
  printf("FAIL %s:%d: %s is %ld, expected %ld\n", file, line, what, got, want);
}

/* Equal strings; two NULLs are equal too. */
#define CHECK_STR(got, want) check_str_((got), (want), #got, __FILE__, __LINE__)
static void check_str_(const char *got, const char *want, const char *what, const char *file, int line) {
  if ((got && want && !strcmp(got, want)) || (!got && !want)) { npass++; return; }
  nfail++;
  printf("FAIL %s:%d: %s is \"%s\", expected \"%s\"\n", file, line, what, got ? got : "(null)",
         want ? want : "(null)");
}

#define CHECK_HAS(got, part) check_has_((got), (part), #got, __FILE__, __LINE__)
static void check_has_(const char *got, const char *part, const char *what, const char *file, int line) {
  if (got && strstr(got, part)) { npass++; return; }
  nfail++;
  printf("FAIL %s:%d: %s does not contain \"%s\":\n%s\n", file, line, what, part, got ? got : "(null)");
}

/* Silences -Wunused-function for the helpers a test does not use. */
static inline void check_used_(void) { (void)check_; (void)check_int_; (void)check_str_; (void)check_has_; }

#endif
