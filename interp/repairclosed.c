/*
** repairclosed.c: the closed forms of repairs (docs/repair.md). When the
** figure of a failing comparison is a standard-library figure (a share, a
** sum, an HHI, a debt figure) and its limit does not depend on the world,
** the repairs are computed directly from the sums the figure is made of:
** the aggregate indexes give each in one lookup, and no world is changed.
** Also closed: the threshold lever (the limit at which the rule flips) and
** a field compared with a limit (`p.weight > 0`). repair.c calls these;
** what the files of repairs share is in repairint.h.
**
** In order: recognising the figure, group sums, shares (with the joint cut
** of --repair=joint), sums, HHIs, the threshold and field levers.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "units.h"
#include "repair.h"
#include "repairint.h"

/* ---- standard-library figures -------------------------------------------------------- */

/* The standard-library (Lua) function a plain call calls, or NULL. */
static Function *stdlib_fn(Node *call) {
  if (call->kind != N_CALL || call->u.call.compr) return NULL;
  Node *fn = call->u.call.fn;
  if (fn->kind != N_CONST || fn->u.cnst.v.tag != T_FUNC) return NULL;
  Function *f = fn->u.cnst.v.as.fn;
  return f->kind == F_LUA ? f : NULL;
}

/* The id of an entity of this kind, or NO_ROW for any other value. */
static uint32_t ent_id(Value v, int kind) { return v.tag == T_ENT && v.kind == kind ? (uint32_t)v.i : NO_ROW; }

typedef struct Args { Value pos[3]; int npos; Value from, to, commodity, year, lender; } Args;

/* Evaluates a figure call's arguments: up to three positional, and the named ones
** the figures take (from, to, commodity, year, lender). */
static void eval_args(Ctx *c, Node *call, Args *a) {
  H *h = c->h;
  memset(a, 0, sizeof *a);
  for (uint32_t i = 0; i < call->u.call.args.n && i < 3; i++) a->pos[a->npos++] = eval(h, call->u.call.args.p[i], c->slots);
  for (uint32_t i = 0; i < call->u.call.named.n; i++) {
    Field *f = &call->u.call.named.p[i];
    Value v = eval(h, f->value, c->slots);
    const char *n = f->name->s;
    if (!strcmp(n, "from")) a->from = v;
    else if (!strcmp(n, "to")) a->to = v;
    else if (!strcmp(n, "commodity")) a->commodity = v;
    else if (!strcmp(n, "year")) a->year = v;
    else if (!strcmp(n, "lender")) a->lender = v;
  }
}

/* A year argument, or NO_YEAR. */
static int32_t year_arg(Value v) { return v.tag == T_NUM ? (int32_t)v.as.num : NO_YEAR; }

/* The year a debt figure reads: the argument, else the latest year of the world. */
static double debt_year(H *h, Value v) {
  if (v.tag == T_NUM) return v.as.num;
  int32_t y = index_latest_year(h);
  return y == NO_YEAR ? 0 : y;
}

/* The standard-library figures the closed forms know, but trade (two parts):
** the side of the flows the first partner fixes and how many partners the
** call must name (shares name the member last). */
enum { FIX_NONE, FIX_IMPORTER, FIX_EXPORTER, FIX_BORROWER };
typedef struct FigSpec { const char *name; FigKind kind; int fixes, need; } FigSpec;
static const FigSpec fig_specs[] = {
  {"imports", FIG_SUM, FIX_IMPORTER, 1},        {"exports", FIG_SUM, FIX_EXPORTER, 1},
  {"world_exports", FIG_SUM, FIX_NONE, 0},      {"debt", FIG_SUM, FIX_BORROWER, 1},
  {"debt_service", FIG_SUM, FIX_BORROWER, 1},   {"import_share", FIG_SHARE, FIX_IMPORTER, 2},
  {"export_share", FIG_SHARE, FIX_EXPORTER, 2}, {"world_share", FIG_SHARE, FIX_NONE, 1},
  {"debt_share", FIG_SHARE, FIX_BORROWER, 2},   {"import_hhi", FIG_HHI, FIX_IMPORTER, 1},
  {"export_hhi", FIG_HHI, FIX_EXPORTER, 1},     {"world_hhi", FIG_HHI, FIX_NONE, 0},
  {"debt_hhi", FIG_HHI, FIX_BORROWER, 1},
};

