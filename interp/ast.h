/*
** ast.h: the syntax tree. Every node keeps its location (file:line:col) and
** its byte span in the source, so reports can quote `imports(F, from: p)`
** exactly as written. The resolver rewrites name nodes in place into what
** they denote (a local slot, a global, a constant).
*/
#ifndef AST_H
#define AST_H
#include "core.h"
#include "value.h"

typedef enum {
  /* expressions */
  N_NUM, N_QTY, N_STR, N_DATE, N_BOOL, N_NIL, N_NAME, N_LIST, N_REC,
  N_FIELD, N_INDEX, N_SLICE, N_CALL, N_NEG, N_NOT, N_BIN, N_AND, N_OR, N_IF, N_QUANT, N_COLUMN,
  /* produced by the resolver */
  N_LOCAL, N_GLOBAL, N_CONST, N_COLL,
  N_CELL,      /* a load's computed field reads a cell of the row: row.NAME */
  /* statements */
  S_UNIT, S_ENTITY, S_LET, S_FN, S_RULE, S_PRINT, S_IMPORT, S_USE, S_EXTERN,
  S_LOAD, S_SCENARIO, S_TEST, S_EXPR, S_DROP, S_UPDATE, S_EXPECT,
  S_GROUP, S_FISCAL
} NodeKind;

/* binary operators (N_BIN) */
/* arithmetic first (up to OP_POW), then comparisons from OP_EQ: code tests `op < OP_EQ` */
typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN } BinOp;

typedef struct Node Node;
typedef VEC(Node *) NodeList;

/* `x in COLL` */
typedef struct Binder { HStr *name; Node *coll; Loc loc; int slot; } Binder;
typedef VEC(Binder) BinderList;

/* A comprehension: binders, optional where, optional `: expr`. */
typedef struct Compr { BinderList binders; Node *where; Node *body; Node *by; } Compr;   /* by: `sum(...) by KEY` */

/* name: value pairs of a record literal or of named arguments */
typedef struct Field { HStr *name; Node *value; Loc loc; } Field;
typedef VEC(Field) FieldList;

typedef struct Param { HStr *name; Node *def; Loc loc; int ffi_type; } Param;
typedef VEC(Param) ParamList;

struct Global; struct Function; struct Scenario;

/* How a load mapping entry finds its value, beyond `field: COLUMN [UNIT]`
** (docs/data.md): a computed field `field: = EXPR`, a code mapped through
** a field of the declared entities (`via name`) or a table file (`via
** "t.csv" FROM -> TO`), zero padding (`pad 6`), one entity per column of a
** wide table (`each "FY*"`). */
typedef struct ColSpec {
  struct Node *expr; int nslots;      /* computed: `= EXPR` (NULL: a column) */
  HStr *via_field;                    /* via NAME: a field of the entities */
  HStr *via_file, *via_from, *via_to, *via_name; Loc via_loc;   /* via "FILE" FROM -> TO */
  int pad;                            /* pad N: digits padded with zeros to N */
  double scale;                       /* `M USD`: the scale word before the unit (0: none) */
  HStr *each;                         /* each "PATTERN": the wide columns, `*` the period */
} ColSpec;

/* Options of a load beyond the field entries (docs/data.md). */
typedef struct LoadOpts {
  struct Node *where; int where_slots; Loc where_loc;
  VEC(HStr *) missing;                /* tokens read as a missing cell (never in code columns) */
  VEC(HStr *) missing_cols;           /* when not empty: only these columns take the tokens */
  char sep, decimal, thousands;       /* 0: the defaults (',' '.' none) */
  int declare;                        /* 1 << K_PARTNER | 1 << K_COMMODITY: declare unknown codes */
  int unmapped_skip;                  /* rows whose code maps to nothing are skipped and counted */
  int preset;                         /* LP_NONE, LP_BACI, LP_ISO3166 */
  HStr *countries; Loc countries_loc; /* as baci { countries: "FILE" } */
  FieldList aliases;                  /* aliases: { "Name": CODE }: names for via-mapped columns */
} LoadOpts;
enum { LP_NONE, LP_BACI, LP_ISO3166 };

