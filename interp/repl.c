/*
** repl.c: the interactive REPL of the command line (docs/repl.md). The
** only file that uses GNU readline. It deals with the terminal: prompts,
** line editing, history, Tab completion, Ctrl-C and Ctrl-D. Everything
** about the language is asked of the library (hedge_repl_eval and the
** other calls of introspect.h).
**
** Two modes. On a terminal: readline's callback interface driven by a
** pselect() loop, so that SIGINT (blocked except while waiting for a key or
** evaluating) either drops the pending input at the prompt or stops the
** evaluation through hedge_interrupt(). Piped (stdin not a terminal): plain
** getline(), no prompts, no escape codes; the exit code says whether any
** input failed.
*/
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "hedge.h"
#include "cli.h"
#include "introspect.h"

#define HISTORY_MAX 1000
#define LIST_CAP 50          /* deals and loans shown by :list */

/* ---- the REPL's state (one per process: signal handlers reach it) ----------- */

typedef struct Repl {
  hedge_State *H;
  unsigned caps;
  int color;
  int tty;                   /* interactive: readline */
  char *scenario;            /* active scenario, or NULL */
  char *pending;             /* input read so far that is not complete yet */
  size_t pending_len;
  long pending_start;        /* piped: line number where pending input began */
  long lineno;               /* piped: current line number */
  int failed;                /* piped: some input failed (exit code 2) */
  int quit;
  char *histfile;            /* NULL: no history file */
  char **session; int nsession, capsession;   /* entries added in this run */
} Repl;

static Repl R;
static volatile sig_atomic_t got_sigint, got_sigwinch, got_sigterm;
static hedge_State *volatile eval_state;   /* set while evaluating */

static void on_sigint(int sig) {
  (void)sig;
  got_sigint = 1;
  hedge_State *h = eval_state;
  if (h) hedge_interrupt(h);   /* an atomic store: async-signal-safe */
}
static void on_sigwinch(int sig) { (void)sig; got_sigwinch = 1; }
/* SIGTERM, SIGHUP (the terminal went away): stop, but save the history */
static void on_sigterm(int sig) {
  (void)sig;
  got_sigterm = 1;
  hedge_State *h = eval_state;
  if (h) hedge_interrupt(h);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) { fputs("hedge: out of memory\n", stderr); exit(2); }
  return q;
}
static char *xstrdup(const char *s) { size_t n = strlen(s) + 1; return memcpy(xrealloc(NULL, n), s, n); }

/* ---- output ------------------------------------------------------------------- */

/* Piped inputs are chunks named "<stdin@N>" (N: the line where the chunk
** starts), so that a location inside a chunk maps back to the line of
** stdin: "<stdin@12>:2:5" is written "<stdin>:13:5". */
static char *fix_locations(const char *s, size_t n, size_t *outn) {
  static const char tag[] = "<stdin@";
  if (!memmem(s, n, tag, sizeof tag - 1)) return NULL;
  char *o = xrealloc(NULL, n + 64);
  size_t cap = n + 64, k = 0;
  for (size_t i = 0; i < n;) {
    if (k + 48 > cap) { cap *= 2; o = xrealloc(o, cap); }
    if (n - i > sizeof tag - 1 && memcmp(s + i, tag, sizeof tag - 1) == 0) {
      size_t j = i + sizeof tag - 1;
      long start = 0, line = 0;
      while (j < n && s[j] >= '0' && s[j] <= '9' && start < 100000000) start = start * 10 + (s[j++] - '0');
      if (j < n && s[j] == '>') {
        j++;
        memcpy(o + k, "<stdin>", 7);
        k += 7;
        if (j + 1 < n && s[j] == ':' && s[j + 1] >= '0' && s[j + 1] <= '9') {
          size_t l = j + 1;
          while (l < n && s[l] >= '0' && s[l] <= '9' && line < 100000000) line = line * 10 + (s[l++] - '0');
          k += (size_t)snprintf(o + k, cap - k, ":%ld", start + line - 1);
          j = l;
        }
        i = j;
        continue;
      }
    }
    o[k++] = s[i++];
  }
  *outn = k;
  return o;
}

static void out_n(FILE *f, const char *s, size_t n) {
  size_t m;
  char *fixed = R.tty ? NULL : fix_locations(s, n, &m);
  if (fixed) { fwrite(fixed, 1, m, f); free(fixed); }
  else fwrite(s, 1, n, f);
  fflush(f);
}
static void out(FILE *f, const char *s) { out_n(f, s, strlen(s)); }

static void print_hook(void *ud, const char *s, size_t n) { (void)ud; out_n(stdout, s, n); }

/* An error message from the library, "error:" in red when colour is on. */
/* Load-time warnings ("did you mean 40%?") go to stderr as they come. */
static void show_warnings(void) {
  const char *w = hedge_warnings(R.H);
  if (*w) { fflush(stdout); fputs(w, stderr); fflush(stderr); }
}

static void report_error(const char *msg) {
  fflush(stdout);
  if (!msg || !*msg) msg = "error: failed";
  const char *e = strstr(msg, "error:");
  const char *nl = strchr(msg, '\n');
  if (R.color && e && (!nl || e < nl)) {
    out_n(stderr, msg, (size_t)(e - msg));
    fputs("\033[1;31merror:\033[0m", stderr);
    out(stderr, e + 6);
  } else out(stderr, msg);
  fputc('\n', stderr);
  fflush(stderr);
  R.failed = 1;
}

/* A message of the REPL itself, shaped like the library's. */
static void repl_error(const char *fmt, const char *a, const char *b) {
  char msg[1024];
  char text[900];
  snprintf(text, sizeof text, fmt, a ? a : "", b ? b : "");
  snprintf(msg, sizeof msg, "error: %s", text);
  report_error(msg);
}

/* ---- the state ---------------------------------------------------------------- */

