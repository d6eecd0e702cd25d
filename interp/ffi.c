/*
** ffi.c: bind a C symbol once (dlopen + dlsym + ffi_prep_cif), call it many
** times. See ffi.h for the type mapping.
**
** Return values: libffi widens integral returns narrower than a register to
** a full ffi_arg (sign- or zero-extended per the declared type), so int and
** bool results are read from an ffi_arg-sized buffer, never from a 4- or
** 1-byte variable (that would be a buffer overflow on 64-bit targets).
*/
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "ffi.h"

#define HFFI_INCLUDING_LIBFFI 1
#include <ffi.h> /* libffi's (see the end of our ffi.h if -Iinterp is used) */
#ifndef LIBFFI_H
#error "libffi's <ffi.h> not found (install libffi-dev), or hidden by interp/ffi.h: use -iquote interp"
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct HffiFn {
  hx_Alloc alloc;
  void *ud;
  void *lib; /* dlopen handle */
  void (*fn)(void);
  ffi_cif cif;
  ffi_type *atypes[HFFI_MAX_PARAMS];
  HffiType params[HFFI_MAX_PARAMS];
  int nparams;
  HffiType ret;
};

static const char *const type_names[] = {"int", "long", "double", "bool", "string", "void"};

/* See ffi.h: the type named name[0..len) ("int", "double", ...). Returns 0, or -1 for no such type. */
int hffi_type_from_name(const char *name, size_t len, HffiType *t) {
  for (int i = 0; i <= (int)HFFI_VOID; i++) {
    if (strlen(type_names[i]) == len && memcmp(type_names[i], name, len) == 0) {
      *t = (HffiType)i;
      return 0;
    }
  }
  return -1;
}

/* See ffi.h: the name of t, "?" when out of range. */
const char *hffi_type_name(HffiType t) { return (unsigned)t <= (unsigned)HFFI_VOID ? type_names[t] : "?"; }

/* libffi's description of t (NULL for a value outside the enum). */
static ffi_type *ffi_type_of(HffiType t) {
  switch (t) {
    case HFFI_INT: return &ffi_type_sint;
    case HFFI_LONG: return &ffi_type_slong;
    case HFFI_DOUBLE: return &ffi_type_double;
    case HFFI_BOOL: return &ffi_type_uint8; /* _Bool: one byte, 0 or 1 */
    case HFFI_STRING: return &ffi_type_pointer;
    case HFFI_VOID: return &ffi_type_void;
  }
  return NULL;
}

/* Formats a message into the caller's err buffer, when there is one. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
put_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  if (!err || !errlen) return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* See ffi.h: checks the signature, dlopens lib (NULL: this program), finds sym
** and prepares the call interface once; every failure says which step failed. */
HffiFn *hffi_bind(const char *lib, const char *sym, const HffiType *params, int nparams, HffiType ret, hx_Alloc alloc,
                  void *ud, char *err, size_t errlen) {
  const char *libname = lib ? lib : "(this program)";
  void *h, *fp;
  HffiFn *f;
  const char *de;

  if (nparams < 0 || nparams > HFFI_MAX_PARAMS) {
    put_err(err, errlen, "'%s' has %d parameters; at most %d are supported", sym, nparams, HFFI_MAX_PARAMS);
    return NULL;
  }
  for (int i = 0; i < nparams; i++) {
    if (params[i] == HFFI_VOID || !ffi_type_of(params[i])) {
      put_err(err, errlen, "parameter %d of '%s' cannot be void", i + 1, sym);
      return NULL;
    }
  }
  if ((unsigned)ret > (unsigned)HFFI_VOID) {
    put_err(err, errlen, "'%s': invalid return type", sym);
    return NULL;
  }

  dlerror(); /* clear any earlier error */
  h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    de = dlerror();
    put_err(err, errlen, "cannot load library '%s': %s", libname, de ? de : "unknown error");
    return NULL;
  }
  dlerror();
  fp = dlsym(h, sym);
  if (!fp) {
    if (lib)
      put_err(err, errlen, "library '%s' has no symbol '%s'", lib, sym);
    else
      put_err(err, errlen, "this program has no symbol '%s'", sym);
    dlclose(h);
    return NULL;
  }
  f = alloc(ud, NULL, 0, sizeof *f);
  if (!f) {
    put_err(err, errlen, "cannot bind '%s': out of memory", sym);
    dlclose(h);
    return NULL;
  }
  memset(f, 0, sizeof *f);
  f->alloc = alloc;
  f->ud = ud;
  f->lib = h;
  /* object pointer to function pointer: allowed by POSIX for dlsym */
  memcpy(&f->fn, &fp, sizeof f->fn);
  f->nparams = nparams;
  f->ret = ret;
  for (int i = 0; i < nparams; i++) {
    f->params[i] = params[i];
    f->atypes[i] = ffi_type_of(params[i]);
  }
  if (ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)nparams, ffi_type_of(ret), f->atypes) != FFI_OK) {
    put_err(err, errlen, "cannot prepare a call to '%s' (libffi refused the signature)", sym);
    hffi_free(f);
    return NULL;
  }
  return f;
}

/* See ffi.h. */
int hffi_nparams(const HffiFn *f) { return f->nparams; }

/* See ffi.h: HFFI_VOID for i out of range. */
HffiType hffi_param(const HffiFn *f, int i) { return i >= 0 && i < f->nparams ? f->params[i] : HFFI_VOID; }

/* See ffi.h. */
HffiType hffi_ret(const HffiFn *f) { return f->ret; }

/* See ffi.h: converts args to the declared C types, calls, and reads the result
** from an ffi_arg-sized buffer (libffi widens narrow integral returns). */
int hffi_call(HffiFn *f, const HffiValue *args, HffiValue *ret) {
  union Arg {
    int i;
    long l;
    double d;
    unsigned char b;
    const char *s;
  } store[HFFI_MAX_PARAMS];
  void *avalues[HFFI_MAX_PARAMS];
  union {
    ffi_arg a; /* widened int, bool */
    ffi_sarg sa;
    long l;
    double d;
    void *p;
    char pad[16];
  } rv;

  for (int i = 0; i < f->nparams; i++) {
    switch (f->params[i]) {
      case HFFI_INT: store[i].i = (int)args[i].i; break;
      case HFFI_LONG: store[i].l = (long)args[i].i; break;
      case HFFI_DOUBLE: store[i].d = args[i].d; break;
      case HFFI_BOOL: store[i].b = args[i].i != 0; break;
      case HFFI_STRING: store[i].s = args[i].s; break;
      case HFFI_VOID: store[i].i = 0; break; /* rejected by hffi_bind */
    }
    avalues[i] = &store[i];
  }
  memset(&rv, 0, sizeof rv);
  ffi_call(&f->cif, f->fn, &rv, avalues);
  switch (f->ret) {
    case HFFI_INT: ret->i = (int)rv.sa; break;
    case HFFI_LONG: ret->i = sizeof(long) < sizeof(ffi_arg) ? (long)rv.sa : rv.l; break;
    case HFFI_DOUBLE: ret->d = rv.d; break;
    case HFFI_BOOL: ret->i = (unsigned char)rv.a != 0; break;
    case HFFI_STRING: ret->s = rv.p; break;
    case HFFI_VOID: ret->i = 0; break;
  }
  return 0;
}

/* See ffi.h: closes the library handle and frees f (NULL is a no-op). */
void hffi_free(HffiFn *f) {
  if (!f) return;
  if (f->lib) dlclose(f->lib);
  f->alloc(f->ud, f, sizeof *f, 0);
}