/* Recognizes a standard-library figure and gathers its sets. */
FigKind repairclosed_figure(Ctx *c, Node *call, Fig *g) {
  memset(g, 0, sizeof *g);
  Function *f = stdlib_fn(call);
  if (!f) return FIG_OTHER;
  H *h = c->h;
  const char *n = f->name->s;
  /* by: volume sums the deals' volumes, not the values the closed forms move */
  for (uint32_t i = 0; i < call->u.call.named.n; i++) {
    Field *fl = &call->u.call.named.p[i];
    if (!strcmp(fl->name->s, "by") && fl->value->kind == N_STR && strcmp(fl->value->u.str->s, "value") != 0) return FIG_OTHER;
  }
  Args a;
  eval_args(c, call, &a);
  uint32_t p0 = a.npos > 0 ? ent_id(a.pos[0], K_PARTNER) : NO_ROW, p1 = a.npos > 1 ? ent_id(a.pos[1], K_PARTNER) : NO_ROW;
  DealFilter d = deal_filter_any();
  d.commodity = ent_id(a.commodity, K_COMMODITY);
  d.year = year_arg(a.year);
  if (a.commodity.tag != T_NIL && d.commodity == NO_ROW) return FIG_OTHER;
  if (a.year.tag != T_NIL && a.year.tag != T_NUM) return FIG_OTHER;
  if (!strcmp(n, "trade") && p0 != NO_ROW) {   /* two parts: both directions */
    DealFilter e = d;
    d.exporter = p0; d.importer = p1;
    e.importer = p0; e.exporter = p1;
    repair_deals(c, &g->part, d, NO_ROW, NO_ROW, 0);
    repair_deals(c, &g->part2, e, NO_ROW, NO_ROW, 2);
    g->nparts = 2;
    return g->kind = FIG_SUM;
  }
  const FigSpec *x = NULL;
  for (size_t i = 0; i < sizeof fig_specs / sizeof *fig_specs; i++) if (!strcmp(n, fig_specs[i].name)) x = &fig_specs[i];
  if (!x || (x->need >= 1 && p0 == NO_ROW) || (x->need == 2 && p1 == NO_ROW)) return FIG_OTHER;
  uint32_t who = x->need == 2 ? p1 : p0;   /* a share's member */
  if (x->fixes == FIX_BORROWER) {
    double y = debt_year(h, a.year);
    g->loans = 1;
    if (x->kind == FIG_SUM) {
      repair_loans(c, &g->part, p0, ent_id(a.lender, K_PARTNER), NO_ROW, y);
      g->nparts = 1;
      return g->kind = FIG_SUM;
    }
    repair_loans(c, &g->total, p0, NO_ROW, NO_ROW, y);
    if (x->kind == FIG_SHARE) {
      repair_loans(c, &g->other, p0, NO_ROW, who, y);
      repair_loans(c, &g->part, p0, who, NO_ROW, y);
      g->who = who;
    }
    g->group = 2;
    return g->kind = x->kind;
  }
  /* an importer's flows are worded as imports; the members of its share or
  ** HHI are the exporters, those of an exporter's flows the importers */
  int imp = x->fixes == FIX_IMPORTER, group = x->fixes == FIX_EXPORTER;
  if (imp) d.importer = p0;
  else if (x->fixes == FIX_EXPORTER) d.exporter = p0;
  if (x->kind == FIG_SUM) {
    if (imp) d.exporter = ent_id(a.from, K_PARTNER);
    else if (x->fixes == FIX_EXPORTER) d.importer = ent_id(a.to, K_PARTNER);
    repair_deals(c, &g->part, d, NO_ROW, NO_ROW, 2 * imp);
    g->nparts = 1;
    return g->kind = FIG_SUM;
  }
  repair_deals(c, &g->total, d, NO_ROW, NO_ROW, imp);
  if (x->kind == FIG_SHARE) {
    repair_deals(c, &g->other, d, group == 0 ? who : NO_ROW, group == 1 ? who : NO_ROW, imp);
    if (group == 0) d.exporter = who;
    else d.importer = who;
    repair_deals(c, &g->part, d, NO_ROW, NO_ROW, 2 * imp);
    g->who = who;
  }
  g->group = group;
  return g->kind = x->kind;
}

