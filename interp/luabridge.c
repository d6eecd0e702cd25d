/*
** luabridge.c: the Lua side of hedge (docs/language.md, Extensions; docs/internals.md).
**
** One lua_State per hedge state, allocated through the hedge allocator (so
** the memory cap covers Lua too), sandboxed unless HEDGE_CAP_IO is granted.
** The standard library (stdlib/init.lua) and every `use`d extension is a
** chunk returning a table; each function in it becomes a hedge function of
** kind F_LUA whose lua_ref points into the Lua registry.
**
** Two kinds of non-local exit live side by side here, and neither may ever
** cross the other's frames:
**
**   - hedge errors longjmp to the innermost hx_pcall (core.h);
**   - Lua errors longjmp to the innermost lua_pcall.
**
** So every function in this file runs in one of two contexts:
**
**   Lua context   a C function called by Lua (or a trampoline run under
**                 lua_pcall). It may raise Lua errors freely, and must not
**                 raise hedge errors: whatever may raise one (allocation in
**                 an arena, world_field, eval_call_function, arith...) runs in a
**                 `work` function under bpcall() (= hx_pcall), and a failure
**                 becomes a Lua error only after hx_pcall has returned.
**
**   hedge context code called from the evaluator, or a `work` function.
**                 It may raise hedge errors, and may use only the part of
**                 the Lua API that never raises ("-" in the manual's third
**                 column): lua_type, lua_to* (tolstring only on strings),
**                 lua_rawget*, lua_next on a table it does not change,
**                 lua_getmetatable, lua_rawequal, lua_rawlen, lua_getupvalue,
**                 lua_push{nil,boolean,integer,number,value,lightuserdata,
**                 cfunction}, lua_settop, lua_checkstack, lua_pcall,
**                 luaL_unref. Anything that allocates Lua memory runs in a
**                 trampoline under lua_pcall instead.
**
** Errors keep their hedge status across Lua: a hedge error caught in a
** bridge function travels through Lua as an "error object" (a table with a
** marker metatable holding message, status and whether the message already
** carries a location), and luabridge_call re-raises it as it was. The
** count hook turns hedge_interrupt() and the step limit into such objects.
*/
#include "lbint.h"
#include "luabridge.h"

/* ==== memory ============================================================= */

/* lua_Alloc over the state's allocator hook (mem_hook: the same accounting
** and cap as every other allocation); over the cap is a NULL, which Lua
** turns into a memory error. cap_hit remembers why, for the message. */
static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  LuaBridge *b = ud;
  H *h = b->h;
  if (!ptr) osize = 0;   /* Lua passes a type tag there for new objects */
  void *q = mem_hook(h, ptr, osize, nsize);
  if (!q && nsize) b->cap_hit = h->mem_cap && nsize > osize && h->mem_used + (nsize - osize) > h->mem_cap;
  return q;
}

/* ==== small helpers (both contexts) ======================================= */

/* Which of our userdata types the value at idx is (no stack change). */
int  lb_udkind(lua_State *L, LuaBridge *b, int idx, void **out) {
  if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return UD_NONE;
  const void *mt = lua_topointer(L, -1);
  lua_pop(L, 1);
  int k = mt == b->qtymt_p ? UD_QTY : mt == b->datemt_p ? UD_DATE : mt == b->entmt_p ? UD_ENT : UD_NONE;
  if (k && out) *out = lua_touserdata(L, idx);
  return k;
}

int  lb_has_mt(lua_State *L, int idx, const void *mt) {
  if (!lua_getmetatable(L, idx)) return 0;
  int same = lua_topointer(L, -1) == mt;
  lua_pop(L, 1);
  return same;
}

static int is_errobj(lua_State *L, LuaBridge *b, int idx) {
  return lua_type(L, idx) == LUA_TTABLE && lb_has_mt(L, idx, b->errmt_p);
}

/* A quantity kept in Lua across a rollback of unit declarations may name
** a dimension that no longer exists. */
int  lb_dim_ok(H *h, int dim) {
  return dim > 0 && h->units && (uint32_t)dim < h->units->dims.n;
}

int  lb_ent_valid(H *h, LEnt *e) {
  return h->world && e->kind >= 0 && e->kind < K_NKINDS && world_row_current(h->world, e->kind, e->row, &e->seen);
}

/* A function by name as a hedge call would find it: a global `fn`, else a
** builtin (C, Lua or host). Never raises. */
Function *lb_lookup_fn(H *h, HStr *name) {
  if (!h->prog || !name) return NULL;
  Global *g = prog_global_find(h, name);
  if (g && g->kind == G_FUNC && g->value.tag == T_FUNC && g->value.as.fn) return g->value.as.fn;
  return prog_builtin_find(h, name);
}

/* A call node standing for "called from Lua": the location (and text) of
** the hedge call site that entered Lua, no arguments. */
static void site_node(LuaBridge *b, Node *n) {
  memset(n, 0, sizeof *n);
  n->kind = N_CALL;
  if (b->site) {
    n->loc = b->site->loc;
    n->start = b->site->start;
    n->end = b->site->end;
    if (b->site->kind == N_CALL) n->u.call.fn = b->site->u.call.fn;
  } else {
    n->loc = b->siteloc;
  }
}

/* hx_pcall from a bridge function: remembers which Lua thread is running
** (a Lua function called from inside must run on it), and restores the
** evaluator's slot stack when an error unwound through it. */
int  lb_bpcall(lua_State *L, LuaBridge *b, void (*fn)(H *h, void *ud), void *ud) {
  H *h = b->h;
  if (b->closing) luaL_error(L, "hedge is closing");
  lua_State *saved = b->cur;
  uint32_t sp = h->prog ? h->prog->sp : 0;
  b->cur = L;
  int st = hx_pcall(h, fn, ud);
  b->cur = saved;
  if (st != HEDGE_OK && h->prog) h->prog->sp = sp;
  return st;
}

/* ==== hedge errors as Lua errors (Lua context) ============================ */

/* Wraps the message on top of the stack into an error object. */
void  lb_push_errobj(lua_State *L, LuaBridge *b, int status, int located) {
  lua_createtable(L, 3, 0);
  lua_insert(L, -2);
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, status);
  lua_rawseti(L, -2, 2);
  lua_pushboolean(L, located);
  lua_rawseti(L, -2, 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_errmt);
  lua_setmetatable(L, -2);
}

