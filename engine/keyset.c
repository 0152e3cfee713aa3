/* Dense-bitmap / sparse-hash set of int64 keys (see keyset.h). */
#include "engine/keyset.h"

#include <stdlib.h>
#include <string.h>

/* The bitmap may span up to this many bits, or 32 per key held, whichever is larger. */
#define DENSE_MIN_BITS (UINT64_C(1) << 26)

void cs_keyset_init(struct cs_keyset *s)
{
    memset(s, 0, sizeof(*s));
}

void cs_keyset_free(struct cs_keyset *s)
{
    free(s->bits);
    if (s->sparse) cs_hmap_free(&s->map);
    memset(s, 0, sizeof(*s));
}

static int64_t floor64(int64_t k)
{
    return k >= 0 ? k & ~(int64_t)63 : -(((-(k + 1)) | 63) + 1);
}

static int to_sparse(struct cs_keyset *s)
{
    if (!cs_hmap_init(&s->map, false, s->count + 1024)) return -1;
    for (size_t w = 0; w < s->nwords; w++) {
        for (uint64_t x = s->bits[w]; x != 0; x &= x - 1) {
            const int64_t k = s->base + (int64_t)(w * 64) + __builtin_ctzll(x);
            if (!cs_hmap_put(&s->map, k, 1)) return -1;
        }
    }
    free(s->bits);
    s->bits = NULL;
    s->nwords = 0;
    s->sparse = true;
    return 0;
}

/* Grow the bitmap to cover k, or return 1 when that would make it too sparse. */
static int grow(struct cs_keyset *s, int64_t k)
{
    const uint64_t limit =
        DENSE_MIN_BITS > 32 * (uint64_t)s->count ? DENSE_MIN_BITS : 32 * (uint64_t)s->count;
    if (k > INT64_MAX / 4 || k < INT64_MIN / 4) return 1; /* far out: no bitmap arithmetic */
    int64_t lo = s->base, hi = s->base + (int64_t)(s->nwords * 64);
    if (s->nwords == 0) {
        lo = floor64(k);
        hi = lo + 64 * 1024;
    } else if (k < lo) {
        lo = floor64(k < lo - (hi - lo) ? k : lo - (hi - lo));
    } else {
        hi = k >= hi + (hi - lo) ? floor64(k) + 64 : hi + (hi - lo);
    }
    if ((uint64_t)(hi - lo) > limit) return 1;
    const size_t nwords = (size_t)((hi - lo) / 64);
    uint64_t *bits = calloc(nwords, sizeof(*bits));
    if (bits == NULL) return -1;
    if (s->nwords > 0) memcpy(bits + (s->base - lo) / 64, s->bits, s->nwords * sizeof(*bits));
    free(s->bits);
    s->bits = bits;
    s->nwords = nwords;
    s->base = lo;
    return 0;
}

int cs_keyset_add(struct cs_keyset *s, int64_t k)
{
    if (!s->sparse) {
        const bool inside =
            s->nwords > 0 && k >= s->base && (uint64_t)(k - s->base) < (uint64_t)s->nwords * 64;
        if (!inside) {
            int rc = grow(s, k);
            if (rc < 0) return -1;
            if (rc > 0 && to_sparse(s) != 0) return -1;
        }
    }
    if (s->sparse) {
        if (cs_hmap_get(&s->map, k) != NULL) return 1;
        if (!cs_hmap_put(&s->map, k, 1)) return -1;
        s->count++;
        return 0;
    }
    const uint64_t bit = (uint64_t)(k - s->base);
    uint64_t *w = &s->bits[bit / 64];
    const uint64_t m = UINT64_C(1) << (bit % 64);
    if (*w & m) return 1;
    *w |= m;
    s->count++;
    return 0;
}