/* Sums of a set's rows by partner (exporter, importer or lender): a
** temp array indexed by partner id. */
static double *group_sums(Ctx *c, RowSet *s, int group) {
  H *h = c->h;
  World *w = h->world;
  uint32_t np = w->t[K_PARTNER].n;
  double *g = arena_alloc(h, &h->temp, (size_t)(np ? np : 1) * sizeof(double));
  memset(g, 0, (size_t)(np ? np : 1) * sizeof(double));
  Table *t = &w->t[s->kind];
  for (uint32_t i = 0; i < s->n; i++) {
    uint32_t r = s->rows[i];
    uint32_t who = group == 1 ? t->b[r] : t->a[r];
    if (who < np) g[who] += t->value[r];
  }
  return g;
}

/* The largest group other than `who`: its id (NO_ROW if none) and sum. */
static uint32_t largest_other(Ctx *c, double *g, uint32_t who, double *v) {
  uint32_t np = c->h->world->t[K_PARTNER].n, best = NO_ROW;
  *v = 0;
  for (uint32_t i = 0; i < np; i++) if (i != who && g[i] > *v) { *v = g[i]; best = i; }
  return best;
}

static const char *const group_word[] = {"supplier", "customer", "lender"};

/* Would another partner's share break the limit after the change? Others
** scale by ko; the total becomes t2. */
static const char *share_side(Ctx *c, double *g, uint32_t who, double ko, double t2, int group) {
  double v;
  uint32_t j = largest_other(c, g, who, &v);
  if (j == NO_ROW || !(t2 > 0)) return NULL;
  double s = v * ko / t2;
  if (repair_holds(s, c->op, c->L)) return NULL;
  H *h = c->h;
  char nb[128];
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "pushes %s %s's share to ", group_word[group], pname(h, j, nb, sizeof nb));
  v_pct_print(b, h, s);
  buf_puts(h, b, ", past the limit");
  return repair_tstr(h, b);
}

static const char *CLOSED = "closed form";

/* shift: scale part by kp and others by ko in one scenario */
static void lever_shift(Ctx *c, Fig *g, double kp, double ko, const char *side, int to_part) {
  H *h = c->h;
  if (!(kp >= 0) || !(ko >= 0) || !isfinite(kp) || !isfinite(ko)) return;
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = "shift";
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, to_part ? "%s (from the others, pro rata)" : "%s (to the others, pro rata)", g->part.what);
  rp.target = repair_tstr(h, b);
  rp.from = g->part.sum;
  rp.to = g->part.sum * kp;
  rp.method = CLOSED;
  rp.side = side ? arena_strdup(h, &h->temp, side, strlen(side)) : NULL;
  char title[400];
  snprintf(title, sizeof title, "shift %s to the others", g->part.what);
  repair_add_scaled(c, &rp, &g->part, kp, &g->other, ko, title);
}

/* qsort: (sum, id) pairs by sum, largest first. */
static int cmp_desc(const void *a, const void *b) {
  double x = ((const double *)a)[0], y = ((const double *)b)[0];
  return (x < y) - (x > y);
}

