/*
** checksum.c: the checksum of a packed world's sources (checksum.h).
**
** The algorithm (hedge's own, format 2 of packs; docs/pack.md):
**   - a block (at most 1 MiB) is hashed in 8 lanes of 64 bits. Its bytes
**     are read as stripes of 64 bytes (8 little-endian words, on the
**     machines hedge runs on: a pack records its byte order and is not
**     portable), 16 stripes to a round of 1 KiB. Word i of stripe s is w;
**     with x = w ^ K[s][i], lane i gains lo32(x) * hi32(x) (a 32x32->64
**     multiply, one instruction per two lanes in SSE2) and the lane beside
**     it (i ^ 1) gains w itself, so that no word is lost when its product
**     is zero, and a changed word moves two lanes. After each round every
**     lane is scrambled: a ^= a >> 47; a ^= S[i]; a *= 0x9E3779B1.
**   - a block's lanes start at K[0][i] + index * P1 (its number in the
**     file), so that equal blocks at two places of a file differ. Its
**     last whole stripes take the keys of their places in the round; a
**     last partial stripe is padded with zeros, and the block's length is
**     mixed in at the end (the padding is never ambiguous). The 8 lanes
**     are merged and avalanched as XXH64 does.
**   - a file's checksum mixes its size and its block hashes in order.
** The keys K[16][8] and S[8] are the first 136 outputs of splitmix64
** started from 0 (tests/unit/test_checksum.c recomputes them).
**
** Why not XXH64 or CRC: the sources are read on every packed run (every
** byte: a stale pack is refused, never used), and this hash runs at about
** 1.4x the speed of XXH64 in SSE2 (15 GB/s against 11 on the benchmark
** machine); blocks hashed on their own let two threads share a file. The
** multiply-accumulate is the structure of XXH3 and of UMAC's NH; a random
** change of a block collides with probability about 2^-64 in the final
** mix, and no single changed word can leave the lanes as they were.
** HX_CHECKSUM_NO_SIMD selects the portable code, which gives the same
** values (make unit runs both).
*/
#include <string.h>
#include "checksum.h"

#if defined(__SSE2__) && !defined(HX_CHECKSUM_NO_SIMD)
#include <emmintrin.h>
#define CHECKSUM_SSE2 1
#endif

#define P1 11400714785092886401ull
#define P2 14029467366897019727ull
#define P3 1609587929392839161ull
#define P4 9650029242287828579ull
#define P5 2870177450012600261ull
#define SCRAMBLE 0x9E3779B1u

