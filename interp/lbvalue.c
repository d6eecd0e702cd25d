/*
** lbvalue.c: values across the Lua bridge (Lua context unless marked):
** hedge values pushed to Lua (numbers, strings, lists and records as tables,
** quantities, dates and entities as userdata) and Lua values read back as
** hedge values (hedge context), and the metamethods that give the userdata
** hedge's unit rules, comparisons and fields. See lbint.h and luabridge.c.
*/
#include "lbint.h"

/* ==== hedge values to Lua (Lua context) =================================== */


void  lb_push_qty(lua_State *L, LuaBridge *b, double x, int dim) {
  if (dim == 0) {
    lua_pushnumber(L, x);
    return;
  }
  LQty *q = lua_newuserdatauv(L, sizeof *q, 0);
  q->v = x;
  q->dim = dim;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_qtymt);
  lua_setmetatable(L, -2);
}

void  lb_push_date(lua_State *L, LuaBridge *b, int32_t days, int prec) {
  LDate *d = lua_newuserdatauv(L, sizeof *d, 0);
  d->days = days;
  d->prec = prec;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_datemt);
  lua_setmetatable(L, -2);
}

/* Entities are cached: the same entity is the same userdata while it lives,
** so Lua tables keyed by entities group as expected. */
void  lb_push_entity(lua_State *L, LuaBridge *b, int kind, uint32_t row) {
  lua_Integer key = ((lua_Integer)kind << 32) | (lua_Integer)row;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_entcache);
  if (lua_rawgeti(L, -1, key) == LUA_TUSERDATA && lb_ent_valid(b->h, lua_touserdata(L, -1))) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);   /* none, or a stale handle of a row now holding another entity */
  LEnt *e = lua_newuserdatauv(L, sizeof *e, 0);
  e->kind = kind;
  e->row = row;
  e->seen = b->h->world->cuts[kind].n;
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_entmt);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawseti(L, -3, key);
  lua_remove(L, -2);
  if (kind == K_PARTNER || kind == K_COMMODITY) {
    /* kept alive, so the weak cache never has to make them again */
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_entkeep);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, key);
    lua_pop(L, 1);
  }
}

/* The living rows of a kind, in order, as a Lua array of entities. */
void  lb_push_collection(lua_State *L, LuaBridge *b, int kind) {
  H *h = b->h;
  if (!h->world || kind < 0 || kind >= K_NKINDS) {
    lua_newtable(L);
    return;
  }
  Table *t = &h->world->t[kind];
  lua_createtable(L, (int)(t->n - t->ndropped), 0);
  lua_Integer i = 0;
  for (uint32_t row = 0; row < t->n; row++) {
    if (!world_alive(h->world, kind, row)) continue;
    lb_push_entity(L, b, kind, row);
    lua_rawseti(L, -2, ++i);
  }
}

/* A hedge function value: a Lua function of the stdlib or an extension is
** itself; any other is a closure calling it through eval_call_function. */
void  lb_push_function(lua_State *L, LuaBridge *b, Function *f) {
  (void)b;
  if (f->kind == F_LUA && f->lua_ref != LUA_NOREF && f->lua_ref != LUA_REFNIL) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->lua_ref);
    return;
  }
  lua_pushlightuserdata(L, f);
  if (f->name) lua_pushlstring(L, f->name->s, f->name->len);
  else lua_pushliteral(L, "?");
  lua_pushcclosure(L, lb_hcall, 2);
}