/* --repair=joint for a share above its cap s: cap every member of the
** group at once ("water-filling"). With the members' sums v1 >= v2 >= ...
** and the top k capped at a level m, each capped share is m / T' with
** T' = k m + R_k (R_k the sum of the others), so m = s R_k / (1 - k s). The
** smallest k with v_k >= m >= v_(k+1) is the solution: the capped members
** are exactly those above the level. It needs k s < 1. */
static void joint_share(Ctx *c, Fig *g, double *gs, double s) {
  H *h = c->h;
  uint32_t np = h->world->t[K_PARTNER].n, n = 0;
  double *v = arena_alloc(h, &h->temp, (size_t)(np ? np : 1) * 2 * sizeof(double));   /* pairs: sum, id */
  double T = 0;
  for (uint32_t i = 0; i < np; i++) if (gs[i] > 0) { v[2 * n] = gs[i]; v[2 * n + 1] = i; n++; T += gs[i]; }
  qsort(v, n, 2 * sizeof(double), cmp_desc);
  JointPart *jp = arena_alloc(h, &c->r->arena, sizeof *jp);
  memset(jp, 0, sizeof *jp);
  jp->limit = c->L; jp->op = c->op;
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "%d|%d|%s", g->total.kind, g->group, g->total.where ? g->total.where : "");
  jp->key = report_strdup(h, c->r, b->p, b->n);
  double level = NAN, rest = T;
  uint32_t k = 0;
  for (k = 1; k <= n; k++) {
    rest -= v[2 * (k - 1)];
    if (k * s >= 1 || !(rest > 0)) break;   /* capping everyone leaves nothing to hold a share of */
    double m = s * rest / (1 - k * s);
    if (v[2 * (k - 1)] >= m && (k == n || v[2 * k] <= m)) { level = m; break; }
  }
  c->cx->joint = jp;
  if (isnan(level)) {
    b->n = 0;
    buf_printf(h, b, "a cap of %g%% on every member needs more than %g members with flows, and this group has %u; "
               "no cut reaches it (the others must grow, or new members come in)", c->L * 100, floor(1 / c->L), n);
    jp->why = report_strdup(h, c->r, b->p, b->n);
    return;
  }
  const char *var = g->loans ? "l" : "d", *field = g->group == 0 ? "exporter" : g->group == 1 ? "importer" : "lender";
  const char *vfield = g->loans ? "principal" : "value";
  b->n = 0;
  char nb[128];
  for (uint32_t i = 0; i < k; i++) {
    uint32_t id = (uint32_t)v[2 * i + 1];
    buf_printf(h, b, "  update %s in %s where ", var, g->loans ? "loans" : "deals");
    if (g->total.where) buf_printf(h, b, "%s and ", g->total.where);
    buf_printf(h, b, "%s.%s == %s { %s: %s.%s * ", var, field, pname(h, id, nb, sizeof nb), vfield, var, vfield);
    v_num_print(b, h, level / v[2 * i]);
    buf_puts(h, b, " }\n");
    jp->before += v[2 * i];
    jp->after += level;
  }
  jp->updates = report_strdup(h, c->r, b->p, b->n);
}

