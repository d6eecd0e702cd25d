/*
** lbint.h: what the three files of the Lua bridge share (not for the rest of
** hedge, which sees luabridge.h): the bridge's state, the userdata payloads,
** and the functions one of them defines for the others. luabridge.c keeps the
** Lua state, errors both ways and calls both ways; lbvalue.c converts values
** and holds the userdata metamethods; lbmodule.c is the `hedge` Lua module.
** The two contexts (Lua context, hedge context) are described at the top of
** luabridge.c and hold in every file.
*/
#ifndef LBINT_H
#define LBINT_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>
#include "core.h"
#include "value.h"
#include "units.h"
#include "ast.h"
#include "world.h"
#include "hfile.h"
#include "eval.h"
#include "stdfast.h"
#include "date.h"
#include "embedded.h"


/* VM instructions between two looks at the interrupt flag and the step
** limit; each Lua instruction is charged as one evaluation step (cheaper
** than a hedge step, so this is generous to hedge's budget). */
#define LB_HOOK_COUNT 10000

/* Deepest Lua table converted to a hedge value: deeper is surely a cycle. */
#define LB_MAX_NEST HX_MAX_NESTING

static const Loc NOLOC = {-1, 0, 0};

static const char *const ekind_name[K_NKINDS] = {"partner", "commodity", "deal", "loan"};

struct LuaBridge {
  lua_State *L;          /* the main thread */
  H *h;
  lua_State *cur;        /* thread of the innermost bridge function now running
                            hedge code (NULL: none, use L) */
  Node *site;            /* innermost hedge call site that entered Lua */
  Loc siteloc;           /* where Lua was entered when site is NULL (`use`) */
  int broken;            /* a Lua panic happened: the state is unusable */
  int closing;           /* lua_close is running finalizers */
  int cap_hit;           /* the last failed Lua allocation hit the memory cap */
  int hook_fast;         /* the count hook was set to every instruction */
  /* registry references */
  int ref_named, ref_errmt, ref_qtymt, ref_datemt, ref_entmt;
  int ref_named_checked; /* metatable of named-argument tables the bridge has
                            checked already; its __metatable is NAMED */
  int ref_entcache, ref_loaded, ref_fnmap, ref_eint, ref_elimit;
  int ref_entkeep;       /* partners and commodities, anchored: few, and
                            pushed over and over by the standard library */
  /* the metatables' addresses, for quick type tests (Lua does not move
  ** objects, and the registry keeps them alive) */
  const void *named_p, *errmt_p, *qtymt_p, *datemt_p, *entmt_p;
};
typedef struct LuaBridge LuaBridge;

/* Userdata payloads */
typedef struct LQty { double v; int dim; } LQty;
typedef struct LDate { int32_t days; int prec; } LDate;
/* An entity handle: kind, row, and how many cuts of its table it has
** seen (world_row_current): a handle kept across a scenario whose rows were
** rolled back and reused reads as "no longer exists", never as another
** entity. */
typedef struct LEnt { int kind; uint32_t row; uint32_t seen; } LEnt;

enum { UD_NONE, UD_QTY, UD_DATE, UD_ENT };


static inline LuaBridge *getb(lua_State *L) { return *(LuaBridge **)lua_getextraspace(L); }

/* A conversion of Lua values to hedge values in progress (lbvalue.c). */
typedef struct Conv {
  LuaBridge *b;
  lua_State *L;
  Loc loc;            /* where conversion errors are reported */
  const char *who;    /* prefix of messages ("in Lua function f"), or NULL */
  int returning;      /* a result (not an argument) is being converted */
} Conv;

/* ---- defined in one file of the bridge, used by another (each with its
** contract comment at its definition) ---- */
void lb_push_qty(lua_State *L, LuaBridge *b, double x, int dim);
void lb_push_date(lua_State *L, LuaBridge *b, int32_t days, int prec);
void lb_push_entity(lua_State *L, LuaBridge *b, int kind, uint32_t row);
void lb_push_collection(lua_State *L, LuaBridge *b, int kind);
void lb_push_function(lua_State *L, LuaBridge *b, Function *f);
void lb_push_value(lua_State *L, LuaBridge *b, Value v);
int lb_scalar(lua_State *L, LuaBridge *b, int idx, Value *v);
_Noreturn void lb_conv_fail(Conv *c, const char *fmt, ...);
Value lb_to_value(Conv *c, int idx, int depth);
int lb_key_is(const char *k, size_t n, const char *lit);
int lb_print(lua_State *L);
int lb_load_text(lua_State *L);
int lb_err_tostring(lua_State *L);
int lb_udkind(lua_State *L, LuaBridge *b, int idx, void **out);
int lb_has_mt(lua_State *L, int idx, const void *mt);
int lb_dim_ok(H *h, int dim);
int lb_ent_valid(H *h, LEnt *e);
Function *lb_lookup_fn(H *h, HStr *name);
int lb_bpcall(lua_State *L, LuaBridge *b, void (*fn)(H *h, void *ud), void *ud);
void lb_push_errobj(lua_State *L, LuaBridge *b, int status, int located);
int lb_raise_hedge(lua_State *L, LuaBridge *b, int st, int note);
int lb_named_checked(lua_State *L);
int lb_hcall(lua_State *L);
int lb_call(lua_State *L);
extern const luaL_Reg lb_qty_meta[], lb_date_meta[], lb_ent_meta[];   /* lbvalue.c */
extern const luaL_Reg lb_hedge_funcs[];                               /* lbmodule.c */

#endif
