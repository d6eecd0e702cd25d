/*
** rules.c: checking rules. A rule body is a chain of `forall`s over a
** final predicate. The checker walks the chain, binding variables in
** slots; for every binding where the predicate is false it records the
** bindings and the operand values of the comparison (or conjunct) that
** failed, re-evaluated from the same slots. A runtime error stops only
** that rule (status error); the others still run.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "eval.h"
#include "report.h"
#include "units.h"
#include "lex.h"
#include "repair.h"
#include "rules.h"
#include "index.h"
#include "resolve.h"
#include "stdfast.h"

/* ---- explanation of a failure --------------------------------------------------- */

/* defer: the binding held (recorded for --compare): numbers are written
** only if the comparison prints them (report_value_deferred). */
/* known, kl, kr: the comparison node the checker evaluated and its operands'
** values (eval_keeping_operands), taken instead of evaluating them again. */
/* Texts a rule's report repeats for every binding (an operand's source
** text, a variable's name), copied into the report once and shared: a
** rule over 80,000 bindings recorded them 80,000 times. */
#define TEXT_CACHE 8
typedef struct TextCache { const void *key[TEXT_CACHE]; char *text[TEXT_CACHE]; int next; } TextCache;

/* The report's copy of s (n bytes), keyed by the node or name it came from. */
static char *cached_text(H *h, Report *r, TextCache *tc, const void *key, const char *s, size_t n) {
  for (int i = 0; i < TEXT_CACHE; i++)
    if (tc->key[i] == key) return tc->text[i];
  char *t = report_strdup(h, r, s, n);
  tc->key[tc->next] = key;
  tc->text[tc->next] = t;
  tc->next = (tc->next + 1) % TEXT_CACHE;
  return t;
}

typedef struct Explain {
  H *h; Report *r; VEC(RValue) vals; int op, rhs_literal, defer; char *note;
  Node *known; Value kl, kr;
  TextCache *texts;
} Explain;

/* Written as a percentage: 5%, -5%, 0 - 5%, 1 + 2.5%. */
static int pct_expr(Node *n) {
  if (n->kind == N_NUM) return (n->u.num.flags & NUMF_PERCENT) != 0;
  if (n->kind == N_NEG) return pct_expr(n->u.operand);
  if (n->kind == N_BIN && (n->u.bin.op == OP_ADD || n->u.bin.op == OP_SUB)) return pct_expr(n->u.bin.l) || pct_expr(n->u.bin.r);
  return 0;
}

static void add_operand(Explain *e, Node *n, Value v) {
  RValue rv;
  if (e->defer) report_value_deferred(e->h, e->r, &rv, v);
  else report_value(e->h, e->r, &rv, v);
  size_t len;
  const char *t = parse_node_text(e->h, n, &len);
  rv.expr = e->texts ? cached_text(e->h, e->r, e->texts, n, t, len) : report_strdup(e->h, e->r, t, len);
  if (pct_expr(n) && !rv.unit && !isnan(rv.num)) rv.pct = 1;
  /* in the temp arena: nothing to leak if an evaluation below fails */
  avec_push(e->h, &e->h->temp, &e->vals, rv);
}

static int is_literal(Node *n) {
  return n->kind == N_NUM || n->kind == N_QTY || n->kind == N_STR || n->kind == N_DATE || n->kind == N_BOOL ||
         n->kind == N_NIL || (n->kind == N_NEG && is_literal(n->u.operand));
}

static void explain_false(Explain *e, Node *n, Value *slots) {
  H *h = e->h;
  switch (n->kind) {
    case N_BIN:
      if (n->u.bin.op >= OP_EQ) {
        Value l, r;
        if (n == e->known) l = e->kl, r = e->kr;
        else l = eval(h, n->u.bin.l, slots), r = eval(h, n->u.bin.r, slots);
        add_operand(e, n->u.bin.l, l);
        add_operand(e, n->u.bin.r, r);
        e->op = (int)n->u.bin.op;
        e->rhs_literal = is_literal(n->u.bin.r);
        /* a ratio compared with a percentage shows as one, on either side
        ** (g = -8.6%, expected >= -5%) */
        if (e->vals.n >= 2) {
          RValue *a = &e->vals.p[e->vals.n - 2], *b = &e->vals.p[e->vals.n - 1];
          if (b->pct && !isnan(a->num) && !a->unit) a->pct = 1;
          if (a->pct && !isnan(b->num) && !b->unit) b->pct = 1;
        }
        return;
      }
      break;
    case N_AND: {
      Value l = eval(h, n->u.bin.l, slots);
      if (l.tag == T_BOOL && !l.as.b) explain_false(e, n->u.bin.l, slots);
      else explain_false(e, n->u.bin.r, slots);
      return;
    }
    case N_OR:
      explain_false(e, n->u.bin.l, slots);
      explain_false(e, n->u.bin.r, slots);
      e->op = -1;
      return;
    case N_NOT: add_operand(e, n->u.operand, eval(h, n->u.operand, slots)); return;
    case N_IF: {
      Value c = eval(h, n->u.cond.c, slots);
      explain_false(e, c.tag == T_BOOL && c.as.b ? n->u.cond.t : n->u.cond.e, slots);
      return;
    }
    case N_QUANT: {
      size_t len;
      const char *t = parse_node_text(h, n, &len);
      char note[640];   /* not a heap Buf: nothing to leak if the copy fails */
      if (n->u.quant.exists) {
        Compr *c = &n->u.quant.c;
        size_t cl, bl = 0;
        const char *ct = parse_node_text(h, c->binders.p[0].coll, &cl);
        const char *bt = c->body ? parse_node_text(h, c->body, &bl) : "";
        char cond[240];
        /* the condition on one line: where and body as written */
        size_t k = 0;
        for (size_t i = 0; i < bl && k + 4 < sizeof cond; i++) {
          char ch = bt[i];
          if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
          if (ch == ' ' && k && cond[k - 1] == ' ') continue;
          cond[k++] = ch;
        }
        if (k + 4 >= sizeof cond) { memcpy(cond + k, "...", 3); k += 3; }
        cond[k] = 0;
        if (c->binders.n == 1)
          snprintf(note, sizeof note, "no %s in %.*s satisfies %s", c->binders.p[0].name->s,
                   (int)(cl > 200 ? 200 : cl), ct, k ? cond : "the condition");
        else
          snprintf(note, sizeof note, "no binding of %s, ... satisfies %s", c->binders.p[0].name->s,
                   k ? cond : "the condition");
      } else snprintf(note, sizeof note, "not every binding of %.*s holds", (int)(len > 80 ? 80 : len), t);
      e->note = report_strdup(h, e->r, note, strlen(note));
      return;
    }
    default: break;
  }
  add_operand(e, n, eval(h, n, slots));
}

