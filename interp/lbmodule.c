/*
** lbmodule.c: the `hedge` Lua module (Lua context): names and kinds of
** values, quantities and dates, the world's collections and indexed
** queries (deals, loans, grouped sums, debt), print, and loading the
** standard library. What each entry promises is in docs/stdlib.md ("What the
** C bridge provides"). See lbint.h and luabridge.c.
*/
#include "lbint.h"
#include "index.h"

/* ==== the hedge module (Lua context) ====================================== */

typedef struct NameCtx { int kind; uint32_t row; char buf[HX_MAX_NAME + 32]; } NameCtx;

static void name_work(H *h, void *ud) {
  NameCtx *c = ud;
  const char *s = world_name(h, c->kind, c->row, c->buf, sizeof c->buf);
  if (s != c->buf) snprintf(c->buf, sizeof c->buf, "%s", s ? s : "?");
}

/* hedge.left_out(deal): the deal has no volume and was left out of a
** `by: volume` figure; the rule being checked notes how many deals were. */
static int l_left_out(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  LEnt *e;
  if (lb_udkind(L, b, 1, (void **)&e) != UD_ENT || e->kind != K_DEAL) return luaL_error(L, "hedge.left_out: expected a deal");
  uint32_t need = e->row / 8 + 1;
  if (need > h->left_out_cap) {
    uint32_t cap = h->left_out_cap ? h->left_out_cap : 64;
    while (cap < need) cap *= 2;
    uint8_t *p = mem_try_alloc(h, cap);
    if (!p) return luaL_error(L, "out of memory");
    memset(p, 0, cap);
    if (h->left_out) { memcpy(p, h->left_out, h->left_out_cap); mem_free(h, h->left_out, h->left_out_cap); }
    h->left_out = p;
    h->left_out_cap = cap;
  }
  uint8_t bit = (uint8_t)(1u << (e->row & 7));
  if (!(h->left_out[e->row / 8] & bit)) { h->left_out[e->row / 8] |= bit; h->left_out_n++; }
  return 0;
}

/* hedge.name(e): an entity's name, or deal#N */
static int l_name(lua_State *L) {
  LuaBridge *b = getb(L);
  LEnt *e;
  if (lb_udkind(L, b, 1, (void **)&e) != UD_ENT)
    return luaL_error(L, "hedge.name: expected a partner, commodity, deal or loan, got a %s",
                      lua_type(L, 1) == LUA_TUSERDATA ? luaL_typename(L, 1) : lua_typename(L, lua_type(L, 1)));
  if (!lb_ent_valid(b->h, e)) return luaL_error(L, "hedge.name: this entity no longer exists");
  NameCtx c;
  c.kind = e->kind;
  c.row = e->row;
  int st = lb_bpcall(L, b, name_work, &c);
  if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  lua_pushstring(L, c.buf);
  return 1;
}

/* "list" / "record" / "table" for a Lua table (raw keys). */
static const char *table_kind(lua_State *L, LuaBridge *b, int idx) {
  if (lb_has_mt(L, idx, b->named_p)) return "record";
  size_t n = 0;
  int ints = 1, strs = 1;
  lua_Integer maxk = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    n++;
    if (lua_type(L, -1) == LUA_TSTRING) ints = 0;
    else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      strs = 0;
      if (lua_tointeger(L, -1) > maxk) maxk = lua_tointeger(L, -1);
    } else ints = strs = 0;
  }
  if (n == 0 || (ints && (size_t)maxk == n)) return "list";
  if (strs) return "record";
  return "table";
}