/* Shares: x of total t, the rest R = t - x; target share s. */
void repairclosed_shares(Ctx *c, Fig *g) {
  double x = g->part.sum, t = g->total.sum, R = g->other.sum;
  double s = repair_target_of(c->L, c->op);
  double *gs = group_sums(c, &g->total, g->group);
  int too_high = c->op == OP_LT || c->op == OP_LE;   /* failing: the share is too high */
  if (c->margin) too_high = !too_high;                 /* margin: what pushes it up/down to the limit */
  if (c->margin) s = c->L;
  if (too_high && !c->margin && c->r->repair_joint && c->cx) joint_share(c, g, gs, s);
  if (too_high) {
    /* cut the part: x'/(x' + R) = s  =>  x' = sR/(1-s); delta = (x - s t)/(1 - s) */
    if (R > 0 && s < 1 && s >= 0 && x > 0) {
      double x2 = s * R / (1 - s);
      repair_lever_scale(c, "cut", &g->part, x2 / x, CLOSED,
                  c->margin ? NULL : share_side(c, gs, g->who, 1, x2 + R, g->group));
    }
    /* shift d = x - s t to the others, pro rata (total kept) */
    if (R > 0 && x > 0) {
      double d = x - s * t;
      lever_shift(c, g, (x - d) / x, (R + d) / R, c->margin ? NULL : share_side(c, gs, g->who, (R + d) / R, t, g->group), 0);
    }
    /* grow the others: x/(x + R') = s  =>  R' = x(1-s)/s */
    if (R > 0 && s > 0 && x > 0) {
      double R2 = x * (1 - s) / s;
      repair_lever_scale(c, "grow", &g->other, R2 / R, CLOSED,
                  c->margin ? NULL : share_side(c, gs, g->who, R2 / R, x + R2, g->group));
    }
  } else {
    /* the share is too low: grow the part, shift to it, or cut the others */
    if (R > 0 && s < 1 && x > 0) {
      double x2 = s * R / (1 - s);
      repair_lever_scale(c, "grow", &g->part, x2 / x, CLOSED, NULL);
    }
    if (R > 0 && x > 0) {
      double d = s * t - x;
      lever_shift(c, g, (x + d) / x, (R - d) / R, NULL, 1);
    }
    if (R > 0 && s > 0 && x > 0) {
      double R2 = x * (1 - s) / s;
      repair_lever_scale(c, "cut", &g->other, R2 / R, CLOSED, NULL);
    }
  }
}

/* Sums (linear in the rows' values): scale to the target. */
void repairclosed_sums(Ctx *c, Fig *g) {
  double x = c->x;
  double T = c->margin ? c->L : repair_target_of(c->L, c->op);
  if (!(x > 0)) {
    H *h = c->h;
    Buf *b = &c->w;
    b->n = 0;
    buf_printf(h, b, "the figure sums no %s (%s%s%s): cut, shift and grow have nothing to scale; a new %s would be needed",
               g->loans ? "loans" : "deals", g->part.what, g->nparts == 2 ? ", " : "", g->nparts == 2 ? g->part2.what : "",
               g->loans ? "loan" : "deal");
    c->note = repair_tstr(h, b);
    return;
  }
  if (T < 0) return;
  double k = T / x;
  const char *lever = k < 1 ? "cut" : "grow";
  if (g->nparts == 1) { repair_lever_scale(c, lever, &g->part, k, CLOSED, NULL); return; }
  /* trade: both directions by the same factor, one scenario */
  H *h = c->h;
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = lever;
  Buf *b = &c->w;
  b->n = 0;
  buf_printf(h, b, "%s and %s", g->part.what, g->part2.what);
  rp.target = repair_tstr(h, b);
  rp.from = g->part.sum + g->part2.sum;
  rp.to = rp.from * k;
  rp.method = CLOSED;
  char title[600];
  snprintf(title, sizeof title, "%s %s", lever, rp.target);
  repair_add_scaled(c, &rp, &g->part, k, &g->part2, k, title);
}

/* The root of a2 z^2 + a1 z + a0 = 0 in [lo, hi] nearest to `near`, or NAN. */
static double quad_root(double a2, double a1, double a0, double lo, double hi, double near) {
  double r[2];
  int n = 0;
  if (fabs(a2) < 1e-300) { if (a1 != 0) r[n++] = -a0 / a1; }
  else {
    double disc = a1 * a1 - 4 * a2 * a0;
    if (disc < 0) {
      if (disc > -1e-12 * a1 * a1) disc = 0; else return NAN;
    }
    double sq = sqrt(disc);
    double q = -0.5 * (a1 + (a1 >= 0 ? sq : -sq));   /* stable form */
    if (q != 0) { r[n++] = q / a2; r[n++] = a0 / q; }
    else r[n++] = -a1 / (2 * a2);
  }
  double best = NAN;
  for (int i = 0; i < n; i++) {
    double z = r[i];
    double slack = 1e-12 * (fabs(lo) + fabs(near) + 1);   /* not hi: it may be huge */
    if (z < lo - slack || z > hi + slack) continue;
    if (z < lo) z = lo;
    if (z > hi) z = hi;
    if (isnan(best) || fabs(z - near) < fabs(best - near)) best = z;
  }
  return best;
}