/* ---- the chain walk -------------------------------------------------------------- */

typedef struct Checker {
  H *h; Report *r; RRule *out;
  Compr **chain; int nchain;
  Node *pred;
  Value *slots;
  int ci, bi;
  /* vacuity: bindings of the outermost forall that passed its `where`;
  ** predicate evaluations; those that divided by a zero total */
  long nouter, npred, nzero;
  char zero_note[256];
  /* the predicate is a comparison (known, set once per rule): its
  ** operands' values at the last evaluation (eval_keeping_operands), for
  ** record_as */
  int known;
  Value kl, kr;
  TextCache texts;
  /* --compare: the base world's check records what each binding read
  ** (trk); the scenario's check keeps the result of a base binding that
  ** read nothing the scenario changed (use, from base rule `from`) */
  struct RuleTrack *trk, *use;
  RRule *from;
  struct Reuse *reuse;
} Checker;

/* ---- --compare: bindings kept from the base world ----------------------------------
** Under --compare the base world is checked first, with every binding's
** reads tracked (h->reads, world.h): the deal filters of the index queries
** it made and the values of the lets it read, or "opaque" when it read
** anything else. The scenario's check walks each rule's chain again (its
** collections and `where`s are evaluated as usual) and, for a binding the
** base check tracked, looks at what the scenario changed: when none of the
** deals the scenario changed, dropped or added matches any of the
** binding's filters and every let it read has the same value, the
** binding's result is the base one, bit for bit (the same sums of the same
** rows in the same order), and the binding is not evaluated again. A
** binding that held keeps no record then (it holds in both worlds, so the
** comparison never prints it); one that failed shares the base report's
** record. Anything the tracking does not cover is evaluated again, and a
** scenario that changes more than deals (partners, loans, keys of deals,
** lets, declarations) is checked in full. */

/* A tracked binding of the base check: its verdict, its record (cx or
** pass index), its filters (RuleTrack.f[filt..filt+nfilt)) and the lets it
** read (bits into CheckTrack.let). */
typedef struct BindTrack { uint32_t rec, filt; uint16_t nfilt, lets; uint8_t held, pad[3]; } BindTrack;

/* A rule's tracked bindings (in the base report's arena). */
typedef struct RuleTrack {
  BindTrack *b; uint32_t n, cap;
  uint64_t *keys; uint32_t nb, kcap;     /* nb keys per binding: kind << 32 | row */
  DealFilter *f; uint32_t nf, fcap;
  uint32_t *hash; uint32_t hcap;         /* the scenario's check: key -> binding + 1 */
} RuleTrack;

/* The lets tracked bindings read, and their values in the base world. */
#define TRACK_LETS 16
typedef struct CheckTrack {
  int nlet; struct Global *let[TRACK_LETS]; Value letv[TRACK_LETS];
} CheckTrack;

/* What the scenario changed: the deal rows (changed, dropped or added) and,
** per mask of a filter, their keys under that mask (built when first
** asked). */
typedef struct Reuse {
  Report *base, *into;                   /* into: the scenario's report (delta tables in its arena) */
  uint32_t *rows; uint32_t n;
  struct { uint32_t (*k)[4]; uint8_t *used; uint32_t cap; int built; } m[16];
  int letstate[TRACK_LETS];              /* 0 not asked yet, 1 same value, 2 changed */
} Reuse;

/* Grows an array in the report's arena to hold need elements (the old
** copy stays in the arena, freed with the report). */
static void *track_grow(H *h, Report *r, void *p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return p;
  uint32_t nc = *cap ? *cap : 256;
  while (nc < need) nc *= 2;
  void *q = arena_alloc(h, &r->arena, (size_t)nc * elem);
  if (*cap) memcpy(q, p, (size_t)*cap * elem);
  *cap = nc;
  return q;
}

/* The key of a binder's value: a partner or commodity (UINT64_MAX: a value
** the tracking does not key; the binding is evaluated again). */
static uint64_t bind_key(Value v) {
  if (v.tag != T_ENT || (v.kind != K_PARTNER && v.kind != K_COMMODITY) || v.i < 0) return UINT64_MAX;
  return (uint64_t)v.kind << 32 | (uint32_t)v.i;
}

