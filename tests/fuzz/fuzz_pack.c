/*
** fuzz_pack.c: damaged and hostile packs (docs/pack.md) through
** hedge_pack_use and the loads that replay from them.
**
** On the first input the harness writes a small world into a temporary
** folder (partners with a text column, deals with a text column, loans, a
** program with rules) and packs it with hedge_pack_begin/end. Each input is
** a list of edits of that good pack, 6 bytes each: a 32-bit offset (modulo
** the pack's size), an operation and a byte:
**   op % 4 == 0  xor the byte at the offset with the value
**   op % 4 == 1  write a 32-bit word there: 0, 1, 0xFFFFFFFF, the pack's
**                size, or the value itself, by the value's low bits
**   op % 4 == 2  cut the pack at the offset
**   op % 4 == 3  the same as 0, without resealing (checksums stay wrong)
** Unless an op 3 was seen, the checksums are then recomputed (every array
** named by the description, the description, the header), so that edits
** reach the checks behind the checksums: offsets, lengths, counts, entity
** ids, value tags, index cells. The pack is then used for the program's
** files, the rules checked and a scenario and a test run: every outcome
** must be a report or an error message, never a crash.
**
** A fresh state per input (a pack is given before any file loads, and
** its mapping lives as long as the state): slower than the other
** harnesses, a few hundred inputs a second.
*/
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "pack.h"

static char dir[64], prog[128], packf[128], work[128];
static unsigned char *good;
static size_t good_n;

static void write_file(const char *name, const char *text) {
  char p[192];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) abort();
}

static hedge_State *open_state(void) {
  hedge_Options o;
  memset(&o, 0, sizeof o);
  o.max_memory = FUZZ_MAX_MEMORY;
  o.max_steps = FUZZ_MAX_STEPS;
  o.max_seconds = FUZZ_MAX_SECONDS;
  o.capabilities = HEDGE_CAP_FILES;
  o.file_roots = dir;
  o.load_threads = 1;
  char err[512];
  hedge_State *H = hedge_open(&o, err, sizeof err);
  if (!H) { fprintf(stderr, "fuzz: cannot open a state: %s\n", err); abort(); }
  return H;
}

static void remove_world(void) {
  static const char *const names[] = {"partners.csv", "deals.csv", "loans.csv", "w.hedge", "good.hpk", "f.hpk"};
  char p[192];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    unlink(p);
  }
  rmdir(dir);
}

static void make_world(void) {
  snprintf(dir, sizeof dir, "/tmp/hedge-fuzz-pack-XXXXXX");
  if (!mkdtemp(dir)) abort();
  atexit(remove_world);
  write_file("partners.csv", "code,name,region\nPAK,Pakistan,asia\nCHN,China,asia\nUSA,United States,\nDEU,Germany,europe\n");
  write_file("deals.csv", "exporter,importer,commodity,year,value_usd,port\n"
             "CHN,PAK,oil,2024,100,Karachi\nUSA,PAK,oil,2025,250.5,\nDEU,PAK,gas,2025,80,Gwadar\n"
             "PAK,CHN,gas,2025,30,Karachi\nCHN,USA,oil,2023,999,\nUSA,DEU,gas,2025,12.25,Hamburg\n");
  write_file("loans.csv", "lender,borrower,principal_usd,start_year,term_years\nCHN,PAK,1000,2020,10\nUSA,PAK,500,2024,\n");
  write_file("w.hedge",
             "commodity oil, gas\n"
             "load partners from \"partners.csv\" { name: name, region: region }\n"
             "load deals from \"deals.csv\" { value: value_usd USD, date: year }\n"
             "load loans from \"loans.csv\" { principal: principal_usd USD, start: start_year, term: term_years years }\n"
             "rule r1: forall c in commodities: import_share(PAK, CHN, commodity: c, year: 2025) <= 60%\n"
             "rule r2: forall p in partners where p.region == \"asia\": imports(p) + exports(p) > 0\n"
             "rule r3: debt_share(PAK, CHN) <= 90%\n"
             "scenario s { update d in deals where d.exporter == CHN { value: d.value * 2 } }\n"
             "test \"t\" { drop d in deals where d.importer == PAK\n  expect count(deals) == 3 }\n");
  snprintf(prog, sizeof prog, "%s/w.hedge", dir);
  snprintf(packf, sizeof packf, "%s/good.hpk", dir);
  snprintf(work, sizeof work, "%s/f.hpk", dir);
  hedge_State *H = open_state();
  const char *files[1] = {prog};
  if (hedge_pack_begin(H, packf, files, 1) != HEDGE_OK || hedge_load_file(H, prog) != HEDGE_OK ||
      hedge_pack_end(H) != HEDGE_OK) {
    fprintf(stderr, "fuzz: cannot write the good pack: %s\n", hedge_errmsg(H));
    abort();
  }
  hedge_close(H);
  FILE *f = fopen(packf, "rb");
  if (!f) abort();
  fseek(f, 0, SEEK_END);
  good_n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  good = malloc(good_n);
  if (!good || fread(good, 1, good_n, f) != good_n) abort();
  fclose(f);
}

/* ---- resealing: the checksums of an edited pack made right again ---- */

