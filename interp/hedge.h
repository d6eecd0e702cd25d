/*
** hedge.h: the one public header of libhedge, the hedge interpreter.
**
** Every function takes the state as its first argument. States are fully
** independent: a process may open any number of them, in any threads (one
** thread at a time per state). The library never exits, aborts or prints:
** every failure comes back as a status plus a message, hedge_errmsg(), of
** the form "file:line:col: error: ..." followed by the quoted line and a
** caret.
**
** Ownership: every `const char *` and every report returned by the library
** is owned by the state, unless said otherwise. Strings stay valid until the
** next call on the same state; a report stays valid until hedge_report_free()
** or hedge_close().
*/
#ifndef HEDGE_H
#define HEDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEDGE_VERSION "0.1.0"

/* Status codes. HEDGE_OK and HEDGE_FAIL are the "no error" outcomes. */
enum {
  HEDGE_OK = 0,          /* done */
  HEDGE_FAIL = 1,        /* hedge_check: some `rule` failed (not an error) */
  HEDGE_ERROR = 2,       /* bad input: syntax, names, units, runtime error */
  HEDGE_EMEMORY = 3,     /* the allocator failed or the memory cap was hit */
  HEDGE_ELIMIT = 4,      /* the step limit or the depth limit was hit */
  HEDGE_EINTERRUPT = 5,  /* hedge_interrupt() was called */
  HEDGE_EUSAGE = 6       /* the host misused the API (bad argument) */
};

/* Capabilities a host grants; everything else is sandboxed (see
** docs/security.md). */
#define HEDGE_CAP_FFI   0x1u   /* `extern` declarations (libffi) */
#define HEDGE_CAP_IO    0x2u   /* Lua extensions get io, os, require */
#define HEDGE_CAP_FILES 0x4u   /* `import`, `use` and `load` may read files
                                  (regular files only; confined by
                                  file_roots and file_access when set).
                                  Without it they fail with a located error
                                  and read nothing; `use NAME` of a standard
                                  library module still works. The CLI grants
                                  it. hedge_load_file (the host names the
                                  file) needs no capability. */

typedef struct hedge_State hedge_State;

/* The allocator hook, same contract as lua_Alloc: nsize == 0 frees ptr and
** returns NULL; otherwise (re)allocates and returns NULL on failure. osize is
** the old size of ptr (0 when ptr is NULL). The hook also serves the
** embedded Lua, so a cap placed here caps everything. */
typedef void *(*hedge_Alloc)(void *ud, void *ptr, size_t osize, size_t nsize);

