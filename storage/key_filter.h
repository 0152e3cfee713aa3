/*
 * Natural-key filters of dimension row groups (docs/storage-format.md §4.1): a split-block
 * Bloom filter over the natural key (agent_name, conversation_id, user_id) of every row of
 * the group, stored after the group's segments. It answers "may this group hold the name?"
 * with no false negative, so that a nightly load that meets a few hundred conversation ids
 * reads only the groups that may hold them instead of the whole dimension.
 *
 * Layout of the section (all little-endian):
 *   +0   4   nblocks B (>= 1)
 *   +4   4   0 (reserved)
 *   +8   32B the filter: B blocks of eight 32-bit words
 *   +8+32B 8 XXH64 of bytes [0, 8 + 32B)
 * A name's hash h = XXH64(name bytes, seed 0); its block is ((h >> 32) * B) >> 32 and within
 * it word i has bit ((uint32_t)h * SALT[i]) >> 27 set (the split-block filter of Parquet).
 */
#ifndef CS_KEY_FILTER_H
#define CS_KEY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/base/column.h"

#define CS_KF_FIXED 16u /* section bytes besides the blocks */
#define CS_KF_BLOCK 32u
/* 32 bits a key: a false positive rate near 1e-5, so that a night probing a few hundred new
 * names against hundreds of chunks reads almost no chunk in vain (16 bits: ~1e-3). */
#define CS_KF_BITS_PER_KEY 32u

/* A filter read from (or built for) a block. */
struct cs_key_filter {
    const uint8_t *blocks; /* nblocks * 32 bytes */
    uint32_t nblocks;
};

/* cs_kf_hash() - the hash of natural key s[0..len). */
uint64_t cs_kf_hash(const char *s, size_t len);
/* cs_kf_size() - the section's bytes for a group of `rows` rows. */
size_t cs_kf_size(size_t rows);
/* cs_kf_build() - write the section for the non-NULL values of string column c into
 * out[0..cs_kf_size(c->len)). */
void cs_kf_build(const struct cs_col *c, uint8_t *out);
/* cs_kf_parse() - check the section at p[0..len) (size, reserved field, checksum); false when
 * damaged. */
bool cs_kf_parse(const uint8_t *p, size_t len, struct cs_key_filter *f);
/* cs_kf_may_contain() - false only when no row of the group has a name with hash h. */
bool cs_kf_may_contain(const struct cs_key_filter *f, uint64_t h);

#endif
