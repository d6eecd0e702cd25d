/*
** rules.h: checking rules (rules.c) into a report (report.h).
*/
#ifndef RULES_H
#define RULES_H
#include "core.h"
#include "value.h"
#include "report.h"

/* Checks the rules (all, or those named) into a new report. flags: the
** HEDGE_CHECK_* bits of hedge.h (explain, repair, margins). */
Report *rules_check(H *h, const char *const *only, int nonly, const char *scenario, int flags);
/* rules_check in a scenario's world for --compare: base is the base world's
** report, checked with CHECK_TRACK (the same rules), and pm the mark taken
** before the scenario was applied. A binding whose base evaluation read
** nothing the scenario changed keeps its base result (rules.c); the
** report then shares counterexamples with base, which must be freed after
** it. NULL base: rules_check. */
Report *rules_check_reusing(H *h, const char *const *only, int nonly, const char *scenario, int flags, Report *base,
                            const struct ProgMark *pm);

/* Writes out the bindings that held and were kept raw (Cx.raw) in rule x of
** report r: their variables and comparison values, as the check records
** them (numbers deferred: report_value_complete). */
void rules_held_complete(H *h, Report *r, RRule *x);

#endif