/* splitmix64 outputs 1..136 from state 0: K[s][i] = KEYS[8 * s + i],
** S[i] = KEYS[128 + i] */
static const uint64_t KEYS[136] = {
  0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full, 0xf88bb8a8724c81ecull,
  0x1b39896a51a8749bull, 0x53cb9f0c747ea2eaull, 0x2c829abe1f4532e1ull, 0xc584133ac916ab3cull,
  0x3ee5789041c98ac3ull, 0xf3b8488c368cb0a6ull, 0x657eecdd3cb13d09ull, 0xc2d326e0055bdef6ull,
  0x8621a03fe0bbdb7bull, 0x8e1f7555983aa92full, 0xb54e0f1600cc4d19ull, 0x84bb3f97971d80abull,
  0x7d29825c75521255ull, 0xc3cf17102b7f7f86ull, 0x3466e9a083914f64ull, 0xd81a8d2b5a4485acull,
  0xdb01602b100b9ed7ull, 0xa9038a921825f10dull, 0xedf5f1d90dca2f6aull, 0x54496ad67bd2634cull,
  0xdd7c01d4f5407269ull, 0x935e82f1db4c4f7bull, 0x69b82ebc92233300ull, 0x40d29eb57de1d510ull,
  0xa2f09dabb45c6316ull, 0xee521d7a0f4d3872ull, 0xf16952ee72f3454full, 0x377d35dea8e40225ull,
  0x0c7de8064963bab0ull, 0x05582d37111ac529ull, 0xd254741f599dc6f7ull, 0x69630f7593d108c3ull,
  0x417ef96181daa383ull, 0x3c3c41a3b43343a1ull, 0x6e19905dcbe531dfull, 0x4fa9fa7324851729ull,
  0x84eb4454a792922aull, 0x134f7096918175ceull, 0x07dc930b302278a8ull, 0x12c015a97019e937ull,
  0xcc06c31652ebf438ull, 0xecee65630a691e37ull, 0x3e84ecb1763e79adull, 0x690ed476743aae49ull,
  0x774615d7b1a1f2e1ull, 0x22b353f04f4f52daull, 0xe3ddd86ba71a5eb1ull, 0xdf268adeb6513356ull,
  0x2098eb73d4367d77ull, 0x03d6845323ce3c71ull, 0xc952c5620043c714ull, 0x9b196bca844f1705ull,
  0x30260345dd9e0ec1ull, 0xcf448a5882bb9698ull, 0xf4a578dccbc87656ull, 0xbfdeaed9a17b3c8full,
  0xed79402d1d5c5d7bull, 0x55f070ab1cbbf170ull, 0x3e00a34929a88f1dull, 0xe255b237b8bb18fbull,
  0x2a7b67af6c6ad50eull, 0x466d5e7f3e46f143ull, 0x42375cb399a4fc72ull, 0x8c8a1f148a8bb259ull,
  0x32fcab5daed5bdfcull, 0x9e60398c8d8553c0ull, 0xee89cceb8c4064c0ull, 0xdb0215941d86a66full,
  0x5ccde78203c367a8ull, 0xf1bcbc6a1ec11786ull, 0xef054fceee954551ull, 0xdf82012d0555c6dfull,
  0x292566ff72403c08ull, 0xc4dd302a1bfa1137ull, 0xd85f219db5c554e1ull, 0x6a27ff807441bcd2ull,
  0x96a573e9b48216e8ull, 0x46a9fdac40bf0048ull, 0x3dd12464a0ee15b4ull, 0x451e521296a7eea1ull,
  0x56e4398a98f8a0fdull, 0x7b7dc2160e3335a7ull, 0xc679ee0bebcb1ccaull, 0x928d6f2d7453424eull,
  0x1b38994205234c6dull, 0x8086d193a6f2b568ull, 0x21c6e26639ac2c65ull, 0xd9dccac414d23c6full,
  0x91cd642057e00235ull, 0x77fc607dc6589373ull, 0x05b8abe26dd3aee7ull, 0x12f6436ac376cc66ull,
  0x64952424897b2307ull, 0xee8c2baf6343e5c3ull, 0xdc4c613d9eba2304ull, 0x3505b7796bd1a506ull,
  0x8176daf800a05f50ull, 0x8bd8ff7a0385cdbcull, 0x1a764a3cd78101daull, 0xbe4d15bf6ca266acull,
  0xa85e1f38bb2dc749ull, 0x56759a968493cd8cull, 0xf3a9bce7336bd182ull, 0x365b15013741519bull,
  0x1f7a44a6b109ac94ull, 0x3521d628813cb177ull, 0x6a77afab0f7c9370ull, 0x179642d8cde95015ull,
  0x5ef102a8fb354461ull, 0xf51c504764ed82f2ull, 0xc58427f041ce6808ull, 0xfad8fc45c9643c37ull,
  0xcf8682f9a70fa9c0ull, 0x7e1b3b75a4005729ull, 0x992dd867927b52d8ull, 0x7fbd5db142f6791full,
  0x370595aacab4adaeull, 0xb1392dbdc5ab61d6ull, 0x9fea7dfc79d452d9ull, 0x40b12b120085641cull,
  0xa192afe3157c85d0ull, 0xc847729f4e08f3a3ull, 0x6f1384a306c41fc2ull, 0x12d05c4045a39c19ull,
  0x9899202fd20f0841ull, 0xe9c7191857e774b8ull, 0x4eead809af5b0cc3ull, 0xe809acafa23864a4ull,
  0x4da1edaba1d0f7bdull, 0x846eb9673349f8e4ull, 0x87bae55b86039fe8ull, 0x7f367b8bd953eff2ull,
};

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* One stripe at place s of its round (portable; also the tail's). */
static void stripe(uint64_t acc[8], const unsigned char *p, const uint64_t *k) {
  for (int i = 0; i < 8; i++) {
    uint64_t w = rd64(p + 8 * i), x = w ^ k[i];
    acc[i] += (x & 0xffffffffu) * (x >> 32);
    acc[i ^ 1] += w;
  }
}

#ifndef CHECKSUM_SSE2
static void scramble(uint64_t acc[8]) {
  for (int i = 0; i < 8; i++) {
    uint64_t a = acc[i];
    a ^= a >> 47;
    a ^= KEYS[128 + i];
    acc[i] = a * SCRAMBLE;
  }
}
#endif

/* nrounds whole rounds of 1 KiB. */
static void rounds(uint64_t acc[8], const unsigned char *p, size_t nrounds) {
#ifdef CHECKSUM_SSE2
  __m128i a[4], s[4];
  const __m128i mul = _mm_set1_epi64x(SCRAMBLE);
  for (int j = 0; j < 4; j++) {
    a[j] = _mm_loadu_si128((const __m128i *)(const void *)(acc + 2 * j));
    s[j] = _mm_loadu_si128((const __m128i *)(const void *)(KEYS + 128 + 2 * j));
  }
  for (size_t r = 0; r < nrounds; r++, p += CHECKSUM_ROUND) {
    for (int st = 0; st < 16; st++) {
      const unsigned char *q = p + 64 * st;
      const uint64_t *k = KEYS + 8 * st;
      for (int j = 0; j < 4; j++) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * j));
        __m128i x = _mm_xor_si128(w, _mm_loadu_si128((const __m128i *)(const void *)(k + 2 * j)));
        /* lo32(x) * hi32(x) in each 64-bit lane; w to the other lane of the pair */
        a[j] = _mm_add_epi64(a[j], _mm_mul_epu32(x, _mm_srli_epi64(x, 32)));
        a[j] = _mm_add_epi64(a[j], _mm_shuffle_epi32(w, 0x4E));
      }
    }
    for (int j = 0; j < 4; j++) {
      __m128i v = _mm_xor_si128(a[j], _mm_srli_epi64(a[j], 47));
      v = _mm_xor_si128(v, s[j]);
      /* v * SCRAMBLE mod 2^64: lo32(v) * m + (hi32(v) * m << 32) */
      __m128i lo = _mm_mul_epu32(v, mul), hi = _mm_mul_epu32(_mm_srli_epi64(v, 32), mul);
      a[j] = _mm_add_epi64(lo, _mm_slli_epi64(hi, 32));
    }
  }
  for (int j = 0; j < 4; j++) _mm_storeu_si128((__m128i *)(void *)(acc + 2 * j), a[j]);
