/*
** test_checksum.c: unit tests for interp/checksum.c, the checksum of a
** packed world's sources. Built twice (make unit-checksum): with the SSE2
** code and with the portable code (HX_CHECKSUM_NO_SIMD); both must give
** the known answers below, which are what packs of format 2 hold.
**
** The last line on stdout is "N passed, M failed"; exit status 1 if
** anything failed.
*/
#include "../../interp/checksum.c"   /* the keys (static) are checked too */

#include <stdio.h>
#include <stdlib.h>

static int g_passed, g_failed;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (cond) g_passed++;                                             \
    else {                                                            \
      g_failed++;                                                     \
      fprintf(stderr, "FAIL (%s:%d): ", __FILE__, __LINE__);          \
      fprintf(stderr, __VA_ARGS__);                                   \
      fputc('\n', stderr);                                            \
    }                                                                 \
  } while (0)

/* bytes that look like nothing in particular: a 64-bit LCG */
static void fill(unsigned char *p, size_t n, uint64_t seed) {
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (size_t i = 0; i < n; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = (unsigned char)(x >> 56);
  }
}

/* The keys are splitmix64's outputs from state 0, as checksum.c says. */
static void test_keys(void) {
  uint64_t s = 0;
  int same = 1;
  for (int i = 0; i < 136; i++) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    if (z != KEYS[i]) same = 0;
  }
  CHECK(same, "KEYS are not splitmix64's first 136 outputs");
}

/* Known answers: the values a pack of format 2 records. The SSE2 and the
** portable build must both give them. */
static void test_known_answers(void) {
  static unsigned char buf[3 * (1 << 20) + 77];
  fill(buf, sizeof buf, 1);
  static const size_t lens[] = {0, 1, 63, 64, 65, 1023, 1024, 1025, 4096 + 100, (1 << 20), (1 << 20) + 1, sizeof buf};
  static const uint64_t want[] = {
    0x6112b67aada9304full,
    0xf2f6a2e6612187e3ull,
    0x908e29461d9ed669ull,
    0x2589d2c022b30591ull,
    0x91e083e473365ee7ull,
    0x7eb90926344c8f8aull,
    0x40987f283ad210c4ull,
    0x1da4eb86e14cb9c8ull,
    0x7f7e3ccad08cf8cfull,
    0x7f8ca5d9c5062544ull,
    0x99b5e5ddfc2d5e37ull,
    0x2814f890134bfe68ull,
  };
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    uint64_t got = checksum_bytes(buf, lens[i]);
    if (getenv("CHECKSUM_PRINT")) printf("  0x%016llxull,\n", (unsigned long long)got);
    else CHECK(got == want[i], "checksum of %zu bytes: got 0x%016llx, want 0x%016llx", lens[i],
               (unsigned long long)got, (unsigned long long)want[i]);
  }
}

/* A file read in pieces (blocks of 1 MiB, each in pieces of whole rounds
** and a last piece) gets the checksum of its bytes at once. */
static void test_pieces(void) {
  static unsigned char buf[2 * (1 << 20) + 5000];
  fill(buf, sizeof buf, 2);
  static const size_t lens[] = {0, 5, 1024, 70000, (1 << 20), 2 * (1 << 20) + 5000};
  static const size_t pieces[] = {1024, 4096, 1 << 18};
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
    for (size_t pi = 0; pi < 3; pi++) {
      size_t n = lens[li], piece = pieces[pi];
      uint64_t blocks[4], nb = n ? (n + CHECKSUM_BLOCK - 1) / CHECKSUM_BLOCK : 1;
      for (uint64_t b = 0; b < nb; b++) {
        size_t off = (size_t)b * CHECKSUM_BLOCK, len = n - off < CHECKSUM_BLOCK ? n - off : CHECKSUM_BLOCK, done = 0;
        ChecksumBlock cb;
        checksum_block_begin(&cb, b);
        while (len - done > piece) { checksum_block_update(&cb, buf + off + done, piece); done += piece; }
        blocks[b] = checksum_block_end(&cb, buf + off + done, len - done);
      }
      CHECK(checksum_combine(blocks, nb, n) == checksum_bytes(buf, n), "%zu bytes in pieces of %zu: another checksum", n, piece);
    }
}

