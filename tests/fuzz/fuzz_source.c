/*
** fuzz_source.c: source text through the public API, with limits set and
** no capability (no files, no FFI, no Lua io): load it, and when it loads,
** check its rules (text, JSON, --explain), run its tests and evaluate an
** expression in its world. Every outcome must be a status and a message;
** the state must stay usable (fuzz_reset checks it).
*/
#include "fuzz.h"

static Fuzz F;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hedge_State *H = fuzz_state(&F);
  char *src = fuzz_text(data, size);
  int st = hedge_load_string(H, "fuzz.hedge", src);
  if (st == HEDGE_OK) {
    hedge_Report *r = NULL;
    st = hedge_check_ex(H, NULL, NULL, (int)(size & 1), &r);
    if (r) {
      (void)hedge_report_json(H, r);
      (void)hedge_report_text(H, r, (int)(size & 2));
      hedge_report_free(H, r);
    }
    const char *text = NULL;
    (void)hedge_test(H, (int)(size & 4), &text, NULL, NULL);
    (void)hedge_eval(H, "count(p in partners) + count(d in deals)", NULL);
  } else {
    const char *m = hedge_errmsg(H);
    if (!m || !m[0]) abort();   /* an error always has a message */
  }
  free(src);
  fuzz_reset(&F);
  return 0;
}