/* hedge.kind(v): partner commodity deal loan number quantity date string
** bool list record nil function (and Lua's type name otherwise) */
static int l_kind(lua_State *L) {
  LuaBridge *b = getb(L);
  void *p;
  const char *k;
  switch (lua_type(L, 1)) {
  case LUA_TNONE:
  case LUA_TNIL: k = "nil"; break;
  case LUA_TBOOLEAN: k = "bool"; break;
  case LUA_TNUMBER: k = "number"; break;
  case LUA_TSTRING: k = "string"; break;
  case LUA_TFUNCTION: k = "function"; break;
  case LUA_TTABLE: k = table_kind(L, b, 1); break;
  case LUA_TUSERDATA:
    switch (lb_udkind(L, b, 1, &p)) {
    case UD_QTY: k = "quantity"; break;
    case UD_DATE: k = "date"; break;
    case UD_ENT: k = ((LEnt *)p)->kind < K_NKINDS ? ekind_name[((LEnt *)p)->kind] : "entity"; break;
    default: k = "userdata"; break;
    }
    break;
  default: k = lua_typename(L, lua_type(L, 1)); break;
  }
  lua_pushstring(L, k);
  return 1;
}

typedef struct UnitCtx { const char *s; size_t n; int found, dim; double factor; } UnitCtx;

static void unit_work(H *h, void *ud) {
  UnitCtx *u = ud;
  u->found = units_lookup(h, u->s, u->n, &u->dim, &u->factor);
}

/* hedge.qty(x, "USD/t"): a quantity (a plain number if the unit cancels) */
static int l_qty(lua_State *L) {
  LuaBridge *b = getb(L);
  double x = (double)luaL_checknumber(L, 1);
  UnitCtx u;
  memset(&u, 0, sizeof u);
  u.s = luaL_checklstring(L, 2, &u.n);
  int st = lb_bpcall(L, b, unit_work, &u);
  if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  if (!u.found) return luaL_error(L, "hedge.qty: unknown unit '%s'", u.s);
  lb_push_qty(L, b, x * u.factor, u.dim);
  return 1;
}

/* hedge.date(y [, m [, d]]): a date of year, month or day precision */
static int l_date(lua_State *L) {
  LuaBridge *b = getb(L);
  lua_Integer y = luaL_checkinteger(L, 1);
  int prec = lua_isnoneornil(L, 2) ? DATE_YEAR : lua_isnoneornil(L, 3) ? DATE_MONTH : DATE_DAY;
  lua_Integer m = luaL_optinteger(L, 2, 1), d = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, y >= -1000000 && y <= 1000000, 1, "year out of range");
  luaL_argcheck(L, m >= 1 && m <= 12, 2, "month must be 1..12");
  luaL_argcheck(L, d >= 1 && d <= date_days_in_month((int)y, (int)m), 3, "no such day in that month");
  lb_push_date(L, b, date_from_civil((int)y, (int)m, (int)d), prec);
  return 1;
}

/* hedge.error(msg): a hedge error with just this message, at the hedge
** call site (no Lua traceback). */
static int l_error(lua_State *L) {
  LuaBridge *b = getb(L);
  luaL_tolstring(L, 1, NULL);
  lb_push_errobj(L, b, HEDGE_ERROR, 0);
  return lua_error(L);
}

/* hedge.named(t): marks t as named arguments (sets hedge.NAMED) */
static int l_named(lua_State *L) {
  LuaBridge *b = getb(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_named);
  lua_setmetatable(L, 1);
  return 1;
}

static int l_partners(lua_State *L) { lb_push_collection(L, getb(L), K_PARTNER); return 1; }
static int l_commodities(lua_State *L) { lb_push_collection(L, getb(L), K_COMMODITY); return 1; }

/* An entity of the given kind in a filter table (value on top). */
static uint32_t filter_entity(lua_State *L, LuaBridge *b, int kind, const char *fname, const char *key) {
  LEnt *e;
  if (lb_udkind(L, b, -1, (void **)&e) != UD_ENT || e->kind != kind) {
    const char *got = lua_type(L, -1) == LUA_TUSERDATA && lb_udkind(L, b, -1, (void **)&e) == UD_ENT && e->kind < K_NKINDS
                      ? ekind_name[e->kind] : luaL_typename(L, -1);
    luaL_error(L, "%s: %s must be a %s, got a %s", fname, key, ekind_name[kind], got);
  }
  if (!lb_ent_valid(b->h, e)) luaL_error(L, "%s: %s: this %s no longer exists", fname, key, ekind_name[kind]);
  return e->row;
}