/* Options for hedge_open. Zero/NULL in every field means the default that
** its comment gives, so `hedge_Options o = {0};` is a valid configuration. */
typedef struct hedge_Options {
  hedge_Alloc alloc;        /* NULL: the C library's realloc/free */
  void *alloc_ud;           /* passed to alloc; ignored when alloc is NULL */
  size_t max_memory;        /* 0: no cap; else bytes the state may hold */
  uint64_t max_steps;       /* 0: no limit; else evaluation steps per call */
  int max_depth;            /* 0: 400; else the deepest hedge call nesting */
  unsigned capabilities;    /* 0: none; else HEDGE_CAP_* flags */
  const char *stdlib_dir;   /* NULL: the copy embedded at build time; else a
                               folder of init.lua to load instead */
  const char *search_path;  /* NULL: none; else ':'-separated folders for
                               import and use (the CLI passes $HEDGE_PATH) */
  /* Where `print` output goes. NULL: collected; read it with hedge_output(). */
  void (*print)(void *ud, const char *text, size_t len);
  void *print_ud;
  /* Progress of long loads. NULL: none. Called about every 64K rows once a
  ** load has run for a second: file (as written in the program), rows so
  ** far, fraction of the file read (0..1), and done = 1 on the last call. */
  void (*progress)(void *ud, const char *file, long rows, double fraction, int done);
  void *progress_ud;
  /* 0: a large CSV file of deals or loans (8 MiB or more, no quotes) is read
  ** by two threads at once; 1: every load runs in the calling thread; 2: as 0,
  ** for files of any size (tests use it to read small files in two halves). */
  int load_threads;
  /* 0: the hot standard queries (imports, import_share, import_hhi, ...) are
  ** answered natively from the indexes in their plain forms, with results
  ** identical to their Lua definitions; 1: every standard function runs its
  ** Lua definition (the CLI sets it from HEDGE_NATIVE=0, for tests). */
  int lua_stdlib_only;
  /* Longest CSV record (one row) a `load` accepts, in bytes. 0: 64 MiB. A
  ** longer one (a file with no line ends) is a located error. */
  size_t max_record;
  /* With HEDGE_CAP_FILES: NULL means any folder; else a ':'-separated list
  ** of folders, and a script may read only files inside them (checked on
  ** the file actually opened, symbolic links resolved). */
  const char *file_roots;
  /* With HEDGE_CAP_FILES: NULL means allowed; else called for every file a
  ** script names (import, use, load) with its resolved absolute path and
  ** what for ("import", "use" or "load"); returns non-zero to allow it. A
  ** file it refuses reads as "not allowed by the host". */
  int (*file_access)(void *ud, const char *path, const char *what);
  void *file_access_ud;
  /* 0: no time limit; else seconds each call may run (wall clock), ending
  ** in HEDGE_ELIMIT "time limit of S s reached" at the place it stopped. */
  double max_seconds;
  /* 0: hedge_compare evaluates again, in the scenario's world, only the
  ** bindings whose figures read deals the scenario changed (the others
  ** keep their base results, which are the same); 1: every binding (the CLI
  ** sets it from HEDGE_COMPARE_FULL=1, for tests that compare both ways). */
  int compare_full;
  /* 0: a check builds the indexes its rules' standard queries will read
  ** (imports, import_share, ...) before the first rule, in one pass over
  ** the deals; 1: each index is built at its first query. The results are
  ** the same either way (the CLI sets 1 from HEDGE_FUSED=0, for tests). */
  int lazy_indexes;
} hedge_Options;

/* Opens a state. NULL options means all defaults. Returns NULL only when
** the very first allocation fails or the standard library cannot be loaded;
** then, if err is not NULL, a message is copied into err[0..errlen). */
hedge_State *hedge_open(const hedge_Options *opts, char *err, size_t errlen);

/* Frees every byte the state holds. NULL is allowed. */
void hedge_close(hedge_State *H);

/* The message of the last error, "" after a success. */
const char *hedge_errmsg(hedge_State *H);

/* Loads and runs a file / a string of hedge source: declarations join the
** world, `print` prints, rules are registered (checked by hedge_check).
** On error nothing of that file or string is kept. */
int hedge_load_file(hedge_State *H, const char *path);
/* Rows the `load` statements so far skipped on purpose (where:, a missing
** required cell under missing:, unmapped codes under unmapped: skip), one
** line per file: "note: FILE: N rows loaded, M skipped (missing value: 3)";
** "" when none. Valid until the next call on the state. */
const char *hedge_load_notes(hedge_State *H);
int hedge_load_string(hedge_State *H, const char *chunkname, const char *source);

/* Packed worlds (docs/pack.md): what the `load` statements of a program
** bring in, and the indexes its rules use, in one file that later runs map
** instead of reading CSV.
** Writing: hedge_pack_begin before loading the files (files: their paths,
** as they will be given to hedge_load_file), then hedge_load_file each,
** then hedge_pack_end, which checks the rules once (building their indexes)
** and writes `out` (through a temporary file beside it, renamed at the end).
** Using: hedge_pack_use before loading the same files; it checks the pack
** (format, machine, the files it was packed from, and the checksum of
** every file the program read: a changed file makes it stale) and fails
** with a message naming the reason, leaving the state without a pack. The
** reports are then byte for byte those of a run that reads the CSV. */
int hedge_pack_begin(hedge_State *H, const char *out, const char *const *files, int nfiles);
int hedge_pack_end(hedge_State *H);
int hedge_pack_use(hedge_State *H, const char *pack, const char *const *files, int nfiles);

