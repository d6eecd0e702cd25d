/*
** html.c: the HTML report (`hedge report`, hedge_report_html()). One
** self-contained file: inline CSS and inline SVG, no script, no font or
** image to fetch. Sections: the verdict table; for each rule whose
** comparison involves shares, a bar chart of the figure per binding with
** the limit drawn as a line (with --compare, before and after side by
** side); the trade network (partners as nodes, summed deal values as
** weighted, directed edges). A light theme, a dark one
** (prefers-color-scheme) and a print stylesheet.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "eval.h"
#include "report.h"
#include "numfmt.h"
#include "lex.h"
#include "outputs.h"

#define CHART_ROWS 25      /* bars per chart; the rest are counted */
#define NET_EDGES 60       /* the heaviest flows drawn */

typedef struct Bar {
  const char *label;       /* the bindings: "p = USA" */
  double l, r;             /* the compared values */
  int holds;
  double l2; int holds2, in1, in2;   /* compare: the scenario's value */
} Bar;

typedef struct Chart {
  int ok;                  /* a comparison with shares */
  const char *lhs, *rhs, *op;
  VEC(Bar) bars;
  int limit_varies;
} Chart;

typedef struct Html {
  Report scratch;          /* its arena holds the charts' data */
  Report *base, *after;    /* after: the report shown (scenario or compare) */
  Chart *charts;           /* one per program rule */
  int phase;               /* 0 base (or the only world), 1 the compared scenario */
  Chart *cur;
  Node *lnode;             /* the comparison being charted */
  const Walk *walk;        /* its chain, for the bindings' labels */
  /* the network, of the world shown */
  uint32_t nnodes; uint32_t *node_ids; double *node_total;
  uint32_t nedges; uint32_t *ea, *eb; double *ev;
  const char *scenario, *compare;
  int stop;                /* a limit, an interrupt or out of memory ended a check */
  Buf tmp;                 /* scratch text, freed by html_body even on error */
} Html;

/* by BinOp (ast.h) */
static const char *const op_names[] = {"+", "-", "*", "/", "^", "==", "!=", "<", "<=", ">", ">=", "in"};
_Static_assert(sizeof op_names / sizeof op_names[0] == OP_IN + 1, "op_names follows BinOp");

/* ---- data ------------------------------------------------------------------------ */

typedef struct Pair { Node *n; Value *slots; Value l, r; } Pair;
static void eval_pair(H *h, void *ud) {
  Pair *p = ud;
  p->l = eval(h, p->n->u.bin.l, p->slots);
  p->r = eval(h, p->n->u.bin.r, p->slots);
}

static void bar_cb(H *h, Value *slots, void *ud) {
  Html *x = ud;
  Chart *c = x->cur;
  Pair p = {x->lnode, slots, v_nil(), v_nil()};
  int st = hx_pcall(h, eval_pair, &p);
  if (st != HEDGE_OK && (st == HEDGE_EINTERRUPT || st == HEDGE_ELIMIT || st == HEDGE_EMEMORY || h->fatal)) hx_throw(h, st);
  if (st != HEDGE_OK) return;   /* the verdict table shows the error */
  if (p.l.tag != T_NUM || (p.r.tag != T_NUM)) { c->ok = -1; return; }
  if (v_is_share(p.l) || v_is_share(p.r)) { if (c->ok == 0) c->ok = 1; }
  /* the label: every binding of the chain */
  Buf *lb = &x->tmp;
  lb->n = 0;
  const Walk *walk = x->walk;
  for (int i = 0; i < walk->nchain; i++)
    for (uint32_t j = 0; j < walk->chain[i]->binders.n; j++) {
      Binder *b = &walk->chain[i]->binders.p[j];
      size_t len;
      const char *s = v_tostr(h, slots[b->slot], 0, &len);
      if (lb->n) buf_puts(h, lb, ", ");
      buf_put(h, lb, s, len);
    }
  const char *label = lb->n ? arena_strdup(h, &x->scratch.arena, lb->p, lb->n) : "(no bindings)";
  int holds = 0;
  double l = p.l.as.num, r = p.r.as.num;
  int cmp = num_cmp(l, r);
  switch (p.n->u.bin.op) {
    case OP_LT: holds = cmp < 0; break;
    case OP_LE: holds = cmp <= 0; break;
    case OP_GT: holds = cmp > 0; break;
    case OP_GE: holds = cmp >= 0; break;
    case OP_EQ: holds = cmp == 0; break;
    default: holds = cmp != 0; break;
  }
  if (x->phase == 1) {
    for (uint32_t i = 0; i < c->bars.n; i++)
      if (!strcmp(c->bars.p[i].label, label)) { c->bars.p[i].l2 = l; c->bars.p[i].holds2 = holds; c->bars.p[i].in2 = 1; return; }
  }
  Bar bar = {label, l, r, holds, 0, 0, x->phase == 0, x->phase == 1};
  if (x->phase == 1) { bar.l = NAN; bar.l2 = l; bar.holds2 = holds; }
  if (c->bars.n && !num_eq(c->bars.p[0].r, r)) c->limit_varies = 1;
  avec_push(h, &x->scratch.arena, &c->bars, bar);
}