void  lb_push_value(lua_State *L, LuaBridge *b, Value v) {
  luaL_checkstack(L, 4, "hedge value nested too deeply");
  switch (v.tag) {
  case T_NIL: lua_pushnil(L); break;
  case T_BOOL: lua_pushboolean(L, v.as.b); break;
  case T_NUM: lua_pushnumber(L, v.as.num); break;
  case T_QTY: lb_push_qty(L, b, v.as.num, v.dim); break;
  case T_STR:
    if (v.as.str) lua_pushlstring(L, v.as.str->s, v.as.str->len);
    else lua_pushliteral(L, "");
    break;
  case T_DATE: lb_push_date(L, b, v.i, v.kind); break;
  case T_LIST: {
    List *l = v.as.list;
    uint32_t n = l ? l->n : 0;
    lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
    for (uint32_t i = 0; i < n; i++) {
      lb_push_value(L, b, l->items[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  }
  case T_REC: {
    Rec *r = v.as.rec;
    uint32_t n = r ? r->n : 0;
    lua_createtable(L, 0, n > INT32_MAX ? INT32_MAX : (int)n);
    for (uint32_t i = 0; i < n; i++) {
      lua_pushlstring(L, r->keys[i]->s, r->keys[i]->len);
      lb_push_value(L, b, r->vals[i]);
      lua_rawset(L, -3);
    }
    break;
  }
  case T_ENT: lb_push_entity(L, b, v.kind, (uint32_t)v.i); break;
  case T_FUNC:
    if (v.as.fn) lb_push_function(L, b, v.as.fn);
    else lua_pushnil(L);
    break;
  case T_COLL: lb_push_collection(L, b, v.kind); break;
  default: lua_pushnil(L); break;
  }
}

/* A scalar Lua value (nil, boolean, number, quantity, date, entity) as a
** hedge value, without allocating. 0 for anything else. */
int  lb_scalar(lua_State *L, LuaBridge *b, int idx, Value *v) {
  void *p;
  switch (lua_type(L, idx)) {
  case LUA_TNIL: *v = v_nil(); return 1;
  case LUA_TBOOLEAN: *v = v_bool(lua_toboolean(L, idx)); return 1;
  case LUA_TNUMBER:   /* NaN and infinities: the full conversion says why not */
    *v = v_num((double)lua_tonumber(L, idx));
    return isfinite(v->as.num);
  case LUA_TUSERDATA:
    switch (lb_udkind(L, b, idx, &p)) {
    case UD_QTY:
      if (!lb_dim_ok(b->h, ((LQty *)p)->dim) || !isfinite(((LQty *)p)->v)) return 0;
      *v = v_qty(((LQty *)p)->v, ((LQty *)p)->dim);
      return 1;
    case UD_DATE: *v = v_date(((LDate *)p)->days, ((LDate *)p)->prec); return 1;
    case UD_ENT:
      if (!lb_ent_valid(b->h, p)) return 0;
      *v = v_ent(((LEnt *)p)->kind, (int32_t)((LEnt *)p)->row);
      return 1;
    default: return 0;
    }
  default: return 0;
  }
}

/* ==== Lua values to hedge (hedge context) ================================= */


/* Why a Lua number cannot be a hedge number: hedge numbers are finite. */
static const char *nonfinite_text(double x) {
  return isnan(x) ? "not a number (NaN): hedge numbers are finite"
                  : "number too large (infinite): hedge numbers are finite";
}

_Noreturn void  lb_conv_fail(Conv *c, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->who) hx_error_at(c->b->h, c->loc, "%s: %s", c->who, msg);
  hx_error_at(c->b->h, c->loc, "%s", msg);
}

/* A Lua function that stands for a hedge function: one of our closures
** (lb_hcall), or a function registered from the stdlib or an extension. */
static Function *function_back(Conv *c, int idx) {
  lua_State *L = c->L;
  LuaBridge *b = c->b;
  H *h = b->h;
  Function *f = NULL;
  if (!lua_checkstack(L, 3)) return NULL;
  if (lua_tocfunction(L, idx) == lb_hcall) {
    lua_getupvalue(L, idx, 1);
    lua_getupvalue(L, idx, 2);
    void *p = lua_touserdata(L, -2);
    size_t n = 0;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    Function *g = s ? lb_lookup_fn(h, mem_intern_find(h, s, n)) : NULL;
    if (g && g == p) f = g;
    lua_pop(L, 2);
    return f;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_fnmap);
  lua_pushvalue(L, idx);
  if (lua_rawget(L, -2) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    Function *g = lb_lookup_fn(h, mem_intern_find(h, s, n));
    if (g && g->kind == F_LUA) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, g->lua_ref);
      if (lua_rawequal(L, -1, idx)) f = g;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 2);
  return f;
}

typedef struct KV { HStr *k; Value v; } KV;

static int kv_cmp(const void *x, const void *y) {
  const HStr *a = ((const KV *)x)->k, *b = ((const KV *)y)->k;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = memcmp(a->s, b->s, n);
  return c ? c : (a->len > b->len) - (a->len < b->len);
}


/* A table is a list (keys exactly 1..n; {} is the empty list) or a record
** (string keys, sorted by name so output does not depend on hashing). */
static Value table_value(Conv *c, int idx, int depth) {
  lua_State *L = c->L;
  LuaBridge *b = c->b;
  H *h = b->h;
  if (depth >= LB_MAX_NEST)
    lb_conv_fail(c, "a Lua table nested more than %d deep (a cycle?) cannot cross to hedge", LB_MAX_NEST);
  if (!lua_checkstack(L, 6)) lb_conv_fail(c, "Lua stack exhausted while converting a table");
  size_t n = 0, nint = 0, nstr = 0, nother = 0;
  lua_Integer maxk = 0;
  char bad[96] = "";
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    n++;
    int kt = lua_type(L, -1);
    if (kt == LUA_TSTRING) {
      nstr++;
    } else if (kt == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
      nint++;
      if (lua_tointeger(L, -1) > maxk) maxk = lua_tointeger(L, -1);
    } else {
      if (!nother) {
        void *p;
        if (kt == LUA_TNUMBER) snprintf(bad, sizeof bad, "the number key %.14g", (double)lua_tonumber(L, -1));
        else if (lb_udkind(L, b, lua_gettop(L), &p) == UD_ENT && ((LEnt *)p)->kind < K_NKINDS)
          snprintf(bad, sizeof bad, "%s keys", ekind_name[((LEnt *)p)->kind]);
        else snprintf(bad, sizeof bad, "%s keys", lua_typename(L, kt));
      }
      nother++;
    }
  }
  if (n == 0) return v_list(list_new(h, &h->temp, 0));
  if (nother == 0 && nstr == 0 && (size_t)maxk == n) {
    if (n > UINT32_MAX) lb_conv_fail(c, "a Lua list of %zu elements is too long", n);
    List *l = list_new(h, &h->temp, (uint32_t)n);
    l->n = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, idx, (lua_Integer)i + 1);
      l->items[i] = lb_to_value(c, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    return v_list(l);
  }
  if (nother == 0 && nint == 0) {
    if (n > UINT32_MAX) lb_conv_fail(c, "a Lua table of %zu fields is too large", n);
    KV *kv = arena_alloc(h, &h->temp, n * sizeof *kv);
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      size_t kl;
      const char *ks = lua_tolstring(L, -2, &kl);   /* a string: no conversion */
      if (i < n) {
        kv[i].k = mem_intern(h, ks, kl);
        kv[i].v = lb_to_value(c, lua_gettop(L), depth + 1);
        i++;
      }
      lua_pop(L, 1);
    }
    qsort(kv, i, sizeof *kv, kv_cmp);
    Rec *r = rec_new(h, &h->temp, (uint32_t)i);
    r->n = (uint32_t)i;
    for (size_t j = 0; j < i; j++) {
      r->keys[j] = kv[j].k;
      r->vals[j] = kv[j].v;
    }
    return v_rec(r);
  }
  if (nother)
    lb_conv_fail(c, "a Lua table with %s cannot cross to hedge (only lists 1..n and records with "
              "string keys can)", bad);
  if (nint && nstr)
    lb_conv_fail(c, "a Lua table with both integer and string keys cannot cross to hedge "
              "(it is neither a list nor a record)");
  lb_conv_fail(c, "a Lua table with integer keys that are not 1..%zu (a list with holes?) cannot "
            "cross to hedge", n);
}