/* HHI = 1e4 (x^2 + S2) / T^2 with the top group x, the others' sum R and
** sum of squares S2. */
void repairclosed_hhi(Ctx *c, Fig *g) {
  H *h = c->h;
  double *gs = group_sums(c, &g->total, g->group);
  double x;
  uint32_t top = largest_other(c, gs, NO_ROW, &x);
  if (top == NO_ROW) return;
  uint32_t np = h->world->t[K_PARTNER].n;
  double R = 0, S2 = 0;
  for (uint32_t i = 0; i < np; i++) if (i != top) { R += gs[i]; S2 += gs[i] * gs[i]; }
  char tn[128];
  const char *topname = pname(h, top, tn, sizeof tn);
  if (!(R > 0)) {
    /* one group: its HHI is 10000 whatever the size of its flows */
    if (!c->margin) {
      Buf *b = &c->w;
      b->n = 0;
      buf_printf(h, b, "%s is the only %s: the HHI is 10000 whatever the size of its flows, so cut, shift and grow "
                 "cannot lower it; a second %s would be needed", topname, group_word[g->group], group_word[g->group]);
      c->note = repair_tstr(h, b);
    }
    return;
  }
  double H2 = c->margin ? c->L : repair_target_of(c->L, c->op);
  double a = H2 / 1e4;
  /* the top group's rows */
  RowSet top_rows;
  memset(&top_rows, 0, sizeof top_rows);
  char nb[128];
  if (g->loans) {
    Table *t = &h->world->t[K_LOAN];
    uint32_t borrower = g->total.n ? t->b[g->total.rows[0]] : NO_ROW;
    double y = 0;
    /* the year is in the set's words; recover it from the figure's call */
    Args ar;
    eval_args(c, c->fig, &ar);
    y = debt_year(h, ar.year);
    repair_loans(c, &top_rows, borrower, top, NO_ROW, y);
  } else {
    Args ar;
    eval_args(c, c->fig, &ar);
    DealFilter d = deal_filter_any();
    d.commodity = ent_id(ar.commodity, K_COMMODITY);
    d.year = year_arg(ar.year);
    uint32_t p0 = ar.npos > 0 ? ent_id(ar.pos[0], K_PARTNER) : NO_ROW;
    if (g->group == 0) { d.importer = p0; d.exporter = top; }
    else { d.exporter = p0; d.importer = top; }
    repair_deals(c, &top_rows, d, NO_ROW, NO_ROW, g->group == 0 ? 2 : 0);
  }
  if (!(top_rows.sum > 0)) return;
  (void)nb;
  int too_high = c->op == OP_LT || c->op == OP_LE;
  if (c->margin) too_high = !too_high;
  if (too_high) {
    /* cut the top: (a-1) x'^2 + 2aR x' + aR^2 - S2 = 0, x' in [S2/R, x] */
    double x2 = quad_root(a - 1, 2 * a * R, a * R * R - S2, S2 / R, x, x);
    int found = !isnan(x2);
    if (found) repair_lever_scale(c, "cut", &top_rows, x2 / x, CLOSED, NULL);
    /* shift d from the top to the others pro rata: with q = S2/R^2,
    ** (1+q) d^2 + 2(qR - x) d + x^2 + qR^2 - a T^2 = 0, d in [0, d_min] */
    double q = S2 / (R * R), T = x + R;
    double dmin = (x - q * R) / (1 + q);
    if (dmin > 0) {
      double d = quad_root(1 + q, 2 * (q * R - x), x * x + q * R * R - a * T * T, 0, dmin, 0);
      if (!isnan(d)) {
        Fig sh = *g;
        sh.part = top_rows;
        /* the others: the total minus the top's rows */
        RowSet o = g->total;
        o.rows = arena_alloc(h, &h->temp, (size_t)(g->total.n ? g->total.n : 1) * sizeof(uint32_t));
        o.n = 0;
        Table *t = &h->world->t[o.kind];
        KSum k = {0, 0};
        for (uint32_t i = 0; i < g->total.n; i++) {
          uint32_t r = g->total.rows[i];
          uint32_t who = g->group == 1 ? t->b[r] : t->a[r];
          if (who == top) continue;
          o.rows[o.n++] = r;
          ksum_add(&k, t->value[r]);
        }
        o.sum = ksum_get(&k);
        Buf *b = &c->w;
        b->n = 0;
        const char *field = g->group == 0 ? "exporter" : g->group == 1 ? "importer" : "lender";
        char nb2[128];
        if (g->total.where) buf_printf(h, b, "%s and ", g->total.where);
        buf_printf(h, b, "%s.%s != %s", g->loans ? "l" : "d", field, pname(h, top, nb2, sizeof nb2));
        o.where = repair_tstr(h, b);
        sh.other = o;
        lever_shift(c, &sh, (x - d) / x, (R + d) / R, NULL, 0);
        found = 1;
      }
    }
    if (!found && !c->margin) {
      /* the lowest HHI each lever reaches: cutting the top bottoms out at
      ** x' = S2/R, shifting from it at d_min; n groups give at least 10000/n */
      uint32_t n = 0;
      for (uint32_t i = 0; i < np; i++) if (gs[i] > 0) n++;
      double hcut = 1e4 * S2 / (S2 + R * R);
      double hshift = dmin > 0 ? 1e4 * ((x - dmin) * (x - dmin) + q * (R + dmin) * (R + dmin)) / (T * T) : c->x;
      Buf *b = &c->w;
      b->n = 0;
      buf_printf(h, b, "cutting the top %s (%s) bottoms out at HHI ", group_word[g->group], topname);
      v_num_print_short(b, h, hcut);
      buf_puts(h, b, " and shifting from it to the others at ");
      v_num_print_short(b, h, hshift);
      buf_printf(h, b, ", both short of the limit: %u %ss give an HHI of at least ", n, group_word[g->group]);
      v_num_print_short(b, h, 1e4 / n);
      buf_printf(h, b, "; more %ss would be needed", group_word[g->group]);
      c->note = repair_tstr(h, b);
    }
  } else {
    /* an HHI below a floor: grow the top (the larger root above x) */
    double x2 = quad_root(a - 1, 2 * a * R, a * R * R - S2, x, 1e300, x);
    if (!isnan(x2)) repair_lever_scale(c, "grow", &top_rows, x2 / x, CLOSED, NULL);
  }
}