/* The bars of every rule whose predicate is one comparison of numbers. */
static void collect_charts(H *h, Html *x) {
  Program *p = h->prog;
  for (uint32_t i = 0; i < p->rules.n; i++) {
    Chart *c = &x->charts[i];
    if (c->ok < 0) continue;
    Rule *rule = &p->rules.p[i];
    resolve_rule(h, rule);
    Walk w;
    table_walk_init(h, &w, rule->node->u.rule.body, rule->node->nslots);
    Node *pred = w.pred;
    if (pred->kind != N_BIN || pred->u.bin.op < OP_EQ || pred->u.bin.op == OP_IN) { c->ok = -1; continue; }
    if (!c->lhs) {
      c->lhs = parse_node_text_one_line(h, &x->scratch.arena, pred->u.bin.l);
      c->rhs = parse_node_text_one_line(h, &x->scratch.arena, pred->u.bin.r);
      c->op = op_names[pred->u.bin.op];
      if (pred->u.bin.r->kind == N_NUM && (pred->u.bin.r->u.num.flags & NUMF_PERCENT)) c->ok = 1;
    }
    x->cur = c;
    x->lnode = pred;
    x->walk = &w;
    ArenaMark m = arena_mark(&h->temp);
    table_walk_run(h, &w, bar_cb, x);
    arena_release(h, &h->temp, m);
    x->walk = NULL;
  }
}

static int id_cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Sums of deal values by (exporter, importer), the heaviest NET_EDGES. */
static void collect_network(H *h, Html *x) {
  World *w = h->world;
  Table *t = &w->t[K_DEAL];
  uint32_t n = world_count(h, K_DEAL);
  uint32_t np = world_count(h, K_PARTNER);
  if (!n || !np) return;
  /* pairs, sorted by key: exporter * np + importer (partners are few) */
  typedef struct { uint64_t key; double v; } PV;
  PV *pv = arena_alloc(h, &x->scratch.arena, (size_t)n * sizeof(PV));
  for (uint32_t i = 0; i < n; i++) {
    uint32_t row = world_nth(h, K_DEAL, i);
    pv[i].key = (uint64_t)t->a[row] * 1000003u + t->b[row];
    pv[i].v = isnan(t->value[row]) ? 0 : t->value[row];
  }
  /* insertion into a small open table would do; sorting keeps it simple */
  for (uint32_t gap = n / 2; gap > 0; gap /= 2)   /* shell sort: no comparator state */
    for (uint32_t i = gap; i < n; i++) {
      PV tmp = pv[i];
      uint32_t j = i;
      for (; j >= gap && pv[j - gap].key > tmp.key; j -= gap) pv[j] = pv[j - gap];
      pv[j] = tmp;
    }
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (m && pv[m - 1].key == pv[i].key) pv[m - 1].v += pv[i].v;
    else pv[m++] = pv[i];
  }
  /* the heaviest edges */
  uint32_t keep = m < NET_EDGES ? m : NET_EDGES;
  for (uint32_t i = 0; i < keep; i++) {
    uint32_t best = i;
    for (uint32_t j = i + 1; j < m; j++) if (pv[j].v > pv[best].v) best = j;
    PV tmp = pv[i]; pv[i] = pv[best]; pv[best] = tmp;
  }
  while (keep && pv[keep - 1].v <= 0) keep--;
  x->nedges = keep;
  x->ea = arena_alloc(h, &x->scratch.arena, (keep ? keep : 1) * sizeof(uint32_t));
  x->eb = arena_alloc(h, &x->scratch.arena, (keep ? keep : 1) * sizeof(uint32_t));
  x->ev = arena_alloc(h, &x->scratch.arena, (keep ? keep : 1) * sizeof(double));
  uint32_t *ids = arena_alloc(h, &x->scratch.arena, (2 * keep + 1) * sizeof(uint32_t));
  uint32_t nid = 0;
  for (uint32_t i = 0; i < keep; i++) {
    x->ea[i] = (uint32_t)(pv[i].key / 1000003u);
    x->eb[i] = (uint32_t)(pv[i].key % 1000003u);
    x->ev[i] = pv[i].v;
    ids[nid++] = x->ea[i];
    ids[nid++] = x->eb[i];
  }
  qsort(ids, nid, sizeof *ids, id_cmp);
  uint32_t u = 0;
  for (uint32_t i = 0; i < nid; i++) if (!u || ids[u - 1] != ids[i]) ids[u++] = ids[i];
  x->nnodes = u;
  x->node_ids = ids;
  x->node_total = arena_alloc(h, &x->scratch.arena, (u ? u : 1) * sizeof(double));
  memset(x->node_total, 0, (u ? u : 1) * sizeof(double));
  for (uint32_t i = 0; i < keep; i++)
    for (uint32_t k = 0; k < u; k++)
      if (ids[k] == x->ea[i] || ids[k] == x->eb[i]) x->node_total[k] += x->ev[i];
}