/* Raises the hedge error now in h->err (status st) as a Lua error. A plain
** runtime error without location ("error: ...", e.g. a unit mismatch in a
** metamethod) becomes an ordinary Lua error at the Lua line; anything else
** travels as an error object keeping its status and its hedge location
** (with a note naming the Lua line when note is set). */
int  lb_raise_hedge(lua_State *L, LuaBridge *b, int st, int note) {
  H *h = b->h;
  const char *m = h->err.p ? h->err.p : "error";
  size_t n = h->err.p ? h->err.n : 5;
  int located = !(n >= 7 && memcmp(m, "error: ", 7) == 0);
  if (!located) m += 7, n -= 7;
  if (st == HEDGE_OK) st = HEDGE_ERROR;
  static const char noted[] = "\nnote: called from Lua at ";
  if (located && note) {   /* the innermost Lua line is the one worth naming */
    for (size_t i = 0; i + sizeof noted - 1 <= n; i++)
      if (memcmp(m + i, noted, sizeof noted - 1) == 0) { note = 0; break; }
  }
  /* copy the message out of h->err first: anything that allocates may run
  ** a finalizer, which may call hedge and overwrite h->err */
  lua_pushlstring(L, m, n);
  if (st == HEDGE_ERROR && !located) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
  }
  if (located && note) {
    luaL_where(L, 1);
    size_t wl;
    const char *w = lua_tolstring(L, -1, &wl);
    if (wl >= 2 && w[wl - 2] == ':') {
      lua_pushstring(L, noted);
      lua_pushlstring(L, w, wl - 2);   /* without the ": " luaL_where ends with */
      lua_remove(L, -3);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
    }
  }
  lb_push_errobj(L, b, st, located);
  return lua_error(L);
}

/* ==== Lua errors as hedge errors (hedge context) ========================== */

/* Length of msg without the trailing traceback lines of our trampolines. */
static size_t trim_trace(const char *msg, size_t n) {
  static const char tail[] = "\n\t[C]: in ?";
  size_t tl = sizeof tail - 1;
  while (n >= tl && memcmp(msg + n - tl, tail, tl) == 0) n -= tl;
  return n;
}

static int first_line_has(const char *msg, size_t n, const char *what) {
  const char *nl = memchr(msg, '\n', n);
  size_t len = nl ? (size_t)(nl - msg) : n, wl = strlen(what);
  for (size_t i = 0; i + wl <= len; i++)
    if (memcmp(msg + i, what, wl) == 0) return 1;
  return 0;
}

/* Raises, as a hedge error at loc, the Lua error object at idx that came
** out of lua_pcall with status st. what: "in Lua function f", ... */
_Noreturn static void lb_raise_lua_error(H *h, LuaBridge *b, lua_State *L, int idx, int st, Loc loc,
                                      const char *what) {
  if (is_errobj(L, b, idx)) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_elimit);
    int steps = lua_rawequal(L, -1, idx);
    lua_pop(L, 1);
    if (steps) h->fatal = 1;
    if (steps)   /* the count hook's: worded as the evaluator's own */
      eval_limit_error(h, loc);
    lua_rawgeti(L, idx, 1);
    lua_rawgeti(L, idx, 2);
    lua_rawgeti(L, idx, 3);
    size_t n = 0;
    const char *m = lua_type(L, -3) == LUA_TSTRING ? lua_tolstring(L, -3, &n) : "error";
    if (!m) m = "error", n = 5;
    int status = lua_isinteger(L, -2) ? (int)lua_tointeger(L, -2) : HEDGE_ERROR;
    int located = lua_toboolean(L, -1);
    if (status <= HEDGE_FAIL || status > HEDGE_EUSAGE) status = HEDGE_ERROR;
    if (status == HEDGE_EINTERRUPT || status == HEDGE_EMEMORY) h->fatal = 1;
    /* h->interrupted is left set (the API clears it when the call ends):
    ** Lua code around this call that catches the error with pcall is
    ** stopped again by the count hook, so an interrupt cannot be swallowed */
    if (located) {   /* a hedge error that crossed Lua: as it was */
      h->err.n = 0;
      buf_put(h, &h->err, m, n);
      hx_throw(h, status);
    }
    hx_error_status(h, status, loc, "%.*s", (int)n, m);
  }
  if (st == LUA_ERRMEM) {
    h->fatal = 1;
    if (b->cap_hit && h->mem_cap)
      hx_error_status(h, HEDGE_EMEMORY, loc, "memory limit reached (%zu bytes) %s", h->mem_cap, what);
    hx_error_status(h, HEDGE_EMEMORY, loc, "out of memory %s", what);
  }
  size_t n = 0;
  const char *m = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &n) : NULL;
  if (!m) m = "(error object is not a string)", n = strlen(m);
  n = trim_trace(m, n);
  /* the message, then the hedge call site quoted with a caret, then the
  ** Lua traceback (l_msgh appended it after a "\nstack traceback:") */
  static const char tb[] = "\nstack traceback:";
  size_t mn = n;
  for (size_t i = 0; i + sizeof tb - 1 <= n; i++)
    if (memcmp(m + i, tb, sizeof tb - 1) == 0) { mn = i; break; }
  int status = HEDGE_ERROR;
  const char *pre = "";
  if (st == LUA_ERRERR) status = HEDGE_ELIMIT, pre = "recursion too deep ";
  else if (first_line_has(m, mn, "stack overflow")) status = HEDGE_ELIMIT, pre = "recursion too deep ";
  hx_error_begin(h, status, loc, 1, "%s%s: %.*s", pre, what, (int)mn, m);
  if (mn < n) buf_put(h, &h->err, m + mn, n - mn);
  hx_error_end(h);
}

/* Message handler of every lua_pcall that runs Lua code: error objects
** pass through, anything else becomes its text plus a traceback. */
static int l_msgh(lua_State *L) {
  LuaBridge *b = getb(L);
  if (is_errobj(L, b, 1)) return 1;
  const char *msg = NULL;
  if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) msg = lua_tostring(L, 1);
  else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
  else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* The count hook: steps, interrupt. Raises pre-made error objects, so it
** does not allocate. */
static void l_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  LuaBridge *b = getb(L);
  H *h = b->h;
  h->steps += (uint64_t)lua_gethookcount(L);
  int ref = atomic_load_explicit(&h->interrupted, memory_order_acquire) ? b->ref_eint
          : h->max_steps && h->steps > h->max_steps ? b->ref_elimit
          : eval_time_up(h) ? b->ref_elimit : LUA_NOREF;
  if (ref == LUA_NOREF) return;
  /* From now on look at every instruction: Lua code that catches this
  ** error with pcall is stopped again at its very next instruction, so
  ** the error reaches hedge. hook_calm restores the interval later. */
  lua_sethook(L, l_hook, LUA_MASKCOUNT, 1);
  b->hook_fast = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_error(L);
}

