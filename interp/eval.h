/*
** eval.h: the evaluator (eval.c): expressions of a resolved program in a
** frame of slots, calls, collections, unit arithmetic, the step and time
** limits.
*/
#ifndef EVAL_H
#define EVAL_H
#include "prog.h"

/* Arithmetic with the unit rules of docs/language.md, Units and quantities (also used by the Lua
** bridge's metamethods). */
Value eval_arith(H *h, BinOp op, Value a, Value b, Loc loc);

/* Evaluation of a resolved expression in a frame of slots. */
Value eval(H *h, Node *n, Value *slots);
/* eval of a binary node n (N_BIN) that also hands back its operands' values
** in *a and *b: a failing rule's explanation shows them, and evaluating
** them again (every binding under --compare) doubled the rules' cost. */
Value eval_keeping_operands(H *h, Node *n, Value *slots, Value *a, Value *b);
/* Evaluates a root expression (resolved, with its nslots). */
Value eval_root(H *h, Node *n, int nslots);
/* Re-evaluates a `let` that reads the world in the world as it is now
** (base or scenario; with the scenario's own definition if it has one). */
void eval_let_refresh(H *h, Global *g);
/* Calls a function value with positional and named arguments. */
Value eval_call_function(H *h, Function *f, CallArgs *a);
/* Iterates over a collection value (list or T_COLL), calling fn for each
** element; fn returns 0 to stop. */
typedef int (*IterFn)(H *h, Value item, void *ud);
void eval_iterate(H *h, Value coll, Loc loc, IterFn fn, void *ud);
/* Length and element of a collection value. */
uint32_t eval_coll_len(H *h, Value v);
Value eval_coll_get(H *h, Value v, uint32_t i);

/* Raises the step or time limit that was passed ("time limit of 5 s
** reached", "step limit reached (N evaluation steps)") at loc. */
_Noreturn void eval_limit_error(H *h, Loc loc);
void eval_step_check(H *h, Loc loc);
/* Steps and interrupt: called on every node evaluated (cheap). Remembers
** the node's place, so that running out of memory is a located error. */
static inline void hx_step(H *h, Loc loc) {
  h->here = loc;
  if ((++h->steps & (HX_CHECK_INTERVAL - 1)) == 0) eval_step_check(h, loc);
  hx_check_stack(h, loc);
}

#endif