Value  lb_to_value(Conv *c, int idx, int depth) {
  lua_State *L = c->L;
  LuaBridge *b = c->b;
  H *h = b->h;
  void *p;
  /* a step per value converted: a DAG of tables (t = {t, t} 40 deep) is
  ** 2^40 values, stopped by the step limit, the time limit or an interrupt */
  hx_step(h, c->loc);
  switch (lua_type(L, idx)) {
  case LUA_TNONE:
  case LUA_TNIL: return v_nil();
  case LUA_TBOOLEAN: return v_bool(lua_toboolean(L, idx));
  case LUA_TNUMBER: {
    double x = (double)lua_tonumber(L, idx);
    if (!isfinite(x)) lb_conv_fail(c, "%s", nonfinite_text(x));
    return v_num(x);
  }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    if (n > UINT32_MAX) lb_conv_fail(c, "a Lua string of %zu bytes is too long", n);
    return v_str(mem_newstr(h, &h->temp, s, n));
  }
  case LUA_TUSERDATA:
    switch (lb_udkind(L, b, idx, &p)) {
    case UD_QTY:
      if (!lb_dim_ok(h, ((LQty *)p)->dim)) lb_conv_fail(c, "a quantity whose unit no longer exists cannot cross to hedge");
      if (!isfinite(((LQty *)p)->v)) lb_conv_fail(c, "%s", nonfinite_text(((LQty *)p)->v));
      return v_qty(((LQty *)p)->v, ((LQty *)p)->dim);
    case UD_DATE: return v_date(((LDate *)p)->days, ((LDate *)p)->prec);
    case UD_ENT:
      if (!lb_ent_valid(h, p)) lb_conv_fail(c, "a %s that no longer exists cannot cross to hedge",
                                      ((LEnt *)p)->kind < K_NKINDS ? ekind_name[((LEnt *)p)->kind] : "entity");
      return v_ent(((LEnt *)p)->kind, (int32_t)((LEnt *)p)->row);
    default: break;
    }
    lb_conv_fail(c, "cannot %s a Lua userdata %s hedge", c->returning ? "return" : "pass", c->returning ? "to" : "to");
  case LUA_TTABLE: return table_value(c, idx, depth);
  case LUA_TFUNCTION: {
    Function *f = function_back(c, idx);
    if (f) return v_fn(f);
    lb_conv_fail(c, "cannot %s a Lua function to hedge", c->returning ? "return" : "pass");
  }
  default:
    lb_conv_fail(c, "cannot %s a Lua %s to hedge", c->returning ? "return" : "pass",
              lua_typename(L, lua_type(L, idx)));
  }
}