/* Back to the normal hook interval once the interrupt or the step limit
** that made the hook fire on every instruction is over (the API resets
** both between calls). Coroutines keep theirs until their next resume
** (co_sync_hook): only slower, not wrong. */
static void hook_calm(LuaBridge *b, lua_State *L) {
  H *h = b->h;
  if (atomic_load_explicit(&h->interrupted, memory_order_acquire) || (h->max_steps && h->steps > h->max_steps) ||
      eval_time_up(h))
    return;
  lua_sethook(L, l_hook, LUA_MASKCOUNT, LB_HOOK_COUNT);
  if (L != b->L) lua_sethook(b->L, l_hook, LUA_MASKCOUNT, LB_HOOK_COUNT);
  b->hook_fast = 0;
}

/* The count hook is set from luabridge_open on, in every coroutine too: it
** is how Lua code sees hedge_interrupt, which only stores the atomic flag
** h->interrupted (from another thread or a signal handler nothing of the
** Lua state may be touched: lua_sethook walks the running thread's call
** frames). The price is the VM's slow dispatch for Lua code (measured:
** a tight arithmetic loop in plain Lua runs about 2x slower; the standard
** library on the 1M-deal W1 world, HEDGE_NATIVE=0, about 5 %). Before each
** call into Lua: the normal interval again after a stop. */
static void hook_sync(LuaBridge *b, lua_State *L) {
  if (b->hook_fast) hook_calm(b, L);
}

/* ---- coroutines under the hook ----------------------------------------------
** A Lua count hook belongs to one thread: a coroutine has none of its own
** and would never see hedge_interrupt or the step limit (red-team F02). So
** coroutine.resume and coroutine.wrap are replaced: every resume gives the
** coroutine the resumer's hook, and after it returns, a pending interrupt
** or limit is raised in the resumer (pcall-like resume cannot swallow it). */

static void co_sync_hook(lua_State *L, lua_State *co) {
  lua_Hook hk = lua_gethook(L);
  int mask = lua_gethookmask(L), count = lua_gethookcount(L);
  if (lua_gethook(co) != hk || lua_gethookmask(co) != mask || lua_gethookcount(co) != count)
    lua_sethook(co, hk, mask, count);
}

/* After a resume: raises the interrupt or limit that stopped it, if any. */
static void co_check(lua_State *L, LuaBridge *b) {
  H *h = b->h;
  int ref = atomic_load_explicit(&h->interrupted, memory_order_acquire) ? b->ref_eint
          : (h->max_steps && h->steps > h->max_steps) || eval_time_up(h) ? b->ref_elimit : LUA_NOREF;
  if (ref == LUA_NOREF) return;
  lua_sethook(L, l_hook, LUA_MASKCOUNT, 1);
  b->hook_fast = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_error(L);
}

/* lcorolib's auxresume, with the caller's hook given to the coroutine. */
static int co_resume(lua_State *L, lua_State *co, int narg) {
  int status, nres;
  if (!lua_checkstack(co, narg)) {
    lua_pushliteral(L, "too many arguments to resume");
    return -1;
  }
  lua_xmove(L, co, narg);
  co_sync_hook(L, co);
  status = lua_resume(co, L, narg, &nres);
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      lua_pushliteral(L, "too many results to resume");
      return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
  }
  lua_xmove(co, L, 1);
  return -1;
}

static int l_co_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "coroutine");
  int r = co_resume(L, co, lua_gettop(L) - 1);
  co_check(L, getb(L));
  if (r < 0) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, -(r + 1));
  return r + 1;
}

static int l_co_auxwrap(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int r = co_resume(L, co, lua_gettop(L));
  co_check(L, getb(L));
  if (r < 0) {
    int stat = lua_status(co);
    if (stat != LUA_OK && stat != LUA_YIELD) {
      stat = lua_resetthread(co);
      lua_xmove(co, L, 1);
    }
    if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
      luaL_where(L, 1);
      lua_insert(L, -2);
      lua_concat(L, 2);
    }
    return lua_error(L);
  }
  return r;
}

static int l_co_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, l_co_auxwrap, 1);
  return 1;
}

static void co_install(lua_State *L) {
  lua_getglobal(L, LUA_COLIBNAME);
  if (lua_istable(L, -1)) {
    lua_pushcfunction(L, l_co_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, l_co_wrap);
    lua_setfield(L, -2, "wrap");
  }
  lua_pop(L, 1);
}

/* Never reached by design (every Lua entry is protected); if it is, do not
** abort the host: fail the hedge call and mark the Lua state unusable. */
static int l_panic(lua_State *L) {
  LuaBridge *b = getb(L);
  b->broken = 1;
  const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(no message)";
  hx_error_status(b->h, HEDGE_ERROR, NOLOC, "internal error: unprotected Lua error: %s", m);
}

/* ==== calling Lua from hedge ============================================== */

typedef struct LCall {
  LuaBridge *b;
  lua_State *L;
  Function *f;
  CallArgs *a;
  Loc loc;
  int status;
  Value result;
  char what[HX_MAX_NAME + 32];
} LCall;

/* Are the named arguments all parameters the function declares (its
** `_params[name].types`), each of the declared type? Then the table is
** marked checked, and the standard library's argument helper need not walk
** it again: a fast pre-check only; anything else is left to the Lua side,
** which words the errors. */
static int named_ok(Function *f, CallArgs *a) {
  if (!f->named_fast) return 0;
  for (int i = 0; i < a->nnamed; i++) {
    uint32_t j;
    for (j = 0; j < f->params.n; j++) if (f->params.p[j].name == a->names[i]) break;
    if (j == f->params.n) return 0;
    Value v = a->named[i];
    switch (f->params.p[j].ffi_type) {
      case 1: if (v.tag != T_ENT || v.kind != K_PARTNER) return 0; break;
      case 2: if (v.tag != T_ENT || v.kind != K_COMMODITY) return 0; break;
      case 3: if (v.tag != T_NUM || v.as.num != floor(v.as.num) || v.as.num <= -1e9 || v.as.num >= 1e9) return 0; break;
      default: return 0;
    }
  }
  return 1;
}

/* hedge.named_checked(t): did the bridge check this named-argument table? */
int  lb_named_checked(lua_State *L) {
  LuaBridge *b = getb(L);
  int ok = 0;
  if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {   /* the raw metatable */
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_named_checked);
    ok = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  lua_pushboolean(L, ok);
  return 1;
}