static hedge_State *open_state(void) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.capabilities = R.caps | HEDGE_CAP_FILES;
  o.stdlib_dir = cli_stdlib_dir();
  o.search_path = getenv("HEDGE_PATH");
  o.print = print_hook;
  cli_apply_limits(&o);
  char err[1024];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) fprintf(stderr, "hedge: cannot start: %s\n", err);
  return H;
}

/* ---- history ------------------------------------------------------------------ */

static char *history_path(void) {
  const char *e = getenv("HEDGE_HISTORY");
  if (e) return *e ? xstrdup(e) : NULL;   /* set but empty: no history file */
  const char *home = getenv("HOME");
  if (!home || !*home) {
    struct passwd *pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : NULL;
  }
  if (!home) return NULL;
  size_t n = strlen(home) + 32;
  char *p = xrealloc(NULL, n);
  snprintf(p, n, "%s/.hedge_history", home);
  return p;
}

static void history_start(void) {
  using_history();
  stifle_history(HISTORY_MAX);
  /* timestamps mark where an entry starts, so a multi-line input is one
  ** entry in the file too */
  history_comment_char = '#';   /* timestamps are written as #1732633200 */
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  R.histfile = history_path();
  if (R.histfile) read_history(R.histfile);
}

static void history_add(const char *entry) {
  if (!entry || !*entry) return;
  HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (last && last->line && strcmp(last->line, entry) == 0) return;   /* no immediate repeats */
  add_history(entry);
  if (R.nsession == R.capsession) {
    R.capsession = R.capsession ? R.capsession * 2 : 16;
    R.session = xrealloc(R.session, (size_t)R.capsession * sizeof *R.session);
  }
  R.session[R.nsession++] = xstrdup(entry);
}

/* Writes the history: what is in the file now (other sessions may have
** added to it) followed by this session's entries, at most HISTORY_MAX. */
static void history_finish(void) {
  if (R.histfile && R.nsession) {
    clear_history();
    read_history(R.histfile);
    for (int i = 0; i < R.nsession; i++) add_history(R.session[i]);
    if (write_history(R.histfile) != 0) { /* a history that cannot be written is not worth an error */ }
    else chmod(R.histfile, 0600);
  }
  for (int i = 0; i < R.nsession; i++) free(R.session[i]);
  free(R.session);
  R.session = NULL;
  R.nsession = R.capsession = 0;
  clear_history();
  free(R.histfile);
  R.histfile = NULL;
}

/* ---- names, for completion and :list ---------------------------------------------- */

typedef struct Names { char **name, **detail; int n, cap; const char *prefix; size_t plen; int limit; } Names;

static int collect(void *ud, const char *name, const char *detail) {
  Names *c = ud;
  if (c->prefix && strncmp(name, c->prefix, c->plen) != 0) return 0;
  if (c->limit && c->n >= c->limit) return 1;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 64;
    c->name = xrealloc(c->name, (size_t)c->cap * sizeof *c->name);
    c->detail = xrealloc(c->detail, (size_t)c->cap * sizeof *c->detail);
  }
  c->name[c->n] = xstrdup(name);
  c->detail[c->n] = detail ? xstrdup(detail) : NULL;
  c->n++;
  return 0;
}

static void names_add(Names *c, const char *name) { collect(c, name, NULL); }

static void names_free(Names *c) {
  for (int i = 0; i < c->n; i++) { free(c->name[i]); free(c->detail[i]); }
  free(c->name);
  free(c->detail);
  memset(c, 0, sizeof *c);
}

/* ---- commands ------------------------------------------------------------------- */