/* ==== metamethods of quantities, dates and entities (Lua context) ========= */

typedef struct Arith { BinOp op; Value x, y, r; int cmp; } Arith;

static void arith_work(H *h, void *ud) {
  Arith *a = ud;
  a->r = eval_arith(h, a->op, a->x, a->y, NOLOC);
}

static int do_arith(lua_State *L, BinOp op, const char *opname) {
  LuaBridge *b = getb(L);
  Arith a;
  memset(&a, 0, sizeof a);
  a.op = op;
  if (!lb_scalar(L, b, 1, &a.x) || !lb_scalar(L, b, 2, &a.y))
    return luaL_error(L, "attempt to %s a %s and a %s", opname, luaL_typename(L, 1), luaL_typename(L, 2));
  int st = lb_bpcall(L, b, arith_work, &a);
  if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  lb_push_value(L, b, a.r);
  return 1;
}

static int l_add(lua_State *L) { return do_arith(L, OP_ADD, "add"); }
static int l_sub(lua_State *L) { return do_arith(L, OP_SUB, "subtract"); }
static int l_mul(lua_State *L) { return do_arith(L, OP_MUL, "multiply"); }
static int l_div(lua_State *L) { return do_arith(L, OP_DIV, "divide"); }
static int l_pow(lua_State *L) { return do_arith(L, OP_POW, "raise"); }

static int l_unm(lua_State *L) {
  LuaBridge *b = getb(L);
  void *p;
  if (lb_udkind(L, b, 1, &p) == UD_QTY) {
    lb_push_qty(L, b, -((LQty *)p)->v, ((LQty *)p)->dim);
    return 1;
  }
  return luaL_error(L, "attempt to negate a %s", luaL_typename(L, 1));
}

