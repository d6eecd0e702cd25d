/*
** rules.h: checking rules (rules.c) into a report, and the helpers that
** fill a report's values (used by report.c and scenario.c too).
*/
#ifndef RULES_H
#define RULES_H
#include "core.h"
#include "value.h"
#include "report.h"

/* Checks the rules (all, or those named) into a new report. flags: the
** HEDGE_CHECK_* bits of hedge.h (explain, repair, margins). */
Report *check_rules(H *h, const char *const *only, int nonly, const char *scenario, int flags);
void report_free(H *h, Report *r);
char *rep_strdup(H *h, Report *r, const char *s, size_t n);
/* Fills an RValue from a value (copying every string into the report). */
void rep_value(H *h, Report *r, RValue *out, Value v);
void json_string(H *h, Buf *b, const char *s, size_t n);
/* The JSON of a value as reports write it: numbers with every digit (a
** quantity's in its base unit), entities by name, dates ISO. */
void value_json(H *h, Buf *b, Value v);

#endif