static int same_scalar(Value a, Value b) {
  if (a.tag != b.tag) return 0;
  switch (a.tag) {
    case T_NIL: return 1;
    case T_BOOL: return a.as.b == b.as.b;
    case T_NUM: case T_QTY: return a.dim == b.dim && a.kind == b.kind && memcmp(&a.as.num, &b.as.num, sizeof(double)) == 0;
    case T_STR: return a.as.str == b.as.str || (a.as.str->len == b.as.str->len && memcmp(a.as.str->s, b.as.str->s, a.as.str->len) == 0);
    case T_DATE: case T_ENT: return a.kind == b.kind && a.i == b.i;
    default: return 0;
  }
}

/* Records the binding just checked (verdict held, record rec) with what
** it read, unless it is opaque or its variables are not keyed. */
static void track_binding(Checker *c, ReadTrack *rt, int held, uint32_t rec) {
  H *h = c->h;
  Report *r = c->r;
  RuleTrack *t = c->trk;
  if (rt->opaque) return;
  uint64_t key[64];
  uint32_t nb = 0;
  for (int i = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++) {
      if (nb == 64) return;
      uint64_t k = bind_key(c->slots[c->chain[i]->binders.p[j].slot]);
      if (k == UINT64_MAX) return;
      key[nb++] = k;
    }
  CheckTrack *ct = r->track;
  uint16_t lets = 0;
  for (uint32_t i = 0; i < rt->nlet; i++) {
    int j = 0;
    while (j < ct->nlet && ct->let[j] != rt->let[i]) j++;
    if (j == ct->nlet) {
      if (ct->nlet == TRACK_LETS) return;
      ct->let[j] = rt->let[i];
      ct->letv[j] = rt->letv[i];
      ct->nlet++;
    } else if (!same_scalar(ct->letv[j], rt->letv[i])) return;
    lets |= (uint16_t)(1u << j);
  }
  t->nb = nb;
  t->b = track_grow(h, r, t->b, &t->cap, t->n + 1, sizeof *t->b);
  t->keys = track_grow(h, r, t->keys, &t->kcap, (t->n + 1) * (nb ? nb : 1), sizeof *t->keys);
  t->f = track_grow(h, r, t->f, &t->fcap, t->nf + rt->n, sizeof *t->f);
  BindTrack *b = &t->b[t->n];
  memset(b, 0, sizeof *b);
  b->rec = rec; b->held = (uint8_t)held; b->lets = lets;
  b->filt = t->nf; b->nfilt = (uint16_t)rt->n;
  if (nb) memcpy(t->keys + (size_t)t->n * nb, key, nb * sizeof *key);
  if (rt->n) memcpy(t->f + t->nf, rt->f, rt->n * sizeof *rt->f);
  t->nf += rt->n;
  t->n++;
}

static inline uint32_t key_hash(const uint64_t *k, uint32_t nb) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint32_t i = 0; i < nb; i++) { x ^= k[i]; x *= 0xBF58476D1CE4E5B9ull; x ^= x >> 31; }
  return (uint32_t)(x >> 32);
}

/* The scenario's check: the key table of a base rule's bindings. */
static void track_hash(H *h, Report *r, RuleTrack *t) {
  uint32_t cap = 16;
  while (cap < t->n * 2) cap *= 2;
  t->hash = arena_alloc(h, &r->arena, (size_t)cap * sizeof *t->hash);
  memset(t->hash, 0, (size_t)cap * sizeof *t->hash);
  t->hcap = cap;
  for (uint32_t i = 0; i < t->n; i++) {
    const uint64_t *k = t->keys + (size_t)i * t->nb;
    uint32_t s = key_hash(k, t->nb) & (cap - 1);
    while (t->hash[s]) s = (s + 1) & (cap - 1);
    t->hash[s] = i + 1;
  }
}

/* The base binding with the same variables as the current one, or NULL. */
static BindTrack *track_find(Checker *c) {
  RuleTrack *t = c->use;
  uint64_t key[64];
  uint32_t nb = 0;
  for (int i = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++) {
      if (nb == 64) return NULL;
      uint64_t k = bind_key(c->slots[c->chain[i]->binders.p[j].slot]);
      if (k == UINT64_MAX) return NULL;
      key[nb++] = k;
    }
  if (nb != t->nb || !t->n) return NULL;
  for (uint32_t s = key_hash(key, nb) & (t->hcap - 1);; s = (s + 1) & (t->hcap - 1)) {
    uint32_t i = t->hash[s];
    if (!i) return NULL;
    if (!memcmp(t->keys + (size_t)(i - 1) * nb, key, nb * sizeof *key)) return &t->b[i - 1];
  }
}

/* Whether a deal the scenario changed matches filter f. */
static int delta_hits(H *h, Reuse *u, DealFilter f) {
  if (!u->n) return 0;
  int mask = (f.exporter != NO_ROW) | (f.importer != NO_ROW) << 1 | (f.commodity != NO_ROW) << 2 | (f.year != NO_YEAR) << 3;
  if (!mask) return 1;
  Table *t = &h->world->t[K_DEAL];
  uint32_t want[4] = {mask & 1 ? f.exporter : 0, mask & 2 ? f.importer : 0, mask & 4 ? f.commodity : 0,
                      mask & 8 ? (uint32_t)f.year : 0};
  if (!u->m[mask].built) {
    uint32_t cap = 16;
    while (cap < u->n * 2) cap *= 2;
    u->m[mask].k = arena_alloc(h, &u->into->arena, (size_t)cap * sizeof *u->m[mask].k);
    u->m[mask].used = arena_alloc(h, &u->into->arena, cap);
    memset(u->m[mask].used, 0, cap);
    u->m[mask].cap = cap;
    for (uint32_t i = 0; i < u->n; i++) {
      uint32_t r = u->rows[i];
      uint32_t k[4] = {mask & 1 ? t->a[r] : 0, mask & 2 ? t->b[r] : 0, mask & 4 ? t->c[r] : 0, mask & 8 ? (uint32_t)t->year[r] : 0};
      uint32_t s = key_hash((const uint64_t[2]){(uint64_t)k[0] << 32 | k[1], (uint64_t)k[2] << 32 | k[3]}, 2) & (cap - 1);
      while (u->m[mask].used[s] && memcmp(u->m[mask].k[s], k, sizeof k)) s = (s + 1) & (cap - 1);
      memcpy(u->m[mask].k[s], k, sizeof k);
      u->m[mask].used[s] = 1;
    }
    u->m[mask].built = 1;
  }
  uint32_t cap = u->m[mask].cap;
  uint32_t s = key_hash((const uint64_t[2]){(uint64_t)want[0] << 32 | want[1], (uint64_t)want[2] << 32 | want[3]}, 2) & (cap - 1);
  for (; u->m[mask].used[s]; s = (s + 1) & (cap - 1))
    if (!memcmp(u->m[mask].k[s], want, sizeof want)) return 1;
  return 0;
}

