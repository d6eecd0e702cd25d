/*
** report.h: the result of a check, as data. Everything in a report is
** copied out of the evaluator's temporaries into memory the report owns,
** so it outlives the evaluation and even a later scenario.
*/
#ifndef REPORT_H
#define REPORT_H
#include "core.h"
#include "value.h"

typedef struct RValue {
  char *expr;        /* source text of the expression (NULL for bindings) */
  char *name;        /* binding: variable name */
  char *text;        /* printed value */
  char *json;        /* JSON of the value: base-unit number, name, ... */
  char *unit;        /* base unit of a quantity, or NULL */
  double num;        /* number in base units, NAN if not a number */
  int pct;           /* print as a percentage (compared with a % literal) */
  int deferred;      /* text and json not written yet: v holds the number
                        (report_value_deferred; report_value_complete writes them) */
  Value v;
} RValue;

/* One change of one lever. from/to are the lever's own quantity (the sum
** of the rows it scales, or the limit) in base units (unit NULL: a plain
** number; pct: a ratio people read as a percentage). */
typedef struct Repair {
  const char *lever;     /* "cut", "shift", "grow", "threshold" */
  char *target;          /* what changes, in words */
  double from, to;
  char *unit;
  int pct;
  char *name;            /* scenario name, or NULL */
  char *scenario;        /* complete `scenario NAME { ... }` block, or NULL */
  const char *method;    /* "closed form" or the search and its tolerance */
  char *side;            /* what else the change breaks, or NULL */
  /* the change itself, kept under --repair=check to re-check every rule:
  ** up to two sets of rows scaled, a let rebound, or a field set */
  int nscale;
  struct { int kind; uint32_t *rows; uint32_t n; double k; } scale[2];
  struct Global *let; Value let_value;
  int field_kind; uint32_t field_row; HStr *field_name; Value field_value;
  int checked;           /* --repair=check re-checked every rule under it */
} Repair;

/* --repair=joint: a failing share binding's part of the rule's joint cut:
** the update lines that cap every member of its group at once. */
typedef struct JointPart {
  char *key;             /* the group (its total's condition); bindings of one group share it */
  char *updates;         /* `  update ...` lines, or NULL (then why) */
  char *why;
  double limit; int op;
  double before, after;  /* the capped members' sum before and after */
} JointPart;

/* A passing binding's distance to its limit. */
typedef struct Margin {
  RValue *bind; int nbind;
  double figure, limit, margin;
  int op;                /* the comparison, figure on the left */
  char *unit; int pct;
  char *expr;            /* the figure's text */
  Repair *levers; int nlevers;   /* changes that would make it fail (no scenario) */
} Margin;

typedef struct Cx {
  RValue *bind; int nbind;
  RValue *vals; int nvals;
  int op;            /* comparison operator of the failing conjunct, -1 none */
  int rhs_literal;   /* right operand is a literal: print its text only */
  char *note;        /* "no x in nums satisfies x > 5" */
  Repair *repairs; int nrepairs;   /* --repair (repair.h) */
  char *norepair;    /* --repair: why no lever repairs it, or NULL */
  JointPart *joint;   /* --repair=joint (repair.h) */
  /* a binding that held, not written yet (rules.c): the values of its
  ** variables (nbind), then its comparison's two operands; bind and vals
  ** are NULL until rules_held_complete writes them */
  Value *raw;
} Cx;

typedef struct RRule {
  char *name, *title;
  int warn, status;
  char *error;       /* one line: "file:line:col: message" */
  char *error_full;  /* with the quoted line and caret */
  char *file; int line, col;
  char *vacuous;     /* status HEDGE_VACUOUS: why it rests on nothing */
  char *note;        /* how a default resolved ("debt_share without year: uses 2025, ...") */
  Cx *cx; uint32_t ncx, cxcap;
  /* with Report.record_all (--compare): the bindings that held, with the
  ** values of their comparison, to show "before => after" */
  Cx *pass; uint32_t npass, passcap;
  struct HStr **raw_names; struct Node *raw_pred;   /* for Cx.raw: the variables' names, the predicate */
  /* --explain: every sub-expression of each counterexample */
  char **explain;    /* per counterexample, a block of text, or NULL */
  uint32_t nexplain; /* capacity of explain */
  Margin *margins; uint32_t nmargins, mcap;   /* --margins (repair.h) */
  Repair *joint; char *nojoint;               /* --repair=joint (repair.h) */
  struct RuleTrack *track;   /* CHECK_TRACK: what each binding read (rules.c), in the arena */
} RRule;