/* ---- threshold and field levers ----------------------------------------------------- */

/* A number in a scenario: with its unit, or as a percentage. */
static void put_number(Ctx *c, Buf *b, double v, int dim, int pct) {
  H *h = c->h;
  if (pct) { v_num_print(b, h, v * 100); buf_putc(h, b, '%'); return; }
  v_num_print(b, h, v);
  if (dim) { char d[64]; buf_printf(h, b, " %s", dim_name(h, dim, d, sizeof d)); }
}

/* The name of the figure's unit, in h->temp (d is scratch). */
static char *dim_text(Ctx *c, char *d, size_t n) {
  dim_name(c->h, c->dim, d, n);   /* before strlen: argument order is unspecified */
  return arena_strdup(c->h, &c->h->temp, d, strlen(d));
}

/* See repairint.h: the limit moved to where the rule flips; a scenario when the
** limit is a `let`, else words (a literal in the rule is edited by hand). */
void repairclosed_threshold(Ctx *c) {
  H *h = c->h;
  Node *lim = c->lim;
  if (!repair_world_fixed(lim)) return;
  double L2 = c->margin ? c->x : repair_threshold_of(c->x, c->op);
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = "threshold";
  rp.from = c->L;
  rp.to = L2;
  char d[64];
  rp.unit = c->dim ? dim_text(c, d, sizeof d) : NULL;
  rp.pct = c->pct;
  rp.method = CLOSED;
  size_t len;
  const char *t = parse_node_text(h, lim, &len);
  Buf *b = &c->w;
  b->n = 0;
  if (lim->kind == N_GLOBAL) {
    Global *g = lim->u.global.g;
    rp.let = g;
    rp.let_value = c->dim ? v_qty(L2, c->dim) : v_num(L2);
    buf_printf(h, b, "let %s", g->name->s);
    rp.target = repair_tstr(h, b);
    if (!c->margin) {
      rp.name = repair_scen_name(c, "threshold");
      char title[300];
      snprintf(title, sizeof title, "%s at which the rule flips", g->name->s);
      repair_scen_begin(c, rp.name, title);
      buf_printf(h, &c->b, "  let %s = ", g->name->s);
      /* a percentage let is written back as one */
      put_number(c, &c->b, L2, c->dim, 0);
      buf_puts(h, &c->b, "\n}\n");
      rp.scenario = repair_tstr(h, &c->b);
    }
  } else {
    buf_printf(h, b, "the limit %.*s written in the rule", (int)(len > 60 ? 60 : len), t);
    rp.target = repair_tstr(h, b);
  }
  repair_add(c, &rp);
}