static void compare_work(H *h, void *ud) {
  Arith *a = ud;
  a->cmp = v_compare(h, a->x, a->y, NOLOC);
}

static int do_compare(lua_State *L, int le) {
  LuaBridge *b = getb(L);
  Arith a;
  memset(&a, 0, sizeof a);
  if (!lb_scalar(L, b, 1, &a.x) || !lb_scalar(L, b, 2, &a.y))
    return luaL_error(L, "attempt to compare a %s with a %s", luaL_typename(L, 1), luaL_typename(L, 2));
  int st = lb_bpcall(L, b, compare_work, &a);
  if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
  lua_pushboolean(L, le ? a.cmp <= 0 : a.cmp < 0);
  return 1;
}

static int l_lt(lua_State *L) { return do_compare(L, 0); }
static int l_le(lua_State *L) { return do_compare(L, 1); }

static int l_eq(lua_State *L) {
  LuaBridge *b = getb(L);
  Value x, y;
  if (!lb_scalar(L, b, 1, &x) || !lb_scalar(L, b, 2, &y)) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushboolean(L, v_equal(b->h, x, y));   /* never raises (value.h) */
  return 1;
}

typedef struct Show { Value v; Buf buf; char *text; size_t n; } Show;

static void show_work(H *h, void *ud) {
  Show *s = ud;
  v_print(h, &s->buf, s->v, 0);
  s->n = s->buf.n;
  s->text = arena_strdup(h, &h->temp, s->buf.p ? s->buf.p : "", s->n);
}

static int l_tostring(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  Show s;
  memset(&s, 0, sizeof s);
  if (!lb_scalar(L, b, 1, &s.v)) {
    lua_pushfstring(L, "%s: %p", luaL_typename(L, 1), lua_topointer(L, 1));
    return 1;
  }
  void *p;
  if (lb_udkind(L, b, 1, &p) == UD_ENT && !lb_ent_valid(h, p)) {
    lua_pushliteral(L, "(a removed entity)");
    return 1;
  }
  ArenaMark mk = arena_mark(&h->temp);
  int st = lb_bpcall(L, b, show_work, &s);
  buf_free(h, &s.buf);
  if (st != HEDGE_OK) {
    arena_release(h, &h->temp, mk);
    return lb_raise_hedge(L, b, st, 0);
  }
  lua_pushlstring(L, s.text, s.n);
  arena_release(h, &h->temp, mk);
  return 1;
}

/* a .. b where one side is ours: both sides as text */
static int l_concat(lua_State *L) {
  for (int i = 1; i <= 2; i++) {
    int t = lua_type(L, i);
    if (t != LUA_TSTRING && t != LUA_TNUMBER) {
      luaL_tolstring(L, i, NULL);
      lua_replace(L, i);
    }
  }
  lua_concat(L, 2);
  return 1;
}

int  lb_key_is(const char *k, size_t n, const char *lit) {
  size_t m = strlen(lit);
  return n == m && memcmp(k, lit, m) == 0;
}

typedef struct DimName { int dim; char buf[128]; } DimName;

static void dimname_work(H *h, void *ud) {
  DimName *d = ud;
  if (!lb_dim_ok(h, d->dim)) {
    snprintf(d->buf, sizeof d->buf, "?");
    return;
  }
  const char *s = dim_name(h, d->dim, d->buf, sizeof d->buf);
  if (s != d->buf) snprintf(d->buf, sizeof d->buf, "%s", s ? s : "?");
}

/* q.value (in the base unit), q.unit (the base unit's name) */
static int l_qty_index(lua_State *L) {
  LuaBridge *b = getb(L);
  LQty *q = lua_touserdata(L, 1);
  size_t n;
  const char *k = lua_tolstring(L, 2, &n);
  if (!k || lua_type(L, 2) != LUA_TSTRING) return 0;
  if (lb_key_is(k, n, "value")) {
    lua_pushnumber(L, q->v);
    return 1;
  }
  if (lb_key_is(k, n, "unit")) {
    DimName d;
    d.dim = q->dim;
    int st = lb_bpcall(L, b, dimname_work, &d);
    if (st != HEDGE_OK) return lb_raise_hedge(L, b, st, 0);
    lua_pushstring(L, d.buf);
    return 1;
  }
  return 0;
}