struct Node {
  NodeKind kind;
  Loc loc;
  int start, end;          /* source span */
  union {
    struct { double v; int flags; } num;                       /* N_NUM */
    struct { double v; HStr *unit; Value q; Loc uloc; } qty;    /* N_QTY: q after resolve; uloc: the unit */
    HStr *str;                                                 /* N_STR */
    struct { int32_t days; int prec; } date;                   /* N_DATE */
    int b;                                                     /* N_BOOL */
    HStr *name;                                                /* N_NAME */
    NodeList items;                                            /* N_LIST */
    FieldList fields;                                          /* N_REC */
    struct { Node *obj; HStr *name; } field;                   /* N_FIELD */
    struct { Node *obj, *index; } index;                       /* N_INDEX */
    struct { Node *obj, *lo, *hi; } slice;                     /* N_SLICE: xs[lo:hi], either may be NULL */
    struct { Node *fn; NodeList args; FieldList named; Compr *compr; } call; /* N_CALL */
    Node *operand;                                             /* N_NEG, N_NOT */
    struct { BinOp op; Node *l, *r; } bin;                     /* N_BIN, N_AND, N_OR */
    struct { Node *c, *t, *e; } cond;                          /* N_IF */
    struct { int exists; Compr c; } quant;                     /* N_QUANT */
    struct { int slot; HStr *name; } local;                    /* N_LOCAL */
    struct { struct Global *g; } global;                       /* N_GLOBAL */
    struct { Value v; HStr *name; } cnst;                      /* N_CONST */
    struct { int kind; } coll;                                 /* N_COLL */
    struct { HStr *column; HStr *unit; struct ColSpec *x; } col; /* N_COLUMN (load mappings); x: NULL for plain `field: COLUMN [UNIT]` */
    struct { int col; HStr *name; } cell;                      /* N_CELL: column index in the load's header */

    /* statements */
    struct { HStr *name; HStr *of; double factor; Loc nameloc, ofloc; } unit; /* S_UNIT: unit N [= f OF] */
    struct { int ekind; HStr *name; Node *rec; Loc nameloc; } ent;  /* S_ENTITY */
    struct { HStr *name; Node *value; Loc nameloc; } let;      /* S_LET, S_GROUP */
    struct { HStr *name; ParamList params; Node *body; int ret_type; HStr *lib; Loc nameloc; } fn; /* S_FN, S_EXTERN */
    struct { HStr *name; HStr *title; Node *body; int warn; Loc nameloc; } rule; /* S_RULE */
    Node *expr;                                                /* S_PRINT, S_EXPR */
    struct { HStr *path; int is_name; Loc pathloc; } import;   /* S_IMPORT, S_USE */
    struct { int ekind; HStr *path; FieldList map; HStr *key; struct LoadOpts *opt; } load;  /* S_LOAD; map value: N_COLUMN; opt: NULL when none */
    struct { HStr *name; HStr *title; HStr *parent; NodeList body; Loc parentloc, nameloc; } scen; /* S_SCENARIO, S_TEST (the Locs last: a node is 96 bytes, not 104) */
    struct { Binder b; Node *where; FieldList set; } drop;    /* S_DROP, S_UPDATE */
    struct { int what; HStr *rule; Node *expr; } expect;       /* S_EXPECT: what 0 expr, 1 pass, 2 fail */
  } u;
  int nslots;              /* S_RULE / S_FN / expression roots: frame size */
};

/* Entity kinds (K_PARTNER ...): value.h */

/* ---- parser ---------------------------------------------------------------- */

/* Parses a whole source into statements (list and nodes in h->perm). Raises a
** located error on bad syntax; sets *incomplete when the error is that the
** input ended too early (the REPL then reads another line). */
void parse_program(H *h, int src, NodeList *out, int *incomplete);
/* Decides, as soon as a top-level statement is parsed, whether to run it now:
** returns 1 when it ran the n statements (`partner A, B` is two), 0 to leave
** them for later. */
typedef int (*ParseDeclHook)(H *h, Node **stmts, uint32_t n, void *ud);
/* parse_program for a file that runs as it is read (exec_source): each
** top-level statement is given to hook as soon as it is parsed; the ones it
** did not run are appended to out. A partner, commodity, deal, loan or unit
** statement is parsed into scratch, and dropped from it at once if the hook
** ran it (else the caller frees scratch after running it); every other
** statement's nodes are in h->perm. Raises as parse_program (the hook may
** raise too); nothing is ever incomplete here. */
void parse_program_streaming(H *h, int src, NodeList *out, Arena *scratch, ParseDeclHook hook, void *ud);
/* Parses one expression that must span the whole source. */
Node *parse_expression(H *h, int src, int *incomplete);

/* The source text of a node, for reports ("imports(F, from: p)"). */
const char *parse_node_text(H *h, const Node *n, size_t *len);
/* The same on one line (newlines and tabs as spaces, runs of spaces as
** one), copied into arena a. */
const char *parse_node_text_one_line(H *h, Arena *a, const Node *n);
/* The one-line text in out (cap >= 8 bytes): when it has cap - 4 bytes or more,
** its first cap - 4 and "..." (error messages and notes). */
void parse_node_text_short(H *h, const Node *n, char *out, size_t cap);

#endif
