/*
** main.c: the command line (docs/cli.md). Parses arguments, opens one
** state, loads the files in order and runs the command; prints what the
** library returns. Exit codes: 0 success, 1 a rule (or test) failed,
** 2 an error (bad input, bad usage, a rule with status error).
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hedge.h"
#include "cli.h"

static const char usage[] =
  "usage: hedge                          start the REPL\n"
  "       hedge repl [FILE...]           start the REPL with files loaded\n"
  "       hedge check FILE... [options]  check rules and warns\n"
  "       hedge run FILE... [--scenario NAME]  run the files (print statements)\n"
  "       hedge eval EXPR [FILE...] [--scenario NAME]  evaluate one expression after loading\n"
  "       hedge test FILE...             run the test blocks\n"
  "       hedge table FILE... RULE|EXPR  every binding's figures as CSV (or --format json)\n"
  "       hedge report FILE... -o OUT    an HTML report (--scenario S or --compare S)\n"
  "       hedge batch FILE...            check scenarios read as JSON lines on stdin\n"
  "       hedge fmt [--check] [--diff] FILE...  format files in the canonical layout\n"
  "       hedge pack FILE... [-o OUT.hpk]  load the files once and write their loaded data\n"
  "                                      and indexes to OUT (default FILE.hpk) for --pack\n"
  "       hedge lsp                      a Language Server on stdin/stdout (docs/editors.md)\n"
  "       hedge --version | --help\n"
  "\n"
  "check options:\n"
  "  --format text|json|junit  report for people (default), as JSON or as JUnit\n"
  "                       XML (also for test); table: csv|json\n"
  "  -o, --output FILE    write the report (or table) to FILE\n"
  "  --rule NAME          check only this rule (repeatable)\n"
  "  --scenario NAME      check the world changed by a scenario (also for run and eval:\n"
  "                       their figures under the scenario)\n"
  "  --compare NAME       show what a scenario changes, rule by rule\n"
  "  --explain            show the value of every sub-expression of each failure\n"
  "  --repair             under each failure, the smallest change of each lever that\n"
  "                       makes it pass, as a scenario (docs/repair.md)\n"
  "  --repair=check       the same, and re-check every rule under each repair to say\n"
  "                       what else it breaks (one check per repair)\n"
  "  --repair=joint       the same, and one repair per failing rule of shares that\n"
  "                       passes all its bindings at once\n"
  "  --emit FILE          with --repair: write every repair's scenario to FILE\n"
  "  --margins            for each passing binding, its distance to the limit\n"
  "  --strict             a vacuous rule (one that checked nothing) fails the check\n"
  "  --watch              (check, test) run again when a file read changes\n"
  "options for every command:\n"
  "  --allow-ffi          allow `extern` C functions (libffi)\n"
  "  --allow-io           give Lua extensions io, os and require\n"
  "  --pack FILE.hpk      (check, run, eval, test, repl, table, report, batch) take what\n"
  "                       the loads read from a pack written by `hedge pack`; refused,\n"
  "                       naming the file, when a file it was packed from changed\n"
  "  --no-color           no ANSI colours (also: NO_COLOR set, or not a terminal)\n"
  "limits (for check, run, eval, test and the REPL; each ends in exit 2 with a\n"
  "located message):\n"
  "  --timeout SECONDS    wall-clock time per step (loading a file, a check, ...)\n"
  "  --max-memory SIZE    memory the interpreter may hold (512M, 2G)\n"
  "  --max-steps N        evaluation steps per step (10M); loading charges a step per row\n"
  "  --max-record SIZE    longest CSV record a load accepts (default 64M)\n"
  "environment: HEDGE_PATH (folders for import/use), HEDGE_HISTORY (REPL history),\n"
  "             HEDGE_STDLIB (standard library folder), HEDGE_LOAD_THREADS=1 (read\n"
  "             CSV files in one thread), NO_COLOR\n"
  "exit codes: 0 all rules passed, 1 a rule failed, 2 an error\n";

static void print_to(void *ud, const char *s, size_t n) { fwrite(s, 1, n, (FILE *)ud); fflush((FILE *)ud); }

/* Progress of a long load, on a terminal only: one line redrawn in place. */
static void progress_to(void *ud, const char *file, long rows, double fraction, int done) {
  (void)ud;
  fprintf(stderr, "\rloading %s: %ld rows (%.0f%%)%s", file, rows, fraction * 100, done ? "\n" : "");
  fflush(stderr);
}