/* Whether base binding b's result holds in the scenario's world: none of
** its filters sees a changed deal, and every let it read has its base
** value (asked once per check; refreshing a let here is what evaluating
** the binding would do first, and its filters are clean, so an error it
** raises is the binding's own). */
static int track_reusable(Checker *c, BindTrack *b) {
  H *h = c->h;
  RuleTrack *t = c->use;
  Reuse *u = c->reuse;
  for (uint32_t i = 0; i < b->nfilt; i++)
    if (delta_hits(h, u, t->f[b->filt + i])) return 0;
  if (b->lets) {
    CheckTrack *ct = u->base->track;
    for (int j = 0; j < ct->nlet; j++) {
      if (!(b->lets & (1u << j))) continue;
      if (!u->letstate[j]) {
        Global *g = ct->let[j];
        if (!g->ready || g->kind != G_LET) u->letstate[j] = 2;
        else {
          if ((g->world_dep || g->scen_expr) && g->version != h->world->version) eval_let_refresh(h, g);
          u->letstate[j] = same_scalar(g->value, ct->letv[j]) ? 1 : 2;
        }
      }
      if (u->letstate[j] != 1) return 0;
    }
  }
  return 1;
}

/* The base result stands for the current binding: a failure shares the
** base report's record (the base report outlives this one: see
** rules_check_reusing); a binding that held records nothing. */
static void reuse_binding(Checker *c, BindTrack *b) {
  H *h = c->h;
  RRule *o = c->out;
  c->npred++;
  if (b->held) return;
  if (o->ncx == o->cxcap) {
    uint32_t cap = o->cxcap ? o->cxcap * 2 : 8;
    o->cx = mem_realloc(h, o->cx, o->cxcap * sizeof(Cx), cap * sizeof(Cx));
    o->cxcap = cap;
  }
  o->cx[o->ncx++] = c->from->cx[b->rec];
}

/* The values and names of the binding's variables, in chain order. */
static void bind_values(Checker *c, Value *v, HStr **n) {
  for (int i = 0, k = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++, k++) {
      Binder *b = &c->chain[i]->binders.p[j];
      v[k] = c->slots[b->slot];
      n[k] = b->name;
    }
}

static void record_as(Checker *c, int held);
static void record(Checker *c) { record_as(c, 0); }

/* A value that stays valid, unchanged, after the binding's evaluation: no
** pointer into the evaluator's temporaries (a string may be one). */
static int raw_ok(Value v) {
  return v.tag == T_NIL || v.tag == T_BOOL || v.tag == T_NUM || v.tag == T_QTY || v.tag == T_DATE || v.tag == T_ENT;
}

/* A binding that held, kept raw (Cx.raw): its variables' values and its
** comparison's operands, written out by rules_held_complete only if the
** comparison prints the binding (most never are: --compare at 1M kept
** 40,000 of them per world). 0 when a value cannot be kept raw. */
static int record_raw(Checker *c, Cx *cx, int nb) {
  H *h = c->h;
  if (!raw_ok(c->kl) || !raw_ok(c->kr)) return 0;
  Value *raw = arena_alloc(h, &c->r->arena, (size_t)(nb + 2) * sizeof(Value));
  for (int i = 0, k = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++, k++) {
      Value v = c->slots[c->chain[i]->binders.p[j].slot];
      if (!raw_ok(v)) return 0;   /* the arena keeps the few bytes */
      raw[k] = v;
    }
  raw[nb] = c->kl;
  raw[nb + 1] = c->kr;
  if (!c->out->raw_names) {   /* the rule's variables, once */
    HStr **names = arena_alloc(h, &c->r->arena, (size_t)(nb ? nb : 1) * sizeof *names);
    for (int i = 0, k = 0; i < c->nchain; i++)
      for (uint32_t j = 0; j < c->chain[i]->binders.n; j++, k++) names[k] = c->chain[i]->binders.p[j].name;
    c->out->raw_names = names;
    c->out->raw_pred = c->pred;
  }
  cx->raw = raw;
  cx->nbind = nb;
  cx->op = -1;
  return 1;
}

