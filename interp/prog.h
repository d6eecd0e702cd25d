/*
** prog.h: the program as data (prog.c): globals, functions, rules,
** scenarios and tests as declared, the table of built-in functions, the
** source files read, and marks to roll a program back. Everything of the
** program layer sees these types; running statements is exec.h.
*/
#ifndef PROG_H
#define PROG_H
#include "core.h"
#include "value.h"
#include "ast.h"
#include "world.h"

/* What a global name denotes. */
typedef enum { G_LET, G_ENTITY, G_FUNC, G_RULE, G_SCENARIO, G_UNIT } GlobalKind;

typedef struct Global {
  HStr *name;
  GlobalKind kind;
  Value value;           /* G_LET: its value; G_ENTITY: the entity; G_FUNC: the function */
  Loc loc;               /* where declared */
  int ready;             /* G_LET: evaluated */
  /* G_LET that reads the world (a call of a stdlib function, a collection,
  ** a field): re-evaluated in the world it is read in, base or scenario,
  ** whenever that world changed since (version). A scenario's own `let`
  ** of the name sets scen_expr for the time the scenario is applied. */
  Node *expr; int nslots;
  Node *scen_expr; int scen_nslots;
  int world_dep;
  uint64_t version;
} Global;

/* Kinds of callable. */
typedef enum { F_USER, F_BUILTIN, F_LUA, F_EXTERN, F_HOST } FuncKind;

typedef struct CallArgs CallArgs;
typedef Value (*BuiltinFn)(H *h, CallArgs *a);

typedef struct Function {
  HStr *name;            /* first: value.c prints a function by it (v_fn_name) */
  FuncKind kind;
  Loc loc;
  ParamList params;      /* F_USER, F_EXTERN, F_HOST */
  Node *body;            /* F_USER */
  int nslots;            /* F_USER: frame size after resolution */
  int resolved;          /* F_USER: 0 not yet, 1 doing it, 2 done */
  BuiltinFn builtin;     /* F_BUILTIN */
  int aggregate;         /* F_BUILTIN: takes a comprehension natively */
  int lazy;              /* F_BUILTIN: yoy, prior: take their argument, a
                            call, unevaluated (eval.c re-runs it a year back) */
  int pairs;             /* F_BUILTIN: given a comprehension with a body, wants
                            the bindings as its last positional argument and
                            the body's values in CallArgs.keys (sort, top) */
  int lua_ref;           /* F_LUA: registry reference */
  int fast;              /* F_LUA: a standard function answered natively in
                            its plain forms (stdfast.h); 0: always Lua */
  int named_fast;        /* F_LUA: params holds its named parameters with the
                            types the bridge can check (ffi_type: 1 partner,
                            2 commodity, 3 year; 0 any other) */
  void *ffi;             /* F_EXTERN: HffiFn */
  /* F_EXTERN: frees what the binding holds (extern.c sets it), called by
  ** prog_free and prog_rollback, which so need not know libffi */
  void (*release)(struct Function *f);
  int ret_type;          /* F_EXTERN */
  hedge_CFunction host;  /* F_HOST */
  void *host_ud;
  const char *usage, *doc;   /* for :help */
  const char *origin;    /* F_LUA: "the standard library PATH" or "Lua extension PATH" */
} Function;

/* Arguments as a builtin sees them. */
struct CallArgs {
  Node *call;            /* the call node (location, text) */
  Value *pos; int npos;
  HStr **names; Value *named; int nnamed;
  List *keys;            /* Function.pairs: the comprehension body's value per
                            binding (NULL: no comprehension or no body) */
};

typedef struct Rule {
  HStr *name, *title;
  Node *node;            /* S_RULE */
  int warn;
  int linted;            /* resolve_lint_rule ran on this node */
} Rule;

typedef struct Scenario {
  HStr *name, *title, *parent;
  Node *node;
  Loc loc;
} Scenario;

typedef struct Test { HStr *name; Node *node; } Test;

/* Rows a load skipped on purpose, by reason: check and run report them. */
typedef struct LoadNote {
  HStr *file; Loc loc; uint32_t loaded;
  int n; HStr *reason[8]; long long count[8];
} LoadNote;