struct hedge_Report {
  struct hedge_Report *next, *prev;   /* in h->reports, the state's live reports */
  Arena arena;
  RRule *rules; int n;
  char *scenario;
  int fy_start;          /* the month fiscal years start (0 or 1: calendar years) */
  /* functions replaced on purpose: "NAME", "was", "by" for each */
  char **overrides; int noverrides;
  /* a scenario's drops (copied from the program): by kind, and the deals
  ** and loans that went with a dropped partner or commodity */
  uint32_t dropped[4], dropped_with[2];
  int passed, failed, warnings, errors, vacuous;
  Buf json, text;
  int explain;
  int repair, margins;   /* --repair, --margins (repair.h) */
  int repair_check;      /* --repair=check: each repair re-checks every rule */
  int repair_joint;      /* --repair=joint: one repair per rule for all its bindings */
  Buf scen;              /* --emit: every repair's scenario */
  int record_all;    /* keep the passing bindings too (RRule.pass) */
  struct CheckTrack *track;   /* CHECK_TRACK: the lets tracked bindings read (rules.c), or NULL */
};

typedef struct hedge_Report Report;

/* Internal check flag (beside hedge.h's HEDGE_CHECK_*): keep the bindings
** that held too (RRule.pass), for --compare's "before => after". */
#define CHECK_RECORD_ALL 0x10000
/* With CHECK_RECORD_ALL: track what each binding reads, so that the
** scenario's check of a comparison keeps the results of the bindings the
** scenario cannot change (rules_check_reusing, rules.h). */
#define CHECK_TRACK 0x20000
/* Frees a report and takes it off the state's list of live reports. */
void report_free(H *h, Report *r);
/* A copy of s (n bytes, NUL added) in the report's own memory. */
char *report_strdup(H *h, Report *r, const char *s, size_t n);
/* Fills an RValue from a value (copying every string into the report). */
void report_value(H *h, Report *r, RValue *out, Value v);
/* As report_value, but a number or quantity keeps its value and leaves text and
** json NULL until report_value_complete: --compare records every binding that
** held (CHECK_RECORD_ALL) and prints only those that changed, so writing
** every number's shortest round-trip text up front cost most of its time.
** Other values (names, strings, lists) are written at once, as report_value
** does, since they may point into the world or the evaluator. */
void report_value_deferred(H *h, Report *r, RValue *out, Value v);
/* Writes the text and json of a deferred RValue (nothing if there are). */
void report_value_complete(H *h, Report *r, RValue *rv);
/* s (n bytes) as a JSON string: escaped, a byte of no valid UTF-8 sequence
** as U+FFFD. */
void report_json_string(H *h, Buf *b, const char *s, size_t n);
/* The JSON of a value as reports write it: numbers with every digit (a
** quantity's in its base unit), entities by name, dates ISO. */
void report_value_json(H *h, Buf *b, Value v);

const char *report_json(H *h, Report *r);
/* "pass", "fail", "error" or "vacuous" (JSON and --compare). */
const char *report_rule_status_name(int status);
const char *report_text(H *h, Report *r, int color);
/* Every repair's scenario block of a report, for --emit. */
void report_repair_scenarios(H *h, Buf *b, Report *r);
/* The rows the loads skipped, one "note: FILE: ..." line per file (load.c counts them). */
void report_load_notes_text(H *h, Buf *b);
/* The failing values of a counterexample as one line for people:
** "import_share(...) = 60%, expected <= 40%". */
void report_cx_text(H *h, Buf *b, Cx *c);
/* "  dropped: 1 partner; with them went 1 deal and 0 loans\n" for a scenario
** that drops rows, else nothing. */
void report_drops_text(H *h, Buf *b, Report *r);
/* Power-assert explanation: the value of every sub-expression of a failing
** predicate under the current bindings (report.c). */
struct Node;
char *report_explain_tree(H *h, Report *r, struct Node *pred, Value *slots);

#endif