/* Lua context, under lua_pcall: arguments to Lua, then the call. */
static int call_tramp(lua_State *L) {
  LCall *c = lua_touserdata(L, 1);
  LuaBridge *b = c->b;
  CallArgs *a = c->a;
  lua_settop(L, 0);
  int npos = a->npos > 0 ? a->npos : 0;
  luaL_checkstack(L, npos + 4, "too many arguments");
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, c->f->lua_ref) != LUA_TFUNCTION)
    return luaL_error(L, "the Lua function is no longer registered");
  for (int i = 0; i < npos; i++) lb_push_value(L, b, a->pos[i]);
  if (a->nnamed > 0) {
    lua_createtable(L, 0, a->nnamed);
    for (int i = 0; i < a->nnamed; i++) {
      lua_pushlstring(L, a->names[i]->s, a->names[i]->len);
      lb_push_value(L, b, a->named[i]);
      lua_rawset(L, -3);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, named_ok(c->f, a) ? b->ref_named_checked : b->ref_named);
    lua_setmetatable(L, -2);
  }
  lua_call(L, npos + (a->nnamed > 0), 1);
  return 1;
}

/* hedge context: the result, or the error, of the call. */
static void call_finish(H *h, void *ud) {
  LCall *c = ud;
  int top = lua_gettop(c->L);
  /* the context of messages, written only when a message may need it */
  snprintf(c->what, sizeof c->what, "in Lua function %s", c->f && c->f->name ? c->f->name->s : "?");
  if (c->status != LUA_OK) lb_raise_lua_error(h, c->b, c->L, top, c->status, c->loc, c->what);
  Conv cv = {c->b, c->L, c->loc, c->what, 1};
  c->result = lb_to_value(&cv, top, 0);
}

Value luabridge_call(H *h, Function *f, CallArgs *a) {
  LuaBridge *b = h->lua;
  Loc loc = a && a->call ? a->call->loc : NOLOC;
  const char *name = f && f->name ? f->name->s : "?";
  if (!b || b->broken || b->closing || !b->L)
    hx_error_at(h, loc, "cannot call Lua function %s: Lua is not available", name);
  if (h->max_depth > 0 && h->depth >= h->max_depth)
    hx_error_status(h, HEDGE_ELIMIT, loc, "recursion too deep (calling Lua function %s)", name);
  hx_check_stack(h, loc);   /* hedge -> Lua -> hedge ... is deep C recursion */
  lua_State *L = b->cur ? b->cur : b->L;
  if (!lua_checkstack(L, 8))
    hx_error_status(h, HEDGE_ELIMIT, loc, "recursion too deep (calling Lua function %s)", name);
  hook_sync(b, L);
  CallArgs none;
  if (!a) {
    memset(&none, 0, sizeof none);
    a = &none;
  }
  LCall c;
  c.b = b; c.L = L; c.f = f; c.a = a; c.loc = loc; c.result = v_nil();
  c.what[0] = 0;
  int base = lua_gettop(L);
  lua_pushcfunction(L, l_msgh);
  lua_pushcfunction(L, call_tramp);
  lua_pushlightuserdata(L, &c);
  Node *site = b->site;
  Loc siteloc = b->siteloc;
  if (a->call) b->site = a->call;
  int depth = h->depth;
  h->depth++;
  c.status = lua_pcall(L, 1, 1, base + 1);
  h->depth = depth;
  b->site = site;
  b->siteloc = siteloc;
  /* fast path: results that need no allocation */
  if (c.status == LUA_OK) {
    Value v;
    if (lb_scalar(L, b, lua_gettop(L), &v)) {
      lua_settop(L, base);
      return v;
    }
  }
  int hs = hx_pcall(h, call_finish, &c);
  lua_settop(L, base);
  if (hs == HEDGE_EMEMORY) lua_gc(L, LUA_GCCOLLECT, 0);   /* give back what the failed call left */
  if (hs != HEDGE_OK) hx_throw(h, hs);
  return c.result;
}

/* ==== calling hedge from Lua ============================================== */

typedef struct HCall {
  LuaBridge *b;
  lua_State *L;
  Function *f;             /* expected target (NULL: by name) */
  const char *name;
  size_t namelen;
  int first, last;         /* Lua arguments [first, last] */
  Node node;               /* the call site as hedge sees it */
  Value result;
} HCall;

static int is_param(Function *f, const char *s, size_t n) {
  for (uint32_t i = 0; i < f->params.n; i++) {
    HStr *p = f->params.p[i].name;
    if (p && p->len == n && memcmp(p->s, s, n) == 0) return 1;
  }
  return 0;
}

/* Is the Lua value at idx the named arguments? A table with the NAMED
** metatable always is; a plain table is when f has named parameters and
** every key of the table names one of them. */
static int named_table(lua_State *L, LuaBridge *b, Function *f, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return 0;
  if (lua_getmetatable(L, idx)) {
    int named = lua_topointer(L, -1) == b->named_p;
    lua_pop(L, 1);
    return named;
  }
  if (f->params.n == 0 || !(f->kind == F_USER || f->kind == F_HOST || f->kind == F_EXTERN)) return 0;
  int any = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    size_t n = 0;
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    if (!k || !is_param(f, k, n)) {
      lua_pop(L, 1);
      return 0;
    }
    any = 1;
  }
  return any;
}

static void hcall_work(H *h, void *ud) {
  HCall *c = ud;
  lua_State *L = c->L;
  LuaBridge *b = c->b;
  Function *f = lb_lookup_fn(h, mem_intern_find(h, c->name, c->namelen));
  if (!f || (c->f && f != c->f))
    hx_error_at(h, NOLOC, "hedge function '%s' %s", c->name, c->f ? "no longer exists" : "does not exist");
  Conv cv = {b, L, NOLOC, NULL, 0};
  int last = c->last;
  int named = last >= c->first && named_table(L, b, f, last);
  if (named) last--;
  CallArgs a;
  memset(&a, 0, sizeof a);
  a.call = &c->node;
  a.npos = last - c->first + 1;
  if (a.npos < 0) a.npos = 0;
  if (a.npos > 0) {
    a.pos = arena_alloc(h, &h->temp, (size_t)a.npos * sizeof *a.pos);
    for (int i = 0; i < a.npos; i++) a.pos[i] = lb_to_value(&cv, c->first + i, 0);
  }
  if (named) {
    int tidx = c->last, n = 0;
    lua_pushnil(L);
    while (lua_next(L, tidx)) {
      lua_pop(L, 1);
      n++;
    }
    a.names = arena_alloc(h, &h->temp, (size_t)(n ? n : 1) * sizeof *a.names);
    a.named = arena_alloc(h, &h->temp, (size_t)(n ? n : 1) * sizeof *a.named);
    lua_pushnil(L);
    while (lua_next(L, tidx)) {
      if (lua_type(L, -2) != LUA_TSTRING)
        lb_conv_fail(&cv, "named arguments of %s need string keys, got a %s key", c->name,
                  lua_typename(L, lua_type(L, -2)));
      size_t kl;
      const char *k = lua_tolstring(L, -2, &kl);
      if (a.nnamed < n) {
        a.names[a.nnamed] = mem_intern(h, k, kl);
        a.named[a.nnamed] = lb_to_value(&cv, lua_gettop(L), 0);
        a.nnamed++;
      }
      lua_pop(L, 1);
    }
  }
  c->result = eval_call_function(h, f, &a);
}

