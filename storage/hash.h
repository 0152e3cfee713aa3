/* Checksums of stored bytes: XXH3_64bits (segments), through AVX2 code where the CPU has it. */
#ifndef CS_STORAGE_HASH_H
#define CS_STORAGE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* cs_seg_hash() - XXH3_64bits(p, len), as libxxhash computes it. */
uint64_t cs_seg_hash(const void *p, size_t len);

/* cs_seg_hash_simd() - for tests: on = false makes cs_seg_hash() use libxxhash only; returns
 * whether the AVX2 code was in use before the call. */
bool cs_seg_hash_simd(bool on);

#if defined(CS_HASH_AVX2)
uint64_t cs_xxh3_avx2(const void *p, size_t len);
#endif

#endif