/* (see rules.h) */
void rules_held_complete(H *h, Report *r, RRule *x) {
  TextCache texts;
  memset(&texts, 0, sizeof texts);
  for (uint32_t i = 0; i < x->npass; i++) {
    Cx *cx = &x->pass[i];
    if (!cx->raw) continue;
    int nb = cx->nbind;
    RValue *bind = nb ? arena_alloc(h, &r->arena, (size_t)nb * sizeof(RValue)) : NULL;
    for (int k = 0; k < nb; k++) {
      report_value(h, r, &bind[k], cx->raw[k]);
      bind[k].name = cached_text(h, r, &texts, x->raw_names[k], x->raw_names[k]->s, x->raw_names[k]->len);
    }
    ArenaMark m = arena_mark(&h->temp);
    Explain e;
    memset(&e, 0, sizeof e);
    e.h = h; e.r = r; e.op = -1; e.defer = 1; e.texts = &texts;
    e.known = x->raw_pred; e.kl = cx->raw[nb]; e.kr = cx->raw[nb + 1];
    explain_false(&e, x->raw_pred, NULL);
    RValue *vals = e.vals.n ? arena_alloc(h, &r->arena, e.vals.n * sizeof(RValue)) : NULL;
    if (e.vals.n) memcpy(vals, e.vals.p, e.vals.n * sizeof(RValue));
    cx->bind = bind;
    cx->nvals = (int)e.vals.n;
    cx->vals = vals;
    cx->op = e.op;
    cx->rhs_literal = e.rhs_literal;
    cx->raw = NULL;
    arena_release(h, &h->temp, m);
  }
}

/* A binding: a counterexample (held 0), or with record_all a binding that
** held (its comparison's values, for "before => after"). */
static void record_as(Checker *c, int held) {
  H *h = c->h;
  RRule *o = c->out;
  Cx **arr = held ? &o->pass : &o->cx;
  uint32_t *n = held ? &o->npass : &o->ncx, *capp = held ? &o->passcap : &o->cxcap;
  if (*n == *capp) {
    uint32_t cap = *capp ? *capp * 2 : 8;
    *arr = mem_realloc(h, *arr, *capp * sizeof(Cx), cap * sizeof(Cx));
    *capp = cap;
  }
  Cx *cx = &(*arr)[*n];
  memset(cx, 0, sizeof *cx);
  int nb = 0;
  for (int i = 0; i < c->nchain; i++) nb += (int)c->chain[i]->binders.n;
  /* the base world's report only: it is written out in the base world
  ** (after the scenario's rollback), where its entities have these names */
  if (held && c->known && !c->r->scenario && record_raw(c, cx, nb)) { (*n)++; return; }
  cx->bind = nb ? arena_alloc(h, &c->r->arena, (size_t)nb * sizeof(RValue)) : NULL;
  for (int i = 0, k = 0; i < c->nchain; i++)
    for (uint32_t j = 0; j < c->chain[i]->binders.n; j++, k++) {
      Binder *b = &c->chain[i]->binders.p[j];
      report_value(h, c->r, &cx->bind[k], c->slots[b->slot]);
      cx->bind[k].name = cached_text(h, c->r, &c->texts, b->name, b->name->s, b->name->len);
    }
  cx->nbind = nb;
  Explain e;
  memset(&e, 0, sizeof e);
  e.h = h; e.r = c->r; e.op = -1; e.defer = held; e.texts = &c->texts;
  if (c->known) e.known = c->pred, e.kl = c->kl, e.kr = c->kr;
  if (held && (c->pred->kind == N_QUANT || c->pred->kind == N_OR)) { /* nothing failed to explain */ }
  else if (c->pred->kind == N_QUANT || c->pred->kind == N_BIN || c->pred->kind == N_AND || c->pred->kind == N_OR ||
      c->pred->kind == N_NOT || c->pred->kind == N_IF)
    explain_false(&e, c->pred, c->slots);
  else if (!is_literal(c->pred)) explain_false(&e, c->pred, c->slots);
  cx->nvals = (int)e.vals.n;
  cx->vals = e.vals.n ? arena_alloc(h, &c->r->arena, e.vals.n * sizeof(RValue)) : NULL;
  if (e.vals.n) memcpy(cx->vals, e.vals.p, e.vals.n * sizeof(RValue));
  cx->op = e.op;
  cx->rhs_literal = e.rhs_literal;
  cx->note = e.note;
  if (held) { (*n)++; return; }
  if (c->r->explain) {
    if (o->ncx >= o->nexplain) {
      uint32_t cap = o->nexplain ? o->nexplain * 2 : 8;
      char **x = arena_alloc(h, &c->r->arena, cap * sizeof(char *));
      if (o->nexplain) memcpy(x, o->explain, o->nexplain * sizeof(char *));
      memset(x + o->nexplain, 0, (cap - o->nexplain) * sizeof(char *));
      o->explain = x;
      o->nexplain = cap;
    }
    o->explain[o->ncx] = report_explain_tree(h, c->r, c->pred, c->slots);
  }
  o->ncx++;
  if (c->r->repair) {
    Value *bv = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(Value)) : NULL;
    HStr **bn = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(HStr *)) : NULL;
    bind_values(c, bv, bn);
    repair_binding(h, c->r, cx, c->pred, c->slots, bv, bn, nb, o->name);
  }
}

/* --margins: a passing binding's distance to its limit (repair.c). */
static void record_margin(Checker *c) {
  H *h = c->h;
  int nb = 0;
  for (int i = 0; i < c->nchain; i++) nb += (int)c->chain[i]->binders.n;
  Value *bv = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(Value)) : NULL;
  HStr **bn = nb ? arena_alloc(h, &h->temp, (size_t)nb * sizeof(HStr *)) : NULL;
  RValue *bind = nb ? arena_alloc(h, &c->r->arena, (size_t)nb * sizeof(RValue)) : NULL;
  bind_values(c, bv, bn);
  for (int k = 0; k < nb; k++) {
    report_value(h, c->r, &bind[k], bv[k]);
    bind[k].name = report_strdup(h, c->r, bn[k]->s, bn[k]->len);
  }
  repair_margin_binding(h, c->r, c->out, c->pred, c->slots, bv, bn, nb, bind, c->out->name);
}

