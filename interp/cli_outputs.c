/*
** cli_outputs.c: the commands that write documents for other programs and
** for sharing (docs/cli.md): `hedge table`, `hedge report` and
** `hedge batch`, and the JUnit document of a run that could not start.
** stdout carries only the document; `print` output goes to stderr.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedge.h"
#include "cli.h"

void cli_junit_error(FILE *out, const char *msg) {
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"hedge\" tests=\"1\" failures=\"0\" errors=\"1\">\n"
        "  <testsuite name=\"hedge\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">\n"
        "    <testcase name=\"load\" classname=\"hedge\" time=\"0\">\n"
        "      <error type=\"load\" message=\"", out);
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    if (*p == '&') fputs("&amp;", out);
    else if (*p == '<') fputs("&lt;", out);
    else if (*p == '>') fputs("&gt;", out);
    else if (*p == '"') fputs("&quot;", out);
    else if (*p == '\n') fputs("&#10;", out);
    else if (*p < 32 && *p != '\t') fputs("\xEF\xBF\xBD", out);
    else fputc(*p, out);
  }
  fputs("\"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n", out);
}

/* Writes text to path ("-" or NULL: stdout). Returns 0, or 2 with a message. */
static int write_out(const char *path, const char *text) {
  if (!path || !strcmp(path, "-")) { fputs(text, stdout); fflush(stdout); return 0; }
  FILE *f = fopen(path, "wb");
  if (!f) { fprintf(stderr, "hedge: cannot write %s: %s\n", path, strerror(errno)); return 2; }
  size_t n = strlen(text);
  int ok = fwrite(text, 1, n, f) == n;
  if (fclose(f) != 0) ok = 0;
  if (!ok) { fprintf(stderr, "hedge: cannot write %s: %s\n", path, strerror(errno)); return 2; }
  return 0;
}

static int exit_of(int st) { return st == HEDGE_OK ? 0 : st == HEDGE_FAIL ? 1 : 2; }

static hedge_State *open_and_load(const CliOutputs *o, int nfiles) {
  hedge_State *H = cli_open(o->caps, stderr);
  if (cli_use_pack(H, o->files, nfiles) != 0) { hedge_close(H); return NULL; }
  for (int i = 0; i < nfiles; i++)
    if (cli_load(H, o->files[i]) != HEDGE_OK) { hedge_close(H); return NULL; }
  return H;
}

/* hedge table FILE... RULE|EXPR [--format csv|json] [--scenario S] [-o OUT] */
static int cmd_table(const CliOutputs *o) {
  const char *fmt = o->format ? o->format : "csv";
  if (strcmp(fmt, "csv") && strcmp(fmt, "json")) cli_die_usage("table: --format takes csv or json, not", fmt);
  if (o->compare) cli_die_usage("table: --compare does not go with table; use", "--scenario");
  if (o->nfiles < 2) cli_die_usage("table needs files and a rule or an expression:", "hedge table FILE... RULE|EXPR");
  hedge_State *H = open_and_load(o, o->nfiles - 1);
  if (!H) return 2;
  const char *out;
  int st = hedge_table(H, o->files[o->nfiles - 1], o->scenario, !strcmp(fmt, "json") ? HEDGE_TABLE_JSON : HEDGE_TABLE_CSV, &out);
  int rc = 0;
  if (st != HEDGE_OK) { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; }
  else rc = write_out(o->output, out);
  hedge_close(H);
  return rc;
}

/* hedge report FILE... -o OUT.html [--scenario S | --compare S] */
static int cmd_report(const CliOutputs *o) {
  if (o->format && strcmp(o->format, "html")) cli_die_usage("report writes HTML; --format does not go with it:", o->format);
  if (!o->output) cli_die_usage("report needs an output file:", "hedge report FILE... -o report.html");
  if (o->nfiles < 1) cli_die_usage("no file given to", "report");
  if (o->scenario && o->compare) cli_die_usage("use either --scenario or --compare", NULL);
  hedge_State *H = open_and_load(o, o->nfiles);
  if (!H) return 2;
  const char *out;
  int st = hedge_report_html(H, o->scenario, o->compare, &out);
  int rc;
  if (!out) { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; }
  else {
    rc = write_out(o->output, out);
    if (!rc) rc = exit_of(st);
  }
  hedge_close(H);
  return rc;
}

/* hedge batch FILE...: JSON lines in, one JSON line out per line, in order. */
static int cmd_batch(const CliOutputs *o) {
  if (o->format && strcmp(o->format, "json")) cli_die_usage("batch writes JSON lines; --format takes json, not", o->format);
  if (o->scenario || o->compare || o->output) cli_die_usage("batch reads its scenarios from stdin; no --scenario, --compare or -o", NULL);
  if (o->nfiles < 1) cli_die_usage("no file given to", "batch");
  hedge_State *H = open_and_load(o, o->nfiles);
  if (!H) return 2;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    size_t i = 0;
    while (line[i] == ' ' || line[i] == '\t') i++;
    if (!line[i]) continue;   /* blank lines are not inputs */
    const char *out;
    int st = hedge_batch_line(H, line, &out);
    if (!out) { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; break; }
    fputs(out, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    /* a limit, an interrupt or out of memory ends the batch */
    if (st == HEDGE_EMEMORY || st == HEDGE_ELIMIT || st == HEDGE_EINTERRUPT) { rc = 2; break; }
  }
  free(line);
  hedge_close(H);
  return rc;
}

int cli_outputs(const CliOutputs *o) {
  if (o->misplaced) cli_die_usage("--rule, --explain, --repair, --margins and --emit go with", "check");
  if (!strcmp(o->cmd, "table")) return cmd_table(o);
  if (!strcmp(o->cmd, "report")) return cmd_report(o);
  return cmd_batch(o);
}
