/* cs_seg_hash(): libxxhash's XXH3_64bits, or the same function compiled for AVX2
 * (storage/hash_avx2.c) when the CPU has it. */
#include "storage/hash.h"

#include <stdatomic.h>
#include <xxhash.h>

#if defined(CS_HASH_AVX2)
static atomic_int avx2_state; /* 0 unknown, 1 no, 2 yes */
static atomic_int forced_off;

static bool use_avx2(void)
{
    int s = atomic_load_explicit(&avx2_state, memory_order_relaxed);
    if (s == 0) {
        __builtin_cpu_init();
        s = __builtin_cpu_supports("avx2") ? 2 : 1;
        atomic_store_explicit(&avx2_state, s, memory_order_relaxed);
    }
    return s == 2 && !atomic_load_explicit(&forced_off, memory_order_relaxed);
}

uint64_t cs_seg_hash(const void *p, size_t len)
{
    return use_avx2() ? cs_xxh3_avx2(p, len) : XXH3_64bits(p, len);
}

bool cs_seg_hash_simd(bool on)
{
    const bool was = use_avx2();
    atomic_store_explicit(&forced_off, !on, memory_order_relaxed);
    return was;
}
#else
uint64_t cs_seg_hash(const void *p, size_t len)
{
    return XXH3_64bits(p, len);
}

bool cs_seg_hash_simd(bool on)
{
    (void)on;
    return false;
}
#endif