/* ---- packed worlds ---------------------------------------------------------------- */

const char *cli_pack_path;

int cli_use_pack(hedge_State *H, const char *const *files, int nfiles) {
  if (!cli_pack_path) return 0;
  if (hedge_pack_use(H, cli_pack_path, files, nfiles) == HEDGE_OK) return 0;
  fprintf(stderr, "hedge: %s\n", hedge_errmsg(H));
  return 2;
}

/* The default pack of the first file: w1.hedge -> w1.hpk. */
static void default_pack_name(const char *file, char *out, size_t n) {
  size_t l = strlen(file);
  if (l > 6 && !strcmp(file + l - 6, ".hedge")) snprintf(out, n, "%.*s.hpk", (int)(l - 6), file);
  else snprintf(out, n, "%s.hpk", file);
}

/* hedge pack FILE... [-o OUT]: runs the files once (their rules too, which
** builds the indexes they use) and writes the pack. */
static int cmd_pack(const char **files, int nfiles, const char *out, unsigned caps) {
  char def[4096];
  if (!out) { default_pack_name(files[0], def, sizeof def); out = def; }
  hedge_State *H = cli_open(caps, stderr);
  if (hedge_pack_begin(H, out, files, nfiles) != HEDGE_OK) {
    fprintf(stderr, "hedge: %s\n", hedge_errmsg(H));
    hedge_close(H);
    return 2;
  }
  for (int i = 0; i < nfiles; i++)
    if (cli_load(H, files[i]) != HEDGE_OK) { hedge_close(H); return 2; }
  if (hedge_pack_end(H) != HEDGE_OK) {
    fprintf(stderr, "hedge: %s\n", hedge_errmsg(H));
    hedge_close(H);
    return 2;
  }
  hedge_close(H);
  struct stat st;
  if (stat(out, &st) == 0) fprintf(stderr, "hedge: packed %s into %s (%.1f MB)\n", files[0], out, (double)st.st_size / 1e6);
  return 0;
}

/* ---- limits ---------------------------------------------------------------------- */

static void die_usage(const char *msg, const char *arg);

CliLimits cli_limits;

/* "512M" -> bytes (K M G T are powers of 1024; a trailing B or iB is allowed). */
static int parse_size(const char *v, size_t *out) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || errno || !(x > 0)) return 0;
  double mul = 1;
  switch (*end) {
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
  }
  if (*end == 'i' && mul > 1) end++;
  if (*end == 'B' || *end == 'b') end++;
  if (*end) return 0;
  x *= mul;
  if (x < 1 || x > 1e18) return 0;
  *out = (size_t)x;
  return 1;
}

/* "10M" -> 10000000 (K M G B are powers of 1000). */
static int parse_count(const char *v, uint64_t *out) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || errno || !(x >= 1)) return 0;
  switch (*end) {
    case 'k': case 'K': x *= 1e3; end++; break;
    case 'm': case 'M': x *= 1e6; end++; break;
    case 'g': case 'G': case 'b': case 'B': x *= 1e9; end++; break;
    default: break;
  }
  if (*end || x > 1e18) return 0;
  *out = (uint64_t)x;
  return 1;
}

int cli_limit_option(const char *name, const char *val) {
  if (!strcmp(name, "--timeout")) {
    char *end;
    errno = 0;
    double x = strtod(val, &end);
    if (end == val || *end || errno || !(x > 0) || x > 1e8) die_usage("--timeout takes a number of seconds, not", val);
    cli_limits.seconds = x;
    return 1;
  }
  if (!strcmp(name, "--max-memory")) {
    if (!parse_size(val, &cli_limits.memory)) die_usage("--max-memory takes a size (512M, 2G), not", val);
    if (cli_limits.memory < (8u << 20)) die_usage("--max-memory must be at least 8M (the standard library needs it), not", val);
    return 1;
  }
  if (!strcmp(name, "--max-steps")) {
    if (!parse_count(val, &cli_limits.steps)) die_usage("--max-steps takes a count (1000000, 10M), not", val);
    return 1;
  }
  if (!strcmp(name, "--max-record")) {
    if (!parse_size(val, &cli_limits.record)) die_usage("--max-record takes a size (1M, 64M), not", val);
    return 1;
  }
  return 0;
}