/* Calls hedge function f (or the one named name) with the Lua arguments
** from index first on; returns its result converted to Lua. */
static int call_hedge(lua_State *L, LuaBridge *b, Function *f, const char *name, size_t namelen, int first) {
  H *h = b->h;
  HCall c;
  memset(&c, 0, sizeof c);
  c.b = b; c.L = L; c.f = f; c.name = name; c.namelen = namelen;
  c.first = first;
  c.last = lua_gettop(L);
  site_node(b, &c.node);
  ArenaMark mk = arena_mark(&h->temp);
  int st = lb_bpcall(L, b, hcall_work, &c);
  if (st != HEDGE_OK) {
    arena_release(h, &h->temp, mk);
    return lb_raise_hedge(L, b, st, 1);
  }
  lb_push_value(L, b, c.result);
  arena_release(h, &h->temp, mk);
  return 1;
}

/* A closure standing for a hedge function (upvalues: Function*, name). */
int  lb_hcall(lua_State *L) {
  LuaBridge *b = getb(L);
  Function *f = lua_touserdata(L, lua_upvalueindex(1));
  size_t n;
  const char *name = lua_tolstring(L, lua_upvalueindex(2), &n);
  return call_hedge(L, b, f, name, n, 1);
}

typedef struct Find { const char *s; size_t n; Function *f; } Find;

static void find_work(H *h, void *ud) {
  Find *fd = ud;
  fd->f = lb_lookup_fn(h, mem_intern_find(h, fd->s, fd->n));
}

static Function *find_function(lua_State *L, LuaBridge *b, const char *s, size_t n) {
  Find fd = {s, n, NULL};
  int st = lb_bpcall(L, b, find_work, &fd);
  if (st != HEDGE_OK) lb_raise_hedge(L, b, st, 0);
  return fd.f;
}

/* hedge.NAME for any NAME not in the table: the hedge function NAME (a
** stdlib or extension function is the Lua function itself), or nil. */
static int l_hedge_index(lua_State *L) {
  LuaBridge *b = getb(L);
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  size_t n;
  const char *s = lua_tolstring(L, 2, &n);
  Function *f = find_function(L, b, s, n);
  if (!f) return 0;
  lb_push_function(L, b, f);
  return 1;
}

/* hedge.call(name, ...): calls the hedge function NAME even when a field of
** the hedge module has that name. */
int  lb_call(lua_State *L) {
  LuaBridge *b = getb(L);
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  Function *f = find_function(L, b, s, n);
  if (!f) return luaL_error(L, "hedge.call: no hedge function '%s'", s);
  if (f->kind == F_LUA) {
    int nargs = lua_gettop(L) - 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, f->lua_ref);
    lua_replace(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
  }
  return call_hedge(L, b, NULL, s, n, 2);
}

/* ==== opening and closing ================================================= */

/* A metatable in the registry under tname, with its methods; returns its
** reference and address. __metatable keeps Lua code from changing it. */
static int make_meta(lua_State *L, const char *tname, const luaL_Reg *fns, const void **addr) {
  luaL_newmetatable(L, tname);
  luaL_setfuncs(L, fns, 0);
  lua_pushstring(L, tname);
  lua_setfield(L, -2, "__metatable");
  *addr = lua_topointer(L, -1);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Lua context, under lua_pcall: libraries, metatables, the hedge module. */
static int l_setup(lua_State *L) {
  LuaBridge *b = lua_touserdata(L, 1);
  H *h = b->h;
  lua_settop(L, 0);
  if (h->caps & HEDGE_CAP_IO) {
    luaL_openlibs(L);
  } else {
    static const luaL_Reg libs[] = {
      {LUA_GNAME, luaopen_base}, {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8},
      {LUA_COLIBNAME, luaopen_coroutine}, {NULL, NULL}
    };
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
      luaL_requiref(L, lib->name, lib->func, 1);
      lua_pop(L, 1);
    }
    /* os: only time, clock and date */
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    static const char *const osok[] = {"time", "clock", "date"};
    for (int i = 0; i < 3; i++) {
      lua_getfield(L, -2, osok[i]);
      lua_setfield(L, -2, osok[i]);
    }
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, LUA_OSLIBNAME);
    lua_pop(L, 1);
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);
    /* no files, no binary chunks */
    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "load");
    lua_pushcclosure(L, lb_load_text, 1);
    lua_setglobal(L, "load");
  }
  lua_pushcfunction(L, lb_print);
  lua_setglobal(L, "print");
  co_install(L);

  b->ref_qtymt = make_meta(L, "hedge.qty", lb_qty_meta, &b->qtymt_p);
  b->ref_datemt = make_meta(L, "hedge.date", lb_date_meta, &b->datemt_p);
  b->ref_entmt = make_meta(L, "hedge.entity", lb_ent_meta, &b->entmt_p);
  static const luaL_Reg err_meta[] = {{"__tostring", lb_err_tostring}, {NULL, NULL}};
  b->ref_errmt = make_meta(L, "hedge.error", err_meta, &b->errmt_p);

  lua_newtable(L);                           /* entity cache, weak values */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  b->ref_entcache = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  b->ref_entkeep = luaL_ref(L, LUA_REGISTRYINDEX);

  lua_newtable(L);                           /* Lua function -> its hedge name */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  b->ref_fnmap = luaL_ref(L, LUA_REGISTRYINDEX);

  lua_newtable(L);
  b->ref_loaded = luaL_ref(L, LUA_REGISTRYINDEX);

  lua_pushliteral(L, "interrupted");
  lb_push_errobj(L, b, HEDGE_EINTERRUPT, 0);
  b->ref_eint = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushliteral(L, "step limit reached");
  lb_push_errobj(L, b, HEDGE_ELIMIT, 0);
  b->ref_elimit = luaL_ref(L, LUA_REGISTRYINDEX);

  /* the hedge module */
  lua_newtable(L);
  luaL_setfuncs(L, lb_hedge_funcs, 0);
  lua_newtable(L);
  b->named_p = lua_topointer(L, -1);
  lua_pushvalue(L, -1);
  b->ref_named = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_setfield(L, -2, "NAMED");
  lua_createtable(L, 0, 1);                  /* checked: getmetatable() still says NAMED */
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_named);
  lua_setfield(L, -2, "__metatable");
  b->ref_named_checked = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_hedge_index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setglobal(L, "hedge");
  return 0;
}