/* d.year, d.month, d.day; d.value (days since 1970-01-01), d.unit "date",
** d.precision ("day", "month" or "year") */
static int l_date_index(lua_State *L) {
  LDate *d = lua_touserdata(L, 1);
  size_t n;
  const char *k = lua_tolstring(L, 2, &n);
  if (!k || lua_type(L, 2) != LUA_TSTRING) return 0;
  int y, m, dd;
  date_to_civil(d->days, &y, &m, &dd);
  if (lb_key_is(k, n, "year")) lua_pushinteger(L, y);
  else if (lb_key_is(k, n, "month")) lua_pushinteger(L, m);
  else if (lb_key_is(k, n, "day")) lua_pushinteger(L, dd);
  else if (lb_key_is(k, n, "value")) lua_pushnumber(L, d->days);
  else if (lb_key_is(k, n, "unit")) lua_pushliteral(L, "date");
  else if (lb_key_is(k, n, "precision"))
    lua_pushstring(L, d->prec == DATE_YEAR ? "year" : d->prec == DATE_MONTH ? "month" : "day");
  else return 0;
  return 1;
}

typedef struct FieldRead { int kind; uint32_t row; const char *k; size_t n; Value v; int found; } FieldRead;

static void field_work(H *h, void *ud) {
  FieldRead *f = ud;
  f->v = world_field(h, f->kind, f->row, mem_intern(h, f->k, f->n), &f->found);
}

/* e.FIELD: built-in fields and free attributes; nil when absent */
static int l_ent_index(lua_State *L) {
  LuaBridge *b = getb(L);
  H *h = b->h;
  LEnt *e = lua_touserdata(L, 1);
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  FieldRead f;
  memset(&f, 0, sizeof f);
  f.kind = e->kind;
  f.row = e->row;
  f.k = lua_tolstring(L, 2, &f.n);
  if (!lb_ent_valid(h, e)) return luaL_error(L, "this %s no longer exists", e->kind < K_NKINDS ? ekind_name[e->kind] : "entity");
  ArenaMark mk = arena_mark(&h->temp);
  int st = lb_bpcall(L, b, field_work, &f);
  if (st != HEDGE_OK) {
    arena_release(h, &h->temp, mk);
    return lb_raise_hedge(L, b, st, 0);
  }
  if (f.found) lb_push_value(L, b, f.v);
  else lua_pushnil(L);
  arena_release(h, &h->temp, mk);
  return 1;
}

static int l_ent_newindex(lua_State *L) {
  return luaL_error(L, "entities are read-only in Lua (cannot set field '%s')", luaL_tolstring(L, 2, NULL));
}


/* ---- the metatables of the userdata above (luabridge.c installs them) ---- */

const luaL_Reg lb_qty_meta[] = {
  {"__index", l_qty_index}, {"__add", l_add}, {"__sub", l_sub}, {"__mul", l_mul},
  {"__div", l_div}, {"__pow", l_pow}, {"__unm", l_unm}, {"__eq", l_eq}, {"__lt", l_lt}, {"__le", l_le},
  {"__tostring", l_tostring}, {"__concat", l_concat}, {NULL, NULL}
};

const luaL_Reg lb_date_meta[] = {
  {"__index", l_date_index}, {"__add", l_add}, {"__sub", l_sub}, {"__eq", l_eq},
  {"__lt", l_lt}, {"__le", l_le}, {"__tostring", l_tostring}, {"__concat", l_concat},
  {NULL, NULL}
};

const luaL_Reg lb_ent_meta[] = {
  {"__index", l_ent_index}, {"__newindex", l_ent_newindex}, {"__eq", l_eq},
  {"__tostring", l_tostring}, {"__concat", l_concat}, {NULL, NULL}
};