void cli_apply_limits(hedge_Options *o) {
  o->max_seconds = cli_limits.seconds;
  o->max_memory = cli_limits.memory;
  o->max_steps = cli_limits.steps;
  o->max_record = cli_limits.record;
}

static int is_dir(const char *p) { struct stat st; return stat(p, &st) == 0 && S_ISDIR(st.st_mode); }

/* The standard library: $HEDGE_STDLIB, else beside the binary (a build
** tree), else the installed share folder, else the compiled-in default. */
const char *cli_stdlib_dir(void) {
  static char buf[PATH_MAX + 64];
  const char *env = getenv("HEDGE_STDLIB");
  if (env && *env) return env;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = 0;
      snprintf(buf, sizeof buf, "%s/stdlib", exe);
      if (is_dir(buf)) return buf;
      snprintf(buf, sizeof buf, "%s/../share/hedge/stdlib", exe);
      if (is_dir(buf)) return buf;
    }
  }
  return NULL;   /* the library's compiled-in default */
}

_Noreturn void cli_die_usage(const char *msg, const char *arg) {
  fprintf(stderr, "hedge: %s%s%s\n(hedge --help for usage)\n", msg, arg ? " " : "", arg ? arg : "");
  exit(2);
}

static void die_usage(const char *msg, const char *arg) {
  fprintf(stderr, "hedge: %s%s%s\n(hedge --help for usage)\n", msg, arg ? " " : "", arg ? arg : "");
  exit(2);
}

hedge_State *cli_open(unsigned caps, FILE *print_stream) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.capabilities = caps | HEDGE_CAP_FILES;   /* the command line reads the files it is given */
  o.stdlib_dir = cli_stdlib_dir();
  o.search_path = getenv("HEDGE_PATH");
  o.print = print_to;
  o.print_ud = print_stream;
  cli_apply_limits(&o);
  /* HEDGE_LOAD_THREADS=1 reads every CSV file in one thread */
  const char *lt = getenv("HEDGE_LOAD_THREADS");
  if (lt && *lt) o.load_threads = atoi(lt);
  /* HEDGE_NATIVE=0 runs every standard function in Lua (the both-ways test) */
  const char *nat = getenv("HEDGE_NATIVE");
  if (nat && !strcmp(nat, "0")) o.lua_stdlib_only = 1;
  /* HEDGE_COMPARE_FULL=1: --compare evaluates every binding in the scenario (both ways tests) */
  const char *cf = getenv("HEDGE_COMPARE_FULL");
  if (cf && !strcmp(cf, "1")) o.compare_full = 1;
  /* HEDGE_FUSED=0 builds each index at its first query (tests compare) */
  const char *fu = getenv("HEDGE_FUSED");
  if (fu && !strcmp(fu, "0")) o.lazy_indexes = 1;
  if (isatty(STDERR_FILENO) && !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"))) o.progress = progress_to;
  char err[1024];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) { fprintf(stderr, "hedge: cannot start: %s\n", err); exit(2); }
  return H;
}

/* HEDGE_PHASES=1: the wall time of each phase of a command on stderr
** (`phase load 0.123 s`), for the benchmark's breakdown; what is not a
** phase of its own (indexes, rules) is in `check`. */
static void phase(const char *what) {
  static double last;                 /* the CLI's own clock, not the library's */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
  const char *on = getenv("HEDGE_PHASES");
  if (what && on && *on && strcmp(on, "0")) fprintf(stderr, "phase %s %.3f s\n", what, now - last);
  last = now;
}

int cli_load(hedge_State *H, const char *path) {
  cli_watch_note(path);
  int st = hedge_load_file(H, path);
  fputs(hedge_warnings(H), stderr);   /* "file:line:col: warning: ..." */
  if (st != HEDGE_OK) fprintf(stderr, "%s\n", hedge_errmsg(H));
  return st;
}

/* The length of the UTF-8 sequence at p (2 to 4), or 0 when it is not one. */
static int utf8_ok(const unsigned char *p) {
  int k = *p >= 0xF0 && *p <= 0xF4 ? 4 : *p >= 0xE0 && *p < 0xF0 ? 3 : *p >= 0xC2 && *p < 0xE0 ? 2 : 0;
  for (int i = 1; i < k; i++) if ((p[i] & 0xC0) != 0x80) return 0;
  return k;
}