static void run_level(Checker *c);

static int level_item(H *h, Value item, void *ud) {
  Checker *c = ud;
  Binder *b = &c->chain[c->ci]->binders.p[c->bi];
  c->slots[b->slot] = item;
  ArenaMark m = arena_mark(&h->temp);
  c->bi++;
  run_level(c);
  c->bi--;
  arena_release(h, &h->temp, m);
  return 1;
}

static void run_level(Checker *c) {
  H *h = c->h;
  Compr *cm = c->ci < c->nchain ? c->chain[c->ci] : NULL;
  if (cm && (uint32_t)c->bi < cm->binders.n) {
    Binder *b = &cm->binders.p[c->bi];
    Value coll = eval(h, b->coll, c->slots);
    eval_iterate(h, coll, b->coll->loc, level_item, c);
    return;
  }
  if (cm) {
    if (cm->where) {
      Value ok = eval(h, cm->where, c->slots);
      if (ok.tag != T_BOOL) {
        char b1[80];
        hx_error_at(h, cm->where->loc, "the condition after 'where' must be true or false, not %s", v_typename(h, ok, b1, sizeof b1));
      }
      if (!ok.as.b) return;
    }
    if (c->ci == 0) c->nouter++;
    int ci = c->ci, bi = c->bi;
    c->ci++; c->bi = 0;
    run_level(c);
    c->ci = ci; c->bi = bi;
    return;
  }
  if (c->use) {   /* --compare, the scenario's world: the base result stands? */
    BindTrack *b = track_find(c);
    if (b && track_reusable(c, b)) { reuse_binding(c, b); return; }
  }
  h->zero_totals = 0;
  ReadTrack rt, *outer = h->reads;
  if (c->trk) { rt.opaque = 0; rt.n = 0; rt.nlet = 0; h->reads = &rt; }
  Value v = c->known ? eval_keeping_operands(h, c->pred, c->slots, &c->kl, &c->kr) : eval(h, c->pred, c->slots);
  if (c->trk) h->reads = outer;
  c->npred++;
  if (h->zero_totals) {
    c->nzero++;
    if (!c->zero_note[0] && h->zero_note[0]) snprintf(c->zero_note, sizeof c->zero_note, "%s", h->zero_note);
  }
  if (v.tag != T_BOOL) {
    char b1[80];
    hx_error_at(h, c->pred->loc, "a rule must be true or false, but this is %s", v_typename(h, v, b1, sizeof b1));
  }
  if (!v.as.b) record(c);
  else if (c->r->record_all) record_as(c, 1);
  else if (c->r->margins) record_margin(c);
  if (c->trk) {
    /* a zero total, a default's note: said by Lua (opaque), but checked */
    if (h->zero_totals || h->default_note[0]) rt.opaque = 1;
    track_binding(c, &rt, v.as.b, v.as.b ? c->out->npass - 1 : c->out->ncx - 1);
  }
}

/* Why a rule that would pass rests on nothing, or NULL when it does not:
** (a) its outermost forall ranged over data and no binding passed its
** `where` (a forall over a literal list stays a plain pass: SPEC 5, an
** empty forall is true); (b) every binding it checked took a share or a
** concentration of a zero total. */
static char *vacuous_reason(H *h, Checker *c) {
  char why[640];
  if (c->nchain > 0 && c->nouter == 0) {
    Compr *cm = c->chain[0];
    int world = resolve_reads_world(h, cm->where);
    for (uint32_t i = 0; i < cm->binders.n; i++) world |= resolve_reads_world(h, cm->binders.p[i].coll);
    if (!world) return NULL;
    Binder *b = &cm->binders.p[0];
    char coll[200], cond[300];
    parse_node_text_short(h, b->coll, coll, sizeof coll);
    if (cm->where) {
      parse_node_text_short(h, cm->where, cond, sizeof cond);
      if (cm->binders.n == 1 && b->coll->kind == N_COLL)
        snprintf(why, sizeof why, "no binding: no %s %s has %s", kind_names[b->coll->u.coll.kind], b->name->s, cond);
      else snprintf(why, sizeof why, "no binding: no %s in %s satisfies %s", b->name->s, coll, cond);
    } else if (cm->binders.n == 1) snprintf(why, sizeof why, "no binding: %s is empty", coll);
    else snprintf(why, sizeof why, "no binding: one of the collections is empty");
    return report_strdup(h, c->r, why, strlen(why));
  }
  if (c->npred > 0 && c->nzero == c->npred) {
    if (c->npred == 1) snprintf(why, sizeof why, "nothing to compare: %s", c->zero_note[0] ? c->zero_note : "a share of a zero total");
    else snprintf(why, sizeof why, "nothing to compare: all %ld bindings take a share of a zero total; %s", c->npred,
                  c->zero_note[0] ? c->zero_note : "");
    return report_strdup(h, c->r, why, strlen(why));
  }
  return NULL;
}


static void run_rule(H *h, void *ud) {
  Checker *c = ud;
  c->ci = 0; c->bi = 0;
  run_level(c);
  (void)h;
}

static void do_resolve(H *h, void *ud) { resolve_rule(h, ud); }