/* ---- loading a chunk that returns a table of functions ------------------- */

typedef struct LMod {
  LuaBridge *b;
  lua_State *L;
  const char *path;
  Loc loc;
  int is_stdlib;
  int status;      /* of lua_pcall */
  int phase;       /* 0: entries on top; 1: load failed (message); 2: not a table (type name) */
  int loadst;      /* status of luaL_loadfilex */
  const char *text;  /* the file's contents, already read (NULL: read path) */
  size_t len;
  size_t done;     /* entries registered so far */
} LMod;

typedef struct NameRef { const char *s; size_t n; } NameRef;

static int nameref_cmp(const void *x, const void *y) {
  const NameRef *a = x, *b = y;
  size_t n = a->n < b->n ? a->n : b->n;
  int c = memcmp(a->s, b->s, n);
  return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Lua context, under lua_pcall: loads and runs the chunk, then returns the
** entries {name, ref, usage, doc} of its function fields, sorted by name. */
static int load_tramp(lua_State *L) {
  LMod *m = lua_touserdata(L, 1);
  LuaBridge *b = m->b;
  lua_settop(L, 0);
  int st;
  if (m->text) {
    lua_pushfstring(L, "@%s", m->path);
    /* the embedded standard library is bytecode (stdlib/dump.c: ours, built
    ** against this liblua); any other text, a user's above all, is source only */
    st = luaL_loadbufferx(L, m->text, m->len, lua_tostring(L, -1), m->is_stdlib ? "b" : "t");
    lua_remove(L, -2);
  } else st = luaL_loadfilex(L, m->path, "t");
  if (st != LUA_OK) {
    m->phase = 1;
    m->loadst = st;
    return 1;
  }
  lua_call(L, 0, 1);                                  /* 1: the module */
  if (!lua_istable(L, 1)) {
    m->phase = 2;
    lua_pushstring(L, luaL_typename(L, 1));
    return 1;
  }
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION) n++;
    lua_pop(L, 1);
  }
  NameRef *names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);   /* 2: scratch */
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION && i < n) {
      names[i].s = lua_tolstring(L, -2, &names[i].n);   /* anchored by the module */
      i++;
    }
    lua_pop(L, 1);
  }
  n = i;
  qsort(names, n, sizeof *names, nameref_cmp);
  lua_getfield(L, 1, "_doc");                          /* 3 */
  lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref_fnmap);     /* 4 */
  lua_createtable(L, (int)n, 0);                       /* 5: entries */
  lua_getfield(L, 1, "_params");                       /* 6 */
  lua_getfield(L, 1, "_replaces");                     /* 7: names replaced on purpose */
  for (i = 0; i < n; i++) {
    lua_createtable(L, 4, 0);
    lua_pushlstring(L, names[i].s, names[i].n);
    lua_rawseti(L, -2, 1);
    lua_pushlstring(L, names[i].s, names[i].n);
    lua_rawget(L, 1);                                  /* the function */
    lua_pushvalue(L, -1);
    lua_pushlstring(L, names[i].s, names[i].n);
    lua_rawset(L, 4);                                  /* fnmap[fn] = name */
    lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
    lua_rawseti(L, -2, 2);
    if (lua_istable(L, 3)) {
      lua_pushlstring(L, names[i].s, names[i].n);
      if (lua_gettable(L, 3) == LUA_TTABLE) {
        if (lua_getfield(L, -1, "usage") == LUA_TSTRING) lua_rawseti(L, -3, 3);
        else lua_pop(L, 1);
        if (lua_getfield(L, -1, "doc") == LUA_TSTRING) lua_rawseti(L, -3, 4);
        else lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    /* the named parameters' types, as "name=type;..." (see named_ok) */
    if (lua_istable(L, 6)) {
      int top = lua_gettop(L);                         /* the entry */
      lua_pushlstring(L, names[i].s, names[i].n);
      if (lua_gettable(L, 6) == LUA_TTABLE && lua_getfield(L, -1, "types") == LUA_TTABLE) {
        char spec[512];
        size_t len = 0;
        int t = lua_gettop(L), fits = 1;
        lua_pushnil(L);
        while (lua_next(L, t)) {
          if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
            int k = snprintf(spec + len, sizeof spec - len, "%s=%s;", lua_tostring(L, -2), lua_tostring(L, -1));
            if (k < 0 || (size_t)k >= sizeof spec - len) fits = 0;
            else len += (size_t)k;
          }
          lua_pop(L, 1);
        }
        if (fits && len) {
          lua_pushlstring(L, spec, len);
          lua_rawseti(L, top, 5);
        }
      }
      lua_settop(L, top);
    }
    /* entry[6]: the module lists this name in `_replaces` */
    if (lua_istable(L, 7)) {
      int top = lua_gettop(L);
      lua_Integer len = (lua_Integer)lua_rawlen(L, 7);
      for (lua_Integer j = 1; j <= len; j++) {
        size_t rl;
        const char *rs;
        if (lua_rawgeti(L, 7, j) == LUA_TSTRING && (rs = lua_tolstring(L, -1, &rl)) && rl == names[i].n &&
            memcmp(rs, names[i].s, rl) == 0) {
          lua_pushboolean(L, 1);
          lua_rawseti(L, top, 6);
        }
        lua_settop(L, top);
      }
    }
    lua_rawseti(L, 5, (lua_Integer)i + 1);
  }
  lua_pop(L, 2);   /* _replaces, _params */
  return 1;
}

static const char *perm_string(H *h, lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TSTRING) return NULL;
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  return arena_strdup(h, &h->perm, s, n);
}