static double filter_number(lua_State *L, const char *fname, const char *key, int integral) {
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "%s: %s must be %s, got a %s", fname, key, integral ? "an integer year" : "a number",
               luaL_typename(L, -1));
  double y = (double)lua_tonumber(L, -1);
  if (integral && (y != floor(y) || y < -1e6 || y > 1e6))
    luaL_error(L, "%s: %s must be an integer year, got %f", fname, key, y);
  return y;
}

/* One key of a filter table (its value on top) set in the filter f: 0 when
** the filter has no such field. */
typedef int (*FilterKey)(lua_State *L, LuaBridge *b, const char *fname, const char *k, size_t n, void *f);

/* Walks the filter table at idx (nil or absent: nothing to set): every key
** must be a string that set accepts, else an error naming fname and the
** fields it takes. */
static void filter_walk(lua_State *L, LuaBridge *b, int idx, const char *fname, FilterKey set, void *f,
                        const char *takes) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    size_t n;
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &n) : NULL;
    if (!k) luaL_error(L, "%s: filter keys must be strings", fname);
    else if (!set(L, b, fname, k, n, f)) luaL_error(L, "%s: unknown filter field '%s' (it takes %s)", fname, k, takes);
    lua_pop(L, 1);
  }
}

static int deal_key(lua_State *L, LuaBridge *b, const char *fname, const char *k, size_t n, void *fp) {
  DealFilter *f = fp;
  if (lb_key_is(k, n, "importer")) f->importer = filter_entity(L, b, K_PARTNER, fname, k);
  else if (lb_key_is(k, n, "exporter")) f->exporter = filter_entity(L, b, K_PARTNER, fname, k);
  else if (lb_key_is(k, n, "commodity")) f->commodity = filter_entity(L, b, K_COMMODITY, fname, k);
  else if (lb_key_is(k, n, "year")) f->year = (int32_t)filter_number(L, fname, k, 1);
  else return 0;
  return 1;
}

/* {importer=, exporter=, commodity=, year=}; nil or absent: any */
static DealFilter deal_filter(lua_State *L, LuaBridge *b, int idx, const char *fname) {
  DealFilter f = deal_filter_any();
  filter_walk(L, b, idx, fname, deal_key, &f, "importer, exporter, commodity, year");
  return f;
}

static int loan_key(lua_State *L, LuaBridge *b, const char *fname, const char *k, size_t n, void *fp) {
  LoanFilter *f = fp;
  if (lb_key_is(k, n, "lender")) f->lender = filter_entity(L, b, K_PARTNER, fname, k);
  else if (lb_key_is(k, n, "borrower")) f->borrower = filter_entity(L, b, K_PARTNER, fname, k);
  else if (lb_key_is(k, n, "year")) f->year = filter_number(L, fname, k, 0), f->has_year = 1;
  else return 0;
  return 1;
}

/* {lender=, borrower=, year=}; nil or absent: any */
static LoanFilter loan_filter(lua_State *L, LuaBridge *b, int idx, const char *fname) {
  LoanFilter f = {NO_ROW, NO_ROW, 0, 0};
  filter_walk(L, b, idx, fname, loan_key, &f, "lender, borrower, year");
  return f;
}

typedef struct DealQ {
  DealFilter f;
  const uint32_t *rows;
  uint32_t n;
  double sum;
  uint32_t count;
  int field;               /* index_deal_sums_by: 0 exporter 1 importer 2 commodity 3 year */
  DealGroup *groups;
  uint32_t ngroups;
} DealQ;

static void rows_work(H *h, void *ud) {
  DealQ *q = ud;
  q->n = index_deal_rows(h, q->f, &q->rows);
}

