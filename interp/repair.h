/*
** repair.h: repairs and margins (docs/repair.md). Under `check --repair`
** every failing binding gains the smallest change of one lever (cut,
** shift, grow, threshold) that makes it pass, each written as a complete
** scenario; under `--margins` every passing binding gains its distance to
** the limit and the change of each lever that would make it fail.
*/
#ifndef REPAIR_H
#define REPAIR_H
#include "report.h"

struct Node;

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

/* Relative tolerance of every repair: a figure within REPAIR_TOL of its
** limit is "at the limit"; strict comparisons move the target inside by
** half of it. */
#define REPAIR_TOL 1e-9

/* rules.c: called for each failing binding (repairs into cx) and each
** passing one (a margin into out), with the rule's slots still bound. */
void repair_binding(H *h, Report *r, Cx *cx, struct Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind,
                    const char *rule);
void margin_binding(H *h, Report *r, RRule *out, struct Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind,
                    RValue *bind, const char *rule);

/* report.c: the JSON members and text lines. */
void repair_json(H *h, Buf *b, Cx *c);
void margin_json(H *h, Buf *b, RRule *x);
void repair_text(H *h, Buf *b, Cx *c, const char *indent);
void margin_text(H *h, Buf *b, RRule *x, int cap);
/* --repair=check (rules.c, after every rule): applies each repair's change
** in turn, re-checks every rule, and notes in the repair which other
** bindings or rules it makes fail. */
void repair_effects(H *h, Report *r);
/* --repair=joint (rules.c, after every rule): one scenario per failing rule
** that passes all its bindings at once, when they are shares. */
void repair_joint(H *h, Report *r);
void joint_json(H *h, Buf *b, RRule *x);
void joint_text(H *h, Buf *b, RRule *x);
/* Every repair's scenario block of a report, for --emit. */
void repair_scenarios(H *h, Buf *b, Report *r);

#endif