/* The named parameters of a Lua function and their types, from the
** module's `_params[name].types` ("from=partner;year=year;"): what
** named_ok checks before a call. No types: nothing is checked in C. */
static void set_named_types(H *h, Function *f, const char *spec) {
  f->named_fast = 0;
  memset(&f->params, 0, sizeof f->params);
  if (!spec) return;
  uint32_t n = 0;
  for (const char *p = spec; *p; p++) if (*p == ';') n++;
  if (!n || n > HX_MAX_PARAMS) return;
  Param *ps = arena_alloc(h, &h->perm, n * sizeof(Param));
  memset(ps, 0, n * sizeof(Param));
  uint32_t k = 0;
  for (const char *p = spec; *p && k < n;) {
    const char *eq = strchr(p, '='), *semi = strchr(p, ';');
    if (!eq || !semi || eq > semi) return;
    ps[k].name = mem_intern(h, p, (size_t)(eq - p));
    size_t tl = (size_t)(semi - eq - 1);
    const char *t = eq + 1;
    ps[k].ffi_type = tl == 7 && !memcmp(t, "partner", 7) ? 1 : tl == 9 && !memcmp(t, "commodity", 9) ? 2
                   : tl == 4 && !memcmp(t, "year", 4) ? 3 : 0;
    ps[k].loc = NOLOC;
    k++;
    p = semi + 1;
  }
  f->params.p = ps;
  f->params.n = f->params.cap = k;
  f->named_fast = 1;
}

/* hedge context: the outcome of load_tramp; registers the functions. */
static void register_work(H *h, void *ud) {
  LMod *m = ud;
  lua_State *L = m->L;
  int top = lua_gettop(L);
  char what[600];
  snprintf(what, sizeof what, "in Lua %s %s", m->is_stdlib ? "standard library" : "extension", m->path);
  if (m->status != LUA_OK) lb_raise_lua_error(h, m->b, L, top, m->status, m->loc, what);
  if (m->phase == 1) {
    size_t n = 0;
    const char *msg = lua_type(L, top) == LUA_TSTRING ? lua_tolstring(L, top, &n) : "?";
    if (m->loadst == LUA_ERRMEM) hx_error_status(h, HEDGE_EMEMORY, m->loc, "out of memory loading %s", m->path);
    if (first_line_has(msg, n, "binary chunk"))
      hx_error_at(h, m->loc, "%s is a precompiled (binary) Lua chunk; only Lua source text can be used",
                  m->path);
    hx_error_at(h, m->loc, "cannot load Lua %s: %s", m->is_stdlib ? "standard library" : "extension", msg);
  }
  if (m->phase == 2) {
    const char *t = lua_type(L, top) == LUA_TSTRING ? lua_tostring(L, top) : "?";
    hx_error_at(h, m->loc, "Lua %s %s must return a table of functions, got %s",
                m->is_stdlib ? "standard library" : "extension", m->path, t);
  }
  size_t n = lua_rawlen(L, top);
  if (!lua_checkstack(L, 8)) hx_error_at(h, m->loc, "Lua stack exhausted");
  for (size_t i = 1; i <= n; i++) {
    lua_settop(L, top);
    lua_rawgeti(L, top, (lua_Integer)i);
    int e = lua_gettop(L);
    lua_rawgeti(L, e, 1);
    lua_rawgeti(L, e, 2);
    size_t nl;
    const char *name = lua_tolstring(L, e + 1, &nl);
    int ref = (int)lua_tointeger(L, e + 2);
    HStr *nm = mem_intern(h, name, nl);
    lua_rawgeti(L, e, 3);
    lua_rawgeti(L, e, 4);
    const char *usage = perm_string(h, L, e + 3);
    const char *doc = perm_string(h, L, e + 4);
    lua_rawgeti(L, e, 5);
    const char *types = lua_type(L, e + 5) == LUA_TSTRING ? lua_tostring(L, e + 5) : NULL;
    lua_rawgeti(L, e, 6);
    int replaces = lua_toboolean(L, e + 6);
    Function *f = prog_builtin_find(h, nm);
    if (!m->is_stdlib) {
      /* a name in use is replaced only on purpose (`_replaces`), and never
      ** a name the script declared itself */
      Global *g = prog_global_find(h, nm);
      if (g) {
        hx_error_begin(h, HEDGE_ERROR, m->loc, 1, "Lua extension %s defines '%s', which is already declared in this script", m->path, nm->s);
        hx_error_note(h, g->loc, "'%s' is declared here", nm->s);
        hx_error_end(h);
      }
      if (f && f->kind == F_LUA && !replaces) {
        hx_error_begin(h, HEDGE_ERROR, m->loc, 1,
                       "Lua extension %s defines '%s', which is already declared by %s; to replace it on purpose, "
                       "list it in the extension's table: _replaces = { \"%s\" }",
                       m->path, nm->s, f->origin ? f->origin : "the standard library", nm->s);
        if (f->loc.src >= 0) hx_error_note(h, f->loc, "'%s' comes from the extension used here", nm->s);
        hx_error_end(h);
      }
      if (f && f->kind == F_LUA) prog_override_note(h, nm, f->origin ? f->origin : "the standard library", m->path, m->loc);
    }
    if (f && f->kind == F_LUA) {           /* a later definition replaces it (on purpose, above) */
      luaL_unref(L, LUA_REGISTRYINDEX, f->lua_ref);
      f->lua_ref = ref;
      f->fast = m->is_stdlib ? stdfast_id(nm->s) : 0;   /* replaced: the new definition runs */
      if (usage) f->usage = usage;
      if (doc) f->doc = doc;
    } else if (f) {
      if (!m->is_stdlib)
        hx_error_at(h, m->loc, "Lua extension %s: '%s' is a built-in function and cannot be redefined",
                    m->path, nm->s);
      /* the C version of a standard function wins; keep the Lua docs */
      luaL_unref(L, LUA_REGISTRYINDEX, ref);
      if (!f->usage) f->usage = usage;
      if (!f->doc) f->doc = doc;
    } else {
      f = prog_builtin_add(h, nm->s, NULL, 0, usage, doc);
      f->kind = F_LUA;
      f->lua_ref = ref;
      f->builtin = NULL;
      f->aggregate = 0;
      f->fast = m->is_stdlib ? stdfast_id(nm->s) : 0;
      f->loc = m->is_stdlib ? (Loc){-1, 0, 0} : m->loc;
    }
    if (f->kind == F_LUA) {
      char o[600];
      snprintf(o, sizeof o, "%s %s", m->is_stdlib ? "the standard library" : "Lua extension", m->path);
      f->origin = arena_strdup(h, &h->perm, o, strlen(o));
      if (!m->is_stdlib) f->loc = m->loc;
      set_named_types(h, f, types);
    }
    m->done = i;
  }
  lua_settop(L, top);
}