/* ---- writing ------------------------------------------------------------------------ */

static void esc(H *h, Buf *b, const char *s) {
  for (; s && *s; s++) {
    if (*s == '&') buf_puts(h, b, "&amp;");
    else if (*s == '<') buf_puts(h, b, "&lt;");
    else if (*s == '>') buf_puts(h, b, "&gt;");
    else if (*s == '"') buf_puts(h, b, "&quot;");
    else buf_putc(h, b, *s);
  }
}

static const char css[] =
  ":root{--bg:#fbfbf8;--fg:#1d232b;--muted:#5d6773;--card:#ffffff;--line:#d8dde3;"
  "--pass:#1f7a4d;--fail:#c0392b;--warn:#b7791f;--error:#7d3c98;--skip:#5d6773;"
  "--bar:#3b6ea8;--bar2:#9aa7b5;--limit:#c0392b;--edge:#3b6ea8;--node:#e8eef5}\n"
  "@media (prefers-color-scheme:dark){:root{--bg:#12161b;--fg:#e3e8ee;--muted:#9aa5b1;--card:#1b2128;"
  "--line:#323b46;--pass:#4cc38a;--fail:#ff6b5e;--warn:#f0b429;--error:#c39bd3;--skip:#9aa5b1;"
  "--bar:#6ea8e8;--bar2:#56616d;--limit:#ff6b5e;--edge:#6ea8e8;--node:#26303b}}\n"
  "*{box-sizing:border-box}\n"
  "body{margin:0;padding:24px 32px;background:var(--bg);color:var(--fg);"
  "font:15px/1.45 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',Helvetica,Arial,sans-serif}\n"
  "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}\n"
  ".meta{color:var(--muted);margin:0 0 6px}.summary{font-weight:600}\n"
  "table.verdicts{border-collapse:collapse;width:100%;background:var(--card)}\n"
  "table.verdicts th,table.verdicts td{border:1px solid var(--line);padding:6px 8px;vertical-align:top;text-align:left}\n"
  "table.verdicts th{background:var(--node);font-weight:600}\n"
  "td.findings{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:13px;white-space:pre-wrap}\n"
  ".loc{color:var(--muted);font-size:13px}\n"
  ".badge{display:inline-block;min-width:58px;text-align:center;padding:1px 6px;border-radius:4px;font-weight:700;"
  "font-size:12px;color:#fff}\n"
  ".pass{background:var(--pass)}.fail{background:var(--fail)}.warn{background:var(--warn)}"
  ".error{background:var(--error)}.skip{background:var(--skip)}\n"
  "figure{margin:14px 0 22px;padding:12px 14px;background:var(--card);border:1px solid var(--line);border-radius:6px}\n"
  "figcaption{font-weight:600;margin-bottom:6px}figcaption .expr{font-weight:400;color:var(--muted);"
  "font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:13px}\n"
  "svg{max-width:100%;height:auto;font-family:inherit}\n"
  "svg text{fill:var(--fg);font-size:12px}svg .muted{fill:var(--muted)}\n"
  "svg .bar{fill:var(--bar)}svg .bar.broken{fill:var(--fail)}svg .bar.before{fill:var(--bar2)}\n"
  "svg text.value{paint-order:stroke;stroke:var(--card);stroke-width:3px;stroke-linejoin:round}\n"
  "svg.warnrule .bar.broken{fill:var(--warn)}\n"
  "svg .limit{stroke:var(--limit);stroke-width:2;stroke-dasharray:6 4}svg .limittext{fill:var(--limit);font-weight:600}\n"
  "svg .axis{stroke:var(--line);stroke-width:1}\n"
  "svg .edge{stroke:var(--edge);fill:none;stroke-opacity:.55}svg .arrow{fill:var(--edge)}\n"
  "svg .node{fill:var(--node);stroke:var(--fg);stroke-width:1.2}svg .nodelabel{font-weight:700;font-size:11px}\n"
  ".legend{color:var(--muted);font-size:13px;margin:4px 0 0}\n"
  "footer{margin-top:36px;color:var(--muted);font-size:12px}\n"
  "@media print{@page{margin:14mm}:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#999;--node:#eee}"
  "body{padding:0;font-size:11pt}figure,table.verdicts tr,section#network{break-inside:avoid;page-break-inside:avoid}"
  "h2{break-after:avoid;page-break-after:avoid}.badge{border:1px solid #000;"
  "-webkit-print-color-adjust:exact;print-color-adjust:exact}figure{border-color:#999}}\n";

