/*
** ffi.h: calling C functions by name through libffi (`extern` declarations).
**
** Type mapping (hedge type -> C type at the call):
**   int    -> int           long -> long          double -> double
**   bool   -> _Bool (C99 bool; 1 byte in the ABI, only the low byte of the
**             return register is defined, so a C function returning int
**             must be declared `-> int`, not `-> bool`)
**   string -> const char * (NUL-terminated; a returned pointer is not freed
**             or owned: the caller copies it)
**   void   -> void (return type only)
** HffiValue carries int, long and bool in .i, double in .d, string in .s.
**
** Library rules: no global mutable state, no printing, no exit; the HffiFn
** is allocated through the hx_Alloc hook. Link with -lffi -ldl.
*/
#ifndef HX_FFI_H
#define HX_FFI_H

#include <stddef.h>

#ifndef HX_ALLOC_DEFINED
#define HX_ALLOC_DEFINED
/* Same contract as lua_Alloc: nsize == 0 frees ptr and returns NULL;
** otherwise (re)allocates, returning NULL on failure (ptr left intact). */
typedef void *(*hx_Alloc)(void *ud, void *ptr, size_t osize, size_t nsize);
#endif

/* Most parameters an extern may declare (libffi has no limit; this keeps the
** argument arrays on the stack). */
#define HFFI_MAX_PARAMS 16

typedef enum { HFFI_INT, HFFI_LONG, HFFI_DOUBLE, HFFI_BOOL, HFFI_STRING, HFFI_VOID } HffiType;
typedef union HffiValue {
  long long i;
  double d;
  const char *s;
} HffiValue; /* int, long, bool use i */
typedef struct HffiFn HffiFn;

/* Parses a type name ("int","long","double","bool","string","void");
** returns 0 and sets *t, or -1 if unknown. */
int hffi_type_from_name(const char *name, size_t len, HffiType *t);

/* "int", "long", ...; "?" for a value outside the enum. */
const char *hffi_type_name(HffiType t);

/* dlopen(lib, RTLD_NOW|RTLD_LOCAL) + dlsym(sym) + ffi_prep_cif. lib == NULL
** means the running program itself (dlopen(NULL): its exported symbols and
** the libraries it links), which lets a host expose its own functions.
** At most HFFI_MAX_PARAMS params; void is only valid as the return type.
** On failure returns NULL with a message in err, e.g.
** "cannot load library 'libdoesnotexist.so.9': <dlerror text>" or
** "library 'libm.so.6' has no symbol 'cbrtx'". */
HffiFn *hffi_bind(const char *lib, const char *sym, const HffiType *params, int nparams, HffiType ret, hx_Alloc alloc,
                  void *ud, char *err, size_t errlen);

int hffi_nparams(const HffiFn *f);
HffiType hffi_param(const HffiFn *f, int i);
HffiType hffi_ret(const HffiFn *f);

/* Calls f with already type-checked args (hffi_nparams(f) of them). int
** arguments are converted to int, long to long, bool to 0/1. The result
** goes to *ret: .i for int/long/bool (bool as 0 or 1, int sign-extended),
** .d for double, .s for string (the C pointer itself, NULL if the function
** returned NULL), .i = 0 for void. Returns 0. */
int hffi_call(HffiFn *f, const HffiValue *args, HffiValue *ret);

/* Frees f and dlcloses its library. NULL is allowed. */
void hffi_free(HffiFn *f);

#endif

/* This header shares its name with libffi's <ffi.h>. When interp/ is on the
** include path (-Iinterp), ffi.c's #include <ffi.h> lands here again; this
** block, outside the include guard, then forwards to the next ffi.h on the
** path, libffi's. (-iquote interp avoids the detour altogether.) */
#if defined(HFFI_INCLUDING_LIBFFI) && !defined(LIBFFI_H) && (defined(__GNUC__) || defined(__clang__))
#pragma GCC system_header /* only the line below: no -Wpedantic complaint */
#include_next <ffi.h>
#endif