/* Calls from the program's lower modules into higher ones (the hooks of
** docs/internals.md, The layers). The evaluator must call a Lua function
** and read a cell of the row being loaded, but the Lua bridge and the
** loader sit above it (they call the evaluator): the type is declared here,
** and hedge_open (api.c) fills in every entry with those modules' functions
** before anything runs, so an entry is never NULL. */
typedef struct ProgHooks {
  /* luabridge_call (luabridge.c): calls Lua function f (F_LUA) */
  Value (*call_lua)(H *h, Function *f, CallArgs *a);
  /* load_cell (load.c): `row.NAME` in a computed field, column col of the
  ** row being loaded */
  Value (*load_cell)(H *h, int col, Loc loc);
} ProgHooks;

typedef struct Program {
  VEC(Global *) globals;     /* in declaration order */
  Global **gtab; uint32_t gcap, gn;    /* hash of globals by name */
  VEC(Rule) rules;
  VEC(Scenario) scenarios;
  VEC(Test) tests;
  VEC(Function *) builtins;  /* C builtins, stdlib (Lua) and host functions */
  Function **btab; uint32_t bcap;
  VEC(HStr *) loaded;        /* imported/used paths (loaded once) */
  VEC(HStr *) read;          /* every file read, kept after a failed load (hedge_files) */
  VEC(Value) stack;          /* frames of slots */
  uint32_t sp;
  WorldMark base;            /* world before a scenario */
  /* a scenario's `let` of a declared name: the global's state before, put
  ** back by prog_rollback */
  VEC(struct LetUndo { Global *g; Value value; uint64_t version; Node *scen_expr; int scen_nslots; }) letlog;
  /* standard or extension functions replaced on purpose: every report lists them */
  VEC(struct Override { HStr *name; const char *was; const char *by; }) overrides;
  /* the scenario applied last: rows its drops removed, by kind, and the deals
  ** and loans that went with a dropped partner or commodity */
  uint32_t dropped[K_NKINDS], dropped_with[2];
  VEC(Node *) prints;        /* the files' top-level print statements, in order */
  VEC(LoadNote) load_notes;  /* skipped rows of the loads so far */
  ProgHooks hooks;           /* calls up the layers (above) */
} Program;

void prog_init(H *h);
void prog_free(H *h);
Global *prog_global_find(H *h, HStr *name);
Global *prog_global_add(H *h, HStr *name, GlobalKind kind, Value v, Loc loc);
Function *prog_builtin_find(H *h, HStr *name);
Function *prog_builtin_add(H *h, const char *name, BuiltinFn fn, int aggregate, const char *usage, const char *doc);

/* Records that name (from was) is replaced on purpose by by_path (used at
** by_loc): reports list it. */
void prog_override_note(H *h, HStr *name, const char *was, const char *by_path, Loc by_loc);

/* Path resolution for import/use/load: relative to the including source,
** then the search path. Returns an arena string or NULL. */
char *prog_find_file(H *h, int src, const char *path, int use_search);
/* Reads a whole file into a new source; returns its index or raises. */
int prog_source_add_file(H *h, const char *path, Loc from);
/* The same from an open descriptor (not closed here; fd < 0: open path). */
int prog_source_add_fd(H *h, int fd, const char *path, Loc from);

int prog_source_add_string(H *h, const char *name, const char *text, size_t len);
/* Scenarios by name (declared in the program). */
Scenario *prog_scenario_find(H *h, HStr *name);
/* The scenario of that name, or an error with "did you mean". */
Scenario *prog_scenario_need(H *h, const char *name);

/* Program marks: a failed load, a scenario or a test adds nothing for good. */
typedef struct ProgMark {
  WorldMark world;
  uint32_t nglobals, nrules, nscen, ntests, nunits, nloaded, nsources, nbuiltins, nletlog, noverrides, nprints;
  int nbase;
  int fy_start; Loc fy_loc;   /* the fiscal year declared so far */
} ProgMark;
ProgMark prog_mark(H *h);
void prog_rollback(H *h, ProgMark m);


#endif