static void status_badge(H *h, Buf *b, RRule *x) {
  if (!x) { buf_puts(h, b, "<span class=\"badge skip\">&#8212;</span>"); return; }
  const char *cls, *txt;
  if (x->status == HEDGE_PASS) cls = "pass", txt = "PASS";
  else if (x->status == HEDGE_ERRORED) cls = "error", txt = "ERROR";
  else if (x->status == HEDGE_FAILED) { if (x->warn) cls = "warn", txt = "WARN"; else cls = "fail", txt = "FAIL"; }
  else cls = "skip", txt = "VACUOUS";
  buf_printf(h, b, "<span class=\"badge %s\">%s</span>", cls, txt);
}

static RRule *rule_in(Report *r, const char *name) {
  if (!r) return NULL;
  for (int i = 0; i < r->n; i++) if (!strcmp(r->rules[i].name, name)) return &r->rules[i];
  return NULL;
}

static void findings(H *h, Buf *b, Buf *line, RRule *x) {
  if (!x) return;
  if (x->status == HEDGE_ERRORED) { esc(h, b, x->error); return; }
  uint32_t shown = x->ncx < 10 ? x->ncx : 10;
  for (uint32_t k = 0; k < shown; k++) {
    Cx *c = &x->cx[k];
    line->n = 0;
    for (int j = 0; j < c->nbind; j++) buf_printf(h, line, "%s%s = %s", j ? ", " : "", c->bind[j].name, c->bind[j].text);
    if (c->nbind) buf_puts(h, line, "    ");
    report_cx_text(h, line, c);
    buf_putc(h, line, '\n');
    esc(h, b, buf_cstr(h, line));
  }
  if (x->ncx > shown) buf_printf(h, b, "... and %u more\n", x->ncx - shown);
}

static void verdicts(H *h, Html *x, Buf *b) {
  Report *r = x->after;
  buf_puts(h, b, "<section id=\"verdicts\"><h2>Verdicts</h2>\n<table class=\"verdicts\"><thead><tr>");
  if (x->compare) buf_puts(h, b, "<th>base</th><th>scenario</th>");
  else buf_puts(h, b, "<th>status</th>");
  buf_puts(h, b, "<th>rule</th><th>findings</th></tr></thead><tbody>\n");
  for (int i = 0; i < r->n; i++) {
    RRule *a = &r->rules[i], *before = x->compare ? rule_in(x->base, a->name) : NULL;
    buf_printf(h, b, "<tr id=\"rule-%s\">", a->name);
    if (x->compare) { buf_puts(h, b, "<td>"); status_badge(h, b, before); buf_puts(h, b, "</td>"); }
    buf_puts(h, b, "<td>");
    status_badge(h, b, a);
    buf_puts(h, b, "</td><td><strong>");
    esc(h, b, a->name);
    buf_puts(h, b, "</strong>");
    if (a->title) { buf_puts(h, b, "<br>"); esc(h, b, a->title); }
    buf_printf(h, b, "<br><span class=\"loc\">%s%s:%d:%d</span></td><td class=\"findings\">", a->warn ? "warn, " : "", a->file, a->line, a->col);
    findings(h, b, &x->tmp, a);
    buf_puts(h, b, "</td></tr>\n");
  }
  buf_puts(h, b, "</tbody></table></section>\n");
}

