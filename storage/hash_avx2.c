/*
 * XXH3_64bits with AVX2, for segment checksums: the same function as libxxhash's (its value
 * does not depend on the vector code; tests/storage/test_segment.c compares them), about twice
 * as fast on the kernels' segments (24 vs 12 GB/s here: Debian builds libxxhash for SSE2).
 * This file alone is compiled with -mavx2 (storage/CMakeLists.txt) and holds nothing else;
 * cs_seg_hash() calls it only on CPUs that have AVX2. xxhash.h is Debian's libxxhash-dev
 * header, used inline as its documentation describes (XXH_INLINE_ALL).
 */
#include "storage/hash.h"

#if defined(CS_HASH_AVX2)
#    define XXH_INLINE_ALL
#    define XXH_VECTOR XXH_AVX2
#    include <xxhash.h>

uint64_t cs_xxh3_avx2(const void *p, size_t len)
{
    return XXH3_64bits(p, len);
}
#endif
