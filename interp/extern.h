/*
** extern.h: C functions declared with `extern` (extern.c), called through
** libffi (ffi.c).
*/
#ifndef EXTERN_H
#define EXTERN_H
#include "prog.h"

/* Binds S_EXTERN statement s (exec.c has checked HEDGE_CAP_FFI and that the
** name is new) and adds the function to the globals; the function's
** release (prog.h) frees the binding and closes its library. */
void extern_declare(H *h, Node *s);
/* Calls extern function f with the arguments of a call. */
Value extern_call(H *h, Function *f, CallArgs *a);

#endif