#else
  for (size_t r = 0; r < nrounds; r++, p += CHECKSUM_ROUND) {
    for (int st = 0; st < 16; st++) stripe(acc, p + 64 * st, KEYS + 8 * st);
    scramble(acc);
  }
#endif
}

void checksum_block_begin(ChecksumBlock *b, uint64_t index) {
  for (int i = 0; i < 8; i++) b->acc[i] = KEYS[i] + index * P1;
  b->n = 0;
  b->index = index;
}

void checksum_block_update(ChecksumBlock *b, const void *p, size_t n) {
  rounds(b->acc, p, n / CHECKSUM_ROUND);
  b->n += n;
}

static uint64_t round64(uint64_t acc, uint64_t in) { acc += in * P2; acc = rotl(acc, 31); return acc * P1; }
static uint64_t avalanche(uint64_t h) { h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32; return h; }

uint64_t checksum_block_end(ChecksumBlock *b, const void *data, size_t n) {
  const unsigned char *p = data;
  size_t whole = n / CHECKSUM_ROUND;
  rounds(b->acc, p, whole);
  p += whole * CHECKSUM_ROUND;
  n -= whole * CHECKSUM_ROUND;
  b->n += whole * CHECKSUM_ROUND + n;
  /* the last partial round: whole stripes, then a stripe padded with zeros */
  int st = 0;
  for (; n >= 64; st++, p += 64, n -= 64) stripe(b->acc, p, KEYS + 8 * st);
  if (n) {
    unsigned char last[64];
    memset(last, 0, sizeof last);
    memcpy(last, p, n);
    stripe(b->acc, last, KEYS + 8 * st);
  }
  uint64_t h = b->n * P1 + b->index * P5;
  for (int i = 0; i < 8; i++) { h ^= round64(0, b->acc[i]); h = h * P1 + P4; }
  return avalanche(h);
}

uint64_t checksum_combine(const uint64_t *blocks, uint64_t nblocks, uint64_t size) {
  uint64_t h = size * P5 + nblocks * P3;
  for (uint64_t i = 0; i < nblocks; i++) h = rotl(h ^ round64(0, blocks[i]), 27) * P1 + P4;
  return avalanche(h);
}

uint64_t checksum_bytes(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t h = (uint64_t)n * P5 + (n ? (n + CHECKSUM_BLOCK - 1) / CHECKSUM_BLOCK : 1) * P3;
  uint64_t index = 0;
  do {
    size_t k = n < CHECKSUM_BLOCK ? n : CHECKSUM_BLOCK;
    ChecksumBlock b;
    checksum_block_begin(&b, index++);
    h = rotl(h ^ round64(0, checksum_block_end(&b, p, k)), 27) * P1 + P4;
    p += k;
    n -= k;
  } while (n);
  return avalanche(h);
}