/* Evaluates one expression in the current world; *result (may be NULL)
** receives its printed form, owned by the state. */
int hedge_eval(hedge_State *H, const char *expr, const char **result);

/* Text printed by `print` since the last call, when no print hook is set. */
const char *hedge_output(hedge_State *H);
/* hedge_eval for programs: *result is {"value": V, "unit": U, "text": T},
** V the JSON of the value with every digit (a quantity in its base unit U,
** else U is null), T what hedge_eval would give (`hedge eval --format json`). */
int hedge_eval_json(hedge_State *H, const char *expr, const char **result);

/* hedge_eval in the world changed by scenario (NULL: the base world). */
int hedge_eval_scenario(hedge_State *H, const char *scenario, const char *expr, const char **result);
/* Runs every top-level `print` of the loaded files again, in the world
** changed by scenario, after a heading line "== print under scenario
** NAME ==" (none when there is no print); the text goes where prints go.
** *nprints (may be NULL) gets how many ran. hedge_print_count: how many
** there are. An unknown scenario is an error (HEDGE_ERROR). */
int hedge_print_scenario(hedge_State *H, const char *scenario, int *nprints);
int hedge_print_count(hedge_State *H);

/* Asks a running call to stop with HEDGE_EINTERRUPT. Safe from another
** thread or a signal handler. The state stays usable. */
void hedge_interrupt(hedge_State *H);

/* Raises or lowers limits after opening (0 keeps the same meaning as in
** hedge_Options). */
void hedge_set_limits(hedge_State *H, size_t max_memory, uint64_t max_steps, int max_depth);
/* Sets the time limit of each later call, in seconds (0: none). */
void hedge_set_time_limit(hedge_State *H, double seconds);
/* Bytes the state holds now, and the most it held. */
size_t hedge_memory(hedge_State *H, size_t *peak);

/* ---- checking and reports ------------------------------------------------ */

typedef struct hedge_Report hedge_Report;

/* Rule statuses. HEDGE_VACUOUS: the rule would pass but its verdict rests
** on nothing (its forall over data had no binding, or every figure it
** compared was a share of a zero total); a check with only passing and
** vacuous rules still returns HEDGE_OK (see hedge_report_vacuous). */
enum { HEDGE_PASS = 0, HEDGE_FAILED = 1, HEDGE_ERRORED = 2, HEDGE_VACUOUS = 3 };

/* Checks every rule and warn (or, when only is not NULL, the rules named in
** the NULL-terminated list) under scenario (NULL: the base world). Returns
** HEDGE_OK when every `rule` passed, HEDGE_FAIL when some failed, or an
** error status (a rule with status error gives HEDGE_ERROR, and the report
** is still produced). *out (may be NULL) receives the report. */
int hedge_check(hedge_State *H, const char *scenario, const char *const *only,
                hedge_Report **out);
void hedge_report_free(hedge_State *H, hedge_Report *r);

/* hedge_check with options. flags: HEDGE_CHECK_EXPLAIN (1, --explain: each
** counterexample also carries the value of every sub-expression of the
** failing body, power-assert style), HEDGE_CHECK_REPAIR (--repair: each
** counterexample carries the smallest change of each lever that makes it
** pass, as a scenario), HEDGE_CHECK_MARGINS (--margins: each passing binding
** carries its distance to the limit). docs/repair.md. */
#define HEDGE_CHECK_EXPLAIN 1
#define HEDGE_CHECK_REPAIR 2
#define HEDGE_CHECK_MARGINS 4
/* with HEDGE_CHECK_REPAIR: apply each repair in turn and re-check every rule,
** to say which other bindings or rules it makes fail (one check per repair) */
#define HEDGE_CHECK_REPAIR_CHECK 8
/* with HEDGE_CHECK_REPAIR: also one joint repair per failing rule of shares,
** passing every binding at once (docs/repair.md) */
#define HEDGE_CHECK_REPAIR_JOINT 16
int hedge_check_ex(hedge_State *H, const char *scenario, const char *const *only,
                   int flags, hedge_Report **out);
