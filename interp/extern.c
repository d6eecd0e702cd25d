/*
** extern.c: C functions declared with `extern` (docs/language.md, Extensions
** and foreign functions): binding the symbol through ffi.c when the
** declaration runs, converting arguments and results when it is called, and
** releasing the binding. exec.c checks the capability and the name first.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "extern.h"
#include "ffi.h"

/* Function.release of an extern function: frees the binding and closes its
** library (dlclose), once. */
static void extern_free(Function *f) {
  if (f->ffi) hffi_free(f->ffi);
  f->ffi = NULL;
}

/* Binds the declared symbol (library, name, parameter and return types) and
** adds the function to the globals; a bad type, a missing library or symbol
** is an error at the declaration. */
void extern_declare(H *h, Node *s) {
  HffiType params[HX_MAX_PARAMS], ret;
  for (uint32_t i = 0; i < s->u.fn.params.n; i++) {
    Node *t = s->u.fn.params.p[i].def;
    if (hffi_type_from_name(t->u.name->s, t->u.name->len, &params[i]) != 0 || params[i] == HFFI_VOID)
      hx_error_at(h, t->loc, "unknown parameter type '%s' (use int, long, double, bool or string)", t->u.name->s);
  }
  Node *rt = s->u.fn.body;
  if (hffi_type_from_name(rt->u.name->s, rt->u.name->len, &ret) != 0)
    hx_error_at(h, rt->loc, "unknown return type '%s' (use int, long, double, bool, string or void)", rt->u.name->s);
  char err[512];
  HffiFn *fn = hffi_bind(s->u.fn.lib->s, s->u.fn.name->s, params, (int)s->u.fn.params.n, ret, mem_hook, h, err, sizeof err);
  if (!fn) {
    /* hffi_bind's only allocation failure reads "cannot bind 'f': out of memory" */
    if (strstr(err, ": out of memory")) hx_error_status(h, HEDGE_EMEMORY, s->loc, "%s", err);
    hx_error_at(h, s->loc, "%s", err);
  }
  Function *f = arena_alloc(h, &h->perm, sizeof *f);
  memset(f, 0, sizeof *f);
  f->kind = F_EXTERN;
  f->name = s->u.fn.name;
  f->loc = s->loc;
  f->params = s->u.fn.params;
  f->ffi = fn;
  f->release = extern_free;
  prog_global_add(h, f->name, G_FUNC, v_fn(f), s->loc);
}

/* Calls an extern function: positional arguments only, each checked against
** its declared type (whole numbers for int and long, plain numbers for
** double, no NUL inside a string); a result that is not a finite number is
** an error. */
Value extern_call(H *h, Function *f, CallArgs *a) {
  Loc loc = a->call ? a->call->loc : f->loc;
  HffiFn *fn = f->ffi;
  int np = hffi_nparams(fn);
  if (a->nnamed) hx_error_at(h, loc, "%s is a C function: pass its arguments by position", f->name->s);
  if (a->npos != np) hx_error_at(h, loc, "%s takes %d argument%s, got %d", f->name->s, np, np == 1 ? "" : "s", a->npos);
  HffiValue args[HX_MAX_PARAMS], ret;
  char b1[80];
  for (int i = 0; i < np; i++) {
    Value v = a->pos[i];
    HffiType t = hffi_param(fn, i);
    switch (t) {
      case HFFI_INT: case HFFI_LONG:
        if (v.tag != T_NUM || v.as.num != floor(v.as.num) || fabs(v.as.num) > (t == HFFI_INT ? 2147483647.0 : 9.2e18))
          hx_error_at(h, loc, "%s: argument %d must be a whole number (%s), got %s", f->name->s, i + 1, hffi_type_name(t), v_show(h, v, b1, sizeof b1));
        args[i].i = (long long)v.as.num;
        break;
      case HFFI_DOUBLE:
        if (v.tag != T_NUM) hx_error_at(h, loc, "%s: argument %d must be a plain number (double), got %s", f->name->s, i + 1, v_typename(h, v, b1, sizeof b1));
        args[i].d = v.as.num;
        break;
      case HFFI_BOOL:
        if (v.tag != T_BOOL) hx_error_at(h, loc, "%s: argument %d must be true or false, got %s", f->name->s, i + 1, v_typename(h, v, b1, sizeof b1));
        args[i].i = v.as.b;
        break;
      case HFFI_STRING:
        if (v.tag != T_STR) hx_error_at(h, loc, "%s: argument %d must be a string, got %s", f->name->s, i + 1, v_typename(h, v, b1, sizeof b1));
        if (memchr(v.as.str->s, 0, v.as.str->len))
          hx_error_at(h, loc, "%s: argument %d holds a NUL character (\\u{0}); a C string would end there", f->name->s, i + 1);
        args[i].s = v.as.str->s;
        break;
      default: break;
    }
  }
  hffi_call(fn, args, &ret);
  switch (hffi_ret(fn)) {
    case HFFI_INT: case HFFI_LONG: return v_num((double)ret.i);
    case HFFI_DOUBLE:
      if (!isfinite(ret.d)) hx_error_at(h, loc, "%s returned %s", f->name->s, isnan(ret.d) ? "not a number (NaN): hedge numbers are finite" : "an infinite number (number too large)");
      return v_num(ret.d);
    case HFFI_BOOL: return v_bool(ret.i != 0);
    case HFFI_STRING: return ret.s ? v_str(mem_newstr(h, &h->temp, ret.s, strlen(ret.s))) : v_nil();
    default: return v_nil();
  }
}