static const struct { const char *name, *args, *help; } commands[] = {
  {"help", "[NAME]", "this list; with NAME, help for a function, rule, partner, keyword, ..."},
  {"load", "[KIND] FILE [{ MAPPING }]", "load a .hedge file, or a CSV file of partners, commodities, deals or loans (a mapping as in a load statement: :load deals f.csv { exporter: = PAK, ... }; :load partners iso3166)"},
  {"check", "[RULE...]", "check every rule and warn (or those named) in the active scenario"},
  {"why", "RULE", "check RULE and show every sub-expression of each failing binding"},
  {"repair", "RULE", "check RULE; under each failing binding, the smallest change of each lever that makes it pass, and its scenario"},
  {"margin", "RULE", "check RULE; for each passing binding, its distance to the limit and what would make it fail"},
  {"scenario", "[NAME|off]", "check and evaluate in a scenario's world; off: the base world"},
  {"list", "[KIND]", "partners commodities deals loans rules functions scenarios lets units tests"},
  {"test", "", "run the test blocks"},
  {"reset", "", "forget everything: a fresh interpreter"},
  {"quit", "", "leave (also Ctrl-D at an empty prompt)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])
static const char *const list_kinds[] = {"partners", "commodities", "deals", "loans", "rules", "functions",
                                         "scenarios", "lets", "units", "tests", "builtins", NULL};

static void cmd_help_all(void) {
  printf("commands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    char head[48];
    snprintf(head, sizeof head, ":%s %s", commands[i].name, commands[i].args);
    printf("  %-22s %s\n", head, commands[i].help);
  }
  printf("Type declarations (partner, deal, let, fn, rule, ...) and expressions; an unfinished\n"
         "input continues at the `  ...>` prompt. A rule is checked as soon as it is entered.\n"
         "Tab completes names, keywords, commands and fields after a '.'. Ctrl-C stops an\n"
         "evaluation or drops the input being typed; Ctrl-D leaves. :help NAME explains a name.\n");
  fflush(stdout);
}

static int command_index(const char *name) {
  if (*name == ':') name++;
  for (size_t i = 0; i < NCOMMANDS; i++) if (strcmp(commands[i].name, name) == 0) return (int)i;
  if (!strcmp(name, "q") || !strcmp(name, "exit")) return (int)NCOMMANDS - 1;
  if (!strcmp(name, "h") || !strcmp(name, "?")) return 0;
  return -1;
}

static void cmd_help(char **argv, int argc) {
  if (argc == 0) { cmd_help_all(); return; }
  for (int a = 0; a < argc; a++) {
    const char *name = argv[a];
    if (name[0] == ':') {
      int i = command_index(name);
      if (i < 0) { repl_error("no command '%s' (:help lists them)", name, NULL); continue; }
      printf(":%s %s\n  %s\n", commands[i].name, commands[i].args, commands[i].help);
      continue;
    }
    const char *text = hedge_help(R.H, name);
    int i = command_index(name);
    if (text) {
      out(stdout, text);
      /* `load`, `list`, `test`: a keyword or function and a command */
      if (i >= 0) printf("and the command :%s %s\n  %s\n", commands[i].name, commands[i].args, commands[i].help);
      continue;
    }
    if (i >= 0) { printf(":%s %s\n  %s\n", commands[i].name, commands[i].args, commands[i].help); continue; }
    report_error(hedge_errmsg(R.H));
  }
  fflush(stdout);
}

/* `:load [KIND] FILE.csv`: the same rules as a `load` statement (docs/language.md,
** Bulk data). The kind, when not given, is read off the header (exporter
** and importer: deals; lender and borrower: loans); the common column names
** of the W1 data (value_usd, volume_t, principal_usd, start_year,
** term_years) are mapped with their units. */
static int has_col(char cols[][64], int n, const char *name) {
  for (int i = 0; i < n; i++) if (!strcmp(cols[i], name)) return 1;
  return 0;
}

static void load_csv(const char *kind, const char *path) {
  if (kind && !strcmp(kind, "partners") && !strcmp(path, "iso3166")) {   /* every ISO 3166 country */
    int inc = 0;
    eval_state = R.H;
    int st = hedge_repl_eval(R.H, "<:load>", "load partners from iso3166", NULL, R.color, &inc);
    eval_state = NULL;
    if (st != HEDGE_OK) report_error(hedge_errmsg(R.H));
    else if (R.tty) printf("loaded the ISO 3166 countries as partners\n");
    return;
  }
  FILE *f = fopen(path, "r");
  if (!f) { char m[PATH_MAX + 64]; snprintf(m, sizeof m, "cannot open '%s'", path); repl_error(m, NULL, NULL); return; }
  char line[4096];
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  fclose(f);
  char cols[128][64];
  int n = 0;
  char *p = line;
  if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
  while (*p && n < 128) {
    char *e = p;
    while (*e && *e != ',' && *e != '\n' && *e != '\r') e++;
    snprintf(cols[n++], 64, "%.*s", (int)(e - p), p);
    if (*e != ',') break;
    p = e + 1;
  }
  if (!kind) {
    if (has_col(cols, n, "exporter") && has_col(cols, n, "importer")) kind = "deals";
    else if (has_col(cols, n, "lender") && has_col(cols, n, "borrower")) kind = "loans";
    else {
      repl_error("cannot tell what this file holds: say it, as in :load partners FILE.csv", NULL, NULL);
      return;
    }
  }
  char map[1024] = "";
  size_t m = 0;
  static const struct { const char *kind, *field, *column, *unit; } conv[] = {
    {"deals", "value", "value_usd", "USD"}, {"deals", "volume", "volume_t", "t"},
    {"loans", "principal", "principal_usd", "USD"}, {"loans", "start", "start_year", ""},
    {"loans", "term", "term_years", "years"}};
  for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++)
    if (!strcmp(kind, conv[i].kind) && has_col(cols, n, conv[i].column) && !has_col(cols, n, conv[i].field))
      m += (size_t)snprintf(map + m, sizeof map - m, "%s%s: %s %s", m ? ", " : "", conv[i].field, conv[i].column, conv[i].unit);
  char text[PATH_MAX + 1200];
  snprintf(text, sizeof text, "load %s from \"%s\"%s%s%s", kind, path, m ? " { " : "", map, m ? " }" : "");
  int inc = 0;
  eval_state = R.H;
  int st = hedge_repl_eval(R.H, "<:load>", text, NULL, R.color, &inc);
  show_warnings();
  eval_state = NULL;
  if (st != HEDGE_OK) { report_error(hedge_errmsg(R.H)); return; }
  if (R.tty) printf("loaded %s as %s\n", path, kind);
}

static int ends_with_csv(const char *p) {
  size_t n = strlen(p);
  return n > 4 && !strcasecmp(p + n - 4, ".csv");
}

static void cmd_load(char **argv, int argc) {
  if (argc == 0) { repl_error(":load needs a file name (:load FILE.hedge, :load [KIND] FILE.csv)", NULL, NULL); return; }
  static const char *const kinds[] = {"partners", "commodities", "deals", "loans"};
  for (int k = 0; k < 4; k++)
    if (argc == 2 && !strcmp(argv[0], kinds[k])) {
      char path[PATH_MAX];
      const char *home = getenv("HOME");
      if (argv[1][0] == '~' && argv[1][1] == '/' && home) snprintf(path, sizeof path, "%s%s", home, argv[1] + 1);
      else snprintf(path, sizeof path, "%s", argv[1]);
      load_csv(kinds[k], path);
      fflush(stdout);
      return;
    }
  for (int i = 0; i < argc; i++) {
    char path[PATH_MAX];
    const char *p = argv[i];
    const char *home = getenv("HOME");
    if (p[0] == '~' && p[1] == '/' && home) snprintf(path, sizeof path, "%s%s", home, p + 1);
    else snprintf(path, sizeof path, "%s", p);
    if (ends_with_csv(path)) { load_csv(NULL, path); continue; }
    eval_state = R.H;
    int st = hedge_load_file(R.H, path);
    show_warnings();
    eval_state = NULL;
    if (st != HEDGE_OK) { report_error(hedge_errmsg(R.H)); return; }
    if (R.tty) printf("loaded %s\n", path);
  }
  fflush(stdout);
}

/* flags: HEDGE_CHECK_EXPLAIN, _REPAIR, _MARGINS (:why, :repair, :margin) */
static void check(const char *const *only, int flags) {
  hedge_Report *r = NULL;
  eval_state = R.H;
  int st = hedge_check_ex(R.H, R.scenario, only, flags, &r);
  eval_state = NULL;
  if (!r) { report_error(hedge_errmsg(R.H)); return; }
  out(stdout, hedge_report_text(R.H, r, R.color));
  if (flags & HEDGE_CHECK_REPAIR) {
    /* the scenarios, ready to paste (or write with check --repair --emit) */
    const char *sc = hedge_report_scenarios(R.H, r);
    if (sc && *sc) { printf("scenarios of the repairs:\n"); out(stdout, sc); }
  }
  if (st != HEDGE_OK && st != HEDGE_FAIL && st != HEDGE_ERROR) {
    /* an interrupt or a limit: the report shows it on the rule it stopped */
    const char *m = hedge_errmsg(R.H);
    if (m && *m) report_error(m);
    else R.failed = 1;
  }
  hedge_report_free(R.H, r);
}

static void cmd_check(char **argv, int argc) {
  const char **only = xrealloc(NULL, (size_t)(argc + 1) * sizeof *only);
  for (int i = 0; i < argc; i++) only[i] = argv[i];
  only[argc] = NULL;
  check(argc ? only : NULL, 0);
  free(only);
}

static void cmd_why(char **argv, int argc) {
  if (argc != 1) { repl_error(":why takes one rule name (:why RULE)", NULL, NULL); return; }
  const char *only[2] = {argv[0], NULL};
  check(only, HEDGE_CHECK_EXPLAIN);
}

static void cmd_repair(char **argv, int argc) {
  if (argc != 1) { repl_error(":repair takes one rule name (:repair RULE)", NULL, NULL); return; }
  const char *only[2] = {argv[0], NULL};
  check(only, HEDGE_CHECK_REPAIR);
}

static void cmd_margin(char **argv, int argc) {
  if (argc != 1) { repl_error(":margin takes one rule name (:margin RULE)", NULL, NULL); return; }
  const char *only[2] = {argv[0], NULL};
  check(only, HEDGE_CHECK_MARGINS);
}

/* Prints names with their details in two columns. */
static void print_names(Names *c, const char *indent) {
  size_t w = 0;
  for (int i = 0; i < c->n; i++) if (strlen(c->name[i]) > w) w = strlen(c->name[i]);
  if (w > 28) w = 28;
  for (int i = 0; i < c->n; i++) {
    if (c->detail[i] && *c->detail[i]) {
      char line[64];
      snprintf(line, sizeof line, "%s%-*s  ", indent, (int)w, c->name[i]);
      out(stdout, line);
      out(stdout, c->detail[i]);
      fputc('\n', stdout);
    } else printf("%s%s\n", indent, c->name[i]);
  }
  fflush(stdout);
}

static void cmd_scenario(char **argv, int argc) {
  if (argc == 0) {
    if (R.scenario) printf("scenario %s (:scenario off for the base world)\n", R.scenario);
    else printf("no scenario: the base world\n");
    Names c = {0};
    hedge_names(R.H, HEDGE_NAMES_SCENARIOS, 1, collect, &c);
    if (c.n) printf("declared:\n");
    print_names(&c, "  ");
    names_free(&c);
    fflush(stdout);
    return;
  }
  if (argc > 1) { repl_error(":scenario takes one name, or off", NULL, NULL); return; }
  if (!strcmp(argv[0], "off") || !strcmp(argv[0], "none")) {
    free(R.scenario);
    R.scenario = NULL;
    return;
  }
  Names c = {0};
  hedge_names(R.H, HEDGE_NAMES_SCENARIOS, 0, collect, &c);
  int found = 0;
  for (int i = 0; i < c.n; i++) if (!strcmp(c.name[i], argv[0])) found = 1;
  if (!found) {
    const char **cands = xrealloc(NULL, (size_t)(c.n + 1) * sizeof *cands);
    for (int i = 0; i < c.n; i++) cands[i] = c.name[i];
    cands[c.n] = NULL;
    const char *best = hedge_suggest(argv[0], cands);
    if (best) repl_error("unknown scenario '%s' (did you mean %s?)", argv[0], best);
    else if (!c.n) repl_error("unknown scenario '%s': no scenario is declared", argv[0], NULL);
    else repl_error("unknown scenario '%s' (:scenario lists them)", argv[0], NULL);
    free(cands);
  } else {
    free(R.scenario);
    R.scenario = xstrdup(argv[0]);
  }
  names_free(&c);
}

static const char *plural(int n, const char *one, const char *many) { return n == 1 ? one : many; }

static void cmd_list(char **argv, int argc) {
  static const struct { const char *kind; int what; const char *one, *many; } kinds[] = {
    {"partners", HEDGE_NAMES_PARTNERS, "partner", "partners"},
    {"commodities", HEDGE_NAMES_COMMODITIES, "commodity", "commodities"},
    {"deals", HEDGE_NAMES_DEALS, "deal", "deals"},
    {"loans", HEDGE_NAMES_LOANS, "loan", "loans"},
    {"rules", HEDGE_NAMES_RULES, "rule", "rules"},
    {"functions", HEDGE_NAMES_FUNCTIONS, "function", "functions"},
    {"scenarios", HEDGE_NAMES_SCENARIOS, "scenario", "scenarios"},
    {"lets", HEDGE_NAMES_LETS, "let", "lets"},
    {"units", HEDGE_NAMES_UNITS, "unit", "units"},
    {"tests", HEDGE_NAMES_TESTS, "test", "tests"},
    {"builtins", HEDGE_NAMES_BUILTINS, "built-in function", "built-in functions"},
  };
  size_t nk = sizeof kinds / sizeof kinds[0];
  if (R.scenario) printf("(the world of scenario %s)\n", R.scenario);   /* what :list shows */
  if (argc == 0) {
    /* a summary of the world */
    int first = 1;
    for (size_t i = 0; i < nk; i++) {
      if (kinds[i].what == HEDGE_NAMES_BUILTINS || kinds[i].what == HEDGE_NAMES_UNITS) continue;
      int n = hedge_names_in(R.H, R.scenario, kinds[i].what, 0, NULL, NULL);
      printf("%s%d %s", first ? "" : ", ", n, plural(n, kinds[i].one, kinds[i].many));
      first = 0;
    }
    printf("\n(:list KIND lists them: %s", list_kinds[0]);
    for (int i = 1; list_kinds[i]; i++) printf(" %s", list_kinds[i]);
    printf(")\n");
    fflush(stdout);
    return;
  }
  for (int a = 0; a < argc; a++) {
    size_t k = nk;
    for (size_t i = 0; i < nk; i++) if (!strcmp(argv[a], kinds[i].kind) || !strcmp(argv[a], kinds[i].one)) k = i;
    if (k == nk) {
      const char *best = hedge_suggest(argv[a], list_kinds);
      if (best) repl_error("cannot list '%s' (did you mean %s?)", argv[a], best);
      else repl_error("cannot list '%s': try partners, commodities, deals, loans, rules, functions, scenarios", argv[a], NULL);
      continue;
    }
    Names c = {0};
    int what = kinds[k].what;
    c.limit = what == HEDGE_NAMES_DEALS || what == HEDGE_NAMES_LOANS ? LIST_CAP : 0;
    int n = hedge_names_in(R.H, R.scenario, what, 1, collect, &c);
    if (n < 0) { report_error(hedge_errmsg(R.H)); names_free(&c); continue; }
    if (what == HEDGE_NAMES_FUNCTIONS) {
      printf("declared (%d):\n", n);
      print_names(&c, "  ");
      Names b = {0};
      int nb = hedge_names(R.H, HEDGE_NAMES_BUILTINS, 1, collect, &b);
      printf("built in and standard library (%d):\n", nb);
      print_names(&b, "  ");
      names_free(&b);
    } else {
      print_names(&c, "  ");
      if (n > c.n) printf("... %d more: %d %s in all\n", n - c.n, n, plural(n, kinds[k].one, kinds[k].many));
      else printf("%d %s\n", n, plural(n, kinds[k].one, kinds[k].many));
    }
    fflush(stdout);
    names_free(&c);
  }
}

static void cmd_test(void) {
  const char *text = NULL;
  eval_state = R.H;
  int st = hedge_test(R.H, 0, &text, NULL, NULL);
  eval_state = NULL;
  if (text) out(stdout, text);
  if (st != HEDGE_OK && st != HEDGE_FAIL) report_error(hedge_errmsg(R.H));
}

static void cmd_reset(void) {
  hedge_State *H = open_state();
  if (!H) { repl_error("could not reset: the old state is kept", NULL, NULL); return; }
  hedge_close(R.H);
  R.H = H;
  free(R.scenario);
  R.scenario = NULL;
  if (R.tty) printf("reset: everything declared is forgotten\n");
  fflush(stdout);
}

/* `:load KIND FILE.csv [as baci] { MAPPING }`: the mapping of a `load`
** statement, written after the file (docs/data.md). Returns 0 when the line
** has no mapping (the plain :load then runs). */
static int load_mapped(const char *line) {
  const char *p = line + 5;   /* past ":load" */
  const char *brace = strchr(p, '{');
  const char *as = strstr(p, " as ");
  if (!brace && !as) return 0;
  while (*p == ' ' || *p == '\t') p++;
  static const char *const kinds[] = {"partners", "commodities", "deals", "loans"};
  const char *kind = NULL;
  for (int k = 0; k < 4; k++) {
    size_t n = strlen(kinds[k]);
    if (!strncmp(p, kinds[k], n) && (p[n] == ' ' || p[n] == '\t')) { kind = kinds[k]; p += n; }
  }
  if (!kind) { repl_error("a :load with a mapping names the kind first: :load deals FILE.csv { ... }", NULL, NULL); return 1; }
  while (*p == ' ' || *p == '\t') p++;
  char file[PATH_MAX];
  size_t n = 0;
  if (*p == '"' || *p == '\'') {
    char q = *p++;
    while (*p && *p != q && n + 1 < sizeof file) file[n++] = *p++;
    if (*p == q) p++;
  } else while (*p && *p != ' ' && *p != '\t' && *p != '{' && n + 1 < sizeof file) file[n++] = *p++;
  file[n] = 0;
  if (!n) { repl_error(":load needs a file name (:load deals FILE.csv { ... })", NULL, NULL); return 1; }
  char path[PATH_MAX];
  const char *home = getenv("HOME");
  if (file[0] == '~' && file[1] == '/' && home) snprintf(path, sizeof path, "%s%s", home, file + 1);
  else snprintf(path, sizeof path, "%s", file);
  size_t len = strlen(p) + strlen(path) + 64;
  char *text = malloc(len);
  if (!text) { repl_error("out of memory", NULL, NULL); return 1; }
  snprintf(text, len, "load %s from \"%s\" %s", kind, path, p);
  int inc = 0;
  eval_state = R.H;
  int st = hedge_repl_eval(R.H, "<:load>", text, NULL, R.color, &inc);
  eval_state = NULL;
  free(text);
  if (st != HEDGE_OK) report_error(hedge_errmsg(R.H));
  else if (R.tty) printf("loaded %s as %s\n", path, kind);
  fflush(stdout);
  return 1;
}

/* Runs a `:command args...` line. */
static void run_command(char *line) {
  char *argv[64];
  int argc = 0;
  if (!strncmp(line, ":load", 5) && (line[5] == ' ' || line[5] == '\t') && load_mapped(line)) return;
  char *p = line;
  while (*p && argc < 64) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    char *start = p;
    if (*p == '"' || *p == '\'') {   /* a quoted file name */
      char q = *p++;
      start = p;
      while (*p && *p != q) p++;
    } else while (*p && *p != ' ' && *p != '\t') p++;
    if (*p) *p++ = 0;
    argv[argc++] = start;
  }
  if (argc == 0) return;
  const char *cmd = argv[0] + 1;   /* past ':' */
  char **args = argv + 1;
  int nargs = argc - 1;
  int i = command_index(cmd);
  if (i < 0) {
    const char *names[NCOMMANDS + 1];
    for (size_t k = 0; k < NCOMMANDS; k++) names[k] = commands[k].name;
    names[NCOMMANDS] = NULL;
    const char *best = hedge_suggest(cmd, names);
    if (best) repl_error("unknown command ':%s' (did you mean :%s?)", cmd, best);
    else repl_error("unknown command ':%s' (:help lists the commands)", cmd, NULL);
    return;
  }
  const char *name = commands[i].name;
  if (!strcmp(name, "help")) cmd_help(args, nargs);
  else if (!strcmp(name, "load")) cmd_load(args, nargs);
  else if (!strcmp(name, "check")) cmd_check(args, nargs);
  else if (!strcmp(name, "why")) cmd_why(args, nargs);
  else if (!strcmp(name, "repair")) cmd_repair(args, nargs);
  else if (!strcmp(name, "margin")) cmd_margin(args, nargs);
  else if (!strcmp(name, "scenario")) cmd_scenario(args, nargs);
  else if (!strcmp(name, "list")) cmd_list(args, nargs);
  else if (!strcmp(name, "test")) cmd_test();
  else if (!strcmp(name, "reset")) cmd_reset();
  else if (!strcmp(name, "quit")) R.quit = 1;
}

