/*
** eval.h: the program (globals, functions, rules, scenarios, tests) and the
** evaluator. Names are resolved once, before evaluation, into slots and
** globals; evaluation then never looks a name up by string.
*/
#ifndef EVAL_H
#define EVAL_H
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
} Global;

/* Kinds of callable. */
typedef enum { F_USER, F_BUILTIN, F_LUA, F_EXTERN, F_HOST } FuncKind;

typedef struct CallArgs CallArgs;
typedef Value (*BuiltinFn)(H *h, CallArgs *a);

typedef struct Function {
  FuncKind kind;
  HStr *name;
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
  int ret_type;          /* F_EXTERN */
  hedge_CFunction host;  /* F_HOST */
  void *host_ud;
  const char *usage, *doc;   /* for :help */
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
} Rule;

typedef struct Scenario {
  HStr *name, *title, *parent;
  Node *node;
  Loc loc;
} Scenario;

typedef struct Test { HStr *name; Node *node; } Test;

typedef struct Program {
  VEC(Global *) globals;     /* in declaration order */
  Global **gtab; uint32_t gcap, gn;    /* hash of globals by name */
  VEC(Rule) rules;
  VEC(Scenario) scenarios;
  VEC(Test) tests;
  VEC(Function *) builtins;  /* C builtins, stdlib (Lua) and host functions */
  Function **btab; uint32_t bcap;
  VEC(HStr *) loaded;        /* imported/used paths (loaded once) */
  VEC(Value) stack;          /* frames of slots */
  uint32_t sp;
  VEC(void *) ffi_handles;
  WorldMark base;            /* world before a scenario */
} Program;

void prog_init(H *h);
void prog_free(H *h);
Global *global_find(H *h, HStr *name);
Global *global_add(H *h, HStr *name, GlobalKind kind, Value v, Loc loc);
Function *builtin_find(H *h, HStr *name);
Function *builtin_add(H *h, const char *name, BuiltinFn fn, int aggregate, const char *usage, const char *doc);
/* Suggest a near global or builtin name for an unknown one. */
const char *suggest_name(H *h, HStr *name);

/* Resolution. Resolves an expression with no enclosing locals; returns the
** number of slots its frame needs. */
int resolve_expr(H *h, Node *n);
int resolve_with(H *h, Node *n, HStr **bound, int nbound);
void resolve_function(H *h, Function *f);
void resolve_rule(H *h, Rule *r);

/* Arithmetic with the unit rules of docs/language.md, Units and quantities (also used by the Lua
** bridge's metamethods). */
Value arith(H *h, BinOp op, Value a, Value b, Loc loc);

/* Evaluation of a resolved expression in a frame of slots. */
Value eval(H *h, Node *n, Value *slots);
/* Evaluates a root expression (resolved, with its nslots). */
Value eval_root(H *h, Node *n, int nslots);
/* Calls a function value with positional and named arguments. */
Value call_function(H *h, Function *f, CallArgs *a);
/* Iterates over a collection value (list or T_COLL), calling fn for each
** element; fn returns 0 to stop. */
typedef int (*IterFn)(H *h, Value item, void *ud);
void iterate(H *h, Value coll, Loc loc, IterFn fn, void *ud);
/* Length and element of a collection value. */
uint32_t coll_len(H *h, Value v);
Value coll_get(H *h, Value v, uint32_t i);

/* Running a program: executes one statement of a parsed source. */
void exec_statement(H *h, Node *s);
/* After a load: resolve every rule and function body, to report errors early. */
void finish_load(H *h);

/* Raises the step or time limit that was passed ("time limit of 5 s
** reached", "step limit reached (N evaluation steps)") at loc. */
_Noreturn void hx_limit_error(H *h, Loc loc);
void hx_step_check(H *h, Loc loc);
/* Steps and interrupt: called on every node evaluated (cheap). Remembers
** the node's place, so that running out of memory is a located error. */
static inline void hx_step(H *h, Loc loc) {
  h->here = loc;
  if ((++h->steps & (HX_CHECK_INTERVAL - 1)) == 0) hx_step_check(h, loc);
  hx_check_stack(h, loc);
}

/* Builtins (builtins.c) */
void builtins_init(H *h);
/* Loads a data file: S_LOAD (load.c) */
void exec_load(H *h, Node *s);
/* Scenario application (scenario.c) */
Scenario *scenario_find(H *h, HStr *name);
/* The scenario of that name, or an error with "did you mean". */
Scenario *scenario_need(H *h, const char *name);
void scenario_apply(H *h, Scenario *s, Loc loc);

/* Values of expressions used in messages: "5M USD", "PAK", ... */
const char *v_show(H *h, Value v, char *buf, size_t n);

/* Path resolution for import/use/load: relative to the including source,
** then the search path. Returns an arena string or NULL. */
char *find_file(H *h, int src, const char *path, int use_search);
/* Reads a whole file into a new source; returns its index or raises. */
int source_add_file(H *h, const char *path, Loc from);
/* The same from an open descriptor (not closed here; fd < 0: open path). */
int source_add_fd(H *h, int fd, const char *path, Loc from);

/* ---- files as a capability (files.c) -------------------------------------- */
/* Resolves hedge_Options.file_roots into h->file_roots (at open). */
void files_init(H *h, const char *roots);
/* Raises a located error unless the host granted HEDGE_CAP_FILES; what is
** "import", "use" or "load", path the file as written. */
void files_require(H *h, Loc at, int width, const char *what, const char *path);
/* Whether a script may read path (capability, roots, the host's hook);
** find_file skips candidates it may not read, so they "cannot be found". */
int files_allowed(H *h, const char *path, const char *what);
/* Opens path (shown: as the program wrote it) for what, a regular file
** only, and checks the opened file against the roots and the hook. Returns
** the descriptor, or raises a located error at `at`. */
int files_open(H *h, const char *path, const char *shown, Loc at, const char *what);
int source_add_string(H *h, const char *name, const char *text, size_t len);

/* Lua bridge (luabridge.c) */
int lua_bridge_open(H *h, char *err, size_t errlen);
void lua_bridge_close(H *h);
/* Makes running Lua code stop at its next instruction (async-signal-safe). */
void lua_bridge_interrupt(H *h);
void lua_use(H *h, const char *path, Loc loc);   /* loads an extension */
/* The same from an open descriptor, read once (closes fd). */
void lua_use_fd(H *h, int fd, const char *path, Loc loc);
Value lua_call_function(H *h, Function *f, CallArgs *a);

#endif