/* Every single changed bit, every length, a swap of two stripes or of two
** blocks changes the checksum. */
static void test_changes(void) {
  enum { N = 3000 };
  static unsigned char buf[N];
  fill(buf, N, 3);
  uint64_t base = checksum_bytes(buf, N);
  int same = 0;
  for (size_t i = 0; i < N; i++)
    for (int bit = 0; bit < 8; bit++) {
      buf[i] ^= (unsigned char)(1 << bit);
      if (checksum_bytes(buf, N) == base) same++;
      buf[i] ^= (unsigned char)(1 << bit);
    }
  CHECK(same == 0, "%d single-bit changes of %d bytes leave the checksum as it was", same, N);
  /* zeros of every length: the padding of the last stripe is never ambiguous */
  static unsigned char zeros[2100];
  static uint64_t seen[2101];
  int dup = 0;
  for (size_t n = 0; n <= sizeof zeros; n++) {
    seen[n] = checksum_bytes(zeros, n);
    for (size_t m = 0; m < n; m++) if (seen[m] == seen[n]) dup++;
  }
  CHECK(dup == 0, "%d pairs of runs of zeros of different lengths share a checksum", dup);
  /* two stripes swapped within a round, two words swapped within a stripe */
  unsigned char sw[N];
  memcpy(sw, buf, N);
  unsigned char tmp[64];
  memcpy(tmp, sw, 64); memcpy(sw, sw + 128, 64); memcpy(sw + 128, tmp, 64);
  CHECK(checksum_bytes(sw, N) != base, "two stripes swapped: the same checksum");
  memcpy(sw, buf, N);
  memcpy(tmp, sw, 8); memcpy(sw, sw + 8, 8); memcpy(sw + 8, tmp, 8);
  CHECK(checksum_bytes(sw, N) != base, "two words swapped: the same checksum");
  /* two different blocks swapped, and two equal blocks at two places */
  size_t big = 2 * CHECKSUM_BLOCK;
  unsigned char *b2 = malloc(big), *b3 = malloc(big);
  if (!b2 || !b3) { CHECK(0, "out of memory"); free(b2); free(b3); return; }
  fill(b2, big, 4);
  memcpy(b3, b2 + CHECKSUM_BLOCK, CHECKSUM_BLOCK);
  memcpy(b3 + CHECKSUM_BLOCK, b2, CHECKSUM_BLOCK);
  CHECK(checksum_bytes(b2, big) != checksum_bytes(b3, big), "two blocks swapped: the same checksum");
  ChecksumBlock c0, c1;
  checksum_block_begin(&c0, 0);
  checksum_block_begin(&c1, 1);
  CHECK(checksum_block_end(&c0, b2, CHECKSUM_BLOCK) != checksum_block_end(&c1, b2, CHECKSUM_BLOCK),
        "the same block at two places: the same hash");
  free(b2);
  free(b3);
}

/* Distribution: the checksums of 100,000 short distinct inputs spread over
** the 64 bits (no collision, every bit set in about half of them). */
static void test_spread(void) {
  enum { M = 100000 };
  uint64_t *h = malloc(M * sizeof *h);
  if (!h) { CHECK(0, "out of memory"); return; }
  long ones[64] = {0};
  for (uint32_t i = 0; i < M; i++) {
    unsigned char in[16] = {0};
    memcpy(in, &i, sizeof i);
    h[i] = checksum_bytes(in, 16);
    for (int b = 0; b < 64; b++) ones[b] += (h[i] >> b) & 1;
  }
  int lopsided = 0;
  for (int b = 0; b < 64; b++) if (ones[b] < M / 2 - 1500 || ones[b] > M / 2 + 1500) lopsided++;
  CHECK(lopsided == 0, "%d bits of the checksum are set far from half the time", lopsided);
  /* every checksum into an open-addressing set */
  size_t cap = 1 << 18;
  uint64_t *set = calloc(cap, sizeof *set);
  int coll = 0;
  if (set) {
    for (uint32_t i = 0; i < M; i++) {
      size_t j = (size_t)(h[i] >> 40) & (cap - 1);
      while (set[j] && set[j] != h[i]) j = (j + 1) & (cap - 1);
      if (set[j] == h[i]) coll++;
      set[j] = h[i];
    }
  }
  CHECK(set && coll == 0, "%d collisions among %d short inputs", coll, M);
  free(set);
  free(h);
}

int main(void) {
  test_keys();
  test_known_answers();
  if (getenv("CHECKSUM_PRINT")) return 0;
  test_pieces();
  test_changes();
  test_spread();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