/* ---- input ---------------------------------------------------------------------- */

static void pending_clear(void) {
  free(R.pending);
  R.pending = NULL;
  R.pending_len = 0;
}

/* Evaluates the pending input; SIGINT interrupts it meanwhile. Returns 1
** when it is incomplete (more lines wanted). */
static int evaluate_pending(sigset_t *unblock, sigset_t *block) {
  char name[48];
  if (R.tty) snprintf(name, sizeof name, "<repl>");
  else snprintf(name, sizeof name, "<stdin@%ld>", R.pending_start);
  int inc = 0;
  got_sigint = 0;
  eval_state = R.H;
  if (unblock) sigprocmask(SIG_SETMASK, unblock, NULL);
  int st = hedge_repl_eval(R.H, name, R.pending, R.scenario, R.color, &inc);
  show_warnings();
  if (block) sigprocmask(SIG_BLOCK, block, NULL);
  eval_state = NULL;
  if (inc) return 1;
  if (st != HEDGE_OK) report_error(hedge_errmsg(R.H));
  return 0;
}

/* One line of input, from readline or from the pipe. */
static void handle_line(const char *line, sigset_t *unblock, sigset_t *block) {
  if (!R.pending) {
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '\r') return;
    if (*p == ':') {
      char *copy = xstrdup(p);
      size_t n = strlen(copy);
      while (n && (copy[n - 1] == ' ' || copy[n - 1] == '\r' || copy[n - 1] == '\t')) copy[--n] = 0;
      if (R.tty) history_add(copy);
      if (R.tty && unblock) sigprocmask(SIG_SETMASK, unblock, NULL);
      run_command(copy);
      if (R.tty && block) sigprocmask(SIG_BLOCK, block, NULL);
      free(copy);
      return;
    }
    if (*p == '#') return;   /* a comment alone */
    R.pending_start = R.lineno;
  }
  size_t n = strlen(line);
  R.pending = xrealloc(R.pending, R.pending_len + n + 2);
  if (R.pending_len) R.pending[R.pending_len++] = '\n';
  memcpy(R.pending + R.pending_len, line, n + 1);
  R.pending_len += n;
  if (evaluate_pending(unblock, block)) return;   /* wait for more */
  if (R.tty) history_add(R.pending);
  pending_clear();
}

