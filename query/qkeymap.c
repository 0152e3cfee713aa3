/* int64 key → dense id maps: flat arrays for small spans, open addressing otherwise. */
#include "query/kernel.h"

#include <stdlib.h>
#include <string.h>

/* A flat array is used when the keys span at most this many values, or 8x their count. */
#define DENSE_MIN_SPAN 65536u

void cs_keymap_free(struct cs_keymap *m)
{
    free(m->dense);
    free(m->hkeys);
    free(m->hvals);
    const uint32_t miss = m->miss;
    memset(m, 0, sizeof(*m));
    m->miss = miss;
}

static inline size_t hash_slot(int64_t key, size_t mask)
{
    const uint64_t h = (uint64_t)key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 32) & mask;
}

static int build_hashed(struct cs_keymap *m, const int64_t *keys, const uint32_t *ids, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    m->hkeys = malloc(cap * sizeof(*m->hkeys));
    m->hvals = malloc(cap * sizeof(*m->hvals));
    if (m->hkeys == NULL || m->hvals == NULL) return CS_ENOMEM;
    memset(m->hvals, 0xff, cap * sizeof(*m->hvals));
    m->hmask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t s = hash_slot(keys[i], m->hmask);
        while (m->hvals[s] != UINT32_MAX && m->hkeys[s] != keys[i])
            s = (s + 1) & m->hmask;
        m->hkeys[s] = keys[i];
        m->hvals[s] = ids[i];
    }
    return CS_OK;
}

int cs_keymap_build(struct cs_keymap *m,
                    const int64_t *keys,
                    const uint32_t *ids,
                    size_t n,
                    uint32_t miss,
                    struct cs_error *err)
{
    memset(m, 0, sizeof(*m));
    m->miss = miss;
    if (n == 0) return CS_OK;
    int64_t lo = keys[0], hi = keys[0];
    for (size_t i = 1; i < n; i++) {
        if (keys[i] < lo) lo = keys[i];
        if (keys[i] > hi) hi = keys[i];
    }
    const uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    int rc = CS_OK;
    if (span != 0 && (span <= DENSE_MIN_SPAN || span / 8 <= n)) {
        m->base = lo;
        m->span = (size_t)span;
        m->dense = malloc(m->span * sizeof(*m->dense));
        if (m->dense == NULL) {
            rc = CS_ENOMEM;
        } else {
            for (size_t i = 0; i < m->span; i++)
                m->dense[i] = miss;
            for (size_t i = 0; i < n; i++)
                m->dense[(uint64_t)keys[i] - (uint64_t)lo] = ids[i];
        }
    } else {
        rc = build_hashed(m, keys, ids, n);
    }
    if (rc != CS_OK) {
        cs_keymap_free(m);
        return cs_error_set(err, rc, "out of memory for a key map of %zu keys", n);
    }
    return CS_OK;
}

static uint32_t lookup_hashed(const struct cs_keymap *m, int64_t key)
{
    if (m->hvals == NULL) return m->miss;
    size_t s = hash_slot(key, m->hmask);
    while (m->hvals[s] != UINT32_MAX) {
        if (m->hkeys[s] == key) return m->hvals[s];
        s = (s + 1) & m->hmask;
    }
    return m->miss;
}

void cs_keymap_lookup(
    const struct cs_keymap *m, const int64_t *keys, const uint8_t *nulls, size_t n, uint32_t *out)
{
    if (m->span != 0) {
        const uint64_t base = (uint64_t)m->base, span = m->span;
        const uint32_t *dense = m->dense;
        for (size_t i = 0; i < n; i++) {
            const uint64_t idx = (uint64_t)keys[i] - base;
            out[i] = idx < span ? dense[idx] : m->miss;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            out[i] = lookup_hashed(m, keys[i]);
    }
    if (nulls != NULL) {
        for (size_t i = 0; i < n; i++) {
            if (nulls[i]) out[i] = m->miss;
        }
    }
}