typedef struct W { unsigned char *p; size_t n, at; int bad; } W;
static uint32_t w32(W *w) { uint32_t v = 0; if (w->at + 4 > w->n) { w->bad = 1; return 0; } memcpy(&v, w->p + w->at, 4); w->at += 4; return v; }
static uint64_t w64(W *w) { uint64_t v = 0; if (w->at + 8 > w->n) { w->bad = 1; return 0; } memcpy(&v, w->p + w->at, 8); w->at += 8; return v; }
static void wstr(W *w) { uint32_t n = w32(w); if (w->bad || n > w->n - w->at) { w->bad = 1; return; } w->at += n; }
/* An array reference: its checksum recomputed when it lies in the file. */
static void warr(W *w, unsigned char *file, size_t size) {
  size_t ref = w->at;
  uint64_t off = w64(w), n = w64(w);
  w64(w);
  if (w->bad || !n || off > size || n > size - off) return;
  uint64_t sum = pack_hash(file + off, (size_t)n, 0);
  memcpy(w->p + ref + 16, &sum, 8);
}

static void reseal(unsigned char *p, size_t size) {
  if (size < 80) return;
  uint64_t moff, mlen;
  memcpy(&moff, p + 48, 8);
  memcpy(&mlen, p + 56, 8);
  if (moff <= size && mlen <= size - moff) {
    W w = {p + moff, (size_t)mlen, 0, 0};
    for (uint32_t i = 0, n = w32(&w); i < n && !w.bad; i++) wstr(&w);
    for (uint32_t i = 0, n = w32(&w); i < n && !w.bad; i++) { wstr(&w); w64(&w); w64(&w); }
    for (uint32_t i = 0, n = w32(&w); i < n && !w.bad; i++) {
      uint32_t packed = w32(&w);
      wstr(&w); w32(&w); w32(&w); wstr(&w);
      for (int k = 0; k < 4; k++) w64(&w);
      w32(&w); w32(&w);
      for (int k = 0; k < 12; k++) w32(&w);
      if (packed != 1) continue;
      for (uint32_t j = 0, ns = w32(&w); j < ns && !w.bad; j++) wstr(&w);
      for (int k = 0; k < 4 && !w.bad; k++) {
        if (w32(&w)) warr(&w, p, size);
        if (k == 2 || k == 3) for (int a = 0; a < 7; a++) warr(&w, p, size);
        for (uint32_t c = 0, nc = w32(&w); c < nc && !w.bad && c < 4096; c++) { w32(&w); w32(&w); w32(&w); warr(&w, p, size); }
      }
      for (uint32_t j = 0, ng = w32(&w); j < ng && !w.bad; j++) { w32(&w); w32(&w); w32(&w); }
      for (uint32_t j = 0, nn = w32(&w); j < nn && !w.bad; j++) {
        w32(&w); w32(&w);
        for (uint32_t q = 0, nr = w32(&w); q < nr && !w.bad && q < 16; q++) { w32(&w); w64(&w); }
      }
    }
    w64(&w);
    for (uint32_t i = 0, n = w32(&w); i < n && !w.bad && i < 16; i++) { w32(&w); for (int j = 0; j < 4; j++) warr(&w, p, size); }
    uint64_t mh = pack_hash(p + moff, (size_t)mlen, 0);
    memcpy(p + 64, &mh, 8);
  }
  uint64_t hh = pack_hash(p, 72, 0);
  memcpy(p + 72, &hh, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!good) make_world();
  unsigned char *p = malloc(good_n);
  if (!p) abort();
  memcpy(p, good, good_n);
  size_t n = good_n;
  int seal = 1;
  for (size_t i = 0; i + 6 <= size && i < 6 * 64; i += 6) {
    uint32_t off;
    memcpy(&off, data + i, 4);
    uint8_t op = data[i + 4], v = data[i + 5];
    if (!n) break;
    off %= (uint32_t)n;
    switch (op % 4) {
      case 0: p[off] ^= v; break;
      case 3: p[off] ^= v; seal = 0; break;
      case 1: {
        uint32_t x = (v & 3) == 0 ? 0 : (v & 3) == 1 ? 1 : (v & 3) == 2 ? 0xFFFFFFFFu : (uint32_t)n;
        if (v & 4) x = v;
        if (off + 4 <= n) memcpy(p + off, &x, 4);
        break;
      }
      case 2: n = off; break;
    }
  }
  if (seal) reseal(p, n);
  FILE *f = fopen(work, "wb");
  if (!f) abort();
  if (n && fwrite(p, 1, n, f) != n) abort();
  fclose(f);
  free(p);
  hedge_State *H = open_state();
  const char *files[1] = {prog};
  int used = hedge_pack_use(H, work, files, 1);
  /* FUZZ_PACK_SHOW=1: what each input came to (to see that seeds reach deep) */
  if (getenv("FUZZ_PACK_SHOW")) fprintf(stderr, "use %d: %.160s\n", used, used ? hedge_errmsg(H) : "");
  if (used == HEDGE_OK) {
    int loaded = hedge_load_file(H, prog);
    if (getenv("FUZZ_PACK_SHOW")) fprintf(stderr, "  load %d: %.160s\n", loaded, loaded ? hedge_errmsg(H) : "");
    if (loaded == HEDGE_OK) {
      hedge_Report *r = NULL;
      hedge_check(H, NULL, NULL, &r);
      if (r) { (void)hedge_report_json(H, r); hedge_report_free(H, r); }
      const char *out = NULL;
      (void)hedge_compare(H, "s", 1, &out);
      (void)hedge_test(H, 0, &out, NULL, NULL);
      (void)hedge_eval(H, "[count(deals), sum(d in deals: d.value), list(p in partners: p.region)]", NULL);
    } else if (!hedge_errmsg(H)[0]) abort();
  } else if (!hedge_errmsg(H)[0]) abort();
  hedge_close(H);
  return 0;
}