static void fmt_value(char *s, size_t n, double v, int share) {
  if (share) numfmt_share(s, n, v);
  else numfmt_plain(s, n, v);
}

static int bar_desc(const void *a, const void *b) {
  const Bar *x = a, *y = b;
  double u = isnan(x->l) ? x->l2 : x->l, v = isnan(y->l) ? y->l2 : y->l;
  return u < v ? 1 : u > v ? -1 : strcmp(x->label, y->label);
}

/* A horizontal bar chart: a bar per binding (two with compare), the limit
** as a dashed line. */
static void chart_svg(H *h, Buf *b, Chart *c, RRule *rr, int compare) {
  qsort(c->bars.p, c->bars.n, sizeof(Bar), bar_desc);
  /* bindings whose figure is 0 and that keep the rule are counted, not drawn */
  uint32_t kept = 0, zeros = 0;
  for (uint32_t i = 0; i < c->bars.n; i++) {
    Bar *x = &c->bars.p[i];
    int zero = (!x->in1 || x->l == 0) && (!x->in2 || x->l2 == 0);
    int broken = (x->in1 && !x->holds) || (x->in2 && !x->holds2);
    if (zero && !broken && c->bars.n > 1) { zeros++; continue; }
    c->bars.p[kept++] = *x;
  }
  uint32_t all = c->bars.n;
  c->bars.n = kept;
  uint32_t n = c->bars.n < CHART_ROWS ? c->bars.n : CHART_ROWS;
  double hi = 0, lo = 0;
  for (uint32_t i = 0; i < n; i++) {
    Bar *x = &c->bars.p[i];
    double vals[3] = {x->l, x->r, x->l2};
    for (int k = 0; k < 3; k++) if (!isnan(vals[k]) && (k < 2 || x->in2)) { if (vals[k] > hi) hi = vals[k]; if (vals[k] < lo) lo = vals[k]; }
  }
  if (hi == lo) hi = lo + 1;
  hi += (hi - lo) * 0.08;
  const int W = 720, left = 170, right = 70, rowh = compare ? 30 : 22, top = 8;
  int H_ = top + (int)n * rowh + 30;
  double span = hi - lo, plot = W - left - right;
#define XPOS(v) (left + ((v) - lo) / span * plot)
  buf_printf(h, b, "<svg class=\"chart%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
             rr->warn ? " warnrule" : "", W, H_, W, H_);
  esc(h, b, rr->name);
  buf_puts(h, b, ": ");
  esc(h, b, c->lhs);
  buf_puts(h, b, " per binding\">\n");
  buf_printf(h, b, "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", XPOS(0), top, XPOS(0), top + (int)n * rowh);
  char s[64];
  for (uint32_t i = 0; i < n; i++) {
    Bar *x = &c->bars.p[i];
    int y = top + (int)i * rowh;
    buf_printf(h, b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + rowh / 2 + 4);
    esc(h, b, x->label);
    buf_puts(h, b, "</text>\n");
    int bh = compare ? (rowh - 8) / 2 : rowh - 6;
    if (!compare || x->in1) {
      double v = x->l;
      double x0 = XPOS(v < 0 ? v : 0), x1 = XPOS(v < 0 ? 0 : v);
      fmt_value(s, sizeof s, v, 1);
      buf_printf(h, b, "<rect class=\"bar%s%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>", compare ? " before" : "",
                 !compare && !x->holds ? " broken" : "", x0, y + 3, x1 - x0 < 0.5 ? 0.5 : x1 - x0, bh);
      esc(h, b, x->label);
      buf_printf(h, b, ": %s%s</title></rect>\n", s, compare ? " (base)" : "");
      buf_printf(h, b, "<text class=\"value\" x=\"%.1f\" y=\"%d\">%s</text>\n", x1 + 4, y + 3 + bh - 2, s);
    }
    if (compare && x->in2) {
      double v = x->l2;
      double x0 = XPOS(v < 0 ? v : 0), x1 = XPOS(v < 0 ? 0 : v);
      fmt_value(s, sizeof s, v, 1);
      buf_printf(h, b, "<rect class=\"bar after%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>", !x->holds2 ? " broken" : "",
                 x0, y + 4 + bh, x1 - x0 < 0.5 ? 0.5 : x1 - x0, bh);
      esc(h, b, x->label);
      buf_printf(h, b, ": %s (scenario)</title></rect>\n", s);
      buf_printf(h, b, "<text class=\"value\" x=\"%.1f\" y=\"%d\">%s</text>\n", x1 + 4, y + 4 + 2 * bh - 2, s);
    }
    if (c->limit_varies) {
      double lx = XPOS(x->r);
      buf_printf(h, b, "<line class=\"limit\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", lx, y + 1, lx, y + rowh - 1);
    }
  }
  if (!c->limit_varies && c->bars.n) {
    double lx = XPOS(c->bars.p[0].r);
    fmt_value(s, sizeof s, c->bars.p[0].r, 1);
    buf_printf(h, b, "<line class=\"limit\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", lx, top - 4, lx, top + (int)n * rowh + 4);
    buf_printf(h, b, "<text class=\"limittext\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">limit %s %s</text>\n", lx, top + (int)n * rowh + 20,
               c->op, s);
  }
  if (c->bars.n > n || zeros) {
    char more[160];
    if (c->bars.n > n && zeros) snprintf(more, sizeof more, "... %u more, and %u at 0", c->bars.n - n, zeros);
    else if (zeros) snprintf(more, sizeof more, "and %u at 0 (of %u)", zeros, all);
    else snprintf(more, sizeof more, "... and %u more", c->bars.n - n);
    buf_printf(h, b, "<text class=\"muted\" x=\"%d\" y=\"%d\">%s</text>\n", 8, top + (int)n * rowh + 20, more);
  }
  buf_puts(h, b, "</svg>\n");
#undef XPOS
}