/* ---- completion ----------------------------------------------------------------- */

static Names comp;        /* the candidates of the current completion */
static int comp_i;

static char *comp_generator(const char *text, int state) {
  (void)text;
  if (!state) comp_i = 0;
  if (comp_i < comp.n) return xstrdup(comp.name[comp_i++]);
  return NULL;
}

static int is_ident(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

/* Variables bound in the text typed so far (`d in deals`): name -> what
** follows `in`, when that is a plain name. Returns the collection of var. */
static int binder_of(const char *text, const char *var, size_t vlen, char *out, size_t outn) {
  const char *p = text;
  int found = 0;
  while (*p) {
    if (!is_ident((unsigned char)*p) || (p > text && is_ident((unsigned char)p[-1]))) { p++; continue; }
    const char *w = p;
    while (is_ident((unsigned char)*p)) p++;
    size_t wl = (size_t)(p - w);
    const char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\n') q++;
    if (wl == vlen && memcmp(w, var, vlen) == 0 && q[0] == 'i' && q[1] == 'n' && !is_ident((unsigned char)q[2])) {
      q += 2;
      while (*q == ' ' || *q == '\t' || *q == '\n') q++;
      const char *c = q;
      while (is_ident((unsigned char)*q) || *q == '.') q++;
      if (q > c && (size_t)(q - c) < outn) {
        memcpy(out, c, (size_t)(q - c));
        out[q - c] = 0;
        found = 1;   /* the last binding of var wins */
      }
    }
  }
  return found;
}

/* Names of variables bound in the text typed so far. */
static void binders_into(Names *c, const char *text) {
  const char *p = text;
  while (*p) {
    if (!is_ident((unsigned char)*p) || (p > text && is_ident((unsigned char)p[-1]))) { p++; continue; }
    const char *w = p;
    while (is_ident((unsigned char)*p)) p++;
    const char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\n') q++;
    if (q[0] == 'i' && q[1] == 'n' && !is_ident((unsigned char)q[2]) && p - w < 128) {
      char v[128];
      memcpy(v, w, (size_t)(p - w));
      v[p - w] = 0;
      if (strcmp(v, "in") != 0) names_add(c, v);
    }
  }
}

/* What has been typed: the pending lines and the current line. */
static char *typed_text(void) {
  size_t n = (R.pending ? R.pending_len + 1 : 0) + strlen(rl_line_buffer) + 1;
  char *t = xrealloc(NULL, n);
  snprintf(t, n, "%s%s%s", R.pending ? R.pending : "", R.pending ? "\n" : "", rl_line_buffer);
  return t;
}

static const char word_breaks[] = " \t\n\"\\'`@$><=;|&{}()[],+-*/%:!.#";

static char *word_break_hook(void) {
  const char *p = rl_line_buffer;
  while (*p == ' ' || *p == '\t') p++;
  if (!R.pending && !strncmp(p, ":load", 5) && (p[5] == ' ' || p[5] == '\t')) return (char *)" \t\n\"'";
  return (char *)word_breaks;
}

static char **complete(const char *text, int start, int end) {
  (void)end;
  names_free(&comp);
  comp.prefix = text;
  comp.plen = strlen(text);
  rl_attempted_completion_over = 1;   /* no file names unless asked for */
  const char *line = rl_line_buffer;
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  if (!R.pending && *p == ':') {
    const char *cmd = p + 1;
    size_t cl = 0;
    while (cmd[cl] && cmd[cl] != ' ' && cmd[cl] != '\t') cl++;
    if (start <= (int)(cmd - line + (long)cl)) {
      for (size_t i = 0; i < NCOMMANDS; i++) names_add(&comp, commands[i].name);
      rl_completion_append_character = ' ';
      return rl_completion_matches(text, comp_generator);
    }
    char c[16];
    snprintf(c, sizeof c, "%.*s", (int)(cl < 15 ? cl : 15), cmd);
    int i = command_index(c);
    const char *name = i >= 0 ? commands[i].name : "";
    if (!strcmp(name, "load")) { rl_attempted_completion_over = 0; return NULL; }
    if (!strcmp(name, "check") || !strcmp(name, "why") || !strcmp(name, "repair") || !strcmp(name, "margin")) hedge_names(R.H, HEDGE_NAMES_RULES, 0, collect, &comp);
    else if (!strcmp(name, "scenario")) { hedge_names(R.H, HEDGE_NAMES_SCENARIOS, 0, collect, &comp); names_add(&comp, "off"); }
    else if (!strcmp(name, "list")) for (int k = 0; list_kinds[k]; k++) names_add(&comp, list_kinds[k]);
    else if (!strcmp(name, "help")) {
      hedge_names(R.H, HEDGE_NAMES_GLOBALS, 0, collect, &comp);
      hedge_names(R.H, HEDGE_NAMES_BUILTINS, 0, collect, &comp);
      hedge_names(R.H, HEDGE_NAMES_COLLECTIONS, 0, collect, &comp);
      hedge_names(R.H, HEDGE_NAMES_KEYWORDS, 0, collect, &comp);
    }
    return comp.n ? rl_completion_matches(text, comp_generator) : NULL;
  }
  if (start > 0 && line[start - 1] == '.') {
    /* fields: the chain of names before the dot */
    int s = start - 1;
    while (s > 0 && (is_ident((unsigned char)line[s - 1]) || line[s - 1] == '.')) s--;
    if (s == start - 1) return NULL;
    char chain[512];
    snprintf(chain, sizeof chain, "%.*s", start - 1 - s, line + s);
    size_t first = strcspn(chain, ".");
    char coll[256];
    char *typed = typed_text();
    /* a variable bound by `x in COLL` stands for an element of COLL */
    int known = hedge_fields(R.H, chain, NULL, NULL) >= 0;
    if (!known && binder_of(typed, chain, first, coll, sizeof coll)) {
      char alt[800];
      snprintf(alt, sizeof alt, "%s%s", coll, chain + first);
      hedge_fields(R.H, alt, collect, &comp);
    } else hedge_fields(R.H, chain, collect, &comp);
    free(typed);
    rl_completion_append_character = '\0';
    return comp.n ? rl_completion_matches(text, comp_generator) : NULL;
  }
  hedge_names(R.H, HEDGE_NAMES_GLOBALS, 1, collect, &comp);    /* detail: the kind */
  int nb = comp.n;
  hedge_names(R.H, HEDGE_NAMES_BUILTINS, 0, collect, &comp);
  for (int i = nb; i < comp.n; i++) comp.detail[i] = xstrdup("fn");
  hedge_names(R.H, HEDGE_NAMES_COLLECTIONS, 0, collect, &comp);
  hedge_names(R.H, HEDGE_NAMES_KEYWORDS, 0, collect, &comp);
  char *typed = typed_text();
  binders_into(&comp, typed);
  free(typed);
  if (!comp.n) return NULL;
  char **m = rl_completion_matches(text, comp_generator);
  /* one function: open its argument list; anything else: a space */
  rl_completion_append_character = ' ';
  if (m && !m[1])
    for (int i = 0; i < comp.n; i++)
      if (!strcmp(comp.name[i], m[0]) && comp.detail[i] && !strcmp(comp.detail[i], "fn")) rl_completion_append_character = '(';
  return m;
}

/* ---- the terminal loop ------------------------------------------------------------ */

static char *prompt_text;
static char *cb_line;
static int cb_done, cb_eof;

static void on_line(char *line) {
  /* removing the handler here keeps readline from showing the next
  ** prompt before the input has been evaluated */
  rl_callback_handler_remove();
  cb_done = 1;
  cb_line = line;
  if (!line) cb_eof = 1;
}

static void install_prompt(void) {
  free(prompt_text);
  const char *plain = R.pending ? "  ...> " : NULL;
  char buf[512];
  if (!plain) {
    if (R.scenario) snprintf(buf, sizeof buf, "hedge[%s]> ", R.scenario);
    else snprintf(buf, sizeof buf, "hedge> ");
    plain = buf;
  }
  if (R.color) {
    /* \001 \002 tell readline the escape codes take no room */
    size_t n = strlen(plain) + 32;
    prompt_text = xrealloc(NULL, n);
    snprintf(prompt_text, n, "\001\033[1;36m\002%s\001\033[0m\002", plain);
  } else prompt_text = xstrdup(plain);
  rl_callback_handler_install(prompt_text, on_line);
}

/* Ctrl-C at the prompt: the line and any pending input are dropped. */
static void cancel_input(void) {
  rl_callback_sigcleanup();
  rl_point = rl_end;
  rl_redisplay();
  rl_free_line_state();
  rl_replace_line("", 0);
  rl_callback_handler_remove();
  fputs("^C\n", rl_outstream);
  fflush(rl_outstream);
  pending_clear();
  install_prompt();
}

static void terminal_loop(void) {
  rl_readline_name = "hedge";
  rl_catch_signals = 0;        /* our handlers: see on_sigint */
  rl_catch_sigwinch = 0;
  rl_attempted_completion_function = complete;
  rl_completion_word_break_hook = word_break_hook;
  rl_completer_word_break_characters = (char *)word_breaks;
  rl_outstream = isatty(STDOUT_FILENO) ? stdout : stderr;
  sigset_t block, orig;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGWINCH);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &orig);
  sigset_t waiting = orig;     /* what pselect and evaluation run with */
  sigdelset(&waiting, SIGINT);
  sigdelset(&waiting, SIGWINCH);
  sigdelset(&waiting, SIGTERM);
  sigdelset(&waiting, SIGHUP);
  install_prompt();
  while (!R.quit && !got_sigterm) {
    if (got_sigwinch) { got_sigwinch = 0; rl_resize_terminal(); }
    if (got_sigint) { got_sigint = 0; cancel_input(); continue; }
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(STDIN_FILENO, &fds);
    int r = pselect(STDIN_FILENO + 1, &fds, NULL, NULL, NULL, &waiting);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    rl_callback_read_char();
    if (!cb_done) continue;
    cb_done = 0;
    if (cb_eof) {
      if (R.pending) { fputs("\n", stdout); repl_error("the unfinished input was dropped", NULL, NULL); }
      else fputs("\n", stdout);
      fflush(stdout);
      break;
    }
    char *line = cb_line;
    cb_line = NULL;
    handle_line(line, &waiting, &block);
    free(line);
    if (got_sigterm) break;
    got_sigint = 0;            /* a Ctrl-C that stopped the evaluation is spent */
    if (!R.quit) install_prompt();
  }
  rl_callback_handler_remove();
  free(prompt_text);
  prompt_text = NULL;
  names_free(&comp);
  sigprocmask(SIG_SETMASK, &orig, NULL);
}