/* hedge.deals{importer=, exporter=, commodity=, year=}: matching deals,
** in declaration order (an indexed query) */
static int l_deals(lua_State *L) {
  LuaBridge *b = getb(L);
  DealQ q;
  memset(&q, 0, sizeof q);
  q.f = deal_filter(L, b, 1, "hedge.deals");
  if (!b->h->world) {
    lua_newtable(L);
    return 1;
  }
  int st = lb_bpcall(L, b, rows_work, &q);
  if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  lua_createtable(L, q.n > INT32_MAX ? INT32_MAX : (int)q.n, 0);
  for (uint32_t i = 0; i < q.n; i++) {
    lb_push_entity(L, b, K_DEAL, q.rows[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static void sum_work(H *h, void *ud) {
  DealQ *q = ud;
  q->sum = index_deal_sum(h, q->f, &q->count);
}

/* The sum and count of the deals of q->f, pushed (both hedge.deal_sum forms). */
static int push_deal_sum(lua_State *L, LuaBridge *b, DealQ *q) {
  if (b->h->world) {
    int st = lb_bpcall(L, b, sum_work, q);
    if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  }
  lua_pushnumber(L, q->sum);
  lua_pushinteger(L, q->count);
  return 2;
}

/* hedge.deal_sum{...} -> sum of values (USD, a number), count */
static int l_deal_sum(lua_State *L) {
  LuaBridge *b = getb(L);
  DealQ q;
  memset(&q, 0, sizeof q);
  q.f = deal_filter(L, b, 1, "hedge.deal_sum");
  return push_deal_sum(L, b, &q);
}

/* A filter argument given by position: nil means any. */
static uint32_t arg_entity(lua_State *L, LuaBridge *b, int idx, int kind, const char *fname, const char *key) {
  if (lua_isnoneornil(L, idx)) return NO_ROW;
  lua_pushvalue(L, idx);
  uint32_t r = filter_entity(L, b, kind, fname, key);
  lua_pop(L, 1);
  return r;
}

/* hedge.deal_sum_at(importer, exporter, commodity, year) -> sum, count: the
** same as hedge.deal_sum{...} with the filter by position, for the standard
** library's hot paths (no table to walk). */
static int l_deal_sum_at(lua_State *L) {
  LuaBridge *b = getb(L);
  DealQ q;
  memset(&q, 0, sizeof q);
  q.f = deal_filter_any();
  q.f.importer = arg_entity(L, b, 1, K_PARTNER, "hedge.deal_sum_at", "importer");
  q.f.exporter = arg_entity(L, b, 2, K_PARTNER, "hedge.deal_sum_at", "exporter");
  q.f.commodity = arg_entity(L, b, 3, K_COMMODITY, "hedge.deal_sum_at", "commodity");
  if (!lua_isnoneornil(L, 4)) {
    lua_pushvalue(L, 4);
    q.f.year = (int32_t)filter_number(L, "hedge.deal_sum_at", "year", 1);
    lua_pop(L, 1);
  }
  return push_deal_sum(L, b, &q);
}

/* hedge.usd(x): x USD, without looking the unit up by name */
static int l_usd(lua_State *L) {
  LuaBridge *b = getb(L);
  lb_push_qty(L, b, (double)luaL_checknumber(L, 1), dim_money(b->h));
  return 1;
}

static void sums_by_work(H *h, void *ud) {
  DealQ *q = ud;
  q->ngroups = index_deal_sums_by(h, q->f, q->field, &q->groups);
}

/* hedge.deal_sums_by(field, {filter}) -> { {key, sum}, ... } grouped by
** "exporter" | "importer" | "commodity" | "year", sorted by the key's name
** (byte-wise; years ascending); sums are compensated. */
static int l_deal_sums_by(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  static const char *const fields[] = {"exporter", "importer", "commodity", "year", NULL};
  DealQ q;
  memset(&q, 0, sizeof q);
  q.field = luaL_checkoption(L, 1, NULL, fields);
  q.f = deal_filter(L, b, 2, "hedge.deal_sums_by");
  if (!h->world) {
    lua_newtable(L);
    return 1;
  }
  ArenaMark mk = arena_mark(&h->temp);
  int st = lb_bpcall(L, b, sums_by_work, &q);
  if (st != HEDGE_OK) {
    arena_release(h, &h->temp, mk);
    return lb_raise_hedge(L, b, st, 0);
  }
  lua_createtable(L, (int)q.ngroups, 0);
  for (uint32_t i = 0; i < q.ngroups; i++) {
    lua_createtable(L, 2, 0);
    if (q.field == 3) lua_pushinteger(L, q.groups[i].year);
    else lb_push_entity(L, b, q.field == 2 ? K_COMMODITY : K_PARTNER, q.groups[i].id);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, ksum_get(&q.groups[i].sum));
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  arena_release(h, &h->temp, mk);
  return 1;
}

/* hedge.loans{lender=, borrower=, year=}: living loans (outstanding in year
** when one is given: index_loan_outstanding, index.c), in order */
static int l_loans(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  LoanFilter f = loan_filter(L, b, 1, "hedge.loans");
  lua_newtable(L);
  if (!h->world) return 1;
  Table *t = &h->world->t[K_LOAN];
  lua_Integer i = 0;
  for (uint32_t row = 0; row < t->n; row++) {
    if (!world_alive(h->world, K_LOAN, row) || !index_loan_matches(t, row, &f)) continue;
    if (f.has_year && !index_loan_outstanding(h, row, f.year)) continue;   /* the rule index_debt_sum sums by */
    lb_push_entity(L, b, K_LOAN, row);
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

/* hedge.debt_sum{borrower=, lender=, year=} -> principal outstanding in
** year (every loan when no year), count: index_debt_sum of index.c */
typedef struct DebtQ { LoanFilter f; uint32_t count; double sum; } DebtQ;
static void debt_work(H *h, void *ud) {
  DebtQ *q = ud;
  q->sum = index_debt_sum(h, q->f, &q->count);
}

static int l_debt_sum(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  LoanFilter f = loan_filter(L, b, 1, "hedge.debt_sum");
  if (h->trace) {   /* repair.c tracing a figure (world.h) */
    SumTraceItem it = {K_LOAN, deal_filter_any(), f.lender, f.borrower, f.has_year, f.year};
    sum_trace_add(h->trace, it);
  }
  DebtQ q = {f, 0, 0};
  if (h->world) {
    int st = lb_bpcall(L, b, debt_work, &q);
    if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  }
  lua_pushnumber(L, q.sum);
  lua_pushinteger(L, (lua_Integer)q.count);
  return 2;
}

typedef struct YearCtx { int32_t y; int loans; } YearCtx;

static void year_work(H *h, void *ud) {
  YearCtx *c = ud;
  c->y = c->loans ? index_latest_loan_year(h) : index_latest_year(h);
}

/* The years of the living deals (or loans): lo > hi when none is dated. */
static void data_years(H *h, int k, int32_t *lo_out, int32_t *hi_out) {
  World *w = h->world;
  Table *t = &w->t[k];
  int32_t lo = INT32_MAX, hi = INT32_MIN;
  for (uint32_t r = 0; r < t->n; r++) {
    if (!world_alive(w, k, r) || t->year[r] == NO_YEAR) continue;
    if (t->year[r] < lo) lo = t->year[r];
    if (t->year[r] > hi) hi = t->year[r];
  }
  *lo_out = lo;
  *hi_out = hi;
}

/* hedge.zero_total(fname, what, year, of_loans): a share or concentration
** found its total to be zero. Counts it for the rule being checked (a rule
** whose every figure is such a share is vacuous, rules.c) and, the first
** time, says why: a year outside the years of the data is named. Reads the
** world only; raises nothing. */
static int l_zero_total(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  h->zero_totals++;
  if (h->zero_note[0] || !h->world) return 0;
  const char *fname = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : "?";
  const char *what = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "the total";
  int loans = lua_toboolean(L, 4);
  int32_t lo, hi;
  data_years(h, loans ? K_LOAN : K_DEAL, &lo, &hi);
  lua_Integer y = 0;
  int has_year = lua_type(L, 3) == LUA_TNUMBER;
  if (has_year) y = (lua_Integer)lua_tonumber(L, 3);
  if (has_year && lo <= hi && (y < lo || y > hi))
    snprintf(h->zero_note, sizeof h->zero_note, "%s: %s is 0: year %lld is outside the years of the %s (%d-%d)",
             fname, what, (long long)y, loans ? "loans" : "deals", (int)lo, (int)hi);
  else if (has_year && lo > hi)
    snprintf(h->zero_note, sizeof h->zero_note, "%s: %s is 0: no %s has a date (year %lld asked)", fname, what,
             loans ? "loan" : "deal", (long long)y);
  else snprintf(h->zero_note, sizeof h->zero_note, "%s: %s is 0", fname, what);
  return 0;
}

/* hedge.year_note(fname, year): a figure came out 0 for a named year; when
** that year is outside the years of the deals, the rule's report (or a
** print) says so. Raises nothing. */
static int l_year_note(lua_State *L) {
  H *h = getb(L)->h;
  if (h->default_note[0] || !h->world || lua_type(L, 2) != LUA_TNUMBER) return 0;
  int32_t lo, hi;
  data_years(h, K_DEAL, &lo, &hi);
  lua_Integer y = (lua_Integer)lua_tonumber(L, 2);
  const char *fname = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : "?";
  if (lo <= hi && (y < lo || y > hi))
    snprintf(h->default_note, sizeof h->default_note, "%s: year %lld is outside the years of the deals (%d-%d)",
             fname, (long long)y, (int)lo, (int)hi);
  return 0;
}

/* hedge.default_year(fname, year): a debt figure was asked without
** `year:` and used this one; the rule's report (or a print) says so.
** Raises nothing. */
static int l_default_year(lua_State *L) {
  H *h = getb(L)->h;
  if (h->default_note[0]) return 0;
  const char *fname = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : "?";
  snprintf(h->default_note, sizeof h->default_note, "%s without year: uses %lld, the latest start year of the loans",
           fname, (long long)lua_tonumber(L, 2));
  return 0;
}

/* hedge.fiscal_start() -> the month (1..12) fiscal years start, 1 for
** calendar years */
static int l_fiscal_start(lua_State *L) {
  LuaBridge *b = getb(L);
  int m = b->h->world ? b->h->world->fy_start : 0;
  lua_pushinteger(L, m > 1 ? m : 1);
  return 1;
}

/* hedge.latest_year() -> the latest year of a deal date or loan start, or
** nil; hedge.latest_year("loans") -> the latest loan start only */
static int l_latest_year(lua_State *L) {
  LuaBridge *b = getb(L);
  YearCtx c = {NO_YEAR, 0};
  if (lua_type(L, 1) == LUA_TSTRING && strcmp(lua_tostring(L, 1), "loans") == 0) c.loans = 1;
  if (b->h->world) {
    int st = lb_bpcall(L, b, year_work, &c);
    if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  }
  if (c.y == NO_YEAR) lua_pushnil(L);
  else lua_pushinteger(L, c.y);
  return 1;
}

/* hedge.load_stdlib(name): runs <stdlib_dir>/<name>.lua (text only) once
** and returns its result, like require for the standard library's files. */
static int l_load_stdlib(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  size_t n;
  const char *name = luaL_checklstring(L, 1, &n);
  luaL_argcheck(L, n > 0 && n <= 64, 1, "bad standard library module name");
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
      luaL_argerror(L, 1, "a standard library module name is letters, digits, '_' and '-'");
  }
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_loaded);   /* 2 */
  lua_pushvalue(L, 1);
  int t = lua_rawget(L, 2);
  if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))
    return luaL_error(L, "hedge.load_stdlib: '%s' is being loaded (a cycle) or failed to load", name);
  if (t != LUA_TNIL) return 1;
  lua_pop(L, 1);
  lua_pushvalue(L, 1);
  lua_pushboolean(L, 0);
  lua_rawset(L, 2);
  if (h->stdlib_dir) {
    const char *path = lua_pushfstring(L, "%s/%s.lua", h->stdlib_dir, name);
    if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
  } else {   /* embedded at build time */
    size_t len;
    const char *text = embedded_stdlib(name, &len);
    if (!text) return luaL_error(L, "hedge.load_stdlib: no standard library module '%s'", name);
    const char *chunk = lua_pushfstring(L, "@stdlib/%s.lua", name);
    if (luaL_loadbufferx(L, text, len, chunk, "b") != LUA_OK) return lua_error(L);   /* bytecode: stdlib/dump.c */
  }
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, 2);
  return 1;
}

/* print: to hedge's output (the host's print hook or hedge_output), never
** to the process's stdout. */
typedef struct PrintCtx { const char *s; size_t n; } PrintCtx;

static void print_work(H *h, void *ud) {
  PrintCtx *p = ud;
  if (h->print_fn) h->print_fn(h->print_ud, p->s, p->n);
  else buf_put(h, &h->out, p->s, p->n);
}

int  lb_print(lua_State *L) {
  LuaBridge *b = getb(L);
  int n = lua_gettop(L);
  luaL_Buffer B;
  luaL_buffinit(L, &B);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&B, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&B);
  }
  luaL_addchar(&B, '\n');
  luaL_pushresult(&B);
  PrintCtx p;
  p.s = lua_tolstring(L, -1, &p.n);
  int st = lb_bpcall(L, b, print_work, &p);
  if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  return 0;
}