/* The scenario blocks of every repair in a report (--repair --emit), as one
** text owned by the report; "" when there are none, NULL out of memory. */
const char *hedge_report_scenarios(hedge_State *H, hedge_Report *r);

/* Checks the base world and the world under scenario, and writes what
** changed: each rule's status before and after, counterexamples that
** appeared or vanished, values that moved. *text (owned by the state) is
** text, or JSON when json != 0. Returns the status of the scenario's check. */
int hedge_compare(hedge_State *H, const char *scenario, int json, const char **text);

/* Runs every `test` block, each on a fresh copy of the world. *text gets
** the results (text ending "N passed, M failed"; JSON when json is
** HEDGE_FORMAT_JSON, JUnit XML when HEDGE_FORMAT_JUNIT); returns HEDGE_OK
** when all passed, HEDGE_FAIL when some failed, or an error status. */
int hedge_test(hedge_State *H, int json, const char **text, int *passed, int *failed);

/* Warnings found while loading (a ratio compared with a bare number such
** as 40: "did you mean 40%?"), each "file:line:col: warning: ..." with the
** quoted line and a caret; "" when none. Reading them clears them; the
** text stays valid until the next call. */
const char *hedge_warnings(hedge_State *H);
/* strict != 0: what would be a warning is an error (the load fails). */
void hedge_set_strict(hedge_State *H, int strict);

/* The figures of every binding (passing ones too) of the rule named `what`,
** or of the expression `what` (`forall p in partners: export_share(F, p)`),
** under scenario (NULL: the base world): one row per binding, one column
** per variable and per figure (each non-literal operand of a comparison),
** and `holds`. *out (owned by the state) is CSV (RFC 4180, CRLF) or JSON;
** numbers keep every digit. Returns HEDGE_OK or an error status. */
enum { HEDGE_TABLE_CSV = 0, HEDGE_TABLE_JSON = 1 };
int hedge_table(hedge_State *H, const char *what, const char *scenario, int format, const char **out);

/* Formats of hedge_test's `json` argument: 0 text, 1 JSON, 2 JUnit XML. */
enum { HEDGE_FORMAT_TEXT = 0, HEDGE_FORMAT_JSON = 1, HEDGE_FORMAT_JUNIT = 2 };
/* A report as a JUnit XML document: one test case per rule; a failing rule
** is a <failure>, a failing warn passes with its counterexamples in
** <system-out>, a rule in error an <error>, a vacuous rule <skipped>.
** Owned by the state, valid until the next call; "" if out of memory. */
const char *hedge_report_junit(hedge_State *H, hedge_Report *r);

/* Batch mode for engines: one JSON line in, one JSON line out (owned by the
** state, no newline). In: {"id": ..., "scenario": "NAME" | null} or
** {"id": ..., "text": "scenario NAME { ... }"}. Out: {"id": ..., "report": R}
** with R the document hedge_report_json gives for that scenario (on one
** line), or {"id": ..., "error": "..."}. A text's scenario is forgotten
** afterwards: every line starts from the same world. Returns the check's
** status, or HEDGE_ERROR for a bad line (the out line says why). */
int hedge_batch_line(hedge_State *H, const char *line, const char **out);

/* An HTML report, one self-contained file (no scripts, no network): the
** verdict table, a bar chart per rule with shares (the limit drawn as a
** line), the trade network, and with compare a before/after chart of the
** scenario compare against the base world. scenario and compare may both
** be NULL (the base world); *out is owned by the state. Returns the status
** of the check shown (HEDGE_OK, HEDGE_FAIL, HEDGE_ERROR) or an error. */
int hedge_report_html(hedge_State *H, const char *scenario, const char *compare, const char **out);