/* ---- piped input ------------------------------------------------------------------- */

static void piped_loop(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while (!R.quit) {
    errno = 0;
    n = getline(&line, &cap, stdin);
    if (n < 0) break;
    R.lineno++;
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    handle_line(line, NULL, NULL);
    if (got_sigint) break;
  }
  free(line);
  if (got_sigint) return;
  if (R.pending) {
    /* the last attempt left the parser's message: "expected ..., found end of input" */
    report_error(hedge_errmsg(R.H));
    pending_clear();
  }
}

/* ---- entry ---------------------------------------------------------------------------- */

int cli_repl(const char **files, int nfiles, unsigned caps, int color) {
  memset(&R, 0, sizeof R);
  R.caps = caps;
  R.color = color;
  R.tty = isatty(STDIN_FILENO);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;             /* no SA_RESTART: a blocking read returns EINTR */
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = on_sigwinch;
  sa.sa_flags = SA_RESTART;    /* a resize must not break a write */
  sigaction(SIGWINCH, &sa, NULL);
  if (R.tty) {
    sa.sa_handler = on_sigterm;
    sa.sa_flags = 0;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
  }
  R.H = open_state();
  if (!R.H) return 2;
  if (cli_use_pack(R.H, files, nfiles) != 0) { hedge_close(R.H); return 2; }
  for (int i = 0; i < nfiles; i++) {
    eval_state = R.H;
    int st = hedge_load_file(R.H, files[i]);
    show_warnings();
    eval_state = NULL;
    if (st != HEDGE_OK) report_error(hedge_errmsg(R.H));
  }
  got_sigint = 0;
  if (R.tty) {
    history_start();
    if (isatty(STDOUT_FILENO)) {
      printf("hedge %s  (:help for help, Ctrl-D to leave)\n", HEDGE_VERSION);
      fflush(stdout);
    }
    terminal_loop();
    history_finish();
  } else piped_loop();
  int interrupted = (got_sigint && !R.tty) || got_sigterm;
  pending_clear();
  free(R.scenario);
  hedge_close(R.H);
  fflush(stdout);
  if (got_sigterm) return 128 + SIGTERM;
  if (interrupted) return 130;
  return R.tty ? 0 : R.failed ? 2 : 0;
}