/* `p.weight > 0`: set the bound entity's attribute to the target. */
void repairclosed_field(Ctx *c) {
  H *h = c->h;
  Node *f = c->fig;
  if (f->kind != N_FIELD || f->u.field.obj->kind != N_LOCAL) return;
  Value e = c->slots[f->u.field.obj->u.local.slot];
  if (e.tag != T_ENT) return;
  World *w = h->world;
  HStr *name = f->u.field.name;
  if (e.kind == K_DEAL && (name == w->f_year || name == w->f_date)) return;
  if (e.kind == K_LOAN && (name == w->f_start || name == w->f_term)) return;
  if (name == w->f_exporter || name == w->f_importer || name == w->f_commodity || name == w->f_lender || name == w->f_borrower) return;
  double T = c->margin ? c->L : repair_target_of(c->L, c->op);
  Repair rp;
  memset(&rp, 0, sizeof rp);
  rp.lever = T < c->x ? "cut" : "grow";
  rp.from = c->x;
  rp.to = T;
  char d[64], nb[128];
  rp.unit = c->dim ? dim_text(c, d, sizeof d) : NULL;
  rp.pct = c->pct;
  rp.method = CLOSED;
  Buf *b = &c->w;
  b->n = 0;
  const char *en = world_name(h, e.kind, (uint32_t)e.i, nb, sizeof nb);
  buf_printf(h, b, "%s of %s", name->s, en);
  rp.target = repair_tstr(h, b);
  rp.field_kind = e.kind; rp.field_row = (uint32_t)e.i; rp.field_name = name;
  rp.field_value = c->dim ? v_qty(T, c->dim) : v_num(T);
  if (!c->margin) {
    rp.name = repair_scen_name(c, rp.lever);
    repair_scen_begin(c, rp.name, rp.target);
    const char *v = e.kind == K_DEAL ? "d" : e.kind == K_LOAN ? "l" : e.kind == K_PARTNER ? "p" : "c";
    buf_printf(h, &c->b, "  update %s in %s where %s == ", v, kind_plural[e.kind], v);
    if (e.kind == K_DEAL || e.kind == K_LOAN) buf_printf(h, &c->b, "%s[%u]", kind_plural[e.kind], world_position(h, e.kind, (uint32_t)e.i) - 1);
    else buf_puts(h, &c->b, en);
    buf_printf(h, &c->b, " { %s: ", name->s);
    put_number(c, &c->b, T, c->dim, 0);
    buf_puts(h, &c->b, " }\n}\n");
    rp.scenario = repair_tstr(h, &c->b);
  }
  repair_add(c, &rp);
}