/* Forgets what hedge_output() returned so far. */
void hedge_output_clear(hedge_State *H);

/* The report as the JSON of docs/language.md, Rules and checking (owned by the report). */
const char *hedge_report_json(hedge_State *H, hedge_Report *r);
/* The report as text for people; color != 0 adds ANSI colour. */
const char *hedge_report_text(hedge_State *H, hedge_Report *r, int color);

/* Reading a report as data. Indexes are 0-based; out-of-range gives
** NULL / 0 / -1. */
int hedge_report_rules(const hedge_Report *r);                /* how many */
const char *hedge_rule_name(const hedge_Report *r, int i);
const char *hedge_rule_title(const hedge_Report *r, int i);  /* NULL: none */
int hedge_rule_is_warn(const hedge_Report *r, int i);
int hedge_rule_status(const hedge_Report *r, int i);         /* HEDGE_PASS.. */
const char *hedge_rule_error(const hedge_Report *r, int i);  /* NULL: none */
/* Where the rule is declared. */
const char *hedge_rule_location(const hedge_Report *r, int i, int *line, int *col);
int hedge_rule_counterexamples(const hedge_Report *r, int i);
/* Binding j of counterexample k of rule i: variable name and value text. */
int hedge_cx_bindings(const hedge_Report *r, int i, int k);
const char *hedge_cx_binding(const hedge_Report *r, int i, int k, int j, const char **value);
/* Operand value j of counterexample k: the expression's source text, its
** number in base units (NAN when not a number) and unit (NULL: none), and
** its printed form. */
int hedge_cx_values(const hedge_Report *r, int i, int k);
const char *hedge_cx_value(const hedge_Report *r, int i, int k, int j,
                           double *number, const char **unit, const char **text);
/* How many rules are vacuous (status HEDGE_VACUOUS), and why rule i is
** (NULL when it is not): "no binding: no commodity c has imports(...) > 0". */
int hedge_report_vacuous(const hedge_Report *r);
const char *hedge_rule_vacuous_reason(const hedge_Report *r, int i);
/* Summary counts as in docs/language.md, Rules and checking. */
void hedge_report_summary(const hedge_Report *r, int *passed, int *failed,
                          int *warnings, int *errors);

/* ---- host functions ------------------------------------------------------ */

/* A value crossing to a host function. kind is one of the HEDGE_V* below;
** number holds numbers, quantities (in the base unit) and booleans (0/1);
** text holds strings, entity names, dates (ISO form) and the unit of a
** quantity is in unit. Pointers are owned by the state and valid during the
** call only. */
enum { HEDGE_VNIL, HEDGE_VBOOL, HEDGE_VNUMBER, HEDGE_VQUANTITY, HEDGE_VSTRING,
       HEDGE_VDATE, HEDGE_VENTITY, HEDGE_VOTHER };
typedef struct hedge_Value {
  int kind;
  double number;
  const char *text;
  const char *unit;
} hedge_Value;

/* A host function: reads args[0..nargs) (named parameters arrive in their
** declared position, HEDGE_VNIL when not given and no default), writes
** *result (text is copied by the library after return), and returns 0, or
** non-zero after filling errbuf with a message (the call then fails with a
** located error). */
typedef int (*hedge_CFunction)(void *ud, const hedge_Value *args, int nargs,
                               hedge_Value *result, char *errbuf, size_t errlen);

/* Registers a host function NAME. params is a comma-separated list of
** parameter names ("a, from, year"); each may be passed by position or by
** name, and one not passed arrives as HEDGE_VNIL (there are no defaults).
** A name of a built-in or standard-library function replaces it. */
int hedge_register(hedge_State *H, const char *name, const char *params,
                   hedge_CFunction fn, void *ud);

#ifdef __cplusplus
}
#endif
#endif
