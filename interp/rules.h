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

#endif