/* With --format json, a tool reading stdout still gets a document when the
** files do not load: no rules, and the message (also on stderr) in "error". */
static void json_error(const char *msg) {
  fputs("{ \"hedge\": \"" HEDGE_VERSION "\", \"scenario\": null, \"overrides\": [], \"rules\": [],\n"
        "  \"summary\": { \"passed\": 0, \"failed\": 0, \"warnings\": 0, \"errors\": 1, \"vacuous\": 0 },\n  \"error\": \"", stdout);
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p == '\n') fputs("\\n", stdout);
    else if (*p < 32 || *p == 127) printf("\\u%04x", *p);
    else if (*p >= 0x80) {   /* JSON is UTF-8: a whole valid sequence, or U+FFFD */
      int k = utf8_ok(p);
      if (!k) fputs("\\ufffd", stdout);
      else { fwrite(p, 1, (size_t)k, stdout); p += k - 1; }
    } else putchar(*p);
  }
  fputs("\" }\n", stdout);
}

int main(int argc, char **argv) {
  /* commands with their own argument syntax */
  if (argc >= 2 && !strcmp(argv[1], "fmt")) return cli_fmt(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "lsp")) return cli_lsp(argc - 1, argv + 1);
  if (cli_watch_wanted(argc, argv)) return cli_watch(argc, argv);
  const char *cmd = NULL, *format = NULL, *scenario = NULL, *compare = NULL, *expr = NULL, *output = NULL;
  const char *rules[256];
  int nrules = 0, explain = 0, color = 1, dashdash = 0, repair = 0, margins = 0, strict = 0;
  const char *emit = NULL;
  unsigned caps = 0;
  const char *files[1024];
  int nfiles = 0;
  if (argc >= 2 && (!strcmp(argv[1], "check") || !strcmp(argv[1], "run") || !strcmp(argv[1], "eval") ||
                    !strcmp(argv[1], "test") || !strcmp(argv[1], "repl") || !strcmp(argv[1], "table") ||
                    !strcmp(argv[1], "report") || !strcmp(argv[1], "batch") || !strcmp(argv[1], "pack")))
    cmd = argv[1];
  for (int i = cmd ? 2 : 1; i < argc; i++) {
    const char *a = argv[i];
    if (!dashdash && !strcmp(a, "-o")) {
      if (i + 1 >= argc) die_usage("missing value after", a);
      output = argv[++i];
      continue;
    }
    if (!dashdash && a[0] == '-' && a[1] == '-') {
      if (!strcmp(a, "--")) { dashdash = 1; continue; }
      if (!strcmp(a, "--help")) { fputs(usage, stdout); return 0; }
      if (!strcmp(a, "--version")) { printf("hedge " HEDGE_VERSION "\n"); return 0; }
      if (!strcmp(a, "--allow-ffi")) { caps |= HEDGE_CAP_FFI; continue; }
      if (!strcmp(a, "--allow-io")) { caps |= HEDGE_CAP_IO; continue; }
      if (!strcmp(a, "--no-color")) { color = 0; continue; }
      if (!strcmp(a, "--explain")) { explain = 1; continue; }
      if (!strcmp(a, "--repair")) { repair = 1; continue; }
      if (!strncmp(a, "--repair=", 9)) {
        if (!strcmp(a + 9, "each")) { repair = 1; continue; }
        if (!strcmp(a + 9, "check")) { repair = 2; continue; }
        if (!strcmp(a + 9, "joint")) { repair = 3; continue; }
        die_usage("--repair takes 'each' (the default), 'check' (re-check every rule under each repair) or "
                  "'joint' (also one repair per rule for all its bindings):", a);
      }
      if (!strcmp(a, "--margins")) { margins = 1; continue; }
      if (!strcmp(a, "--strict")) { strict = 1; continue; }
      const char *val = NULL;
      const char *eq = strchr(a, '=');
      char name[64];
      size_t nl = eq ? (size_t)(eq - a) : strlen(a);
      if (nl >= sizeof name) die_usage("unknown option", a);
      memcpy(name, a, nl);
      name[nl] = 0;
      int takes = !strcmp(name, "--format") || !strcmp(name, "--scenario") || !strcmp(name, "--rule") || !strcmp(name, "--compare") ||
                  !strcmp(name, "--timeout") || !strcmp(name, "--max-memory") || !strcmp(name, "--max-steps") || !strcmp(name, "--max-record") ||
                  !strcmp(name, "--emit") || !strcmp(name, "--output") || !strcmp(name, "--pack");
      if (!takes) die_usage("unknown option", a);
      if (eq) val = eq + 1;
      else if (i + 1 < argc) val = argv[++i];
      else die_usage("missing value after", a);
      if (cli_limit_option(name, val)) continue;
      if (!strcmp(name, "--format")) {
        if (strcmp(val, "text") && strcmp(val, "json") && strcmp(val, "junit") && strcmp(val, "csv"))
          die_usage("--format takes text, json, junit (check, test) or csv (table), not", val);
        format = val;
      } else if (!strcmp(name, "--scenario")) scenario = val;
      else if (!strcmp(name, "--compare")) compare = val;
      else if (!strcmp(name, "--output")) output = val;
      else if (!strcmp(name, "--rule")) { if (nrules < 255) rules[nrules++] = val; }
      else if (!strcmp(name, "--emit")) emit = val;
      else if (!strcmp(name, "--pack")) cli_pack_path = val;
      continue;
    }
    if (cmd && !strcmp(cmd, "eval") && !expr) { expr = a; continue; }
    if (nfiles >= 1024) die_usage("too many files", NULL);
    files[nfiles++] = a;
  }
  rules[nrules] = NULL;
  if (!cmd) cmd = "repl";
  if (!strcmp(cmd, "pack")) {
    if (nfiles == 0) die_usage("no file given to", "pack");
    if (cli_pack_path) die_usage("--pack goes with the commands that use a pack, not", "pack (write it with -o)");
    if (format || scenario || compare || nrules || explain || repair || margins || emit || strict)
      die_usage("pack takes files and -o OUT only; options such as --scenario go with the commands that use it:", "check --pack OUT");
    return cmd_pack(files, nfiles, output, caps);
  }
  if (!strcmp(cmd, "table") || !strcmp(cmd, "report") || !strcmp(cmd, "batch")) {
    CliOutputs o = {cmd, files, nfiles, format, scenario, compare, output, caps, nrules || explain || repair || margins || emit};
    return cli_outputs(&o);
  }
  if (!format) format = "text";
  if (!strcmp(format, "csv")) die_usage("--format csv goes with", "table");
  if (output) die_usage("-o goes with", "report and table");
  if (getenv("NO_COLOR") && *getenv("NO_COLOR")) color = 0;
  const char *term = getenv("TERM");
  if (!isatty(STDOUT_FILENO) || (term && !strcmp(term, "dumb"))) color = 0;
  int json = !strcmp(format, "json"), junit = !strcmp(format, "junit");
  if (junit && (compare || explain)) die_usage("--format junit does not go with", compare ? "--compare" : "--explain");
  if (junit && strcmp(cmd, "check") && strcmp(cmd, "test")) die_usage("--format junit goes with", "check and test");

  if (!strcmp(cmd, "repl")) return cli_repl(files, nfiles, caps, color);
  if (!strcmp(cmd, "eval") && !expr) die_usage("eval needs an expression:", "hedge eval EXPR [FILE...]");
  if ((!strcmp(cmd, "check") || !strcmp(cmd, "run") || !strcmp(cmd, "test")) && nfiles == 0)
    die_usage("no file given to", cmd);
  if ((compare || nrules || explain || repair || margins || emit || strict) && strcmp(cmd, "check"))
    die_usage("--compare, --rule, --explain, --repair, --margins, --emit and --strict go with", "check");
  if (scenario && strcmp(cmd, "check") && strcmp(cmd, "run") && strcmp(cmd, "eval"))
    die_usage("--scenario goes with check, run and eval, not", cmd);
  if (emit && !repair) die_usage("--emit writes the scenarios of --repair: add", "--repair");
  if (compare && (repair || margins)) die_usage("--repair and --margins go with a check, not", "--compare");
  if (scenario && compare) die_usage("use either --scenario or --compare", NULL);

  /* print statements: stdout, except where stdout carries JSON or XML */
  phase(NULL);
  hedge_State *H = cli_open(caps, json || junit ? stderr : stdout);
  phase("start");
  hedge_set_strict(H, strict);
  if (cli_use_pack(H, files, nfiles) != 0) {
    if (json && !strcmp(cmd, "check")) json_error(hedge_errmsg(H));
    hedge_close(H);
    return 2;
  }
  for (int i = 0; i < nfiles; i++)
    if (cli_load(H, files[i]) != HEDGE_OK) {
      if (json && !strcmp(cmd, "check")) json_error(hedge_errmsg(H));
      if (junit) cli_junit_error(stdout, hedge_errmsg(H));
      cli_watch_report(H);
      hedge_close(H);
      return 2;
    }

  phase("load");
  int rc = 0;
  /* run and check --scenario: the files' prints again, with the scenario's
  ** figures, under a heading that names it */
  if (scenario && (!strcmp(cmd, "run") || !strcmp(cmd, "check"))) {
    int st = hedge_print_scenario(H, scenario, NULL);
    if (st != HEDGE_OK) {
      fprintf(stderr, "%s\n", hedge_errmsg(H));
      if (json) json_error(hedge_errmsg(H));
      hedge_close(H);
      return 2;
    }
  }
  if (!strcmp(cmd, "run")) {
    /* rows the loads skipped: on stderr, beside the program's output */
    fputs(hedge_load_notes(H), stderr);
    rc = 0;
  }
  else if (!strcmp(cmd, "eval")) {
    const char *out;
    int st = scenario ? hedge_eval_scenario(H, scenario, expr, &out) : json ? hedge_eval_json(H, expr, &out) : hedge_eval(H, expr, &out);
    if (st == HEDGE_OK) printf("%s\n", out);
    else { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; }
  } else if (!strcmp(cmd, "test")) {
    const char *out;
    int st = hedge_test(H, junit ? HEDGE_FORMAT_JUNIT : json, &out, NULL, NULL);
    if (out) fputs(out, stdout);
    if (st == HEDGE_OK) rc = 0;
    else if (st == HEDGE_FAIL) rc = 1;
    else { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; }
  } else if (compare) {
    const char *out;
    int st = hedge_compare(H, compare, json, &out);
    if (out) fputs(out, stdout);
    if (!out) { fprintf(stderr, "%s\n", hedge_errmsg(H)); rc = 2; }
    else rc = st == HEDGE_OK ? 0 : st == HEDGE_FAIL ? 1 : 2;
    if (strict && rc == 0) {
      /* --strict: a rule vacuous under the scenario fails the comparison too */
      hedge_Report *r = NULL;
      if (hedge_check(H, compare, NULL, &r) == HEDGE_OK && r && hedge_report_vacuous(r) > 0) rc = 1;
      hedge_report_free(H, r);
    }
  } else {
    hedge_Report *r = NULL;
    int flags = (explain ? HEDGE_CHECK_EXPLAIN : 0) | (repair ? HEDGE_CHECK_REPAIR : 0) | (repair == 2 ? HEDGE_CHECK_REPAIR_CHECK : 0) | (repair == 3 ? HEDGE_CHECK_REPAIR_JOINT : 0) | (margins ? HEDGE_CHECK_MARGINS : 0);
    int st = hedge_check_ex(H, scenario, nrules ? rules : NULL, flags, &r);
    phase("check");
    if (r) fputs(junit ? hedge_report_junit(H, r) : json ? hedge_report_json(H, r) : hedge_report_text(H, r, color), stdout);
    if (r && emit) {
      const char *text = hedge_report_scenarios(H, r);
      FILE *f = text ? fopen(emit, "w") : NULL;
      if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "hedge: cannot write %s\n", emit);
        st = HEDGE_ERROR;
      }
    }
    if (!r) {
      fprintf(stderr, "%s\n", hedge_errmsg(H));
      if (json) json_error(hedge_errmsg(H));
      if (junit) cli_junit_error(stdout, hedge_errmsg(H));
      rc = 2;
    } else {
      if (st != HEDGE_OK && st != HEDGE_FAIL && st != HEDGE_ERROR) fprintf(stderr, "%s\n", hedge_errmsg(H));
      rc = st == HEDGE_OK ? 0 : st == HEDGE_FAIL ? 1 : 2;
      /* --strict: a rule that rests on nothing is not a pass */
      if (strict && rc == 0 && hedge_report_vacuous(r) > 0) rc = 1;
    }
    hedge_report_free(H, r);
  }
  fflush(stdout);
  phase(!strcmp(cmd, "check") && !compare ? "report" : cmd);
  cli_watch_report(H);
  hedge_close(H);
  phase("close");
  return rc;
}
