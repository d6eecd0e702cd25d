/*
** outputs.h: what the output modules (table.c, junit.c, batch.c, html.c)
** share with the library's API layer.
*/
#ifndef OUTPUTS_H
#define OUTPUTS_H
#include "core.h"
#include "eval.h"
#include "exec.h"
#include "resolve.h"
#include "report.h"
#include "rules.h"
#include "scenario.h"

/* Runs f under the API's boundary (api.c): the program, the world and the
** temporaries are rolled back if it fails; returns its status. */
int api_guarded(H *h, void (*f)(H *h, void *ud), void *ud);

/* A JSON document on one line: the newlines and indentation between its
** tokens dropped (strings never hold a raw newline). */
void batch_json_one_line(H *h, Buf *out, const char *json);

/* Every binding of a `forall` chain (after its `where`s), as the checker
** of rules.c walks it (table.c). table_walk_init takes a resolved rule body or
** expression and its frame size; table_walk_run calls fn once per binding with
** the slots bound. */
struct Node; struct Compr;
typedef void (*BindingFn)(H *h, Value *slots, void *ud);
typedef struct Walk {
  struct Compr *chain[64]; int nchain;
  struct Node *pred;       /* what is left after the chain */
  Value *slots;
  int ci, bi;
  BindingFn fn; void *ud;
} Walk;
void table_walk_init(H *h, Walk *w, struct Node *body, int nslots);
void table_walk_run(H *h, Walk *w, BindingFn fn, void *ud);

/* Test results as a JUnit document into b (junit.c). */
void junit_tests(H *h, Buf *b, TestResults *r);

#endif