/* load() of the sandbox: text chunks only, whatever mode is asked for. */
int  lb_load_text(lua_State *L) {
  int n = lua_gettop(L);
  /* checked here, so the message names 'load' (not '?') */
  int t = lua_type(L, 1);
  if (t != LUA_TSTRING && t != LUA_TFUNCTION)
    return luaL_error(L, "bad argument #1 to 'load' (string expected, got %s)", luaL_typename(L, 1));
  if (n < 3) lua_settop(L, 3);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  int nargs = n >= 4 ? 4 : 3;
  lua_settop(L, nargs);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, nargs, LUA_MULTRET);
  return lua_gettop(L);
}

int  lb_err_tostring(lua_State *L) {
  lua_rawgeti(L, 1, 1);
  if (lua_type(L, -1) != LUA_TSTRING) lua_pushliteral(L, "hedge error");
  return 1;
}


/* ---- the module table (luabridge.c installs it as the global `hedge`) ---- */

const luaL_Reg lb_hedge_funcs[] = {
  {"name", l_name}, {"kind", l_kind}, {"qty", l_qty}, {"date", l_date},
  {"error", l_error}, {"named", l_named}, {"call", lb_call},
  {"partners", l_partners}, {"commodities", l_commodities},
  {"deals", l_deals}, {"loans", l_loans}, {"left_out", l_left_out},
  {"deal_sum", l_deal_sum}, {"deal_sum_at", l_deal_sum_at}, {"usd", l_usd},
  {"named_checked", lb_named_checked},
  {"deal_sums_by", l_deal_sums_by}, {"debt_sum", l_debt_sum},
  {"latest_year", l_latest_year}, {"fiscal_start", l_fiscal_start}, {"load_stdlib", l_load_stdlib},
  {"zero_total", l_zero_total}, {"default_year", l_default_year}, {"year_note", l_year_note},
  {NULL, NULL}
};

