/*
** repairint.h: what the three files of repairs share (not for the rest of
** hedge, which sees repair.h): the state of one binding's repair (Ctx), the
** sets of rows a lever scales (RowSet), a recognised standard-library figure
** (Fig), and the functions each file defines for the others. repair.c finds
** the comparison, builds row sets and scenarios, runs a binding and prints;
** repairclosed.c computes the repairs of known figures directly from the
** aggregate indexes; repairsearch.c searches the levers of any other figure
** by evaluating it.
*/
#ifndef REPAIRINT_H
#define REPAIRINT_H
#include "core.h"
#include "value.h"
#include "ast.h"
#include "world.h"
#include "index.h"
#include "report.h"


/* A set of deals or loans a lever scales. */
typedef struct RowSet {
  int kind;              /* K_DEAL or K_LOAN */
  uint32_t *rows; uint32_t n;
  double sum;            /* value or principal of the rows, base units */
  char *where;           /* scenario condition over `d` (deals) or `l` (loans); NULL: every row */
  char *what;            /* words */
  const char *var;       /* the update's variable: d, l, or a comprehension's own */
} RowSet;
typedef VEC(RowSet) RowSets;

/* A partner's or commodity's name, for words and scenarios. */
static inline const char *pname(H *h, uint32_t id, char *buf, size_t n) { return world_name(h, K_PARTNER, id, buf, n); }
static inline const char *cname(H *h, uint32_t id, char *buf, size_t n) { return world_name(h, K_COMMODITY, id, buf, n); }

/* One binding's repair or margins: the comparison, its figure and limit, the
** repairs found (in temp) and why there are none. */
typedef struct Ctx {
  H *h; Report *r; Cx *cx;
  Node *pred, *cmp, *fig, *lim;
  int op;                /* figure op limit */
  Value *slots;
  Value fv, lv;
  double x, L;           /* figure and limit as numbers */
  int dim;               /* the figure's dimension (0 plain) */
  int pct;               /* a ratio read as a percentage */
  const char *rule;
  Value *bindv; HStr **bindn; int nbind;
  Buf b, w;              /* scratch */
  VEC(Repair) out;       /* in temp */
  const char *why;       /* no lever at all, and why */
  char *note;            /* why the world's levers do not apply (a threshold may) */
  int margin;            /* 1: margins (the binding passes) */
  RValue *mbind; int mnbind; RRule *mrule;
} Ctx;

/* A standard-library figure the closed forms know, and the sets it is made of. */
typedef enum { FIG_OTHER, FIG_SHARE, FIG_SUM, FIG_HHI } FigKind;

typedef struct Fig {
  FigKind kind;
  RowSet part, total, other, part2;   /* part2: trade's second direction */
  int nparts;
  int group;             /* HHI and share side effects: 0 exporter, 1 importer, 2 lender */
  uint32_t who;          /* share: the offending partner */
  int loans;
} Fig;

/* ---- repair.c, for the levers ---- */

/* The buffer's text copied into h->temp; empties the buffer. */
char *repair_tstr(H *h, Buf *b);
/* The deals matching f (but the two exceptions) as a set, with its condition and words
** (imports: 1 words as imports when only the importer is set, 2 always). */
void repair_deals(Ctx *c, RowSet *s, DealFilter f, uint32_t except_exporter, uint32_t except_importer, int imports);
/* Loans of borrower (from lender, except one lender) outstanding in year y, as a set. */
void repair_loans(Ctx *c, RowSet *s, uint32_t borrower, uint32_t lender, uint32_t except_lender, double y);
/* Writes `update d in deals where W { value: d.value * K }` for set s. */
void repair_put_update(H *h, Buf *b, RowSet *s, double k);
/* A scenario name from the rule, the bindings and the lever, unique in the report. */
char *repair_scen_name(Ctx *c, const char *lever);
/* Adds a repair to the binding's list. */
void repair_add(Ctx *c, Repair *rp);
/* Starts a scenario block in c->b: `scenario NAME "title" {`. */
void repair_scen_begin(Ctx *c, const char *name, const char *title);
/* Records one scaled set in a repair's change (for --repair=check). */
void repair_add_scale(Repair *rp, RowSet *s, double k);
/* Completes a repair that scales one or two sets (s2 NULL: one) and adds it, with its
** change and, unless margins are asked, its scenario titled title. */
void repair_add_scaled(Ctx *c, Repair *rp, RowSet *s1, double k1, RowSet *s2, double k2, const char *title);
/* The repair of scaling one set by k (cut when k < 1, grow when k > 1), with its scenario. */
void repair_lever_scale(Ctx *c, const char *lever, RowSet *s, double k, const char *method, const char *side);
/* Does the expression read the world (deals, loans, attributes, functions)? */
int repair_world_fixed(Node *n);
/* A number or quantity as a number and its dimension; 0 for any other value. */
int repair_num_of(Value v, double *x, int *dim);
/* Holds `a op b` under the tolerant comparison of value.c? */
int repair_holds(double a, int op, double b);
/* The value a figure must reach to pass a comparison with limit L. */
double repair_target_of(double L, int op);
/* The limit at which a failing figure x would pass (threshold lever). */
double repair_threshold_of(double x, int op);

/* ---- repairclosed.c: closed forms ---- */

/* Recognizes a standard-library figure in call and gathers its sets (FIG_OTHER: none). */
FigKind repairclosed_figure(Ctx *c, Node *call, Fig *g);
/* The levers of a share: cut the part, shift to the others, grow the others (or the reverse). */
void repairclosed_shares(Ctx *c, Fig *g);
/* The levers of a sum: scale its rows to the target. */
void repairclosed_sums(Ctx *c, Fig *g);
/* The levers of an HHI: cut or grow the top group, or shift from it to the others. */
void repairclosed_hhi(Ctx *c, Fig *g);
/* The threshold lever: the limit at which the rule flips, when the limit reads no world. */
void repairclosed_threshold(Ctx *c);
/* `p.weight > 0`: set the bound entity's attribute to the target. */
void repairclosed_field(Ctx *c);

/* ---- repairsearch.c: the search ---- */

/* The search's levers for any figure: bisection on the scale of each set of rows it reads. */
void repairsearch_all(Ctx *c);
#endif