static void charts(H *h, Html *x, Buf *b) {
  Program *p = h->prog;
  int any = 0;
  for (uint32_t i = 0; i < p->rules.n; i++) if (x->charts[i].ok == 1 && x->charts[i].bars.n) any = 1;
  if (!any) return;
  buf_printf(h, b, "<section id=\"charts\"><h2>%s</h2>\n", x->compare ? "Shares before and after" : "Shares by binding");
  if (x->compare)
    buf_puts(h, b, "<p class=\"legend\"><svg width=\"12\" height=\"12\"><rect class=\"bar before\" width=\"12\" height=\"12\"/></svg> base world &#160; "
                   "<svg width=\"12\" height=\"12\"><rect class=\"bar after\" width=\"12\" height=\"12\"/></svg> scenario &#160; "
                   "<svg width=\"12\" height=\"12\"><rect class=\"bar broken\" width=\"12\" height=\"12\"/></svg> breaks the rule there</p>\n");
  for (uint32_t i = 0; i < p->rules.n; i++) {
    Chart *c = &x->charts[i];
    if (c->ok != 1 || !c->bars.n) continue;
    RRule *rr = rule_in(x->after, p->rules.p[i].name->s);
    if (!rr) continue;
    buf_printf(h, b, "<figure id=\"chart-%s\"><figcaption>", rr->name);
    esc(h, b, rr->title ? rr->title : rr->name);
    buf_puts(h, b, " <span class=\"expr\">");
    esc(h, b, c->lhs);
    buf_printf(h, b, " %s ", c->op);
    esc(h, b, c->rhs);
    buf_puts(h, b, "</span></figcaption>\n");
    chart_svg(h, b, c, rr, x->compare != NULL);
    buf_puts(h, b, "</figure>\n");
  }
  buf_puts(h, b, "</section>\n");
}

