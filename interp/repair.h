/*
** repair.h: repairs and margins (docs/repair.md). Under `check --repair`
** every failing binding gains the smallest change of one lever (cut,
** shift, grow, threshold) that makes it pass, each written as a complete
** scenario; under `--margins` every passing binding gains its distance to
** the limit and the change of each lever that would make it fail. The
** repairs are kept in the report (report.h has their types), which writes
** them out.
*/
#ifndef REPAIR_H
#define REPAIR_H
#include "report.h"

struct Node;

/* Relative tolerance of every repair: a figure within REPAIR_TOL of its
** limit is "at the limit"; strict comparisons move the target inside by
** half of it. */
#define REPAIR_TOL 1e-9

/* rules.c: called for each failing binding (repairs into cx) and each
** passing one (a margin into out), with the rule's slots still bound. */
void repair_binding(H *h, Report *r, Cx *cx, struct Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind,
                    const char *rule);
void repair_margin_binding(H *h, Report *r, RRule *out, struct Node *pred, Value *slots, Value *bindv, HStr **bindn, int nbind,
                    RValue *bind, const char *rule);

/* Checks every rule plainly into a new report: the checker (rules.c) hands
** itself down as one, since repairs sit below it (docs/internals.md, The
** layers) yet --repair=check must check again under each repair. */
typedef Report *(*RecheckFn)(H *h);
/* --repair=check (rules.c, after every rule): applies each repair's change
** in turn, re-checks every rule with recheck, and notes in the repair which
** other bindings or rules it makes fail. */
void repair_effects(H *h, Report *r, RecheckFn recheck);
/* --repair=joint (rules.c, after every rule): one scenario per failing rule
** that passes all its bindings at once, when they are shares. */
void repair_joint(H *h, Report *r);

#endif
