/*
** fuzz_csv.c: CSV files through `load`. The input's first byte picks what
** is loaded (partners, commodities, deals or loans, with or without a
** mapping and units); the rest is the file, written to a temporary folder
** that is the state's only file root. The record limit is 4 KiB, so long
** records take the error path; a quote-free file of deals or loans is read
** in two halves (HEDGE_LOAD_THREADS=2). A file that loads is then queried
** (aggregates over it, a rule, JSON output of its names).
*/
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"

static Fuzz F;
static char dir[64], path[128];

static void setup(hedge_State *H) {
  if (hedge_load_string(H, "setup.hedge",
        "partner A, B, C, PAK, CHN\ncommodity c, d, oil\n"
        "unit PKR = 0.0036 USD\n") != HEDGE_OK) abort();
}

static const char *const programs[] = {
  "load partners from \"f.csv\"\n",
  "load commodities from \"f.csv\" { key: name }\n",
  "load deals from \"f.csv\"\n",
  "load deals from \"f.csv\" { exporter: from, importer: to, value: usd USD, date: year }\n",
  "load deals from \"f.csv\" { value: value PKR, volume: volume t }\n",
  "load loans from \"f.csv\"\n",
  "load loans from \"f.csv\" { lender: creditor, borrower: debtor, principal: amount USD, term: years years }\n",
  "load partners from \"f.csv\" { key: iso, gdp: gdp USD }\n",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/hedge-fuzz-csv-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/f.csv", dir);
    F.setup = setup;
    F.caps = HEDGE_CAP_FILES;
    F.roots = dir;
    F.max_record = 4096;
    /* a file of deals or loans with no quote is read in two halves, however
    ** small: the pre-pass, both threads' scanners and the compaction of
    ** blank lines and skipped rows see every such input (a file with a
    ** quote is read in one thread, by spans and csv_next in turn) */
    F.load_threads = 2;
  }
  if (size == 0) return 0;
  const char *prog = programs[data[0] % (sizeof programs / sizeof programs[0])];
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  fwrite(data + 1, 1, size - 1, f);
  fclose(f);
  hedge_State *H = fuzz_state(&F);
  char src[512];
  snprintf(src, sizeof src, "%s", prog);
  /* the program sits in the folder, so "f.csv" is found beside it */
  char name[128];
  snprintf(name, sizeof name, "%s/load.hedge", dir);
  int st = hedge_load_string(H, name, src);
  if (st == HEDGE_OK) {
    (void)hedge_eval(H, "count(p in partners) + count(d in deals) + count(l in loans)", NULL);
    (void)hedge_eval(H, "sum(d in deals: d.value)", NULL);
    (void)hedge_eval(H, "list(p in partners: p)", NULL);
    if (hedge_load_string(H, "q.hedge", "rule r: forall p in partners: imports(p) >= 0 USD\n") == HEDGE_OK) {
      hedge_Report *r = NULL;
      hedge_check(H, NULL, NULL, &r);
      if (r) {
        (void)hedge_report_json(H, r);
        hedge_report_free(H, r);
      }
    }
  } else if (!hedge_errmsg(H)[0]) abort();
  fuzz_reset(&F);
  return 0;
}