static void network(H *h, Html *x, Buf *b) {
  if (!x->nedges) return;
  const int W = 720, Hh = 560;
  const double cx = W / 2.0, cy = Hh / 2.0, R = 220;
  double maxv = 0, maxt = 0;
  for (uint32_t i = 0; i < x->nedges; i++) if (x->ev[i] > maxv) maxv = x->ev[i];
  for (uint32_t i = 0; i < x->nnodes; i++) if (x->node_total[i] > maxt) maxt = x->node_total[i];
  double *px = arena_alloc(h, &x->scratch.arena, x->nnodes * sizeof(double) + 1);
  double *py = arena_alloc(h, &x->scratch.arena, x->nnodes * sizeof(double) + 1);
  /* the busiest partner in the middle, the others on a circle */
  uint32_t hub = 0;
  for (uint32_t i = 0; i < x->nnodes; i++) if (x->node_total[i] > x->node_total[hub]) hub = i;
  uint32_t k = 0, ring = x->nnodes > 1 ? x->nnodes - 1 : 1;
  for (uint32_t i = 0; i < x->nnodes; i++) {
    if (i == hub) { px[i] = cx; py[i] = cy; continue; }
    double a = -M_PI / 2 + 2 * M_PI * k++ / ring;
    px[i] = cx + R * cos(a);
    py[i] = cy + R * sin(a);
  }
  buf_puts(h, b, "<section id=\"network\"><h2>Trade network</h2>\n<figure><figcaption>Deals summed by exporter and importer"
                 " over every year and commodity");
  if (x->scenario || x->compare) { buf_puts(h, b, ", under scenario "); esc(h, b, x->scenario ? x->scenario : x->compare); }
  buf_printf(h, b, " (the %u heaviest flows; arrows point to the importer)</figcaption>\n", x->nedges);
  buf_printf(h, b, "<svg class=\"network\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                   "aria-label=\"trade network\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
                   "markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path class=\"arrow\" d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>\n",
             W, Hh, W, Hh);
  char nb[128], s[64];
  double *rad = arena_alloc(h, &x->scratch.arena, x->nnodes * sizeof(double) + 1);
  for (uint32_t i = 0; i < x->nnodes; i++) rad[i] = 10 + 18 * sqrt(maxt > 0 ? x->node_total[i] / maxt : 0);
  for (uint32_t e = 0; e < x->nedges; e++) {
    uint32_t ia = 0, ib = 0;
    for (uint32_t i = 0; i < x->nnodes; i++) { if (x->node_ids[i] == x->ea[e]) ia = i; if (x->node_ids[i] == x->eb[e]) ib = i; }
    double dx = px[ib] - px[ia], dy = py[ib] - py[ia], d = sqrt(dx * dx + dy * dy);
    if (d < 1) continue;
    /* a slight curve, so that flows both ways stay apart */
    double ux = dx / d, uy = dy / d;
    double x0 = px[ia] + ux * rad[ia], y0 = py[ia] + uy * rad[ia];
    double x1 = px[ib] - ux * (rad[ib] + 2), y1 = py[ib] - uy * (rad[ib] + 2);
    double mx = (x0 + x1) / 2 - uy * d * 0.12, my = (y0 + y1) / 2 + ux * d * 0.12;
    double wdt = 0.8 + 7 * sqrt(maxv > 0 ? x->ev[e] / maxv : 0);
    numfmt_scaled(s, sizeof s, x->ev[e]);
    buf_printf(h, b, "<path class=\"edge\" d=\"M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f\" stroke-width=\"%.2f\" marker-end=\"url(#arrow)\"><title>", x0, y0, mx, my,
               x1, y1, wdt);
    esc(h, b, world_name(h, K_PARTNER, x->ea[e], nb, sizeof nb));
    buf_puts(h, b, " &#8594; ");
    esc(h, b, world_name(h, K_PARTNER, x->eb[e], nb, sizeof nb));
    buf_printf(h, b, ": %s USD</title></path>\n", s);
  }
  for (uint32_t i = 0; i < x->nnodes; i++) {
    const char *name = world_name(h, K_PARTNER, x->node_ids[i], nb, sizeof nb);
    numfmt_scaled(s, sizeof s, x->node_total[i]);
    buf_printf(h, b, "<g class=\"partner\"><circle class=\"node\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"><title>", px[i], py[i], rad[i]);
    esc(h, b, name);
    buf_printf(h, b, ": %s USD in the flows shown</title></circle>", s);
    buf_printf(h, b, "<text class=\"nodelabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px[i], py[i] + 4);
    esc(h, b, name);
    buf_puts(h, b, "</text></g>\n");
  }
  buf_puts(h, b, "</svg></figure></section>\n");
}

static void write_html(H *h, Html *x) {
  Buf *b = &h->result;
  b->n = 0;
  Report *r = x->after;
  Program *p = h->prog;
  buf_puts(h, b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" content=\"hedge " HEDGE_VERSION "\">\n<title>hedge report");
  const char *first = p->rules.n ? r->rules[0].file : NULL;
  if (first) { buf_puts(h, b, ": "); esc(h, b, first); }
  buf_puts(h, b, "</title>\n<style>\n");
  buf_puts(h, b, css);
  buf_puts(h, b, "</style>\n</head>\n<body>\n<header><h1>hedge report</h1>\n<p class=\"meta\">");
  if (first) { esc(h, b, first); buf_puts(h, b, " &#183; "); }
  if (x->compare) { buf_puts(h, b, "the base world against scenario <strong>"); esc(h, b, x->compare); buf_puts(h, b, "</strong>"); }
  else if (x->scenario) { buf_puts(h, b, "scenario <strong>"); esc(h, b, x->scenario); buf_puts(h, b, "</strong>"); }
  else buf_puts(h, b, "the base world");
  buf_puts(h, b, "</p>\n<p class=\"summary\">");
  if (x->compare)
    buf_printf(h, b, "base: %d passed, %d failed, %d warning%s &#183; scenario: ", x->base->passed, x->base->failed, x->base->warnings,
               x->base->warnings == 1 ? "" : "s");
  buf_printf(h, b, "%d rule%s: %d passed, %d failed", r->n, r->n == 1 ? "" : "s", r->passed, r->failed);
  if (r->warnings) buf_printf(h, b, ", %d warning%s", r->warnings, r->warnings == 1 ? "" : "s");
  if (r->errors) buf_printf(h, b, ", %d error%s", r->errors, r->errors == 1 ? "" : "s");
  buf_puts(h, b, "</p></header>\n<main>\n");
  verdicts(h, x, b);
  charts(h, x, b);
  network(h, x, b);
  buf_puts(h, b, "</main>\n<footer>Written by hedge " HEDGE_VERSION ". Figures are rounded for reading; "
                 "<code>hedge check --format json</code> and <code>hedge table</code> give every digit.</footer>\n</body>\n</html>\n");
  buf_cstr(h, b);
}

/* ---- the whole ---------------------------------------------------------------------- */

/* rules_check ends early on a limit, an interrupt or out of memory, with
** the report so far and the status in h->err_status: keep it. */
static void note_stop(H *h, Html *x) {
  int s = h->err_status;
  if (s == HEDGE_EINTERRUPT || s == HEDGE_ELIMIT || s == HEDGE_EMEMORY) x->stop = s;
}

static void html_work(H *h, void *ud) {
  Html *x = ud;
  exec_finish_load(h);
  Program *p = h->prog;
  size_t cs = (p->rules.n ? p->rules.n : 1) * sizeof(Chart);
  x->charts = arena_alloc(h, &x->scratch.arena, cs);
  memset(x->charts, 0, cs);
  const char *scen = x->compare ? x->compare : x->scenario;
  if (x->compare) {
    x->base = rules_check(h, NULL, 0, NULL, 0);
    note_stop(h, x);
    x->phase = 0;
    collect_charts(h, x);
  }
  if (scen) {
    Scenario *sc = prog_scenario_need(h, scen);
    ProgMark pm = prog_mark(h);
    h->world->logging++;
    scenario_apply(h, sc, (Loc){-1, 0, 0});
    x->after = rules_check(h, NULL, 0, scen, 0);
    note_stop(h, x);
    x->phase = x->compare ? 1 : 0;
    collect_charts(h, x);
    collect_network(h, x);
    prog_rollback(h, pm);
  } else {
    x->after = rules_check(h, NULL, 0, NULL, 0);
    note_stop(h, x);
    collect_charts(h, x);
    collect_network(h, x);
  }
  write_html(h, x);
}

static void html_body(H *h, void *ud) {
  Html *x = ud;
  int st = hx_pcall(h, html_work, x);
  arena_free(h, &x->scratch.arena);
  buf_free(h, &x->tmp);
  if (st != HEDGE_OK) hx_throw(h, st);
}

int hedge_report_html(hedge_State *h, const char *scenario, const char *compare, const char **out) {
  if (out) *out = NULL;
  if (!h) return HEDGE_EUSAGE;
  Html x;
  memset(&x, 0, sizeof x);
  x.scenario = scenario;
  x.compare = compare;
  int st = api_guarded(h, html_body, &x);
  int rs = st;
  if (st == HEDGE_OK && x.stop) {
    h->err_status = rs = x.stop;   /* no report from a check that did not finish */
  } else if (st == HEDGE_OK) {
    Report *r = x.after;
    rs = r->errors ? HEDGE_ERROR : r->failed ? HEDGE_FAIL : HEDGE_OK;
    if (out) *out = buf_cstr(h, &h->result);
  }
  report_free(h, x.base);
  report_free(h, x.after);
  return rs;
}