static void check_one(H *h, Report *r, Rule *rule, RRule *out, Reuse *reuse, RRule *from) {
  memset(out, 0, sizeof *out);
  out->name = report_strdup(h, r, rule->name->s, rule->name->len);
  out->title = rule->title ? report_strdup(h, r, rule->title->s, rule->title->len) : NULL;
  out->warn = rule->warn;
  Loc loc = rule->node->loc;
  Source *s = h->sources.p[loc.src];
  out->file = report_strdup(h, r, s->name, strlen(s->name));
  out->line = loc.line;
  out->col = loc.col;
  Checker c;
  memset(&c, 0, sizeof c);
  c.h = h; c.r = r; c.out = out;
  if (r->track) {   /* --compare, the base world: bindings tracked */
    c.trk = arena_alloc(h, &r->arena, sizeof *c.trk);
    memset(c.trk, 0, sizeof *c.trk);
    out->track = c.trk;
  }
  if (reuse && from && from->track &&
      (from->status == HEDGE_PASS || from->status == HEDGE_FAILED || from->status == HEDGE_VACUOUS)) {
    c.use = from->track; c.from = from; c.reuse = reuse;
    if (!c.use->hash) track_hash(h, reuse->base, c.use);
  }
  ReadTrack *outer = h->reads;
  int st = hx_pcall(h, do_resolve, rule);
  Compr *chain[64];   /* outlives the walk: vacuous_reason reads it */
  if (st == HEDGE_OK) {
    Node *body = rule->node->u.rule.body;
    int n = 0;
    while (body->kind == N_QUANT && !body->u.quant.exists && n < 64) {
      chain[n++] = &body->u.quant.c;
      body = body->u.quant.c.body;
    }
    c.chain = chain; c.nchain = n; c.pred = body;
    /* a comparison keeps its operands for the explanation (record_as) */
    c.known = body->kind == N_BIN && body->u.bin.op >= OP_EQ;
    ArenaMark m = arena_mark(&h->temp);
    c.slots = arena_alloc(h, &h->temp, (size_t)rule->node->nslots * sizeof(Value));
    h->depth = 0;
    h->fatal = 0;   /* a fatal error caught (and swallowed) by Lua code earlier does not count */
    h->zero_note[0] = 0;
    h->default_note[0] = 0;
    if (h->left_out_n) { memset(h->left_out, 0, h->left_out_cap); h->left_out_n = 0; }
    st = hx_pcall(h, run_rule, &c);
    h->reads = outer;   /* an error unwound out of a tracked evaluation */
    h->zero_totals = 0;
    if (st == HEDGE_OK && h->default_note[0]) out->note = report_strdup(h, r, h->default_note, strlen(h->default_note));
    h->default_note[0] = 0;
    arena_release(h, &h->temp, m);
    if (h->left_out_n) {
      char note[160];
      char both[480];
      snprintf(note, sizeof note, "%u deal%s without a volume left out of the by: volume figures", h->left_out_n, h->left_out_n == 1 ? "" : "s");
      if (out->note) { snprintf(both, sizeof both, "%s; %s", out->note, note); out->note = report_strdup(h, r, both, strlen(both)); }
      else out->note = report_strdup(h, r, note, strlen(note));
      memset(h->left_out, 0, h->left_out_cap);
      h->left_out_n = 0;
    }
  }
  if (st != HEDGE_OK) {
    out->status = HEDGE_ERRORED;
    const char *msg = buf_cstr(h, &h->err);
    out->error_full = report_strdup(h, r, msg, strlen(msg));
    msg = out->error_full;   /* h->err may change if the next allocation fails */
    /* one line for JSON: "file:line:col: message" (in the report's arena:
    ** nothing to leak if that allocation fails) */
    const char *nl = strchr(msg, '\n');
    size_t len = nl ? (size_t)(nl - msg) : strlen(msg);
    const char *e = strstr(msg, ": error: ");
    if (e && e < msg + len) {
      size_t head = (size_t)(e - msg), rest = len - head - 9;
      char *one = arena_alloc(h, &r->arena, head + 2 + rest + 1);
      memcpy(one, msg, head);
      memcpy(one + head, ": ", 2);
      memcpy(one + head + 2, e + 9, rest);
      one[head + 2 + rest] = 0;
      out->error = one;
    } else out->error = report_strdup(h, r, msg, len);
    out->ncx = 0;
    out->npass = 0;
    r->errors++;
    /* a limit or an interrupt stops the whole check, not just this rule */
    if (h->fatal) out->status = -st;
    return;
  }
  if (out->ncx == 0 && (out->vacuous = vacuous_reason(h, &c)) != NULL) { out->status = HEDGE_VACUOUS; r->vacuous++; }
  else if (out->ncx == 0) { out->status = HEDGE_PASS; r->passed++; }
  else { out->status = HEDGE_FAILED; if (rule->warn) r->warnings++; else r->failed++; }
  /* a named year outside the data's years is said even when the verdict
  ** rests on other bindings too */
  if (out->status != HEDGE_VACUOUS && !out->note && strstr(c.zero_note, "outside the years"))
    out->note = report_strdup(h, r, c.zero_note, strlen(c.zero_note));
}

/* Every rule checked plainly (no flags): the re-check repair_effects runs
** under each repair (RecheckFn, repair.h; repairs sit below the checker). */
static Report *check_plain(H *h) { return rules_check(h, NULL, 0, NULL, 0); }

typedef struct CheckAll {
  const char *const *only; int nonly; const char *scenario; Report *r; int stop;
  Report *base; const ProgMark *pm;   /* rules_check_reusing */
} CheckAll;