/* Loads a chunk returning a table of functions and registers them. */
static void load_module_text(H *h, const char *path, const char *text, size_t len, Loc loc, int is_stdlib);
static void load_module(H *h, const char *path, Loc loc, int is_stdlib) {
  load_module_text(h, path, NULL, 0, loc, is_stdlib);
}

static void load_module_text(H *h, const char *path, const char *text, size_t len, Loc loc, int is_stdlib) {
  LuaBridge *b = h->lua;
  if (!b || b->broken || b->closing || !b->L)
    hx_error_at(h, loc, "cannot load %s: Lua is not available", path);
  lua_State *L = b->cur ? b->cur : b->L;
  if (!lua_checkstack(L, 8)) hx_error_at(h, loc, "cannot load %s: Lua stack exhausted", path);
  hook_sync(b, L);
  LMod m;
  memset(&m, 0, sizeof m);
  m.b = b; m.L = L; m.path = path; m.loc = loc; m.is_stdlib = is_stdlib;
  m.text = text; m.len = len;
  int base = lua_gettop(L);
  lua_pushcfunction(L, l_msgh);
  lua_pushcfunction(L, load_tramp);
  lua_pushlightuserdata(L, &m);
  Node *site = b->site;
  Loc siteloc = b->siteloc;
  b->site = NULL;
  b->siteloc = loc;
  m.status = lua_pcall(L, 1, 1, base + 1);
  b->site = site;
  b->siteloc = siteloc;
  int hs = hx_pcall(h, register_work, &m);
  if (hs != HEDGE_OK && m.status == LUA_OK && m.phase == 0) {
    /* give back the references not registered; the entries table is the
    ** pcall's result (register_work may have left more above it) */
    int top = base + 2;
    lua_settop(L, top);
    size_t n = lua_rawlen(L, top);
    for (size_t i = m.done + 1; i <= n; i++) {
      lua_rawgeti(L, top, (lua_Integer)i);
      lua_rawgeti(L, -1, 2);
      luaL_unref(L, LUA_REGISTRYINDEX, (int)lua_tointeger(L, -1));
      lua_pop(L, 2);
    }
  }
  lua_settop(L, base);
  if (hs != HEDGE_OK) hx_throw(h, hs);
}

void luabridge_use(H *h, const char *path, Loc loc) {
  load_module(h, path, loc, 0);
}

typedef struct UseCtx { const char *path, *text; size_t len; Loc loc; } UseCtx;
static void use_body(H *h, void *ud) {
  UseCtx *u = ud;
  load_module_text(h, u->path, u->text, u->len, u->loc, 0);
}

void luabridge_use_fd(H *h, int fd, const char *path, Loc loc) {
  char err[PATH_MAX + 160];
  size_t len = 0;
  int oom = 0;
  char *text = hfile_read_all(fd, path, HX_MAX_SOURCE, mem_hook, h, &len, err, sizeof err, &oom);
  close(fd);
  if (!text) hx_error_status(h, oom ? HEDGE_EMEMORY : HEDGE_ERROR, loc, "%s", err);
  UseCtx u = {path, text, len, loc};
  int st = hx_pcall(h, use_body, &u);
  mem_hook(h, text, len + 1, 0);
  if (st != HEDGE_OK) hx_throw(h, st);
}

typedef struct OpenCtx { const char *dir; } OpenCtx;

static void open_stdlib_work(H *h, void *ud) {
  OpenCtx *o = ud;
  if (!o->dir) {   /* the copy embedded at build time */
    size_t len;
    const char *text = embedded_stdlib("init", &len);
    if (!text) hx_error_at(h, NOLOC, "this build has no embedded standard library");
    load_module_text(h, "stdlib/init.lua", text, len, NOLOC, 1);
    return;
  }
  size_t n = strlen(o->dir);
  char *path = arena_alloc(h, &h->temp, n + sizeof "/init.lua");
  memcpy(path, o->dir, n);
  memcpy(path + n, "/init.lua", sizeof "/init.lua");
  load_module(h, path, NOLOC, 1);
}

static void set_err(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
}

int luabridge_open(H *h, char *err, size_t errlen) {
  LuaBridge *b = mem_try_alloc(h, sizeof *b);
  if (!b) {
    set_err(err, errlen, "out of memory opening the Lua state");
    return -1;
  }
  memset(b, 0, sizeof *b);
  b->h = h;
  b->siteloc = NOLOC;
  b->ref_named = b->ref_errmt = b->ref_qtymt = b->ref_datemt = b->ref_entmt = LUA_NOREF;
  b->ref_named_checked = LUA_NOREF;
  b->ref_entcache = b->ref_loaded = b->ref_fnmap = b->ref_eint = b->ref_elimit = LUA_NOREF;
  b->ref_entkeep = LUA_NOREF;
  lua_State *L = lua_newstate(l_alloc, b);
  if (!L) {
    mem_free(h, b, sizeof *b);
    set_err(err, errlen, "out of memory opening the Lua state");
    return -1;
  }
  *(LuaBridge **)lua_getextraspace(L) = b;
  lua_atpanic(L, l_panic);
  /* Calls from hedge leave short-lived garbage (named-argument tables,
  ** results): the generational collector handles that at a fraction of the
  ** incremental one's cost. */
  lua_gc(L, LUA_GCGEN, 0, 0);
  b->L = L;
  h->lua = b;
  lua_pushcfunction(L, l_setup);
  lua_pushlightuserdata(L, b);
  int st = lua_pcall(L, 1, 0, 0);
  if (st != LUA_OK) {
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error";
    if (err && errlen) snprintf(err, errlen, "cannot set up Lua: %s", st == LUA_ERRMEM ? "out of memory" : m);
    luabridge_close(h);
    return -1;
  }
  {
    OpenCtx o = {h->stdlib_dir};
    ArenaMark mk = arena_mark(&h->temp);
    int hs = hx_pcall(h, open_stdlib_work, &o);
    arena_release(h, &h->temp, mk);
    if (hs != HEDGE_OK) {
      set_err(err, errlen, h->err.p ? h->err.p : "cannot load the standard library");
      luabridge_close(h);
      return -1;
    }
  }
  /* from here on Lua code counts steps and sees interrupts (hook_sync) */
  lua_sethook(L, l_hook, LUA_MASKCOUNT, LB_HOOK_COUNT);
  return 0;
}

void luabridge_close(H *h) {
  LuaBridge *b = h->lua;
  if (!b) return;
  b->closing = 1;
  if (b->L) {
    lua_sethook(b->L, NULL, 0, 0);
    lua_close(b->L);
    b->L = NULL;
  }
  h->lua = NULL;
  mem_free(h, b, sizeof *b);
}
