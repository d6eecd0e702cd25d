/*
** checksum.h: the checksum of a packed world's sources (docs/pack.md,
** "What checked means"). Fast, well distributed, not cryptographic: it
** tells that a file changed, not that nobody forged it.
**
** A file's checksum is made of its blocks of CHECKSUM_BLOCK bytes, each
** hashed on its own (so that two threads can hash one file), then combined
** with the file's size. A block is read in pieces: begin, update with
** pieces whose sizes are multiples of CHECKSUM_ROUND, end with the last
** piece (any size, possibly empty).
*/
#ifndef HEDGE_CHECKSUM_H
#define HEDGE_CHECKSUM_H
#include <stddef.h>
#include <stdint.h>

#define CHECKSUM_BLOCK ((size_t)1 << 20)
#define CHECKSUM_ROUND ((size_t)1024)

typedef struct ChecksumBlock { uint64_t acc[8]; uint64_t n, index; } ChecksumBlock;

/* Starts the hash of the block numbered index (0, 1, ...) of a file. */
void checksum_block_begin(ChecksumBlock *b, uint64_t index);
/* Adds n bytes; n is a multiple of CHECKSUM_ROUND. */
void checksum_block_update(ChecksumBlock *b, const void *p, size_t n);
/* Adds the last n bytes (any n) and returns the block's hash. */
uint64_t checksum_block_end(ChecksumBlock *b, const void *p, size_t n);
/* A file's checksum from its nblocks block hashes (at least one: an empty
** file is one empty block) and its size in bytes. */
uint64_t checksum_combine(const uint64_t *blocks, uint64_t nblocks, uint64_t size);
/* The checksum of n bytes in memory: the same as of a file holding them. */
uint64_t checksum_bytes(const void *p, size_t n);

#endif