/* Whether the scenario's check may keep base results (see above): the
** base check tracked its bindings, and since the mark pm only deals
** changed (values, attributes, drops, additions; no keys), no declaration,
** let, function or unit came and the fiscal year stayed. */
static int reuse_setup(H *h, Report *r, Report *base, const ProgMark *pm, Reuse *u) {
  Program *p = h->prog;
  if (!base || !base->track || !pm || r->explain || r->repair || r->margins) return 0;
  if (p->globals.n != pm->nglobals || p->rules.n != pm->nrules || p->scenarios.n != pm->nscen ||
      p->letlog.n != pm->nletlog || p->overrides.n != pm->noverrides || p->builtins.n != pm->nbuiltins ||
      p->loaded.n != pm->nloaded || h->sources.n != pm->nsources || units_count(h) != pm->nunits ||
      h->world->fy_start != pm->fy_start)
    return 0;
  uint32_t *rows;
  uint32_t n = world_deal_changes(h, pm->world, &rows);
  if (n == UINT32_MAX) return 0;
  memset(u, 0, sizeof *u);
  u->base = base;
  u->into = r;
  u->rows = arena_alloc(h, &r->arena, (size_t)(n ? n : 1) * sizeof *rows);
  if (n) memcpy(u->rows, rows, n * sizeof *rows);
  u->n = n;
  return 1;
}

static void check_all(H *h, void *ud) {
  CheckAll *c = ud;
  Program *p = h->prog;
  Report *r = c->r;
  const char *const *only = c->only;
  int nonly = c->nonly;
  if (c->scenario) {
    r->scenario = report_strdup(h, r, c->scenario, strlen(c->scenario));
    memcpy(r->dropped, p->dropped, sizeof r->dropped);
    memcpy(r->dropped_with, p->dropped_with, sizeof r->dropped_with);
  }
  r->fy_start = h->world->fy_start;
  if (p->overrides.n) {   /* a reader of the verdict knows what was replaced */
    r->overrides = arena_alloc(h, &r->arena, p->overrides.n * 3 * sizeof(char *));
    for (uint32_t i = 0; i < p->overrides.n; i++) {
      struct Override *o = &p->overrides.p[i];
      r->overrides[3 * i] = report_strdup(h, r, o->name->s, o->name->len);
      r->overrides[3 * i + 1] = report_strdup(h, r, o->was, strlen(o->was));
      r->overrides[3 * i + 2] = report_strdup(h, r, o->by, strlen(o->by));
    }
    r->noverrides = (int)p->overrides.n;
  }
  stdfast_prepare(h, only, nonly);   /* the indexes the rules will query, in one pass */
  size_t size = (p->rules.n ? p->rules.n : 1) * sizeof(RRule);
  r->rules = arena_alloc(h, &r->arena, size);
  memset(r->rules, 0, size);   /* report_free reads every counted rule */
  Reuse reuse, *u = reuse_setup(h, r, c->base, c->pm, &reuse) ? &reuse : NULL;
  for (uint32_t i = 0; i < p->rules.n; i++) {
    Rule *rule = &p->rules.p[i];
    if (only) {   /* a list, even an empty one, selects */
      int want = 0;
      for (int j = 0; j < nonly; j++) if (strcmp(only[j], rule->name->s) == 0) want = 1;
      if (!want) continue;
    }
    /* the same rules in the same order as the base check */
    RRule *from = u && r->n < u->base->n && !strcmp(u->base->rules[r->n].name, rule->name->s) ? &u->base->rules[r->n] : NULL;
    RRule *out = &r->rules[r->n++];
    check_one(h, r, rule, out, u, from);
    if (out->status < 0) {
      int st = -out->status;
      out->status = HEDGE_ERRORED;
      c->stop = st;
      break;
    }
  }
  if (r->repair_joint && !c->stop) repair_joint(h, r);     /* --repair=joint */
  if (r->repair_check && !c->stop) repair_effects(h, r, check_plain);   /* --repair=check */
}

/* The report is freed if checking itself fails (out of memory outside any
** rule); a limit or an interrupt inside a rule ends the check early with
** the report so far and its status in h->err_status. */
Report *rules_check(H *h, const char *const *only, int nonly, const char *scenario, int flags) {
  return rules_check_reusing(h, only, nonly, scenario, flags, NULL, NULL);
}

Report *rules_check_reusing(H *h, const char *const *only, int nonly, const char *scenario, int flags, Report *base,
                            const ProgMark *pm) {
  Report *r = mem_alloc(h, sizeof *r);
  memset(r, 0, sizeof *r);
  r->next = h->reports;   /* hedge_close frees the reports a host forgot */
  if (r->next) r->next->prev = r;
  h->reports = r;
  r->explain = flags & HEDGE_CHECK_EXPLAIN;
  r->repair = (flags & HEDGE_CHECK_REPAIR) != 0;
  r->margins = (flags & HEDGE_CHECK_MARGINS) != 0;
  r->repair_check = (flags & HEDGE_CHECK_REPAIR_CHECK) != 0;
  r->repair_joint = (flags & HEDGE_CHECK_REPAIR_JOINT) != 0;
  if (r->repair_check || r->repair_joint) r->repair = 1;
  r->record_all = (flags & CHECK_RECORD_ALL) != 0;
  if ((flags & CHECK_TRACK) && r->record_all && !r->explain && !r->repair && !r->margins) {
    r->track = arena_alloc(h, &r->arena, sizeof *r->track);
    memset(r->track, 0, sizeof *r->track);
  }
  CheckAll c = {only, nonly, scenario, r, 0, base, pm};
  int st = hx_pcall(h, check_all, &c);
  if (st != HEDGE_OK) { report_free(h, r); hx_throw(h, st); }
  if (c.stop) h->err_status = c.stop;
  return r;
}

